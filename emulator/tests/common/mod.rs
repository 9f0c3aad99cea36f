//! Test support: a minimal HTTP/1.1 client and request signers (RPC 1.0 and ACS3) built on the
//! crate's public signing math, so tests drive the emulator over real sockets.

#![allow(dead_code)] // each test binary uses a different subset

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use alicr_emulator::signature;

pub const AK: &str = "EMULATORACCESSKEYID";
pub const SECRET: &str = "emulator-secret";
pub const RAM: &str = "2015-05-01";
pub const STS: &str = "2015-04-01";

pub const TRUST_CR: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["cr.aliyuncs.com"]}}],"Version":"1"}"#;
pub const TRUST_ACCOUNT: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}],"Version":"1"}"#;

pub fn policy_doc(bucket: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":["oss:GetObject"],"Resource":["acs:oss:*:*:{bucket}","acs:oss:*:*:{bucket}/*"],"Condition":{{}}}}]}}"#
    )
}

/// A raw HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or_default().to_string()
    }
}

/// Sends one request on a fresh connection (`Connection: close`). Errors are I/O failures, e.g.
/// a reset connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse(&raw)
}

/// Sends `request` exactly as given (request line, headers, body) on a fresh connection, for
/// requests `send` would not write: another `Host`, none at all, duplicate headers.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    parse(&raw)
}

fn parse(raw: &[u8]) -> std::io::Result<Answer> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed HTTP answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    })
}

pub fn now_timestamp() -> String {
    timestamp_at(time::OffsetDateTime::now_utc().unix_timestamp())
}

pub fn timestamp_at(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix).expect("valid time");
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Parameters as an `application/x-www-form-urlencoded` body or query string.
pub fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                signature::percent_encode(k),
                signature::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs and sends RPC calls.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub access_key_id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Client {
            addr,
            access_key_id: AK.into(),
            secret: SECRET.into(),
            token: None,
        }
    }

    pub fn with_keys(addr: SocketAddr, ak: &str, secret: &str, token: Option<&str>) -> Self {
        Client {
            addr,
            access_key_id: ak.into(),
            secret: secret.into(),
            token: token.map(str::to_string),
        }
    }

    /// The common parameters plus `extra`, unsigned.
    pub fn params(
        &self,
        version: &str,
        action: &str,
        extra: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut p: Vec<(String, String)> = vec![
            ("Action".into(), action.into()),
            ("Version".into(), version.into()),
            ("Format".into(), "JSON".into()),
            ("AccessKeyId".into(), self.access_key_id.clone()),
            ("SignatureMethod".into(), "HMAC-SHA1".into()),
            ("SignatureVersion".into(), "1.0".into()),
            ("SignatureNonce".into(), nonce()),
            ("Timestamp".into(), now_timestamp()),
        ];
        if let Some(t) = &self.token {
            p.push(("SecurityToken".into(), t.clone()));
        }
        p.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        p
    }

    /// Adds the RPC 1.0 signature for `method`.
    pub fn sign(&self, method: &str, mut params: Vec<(String, String)>) -> Vec<(String, String)> {
        let sts = signature::rpc_string_to_sign(
            method,
            params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        params.push((
            "Signature".into(),
            signature::rpc_signature(&self.secret, &sts),
        ));
        params
    }

    /// POSTs already-signed parameters as a form body.
    pub async fn post_params(&self, params: &[(String, String)]) -> Answer {
        send(
            self.addr,
            "POST",
            "/",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form(params).as_bytes(),
        )
        .await
        .expect("HTTP exchange")
    }

    /// GETs already-signed parameters in the query string.
    pub async fn get_params(&self, params: &[(String, String)]) -> Answer {
        send(self.addr, "GET", &format!("/?{}", form(params)), &[], b"")
            .await
            .expect("HTTP exchange")
    }

    /// A signed POST call.
    pub async fn call(&self, version: &str, action: &str, extra: &[(&str, &str)]) -> Answer {
        let params = self.sign("POST", self.params(version, action, extra));
        self.post_params(&params).await
    }

    /// A signed RAM call that must succeed.
    pub async fn ram_ok(&self, action: &str, extra: &[(&str, &str)]) -> Value {
        let a = self.call(RAM, action, extra).await;
        assert_eq!(a.status, 200, "{action} failed: {}", a.text());
        a.json()
    }

    /// A signed RAM call that must fail with `code`; returns the HTTP status.
    pub async fn ram_err(&self, action: &str, extra: &[(&str, &str)], code: &str) -> u16 {
        let a = self.call(RAM, action, extra).await;
        assert_eq!(a.code(), code, "{action}: {}", a.text());
        a.status
    }

    /// An ACS3-HMAC-SHA256 signed call with parameters in the query string (as the Tea SDK
    /// sends them) and an empty body.
    pub async fn call_v3(&self, version: &str, action: &str, query: &[(&str, &str)]) -> Answer {
        self.call_v3_tampered(version, action, query, None).await
    }

    /// Like [`Client::call_v3`], optionally replacing the query after signing.
    pub async fn call_v3_tampered(
        &self,
        version: &str,
        action: &str,
        query: &[(&str, &str)],
        sent_query: Option<&[(&str, &str)]>,
    ) -> Answer {
        let host = self.addr.to_string();
        let date = now_timestamp();
        let nonce = nonce();
        let payload_hash = signature::sha256_hex(b"");
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host.clone()),
            ("x-acs-action".into(), action.into()),
            ("x-acs-version".into(), version.into()),
            ("x-acs-date".into(), date),
            ("x-acs-signature-nonce".into(), nonce),
            ("x-acs-content-sha256".into(), payload_hash.clone()),
        ];
        if let Some(t) = &self.token {
            headers.push(("x-acs-security-token".into(), t.clone()));
        }
        let canonical = signature::CanonicalRequest {
            method: "POST",
            path: "/",
            query: query.to_vec(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.clone(), vec![v.clone()]))
                .collect(),
            payload_hash: &payload_hash,
        }
        .render();
        let sts = signature::acs3_string_to_sign(&canonical);
        let mut names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        let auth = format!(
            "ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={}",
            self.access_key_id,
            names.join(";"),
            signature::acs3_signature(&self.secret, &sts)
        );
        let sent = sent_query.unwrap_or(query);
        let owned: Vec<(String, String)> = sent
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let target = format!("/?{}", form(&owned));
        let mut send_headers: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(k, _)| k != "host")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        send_headers.push(("Authorization", &auth));
        send(self.addr, "POST", &target, &send_headers, b"")
            .await
            .expect("HTTP exchange")
    }
}

/// GET a JSON admin endpoint.
pub async fn admin_get(addr: SocketAddr, path: &str) -> Value {
    let a = send(addr, "GET", path, &[], b"").await.expect("admin GET");
    assert_eq!(a.status, 200, "{path}: {}", a.text());
    a.json()
}

/// POST JSON to an admin endpoint.
pub async fn admin_post(addr: SocketAddr, path: &str, body: &str) -> Answer {
    send(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await
    .expect("admin POST")
}

/// Creates the standard role + policy + attachment.
pub async fn create_trio(c: &Client, role: &str, policy: &str) {
    c.ram_ok(
        "CreateRole",
        &[("RoleName", role), ("AssumeRolePolicyDocument", TRUST_CR)],
    )
    .await;
    c.ram_ok(
        "CreatePolicy",
        &[
            ("PolicyName", policy),
            ("PolicyDocument", &policy_doc("bucket-a")),
        ],
    )
    .await;
    c.ram_ok(
        "AttachPolicyToRole",
        &[
            ("PolicyType", "Custom"),
            ("PolicyName", policy),
            ("RoleName", role),
        ],
    )
    .await;
}
