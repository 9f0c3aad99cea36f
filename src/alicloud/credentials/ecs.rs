//! Credentials of an ECS instance's RAM role from the metadata service: a session token first
//! (`PUT /latest/api/token`, IMDSv2), then `GET /latest/meta-data/ram/security-credentials/<role>`
//! with it; without a token (IMDSv1) only if the service refuses to issue one (HTTP 403, 404 or
//! 405), and never when IMDSv1 is disabled. The metadata service is never reached through a
//! proxy, and its answers are capped at 64 KiB.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Url;
use serde::Deserialize;
use tracing::{debug, warn};

use super::{Credentials, Env, Fetch, Secret};
use crate::alicloud::client::{human_bytes, read_capped};
use crate::alicloud::error::Error;
use crate::alicloud::lenient;
use crate::alicloud::retry::{Backoff, RetryClass, RetryPolicy};
use crate::alicloud::signer::percent_encode;
use crate::alicloud::sts::parse_expiration;

/// Where the ECS metadata service listens.
pub(crate) const DEFAULT_ECS_METADATA_ENDPOINT: &str = "http://100.100.100.200";
/// The environment variable that forbids IMDSv1 when it is `true`, as in Alibaba's SDKs.
pub(crate) const IMDSV1_DISABLED_ENV: &str = "ALIBABA_CLOUD_IMDSV1_DISABLED";
/// The largest metadata answer we accept: a credentials document is well under 2 KiB.
pub(crate) const MAX_METADATA_BYTES: usize = 64 * 1024;
const TOKEN_TTL_HEADER: &str = "X-aliyun-ecs-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "X-aliyun-ecs-metadata-token";
const TOKEN_TTL_SECONDS: u32 = 21600;
/// Retries after the first attempt: three attempts in all.
const RETRIES: u32 = 2;

/// Whether `env` forbids IMDSv1 (`ALIBABA_CLOUD_IMDSV1_DISABLED=true`, any case).
pub(crate) fn imdsv1_disabled_in(env: &dyn Env) -> bool {
    env.var(IMDSV1_DISABLED_ENV)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// How the metadata service is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsMetadataOptions {
    /// Never ask without a session token (IMDSv1), even when the service refuses to issue one.
    pub imdsv1_disabled: bool,
    /// Timeout to connect (the service is link-local: it answers at once or not at all).
    pub connect_timeout: Duration,
    /// Timeout of each request, answer included.
    pub request_timeout: Duration,
}

impl Default for EcsMetadataOptions {
    fn default() -> Self {
        EcsMetadataOptions {
            imdsv1_disabled: false,
            // Alibaba's credentials SDKs use 1 s to connect; the answer gets more room here
            // because a refresh that fails costs a whole Terraform run.
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(5),
        }
    }
}

/// Fetches the credentials of `role_name` from the metadata service.
#[derive(Debug, Clone)]
pub struct EcsMetadataProvider {
    http: reqwest::Client,
    base: Url,
    role_name: String,
    options: EcsMetadataOptions,
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

/// Why no session token was issued.
enum TokenFailure {
    /// The service refuses IMDSv2 (HTTP 403, 404, 405): it may serve IMDSv1.
    Refused(u16),
    /// Anything else: no answer, a broken one, another status. Says nothing about IMDSv1.
    Failed { why: String, retryable: bool },
}

impl EcsMetadataProvider {
    /// A provider for `role_name`, talking to `endpoint` (normally
    /// `DEFAULT_ECS_METADATA_ENDPOINT`) with its own HTTP client, which never uses a proxy
    /// (the answers carry credentials, and a proxy could hand back credentials of its choice)
    /// and never follows redirects.
    pub fn new(
        endpoint: &str,
        role_name: &str,
        options: EcsMetadataOptions,
    ) -> Result<Self, Error> {
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
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|_| Error::Config("cannot build the ECS metadata HTTP client".into()))?;
        Ok(EcsMetadataProvider {
            http,
            base,
            role_name: role_name.trim().to_string(),
            options,
        })
    }

    fn url(&self, path: &str) -> Result<Url, Error> {
        self.base
            .join(path)
            .map_err(|e| Error::Config(format!("bad ECS metadata URL: {e}")))
    }

    async fn token(&self) -> Result<String, TokenFailure> {
        let failed = |why: String, retryable: bool| TokenFailure::Failed { why, retryable };
        let url = self
            .url("/latest/api/token")
            .map_err(|e| failed(e.to_string(), false))?;
        let response = self
            .http
            .put(url)
            .header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string())
            .timeout(self.options.request_timeout)
            .send()
            .await
            .map_err(|e| failed(describe_reqwest(&e), true))?;
        let status = response.status().as_u16();
        // Forbidden, Not Found, Method Not Allowed: the service does not do IMDSv2.
        if (403..=405).contains(&status) {
            return Err(TokenFailure::Refused(status));
        }
        if !(200..300).contains(&status) {
            return Err(failed(format!("HTTP {status}"), status >= 500));
        }
        let body = read_capped(response, MAX_METADATA_BYTES)
            .await
            .map_err(|e| failed(describe_reqwest(&e), true))?
            .ok_or_else(|| failed(too_large(), false))?;
        let token = String::from_utf8(body)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        if token.is_empty() {
            return Err(failed("the token is empty or not text".into(), false));
        }
        Ok(token)
    }

    /// The session token, `None` to go on without one (IMDSv1), or why neither is possible
    /// (with whether another attempt may help).
    async fn token_or_v1(&self) -> Result<Option<String>, (Error, bool)> {
        match self.token().await {
            Ok(token) => Ok(Some(token)),
            Err(TokenFailure::Refused(status)) if !self.options.imdsv1_disabled => {
                warn!(
                    role = %self.role_name,
                    status,
                    "the ECS metadata service refuses to issue a session token (IMDSv2); asking \
                     without one (IMDSv1). Set {IMDSV1_DISABLED_ENV}=true to forbid this"
                );
                Ok(None)
            }
            Err(TokenFailure::Refused(status)) => Err((
                self.error(&format!(
                    "the service refuses to issue a session token (HTTP {status}), and IMDSv1 is \
                     disabled ({IMDSV1_DISABLED_ENV}=true), so credentials are not requested without one"
                )),
                false,
            )),
            Err(TokenFailure::Failed { why, retryable }) => {
                let rule = if self.options.imdsv1_disabled {
                    format!("IMDSv1 is disabled ({IMDSV1_DISABLED_ENV}=true)")
                } else {
                    "IMDSv1 is only used when the service refuses tokens (HTTP 403, 404 or 405)"
                        .to_string()
                };
                Err((
                    self.error(&format!("cannot get a session token: {why}; {rule}")),
                    retryable,
                ))
            }
        }
    }

    async fn fetch_once(&self) -> Result<Credentials, (Error, bool)> {
        let token = self.token_or_v1().await?;
        let path = format!(
            "/latest/meta-data/ram/security-credentials/{}",
            percent_encode(&self.role_name)
        );
        let mut request = self
            .http
            .get(self.url(&path).map_err(|e| (e, false))?)
            .timeout(self.options.request_timeout);
        if let Some(t) = &token {
            request = request.header(TOKEN_HEADER, t);
        }
        let response = request
            .send()
            .await
            .map_err(|e| (self.error(&describe_reqwest(&e)), true))?;
        let status = response.status().as_u16();
        let body = read_capped(response, MAX_METADATA_BYTES)
            .await
            .map_err(|e| (self.error(&describe_reqwest(&e)), true))?
            .ok_or_else(|| (self.error(&too_large()), false))?;
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

fn too_large() -> String {
    format!(
        "the answer is larger than {}, the most accepted from the metadata service",
        human_bytes(MAX_METADATA_BYTES)
    )
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
        let mut backoff = Backoff::new(RetryPolicy {
            max_retries: RETRIES,
            ..RetryPolicy::default()
        });
        loop {
            let attempt = backoff.start_attempt();
            let (err, retryable) = match self.fetch_once().await {
                Ok(c) => return Ok(c),
                Err(failure) => failure,
            };
            // Every retryable failure here is transient: the budget bounds them all.
            match retryable
                .then(|| backoff.retry(RetryClass::Transient))
                .flatten()
            {
                Some(delay) => {
                    debug!(attempt, error = %err, "retrying the ECS metadata service");
                    tokio::time::sleep(delay).await;
                }
                None => return Err(err),
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
        EcsMetadataProvider::new(
            "http://127.0.0.1:1",
            "EcsRole",
            EcsMetadataOptions::default(),
        )
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
        let options = EcsMetadataOptions::default;
        assert!(EcsMetadataProvider::new("ftp://x", "r", options()).is_err());
        assert!(EcsMetadataProvider::new("http://127.0.0.1", " ", options()).is_err());
    }

    #[test]
    fn imdsv1_is_disabled_only_by_true() {
        use crate::alicloud::credentials::MapEnv;
        assert!(!imdsv1_disabled_in(&MapEnv::new()));
        for yes in ["true", "TRUE", " True "] {
            assert!(imdsv1_disabled_in(
                &MapEnv::new().with(IMDSV1_DISABLED_ENV, yes)
            ));
        }
        for no in ["false", "", "0", "yes"] {
            assert!(!imdsv1_disabled_in(
                &MapEnv::new().with(IMDSV1_DISABLED_ENV, no)
            ));
        }
    }

    #[tokio::test]
    async fn unreachable_service_is_a_credentials_error() {
        let err = provider()
            .fetch()
            .await
            .expect_err("nothing listens on port 1");
        assert!(matches!(err, Error::Credentials(_)));
        assert!(err.to_string().contains("metadata service"));
        // A connection error is no refusal of IMDSv2: no fallback to IMDSv1.
        assert!(
            err.to_string().contains("cannot get a session token"),
            "{err}"
        );
    }
}
