# The role Container Registry assumes to keep images in your own OSS buckets,
# its trust policy for cr.aliyuncs.com, and the bucket policy attached to it.
resource "alicr_custom_oss_role" "registry" {
  bucket_names = ["acr-images-prod", "acr-images-staging"]
  description  = "Lets Container Registry keep images in our own OSS buckets"

  # Optional, as with alicloud_ram_role / alicloud_ram_policy:
  policy_description = "OSS access for Container Registry"
  tags = {
    team = "registry"
    env  = "prod"
  }
}

output "registry_role_arn" {
  value = alicr_custom_oss_role.registry.arn
}
