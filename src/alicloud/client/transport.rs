//! The HTTP side of an attempt: the pooled reqwest client and its proxy, reading capped
//! answers, and transport errors that name the timeout that ran out but never the URL.

use std::time::Duration;

use super::proxy::ProxyEnv;
use super::ClientConfig;
use crate::alicloud::credentials::Env;
use crate::alicloud::endpoint::Endpoint;
use crate::alicloud::error::{Error, TransportKind};

/// The largest RAM or STS answer we accept. RAM's largest documents are a few kilobytes; a
/// bigger answer is not RAM's, and reading it whole would only cost memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Why an attempt got no usable answer.
pub(super) enum Sent {
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

pub(super) fn build_http(
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

pub(super) fn transport_error(
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
