//! Faults and hostile surroundings (issue 12), through the client as the provider uses it, all
//! on 127.0.0.1: endpoints that never answer, answers far larger than any RAM, STS or metadata
//! document, redirects, proxy variables that must not capture the metadata service or the
//! loopback emulator, and the metadata service refusing (or failing) to issue IMDSv2 tokens.
//! Nothing here reaches 100.100.100.200 or any other non-loopback address: the metadata endpoint
//! is always the emulator or a scripted server on 127.0.0.1, and https endpoints only ever reach
//! the recording proxy.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use alicr_emulator::Config;
use terraform_provider_alicr::alicloud::credentials::{
    connect, CredentialConfig, EcsMetadataOptions, EcsMetadataProvider, Fetch, MapEnv, ProcessEnv,
};
use terraform_provider_alicr::alicloud::ram::CreateRoleRequest;
use terraform_provider_alicr::alicloud::{
    Client, ClientConfig, Credentials, Error, RetryPolicy, StaticProvider, TransportKind,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const AK: &str = "EMULATORACCESSKEYID";
const SECRET: &str = "emulator-secret";
const TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["cr.aliyuncs.com"]}}],"Version":"1"}"#;
const GIB: u64 = 1024 * 1024 * 1024;
const MIB: u64 = 1024 * 1024;

/// One request as a scripted server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a scripted server does with a request.
enum Reply {
    /// Sends these bytes and closes.
    Raw(Vec<u8>),
    /// Accepts and never answers.
    Silent,
    /// Sends `head`, then up to `total` bytes of JSON-looking filler until the peer goes away.
    Flood { head: String, total: u64 },
}

fn answer(status: u16, extra_headers: &str, body: &str) -> Reply {
    Reply::Raw(
        format!(
            "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n{extra_headers}\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A tiny HTTP/1.1 server on 127.0.0.1 that records what it is sent and answers as scripted.
struct Scripted {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    connections: Arc<AtomicUsize>,
    flooded: Arc<AtomicU64>,
    flood_ended: Arc<AtomicBool>,
    accept: tokio::task::JoinHandle<()>,
}

impl Scripted {
    async fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let flooded = Arc::new(AtomicU64::new(0));
        let flood_ended = Arc::new(AtomicBool::new(false));
        let handler: Handler = Arc::new(handler);
        let accept = {
            let (seen, connections, flooded, flood_ended) = (
                seen.clone(),
                connections.clone(),
                flooded.clone(),
                flood_ended.clone(),
            );
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (seen, handler, flooded, flood_ended) = (
                        seen.clone(),
                        handler.clone(),
                        flooded.clone(),
                        flood_ended.clone(),
                    );
                    tokio::spawn(async move {
                        serve(stream, seen, handler, flooded, flood_ended).await;
                    });
                }
            })
        };
        Scripted {
            addr,
            seen,
            connections,
            flooded,
            flood_ended,
            accept,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The bytes a flood managed to write before its peer went away (or it offered all).
    async fn flooded_bytes(&self) -> u64 {
        for _ in 0..200 {
            if self.flood_ended.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            self.flood_ended.load(Ordering::SeqCst),
            "the flood is still being read after 10 s"
        );
        self.flooded.load(Ordering::SeqCst)
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    handler: Handler,
    flooded: Arc<AtomicU64>,
    flood_ended: Arc<AtomicBool>,
) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    if let Ok(mut s) = seen.lock() {
        s.push(request.clone());
    }
    match handler(&request) {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
        Reply::Flood { head, total } => {
            let mut written = 0u64;
            if stream.write_all(head.as_bytes()).await.is_ok() {
                let chunk = [b' '; 64 * 1024];
                let _ = stream.write_all(b"{\"Code\":\"").await;
                while written < total {
                    match stream.write_all(&chunk).await {
                        Ok(()) => {
                            written += chunk.len() as u64;
                            flooded.store(written, Ordering::SeqCst);
                        }
                        Err(_) => break,
                    }
                }
            }
            flood_ended.store(true, Ordering::SeqCst);
        }
    }
}

/// Reads one request head (and drops its body).
async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut have = buf.len() - (head_end + 4);
    while have < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        have += n;
    }
    Some(Seen {
        method,
        target,
        headers,
    })
}

fn static_client(config: ClientConfig) -> Client {
    Client::new(config)
        .expect("client")
        .with_credentials(Arc::new(StaticProvider::new(
            Credentials::new(AK, SECRET),
            "test",
        )))
}

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
    }
}

fn config_for(endpoint: &str) -> ClientConfig {
    ClientConfig {
        ram_endpoint: Some(endpoint.to_string()),
        sts_endpoint: Some(endpoint.to_string()),
        retry: fast_retries(0),
        ..ClientConfig::default()
    }
}

fn expect_err<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) -> Error {
    match result {
        Ok(v) => panic!("{what}: expected an error, got {v:?}"),
        Err(e) => e,
    }
}

// ---- Silent endpoints (item 2) ----

/// An endpoint that accepts and never answers costs one answer timeout per attempt (10 s by
/// default, as Alibaba's SDKs), not 30 s, and the error says which timeout ran out.
#[tokio::test]
async fn a_silent_endpoint_costs_the_default_answer_timeout_per_attempt() {
    let silent = Scripted::start(|_| Reply::Silent).await;
    let client = static_client(config_for(&silent.url()));
    let started = std::time::Instant::now();
    let e = expect_err(client.get_role("R").await, "silent endpoint");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(17),
        "one attempt took {took:?}"
    );
    assert!(
        matches!(
            e,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(
        text.contains("no answer within the answer timeout"),
        "{text}"
    );
    assert!(text.contains("10s between reads"), "{text}");
    assert!(e.is_outcome_unknown(), "the request was sent: {e}");
    assert_eq!(silent.connections(), 1);
}

/// Retries of a silent endpoint stop at `max_retries`, or at the caller's deadline, which the
/// error names.
#[tokio::test]
async fn a_silent_endpoint_ends_at_max_retries_or_the_named_deadline() {
    let silent = Scripted::start(|_| Reply::Silent).await;
    let quick = ClientConfig {
        read_timeout: Duration::from_millis(300),
        retry: fast_retries(2),
        ..config_for(&silent.url())
    };
    let started = std::time::Instant::now();
    let e = expect_err(static_client(quick).get_role("R").await, "silent");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.attempts(), Some(3));
    assert!(e.to_string().contains("300ms between reads"), "{e}");
    assert_eq!(silent.connections(), 3);

    let patient = ClientConfig {
        retry: fast_retries(5),
        ..config_for(&silent.url())
    };
    let started = tokio::time::Instant::now();
    let e = expect_err(
        static_client(patient)
            .with_named_deadline(
                started + Duration::from_millis(700),
                "timeouts.read (700ms)",
            )
            .get_role("R")
            .await,
        "silent past the deadline",
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(e, Error::DeadlineExceeded { .. }), "{e:?}");
    assert_eq!(e.deadline(), Some("timeouts.read (700ms)"));
    assert!(
        e.to_string().contains("timeouts.read (700ms) ran out"),
        "{e}"
    );
    assert!(e.is_outcome_unknown(), "cut mid-attempt: {e}");
}

// ---- Bounded answers (item 5) ----

/// A RAM or STS answer over 8 MiB fails saying so (it used to be cut and then fail as a JSON
/// parse error at a strange column), whether its length is announced or not, and is not
/// retried.
#[tokio::test]
async fn ram_answers_larger_than_8_mib_fail_saying_so() {
    let announced = Scripted::start(|_| {
        let size = 9 * MIB;
        Reply::Flood {
            head: format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n"
            ),
            total: size,
        }
    })
    .await;
    let unannounced = Scripted::start(|_| Reply::Flood {
        head: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
            .into(),
        total: 64 * MIB,
    })
    .await;
    for server in [&announced, &unannounced] {
        let client = static_client(ClientConfig {
            retry: fast_retries(3),
            ..config_for(&server.url())
        });
        let e = expect_err(client.get_role("R").await, "oversized answer");
        assert!(
            matches!(
                e,
                Error::UnexpectedResponse {
                    http_status: 200,
                    ..
                }
            ),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(text.contains("larger than 8 MiB"), "{text}");
        assert!(!text.contains("column"), "{text}");
        assert_eq!(
            server.connections(),
            1,
            "an oversized answer is not retried"
        );
    }
    // The unannounced flood was dropped once past the cap, not read to its end.
    let written = unannounced.flooded_bytes().await;
    assert!(written < 48 * MIB, "{written} bytes were read of 64 MiB");
}

fn metadata_credentials_json() -> String {
    r#"{"Code":"Success","AccessKeyId":"STS.scripted","AccessKeySecret":"scripted-secret","SecurityToken":"scripted-token","Expiration":"2099-01-01T00:00:00Z","LastUpdated":"2098-12-31T18:00:00Z"}"#.into()
}

fn metadata(endpoint: &str, options: EcsMetadataOptions) -> EcsMetadataProvider {
    EcsMetadataProvider::new(endpoint, "InstanceRole", options).expect("metadata provider")
}

fn quick_metadata() -> EcsMetadataOptions {
    EcsMetadataOptions {
        request_timeout: Duration::from_millis(500),
        ..EcsMetadataOptions::default()
    }
}

/// A 2 GiB answer from the metadata service (which grew the provider to 4.2 GB) fails past
/// 64 KiB; it is read incrementally and dropped, so the server sees the connection closed after
/// a tiny fraction of what it offered.
#[tokio::test]
async fn metadata_answers_are_capped_at_64_kib_without_buffering_a_flood() {
    let flood = |announce: bool| {
        move |seen: &Seen| {
            if seen.method == "PUT" {
                return answer(200, "", "scripted-token");
            }
            let length = if announce {
                format!("Content-Length: {}\r\n", 2 * GIB)
            } else {
                "Connection: close\r\n".to_string()
            };
            Reply::Flood {
                head: format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{length}\r\n"),
                total: 2 * GIB,
            }
        }
    };
    for announce in [false, true] {
        let server = Scripted::start(flood(announce)).await;
        let started = std::time::Instant::now();
        let e = expect_err(
            metadata(&server.url(), quick_metadata()).fetch().await,
            "2 GiB of metadata",
        );
        let text = e.to_string();
        assert!(matches!(e, Error::Credentials(_)), "{e:?}");
        assert!(text.contains("larger than 64 KiB"), "{text}");
        assert!(!text.contains("scripted-token"), "{text}");
        let written = server.flooded_bytes().await;
        assert!(
            written < 32 * MIB,
            "announce={announce}: the client read {written} bytes of a 2 GiB answer"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        let gets = server.seen().iter().filter(|s| s.method == "GET").count();
        assert_eq!(gets, 1, "an oversized answer is not retried");
    }
    // The token answer is capped the same way.
    let big_token = Scripted::start(|seen: &Seen| {
        if seen.method == "PUT" {
            Reply::Flood {
                head: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".into(),
                total: 4 * MIB,
            }
        } else {
            answer(200, "", &metadata_credentials_json())
        }
    })
    .await;
    let e = expect_err(
        metadata(&big_token.url(), quick_metadata()).fetch().await,
        "4 MiB token",
    );
    assert!(e.to_string().contains("larger than 64 KiB"), "{e}");
    assert!(big_token.seen().iter().all(|s| s.method == "PUT"));
}

// ---- Redirects ----

/// Redirects are not followed: not by the RAM/STS client (a 302 to another local port is an
/// error and that port sees no connection), nor by the metadata client.
#[tokio::test]
async fn redirects_are_not_followed() {
    let elsewhere = Scripted::start(|_| answer(200, "", &metadata_credentials_json())).await;
    let location = format!("Location: {}/\r\n", elsewhere.url());
    let redirecting = {
        let location = location.clone();
        Scripted::start(move |seen: &Seen| {
            if seen.method == "PUT" {
                answer(200, "", "scripted-token")
            } else {
                answer(302, &location, "")
            }
        })
        .await
    };
    let client = static_client(ClientConfig {
        retry: fast_retries(3),
        ..config_for(&redirecting.url())
    });
    let e = expect_err(client.get_role("R").await, "302 from RAM");
    assert!(
        matches!(
            e,
            Error::UnexpectedResponse {
                http_status: 302,
                ..
            }
        ),
        "{e:?}"
    );
    let e = expect_err(
        metadata(&redirecting.url(), quick_metadata()).fetch().await,
        "302 from the metadata service",
    );
    assert!(e.to_string().contains("HTTP 302"), "{e}");
    assert_eq!(
        elsewhere.connections(),
        0,
        "the redirect target was contacted"
    );
    assert!(redirecting.connections() >= 3);
}

// ---- Proxies (item 3) ----

/// A "proxy" that records every connection and answers 502.
async fn recording_proxy() -> Scripted {
    Scripted::start(|_| answer(502, "", "")).await
}

fn all_proxy_variables(proxy: &str) -> MapEnv {
    MapEnv::new()
        .with("HOME", "/nonexistent-home-for-tests")
        .with("HTTP_PROXY", proxy)
        .with("http_proxy", proxy)
        .with("ALL_PROXY", proxy)
        .with("all_proxy", proxy)
        .with("HTTPS_PROXY", proxy)
        .with("https_proxy", proxy)
}

/// Everything the provider does against the emulator on http://127.0.0.1, metadata credentials
/// included, with every proxy variable in `env` pointing at a recording proxy.
async fn use_the_emulator_and_its_metadata_service(
    env: &dyn terraform_provider_alicr::alicloud::credentials::Env,
) {
    let emu = alicr_emulator::start(Config {
        ecs_role_name: "InstanceRole".into(),
        ..Config::default()
    })
    .await
    .expect("emulator");
    let endpoint = emu.endpoint();
    let settings = CredentialConfig {
        ecs_role_name: Some("InstanceRole".into()),
        ecs_metadata_endpoint: Some(endpoint.clone()),
        ..CredentialConfig::default()
    };
    let client = connect(config_for(&endpoint), &settings, env).expect("connect");
    let who = client
        .get_caller_identity()
        .await
        .expect("credentials from the metadata service, then STS, all direct");
    assert_eq!(who.identity_type, "AssumedRoleUser");
    client
        .create_role(&CreateRoleRequest {
            role_name: "Direct".into(),
            assume_role_policy_document: TRUST.into(),
            ..Default::default()
        })
        .await
        .expect("CreateRole");
    let keys = CredentialConfig {
        access_key: Some(AK.into()),
        secret_key: Some(terraform_provider_alicr::alicloud::Secret::new(SECRET)),
        ..CredentialConfig::default()
    };
    connect(config_for(&endpoint), &keys, env)
        .expect("connect with keys")
        .get_role("Direct")
        .await
        .expect("GetRole");
    emu.stop().await;
}

/// `HTTP_PROXY`/`ALL_PROXY` (and `HTTPS_PROXY`) never capture the metadata service or the
/// loopback emulator: the recording proxy sees no connection.
#[tokio::test]
async fn proxy_variables_never_capture_the_metadata_service_or_loopback_endpoints() {
    let proxy = recording_proxy().await;
    use_the_emulator_and_its_metadata_service(&all_proxy_variables(&proxy.url())).await;
    assert_eq!(proxy.connections(), 0, "proxied: {:?}", proxy.seen());
}

const CHILD_MARKER: &str = "ALICR_TEST_PROXY_CHILD";
const CONTROL_PATH: &str = "/control-request-through-the-proxy";

/// The same through the real process environment (which reqwest would read on its own), in a
/// child process so that no other test sees the variables. A control request made with a plain
/// `reqwest::Client` must reach the proxy, proving the variables were in effect.
#[test]
fn process_proxy_variables_never_capture_the_metadata_service_or_loopback_endpoints() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let proxy = runtime.block_on(recording_proxy());
    let url = proxy.url();
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe);
    child
        .args([
            "hostile::proxy_child",
            "--exact",
            "--ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(CHILD_MARKER, "1")
        .env("HOME", "/nonexistent-home-for-tests");
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
        "https_proxy",
    ] {
        child.env(name, &url);
    }
    for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        child.env_remove(name);
    }
    let out = child.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{stderr}"
    );
    let seen = proxy.seen();
    assert!(
        seen.iter().any(|s| s.target.contains(CONTROL_PATH)),
        "the control request did not reach the proxy, so the variables were not in effect: {seen:?}"
    );
    let captured: Vec<&Seen> = seen
        .iter()
        .filter(|s| !s.target.contains(CONTROL_PATH))
        .collect();
    assert!(captured.is_empty(), "the proxy saw: {captured:?}");
    drop(proxy);
}

/// Run by the test above in a child process with the proxy variables set; does nothing
/// elsewhere.
#[tokio::test]
#[ignore = "run by process_proxy_variables_never_capture_the_metadata_service_or_loopback_endpoints"]
async fn proxy_child() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    use_the_emulator_and_its_metadata_service(&ProcessEnv).await;
    // The control: a client that honours the environment goes to the proxy (port 9, discard,
    // is never reached: the proxy answers).
    let _ = reqwest::Client::new()
        .get(format!("http://127.0.0.1:9{CONTROL_PATH}"))
        .send()
        .await;
}

/// `HTTPS_PROXY` still carries https endpoints (corporate networks need it): the request is a
/// `CONNECT` to the endpoint's host through the proxy, which resolves nothing locally.
#[tokio::test]
async fn https_proxy_carries_https_endpoints() {
    let proxy = recording_proxy().await;
    let env = MapEnv::new().with("HTTPS_PROXY", &proxy.url());
    let client = Client::new_with_env(
        ClientConfig {
            ram_endpoint: Some("https://ram.proxied.invalid".into()),
            retry: fast_retries(0),
            ..ClientConfig::default()
        },
        &env,
    )
    .expect("client")
    .with_credentials(Arc::new(StaticProvider::new(
        Credentials::new(AK, SECRET),
        "test",
    )));
    let e = expect_err(client.get_role("R").await, "the proxy answers 502");
    assert!(!e.to_string().contains(SECRET));
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].target, "ram.proxied.invalid:443");
}

// ---- Metadata service v1 fallback (item 6) ----

/// A metadata service whose token endpoint answers with `token` and whose credentials endpoint
/// answers to requests with the token, or to requests without one when `serves_v1`.
async fn metadata_service(token: impl Fn() -> Reply + Send + Sync + 'static) -> Scripted {
    Scripted::start(move |seen: &Seen| {
        if seen.method == "PUT" && seen.target == "/latest/api/token" {
            return token();
        }
        if seen.target == "/latest/meta-data/ram/security-credentials/InstanceRole" {
            return answer(200, "", &metadata_credentials_json());
        }
        answer(404, "", "")
    })
    .await
}

fn v1_requests(server: &Scripted) -> usize {
    server
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.header("X-aliyun-ecs-metadata-token").is_none())
        .count()
}

/// IMDSv1 (no token) only when the service refuses v2 with 403, 404 or 405.
#[tokio::test]
async fn imdsv1_only_when_the_service_refuses_tokens() {
    for status in [403, 404, 405] {
        let server = metadata_service(move || answer(status, "", "")).await;
        let creds = metadata(&server.url(), quick_metadata())
            .fetch()
            .await
            .unwrap_or_else(|e| panic!("HTTP {status} allows IMDSv1: {e}"));
        assert_eq!(creds.access_key_id, "STS.scripted");
        assert_eq!(v1_requests(&server), 1, "HTTP {status}");
    }
    // With a token, the credentials are asked for with it.
    let v2 = metadata_service(|| answer(200, "", "the-token")).await;
    metadata(&v2.url(), quick_metadata())
        .fetch()
        .await
        .expect("IMDSv2");
    let gets: Vec<Seen> = v2
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET")
        .collect();
    assert_eq!(gets.len(), 1);
    assert_eq!(
        gets[0].header("X-aliyun-ecs-metadata-token"),
        Some("the-token")
    );
}

/// Timeouts, refused connections and other statuses of the token request are errors, never a
/// reason to ask without a token.
#[tokio::test]
async fn token_failures_other_than_a_refusal_never_fall_back_to_imdsv1() {
    for status in [400, 401, 500, 503] {
        let server = metadata_service(move || answer(status, "", "")).await;
        let e = expect_err(
            metadata(&server.url(), quick_metadata()).fetch().await,
            "token refused with another status",
        );
        let text = e.to_string();
        assert!(text.contains(&format!("HTTP {status}")), "{text}");
        assert!(
            text.contains("only used when the service refuses"),
            "{text}"
        );
        assert_eq!(v1_requests(&server), 0, "HTTP {status} fell back to IMDSv1");
    }
    let silent = metadata_service(|| Reply::Silent).await;
    let started = std::time::Instant::now();
    let e = expect_err(
        metadata(&silent.url(), quick_metadata()).fetch().await,
        "token request times out",
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.to_string().contains("timed out"), "{e}");
    assert_eq!(v1_requests(&silent), 0, "a timeout fell back to IMDSv1");
    assert!(silent.seen().iter().all(|s| s.method == "PUT"));

    // Nothing listens: a connect error, no fallback either (nothing could be asked anyway).
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    let e = expect_err(
        metadata(&format!("http://{closed}"), quick_metadata())
            .fetch()
            .await,
        "nothing listens",
    );
    assert!(e.to_string().contains("cannot connect"), "{e}");
    assert!(
        e.to_string().contains("only used when the service refuses"),
        "{e}"
    );
}

/// With IMDSv1 disabled (the option, or `ALIBABA_CLOUD_IMDSV1_DISABLED=true` through the
/// environment `connect` is given), a refused token is an error that says so, and nothing is
/// asked without a token.
#[tokio::test]
async fn imdsv1_disabled_turns_a_refused_token_into_an_error() {
    let server = metadata_service(|| answer(404, "", "")).await;
    let e = expect_err(
        metadata(
            &server.url(),
            EcsMetadataOptions {
                imdsv1_disabled: true,
                ..quick_metadata()
            },
        )
        .fetch()
        .await,
        "v1 disabled",
    );
    let text = e.to_string();
    assert!(text.contains("IMDSv1 is disabled"), "{text}");
    assert!(text.contains("ALIBABA_CLOUD_IMDSV1_DISABLED"), "{text}");
    assert!(text.contains("HTTP 404"), "{text}");
    assert_eq!(v1_requests(&server), 0);

    let settings = CredentialConfig {
        ecs_role_name: Some("InstanceRole".into()),
        ecs_metadata_endpoint: Some(server.url()),
        ..CredentialConfig::default()
    };
    let env = MapEnv::new()
        .with("HOME", "/nonexistent-home-for-tests")
        .with("ALIBABA_CLOUD_IMDSV1_DISABLED", "true");
    // The RAM endpoint is the scripted server too: nothing may get that far.
    let client = connect(config_for(&server.url()), &settings, &env).expect("connect");
    let e = expect_err(client.get_role("R").await, "v1 disabled by the environment");
    assert!(e.is_credential_failure(), "{e:?}");
    assert!(e.to_string().contains("IMDSv1 is disabled"), "{e}");
    assert_eq!(v1_requests(&server), 0);

    // An explicit setting wins over the environment.
    let allowed = ClientConfig {
        imdsv1_disabled: Some(false),
        ..config_for(&server.url())
    };
    let client = connect(allowed, &settings, &env).expect("connect");
    let _ = client.get_role("R").await;
    assert_eq!(v1_requests(&server), 1, "imdsv1_disabled = false allows v1");
}
