# A tour of alicr_custom_oss_role. `make demo` runs it against the bundled RAM emulator.

terraform {
  required_providers {
    alicr = {
      source = "alicr/alicr"
    }
  }
}

variable "endpoint" {
  description = "RAM/STS endpoint; the demo points it at the local RAM emulator."
  type        = string
  default     = "http://127.0.0.1:8400"
}

variable "bucket_names" {
  description = "OSS buckets Container Registry may keep images in."
  type        = set(string)
  default     = ["acr-images-prod", "acr-images-staging"]
}

provider "alicr" {
  # The emulator's built-in test key. Against Alibaba Cloud, leave these out and use the
  # environment (ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET) or a profile.
  access_key = "EMULATORACCESSKEYID"
  secret_key = "emulator-secret"

  endpoints {
    ram = var.endpoint
    sts = var.endpoint
  }
}

resource "alicr_custom_oss_role" "registry" {
  bucket_names = var.bucket_names
  description  = "Lets Container Registry keep images in our own OSS buckets"
}

output "role_arn" {
  value = alicr_custom_oss_role.registry.arn
}

output "policy_document" {
  value = alicr_custom_oss_role.registry.policy_document
}
