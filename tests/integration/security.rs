//! Security through real `terraform`: with `TF_LOG=trace` no secret key, security token or
//! request signature reaches any output, and an https endpoint whose certificate is not trusted
//! is refused with no way to switch verification off. (mTLS and the cookie check are in
//! `plugin_protocol`, plain http to remote hosts in `terraform_cli`.)

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use terraform_provider_alicr::alicloud::ram::CreateRoleRequest;
use terraform_provider_alicr::alicloud::sts::AssumeRoleRequest;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::convergence::terraform_command;
use crate::support::{Emulator, TfDir, TfOutput};

/// A loopback TCP relay in front of the emulator that keeps a copy of every byte in both
/// directions, so the test knows every signature the provider sent and every temporary
/// credential the emulator handed out.
struct RecordingProxy {
    /// Owns the relay tasks; they end when it is dropped.
    _runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    captured: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start(upstream: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let captured = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&captured);
        runtime.spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        relay(client_read, server_write, Arc::clone(&sink)),
                        relay(server_read, client_write, sink),
                    );
                });
            }
        });
        RecordingProxy {
            _runtime: runtime,
            addr,
            captured,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn captured(&self) -> String {
        let bytes = self.captured.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    sink: Arc<Mutex<Vec<u8>>>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Ok(mut captured) = sink.lock() {
            captured.extend_from_slice(&buffer[..n]);
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// The values following `key=` in `text` wherever the key starts a form parameter or an
/// `Authorization` part (preceded by `&`, `,`, a space, a line start or the start of a body).
fn parameter_values(text: &str, key: &str) -> BTreeSet<String> {
    let needle = format!("{key}=");
    let mut values = BTreeSet::new();
    let mut from = 0;
    while let Some(found) = text[from..].find(&needle) {
        let at = from + found;
        from = at + needle.len();
        let starts_parameter = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| matches!(c, '&' | ',' | ' ' | '\n' | '?'));
        if !starts_parameter {
            continue;
        }
        let value: String = text[from..]
            .chars()
            .take_while(|c| !matches!(c, '&' | ',' | '\r' | '\n' | ' '))
            .collect();
        if value.len() >= 8 {
            values.insert(value);
        }
    }
    values
}

/// String values of `"key":"…"` in JSON answers.
fn json_values(text: &str, key: &str) -> BTreeSet<String> {
    let needle = format!("\"{key}\":\"");
    text.match_indices(&needle)
        .map(|(at, _)| {
            text[at + needle.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect::<String>()
        })
        .filter(|v| v.len() >= 8)
        .collect()
}

/// `%XX` decoding, for form values seen on the wire (a log would show them decoded).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every secret the wire carried: request signatures (RPC `Signature`, V3 `Signature=` in
/// `Authorization`), security tokens sent, and temporary secrets and tokens STS answered.
fn secrets_on_the_wire(wire: &str) -> BTreeSet<String> {
    let mut secrets = BTreeSet::new();
    for key in ["Signature", "SecurityToken"] {
        for value in parameter_values(wire, key) {
            secrets.insert(percent_decode(&value));
            secrets.insert(value);
        }
    }
    for line in wire.lines() {
        if let Some(token) = line
            .to_ascii_lowercase()
            .strip_prefix("x-acs-security-token:")
        {
            let start = line.len() - token.len();
            secrets.insert(line[start..].trim().to_string());
        }
    }
    for key in ["AccessKeySecret", "SecurityToken"] {
        secrets.extend(json_values(wire, key));
    }
    secrets.retain(|s| s.len() >= 8);
    secrets
}

/// Runs terraform with provider and core logs at trace level; returns everything it printed,
/// plus the log file when `log_file` is set (then the logs go there instead of stderr).
fn traced(tf: &TfDir, args: &[&str], log_file: Option<&str>) -> (TfOutput, String) {
    let mut command = terraform_command(tf, args);
    command
        .env("TF_LOG", "trace")
        .env("TF_LOG_PROVIDER", "trace");
    let log_path = log_file.map(|name| tf.path().join(name));
    if let Some(path) = &log_path {
        command.env("TF_LOG_PATH", path);
    }
    let out = TfOutput::from(command.output().expect("run terraform"));
    let log = log_path
        .map(|p| std::fs::read_to_string(p).expect("read TF_LOG_PATH"))
        .unwrap_or_default();
    let everything = format!("{}\n{}\n{log}", out.stdout, out.stderr);
    (out, everything)
}

#[track_caller]
fn assert_none_leaked(outputs: &[String], secrets: &BTreeSet<String>) {
    for (i, output) in outputs.iter().enumerate() {
        for secret in secrets {
            assert!(
                !output.contains(secret.as_str()),
                "output {i} contains a secret ({} characters, starting {:?})",
                secret.len(),
                secret.chars().take(3).collect::<String>()
            );
        }
    }
}

fn provider_config(endpoint: &str, credentials: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
{credentials}
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}

resource "alicr_custom_oss_role" "r" {{
  count        = 2
  role_name    = "traced-${{count.index}}"
  policy_name  = "traced-policy-${{count.index}}"
  bucket_names = ["traced-images-${{count.index}}"]
}}
"#
    )
}

const DEPLOYER_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}],"Version":"1"}"#;

/// Creates the role Terraform assumes, trusted by the account's root.
fn create_deployer_role(emulator: &Emulator) -> String {
    let client = emulator.client();
    let role = emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: "terraform-deployer".into(),
                assume_role_policy_document: DEPLOYER_TRUST.into(),
                ..Default::default()
            })
            .await
            .expect("create the deployer role")
    });
    role.role.arn
}

/// apply, plan and destroy with trace logs; returns every output, the proxy's capture, and
/// asserts the provider's own call logs were among them (else the test would prove nothing).
fn traced_lifecycle(tf: &TfDir) -> Vec<String> {
    let (applied, apply_text) = traced(
        tf,
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        Some("apply.log"),
    );
    applied.assert_success();
    let (planned, plan_text) = traced(tf, &["plan", "-input=false", "-no-color"], None);
    planned.assert_success();
    let (destroyed, destroy_text) = traced(
        tf,
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        Some("destroy.log"),
    );
    destroyed.assert_success();
    for text in [&apply_text, &plan_text, &destroy_text] {
        assert!(
            text.contains("alibaba cloud call"),
            "the provider's trace logs did not reach terraform's output"
        );
    }
    vec![apply_text, plan_text, destroy_text]
}

#[test]
fn trace_logs_never_show_the_secret_key_security_token_or_signatures() {
    let emulator = Emulator::start();
    let arn = create_deployer_role(&emulator);
    let client = emulator.client();
    let session = emulator.block_on(async {
        client
            .assume_role(&AssumeRoleRequest {
                role_arn: arn,
                role_session_name: "security-test".into(),
                duration_seconds: None,
                policy: None,
                external_id: None,
            })
            .await
            .expect("temporary credentials from the emulator")
    });
    let secret = session.credentials.access_key_secret.expose().to_string();
    let token = session.credentials.security_token.expose().to_string();
    let upstream: SocketAddr = emulator
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("emulator address");
    let proxy = RecordingProxy::start(upstream);
    let credentials = format!(
        "  access_key = \"{}\"\n  secret_key = \"{secret}\"\n  security_token = \"{token}\"",
        session.credentials.access_key_id
    );
    let tf = TfDir::new(&provider_config(&proxy.endpoint(), &credentials));

    let outputs = traced_lifecycle(&tf);

    let wire = proxy.captured();
    let mut secrets = secrets_on_the_wire(&wire);
    let signatures = parameter_values(&wire, "Signature").len();
    assert!(
        signatures >= 6,
        "only {signatures} signatures were captured"
    );
    assert!(
        secrets.contains(&token),
        "the security token was not seen on the wire"
    );
    secrets.insert(secret);
    secrets.insert(token);
    secrets.insert(alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET.to_string());
    assert_none_leaked(&outputs, &secrets);
    assert!(only_deployer_left(&emulator.state()));
}

#[test]
fn trace_logs_never_show_assumed_role_credentials_or_v3_signatures() {
    let emulator = Emulator::start();
    let arn = create_deployer_role(&emulator);
    let upstream: SocketAddr = emulator
        .endpoint()
        .trim_start_matches("http://")
        .parse()
        .expect("emulator address");
    let proxy = RecordingProxy::start(upstream);
    let credentials = format!(
        "  access_key = \"EMULATORACCESSKEYID\"\n  secret_key = \"{}\"\n  signature_algorithm = \"ACS3-HMAC-SHA256\"\n  assume_role {{\n    role_arn = \"{arn}\"\n  }}",
        alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET
    );
    let tf = TfDir::new(&provider_config(&proxy.endpoint(), &credentials));

    let outputs = traced_lifecycle(&tf);

    let wire = proxy.captured();
    let mut secrets = secrets_on_the_wire(&wire);
    let handed_out = json_values(&wire, "AccessKeySecret");
    assert!(
        !handed_out.is_empty(),
        "no AssumeRole answer was captured: the provider did not assume the role"
    );
    assert!(
        wire.contains("ACS3-HMAC-SHA256 Credential=STS."),
        "RAM calls were not V3-signed with the assumed role's key"
    );
    secrets.insert(alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET.to_string());
    assert_none_leaked(&outputs, &secrets);
    assert!(only_deployer_left(&emulator.state()));
}

fn only_deployer_left(ram: &Value) -> bool {
    ram["roles"]
        .as_array()
        .is_some_and(|roles| roles.len() == 1 && roles[0]["RoleName"] == "terraform-deployer")
        && ram["policies"].as_array().is_none_or(|p| p.is_empty())
}

/// A TLS server on 127.0.0.1 with a self-signed certificate that names 127.0.0.1: everything
/// about it is right except that nobody trusts its issuer.
struct SelfSignedServer {
    /// Owns the accept loop; it ends when it is dropped.
    _runtime: tokio::runtime::Runtime,
    port: u16,
    connections: Arc<AtomicUsize>,
    handshakes: Arc<AtomicUsize>,
}

impl SelfSignedServer {
    fn start() -> Self {
        let key = rcgen::KeyPair::generate().expect("key pair");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
                .expect("certificate parameters");
        let cert = params.self_signed(&key).expect("self-signed certificate");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server TLS configuration");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let handshakes = Arc::new(AtomicUsize::new(0));
        let (seen, done) = (Arc::clone(&connections), Arc::clone(&handshakes));
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                let (acceptor, done) = (acceptor.clone(), Arc::clone(&done));
                tokio::spawn(async move {
                    if acceptor.accept(tcp).await.is_ok() {
                        done.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        SelfSignedServer {
            _runtime: runtime,
            port,
            connections,
            handshakes,
        }
    }
}

#[test]
fn an_https_endpoint_with_an_untrusted_certificate_is_refused() {
    let server = SelfSignedServer::start();
    let endpoint = format!("https://127.0.0.1:{}", server.port);
    let config = provider_config(
        &endpoint,
        "  access_key = \"EMULATORACCESSKEYID\"\n  secret_key = \"emulator-secret\"\n  max_retries = 0",
    );
    let tf = TfDir::new(&config);
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(
        text.contains(&endpoint),
        "the error does not name the endpoint:\n{text}"
    );
    assert!(
        text.to_ascii_lowercase().contains("certificate"),
        "the error does not say the certificate was the problem:\n{text}"
    );
    assert!(
        server.connections.load(Ordering::SeqCst) > 0,
        "the provider never tried the endpoint"
    );
    assert_eq!(
        server.handshakes.load(Ordering::SeqCst),
        0,
        "a TLS session with an untrusted certificate was completed"
    );
}

#[test]
fn no_provider_setting_can_turn_tls_verification_off() {
    let tf = TfDir::new(&provider_config("http://127.0.0.1:9", ""));
    let out = tf.run(&["providers", "schema", "-json"]);
    out.assert_success();
    let schema: Value = serde_json::from_str(&out.stdout).expect("schema JSON");
    let provider = &schema["provider_schemas"]["registry.terraform.io/alicr/alicr"]["provider"];
    let mut names = Vec::new();
    collect_attribute_names(&provider["block"], &mut names);
    assert!(names.contains(&"secret_key".to_string()), "{names:?}");
    for name in &names {
        for word in ["insecure", "skip", "verify", "tls", "ssl", "cert", "ca_"] {
            assert!(
                !name.contains(word),
                "provider setting {name:?} looks like a TLS switch"
            );
        }
    }
}

fn collect_attribute_names(block: &Value, names: &mut Vec<String>) {
    if let Some(attributes) = block["attributes"].as_object() {
        names.extend(attributes.keys().cloned());
    }
    if let Some(blocks) = block["block_types"].as_object() {
        for (name, nested) in blocks {
            names.push(name.clone());
            collect_attribute_names(&nested["block"], names);
        }
    }
}

/// Issue 12: `terraform validate` and the provider apply one endpoint rule, and an endpoint
/// with user information is refused without quoting it.
#[test]
fn endpoints_follow_one_rule_and_user_information_is_never_quoted() {
    for (endpoint, rule) in [
        ("https://ram.aliyuncs.com/path", "path"),
        ("http://[::ffff:127.0.0.1]:9000", "loopback"),
        (
            "https://AKIDLEAK:TopSecretValue@ram.aliyuncs.com",
            "user information",
        ),
    ] {
        let tf = TfDir::new(&provider_config(endpoint, ""));
        let out = tf.run(&["validate", "-no-color"]);
        out.assert_failure();
        let text = out.all();
        assert!(text.contains(rule), "{endpoint}: {text}");
        // Terraform quotes the user's own configuration line; the provider's words never do.
        let ours: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("endpoint "))
            .collect();
        assert!(!ours.is_empty(), "no diagnostic of the provider's: {text}");
        for line in ours {
            assert!(!line.contains("TopSecretValue"), "{line}");
            assert!(!line.contains("AKIDLEAK"), "{line}");
        }
    }
}

/// Issue 12: instance-role credentials come from the metadata endpoint the provider block
/// names (here the emulator on 127.0.0.1, never 100.100.100.200), and a user can try the ECS
/// path through `terraform` like any other.
#[test]
fn ecs_role_credentials_come_from_the_configured_metadata_endpoint() {
    let emulator = Emulator::start();
    let endpoint = emulator.endpoint();
    let tf = TfDir::new(&format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
  ecs_role_name = "{role}"
  endpoints {{
    ram          = "{endpoint}"
    sts          = "{endpoint}"
    ecs_metadata = "{endpoint}"
  }}
}}

resource "alicr_custom_oss_role" "r" {{
  role_name    = "from-ecs-credentials"
  policy_name  = "from-ecs-credentials"
  bucket_names = ["images"]
}}
"#,
        role = alicr_emulator::config::DEFAULT_ECS_ROLE_NAME,
    ));
    let clean_env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
        ("ALICLOUD_ACCESS_KEY", ""),
        ("ALICLOUD_SECRET_KEY", ""),
    ];
    let before = emulator.calls()["metadata_requests"].as_u64().unwrap_or(0);
    tf.run_with_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &clean_env,
    )
    .assert_success();
    let after = emulator.calls()["metadata_requests"].as_u64().unwrap_or(0);
    assert!(
        after > before,
        "no credentials were asked of the metadata service"
    );
    let ram = emulator.state();
    assert!(
        ram["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["RoleName"] == "from-ecs-credentials"),
        "{ram}"
    );
    tf.run_with_env(
        &["destroy", "-auto-approve", "-input=false", "-no-color"],
        &clean_env,
    )
    .assert_success();
}
