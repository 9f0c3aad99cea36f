//! The plugin protocol over real connections: gRPC calls against an in-process server, and the
//! built binary's handshake, cookie check and mutual TLS.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use terraform_provider_alicr::plugin::proto::tfplugin6::{
    self as pb, provider_client::ProviderClient,
};
use terraform_provider_alicr::plugin::server;
use terraform_provider_alicr::plugin::value::{self, Value};
use terraform_provider_alicr::provider::{role as resource, ProviderService};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::support::provider_binary;

/// Starts the provider service in-process on a loopback port, without TLS.
async fn in_process_client() -> (ProviderClient<Channel>, CancellationToken) {
    let (channel, shutdown) = in_process_channel().await;
    (ProviderClient::new(channel), shutdown)
}

async fn in_process_channel() -> (Channel, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    tokio::spawn(async move {
        let _ = server::serve(listener, None, ProviderService::new(), token, true).await;
    });
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    (channel, shutdown)
}

fn msgpack(value: &Value) -> pb::DynamicValue {
    let ty = resource::schema().value_type();
    pb::DynamicValue {
        msgpack: value::encode_msgpack(value, &ty).unwrap(),
        json: vec![],
    }
}

fn role_config(buckets: &[&str], max_session_duration: Option<i64>) -> Value {
    use terraform_provider_alicr::plugin::typed::ObjectBuilder;
    let ty = resource::schema().value_type();
    let value::Type::Object(attrs) = &ty else {
        panic!("object schema")
    };
    let mut builder = ObjectBuilder::new();
    for name in attrs.keys() {
        builder = builder.set_value(name, Value::Null);
    }
    builder = builder.set_value(
        "bucket_names",
        Value::Set(
            buckets
                .iter()
                .map(|b| Value::String(b.to_string()))
                .collect(),
        ),
    );
    if let Some(secs) = max_session_duration {
        builder = builder.set("max_session_duration", secs);
    }
    builder.build()
}

#[tokio::test]
async fn grpc_schema_lists_the_resource_with_described_attributes() {
    let (mut client, shutdown) = in_process_client().await;
    let schema = client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let role = &schema.resource_schemas[resource::TYPE_NAME];
    let block = role.block.as_ref().unwrap();
    let buckets = block
        .attributes
        .iter()
        .find(|a| a.name == "bucket_names")
        .unwrap();
    assert!(buckets.required);
    assert_eq!(buckets.r#type, br#"["set","string"]"#.to_vec());
    assert!(block.attributes.iter().all(|a| !a.description.is_empty()));
    let provider = schema.provider.unwrap().block.unwrap();
    let secret = provider
        .attributes
        .iter()
        .find(|a| a.name == "secret_key")
        .unwrap();
    assert!(secret.sensitive);
    shutdown.cancel();
}

#[tokio::test]
async fn grpc_validate_reports_bad_input_on_the_attribute() {
    let (mut client, shutdown) = in_process_client().await;
    let response = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: resource::TYPE_NAME.into(),
            config: Some(msgpack(&role_config(&["ok-bucket"], Some(100)))),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.diagnostics.len(), 1, "{:?}", response.diagnostics);
    let path = response.diagnostics[0].attribute.as_ref().unwrap();
    use pb::attribute_path::step::Selector;
    assert_eq!(
        path.steps[0].selector,
        Some(Selector::AttributeName("max_session_duration".into()))
    );

    let ok = client
        .validate_resource_config(pb::validate_resource_config::Request {
            type_name: resource::TYPE_NAME.into(),
            config: Some(msgpack(&role_config(&["ok-bucket"], None))),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    shutdown.cancel();
}

#[tokio::test]
async fn grpc_plan_renders_both_documents() {
    let (mut client, shutdown) = in_process_client().await;
    let config = role_config(&["bucket-one", "bucket-two"], None);
    let response = client
        .plan_resource_change(pb::plan_resource_change::Request {
            type_name: resource::TYPE_NAME.into(),
            prior_state: Some(msgpack(&Value::Null)),
            proposed_new_state: Some(msgpack(&config)),
            config: Some(msgpack(&config)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let ty = resource::schema().value_type();
    let planned = value::decode_msgpack(&response.planned_state.unwrap().msgpack, &ty).unwrap();
    let model = resource::RoleModel::from_value(&planned).unwrap();
    let policy = model.policy_document.as_known().unwrap();
    assert!(policy.contains("acs:oss:*:*:bucket-two/*"));
    assert!(model
        .assume_role_policy_document
        .as_known()
        .unwrap()
        .contains("cr.aliyuncs.com"));
    shutdown.cancel();
}

#[tokio::test]
async fn grpc_unknown_calls_answer_unimplemented() {
    let (channel, shutdown) = in_process_channel().await;
    // Call a method name the service does not declare, with the raw gRPC client.
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = http::uri::PathAndQuery::from_static("/tfplugin6.Provider/OpenEphemeralResource");
    let status = grpc
        .unary::<_, pb::get_functions::Response, _>(
            tonic::Request::new(pb::get_functions::Request {}),
            path,
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unimplemented);
    shutdown.cancel();
}

#[test]
fn binary_without_the_cookie_explains_itself() {
    let output = Command::new(provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing but the handshake may reach stdout"
    );
}

/// A client certificate like go-plugin's: ECDSA P-521, self-signed.
pub(crate) fn client_identity() -> (
    rustls_pki_types::CertificateDer<'static>,
    rustls_pki_types::PrivateKeyDer<'static>,
    String,
) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    let pem = cert.pem();
    (
        cert.der().clone(),
        rustls_pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        pem,
    )
}

struct RunningPlugin {
    child: Child,
    addr: String,
    server_cert: Vec<u8>,
}

impl Drop for RunningPlugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the built binary as Terraform would: with the cookie, and with AutoMTLS pinned to
/// `client_cert_pem` or with TLS disabled. Returns once the handshake line is read.
fn start_plugin(client_cert_pem: Option<&str>) -> RunningPlugin {
    use base64::Engine as _;
    use terraform_provider_alicr::plugin::handshake::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
    let mut command = Command::new(provider_binary());
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    match client_cert_pem {
        Some(pem) => command
            .env("PLUGIN_CLIENT_CERT", pem)
            .env_remove("TF_DISABLE_PLUGIN_TLS"),
        None => command
            .env("TF_DISABLE_PLUGIN_TLS", "1")
            .env_remove("PLUGIN_CLIENT_CERT"),
    };
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line: {line:?}");
    assert_eq!(&fields[..3], &["1", "6", "tcp"]);
    assert_eq!(fields[4], "grpc");
    let server_cert = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(fields[5])
        .expect("certificate in unpadded base64");
    assert_eq!(
        server_cert.is_empty(),
        client_cert_pem.is_none(),
        "a certificate exactly when TLS is on"
    );
    RunningPlugin {
        child,
        addr: fields[3].to_string(),
        server_cert,
    }
}

/// Trusts exactly the certificate from the handshake line, as go-plugin does. (webpki would
/// reject it as a CA certificate used as an end entity; Go's verifier accepts that.)
#[derive(Debug)]
struct PinnedServerCert {
    pinned: Vec<u8>,
    algorithms: rustls::crypto::WebPkiSupportedAlgorithms,
}

impl rustls::client::danger::ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &rustls_pki_types::CertificateDer<'_>,
        _intermediates: &[rustls_pki_types::CertificateDer<'_>],
        _server_name: &rustls_pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.pinned.as_slice() {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "unexpected server certificate".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls_pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A gRPC health check over TLS to the plugin at `addr`, trusting exactly `server_cert` (from
/// the handshake line), optionally presenting a client certificate.
pub(crate) async fn health_check(
    addr: String,
    server_cert: Vec<u8>,
    client_auth: Option<(
        rustls_pki_types::CertificateDer<'static>,
        rustls_pki_types::PrivateKeyDer<'static>,
    )>,
) -> Result<i32, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(PinnedServerCert {
        pinned: server_cert,
        algorithms: provider.signature_verification_algorithms,
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client_auth {
        Some((cert, key)) => builder
            .with_client_auth_cert(vec![cert], key)
            .map_err(|e| e.to_string())?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let channel = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let connector = connector.clone();
            let addr = addr.clone();
            async move {
                let tcp = tokio::net::TcpStream::connect(addr).await?;
                let name = rustls_pki_types::ServerName::try_from("localhost")
                    .map_err(std::io::Error::other)?;
                let tls = connector.connect(name, tcp).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let response = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .map_err(|e| format!("health check: {e}"))?;
    Ok(response.into_inner().status)
}

#[tokio::test]
async fn mutual_tls_serves_the_pinned_client_and_refuses_others() {
    let (cert, key, pem) = client_identity();
    let plugin = start_plugin(Some(&pem));

    let serving = health_check(
        plugin.addr.clone(),
        plugin.server_cert.clone(),
        Some((cert, key)),
    )
    .await;
    assert_eq!(
        serving,
        Ok(tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
    );

    let anonymous = health_check(plugin.addr.clone(), plugin.server_cert.clone(), None).await;
    assert!(
        anonymous.is_err(),
        "a client without a certificate was served"
    );

    let (other_cert, other_key, _) = client_identity();
    let stranger = health_check(
        plugin.addr.clone(),
        plugin.server_cert.clone(),
        Some((other_cert, other_key)),
    )
    .await;
    assert!(
        stranger.is_err(),
        "a client with another certificate was served"
    );
}

#[tokio::test]
async fn grpc_upgrade_drops_attributes_the_schema_no_longer_has() {
    let (mut client, shutdown) = in_process_client().await;
    let raw = serde_json::json!({
        "id": "Role",
        "role_name": "Role",
        "bucket_names": ["images"],
        "attribute_from_an_older_version": "gone"
    });
    let response = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: resource::TYPE_NAME.into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: serde_json::to_vec(&raw).unwrap(),
                flatmap: Default::default(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        response.diagnostics.is_empty(),
        "{:?}",
        response.diagnostics
    );
    let ty = resource::schema().value_type();
    let upgraded = value::decode_msgpack(&response.upgraded_state.unwrap().msgpack, &ty).unwrap();
    let model = resource::RoleModel::from_value(&upgraded).unwrap();
    assert_eq!(model.role_name.as_known().map(String::as_str), Some("Role"));
    assert!(upgraded
        .get_attr("attribute_from_an_older_version")
        .is_none());

    let flatmap_only = client
        .upgrade_resource_state(pb::upgrade_resource_state::Request {
            type_name: resource::TYPE_NAME.into(),
            version: 0,
            raw_state: Some(pb::RawState {
                json: vec![],
                flatmap: [("id".to_string(), "Role".to_string())].into(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(flatmap_only.diagnostics.len(), 1);
    shutdown.cancel();
}

#[tokio::test]
async fn grpc_stop_provider_keeps_serving() {
    let (mut client, shutdown) = in_process_client().await;
    let stopped = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .unwrap()
        .into_inner();
    assert!(stopped.error.is_empty());
    // Still answering afterwards: StopProvider cancels work, not the server.
    client
        .get_provider_schema(pb::get_provider_schema::Request {})
        .await
        .unwrap();
    shutdown.cancel();
}

#[tokio::test]
async fn controller_shutdown_ends_the_process_cleanly() {
    let mut plugin = start_plugin(None);
    let channel = Channel::from_shared(format!("http://{}", plugin.addr))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut controller =
        terraform_provider_alicr::plugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient::new(channel);
    controller
        .shutdown(terraform_provider_alicr::plugin::proto::go_plugin::Empty {})
        .await
        .unwrap();
    // Bounded wait so a regression fails instead of hanging the suite.
    let mut status = None;
    for _ in 0..200 {
        if let Some(exit) = plugin.child.try_wait().unwrap() {
            status = Some(exit);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let status = status.expect("the plugin did not exit after Shutdown");
    assert!(status.success(), "exit status {status:?}");
}
