//! The Terraform plugin protocol layer: everything between Terraform's gRPC calls and the
//! provider's typed handlers.

pub mod diagnostics;
pub mod handshake;
pub mod proto;
pub mod schema;
pub mod server;
pub(crate) mod terraform_command;
pub mod tls;
pub mod typed;
pub mod value;
