//! What a [`Client`](super::Client) is built from: the signature scheme, the services it
//! talks to, and the endpoints, timeouts and retry policy of [`ClientConfig`].

use std::str::FromStr;
use std::time::Duration;

use crate::alicloud::endpoint::DEFAULT_REGION;
use crate::alicloud::error::Error;
use crate::alicloud::retry::RetryPolicy;
use crate::alicloud::signer;

/// Which signature scheme requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureAlgorithm {
    /// RPC signature 1.0, HMAC-SHA1 (`Signature` parameter).
    #[default]
    HmacSha1,
    /// Alibaba's V3 signature, `ACS3-HMAC-SHA256` (`Authorization` header).
    Acs3HmacSha256,
}

impl SignatureAlgorithm {
    /// The configuration spelling: `HMAC-SHA1` or `ACS3-HMAC-SHA256`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SignatureAlgorithm::HmacSha1 => signer::HMAC_SHA1,
            SignatureAlgorithm::Acs3HmacSha256 => signer::ACS3_HMAC_SHA256,
        }
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            signer::HMAC_SHA1 => Ok(SignatureAlgorithm::HmacSha1),
            signer::ACS3_HMAC_SHA256 => Ok(SignatureAlgorithm::Acs3HmacSha256),
            other => Err(Error::Config(format!(
                "signature_algorithm {other:?} is not supported; use \"HMAC-SHA1\" or \"ACS3-HMAC-SHA256\""
            ))),
        }
    }
}

/// An Alibaba Cloud service the client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Resource Access Management, API version 2015-05-01.
    Ram,
    /// Security Token Service, API version 2015-04-01.
    Sts,
}

impl Service {
    /// The API version string.
    pub fn version(&self) -> &'static str {
        match self {
            Service::Ram => "2015-05-01",
            Service::Sts => "2015-04-01",
        }
    }
}

/// Everything the client needs except credentials.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// RAM endpoint override; default `https://ram.aliyuncs.com`.
    pub ram_endpoint: Option<String>,
    /// STS endpoint override; default `https://sts.<region>.aliyuncs.com`.
    pub sts_endpoint: Option<String>,
    /// The region (STS is regional; RAM is global).
    pub region: String,
    /// The signature scheme.
    pub signature_algorithm: SignatureAlgorithm,
    /// Retry budget and backoff.
    pub retry: RetryPolicy,
    /// Timeout to establish a connection (default 5 s, as Alibaba's SDKs).
    pub connect_timeout: Duration,
    /// How long an attempt waits for its answer: at most this between reads, and at most
    /// `connect_timeout + read_timeout` for the whole attempt, so a silent or trickling endpoint
    /// costs seconds per attempt (default 10 s, as Alibaba's SDKs).
    pub read_timeout: Duration,
    /// The deadline of a call when the caller sets none (see [`Client::with_deadline`](super::Client::with_deadline)).
    pub operation_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Whether credentials from the ECS metadata service must use a session token (IMDSv2),
    /// never falling back to IMDSv1. `None`: `ALIBABA_CLOUD_IMDSV1_DISABLED=true` decides.
    pub imdsv1_disabled: Option<bool>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ram_endpoint: None,
            sts_endpoint: None,
            region: DEFAULT_REGION.into(),
            signature_algorithm: SignatureAlgorithm::default(),
            retry: RetryPolicy::default(),
            // Alibaba's SDKs (alibaba-cloud-sdk-go, the Tea/Darabonba runtimes) default to a
            // 5 s connect timeout and a 10 s read timeout.
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            operation_timeout: Duration::from_secs(300),
            user_agent: format!("terraform-provider-alicr/{}", env!("CARGO_PKG_VERSION")),
            imdsv1_disabled: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_algorithm_names() {
        assert_eq!(
            "HMAC-SHA1".parse::<SignatureAlgorithm>().ok(),
            Some(SignatureAlgorithm::HmacSha1)
        );
        assert_eq!(
            "ACS3-HMAC-SHA256".parse::<SignatureAlgorithm>().ok(),
            Some(SignatureAlgorithm::Acs3HmacSha256)
        );
        assert!("hmac-sha1".parse::<SignatureAlgorithm>().is_err());
        assert_eq!(
            SignatureAlgorithm::Acs3HmacSha256.as_str(),
            "ACS3-HMAC-SHA256"
        );
    }
}
