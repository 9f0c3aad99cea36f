//! terraform-provider-alicr: a Terraform provider (plugin protocol 6) that manages the RAM role
//! Alibaba Cloud Container Registry needs to store images in a customer's own OSS buckets.
//!
//! # Layout
//! (filled in as modules land)
