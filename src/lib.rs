//! terraform-provider-alicr: a Terraform provider (plugin protocol 6) that manages the RAM role
//! Alibaba Cloud Container Registry Enterprise Edition needs to keep images in a customer's own
//! OSS buckets, as one resource, `alicr_custom_oss_role`.
//!
//! # Layout
//! - [`launch`]: start-up and shutdown: cookie check, port, AutoMTLS, handshake line, serving.
//! - [`plugin`]: the Terraform plugin protocol layer.
//!   - [`plugin::proto`]: types generated from `proto/` (tfplugin6, go-plugin services).
//!   - [`plugin::handshake`]: go-plugin's start-up contract (cookie, ports, handshake line).
//!   - [`plugin::tls`]: AutoMTLS: self-signed server certificate, pinned client certificate.
//!   - [`plugin::server`]: the gRPC server (provider, controller, stdio, health).
//!   - [`plugin::value`]: Terraform's wire values (cty msgpack and JSON), the `Tri` state.
//!   - [`plugin::typed`]: typed reading and writing of object values.
//!   - [`plugin::schema`]: schema declarations (protocol message + value type from one source).
//!   - [`plugin::diagnostics`]: diagnostics with attribute paths.
//! - [`provider`]: the provider service and its handlers.
//!   - [`provider::config`]: the provider block, and building the client from it.
//!   - [`provider::registry`]: resources, data sources and functions, found by type name.
//!   - [`provider::role`]: `alicr_custom_oss_role`, one file per operation (plan, create, ...).
//!   - [`provider::errors`]: the one place Alibaba Cloud errors become diagnostics.
//!   - [`provider::validation`]: the input rules (names, ranges, URLs).
//! - [`alicloud`]: the Alibaba Cloud client.
//!   - [`alicloud::signer`]: HMAC-SHA1 (RPC 1.0) and ACS3-HMAC-SHA256 signing, pure functions.
//!   - [`alicloud::credentials`]: the credential chain, profiles, ECS metadata, AssumeRole.
//!   - [`alicloud::client`]: HTTP transport, endpoints, retries with backoff.
//!   - [`alicloud::ram`] / [`alicloud::sts`]: typed RAM and STS operations.
//!   - [`alicloud::error`]: errors classified by RAM's `Code`.
//! - [`policy`]: render, parse and compare the ACR policy and trust documents.
//! - [`logging`]: hclog-style JSON logs on stderr, driven by `TF_LOG` / `TF_LOG_PROVIDER`.
//! - `json_text`: the JSON string escaping that policy documents and log lines share.

pub mod alicloud;
mod json_text;
pub mod launch;
pub mod logging;
pub mod plugin;
pub mod policy;
pub mod provider;
