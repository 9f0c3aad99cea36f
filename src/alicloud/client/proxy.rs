//! Which requests go through a proxy from the environment (`HTTPS_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, as curl reads them): https ones to other hosts only.

use crate::alicloud::credentials::Env;
use crate::alicloud::endpoint::is_loopback;
use crate::alicloud::error::Error;

/// The proxy settings of the environment as they apply to RAM and STS: `HTTPS_PROXY` (else
/// `ALL_PROXY`, upper or lower case, as curl reads them) for https endpoints, except the hosts
/// `NO_PROXY` lists and loopback hosts. Never `HTTP_PROXY`: plain http goes only to loopback
/// endpoints (the emulator), and through a proxy it would travel in cleartext.
#[derive(Clone)]
pub(super) struct ProxyEnv {
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

    pub(super) fn read(env: &dyn Env) -> ProxyEnv {
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
    pub(super) fn applies_to(&self, url: &reqwest::Url) -> bool {
        self.proxy.is_some()
            && url.scheme() == "https"
            && !is_loopback(url)
            && !url
                .host_str()
                .is_some_and(|host| self.no_proxy.matches(host))
    }

    /// The proxy's URL. Errors name the variable, never its value (it may hold a password).
    pub(super) fn target(&self) -> Result<reqwest::Url, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alicloud::client::{Client, ClientConfig};

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
}
