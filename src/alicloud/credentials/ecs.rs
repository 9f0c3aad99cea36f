//! Credentials of an ECS instance's RAM role from the metadata service: a session token first
//! (`PUT /latest/api/token`), then `GET /latest/meta-data/ram/security-credentials/<role>` with
//! it; without a token only if the service refuses to issue one.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Url;
use serde::Deserialize;
use tracing::debug;

use super::{Credentials, Fetch, Secret};
use crate::alicloud::error::Error;
use crate::alicloud::lenient;
use crate::alicloud::retry::RetryPolicy;
use crate::alicloud::signer::percent_encode;
use crate::alicloud::sts::parse_expiration;

/// Where the ECS metadata service listens.
pub const DEFAULT_ECS_METADATA_ENDPOINT: &str = "http://100.100.100.200";
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
const TOKEN_TTL_SECONDS: u32 = 21600;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
const ATTEMPTS: u32 = 3;

/// Fetches the credentials of `role_name` from the metadata service.
#[derive(Debug, Clone)]
pub struct EcsMetadataProvider {
    http: reqwest::Client,
    base: Url,
    role_name: String,
}

#[derive(Deserialize)]
#[serde(default, rename_all = "PascalCase")]
#[derive(Default)]
struct MetadataCredentials {
    #[serde(deserialize_with = "lenient::string")]
    code: String,
    #[serde(deserialize_with = "lenient::string")]
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Secret,
    #[serde(deserialize_with = "lenient::string")]
    expiration: String,
}

impl EcsMetadataProvider {
    /// A provider for `role_name`, talking to `endpoint` (normally
    /// [`DEFAULT_ECS_METADATA_ENDPOINT`]) through `http`.
    pub fn new(http: reqwest::Client, endpoint: &str, role_name: &str) -> Result<Self, Error> {
        let base = Url::parse(endpoint).map_err(|e| {
            Error::Config(format!(
                "ECS metadata endpoint {endpoint:?} is not a URL: {e}"
            ))
        })?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(Error::Config(format!(
                "ECS metadata endpoint {endpoint:?} must be an http(s) URL"
            )));
        }
        if role_name.trim().is_empty() {
            return Err(Error::Config("the ECS RAM role name is empty".into()));
        }
        Ok(EcsMetadataProvider {
            http,
            base,
            role_name: role_name.trim().to_string(),
        })
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Config(format!("bad ECS metadata URL: {e}")))
    }

    async fn token(&self) -> Result<String, String> {
        let response = self
            .http
            .put(self.url("/latest/api/token").map_err(|e| e.to_string())?)
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| describe_reqwest(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("token request answered HTTP {}", status.as_u16()));
        }
        let token = response.text().await.map_err(|e| describe_reqwest(&e))?;
        Ok(token.trim().to_string())
    }

    async fn fetch_once(&self) -> Result<Credentials, (Error, bool)> {
        let token = match self.token().await {
            Ok(t) => Some(t),
            Err(why) => {
                debug!(reason = %why, "ECS metadata token unavailable; trying without one");
                None
            }
        };
        let path = format!(
            "/latest/meta-data/ram/security-credentials/{}",
            percent_encode(&self.role_name)
        );
        let mut request = self
            .http
            .get(self.url(&path).map_err(|e| (e, false))?)
            .timeout(REQUEST_TIMEOUT);
        if let Some(t) = &token {
            request = request.header(TOKEN_HEADER, t);
        }
        let response = request
            .send()
            .await
            .map_err(|e| (self.error(&describe_reqwest(&e)), true))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| (self.error(&describe_reqwest(&e)), true))?;
        if !(200..300).contains(&status) {
            return Err((self.error(&format!("HTTP {status}")), status >= 500));
        }
        self.parse(&body).map_err(|e| (e, false))
    }

    fn parse(&self, body: &[u8]) -> Result<Credentials, Error> {
        let parsed: MetadataCredentials = serde_json::from_slice(body)
            .map_err(|_| self.error("the answer is not the expected JSON document"))?;
        if parsed.code != "Success" {
            return Err(self.error(&format!("the answer's Code is {:?}", parsed.code)));
        }
        if parsed.access_key_id.is_empty() || parsed.access_key_secret.is_empty() {
            return Err(self.error("the answer lacks an access key"));
        }
        Ok(Credentials {
            access_key_id: parsed.access_key_id,
            access_key_secret: parsed.access_key_secret,
            security_token: Some(parsed.security_token).filter(|t| !t.is_empty()),
            expiration: Some(parse_expiration(&parsed.expiration)?),
        })
    }

    fn error(&self, what: &str) -> Error {
        Error::Credentials(format!(
            "cannot get credentials of ECS RAM role {:?} from the metadata service at {}: {what}",
            self.role_name,
            self.base.as_str().trim_end_matches('/')
        ))
    }
}

fn describe_reqwest(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        "timed out".into()
    } else if err.is_connect() {
        "cannot connect".into()
    } else {
        "the connection failed".into()
    }
}

#[async_trait]
impl Fetch for EcsMetadataProvider {
    async fn fetch(&self) -> Result<Credentials, Error> {
        let policy = RetryPolicy::default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.fetch_once().await {
                Ok(c) => return Ok(c),
                Err((err, retryable)) if retryable && attempt < ATTEMPTS => {
                    debug!(attempt, error = %err, "retrying the ECS metadata service");
                    tokio::time::sleep(policy.delay(attempt)).await;
                }
                Err((err, _)) => return Err(err),
            }
        }
    }

    fn describe(&self) -> String {
        format!("ECS RAM role {:?} (instance metadata)", self.role_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> EcsMetadataProvider {
        EcsMetadataProvider::new(reqwest::Client::new(), "http://127.0.0.1:1", "EcsRole")
            .expect("provider")
    }

    #[test]
    fn parses_the_metadata_document() {
        let c = provider()
            .parse(
                br#"{"AccessKeyId":"STS.abc","AccessKeySecret":"sekrit","Expiration":"2030-01-01T00:00:00Z",
                     "SecurityToken":"tok","LastUpdated":"2029-12-31T18:00:00Z","Code":"Success"}"#,
            )
            .expect("parse");
        assert_eq!(c.access_key_id, "STS.abc");
        assert_eq!(c.security_token.as_ref().map(Secret::expose), Some("tok"));
        assert!(c.expiration.is_some());
    }

    #[test]
    fn rejects_failures_without_echoing_the_body() {
        let err = provider()
            .parse(br#"{"Code":"Failed","AccessKeySecret":"sekrit"}"#)
            .expect_err("failed code");
        assert!(err.to_string().contains("EcsRole"));
        assert!(!err.to_string().contains("sekrit"));
        assert!(provider()
            .parse(b"not json sekrit")
            .is_err_and(|e| !e.to_string().contains("sekrit")));
    }

    #[test]
    fn validates_inputs() {
        assert!(EcsMetadataProvider::new(reqwest::Client::new(), "ftp://x", "r").is_err());
        assert!(EcsMetadataProvider::new(reqwest::Client::new(), "http://127.0.0.1", " ").is_err());
    }

    #[tokio::test]
    async fn unreachable_service_is_a_credentials_error() {
        let err = provider()
            .fetch()
            .await
            .expect_err("nothing listens on port 1");
        assert!(matches!(err, Error::Credentials(_)));
        assert!(err.to_string().contains("metadata service"));
    }
}
