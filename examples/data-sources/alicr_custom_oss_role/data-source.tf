# Look up a role that was set up elsewhere (by hand, or by another configuration).
data "alicr_custom_oss_role" "registry" {
  role_name = "AliyunContainerRegistryCustomizedOSSBucketRole"
}

output "registry_buckets" {
  value = data.alicr_custom_oss_role.registry.bucket_names
}

output "registry_role_arn" {
  value = data.alicr_custom_oss_role.registry.arn
}
