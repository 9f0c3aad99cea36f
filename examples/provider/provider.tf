terraform {
  required_providers {
    alicr = {
      source = "alicr/alicr"
    }
  }
}

# Credentials come from the environment (ALIBABA_CLOUD_ACCESS_KEY_ID,
# ALIBABA_CLOUD_ACCESS_KEY_SECRET), an aliyun CLI profile, or the ECS metadata service.
provider "alicr" {
  region = "cn-hangzhou"
}
