//! Endpoint URLs: parsing, the https-only rule (plain http only for loopback hosts), and the
//! default RAM and STS endpoints.

use std::net::IpAddr;

use reqwest::Url;

use super::error::Error;

/// The region used when none is configured: STS endpoints and `RegionId` follow it.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// The default RAM endpoint (RAM is a global service).
pub(crate) const DEFAULT_RAM_ENDPOINT: &str = "https://ram.aliyuncs.com";

/// The default STS endpoint of a region.
pub(crate) fn default_sts_endpoint(region: &str) -> String {
    format!("https://sts.{region}.aliyuncs.com")
}

/// A validated endpoint: `https://host[:port]`, or `http://` on a loopback host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
    host: String,
}

impl Endpoint {
    /// Parses an endpoint. A bare host name means https. Rejects plain http on any host that is
    /// not loopback (127.0.0.0/8, ::1, localhost), other schemes, credentials in the URL, paths,
    /// queries and fragments.
    pub fn parse(input: &str) -> Result<Endpoint, Error> {
        // Every message quotes the endpoint, so user information (`https://AK:SECRET@host`)
        // is taken out first.
        let shown = redact_userinfo(input.trim());
        let trimmed = shown.as_str();
        let has_userinfo = shown != input.trim();
        if trimmed.is_empty() {
            return Err(Error::Config("an endpoint is empty".into()));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        if has_userinfo {
            return Err(Error::Config(format!(
                "endpoint {trimmed:?} must not contain user information"
            )));
        }
        let url = Url::parse(&with_scheme)
            .map_err(|e| Error::Config(format!("endpoint {trimmed:?} is not a valid URL: {e}")))?;
        check_shape(trimmed, &url)?;
        if url.port() == Some(0) {
            return Err(Error::Config(format!(
                "endpoint {trimmed:?} has port 0; use a port from 1 to 65535"
            )));
        }
        check_scheme(trimmed, &url)?;
        let host = host_header(&url)
            .ok_or_else(|| Error::Config(format!("endpoint {trimmed:?} has no host")))?;
        Ok(Endpoint { url, host })
    }

    /// The URL requests are sent to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `host[:port]` the `Host` header carries.
    pub fn host(&self) -> &str {
        &self.host
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.url.scheme(), self.host)
    }
}

/// The endpoint with any `user:password@` before the host replaced by `***@`.
fn redact_userinfo(input: &str) -> String {
    let (scheme, rest) = match input.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, input),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((_, host)) = authority.rsplit_once('@') else {
        return input.to_string();
    };
    match scheme {
        Some(scheme) => format!("{scheme}://***@{host}{tail}"),
        None => format!("***@{host}{tail}"),
    }
}

fn check_shape(input: &str, url: &Url) -> Result<(), Error> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "endpoint {input:?} must not contain user information"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "endpoint {input:?} must not have a query or fragment"
        )));
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(Error::Config(format!(
            "endpoint {input:?} must not have a path (RPC APIs are served at /)"
        )));
    }
    Ok(())
}

fn check_scheme(input: &str, url: &Url) -> Result<(), Error> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::Config(format!(
            "endpoint {input:?} uses plain http, which is only accepted for loopback hosts \
             (127.0.0.0/8, ::1, localhost); use https"
        ))),
        other => Err(Error::Config(format!(
            "endpoint {input:?} has unsupported scheme {other:?}; use https"
        ))),
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let unbracketed = host.trim_start_matches('[').trim_end_matches(']');
    match unbracketed.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

fn host_header(url: &Url) -> Option<String> {
    let host = url.host_str().filter(|h| !h.is_empty())?.to_string();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_accepted_and_bare_hosts_mean_https() {
        let e = Endpoint::parse("https://ram.aliyuncs.com").expect("https");
        assert_eq!(e.host(), "ram.aliyuncs.com");
        assert_eq!(e.url().scheme(), "https");
        let bare = Endpoint::parse("ram.vpc-proxy.aliyuncs.com").expect("bare host");
        assert_eq!(bare.url().scheme(), "https");
        assert_eq!(bare.to_string(), "https://ram.vpc-proxy.aliyuncs.com");
    }

    #[test]
    fn http_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1",
            "http://[::1]:9000",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            assert!(Endpoint::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://ram.aliyuncs.com",
            "http://10.0.0.1",
            "http://192.168.1.1:80",
            "http://localhost.example.com",
            "http://[::2]",
        ] {
            let err = Endpoint::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("loopback"), "{err}");
        }
    }

    #[test]
    fn host_header_keeps_port() {
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:4566").expect("ok").host(),
            "127.0.0.1:4566"
        );
        assert_eq!(
            Endpoint::parse("http://[::1]:4566").expect("ok").host(),
            "[::1]:4566"
        );
    }

    #[test]
    fn odd_shapes_are_rejected() {
        for bad in [
            "",
            "ftp://ram.aliyuncs.com",
            "https://user:pw@ram.aliyuncs.com",
            "https://ram.aliyuncs.com/path",
            "https://ram.aliyuncs.com/?a=b",
            "https://",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_information_is_never_quoted() {
        for input in [
            "https://AKID:TopSecret@ram.aliyuncs.com",
            "AKID:TopSecret@ram.aliyuncs.com",
            "http://TopSecret@127.0.0.1:1/x",
        ] {
            let message = Endpoint::parse(input).expect_err(input).to_string();
            assert!(!message.contains("TopSecret"), "{message}");
            assert!(message.contains("user information"), "{message}");
        }
        assert_eq!(redact_userinfo("https://a:b@host/p"), "https://***@host/p");
        assert_eq!(redact_userinfo("https://host/p@q"), "https://host/p@q");
    }

    #[test]
    fn ipv4_mapped_loopback_is_not_loopback() {
        assert!(Endpoint::parse("http://[::ffff:127.0.0.1]:1").is_err());
        assert!(Endpoint::parse("https://host:0").is_err());
    }

    #[test]
    fn default_sts_endpoint_uses_region() {
        assert_eq!(
            default_sts_endpoint("eu-central-1"),
            "https://sts.eu-central-1.aliyuncs.com"
        );
    }
}
