//! The unsigned admin API under `/_emulator/`: a view of the account (`state`), call counters
//! (`calls`), `reset`, and the live fault configuration (`faults`).
//!
//! # Who may call it
//!
//! The API has no credentials, so a web page in the user's browser must not be able to use it
//! while the emulator runs (`make demo`). [`refusal`] enforces two rules before any handler runs:
//!
//! - **Loopback `Host` only** (`localhost`, `127.0.0.0/8`, `[::1]`, any port). A page that
//!   rebinds its own DNS name to 127.0.0.1 sends its name as `Host`, so DNS rebinding is refused.
//! - **No request a page can send cross-site without asking.** Browsers send a cross-site
//!   request without a CORS preflight only if its body is `text/plain`,
//!   `application/x-www-form-urlencoded` or `multipart/form-data`, or has no `Content-Type` at
//!   all. So a request that changes something (any method but GET/HEAD) must either carry
//!   `Content-Type: application/json`, which forces a preflight that the emulator never
//!   approves, or have no body at all (a bodiless `POST /_emulator/reset` from curl or reqwest)
//!   and no sign of a browser's cross-origin request (`Origin` other than the emulator's own,
//!   `Sec-Fetch-Site` other than `same-origin`/`none`; browsers send these on every cross-origin
//!   POST).
//!
//! The RAM/STS API is not behind these rules: Alibaba's SDKs send the endpoint's own host name
//! and form bodies, and every call there is signed.

use std::net::{Ipv4Addr, Ipv6Addr};

use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{HeaderMap, Uri};
use serde_json::{json, Value};

use crate::faults::Faults;
use crate::model::Account;
use crate::reply::HttpReply;
use crate::store::Store;

/// Handles a request under `/_emulator/`.
pub async fn handle(method: &str, path: &str, body: &[u8], store: &Store) -> HttpReply {
    match (method, path.trim_end_matches('/')) {
        ("GET", "/_emulator/state") => HttpReply::json(200, &store.read(state_json)),
        ("GET", "/_emulator/calls") => HttpReply::json(200, &json!(store.calls())),
        ("POST", "/_emulator/reset") => match store.reset().await {
            Ok(()) => HttpReply::json(200, &json!({ "reset": true })),
            Err(e) => HttpReply::json(500, &json!({ "error": e.message })),
        },
        ("GET", "/_emulator/faults") => HttpReply::json(200, &json!(store.faults())),
        ("POST", "/_emulator/faults") => set_faults(body, store),
        (_, "/_emulator/state" | "/_emulator/calls" | "/_emulator/reset" | "/_emulator/faults") => {
            HttpReply::json(405, &json!({ "error": "method not allowed" }))
        }
        _ => HttpReply::json(404, &json!({ "error": "unknown admin endpoint" })),
    }
}

/// A 403 answer when the request may not use the admin API (see the module documentation),
/// `None` when it may.
pub fn refusal(method: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<HttpReply> {
    let reason = refusal_reason(method, uri, headers, body)?;
    tracing::warn!(%method, path = uri.path(), %reason, "refused an admin request");
    Some(HttpReply::json(
        403,
        &json!({ "error": format!("admin API refused this request: {reason}") }),
    ))
}

fn refusal_reason(method: &str, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<String> {
    let hosts: Vec<&str> = headers
        .get_all(HOST)
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
        .collect();
    let host = match hosts.as_slice() {
        [host] => *host,
        [] => return Some("no Host header; use http://127.0.0.1:PORT".into()),
        _ => return Some("more than one Host header".into()),
    };
    // An absolute-form target (`POST http://name/...`) names the host the client meant.
    let targets = std::iter::once(host).chain(uri.authority().map(|a| a.as_str()));
    for target in targets {
        if !is_loopback_authority(target) {
            return Some(format!(
                "Host {target:?} is not a loopback name or address (localhost, 127.0.0.0/8, \
                 [::1]); call the admin API at http://127.0.0.1:PORT"
            ));
        }
    }
    if matches!(method, "GET" | "HEAD") {
        return None;
    }
    let content_types: Vec<&[u8]> = headers
        .get_all(CONTENT_TYPE)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    match content_types.as_slice() {
        [] if body.is_empty() => {}
        [] => {
            return Some(
                "a body without Content-Type; send JSON with Content-Type: application/json".into(),
            )
        }
        [one] if is_json_media_type(one) => {}
        _ => {
            let shown: Vec<String> = content_types
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect();
            return Some(format!(
                "Content-Type: {}; admin requests that send a body take \
                 Content-Type: application/json",
                shown.join(", ")
            ));
        }
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return Some(format!(
                "a cross-site request from a browser (Sec-Fetch-Site: {})",
                String::from_utf8_lossy(site.as_bytes())
            ));
        }
    }
    if let Some(origin) = headers.get("origin") {
        let origin = String::from_utf8_lossy(origin.as_bytes());
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let same_origin = authority.is_some_and(|a| a.eq_ignore_ascii_case(host));
        if !same_origin {
            return Some(format!(
                "a cross-origin request from a browser (Origin: {origin})"
            ));
        }
    }
    None
}

/// Whether `authority` (`host[:port]`, as in a `Host` header) names the loopback interface:
/// `localhost`, an IPv4 address in 127.0.0.0/8, or `[::1]` (also as `[::ffff:127.x.y.z]`).
/// Anything else, including names that merely resolve to 127.0.0.1 today, is not loopback:
/// a name's owner can point it anywhere, which is what DNS rebinding does.
pub fn is_loopback_authority(authority: &str) -> bool {
    let (host_is_loopback, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let Some((inside, after)) = bracketed.split_once(']') else {
                return false;
            };
            let loopback = inside
                .parse::<Ipv6Addr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback());
            let port = if after.is_empty() {
                Some("")
            } else {
                after.strip_prefix(':')
            };
            (loopback, port)
        }
        None => {
            let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
            (loopback, Some(port))
        }
    };
    host_is_loopback && port.is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// `application/json`, with any parameters (`; charset=utf-8`), in any case.
fn is_json_media_type(value: &[u8]) -> bool {
    let text = String::from_utf8_lossy(value);
    let media_type = text.split(';').next().unwrap_or_default().trim();
    media_type.eq_ignore_ascii_case("application/json")
}

fn set_faults(body: &[u8], store: &Store) -> HttpReply {
    match serde_json::from_slice::<Faults>(body) {
        Ok(faults) => {
            store.set_faults(faults);
            HttpReply::json(200, &json!(store.faults()))
        }
        Err(e) => HttpReply::json(400, &json!({ "error": format!("invalid faults: {e}") })),
    }
}

/// The account as `{"roles":[…], "policies":[…], "attachments":[…]}`, sorted by name.
pub fn state_json(account: &Account) -> Value {
    let roles: Vec<Value> = account
        .roles
        .values()
        .map(|r| {
            json!({
                "RoleName": r.role_name,
                "RoleId": r.role_id,
                "Arn": r.arn,
                "AssumeRolePolicyDocument": r.assume_role_policy_document,
                "Description": r.description,
                "MaxSessionDuration": r.max_session_duration,
                "CreateDate": r.create_date,
                "UpdateDate": r.update_date,
                "Tags": r.tags,
            })
        })
        .collect();
    let policies: Vec<Value> = account
        .policies
        .values()
        .map(|p| {
            let versions: Vec<Value> = p
                .versions
                .iter()
                .map(|v| {
                    json!({
                        "VersionId": v.version_id,
                        "PolicyDocument": v.policy_document,
                        "IsDefaultVersion": v.version_id == p.default_version,
                        "CreateDate": v.create_date,
                    })
                })
                .collect();
            json!({
                "PolicyName": p.policy_name,
                "Description": p.description,
                "DefaultVersion": p.default_version,
                "Versions": versions,
                "Tags": p.tags,
            })
        })
        .collect();
    let mut attachments: Vec<Value> = account
        .attachments
        .iter()
        .map(|a| {
            json!({
                "RoleName": a.role_name,
                "PolicyName": a.policy_name,
                "PolicyType": a.policy_type.as_str(),
            })
        })
        .collect();
    attachments.sort_by_key(|a| a.to_string());
    json!({ "roles": roles, "policies": policies, "attachments": attachments })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_authorities() {
        for yes in [
            "localhost",
            "LOCALHOST:8080",
            "127.0.0.1",
            "127.0.0.1:1",
            "127.255.0.9:65535",
            "[::1]",
            "[::1]:443",
            "[0:0:0:0:0:0:0:1]:80",
            "[::ffff:127.0.0.1]:80",
            "localhost:",
        ] {
            assert!(is_loopback_authority(yes), "{yes}");
        }
        for no in [
            "",
            ":80",
            "evil.example",
            "evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "sub.localhost",
            "localhost.",
            "0.0.0.0",
            "10.0.0.1:80",
            "128.0.0.1",
            "127.1",
            "0177.0.0.1",
            "2130706433",
            "[::]",
            "[::2]:80",
            "[::1",
            "[::1]x",
            "[::1]:8x",
            "::1",
            "localhost:80:80",
            "localhost:http",
            "user@127.0.0.1",
        ] {
            assert!(!is_loopback_authority(no), "{no}");
        }
    }

    fn request(
        method: &str,
        uri: &str,
        headers: &[(&'static str, &'static str)],
        body: &[u8],
    ) -> Option<String> {
        let uri: Uri = uri.parse().expect("uri");
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, hyper::header::HeaderValue::from_static(value));
        }
        refusal_reason(method, &uri, &map, body)
    }

    #[test]
    fn json_or_bodiless_from_loopback_is_allowed() {
        let host = ("host", "127.0.0.1:4000");
        assert_eq!(request("GET", "/_emulator/state", &[host], b""), None);
        assert_eq!(request("POST", "/_emulator/reset", &[host], b""), None);
        let json = ("content-type", "application/json");
        assert_eq!(
            request("POST", "/_emulator/faults", &[host, json], b"{}"),
            None
        );
        let json_utf8 = ("content-type", "Application/JSON; charset=utf-8");
        assert_eq!(
            request("POST", "/_emulator/faults", &[host, json_utf8], b"{}"),
            None
        );
        let same_origin = [
            host,
            ("origin", "http://127.0.0.1:4000"),
            ("sec-fetch-site", "same-origin"),
        ];
        assert_eq!(request("POST", "/_emulator/reset", &same_origin, b""), None);
    }

    #[test]
    fn foreign_hosts_and_browser_simple_requests_are_refused() {
        let host = ("host", "127.0.0.1:4000");
        let refused = |method, uri, headers: &[(&'static str, &'static str)], body: &[u8]| {
            assert!(
                request(method, uri, headers, body).is_some(),
                "{method} {uri} {headers:?} was allowed"
            );
        };
        refused(
            "GET",
            "/_emulator/state",
            &[("host", "rebound.example:4000")],
            b"",
        );
        refused("GET", "/_emulator/state", &[], b"");
        refused(
            "GET",
            "/_emulator/state",
            &[host, ("host", "evil.example")],
            b"",
        );
        refused("GET", "http://evil.example/_emulator/state", &[host], b"");
        for simple in [
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
        ] {
            refused(
                "POST",
                "/_emulator/reset",
                &[host, ("content-type", simple)],
                b"",
            );
            refused(
                "POST",
                "/_emulator/faults",
                &[host, ("content-type", simple)],
                br#"{"latency_ms":1}"#,
            );
        }
        refused("POST", "/_emulator/faults", &[host], br#"{"latency_ms":1}"#);
        refused(
            "POST",
            "/_emulator/faults",
            &[
                host,
                ("content-type", "application/json"),
                ("content-type", "text/plain"),
            ],
            b"{}",
        );
        refused(
            "POST",
            "/_emulator/reset",
            &[host, ("origin", "https://evil.example")],
            b"",
        );
        refused("POST", "/_emulator/reset", &[host, ("origin", "null")], b"");
        refused(
            "POST",
            "/_emulator/reset",
            &[host, ("sec-fetch-site", "cross-site")],
            b"",
        );
        refused(
            "POST",
            "/_emulator/reset",
            &[host, ("sec-fetch-site", "same-site")],
            b"",
        );
    }
}
