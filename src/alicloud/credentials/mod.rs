//! Credentials: the secret-redacting value types, the `CredentialProvider` trait, static keys,
//! and (in submodules) the resolution chain, the aliyun CLI profile file, ECS metadata, STS
//! `AssumeRole` and the refresh-before-expiry cache that temporary credentials go through.

mod assume_role;
mod cache;
mod chain;
mod ecs;
mod env;
mod profile;

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::error::Error;

pub use super::endpoint::DEFAULT_REGION;
pub use cache::{Fetch, REFRESH_MARGIN};
pub use chain::{connect, resolve, AssumeRoleConfig, CredentialConfig, Resolved};
pub use ecs::{EcsMetadataOptions, EcsMetadataProvider};
pub use env::{Env, MapEnv, ProcessEnv};

pub use assume_role::AssumeRoleParams;
pub use chain::CredentialSource;

pub(crate) use assume_role::AssumeRoleProvider;
pub(crate) use cache::CachingProvider;
pub(crate) use ecs::{imdsv1_disabled_in, DEFAULT_ECS_METADATA_ENDPOINT};

/// A string that must never be shown: `Debug` prints `<redacted>` and there is no `Display`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for signing. Never log the result.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// An access key pair, with a security token when it is temporary.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The AccessKey ID (not secret; shown in logs and errors).
    pub access_key_id: String,
    /// The AccessKey secret.
    pub access_key_secret: Secret,
    /// The STS security token of temporary credentials.
    pub security_token: Option<Secret>,
    /// When temporary credentials expire.
    pub expiration: Option<OffsetDateTime>,
}

impl Credentials {
    /// Long-lived credentials without a token.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: Secret::new(access_key_secret),
            security_token: None,
            expiration: None,
        }
    }

    /// Adds a security token (empty tokens are ignored).
    pub fn with_security_token(mut self, token: Option<String>) -> Self {
        self.security_token = token.filter(|t| !t.is_empty()).map(Secret::new);
        self
    }

    /// Sets the expiry of temporary credentials.
    #[cfg(test)]
    pub(crate) fn with_expiration(mut self, expiration: Option<OffsetDateTime>) -> Self {
        self.expiration = expiration;
        self
    }

    /// Every secret string these credentials carry, for scrubbing text that might echo them.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        let mut out = vec![self.access_key_secret.expose()];
        if let Some(t) = &self.security_token {
            out.push(t.expose());
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// Something that hands out credentials for signing, fetching and refreshing them as needed.
#[async_trait]
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// Credentials valid for at least the next request.
    async fn credentials(&self) -> Result<Credentials, Error>;

    /// Where the credentials come from, for logs and diagnostics (never secret).
    fn describe(&self) -> String;
}

/// Fixed credentials.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Credentials,
    origin: String,
}

impl StaticProvider {
    /// Credentials that came from `origin` (e.g. "environment").
    pub fn new(credentials: Credentials, origin: impl Into<String>) -> Self {
        StaticProvider {
            credentials,
            origin: origin.into(),
        }
    }
}

#[async_trait]
impl CredentialProvider for StaticProvider {
    async fn credentials(&self) -> Result<Credentials, Error> {
        Ok(self.credentials.clone())
    }

    fn describe(&self) -> String {
        format!(
            "static access key {} from {}",
            self.credentials.access_key_id, self.origin
        )
    }
}

/// A provider that has nothing; every call fails with the given explanation.
#[derive(Debug, Clone)]
pub(crate) struct NoCredentials(pub String);

#[async_trait]
impl CredentialProvider for NoCredentials {
    async fn credentials(&self) -> Result<Credentials, Error> {
        Err(Error::Credentials(self.0.clone()))
    }

    fn describe(&self) -> String {
        "no credentials".into()
    }
}

/// Replaces every secret of `creds` in `text` (raw and percent-encoded once or twice, as a
/// server's echoed string-to-sign would carry them) with `<redacted>`.
pub(crate) fn scrub(text: &str, creds: &Credentials) -> String {
    let mut out = text.to_string();
    for secret in creds.secrets() {
        let once = super::signer::percent_encode(secret);
        let twice = super::signer::percent_encode(&once);
        for form in [twice, once, secret.to_string()] {
            if !form.is_empty() {
                out = out.replace(&form, "<redacted>");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> Credentials {
        Credentials::new("STS.AKID", "very-secret-value")
            .with_security_token(Some("token+/=abc".into()))
            .with_expiration(Some(time::macros::datetime!(2030-01-01 00:00:00 UTC)))
    }

    #[test]
    fn debug_redacts_secret_and_token() {
        let text = format!("{:?}", temp());
        assert!(text.contains("STS.AKID"));
        assert!(!text.contains("very-secret-value"));
        assert!(!text.contains("token+/=abc"));
        assert!(text.contains("<redacted>"));
        assert_eq!(format!("{:?}", Secret::new("x")), "<redacted>");
    }

    #[test]
    fn static_provider_debug_and_describe_are_clean() {
        let p = StaticProvider::new(temp(), "provider configuration");
        assert!(!format!("{p:?}").contains("very-secret-value"));
        assert!(!p.describe().contains("very-secret-value"));
    }

    #[test]
    fn empty_token_is_no_token() {
        let c = Credentials::new("a", "b").with_security_token(Some(String::new()));
        assert!(c.security_token.is_none());
    }

    #[test]
    fn scrub_removes_raw_and_encoded_secrets() {
        let c = temp();
        let echoed = format!(
            "server string to sign is:POST&%2F&SecurityToken%3D{}&x={} raw {}",
            crate::alicloud::signer::percent_encode(&crate::alicloud::signer::percent_encode(
                "token+/=abc"
            )),
            crate::alicloud::signer::percent_encode("token+/=abc"),
            "very-secret-value"
        );
        let clean = scrub(&echoed, &c);
        assert!(!clean.contains("abc"), "{clean}");
        assert!(!clean.contains("very-secret-value"));
        assert!(clean.contains("server string to sign"));
    }
}
