//! The Alibaba Cloud client: request signing, credentials, the HTTP client with its retry
//! policy, typed RAM and STS operations, and the error type they share.
//!
//! - [`signer`]: pure HMAC-SHA1 (RPC 1.0) and ACS3-HMAC-SHA256 (V3) signing.
//! - [`credentials`]: the credential chain, ECS metadata, STS `AssumeRole`, caching.
//! - [`client`]: [`Client`], endpoints, retries, response decoding.
//! - [`ram`], [`sts`]: one typed async method per action.
//! - [`error`]: [`Error`], classified by Alibaba's error `Code`.

pub mod client;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod ram;
pub mod retry;
pub mod signer;
pub mod sts;

mod lenient;

pub use client::{Client, ClientConfig, Service, SignatureAlgorithm};
pub use credentials::{CredentialProvider, Credentials, Secret, StaticProvider};
pub use endpoint::Endpoint;
pub use error::{ApiError, Error, ErrorKind, TransportKind};
pub use retry::RetryPolicy;
