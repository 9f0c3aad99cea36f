# Time limits for each operation (Terraform durations; 10 minutes each by default). Retries of
# throttled or failed calls stop when the limit is reached, and the error names the limit.
resource "alicr_custom_oss_role" "with_time_limits" {
  role_name    = "AcrStagingOssRole"
  policy_name  = "AcrStagingOssRolePolicy"
  bucket_names = ["acr-images-staging"]

  timeouts {
    create = "5m"
    update = "5m"
    delete = "2m"
  }
}
