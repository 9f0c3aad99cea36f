//! The HTTP client for Alibaba Cloud RPC APIs: one pooled reqwest client behind a cheap
//! [`Client`] handle, and the call loop: credentials, a freshly signed attempt, and retries
//! (throttling until the call's deadline, other transient failures bounded by `max_retries` as
//! well). Its parts:
//!
//! - `config`: [`ClientConfig`], the services and signature schemes.
//! - `request`: the action's parameters and the signing of one attempt.
//! - `transport`: the reqwest client, answers capped at 8 MiB, transport errors.
//! - `proxy`: proxies from the environment, for https endpoints only, never loopback ones.
//! - `response`: answers decoded into results or classified errors.

mod config;
mod proxy;
mod request;
mod response;
mod transport;

use std::sync::Arc;

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tokio::time::Instant;
use tracing::debug;

use super::credentials::{CredentialProvider, Credentials, Env, NoCredentials, ProcessEnv};
use super::endpoint::{default_sts_endpoint, Endpoint, DEFAULT_RAM_ENDPOINT};
use super::error::Error;
use super::retry::Backoff;

pub use config::{ClientConfig, Service, SignatureAlgorithm};
pub(crate) use request::Params;
pub use transport::MAX_BODY_BYTES;
pub(crate) use transport::{human, human_bytes, read_capped};

use request::{prepare, Call, Prepared};
use response::{decode, Envelope};
use transport::{build_http, transport_error, Sent};

struct Inner {
    http: reqwest::Client,
    ram: Endpoint,
    sts: Endpoint,
    config: ClientConfig,
}

/// A deadline and how errors name it.
#[derive(Debug, Clone)]
struct Deadline {
    at: Instant,
    name: Arc<str>,
}

impl Deadline {
    fn exceeded(
        &self,
        action: &str,
        attempts: u32,
        outcome_unknown: bool,
        last: Option<Error>,
    ) -> Error {
        Error::DeadlineExceeded {
            action: action.to_string(),
            attempts,
            deadline: self.name.to_string(),
            outcome_unknown,
            last_error: last.map(Box::new),
        }
    }
}

tokio::task_local! {
    /// The deadline of the call whose credentials are being fetched. A call made to get them
    /// (STS `AssumeRole` of the provider's own role) stops at the same time and reports its own
    /// last error, instead of retrying throttling until it is cut off without a word.
    static ENCLOSING_DEADLINE: Deadline;
}

/// A cheap, clonable handle to the Alibaba Cloud client: one connection pool, the validated
/// endpoints, a credential provider and an optional deadline.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    credentials: Arc<dyn CredentialProvider>,
    deadline: Option<Deadline>,
    /// Whether an attempt whose answer was lost may be sent again blindly. Calls that are not
    /// idempotent (a new policy version) turn this off and look at RAM before trying again.
    resend_after_lost_answer: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("ram", &self.inner.ram.to_string())
            .field("sts", &self.inner.sts.to_string())
            .field("region", &self.inner.config.region)
            .field(
                "signature_algorithm",
                &self.inner.config.signature_algorithm,
            )
            .field("credentials", &self.credentials.describe())
            .finish()
    }
}

impl Client {
    /// Builds a client. Validates the endpoints; sends nothing. Until
    /// [`Client::with_credentials`] is used, every call fails for lack of credentials. Proxy
    /// settings come from the process environment (see [`Client::new_with_env`]).
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        Client::new_with_env(config, &ProcessEnv)
    }

    /// Builds a client whose proxy settings come from `env`: `HTTPS_PROXY` (or `ALL_PROXY`)
    /// for https endpoints, except hosts in `NO_PROXY` and loopback hosts. `HTTP_PROXY` is
    /// never used: plain http is only ever sent to loopback endpoints.
    pub fn new_with_env(config: ClientConfig, env: &dyn Env) -> Result<Client, Error> {
        let ram = Endpoint::parse(
            config
                .ram_endpoint
                .as_deref()
                .unwrap_or(DEFAULT_RAM_ENDPOINT),
        )?;
        let sts_default = default_sts_endpoint(&config.region);
        let sts = Endpoint::parse(config.sts_endpoint.as_deref().unwrap_or(&sts_default))?;
        let http = build_http(&config, env, &[&ram, &sts])?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                ram,
                sts,
                config,
            }),
            credentials: Arc::new(NoCredentials("no credentials were configured".into())),
            deadline: None,
            resend_after_lost_answer: true,
        })
    }

    /// The same client (sharing its connection pool) signing with other credentials.
    pub fn with_credentials(&self, credentials: Arc<dyn CredentialProvider>) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            credentials,
            deadline: self.deadline.clone(),
            resend_after_lost_answer: self.resend_after_lost_answer,
        }
    }

    /// The same client, except that a call whose answer was lost is not sent again: it fails
    /// with an unknown outcome, for the caller to look before retrying.
    pub(crate) fn without_resending_lost_calls(&self) -> Client {
        Client {
            resend_after_lost_answer: false,
            ..self.clone()
        }
    }

    /// The same client whose calls (all attempts and backoff together) end at `deadline`.
    pub fn with_deadline(&self, deadline: Instant) -> Client {
        self.with_named_deadline(deadline, "the operation's deadline")
    }

    /// [`Client::with_deadline`], with the words that name the deadline in the error when it
    /// runs out (`Error::DeadlineExceeded { deadline, .. }`, [`Error::deadline`]), e.g.
    /// `timeouts.read (2m)`.
    pub fn with_named_deadline(&self, deadline: Instant, name: impl Into<String>) -> Client {
        Client {
            deadline: Some(Deadline {
                at: deadline,
                name: Arc::from(name.into()),
            }),
            ..self.clone()
        }
    }

    /// This call's deadline: the caller's, else the operation timeout from now; and never later
    /// than that of a call this one is made for (see [`ENCLOSING_DEADLINE`]).
    fn deadline(&self) -> Deadline {
        let own = self.deadline.clone().unwrap_or_else(|| Deadline {
            at: Instant::now() + self.inner.config.operation_timeout,
            name: Arc::from(format!(
                "the client's operation timeout ({})",
                human(self.inner.config.operation_timeout)
            )),
        });
        match ENCLOSING_DEADLINE.try_with(Deadline::clone) {
            Ok(enclosing) if enclosing.at < own.at => enclosing,
            _ => own,
        }
    }

    /// The configured region.
    pub fn region(&self) -> &str {
        &self.inner.config.region
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The credential provider in use.
    pub(crate) fn credential_provider(&self) -> &Arc<dyn CredentialProvider> {
        &self.credentials
    }

    fn endpoint(&self, service: Service) -> &Endpoint {
        match service {
            Service::Ram => &self.inner.ram,
            Service::Sts => &self.inner.sts,
        }
    }

    /// Calls `action` of `service` with `params`, retrying per the policy, and decodes the
    /// answer into `T`. Throttling is retried until the deadline; other transient failures at
    /// most `max_retries` times. Credential errors are final (temporary credentials are fetched
    /// with their own retries, bounded by this call's deadline). When the deadline passes
    /// mid-attempt, or the next backoff would pass it, the error is `DeadlineExceeded`, naming
    /// the deadline and carrying the last attempt's error.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        service: Service,
        action: &'static str,
        params: Params,
    ) -> Result<T, Error> {
        let deadline = self.deadline();
        let mut backoff = Backoff::new(self.inner.config.retry);
        let mut last: Option<Error> = None;
        // Whether an earlier attempt may have taken effect (its answer was lost): the last
        // attempt's error alone must not make the call look like it changed nothing.
        let mut earlier_unknown = false;
        loop {
            let attempt = backoff.start_attempt();
            let fetch = ENCLOSING_DEADLINE.scope(deadline.clone(), self.credentials.credentials());
            let creds = match tokio::time::timeout_at(deadline.at, fetch).await {
                Ok(Ok(creds)) => creds,
                Ok(Err(e)) => {
                    return Err(e.after_unknown_attempt(earlier_unknown, action, attempt - 1))
                }
                Err(_) => {
                    return Err(deadline.exceeded(action, attempt - 1, earlier_unknown, last))
                }
            };
            let outcome = tokio::time::timeout_at(
                deadline.at,
                self.attempt::<T>(service, action, &params, &creds, attempt),
            )
            .await;
            let mut err = match outcome {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(e)) => e,
                Err(_) => return Err(deadline.exceeded(action, attempt, true, last)),
            };
            err.set_attempts(attempt);
            let Some(delay) = err.retry_class().and_then(|class| backoff.retry(class)) else {
                return Err(err.after_unknown_attempt(earlier_unknown, action, attempt));
            };
            if err.is_outcome_unknown() && !self.resend_after_lost_answer {
                return Err(err.after_unknown_attempt(earlier_unknown, action, attempt));
            }
            earlier_unknown |= err.is_outcome_unknown();
            if Instant::now() + delay >= deadline.at {
                return Err(deadline.exceeded(action, attempt, earlier_unknown, Some(err)));
            }
            debug!(action, subject = params.subject(), attempt, delay_ms = delay.as_millis() as u64, error = %err, "retrying");
            last = Some(err);
            tokio::time::sleep(delay).await;
        }
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        service: Service,
        action: &'static str,
        params: &Params,
        creds: &Credentials,
        attempt: u32,
    ) -> Result<T, Error> {
        let endpoint = self.endpoint(service);
        let prepared = prepare(
            self.inner.config.signature_algorithm,
            &Call {
                endpoint,
                service,
                action,
                params,
            },
            creds,
            OffsetDateTime::now_utc(),
            &uuid::Uuid::new_v4().to_string(),
        );
        let started = std::time::Instant::now();
        let (status, body) = match self.send(endpoint, prepared).await {
            Ok(answer) => answer,
            Err(Sent::Failed(e)) => {
                let err = transport_error(action, endpoint, &self.inner.config, &e);
                debug!(action, subject = params.subject(), attempt, error = %err, "request failed");
                return Err(err);
            }
            Err(Sent::TooLarge(status)) => {
                debug!(
                    action,
                    subject = params.subject(),
                    attempt,
                    status,
                    "answer larger than the cap"
                );
                return Err(Error::UnexpectedResponse {
                    action: action.to_string(),
                    http_status: status,
                    message: format!(
                        "the answer is larger than {}, the most this client accepts",
                        human_bytes(MAX_BODY_BYTES)
                    ),
                    attempts: 1,
                });
            }
        };
        let envelope = Envelope::parse(&body);
        debug!(
            action,
            subject = params.subject(),
            attempt,
            status,
            request_id = envelope.request_id.as_str(),
            code = envelope.code.as_str(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "alibaba cloud call"
        );
        decode(action, status, &body, envelope, creds)
    }

    async fn send(&self, endpoint: &Endpoint, prepared: Prepared) -> Result<(u16, Vec<u8>), Sent> {
        let config = &self.inner.config;
        let mut request = self
            .inner
            .http
            .post(endpoint.url().clone())
            // The read timeout restarts with every read; this bounds a trickling answer too.
            .timeout(config.connect_timeout + config.read_timeout);
        for (name, value) in prepared.headers {
            request = request.header(name, value);
        }
        let response = request
            .body(prepared.body)
            .send()
            .await
            .map_err(Sent::Failed)?;
        let status = response.status().as_u16();
        match read_capped(response, MAX_BODY_BYTES).await {
            Ok(Some(body)) => Ok((status, body)),
            Ok(None) => Err(Sent::TooLarge(status)),
            Err(e) => Err(Sent::Failed(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_rejects_plain_http_to_remote_hosts() {
        let config = ClientConfig {
            ram_endpoint: Some("http://ram.aliyuncs.com".into()),
            ..ClientConfig::default()
        };
        let err = Client::new(config).expect_err("http remote");
        assert!(matches!(err, Error::Config(_)));
        let ok = Client::new(ClientConfig {
            ram_endpoint: Some("http://127.0.0.1:1".into()),
            sts_endpoint: Some("http://127.0.0.1:1".into()),
            ..ClientConfig::default()
        });
        assert!(ok.is_ok());
    }

    #[test]
    fn default_sts_endpoint_follows_region() {
        let client = Client::new(ClientConfig {
            region: "eu-central-1".into(),
            ..ClientConfig::default()
        })
        .expect("client");
        assert_eq!(
            client.endpoint(Service::Sts).host(),
            "sts.eu-central-1.aliyuncs.com"
        );
        assert_eq!(client.endpoint(Service::Ram).host(), "ram.aliyuncs.com");
    }
}
