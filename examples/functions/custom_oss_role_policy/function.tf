# Render the bucket policy without managing the role, for example to hand it to
# the alicloud provider's alicloud_ram_policy, or to review it.
locals {
  registry_buckets = ["acr-images-prod", "acr-images-staging"]
}

output "registry_policy_document" {
  value = provider::alicr::custom_oss_role_policy(local.registry_buckets)
}
