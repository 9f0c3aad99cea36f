terraform {
  required_version = ">= 1.8"

  required_providers {
    alicr = {
      source = "alicr/alicr"
    }
  }
}

# With no arguments, credentials come from the environment
# (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET), an aliyun CLI
# profile (~/.aliyun/config.json), or an ECS instance RAM role.
provider "alicr" {
  region = "cn-hangzhou"

  # Optional: work as a role assumed through STS.
  # assume_role {
  #   role_arn     = "acs:ram::123456789012****:role/terraform"
  #   session_name = "terraform"
  # }
}
