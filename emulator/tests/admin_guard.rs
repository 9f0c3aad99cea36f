//! The admin API against web pages (issue 12, item 9): over raw HTTP on a real socket, requests
//! a browser could be made to send (a DNS-rebound `Host`, a cross-site form or text POST) are
//! refused with 403 and change nothing, JSON from a loopback `Host` still works, and the RAM/STS
//! API still takes what Alibaba's SDKs send.

mod common;

use std::net::SocketAddr;

use alicr_emulator::{start, Config};
use common::*;
use serde_json::{json, Value};

/// A recognisable account and fault configuration, so any reset or fault change shows.
async fn seeded() -> alicr_emulator::Running {
    let emu = start(Config::default()).await.expect("start");
    create_trio(&Client::new(emu.addr()), "Kept", "KeptPolicy").await;
    let set = admin_post(
        emu.addr(),
        "/_emulator/faults",
        r#"{"latency_ms":0,"throttle_rate":0.0,"fail":[{"action":"NoSuchAction","code":"InternalError","count":7}]}"#,
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());
    emu
}

/// Everything the refused requests could have changed.
async fn snapshot(addr: SocketAddr) -> Value {
    json!({
        "state": admin_get(addr, "/_emulator/state").await,
        "faults": admin_get(addr, "/_emulator/faults").await,
        "calls": admin_get(addr, "/_emulator/calls").await,
    })
}

/// One request, with `Content-Length` filled in.
fn request(method: &str, path: &str, headers: &[&str], body: &str) -> Vec<u8> {
    let mut raw = format!("{method} {path} HTTP/1.1\r\n");
    for header in headers {
        raw.push_str(header);
        raw.push_str("\r\n");
    }
    raw.push_str(&format!(
        "Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    raw.into_bytes()
}

#[track_caller]
fn assert_refused(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 403, "{what}: {}", answer.text());
    assert!(
        answer
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{what}: {:?}",
        answer.headers
    );
    let error = answer.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("admin API refused"), "{what}: {error:?}");
}

const FAULTS: &str = r#"{"latency_ms":0,"throttle_rate":1.0,"fail":[]}"#;

#[tokio::test]
async fn foreign_hosts_are_refused_and_change_nothing() {
    let emu = seeded().await;
    let addr = emu.addr();
    let port = addr.port();
    let before = snapshot(addr).await;
    let json = "Content-Type: application/json";
    let foreign_hosts = [
        // DNS rebinding: the attacker's name, now resolving to 127.0.0.1.
        format!("Host: rebind.attacker.example:{port}"),
        "Host: rebind.attacker.example".to_string(),
        format!("Host: 127.0.0.1.attacker.example:{port}"),
        format!("Host: localhost.attacker.example:{port}"),
        format!("Host: 192.0.2.10:{port}"),
        format!("Host: 0.0.0.0:{port}"),
    ];
    for host in &foreign_hosts {
        for (method, path, headers, body) in [
            ("GET", "/_emulator/state", vec![host.as_str()], ""),
            ("GET", "/_emulator/calls", vec![host.as_str()], ""),
            ("POST", "/_emulator/reset", vec![host.as_str(), json], "{}"),
            ("POST", "/_emulator/reset", vec![host.as_str()], ""),
            (
                "POST",
                "/_emulator/faults",
                vec![host.as_str(), json],
                FAULTS,
            ),
        ] {
            let answer = send_raw(addr, &request(method, path, &headers, body))
                .await
                .expect("exchange");
            assert_refused(&answer, &format!("{method} {path} with {host}"));
        }
    }
    // No Host at all (HTTP/1.0), two of them, or an absolute target naming another host.
    for raw in [
        b"POST /_emulator/reset HTTP/1.0\r\nContent-Length: 0\r\n\r\n".to_vec(),
        request(
            "POST",
            "/_emulator/reset",
            &[
                &format!("Host: 127.0.0.1:{port}"),
                "Host: rebind.attacker.example",
            ],
            "",
        ),
        request(
            "POST",
            "http://rebind.attacker.example/_emulator/reset",
            &[&format!("Host: 127.0.0.1:{port}")],
            "",
        ),
    ] {
        let answer = send_raw(addr, &raw).await.expect("exchange");
        assert_refused(&answer, &String::from_utf8_lossy(&raw));
    }
    assert_eq!(
        snapshot(addr).await,
        before,
        "a refused request changed something"
    );
    emu.stop().await;
}

#[tokio::test]
async fn cross_site_simple_posts_are_refused_and_change_nothing() {
    let emu = seeded().await;
    let addr = emu.addr();
    let host = format!("Host: 127.0.0.1:{}", addr.port());
    let before = snapshot(addr).await;
    // What a page on another site can send without a CORS preflight: a form (urlencoded or
    // multipart), text/plain, or a body with no type; and, with a body or not, its Origin and
    // Sec-Fetch-Site headers.
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "/_emulator/faults",
            vec!["Content-Type: application/x-www-form-urlencoded"],
            "latency_ms=5000",
        ),
        (
            "/_emulator/reset",
            vec!["Content-Type: application/x-www-form-urlencoded"],
            "",
        ),
        (
            "/_emulator/faults",
            vec!["Content-Type: text/plain"],
            FAULTS,
        ),
        (
            "/_emulator/faults",
            vec!["Content-Type: text/plain;charset=UTF-8"],
            FAULTS,
        ),
        ("/_emulator/reset", vec!["Content-Type: text/plain"], ""),
        (
            "/_emulator/faults",
            vec!["Content-Type: multipart/form-data; boundary=b"],
            "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n",
        ),
        ("/_emulator/faults", vec![], FAULTS),
        (
            "/_emulator/reset",
            vec![
                "Origin: https://attacker.example",
                "Sec-Fetch-Site: cross-site",
            ],
            "",
        ),
        ("/_emulator/reset", vec!["Origin: null"], ""),
        ("/_emulator/reset", vec!["Sec-Fetch-Site: same-site"], ""),
    ];
    for (path, extra, body) in cases {
        let mut headers = vec![host.as_str()];
        headers.extend(extra.iter().copied());
        let answer = send_raw(addr, &request("POST", path, &headers, body))
            .await
            .expect("exchange");
        assert_refused(&answer, &format!("POST {path} with {extra:?}"));
    }
    assert_eq!(
        snapshot(addr).await,
        before,
        "a refused request changed something"
    );
    emu.stop().await;
}

#[tokio::test]
async fn json_and_bodiless_posts_from_loopback_are_accepted() {
    let emu = seeded().await;
    let addr = emu.addr();
    let port = addr.port();
    for host in [
        format!("Host: 127.0.0.1:{port}"),
        format!("Host: localhost:{port}"),
        format!("Host: LocalHost:{port}"),
        format!("Host: [::1]:{port}"),
        "Host: 127.0.0.1".to_string(),
        "Host: 127.8.9.10".to_string(),
    ] {
        for content_type in ["application/json", "application/json; charset=utf-8"] {
            let body = format!(
                r#"{{"latency_ms":0,"throttle_rate":0.0,"fail":[{{"action":"X","code":"InternalError","count":{port}}}]}}"#
            );
            let headers = [host.as_str(), &format!("Content-Type: {content_type}")];
            let answer = send_raw(addr, &request("POST", "/_emulator/faults", &headers, &body))
                .await
                .expect("exchange");
            assert_eq!(
                answer.status,
                200,
                "{host} {content_type}: {}",
                answer.text()
            );
            assert_eq!(answer.json()["fail"][0]["count"], port);
        }
        let state = send_raw(addr, &request("GET", "/_emulator/state", &[&host], ""))
            .await
            .expect("exchange");
        assert_eq!(state.status, 200, "{host}: {}", state.text());
    }
    // As curl -X POST and reqwest without a body send it: no Content-Type, no body.
    let answer = send_raw(
        addr,
        &request(
            "POST",
            "/_emulator/reset",
            &[&format!("Host: 127.0.0.1:{port}")],
            "",
        ),
    )
    .await
    .expect("exchange");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        admin_get(addr, "/_emulator/state").await["roles"],
        json!([]),
        "the reset happened"
    );
    // A JSON reset, as tests/integration/support.rs and the benches send it.
    let answer = admin_post(addr, "/_emulator/reset", "{}").await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    emu.stop().await;
}

#[tokio::test]
async fn the_ram_api_still_takes_sdk_requests_with_their_own_host() {
    let emu = start(Config::default()).await.expect("start");
    let addr = emu.addr();
    let c = Client::new(addr);
    // Alibaba's SDKs send the endpoint's own name as Host and the parameters as a form body.
    let params = c.sign(
        "POST",
        c.params(
            RAM,
            "CreateRole",
            &[
                ("RoleName", "FromSdk"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        ),
    );
    let body = form(&params);
    let answer = send_raw(
        addr,
        &request(
            "POST",
            "/",
            &[
                "Host: ram.aliyuncs.com",
                "Content-Type: application/x-www-form-urlencoded",
            ],
            &body,
        ),
    )
    .await
    .expect("exchange");
    assert_eq!(answer.status, 200, "{}", answer.text());
    let params = c.sign("GET", c.params(STS, "GetCallerIdentity", &[]));
    let answer = send_raw(
        addr,
        &request(
            "GET",
            &format!("/?{}", form(&params)),
            &["Host: sts.cn-hangzhou.aliyuncs.com"],
            "",
        ),
    )
    .await
    .expect("exchange");
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        admin_get(addr, "/_emulator/state").await["roles"][0]["RoleName"],
        "FromSdk"
    );
    emu.stop().await;
}
