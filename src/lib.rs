//! terraform-provider-alicr: a Terraform provider (plugin protocol 6) that manages the RAM role
//! Alibaba Cloud Container Registry Enterprise Edition needs to keep images in a customer's own
//! OSS buckets, as one resource, `alicr_custom_oss_role`.
//!
//! # Layout
//! How a Terraform command travels through these modules, and the rules each keeps, is in
//! `ARCHITECTURE.md`; how to add a resource, a data source or a function, in `CONTRIBUTING.md`.
//!
//! - [`launch`]: start-up and shutdown: cookie check, port, AutoMTLS, handshake line, serving.
//! - [`plugin`]: the Terraform plugin protocol layer; knows nothing of RAM.
//!   - [`plugin::proto`]: types generated from `proto/` (tfplugin6, go-plugin services).
//!   - [`plugin::handshake`]: go-plugin's start-up contract (cookie, ports, handshake line).
//!   - [`plugin::tls`]: AutoMTLS: self-signed server certificate, pinned client certificate.
//!   - [`plugin::server`]: the gRPC server (provider, controller, stdio, health).
//!   - [`plugin::value`]: Terraform's wire values and the `Tri` state; its private `msgpack`
//!     and `json` walk `rmp` and `serde_json` readers against the schema's type, `number`
//!     keeps numbers exact.
//!   - [`plugin::typed`]: typed models over object values, and `object_model!`, which declares
//!     each attribute once (schema, field, conversions, plan modifiers).
//!   - [`plugin::schema`]: schema declarations (protocol message + value type from one source).
//!   - [`plugin::diagnostics`]: diagnostics with attribute paths.
//!   - `plugin::terraform_command`: which Terraform command started the plugin.
//! - [`provider`]: the generic gRPC handlers: type lookup, decoding, deadlines, private state.
//!   - [`provider::registry`](mod@provider::registry): the `Resource`, `DataSource` and
//!     `Function` traits and the registry that finds them by type name.
//!   - [`provider::role`]: `alicr_custom_oss_role`: `mod.rs` (schema and model), then a file
//!     per operation: `plan`, `create`, `read`, `update`, `delete`, `import`; `lookup` (shared
//!     with the data source) and `snapshot` (what a refresh saw attached, in private state).
//!   - [`provider::data_source`]: the `alicr_custom_oss_role` data source.
//!   - [`provider::function`]: the function `provider::alicr::custom_oss_role_policy`.
//!   - [`provider::config`]: the provider block, and building the client from it.
//!   - [`provider::errors`]: the one place Alibaba Cloud errors become diagnostics.
//!   - [`provider::validation`]: the input rules (names, ranges, URLs).
//! - [`alicloud`]: the Alibaba Cloud client.
//!   - [`alicloud::signer`]: HMAC-SHA1 (RPC 1.0) and ACS3-HMAC-SHA256 signing, pure functions.
//!   - [`alicloud::credentials`]: where credentials come from (`env`, `chain`, `profile`,
//!     `ecs` metadata, `assume_role`) and the `cache` that refreshes them before they expire.
//!   - [`alicloud::client`]: one signed call: `request` building, `transport` (timeouts,
//!     caps), `proxy` rules, `response` reading, `config`.
//!   - [`alicloud::retry`]: the one backoff both the client and the metadata client step.
//!   - [`alicloud::endpoint`]: endpoint URLs and the default region.
//!   - [`alicloud::ram`] / [`alicloud::sts`]: typed RAM (by object: roles, policies,
//!     attachments, tags) and STS operations.
//!   - [`alicloud::error`]: errors classified by RAM's `Code` (`kind`), with hints (`hint`).
//!   - `alicloud::lenient`: serde helpers for RAM's loosely typed JSON (numbers as strings).
//! - [`policy`]: render and parse the ACR policy and trust documents; `equivalence` compares
//!   them semantically.
//! - [`logging`]: hclog-style JSON logs on stderr, driven by `TF_LOG` / `TF_LOG_PROVIDER`.
//! - `json_text`: the JSON string escaping that policy documents and log lines share.

// Visibility is as narrow as the callers allow, so the compiler finds what nothing uses.
#![warn(unreachable_pub)]

pub mod alicloud;
mod json_text;
pub mod launch;
pub mod logging;
pub mod plugin;
pub mod policy;
pub mod provider;
