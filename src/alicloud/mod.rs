//! The Alibaba Cloud client: request signing, credentials, the HTTP client with its retry
//! policy, typed RAM and STS operations, and the error type they share.
//!
//! - [`signer`]: pure HMAC-SHA1 (RPC 1.0) and ACS3-HMAC-SHA256 (V3) signing, checked against
//!   the known answers of Alibaba's SDK in `testdata/signing/`.
//! - [`credentials`]: the credential chain, ECS metadata, STS `AssumeRole`, caching, and the
//!   [`credentials::Env`] every reader of environment variables takes.
//! - [`client`]: [`Client`]: configuration, signing an attempt, transport, proxies, decoding.
//! - [`retry`]: the one retry policy and backoff, used by the client and the ECS metadata client.
//! - [`endpoint`]: endpoint URLs and the defaults ([`endpoint::DEFAULT_REGION`]).
//! - [`ram`] (roles, policies, attachments, tags), [`sts`]: one typed async method per action.
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
