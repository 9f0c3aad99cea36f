# Time limits for each operation (Terraform durations; 10 minutes for create, update and delete,
# 2 minutes for read by default). Retries of throttled or failed calls stop when the limit is
# reached, and the error names the limit. A refresh uses the limits recorded in the state, so a
# new `read` takes effect from the apply that records it.
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
