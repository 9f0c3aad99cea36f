//! The HTTP client for Alibaba Cloud RPC APIs: configuration, one pooled reqwest client,
//! request signing per attempt (fresh nonce and timestamp), response and error decoding, and the
//! retry loop bounded by `max_retries` and the operation deadline.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::time::Instant;
use tracing::debug;

use super::credentials::{scrub, CredentialProvider, Credentials, NoCredentials};
use super::endpoint::{default_sts_endpoint, Endpoint, DEFAULT_RAM_ENDPOINT};
use super::error::{ApiError, Error, ErrorKind, TransportKind};
use super::retry::RetryPolicy;
use super::signer;

/// The largest response body we accept.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

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
    /// Timeout to establish a connection.
    pub connect_timeout: Duration,
    /// Timeout between reads of a response.
    pub read_timeout: Duration,
    /// The deadline of a call when the caller sets none (see [`Client::with_deadline`]).
    pub operation_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ram_endpoint: None,
            sts_endpoint: None,
            region: "cn-hangzhou".into(),
            signature_algorithm: SignatureAlgorithm::default(),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(300),
            user_agent: format!("terraform-provider-alicr/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

struct Inner {
    http: reqwest::Client,
    ram: Endpoint,
    sts: Endpoint,
    config: ClientConfig,
}

/// A cheap, clonable handle to the Alibaba Cloud client: one connection pool, the validated
/// endpoints, a credential provider and an optional deadline.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    credentials: Arc<dyn CredentialProvider>,
    deadline: Option<Instant>,
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
    /// [`Client::with_credentials`] is used, every call fails for lack of credentials.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        let ram = Endpoint::parse(
            config
                .ram_endpoint
                .as_deref()
                .unwrap_or(DEFAULT_RAM_ENDPOINT),
        )?;
        let sts_default = default_sts_endpoint(&config.region);
        let sts = Endpoint::parse(config.sts_endpoint.as_deref().unwrap_or(&sts_default))?;
        let http = build_http(&config)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                ram,
                sts,
                config,
            }),
            credentials: Arc::new(NoCredentials("no credentials were configured".into())),
            deadline: None,
        })
    }

    /// The same client (sharing its connection pool) signing with other credentials.
    pub fn with_credentials(&self, credentials: Arc<dyn CredentialProvider>) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            credentials,
            deadline: self.deadline,
        }
    }

    /// The same client whose calls (all attempts and backoff together) end at `deadline`.
    pub fn with_deadline(&self, deadline: Instant) -> Client {
        Client {
            deadline: Some(deadline),
            ..self.clone()
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
    pub fn credential_provider(&self) -> &Arc<dyn CredentialProvider> {
        &self.credentials
    }

    /// The pooled HTTP client (shared with the ECS metadata provider).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    fn endpoint(&self, service: Service) -> &Endpoint {
        match service {
            Service::Ram => &self.inner.ram,
            Service::Sts => &self.inner.sts,
        }
    }

    /// Calls `action` of `service` with `params`, retrying per the policy, and decodes the
    /// answer into `T`. Credential errors are final (temporary credentials are fetched with
    /// their own retries). When the next backoff would pass the deadline, the last error is
    /// returned as it is; when the deadline passes mid-attempt, `DeadlineExceeded`.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        service: Service,
        action: &'static str,
        params: Params,
    ) -> Result<T, Error> {
        let deadline = self
            .deadline
            .unwrap_or_else(|| Instant::now() + self.inner.config.operation_timeout);
        let policy = self.inner.config.retry;
        let mut last: Option<Error> = None;
        // Whether an earlier attempt may have taken effect (its answer was lost): the last
        // attempt's error alone must not make the call look like it changed nothing.
        let mut earlier_unknown = false;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let creds =
                match tokio::time::timeout_at(deadline, self.credentials.credentials()).await {
                    Ok(Ok(creds)) => creds,
                    Ok(Err(e)) => {
                        return Err(e.after_unknown_attempt(earlier_unknown, action, attempt - 1))
                    }
                    Err(_) => return Err(deadline_exceeded(action, attempt - 1, last)),
                };
            let outcome = tokio::time::timeout_at(
                deadline,
                self.attempt::<T>(service, action, &params, &creds, attempt),
            )
            .await;
            let mut err = match outcome {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(e)) => e,
                Err(_) => return Err(deadline_exceeded(action, attempt, last)),
            };
            err.set_attempts(attempt);
            if !err.is_retryable() || !policy.allows_retry_after(attempt) {
                return Err(err.after_unknown_attempt(earlier_unknown, action, attempt));
            }
            let delay = policy.delay(attempt);
            if Instant::now() + delay >= deadline {
                return Err(err.after_unknown_attempt(earlier_unknown, action, attempt));
            }
            earlier_unknown |= err.is_outcome_unknown();
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
        let (status, body) = self.send(endpoint, prepared).await.map_err(|e| {
            let err = transport_error(action, endpoint, &e);
            debug!(action, subject = params.subject(), attempt, error = %err, "request failed");
            err
        })?;
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

    async fn send(
        &self,
        endpoint: &Endpoint,
        prepared: Prepared,
    ) -> Result<(u16, Vec<u8>), reqwest::Error> {
        let mut request = self.inner.http.post(endpoint.url().clone());
        for (name, value) in prepared.headers {
            request = request.header(name, value);
        }
        let mut response = request.body(prepared.body).send().await?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body))
    }
}

fn build_http(config: &ClientConfig) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(config.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {}", error_chain(&e))))
}

fn deadline_exceeded(action: &str, attempts: u32, last: Option<Error>) -> Error {
    Error::DeadlineExceeded {
        action: action.to_string(),
        attempts,
        last_error: last.map(Box::new),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn transport_error(action: &str, endpoint: &Endpoint, err: &reqwest::Error) -> Error {
    let kind = if err.is_timeout() {
        TransportKind::Timeout
    } else if err.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    // The URL is the bare endpoint (parameters travel in the body), but leave it out anyway.
    let message = error_chain(&WithoutUrl(err));
    Error::Transport {
        action: action.to_string(),
        endpoint: endpoint.to_string(),
        kind,
        message,
        attempts: 1,
    }
}

/// A reqwest error rendered without its URL (the chain of causes is kept).
struct WithoutUrl<'a>(&'a reqwest::Error);

impl std::fmt::Debug for WithoutUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for WithoutUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = if self.0.is_timeout() {
            "operation timed out"
        } else if self.0.is_connect() {
            "error connecting"
        } else if self.0.is_body() || self.0.is_decode() {
            "error reading the response"
        } else {
            "error sending the request"
        };
        f.write_str(kind)
    }
}

impl std::error::Error for WithoutUrl<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(self.0)
    }
}

/// Request parameters of one action (business parameters only; common ones are added when
/// signing).
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    pub(crate) fn new() -> Params {
        Params(Vec::new())
    }

    /// Adds a parameter.
    pub(crate) fn set(mut self, name: &str, value: impl ToString) -> Params {
        self.0.push((name.to_string(), value.to_string()));
        self
    }

    /// Adds a parameter when it has a value.
    pub(crate) fn set_opt<V: ToString>(self, name: &str, value: Option<V>) -> Params {
        match value {
            Some(v) => self.set(name, v),
            None => self,
        }
    }

    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// The objects a call is about (`RoleName=... PolicyName=...`), so that log lines of calls
    /// made for several resources at once (`for_each`, aliases) can be told apart.
    pub(crate) fn subject(&self) -> String {
        const NAMES: &[&str] = &["RoleName", "PolicyName", "UserName", "GroupName"];
        self.0
            .iter()
            .filter(|(name, _)| {
                NAMES.contains(&name.as_str()) || name.starts_with("ResourceNames.")
            })
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What one call is about, for signing.
pub(crate) struct Call<'a> {
    pub(crate) endpoint: &'a Endpoint,
    pub(crate) service: Service,
    pub(crate) action: &'a str,
    pub(crate) params: &'a Params,
}

/// A signed request ready to send: headers and the form body.
pub(crate) struct Prepared {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Prepared")
            .field("headers", &names)
            .field("body", &"<redacted>")
            .finish()
    }
}

const FORM: &str = "application/x-www-form-urlencoded";

/// Signs one attempt. Pure: the timestamp and nonce are inputs.
pub(crate) fn prepare(
    algorithm: SignatureAlgorithm,
    call: &Call<'_>,
    creds: &Credentials,
    now: OffsetDateTime,
    nonce: &str,
) -> Prepared {
    match algorithm {
        SignatureAlgorithm::HmacSha1 => prepare_rpc(call, creds, now, nonce),
        SignatureAlgorithm::Acs3HmacSha256 => prepare_v3(call, creds, now, nonce),
    }
}

fn prepare_rpc(call: &Call<'_>, creds: &Credentials, now: OffsetDateTime, nonce: &str) -> Prepared {
    let mut params: Vec<(String, String)> = vec![
        ("Action".into(), call.action.into()),
        ("Version".into(), call.service.version().into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), creds.access_key_id.clone()),
        ("SignatureMethod".into(), signer::HMAC_SHA1.into()),
        (
            "SignatureVersion".into(),
            signer::SIGNATURE_VERSION_1_0.into(),
        ),
        ("SignatureNonce".into(), nonce.into()),
        ("Timestamp".into(), signer::format_timestamp(now)),
    ];
    if let Some(token) = &creds.security_token {
        params.push(("SecurityToken".into(), token.expose().into()));
    }
    params.extend(call.params.pairs().iter().cloned());
    let signature = signer::rpc_signature("POST", &params, creds.access_key_secret.expose());
    params.push(("Signature".into(), signature));
    Prepared {
        headers: vec![
            ("content-type".into(), FORM.into()),
            ("accept".into(), "application/json".into()),
        ],
        body: signer::canonical_query(&params),
    }
}

fn prepare_v3(call: &Call<'_>, creds: &Credentials, now: OffsetDateTime, nonce: &str) -> Prepared {
    let body = signer::canonical_query(call.params.pairs());
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), call.endpoint.host().into()),
        ("content-type".into(), FORM.into()),
        ("x-acs-action".into(), call.action.into()),
        ("x-acs-version".into(), call.service.version().into()),
        ("x-acs-date".into(), signer::format_timestamp(now)),
        ("x-acs-signature-nonce".into(), nonce.into()),
        (
            "x-acs-content-sha256".into(),
            signer::sha256_hex(body.as_bytes()),
        ),
    ];
    if let Some(token) = &creds.security_token {
        headers.push(("x-acs-security-token".into(), token.expose().into()));
    }
    let signature = signer::v3_sign(
        &signer::V3Request {
            method: "POST",
            path: "/",
            query: &[],
            headers: &headers,
            body: body.as_bytes(),
        },
        creds.access_key_secret.expose(),
    );
    let authorization = signer::v3_authorization(&creds.access_key_id, &signature);
    // reqwest derives Host from the URL; sending it twice would be wrong.
    headers.retain(|(k, _)| k != "host");
    headers.push(("accept".into(), "application/json".into()));
    headers.push(("authorization".into(), authorization));
    Prepared { headers, body }
}

/// The fields every answer may carry: the request id, and on errors the error document.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Envelope {
    #[serde(rename = "RequestId")]
    pub(crate) request_id: String,
    #[serde(rename = "HostId")]
    host_id: String,
    #[serde(rename = "Code")]
    pub(crate) code: String,
    #[serde(rename = "Message")]
    message: String,
    #[serde(rename = "Recommend")]
    recommend: String,
}

impl Envelope {
    fn parse(body: &[u8]) -> Envelope {
        serde_json::from_slice(body).unwrap_or_default()
    }
}

/// Turns a response into the typed result or the right error.
pub(crate) fn decode<T: DeserializeOwned>(
    action: &str,
    status: u16,
    body: &[u8],
    envelope: Envelope,
    creds: &Credentials,
) -> Result<T, Error> {
    if !envelope.code.is_empty() && !(200..300).contains(&status) {
        return Err(api_error(action, status, envelope, creds));
    }
    if !(200..300).contains(&status) {
        return Err(Error::UnexpectedResponse {
            action: action.to_string(),
            http_status: status,
            message: "the answer is not an Alibaba Cloud error document".into(),
            attempts: 1,
        });
    }
    serde_json::from_slice(body).map_err(|e| Error::UnexpectedResponse {
        action: action.to_string(),
        http_status: status,
        // serde's message can quote the input (which may hold secrets): keep only its position.
        message: format!(
            "the answer does not have the expected shape ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
        attempts: 1,
    })
}

fn api_error(action: &str, status: u16, envelope: Envelope, creds: &Credentials) -> Error {
    let (message, bulk) = split_bulky(&scrub(&envelope.message, creds));
    if let Some(bulk) = bulk {
        // Whoever debugs a signature needs the server's string to sign; the user's terminal
        // does not (kilobytes of doubly encoded policy). It is scrubbed like the message.
        debug!(
            action,
            request_id = envelope.request_id.as_str(),
            code = envelope.code.as_str(),
            server_detail = bulk.as_str(),
            "server error detail left out of the error message"
        );
    }
    Error::Api(Box::new(ApiError {
        action: action.to_string(),
        kind: ErrorKind::from_code(&envelope.code),
        code: envelope.code,
        message,
        request_id: envelope.request_id,
        host_id: envelope.host_id,
        recommend: envelope.recommend,
        http_status: status,
        attempts: 1,
    }))
}

/// The longest server message an error keeps; longer ones are cut, whole in the debug log.
const MAX_MESSAGE_CHARS: usize = 500;

/// Where RAM's `SignatureDoesNotMatch` message starts echoing its string to sign (the whole
/// signed request, so kilobytes with a policy document in it).
const STRING_TO_SIGN: &str = "server string to sign is:";

/// What the error message shows, and the bulky rest of a server message for the debug log:
/// everything from an echoed string to sign on, and anything past [`MAX_MESSAGE_CHARS`].
/// Presentation only: what an error *means* is decided by its code, never by this text.
fn split_bulky(message: &str) -> (String, Option<String>) {
    // ASCII lower-casing keeps byte offsets, so the index is valid in `message`.
    if let Some(at) = message.to_ascii_lowercase().find(STRING_TO_SIGN) {
        let note = "the server's echo of the signed request is in the provider's debug log: \
                    TF_LOG_PROVIDER=debug";
        let shown = match message[..at].trim_end() {
            "" => note.to_string(),
            kept => format!("{kept} ({note})"),
        };
        return (shown, Some(message[at..].to_string()));
    }
    match message.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((at, _)) => (
            format!(
                "{}... (cut; the whole message is in the provider's debug log: TF_LOG_PROVIDER=debug)",
                &message[..at]
            ),
            Some(message.to_string()),
        ),
        None => (message.to_string(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_name_the_objects_a_call_is_about() {
        let params = Params::new()
            .set("PolicyType", "Custom")
            .set("PolicyName", "ThePolicy")
            .set("RoleName", "TheRole")
            .set("PolicyDocument", "{}");
        assert_eq!(params.subject(), "PolicyName=ThePolicy RoleName=TheRole");
        let tags = Params::new()
            .set("ResourceType", "role")
            .set("ResourceNames.1", "TheRole")
            .set("Tag.1.Key", "env");
        assert_eq!(tags.subject(), "ResourceNames.1=TheRole");
        assert_eq!(Params::new().subject(), "");
    }

    fn creds() -> Credentials {
        Credentials::new("AKID", "s3cr3t").with_security_token(Some("tok/+=en".into()))
    }

    fn call_prepared(alg: SignatureAlgorithm) -> Prepared {
        let endpoint = Endpoint::parse("http://127.0.0.1:9999").expect("endpoint");
        let params = Params::new()
            .set("RoleName", "my role")
            .set_opt("Description", None::<String>);
        prepare(
            alg,
            &Call {
                endpoint: &endpoint,
                service: Service::Ram,
                action: "GetRole",
                params: &params,
            },
            &creds(),
            time::macros::datetime!(2024-05-06 07:08:09 UTC),
            "nonce-42",
        )
    }

    fn form(body: &str) -> Vec<(String, String)> {
        body.split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| {
                let dec = |s: &str| {
                    percent_encoding::percent_decode_str(s)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                (dec(k), dec(v))
            })
            .collect()
    }

    #[test]
    fn rpc_request_carries_common_params_and_a_valid_signature() {
        let p = call_prepared(SignatureAlgorithm::HmacSha1);
        let mut fields = form(&p.body);
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("Action").as_deref(), Some("GetRole"));
        assert_eq!(get("Version").as_deref(), Some("2015-05-01"));
        assert_eq!(get("Format").as_deref(), Some("JSON"));
        assert_eq!(get("SignatureNonce").as_deref(), Some("nonce-42"));
        assert_eq!(get("Timestamp").as_deref(), Some("2024-05-06T07:08:09Z"));
        assert_eq!(get("SecurityToken").as_deref(), Some("tok/+=en"));
        assert_eq!(get("RoleName").as_deref(), Some("my role"));
        assert!(get("Description").is_none());
        let signature = get("Signature").expect("signature");
        fields.retain(|(k, _)| k != "Signature");
        assert_eq!(signer::rpc_signature("POST", &fields, "s3cr3t"), signature);
        assert!(p.body.contains("RoleName=my%20role"));
    }

    #[test]
    fn v3_request_has_authorization_over_headers_and_body() {
        let p = call_prepared(SignatureAlgorithm::Acs3HmacSha256);
        assert_eq!(p.body, "RoleName=my%20role");
        let header = |name: &str| {
            p.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("x-acs-action").as_deref(), Some("GetRole"));
        assert_eq!(header("x-acs-version").as_deref(), Some("2015-05-01"));
        assert_eq!(
            header("x-acs-date").as_deref(),
            Some("2024-05-06T07:08:09Z")
        );
        assert_eq!(header("x-acs-signature-nonce").as_deref(), Some("nonce-42"));
        assert_eq!(header("x-acs-security-token").as_deref(), Some("tok/+=en"));
        assert_eq!(
            header("x-acs-content-sha256"),
            Some(signer::sha256_hex(p.body.as_bytes()))
        );
        let auth = header("authorization").expect("authorization");
        assert!(auth.starts_with(
            "ACS3-HMAC-SHA256 Credential=AKID,SignedHeaders=content-type;host;x-acs-action;\
             x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature="
        ));
        // Recompute with the host header put back.
        let mut signed: Vec<(String, String)> = p
            .headers
            .iter()
            .filter(|(k, _)| k.starts_with("x-acs-") || k == "content-type")
            .cloned()
            .collect();
        signed.push(("host".into(), "127.0.0.1:9999".into()));
        let sig = signer::v3_sign(
            &signer::V3Request {
                method: "POST",
                path: "/",
                query: &[],
                headers: &signed,
                body: p.body.as_bytes(),
            },
            "s3cr3t",
        );
        assert!(auth.ends_with(&sig.signature));
        assert!(header("host").is_none());
    }

    #[test]
    fn prepared_debug_hides_body_and_values() {
        let p = call_prepared(SignatureAlgorithm::Acs3HmacSha256);
        let text = format!("{p:?}");
        assert!(!text.contains("tok/+=en"));
        assert!(!text.contains("Signature="));
    }

    #[derive(Debug, Deserialize)]
    struct Answer {
        #[serde(rename = "Value")]
        value: u32,
    }

    fn decode_answer(status: u16, body: &str) -> Result<Answer, Error> {
        decode(
            "GetRole",
            status,
            body.as_bytes(),
            Envelope::parse(body.as_bytes()),
            &creds(),
        )
    }

    #[test]
    fn decode_success_and_errors() {
        assert_eq!(
            decode_answer(200, r#"{"RequestId":"r","Value":3}"#)
                .map(|a| a.value)
                .ok(),
            Some(3)
        );
        let err = decode_answer(
            404,
            r#"{"RequestId":"R1","HostId":"ram.aliyuncs.com","Code":"EntityNotExist.Role","Message":"The role not exists: x.","Recommend":"https://example"}"#,
        )
        .expect_err("error");
        assert!(err.is_not_found());
        let api = err.api().expect("api");
        assert_eq!(api.request_id, "R1");
        assert_eq!(api.host_id, "ram.aliyuncs.com");
        assert_eq!(api.recommend, "https://example");
        assert_eq!(api.http_status, 404);
        let gateway = decode_answer(502, "<html>bad gateway</html>").expect_err("502");
        assert!(gateway.is_retryable());
        assert!(matches!(
            gateway,
            Error::UnexpectedResponse {
                http_status: 502,
                ..
            }
        ));
        let shape = decode_answer(200, r#"{"Value":"very-secret"}"#).expect_err("shape");
        assert!(!shape.to_string().contains("very-secret"));
    }

    #[test]
    fn error_messages_are_scrubbed_of_our_secrets() {
        let err = decode_answer(
            400,
            r#"{"RequestId":"R","Code":"SignatureDoesNotMatch","Message":"server string to sign is:POST&%2F&SecurityToken%3Dtok%252F%252B%253Den"}"#,
        )
        .expect_err("sig");
        assert!(err.is_signature_error());
        assert!(!err.to_string().contains("tok"), "{err}");
    }

    #[test]
    fn the_servers_string_to_sign_is_left_out_of_the_error() {
        let policy = "%257B%2522Statement%2522".repeat(200);
        let body = format!(
            r#"{{"RequestId":"R9","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3DAKID%26PolicyDocument%3D{policy}"}}"#
        );
        let err = decode_answer(400, &body).expect_err("signature");
        assert!(err.is_signature_error());
        let text = err.to_string();
        assert!(!text.contains("string to sign"), "{text}");
        assert!(!text.contains("PolicyDocument"), "{text}");
        assert!(text.starts_with(
            "GetRole failed: SignatureDoesNotMatch: Specified signature is not matched with our calculation. ("
        ));
        assert!(text.contains("debug log"), "{text}");
        assert!(text.contains("RequestId: R9"), "{text}");
        assert!(text.len() < 300, "{} characters: {text}", text.len());
    }

    #[test]
    fn bulky_messages_are_split_for_the_debug_log() {
        let (shown, bulk) = split_bulky("short and to the point");
        assert_eq!(shown, "short and to the point");
        assert_eq!(bulk, None);
        let (shown, bulk) = split_bulky("Mismatch. Server String To Sign Is:GET&%2F&x");
        assert!(shown.starts_with("Mismatch. ("), "{shown}");
        assert_eq!(bulk.as_deref(), Some("Server String To Sign Is:GET&%2F&x"));
        let (shown, bulk) = split_bulky("server string to sign is:GET&%2F&x");
        assert!(shown.starts_with("the server's echo"), "{shown}");
        assert!(bulk.is_some());
        // Cut on a character boundary, whatever the characters.
        let long = "é".repeat(MAX_MESSAGE_CHARS + 1);
        let (shown, bulk) = split_bulky(&long);
        assert!(shown.starts_with(&"é".repeat(MAX_MESSAGE_CHARS)));
        assert!(shown.contains("cut;"), "{shown}");
        assert_eq!(bulk.as_deref(), Some(long.as_str()));
        let exact = "x".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(split_bulky(&exact), (exact.clone(), None));
    }

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
