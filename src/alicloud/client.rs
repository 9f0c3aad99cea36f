//! The HTTP client for Alibaba Cloud RPC APIs: configuration, one pooled reqwest client,
//! request signing per attempt (fresh nonce and timestamp), response and error decoding, and the
//! retry loop: throttling until the call's deadline, other transient failures bounded by
//! `max_retries` as well. Proxies from the environment apply to https endpoints only, never to
//! loopback ones; answers are capped at 8 MiB.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::OffsetDateTime;
use tokio::time::Instant;
use tracing::debug;

use super::credentials::{scrub, CredentialProvider, Credentials, Env, NoCredentials, ProcessEnv};
use super::endpoint::{default_sts_endpoint, is_loopback, Endpoint, DEFAULT_RAM_ENDPOINT};
use super::error::{ApiError, Error, ErrorKind, TransportKind};
use super::retry::{RetryClass, RetryPolicy};
use super::signer;

/// The largest RAM or STS answer we accept. RAM's largest documents are a few kilobytes; a
/// bigger answer is not RAM's, and reading it whole would only cost memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

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
    /// The deadline of a call when the caller sets none (see [`Client::with_deadline`]).
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
            region: "cn-hangzhou".into(),
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
    pub fn without_resending_lost_calls(&self) -> Client {
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
    pub fn credential_provider(&self) -> &Arc<dyn CredentialProvider> {
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
        let policy = self.inner.config.retry;
        let mut last: Option<Error> = None;
        // Whether an earlier attempt may have taken effect (its answer was lost): the last
        // attempt's error alone must not make the call look like it changed nothing.
        let mut earlier_unknown = false;
        let mut attempt: u32 = 0;
        let mut transient_retries: u32 = 0;
        loop {
            attempt += 1;
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
            let class = match err.retry_class() {
                Some(class) if policy.allows(class, transient_retries) => class,
                _ => return Err(err.after_unknown_attempt(earlier_unknown, action, attempt)),
            };
            if err.is_outcome_unknown() && !self.resend_after_lost_answer {
                return Err(err.after_unknown_attempt(earlier_unknown, action, attempt));
            }
            earlier_unknown |= err.is_outcome_unknown();
            let delay = policy.delay(attempt);
            if Instant::now() + delay >= deadline.at {
                return Err(deadline.exceeded(action, attempt, earlier_unknown, Some(err)));
            }
            if class == RetryClass::Transient {
                transient_retries += 1;
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

/// Why an attempt got no usable answer.
enum Sent {
    Failed(reqwest::Error),
    /// The answer (with this HTTP status) was larger than [`MAX_BODY_BYTES`].
    TooLarge(u16),
}

/// Reads a whole answer body of at most `cap` bytes, or `None` as soon as it is known to be
/// larger (from `Content-Length`, or while reading): what was read is dropped and the connection
/// with it, so a flood costs at most `cap` plus one chunk of memory.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    let announced = response.content_length();
    if announced.is_some_and(|n| n > cap as u64) {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// `8 MiB`, `64 KiB`: a byte cap as error messages name it.
pub(crate) fn human_bytes(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// `5m`, `10s`, `250ms`: a duration as error messages name it.
pub(crate) fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() != 0 {
        format!("{}ms", d.as_millis())
    } else if secs >= 60 && secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

fn build_http(
    config: &ClientConfig,
    env: &dyn Env,
    endpoints: &[&Endpoint],
) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .read_timeout(config.read_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .user_agent(config.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        // reqwest's own reading of the environment would send plain http (the loopback
        // emulator) through HTTP_PROXY/ALL_PROXY; the proxy is chosen below instead.
        .no_proxy();
    let proxies = ProxyEnv::read(env);
    if endpoints.iter().any(|e| proxies.applies_to(e.url())) {
        let target = proxies.target()?;
        builder = builder.proxy(reqwest::Proxy::custom(move |url| {
            proxies.applies_to(url).then(|| target.clone())
        }));
    }
    builder
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {}", error_chain(&e))))
}

/// The proxy settings of the environment as they apply to RAM and STS: `HTTPS_PROXY` (else
/// `ALL_PROXY`, upper or lower case, as curl reads them) for https endpoints, except the hosts
/// `NO_PROXY` lists and loopback hosts. Never `HTTP_PROXY`: plain http goes only to loopback
/// endpoints (the emulator), and through a proxy it would travel in cleartext.
#[derive(Clone)]
pub(crate) struct ProxyEnv {
    proxy: Option<(&'static str, String)>,
    no_proxy: NoProxy,
}

impl std::fmt::Debug for ProxyEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The proxy URL may carry a user and password.
        f.debug_struct("ProxyEnv")
            .field("proxy", &self.proxy.as_ref().map(|(name, _)| *name))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl ProxyEnv {
    const PROXY_VARS: [&'static str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];

    pub(crate) fn read(env: &dyn Env) -> ProxyEnv {
        let set = |name: &'static str| {
            env.var(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(|v| (name, v))
        };
        let proxy = Self::PROXY_VARS.iter().find_map(|name| set(name));
        let no_proxy = set("NO_PROXY")
            .or_else(|| set("no_proxy"))
            .map(|(_, list)| NoProxy::parse(&list))
            .unwrap_or_default();
        ProxyEnv { proxy, no_proxy }
    }

    /// Whether a request to `url` goes through the proxy.
    pub(crate) fn applies_to(&self, url: &reqwest::Url) -> bool {
        self.proxy.is_some()
            && url.scheme() == "https"
            && !is_loopback(url)
            && !url
                .host_str()
                .is_some_and(|host| self.no_proxy.matches(host))
    }

    /// The proxy's URL. Errors name the variable, never its value (it may hold a password).
    fn target(&self) -> Result<reqwest::Url, Error> {
        let Some((name, value)) = &self.proxy else {
            return Err(Error::Config("no proxy is configured".into()));
        };
        let with_scheme = if value.contains("://") {
            value.clone()
        } else {
            format!("http://{value}")
        };
        match reqwest::Url::parse(&with_scheme) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                Ok(url)
            }
            Ok(url) => Err(Error::Config(format!(
                "the proxy in {name} uses the scheme {:?}; this provider supports http:// and https:// \
                 proxies (list the endpoint's host in NO_PROXY to connect directly)",
                url.scheme()
            ))),
            Err(_) => Err(Error::Config(format!(
                "the proxy in {name} is not a URL like http://proxy.example.com:3128"
            ))),
        }
    }
}

/// A `NO_PROXY` list as curl reads it: comma-separated host names (each also matching its
/// subdomains, a leading dot allowed), IP addresses, CIDR ranges, or `*` for every host.
#[derive(Debug, Clone, Default)]
struct NoProxy {
    every_host: bool,
    domains: Vec<String>,
    networks: Vec<(std::net::IpAddr, u8)>,
}

impl NoProxy {
    fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for entry in list.split([',', ' ', '\t']).map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                out.every_host = true;
                continue;
            }
            let (address, prefix) = match entry.split_once('/') {
                Some((address, prefix)) => (address, prefix.parse::<u8>().ok()),
                None => (entry, None),
            };
            let bare = address.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
                let full = if ip.is_ipv4() { 32 } else { 128 };
                out.networks.push((ip, prefix.unwrap_or(full).min(full)));
                continue;
            }
            out.domains
                .push(entry.trim_start_matches('.').to_ascii_lowercase());
        }
        out
    }

    fn matches(&self, host: &str) -> bool {
        if self.every_host {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
            return self
                .networks
                .iter()
                .any(|(net, prefix)| in_network(ip, *net, *prefix));
        }
        let host = bare.trim_end_matches('.').to_ascii_lowercase();
        self.domains.iter().any(|domain| {
            host == *domain
                || host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }
}

fn in_network(ip: std::net::IpAddr, net: std::net::IpAddr, prefix: u8) -> bool {
    use std::net::IpAddr;
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
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

fn transport_error(
    action: &str,
    endpoint: &Endpoint,
    config: &ClientConfig,
    err: &reqwest::Error,
) -> Error {
    let kind = if err.is_timeout() {
        TransportKind::Timeout
    } else if err.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    // Name the timeout that ran out, so that a silent endpoint reads as one. The URL is the
    // bare endpoint (parameters travel in the body), but leave it out anyway.
    let message = match kind {
        TransportKind::Timeout if err.is_connect() => format!(
            "could not connect within the {} connect timeout",
            human(config.connect_timeout)
        ),
        TransportKind::Timeout => format!(
            "no answer within the answer timeout of an attempt ({} between reads, {} in all)",
            human(config.read_timeout),
            human(config.connect_timeout + config.read_timeout)
        ),
        _ => error_chain(&WithoutUrl(err)),
    };
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
        after_lost_answer: false,
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
    fn attempts_time_out_in_seconds_like_alibabas_sdks() {
        let config = ClientConfig::default();
        assert_eq!(config.connect_timeout, Duration::from_secs(5));
        assert_eq!(config.read_timeout, Duration::from_secs(10));
        assert_eq!(config.imdsv1_disabled, None);
        assert_eq!(human(Duration::from_secs(300)), "5m");
        assert_eq!(human(Duration::from_secs(10)), "10s");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human_bytes(MAX_BODY_BYTES), "8 MiB");
        assert_eq!(human_bytes(64 * 1024), "64 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).expect("url")
    }

    #[test]
    fn http_proxy_and_all_proxy_never_carry_plain_http_or_loopback() {
        use crate::alicloud::credentials::MapEnv;
        let env = MapEnv::new()
            .with("HTTP_PROXY", "http://127.0.0.1:3128")
            .with("http_proxy", "http://127.0.0.1:3128")
            .with("ALL_PROXY", "http://127.0.0.1:3128")
            .with("all_proxy", "http://127.0.0.1:3128");
        let proxies = ProxyEnv::read(&env);
        for plain in [
            "http://127.0.0.1:8400/",
            "http://localhost:8400/",
            "http://[::1]:8400/",
            "http://100.100.100.200/",
        ] {
            assert!(!proxies.applies_to(&url(plain)), "{plain}");
        }
        for loopback in [
            "https://127.0.0.1:8443/",
            "https://127.9.9.9/",
            "https://localhost/",
            "https://[::1]/",
        ] {
            assert!(!proxies.applies_to(&url(loopback)), "{loopback}");
        }
        // ALL_PROXY still serves https to other hosts, as curl does.
        assert!(proxies.applies_to(&url("https://ram.aliyuncs.com/")));
        let only_http = ProxyEnv::read(&MapEnv::new().with("HTTP_PROXY", "http://127.0.0.1:3128"));
        assert!(!only_http.applies_to(&url("https://ram.aliyuncs.com/")));
    }

    #[test]
    fn https_proxy_honours_no_proxy_as_curl_does() {
        use crate::alicloud::credentials::MapEnv;
        let proxies = |no_proxy: &str| {
            ProxyEnv::read(
                &MapEnv::new()
                    .with("https_proxy", "proxy.corp:3128")
                    .with("no_proxy", no_proxy),
            )
        };
        let ram = url("https://ram.aliyuncs.com/");
        let sts = url("https://sts.cn-hangzhou.aliyuncs.com/");
        let private = url("https://10.1.2.3/");
        assert!(proxies("").applies_to(&ram));
        assert!(!proxies("aliyuncs.com").applies_to(&ram));
        assert!(!proxies(".aliyuncs.com").applies_to(&sts));
        assert!(!proxies("RAM.ALIYUNCS.COM").applies_to(&ram));
        assert!(proxies("ram.aliyuncs.com").applies_to(&sts));
        assert!(
            proxies("yuncs.com").applies_to(&ram),
            "suffixes match at dots only"
        );
        assert!(!proxies("*").applies_to(&ram));
        assert!(!proxies("example.com, 10.0.0.0/8").applies_to(&private));
        assert!(!proxies("10.1.2.3").applies_to(&private));
        assert!(proxies("10.1.2.4, 10.2.0.0/16").applies_to(&private));
        assert!(!proxies("::/0").applies_to(&url("https://[2001:db8::1]/")));
        assert!(proxies("10.0.0.0/8").applies_to(&url("https://[2001:db8::1]/")));
        // NO_PROXY wins over no_proxy, as reqwest and curl read them.
        let both = ProxyEnv::read(
            &MapEnv::new()
                .with("HTTPS_PROXY", "http://proxy.corp:3128")
                .with("NO_PROXY", "aliyuncs.com")
                .with("no_proxy", "example.com"),
        );
        assert!(!both.applies_to(&ram));
    }

    #[test]
    fn an_unusable_proxy_is_an_error_only_where_it_would_be_used_and_is_never_quoted() {
        use crate::alicloud::credentials::MapEnv;
        let env = MapEnv::new().with("ALL_PROXY", "socks5://user:pa55word@127.0.0.1:1080");
        let err = Client::new_with_env(ClientConfig::default(), &env).expect_err("socks");
        let text = err.to_string();
        assert!(
            text.contains("ALL_PROXY") && text.contains("socks5"),
            "{text}"
        );
        assert!(!text.contains("pa55word"), "{text}");
        let garbage = MapEnv::new().with("HTTPS_PROXY", "http://user:pa55word@[bad");
        let err = Client::new_with_env(ClientConfig::default(), &garbage).expect_err("garbage");
        assert!(!err.to_string().contains("pa55word"), "{err}");
        assert!(!format!("{:?}", ProxyEnv::read(&garbage)).contains("pa55word"));
        // The emulator's loopback endpoints never use it, so nothing to refuse.
        let local = ClientConfig {
            ram_endpoint: Some("http://127.0.0.1:1".into()),
            sts_endpoint: Some("http://127.0.0.1:1".into()),
            ..ClientConfig::default()
        };
        assert!(Client::new_with_env(local.clone(), &env).is_ok());
        assert!(Client::new_with_env(local, &garbage).is_ok());
        let bare = MapEnv::new().with("HTTPS_PROXY", "proxy.corp:3128");
        assert!(Client::new_with_env(ClientConfig::default(), &bare).is_ok());
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
