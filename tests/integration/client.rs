//! The Alibaba Cloud client (`alicloud`) against the in-process RAM emulator: every RAM and STS
//! operation under both signature algorithms, every mapped error code, retries under injected
//! throttling, 5xx and connection resets (attempts counted through `/_emulator/calls`),
//! deadlines, and temporary credentials from STS and ECS metadata end to end.

use std::sync::Arc;
use std::time::Duration;

use alicr_emulator::{Config, Running};
use serde_json::{json, Value};
use terraform_provider_alicr::alicloud::credentials::{
    connect, AssumeRoleConfig, CredentialConfig, MapEnv,
};
use terraform_provider_alicr::alicloud::ram::{
    CreatePolicyRequest, CreatePolicyVersionRequest, CreateRoleRequest, ListRolesRequest,
    PolicyType, RotateStrategy, UpdateRoleRequest,
};
use terraform_provider_alicr::alicloud::sts::AssumeRoleRequest;
use terraform_provider_alicr::alicloud::{
    Client, ClientConfig, Credentials, Error, RetryPolicy, Secret, SignatureAlgorithm,
    StaticProvider,
};

const AK: &str = "EMULATORACCESSKEYID";
const SECRET: &str = "emulator-secret";
const ACCOUNT: &str = "1234567890123456";

const SERVICE_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["cr.aliyuncs.com"]}}],"Version":"1"}"#;
const ACCOUNT_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"RAM":["acs:ram::1234567890123456:root"]}}],"Version":"1"}"#;

fn policy_doc(bucket: &str) -> String {
    format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":["oss:GetObject","oss:PutObject"],"Resource":["acs:oss:*:*:{bucket}","acs:oss:*:*:{bucket}/*"]}}]}}"#
    )
}

struct Emu {
    running: Running,
    admin: reqwest::Client,
}

impl Emu {
    async fn start() -> Emu {
        Emu::start_with(Config::default()).await
    }

    async fn start_with(config: Config) -> Emu {
        let running = alicr_emulator::start(config)
            .await
            .expect("emulator starts");
        Emu {
            running,
            admin: reqwest::Client::new(),
        }
    }

    fn endpoint(&self) -> String {
        self.running.endpoint()
    }

    fn config(&self, algorithm: SignatureAlgorithm, max_retries: u32) -> ClientConfig {
        ClientConfig {
            ram_endpoint: Some(self.endpoint()),
            sts_endpoint: Some(self.endpoint()),
            signature_algorithm: algorithm,
            retry: RetryPolicy {
                max_retries,
                base_delay: Duration::from_millis(1),
                max_delay: Duration::from_millis(10),
            },
            ..ClientConfig::default()
        }
    }

    fn client_as(
        &self,
        algorithm: SignatureAlgorithm,
        max_retries: u32,
        creds: Credentials,
    ) -> Client {
        Client::new(self.config(algorithm, max_retries))
            .expect("client")
            .with_credentials(Arc::new(StaticProvider::new(creds, "test")))
    }

    fn client(&self) -> Client {
        self.client_as(
            SignatureAlgorithm::HmacSha1,
            3,
            Credentials::new(AK, SECRET),
        )
    }

    async fn admin_get(&self, path: &str) -> Value {
        self.admin
            .get(format!("{}{path}", self.endpoint()))
            .send()
            .await
            .expect("admin GET")
            .json()
            .await
            .expect("admin JSON")
    }

    async fn calls_of(&self, action: &str) -> u64 {
        self.admin_get("/_emulator/calls").await["by_action"][action]
            .as_u64()
            .unwrap_or(0)
    }

    async fn faults(&self, body: Value) {
        let status = self
            .admin
            .post(format!("{}/_emulator/faults", self.endpoint()))
            .json(&body)
            .send()
            .await
            .expect("faults POST")
            .status();
        assert!(status.is_success(), "setting faults answered {status}");
    }

    async fn fail(&self, action: &str, code: &str, count: u32) {
        self.faults(json!({"latency_ms": 0, "throttle_rate": 0.0, "fail": [{"action": action, "code": code, "count": count}]}))
            .await;
    }

    async fn stop(self) {
        self.running.stop().await;
    }
}

async fn create_role(client: &Client, name: &str, trust: &str) {
    client
        .create_role(&CreateRoleRequest {
            role_name: name.into(),
            assume_role_policy_document: trust.into(),
            description: Some("test role".into()),
            max_session_duration: Some(3600),
            ..Default::default()
        })
        .await
        .expect("CreateRole");
}

async fn create_policy(client: &Client, name: &str) {
    client
        .create_policy(&CreatePolicyRequest {
            policy_name: name.into(),
            policy_document: policy_doc("bucket-a"),
            description: Some("test policy".into()),
            ..Default::default()
        })
        .await
        .expect("CreatePolicy");
}

fn expect_err<T: std::fmt::Debug>(result: Result<T, Error>, what: &str) -> Error {
    match result {
        Ok(v) => panic!("{what}: expected an error, got {v:?}"),
        Err(e) => e,
    }
}

async fn role_lifecycle(algorithm: SignatureAlgorithm) {
    let emu = Emu::start().await;
    let client = emu.client_as(algorithm, 3, Credentials::new(AK, SECRET));

    let created = client
        .create_role(&CreateRoleRequest {
            role_name: "AcrRole".into(),
            assume_role_policy_document: SERVICE_TRUST.into(),
            description: Some("for ACR".into()),
            max_session_duration: Some(7200),
            ..Default::default()
        })
        .await
        .expect("CreateRole");
    assert!(!created.request_id.is_empty());
    assert_eq!(created.role.role_name, "AcrRole");
    assert_eq!(created.role.description, "for ACR");
    assert_eq!(created.role.max_session_duration, Some(7200));
    assert!(
        created
            .role
            .arn
            .starts_with(&format!("acs:ram::{ACCOUNT}:role/")),
        "{}",
        created.role.arn
    );
    assert!(created
        .role
        .arn
        .eq_ignore_ascii_case(&format!("acs:ram::{ACCOUNT}:role/AcrRole")));
    assert!(!created.role.role_id.is_empty());
    assert!(!created.role.create_date.is_empty());

    let got = client.get_role("AcrRole").await.expect("GetRole");
    assert_eq!(got.role.role_id, created.role.role_id);
    assert_eq!(got.role.arn, created.role.arn);
    let trust: Value =
        serde_json::from_str(&got.role.assume_role_policy_document).expect("trust JSON");
    assert_eq!(
        trust["Statement"][0]["Principal"]["Service"][0],
        "cr.aliyuncs.com"
    );

    let updated = client
        .update_role(&UpdateRoleRequest {
            role_name: "AcrRole".into(),
            new_assume_role_policy_document: Some(ACCOUNT_TRUST.into()),
            new_description: Some("changed".into()),
            new_max_session_duration: Some(3600),
        })
        .await
        .expect("UpdateRole");
    assert_eq!(updated.role.description, "changed");
    assert_eq!(updated.role.max_session_duration, Some(3600));
    let got = client
        .get_role("AcrRole")
        .await
        .expect("GetRole after update");
    assert_eq!(got.role.description, "changed");
    assert!(got
        .role
        .assume_role_policy_document
        .contains("acs:ram::1234567890123456:root"));

    let listed = client
        .list_roles(&ListRolesRequest::default())
        .await
        .expect("ListRoles");
    assert!(listed.roles.iter().any(|r| r.role_name == "AcrRole"));

    client.delete_role("AcrRole").await.expect("DeleteRole");
    let gone = expect_err(client.get_role("AcrRole").await, "GetRole after delete");
    assert!(gone.is_not_found(), "{gone}");
    assert_eq!(gone.code(), Some("EntityNotExist.Role"));
    emu.stop().await;
}

#[tokio::test]
async fn role_lifecycle_hmac_sha1() {
    role_lifecycle(SignatureAlgorithm::HmacSha1).await;
}

#[tokio::test]
async fn role_lifecycle_acs3_hmac_sha256() {
    role_lifecycle(SignatureAlgorithm::Acs3HmacSha256).await;
}

async fn policy_lifecycle(algorithm: SignatureAlgorithm) {
    let emu = Emu::start().await;
    let client = emu.client_as(algorithm, 3, Credentials::new(AK, SECRET));
    create_role(&client, "AcrRole", SERVICE_TRUST).await;

    let created = client
        .create_policy(&CreatePolicyRequest {
            policy_name: "AcrPolicy".into(),
            policy_document: policy_doc("bucket-a"),
            description: Some("first".into()),
            ..Default::default()
        })
        .await
        .expect("CreatePolicy");
    assert_eq!(created.policy.policy_name, "AcrPolicy");
    assert_eq!(created.policy.policy_type, "Custom");
    assert_eq!(created.policy.default_version, "v1");

    let got = client
        .get_policy(PolicyType::Custom, "AcrPolicy")
        .await
        .expect("GetPolicy");
    assert_eq!(got.policy.default_version, "v1");
    let default = got
        .default_policy_version
        .as_ref()
        .expect("DefaultPolicyVersion");
    assert_eq!(default.version_id, "v1");
    assert!(default.is_default_version);
    assert!(got.default_document().contains("bucket-a"));

    let described = client
        .update_policy_description("AcrPolicy", "second")
        .await
        .expect("UpdatePolicyDescription");
    assert_eq!(described.policy.description, "second");

    let v2 = client
        .create_policy_version(&CreatePolicyVersionRequest {
            policy_name: "AcrPolicy".into(),
            policy_document: policy_doc("bucket-b"),
            set_as_default: true,
            rotate_strategy: RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
        })
        .await
        .expect("CreatePolicyVersion");
    assert_eq!(v2.policy_version.version_id, "v2");
    assert!(v2.policy_version.is_default_version);

    let fetched = client
        .get_policy_version(PolicyType::Custom, "AcrPolicy", "v1")
        .await
        .expect("GetPolicyVersion");
    assert!(fetched.policy_version.policy_document.contains("bucket-a"));
    assert!(!fetched.policy_version.is_default_version);

    let versions = client
        .list_policy_versions(PolicyType::Custom, "AcrPolicy")
        .await
        .expect("ListPolicyVersions");
    let ids: Vec<&str> = versions
        .policy_versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    assert!(ids.contains(&"v1") && ids.contains(&"v2"), "{ids:?}");

    client
        .set_default_policy_version("AcrPolicy", "v1")
        .await
        .expect("SetDefaultPolicyVersion");
    let got = client
        .get_policy(PolicyType::Custom, "AcrPolicy")
        .await
        .expect("GetPolicy");
    assert_eq!(got.policy.default_version, "v1");
    client
        .delete_policy_version("AcrPolicy", "v2")
        .await
        .expect("DeletePolicyVersion");
    let versions = client
        .list_policy_versions(PolicyType::Custom, "AcrPolicy")
        .await
        .expect("ListPolicyVersions");
    assert_eq!(versions.policy_versions.len(), 1);

    client
        .attach_policy_to_role(PolicyType::Custom, "AcrPolicy", "AcrRole")
        .await
        .expect("AttachPolicyToRole");
    let attached = client
        .list_policies_for_role("AcrRole")
        .await
        .expect("ListPoliciesForRole");
    assert_eq!(attached.policies.len(), 1);
    assert_eq!(attached.policies[0].policy_name, "AcrPolicy");
    assert_eq!(attached.policies[0].policy_type, "Custom");
    let entities = client
        .list_entities_for_policy(PolicyType::Custom, "AcrPolicy")
        .await
        .expect("ListEntitiesForPolicy");
    assert_eq!(entities.roles.len(), 1);
    assert_eq!(entities.roles[0].role_name, "AcrRole");
    assert!(entities.users.is_empty() && entities.groups.is_empty());

    client
        .detach_policy_from_role(PolicyType::Custom, "AcrPolicy", "AcrRole")
        .await
        .expect("DetachPolicyFromRole");
    assert!(client
        .list_policies_for_role("AcrRole")
        .await
        .expect("list")
        .policies
        .is_empty());

    client
        .attach_policy_to_role(PolicyType::Custom, "AcrPolicy", "AcrRole")
        .await
        .expect("re-attach");
    client
        .delete_policy("AcrPolicy", true)
        .await
        .expect("DeletePolicy cascading");
    assert!(client
        .list_policies_for_role("AcrRole")
        .await
        .expect("list")
        .policies
        .is_empty());
    let gone = expect_err(
        client.get_policy(PolicyType::Custom, "AcrPolicy").await,
        "GetPolicy after delete",
    );
    assert!(gone.is_not_found(), "{gone}");
    client.delete_role("AcrRole").await.expect("DeleteRole");
    emu.stop().await;
}

#[tokio::test]
async fn policy_lifecycle_hmac_sha1() {
    policy_lifecycle(SignatureAlgorithm::HmacSha1).await;
}

#[tokio::test]
async fn policy_lifecycle_acs3_hmac_sha256() {
    policy_lifecycle(SignatureAlgorithm::Acs3HmacSha256).await;
}

#[tokio::test]
async fn version_limit_and_rotation() {
    let emu = Emu::start().await;
    let client = emu.client();
    create_policy(&client, "Rotating").await;
    let version = |n: usize, rotate: RotateStrategy| CreatePolicyVersionRequest {
        policy_name: "Rotating".into(),
        policy_document: policy_doc(&format!("bucket-{n}")),
        set_as_default: true,
        rotate_strategy: rotate,
    };
    for n in 2..=5 {
        client
            .create_policy_version(&version(n, RotateStrategy::None))
            .await
            .expect("within limit");
    }
    let limit = expect_err(
        client
            .create_policy_version(&version(6, RotateStrategy::None))
            .await,
        "6th version",
    );
    assert!(limit.is_limit_exceeded(), "{limit}");
    assert_eq!(limit.code(), Some("LimitExceeded.Policy.Version"));
    for n in 6..=8 {
        let v = client
            .create_policy_version(&version(
                n,
                RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
            ))
            .await
            .expect("rotated");
        assert!(v.policy_version.is_default_version);
    }
    let versions = client
        .list_policy_versions(PolicyType::Custom, "Rotating")
        .await
        .expect("list");
    assert_eq!(versions.policy_versions.len(), 5);
    let got = client
        .get_policy(PolicyType::Custom, "Rotating")
        .await
        .expect("get");
    assert!(got.default_document().contains("bucket-8"));
    emu.stop().await;
}

#[tokio::test]
async fn mapped_errors() {
    let emu = Emu::start().await;
    let client = emu.client();
    create_role(&client, "Taken", SERVICE_TRUST).await;
    create_policy(&client, "TakenPolicy").await;

    let e = expect_err(client.get_role("Missing").await, "missing role");
    assert!(e.is_not_found() && !e.is_retryable());
    assert!(e.request_id().is_some_and(|r| !r.is_empty()));
    assert!(e.to_string().contains("EntityNotExist.Role") && e.to_string().contains("RequestId"));

    let e = expect_err(
        client
            .create_role(&CreateRoleRequest {
                role_name: "Taken".into(),
                assume_role_policy_document: SERVICE_TRUST.into(),
                ..CreateRoleRequest::default()
            })
            .await,
        "duplicate role",
    );
    assert!(e.is_already_exists());
    assert_eq!(e.code(), Some("EntityAlreadyExists.Role"));

    let e = expect_err(
        client
            .create_policy(&CreatePolicyRequest {
                policy_name: "TakenPolicy".into(),
                policy_document: policy_doc("x-bucket"),
                description: None,
                ..Default::default()
            })
            .await,
        "duplicate policy",
    );
    assert!(e.is_already_exists());
    assert_eq!(e.code(), Some("EntityAlreadyExists.Policy"));

    let e = expect_err(
        client.get_policy(PolicyType::Custom, "NoSuchPolicy").await,
        "missing policy",
    );
    assert!(e.is_not_found());
    assert_eq!(e.code(), Some("EntityNotExist.Policy"));

    let e = expect_err(
        client
            .attach_policy_to_role(PolicyType::Custom, "NoSuchPolicy", "Taken")
            .await,
        "attach missing policy",
    );
    assert!(e.is_not_found());

    client
        .attach_policy_to_role(PolicyType::Custom, "TakenPolicy", "Taken")
        .await
        .expect("attach");
    let e = expect_err(client.delete_role("Taken").await, "delete attached role");
    assert!(e.is_delete_conflict(), "{e}");
    assert!(e.code().is_some_and(|c| c.starts_with("DeleteConflict.")));

    let e = expect_err(
        client
            .create_policy(&CreatePolicyRequest {
                policy_name: "Broken".into(),
                policy_document: "{not json".into(),
                description: None,
                ..Default::default()
            })
            .await,
        "malformed document",
    );
    assert!(e.is_malformed_policy(), "{e}");

    let e = expect_err(
        client
            .create_role(&CreateRoleRequest {
                role_name: "bad name!".into(),
                assume_role_policy_document: SERVICE_TRUST.into(),
                ..CreateRoleRequest::default()
            })
            .await,
        "invalid role name",
    );
    assert!(e.is_invalid_parameter(), "{e}");
    assert_eq!(e.attempts(), Some(1));
    emu.stop().await;
}

#[tokio::test]
async fn authentication_errors() {
    let emu = Emu::start().await;
    for algorithm in [
        SignatureAlgorithm::HmacSha1,
        SignatureAlgorithm::Acs3HmacSha256,
    ] {
        let wrong = emu.client_as(algorithm, 3, Credentials::new(AK, "not-the-secret"));
        let e = expect_err(wrong.get_role("Any").await, "wrong secret");
        assert!(e.is_signature_error(), "{e}");
        assert_eq!(e.code(), Some("SignatureDoesNotMatch"));
        assert!(e.hint().is_some_and(|h| h.contains("secret")));
        assert!(!e.to_string().contains("not-the-secret"));
        assert!(!format!("{e:?}").contains("not-the-secret"));

        let unknown = emu.client_as(algorithm, 3, Credentials::new("NOSUCHKEY", SECRET));
        let e = expect_err(unknown.get_role("Any").await, "unknown key");
        assert!(e.is_invalid_credentials(), "{e}");
        assert_eq!(e.code(), Some("InvalidAccessKeyId.NotFound"));

        let bad_token = emu.client_as(
            algorithm,
            3,
            Credentials::new("STS.NOSUCHKEY", SECRET)
                .with_security_token(Some("forged-token-value".into())),
        );
        let e = expect_err(bad_token.get_role("Any").await, "forged token");
        assert!(e.is_invalid_credentials() || e.is_signature_error(), "{e}");
        assert!(!e.to_string().contains("forged-token-value"), "{e}");
    }
    assert_eq!(
        emu.calls_of("GetRole").await,
        6,
        "authentication errors are not retried"
    );
    emu.stop().await;
}

#[tokio::test]
async fn throttling_is_retried_until_success() {
    let emu = Emu::start().await;
    let client = emu.client();
    create_role(&client, "R", SERVICE_TRUST).await;
    emu.fail("GetRole", "Throttling.User", 2).await;
    let got = client
        .get_role("R")
        .await
        .expect("succeeds on the third attempt");
    assert_eq!(got.role.role_name, "R");
    assert_eq!(emu.calls_of("GetRole").await, 3);
    let calls = emu.admin_get("/_emulator/calls").await;
    assert_eq!(calls["errors_by_code"]["Throttling.User"].as_u64(), Some(2));
    emu.stop().await;
}

#[tokio::test]
async fn transient_failures_stop_at_max_retries() {
    let emu = Emu::start().await;
    let client = emu.client_as(
        SignatureAlgorithm::HmacSha1,
        2,
        Credentials::new(AK, SECRET),
    );
    emu.fail("GetRole", "InternalError", 10).await;
    let e = expect_err(client.get_role("R").await, "failing throughout");
    assert_eq!(e.code(), Some("InternalError"));
    assert_eq!(e.attempts(), Some(3));
    assert!(e.to_string().contains("after 3 attempts"), "{e}");
    assert!(e.hint().is_some_and(|h| h.contains("transient")));
    assert_eq!(emu.calls_of("GetRole").await, 3);

    let none = emu.client_as(
        SignatureAlgorithm::HmacSha1,
        0,
        Credentials::new(AK, SECRET),
    );
    let before = emu.calls_of("GetRole").await;
    let e = expect_err(none.get_role("R").await, "no retries");
    assert_eq!(e.code(), Some("InternalError"));
    assert_eq!(emu.calls_of("GetRole").await, before + 1);
    emu.stop().await;
}

/// Throttling is retried until the deadline whatever `max_retries` says (issue 12 item 1); the
/// throttled attempts leave the transient budget untouched for the failures that follow.
#[tokio::test]
async fn throttling_is_retried_beyond_max_retries() {
    let emu = Emu::start().await;
    let setup = emu.client();
    create_role(&setup, "R", SERVICE_TRUST).await;
    let none = emu.client_as(
        SignatureAlgorithm::HmacSha1,
        0,
        Credentials::new(AK, SECRET),
    );
    for code in ["Throttling.User", "Throttling.Api", "ServiceUnavailable"] {
        emu.fail("GetRole", code, 8).await;
        let before = emu.calls_of("GetRole").await;
        let got = none
            .with_deadline(tokio::time::Instant::now() + Duration::from_secs(20))
            .get_role("R")
            .await
            .expect("throttling outlasted with max_retries = 0");
        assert_eq!(got.role.role_name, "R");
        assert_eq!(emu.calls_of("GetRole").await, before + 9, "{code}");
    }
    // Throttles do not use up the budget: with max_retries = 1, one InternalError after five
    // throttles is still retried.
    let one = emu.client_as(
        SignatureAlgorithm::HmacSha1,
        1,
        Credentials::new(AK, SECRET),
    );
    emu.faults(json!({"latency_ms": 0, "throttle_rate": 0.0, "fail": [
        {"action": "GetRole", "code": "Throttling.User", "count": 5},
        {"action": "GetRole", "code": "InternalError", "count": 1},
    ]}))
    .await;
    let before = emu.calls_of("GetRole").await;
    one.get_role("R").await.expect("five throttles and one 500");
    assert_eq!(emu.calls_of("GetRole").await, before + 7);
    emu.stop().await;
}

#[tokio::test]
async fn server_errors_and_resets_are_retried() {
    let emu = Emu::start().await;
    let client = emu.client_as(
        SignatureAlgorithm::HmacSha1,
        4,
        Credentials::new(AK, SECRET),
    );
    for (code, action) in [
        ("ServiceUnavailable", "CreateRole"),
        ("InternalError", "CreatePolicy"),
        ("ConnectionReset", "AttachPolicyToRole"),
    ] {
        emu.fail(action, code, 2).await;
        match action {
            "CreateRole" => create_role(&client, "R", SERVICE_TRUST).await,
            "CreatePolicy" => create_policy(&client, "P").await,
            _ => {
                client
                    .attach_policy_to_role(PolicyType::Custom, "P", "R")
                    .await
                    .expect("attach after resets");
            }
        }
        assert_eq!(emu.calls_of(action).await, 3, "{action} after two {code}");
    }
    emu.stop().await;
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let emu = Emu::start().await;
    let client = emu.client();
    emu.fail("GetRole", "NoPermission", 1).await;
    let e = expect_err(client.get_role("R").await, "permission");
    assert!(e.is_permission_denied(), "{e}");
    assert!(e.hint().is_some_and(|h| h.contains("permission")));
    assert_eq!(emu.calls_of("GetRole").await, 1);
    emu.stop().await;
}

#[tokio::test]
async fn deadline_bounds_the_call() {
    let emu = Emu::start().await;
    let client = emu.client_as(
        SignatureAlgorithm::HmacSha1,
        10,
        Credentials::new(AK, SECRET),
    );
    emu.faults(json!({"latency_ms": 2000, "throttle_rate": 0.0, "fail": []}))
        .await;
    let started = tokio::time::Instant::now();
    let e = expect_err(
        client
            .with_deadline(started + Duration::from_millis(300))
            .get_role("R")
            .await,
        "slow server",
    );
    assert!(e.is_timeout(), "{e}");
    assert!(matches!(e, Error::DeadlineExceeded { .. }));
    assert!(started.elapsed() < Duration::from_millis(1500));
    emu.stop().await;
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let emu = Emu::start().await;
    let endpoint = emu.endpoint();
    emu.stop().await;
    let client = Client::new(ClientConfig {
        ram_endpoint: Some(endpoint),
        retry: RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        },
        ..ClientConfig::default()
    })
    .expect("client")
    .with_credentials(Arc::new(StaticProvider::new(
        Credentials::new(AK, SECRET),
        "test",
    )));
    let e = expect_err(client.get_role("R").await, "nothing listening");
    assert!(matches!(e, Error::Transport { .. }), "{e}");
    assert_eq!(e.attempts(), Some(3));
    assert!(!e.is_outcome_unknown());
}

#[tokio::test]
async fn caller_identity_with_static_keys() {
    let emu = Emu::start().await;
    let who = emu
        .client()
        .get_caller_identity()
        .await
        .expect("GetCallerIdentity");
    assert_eq!(who.account_id, ACCOUNT);
    assert!(!who.identity_type.is_empty());
    emu.stop().await;
}

#[tokio::test]
async fn assume_role_directly() {
    let emu = Emu::start().await;
    let client = emu.client();
    create_role(&client, "Deployer", ACCOUNT_TRUST).await;
    let arn = client.get_role("Deployer").await.expect("get").role.arn;
    let answer = client
        .assume_role(&AssumeRoleRequest {
            role_arn: arn,
            role_session_name: "it-session".into(),
            duration_seconds: Some(900),
            policy: None,
            external_id: None,
        })
        .await
        .expect("AssumeRole");
    assert!(answer.assumed_role_user.arn.contains("it-session"));
    let creds = answer.credentials.to_credentials().expect("credentials");
    assert!(creds.security_token.is_some());
    assert!(creds.expiration.is_some());
    let shown = format!("{answer:?} {creds:?}");
    assert!(!shown.contains(creds.access_key_secret.expose()));

    let temporary = emu.client_as(SignatureAlgorithm::Acs3HmacSha256, 3, creds);
    let who = temporary
        .get_caller_identity()
        .await
        .expect("identity with STS credentials");
    assert_eq!(who.identity_type, "AssumedRoleUser");

    let refused = expect_err(
        client
            .assume_role(&AssumeRoleRequest {
                role_arn: format!("acs:ram::{ACCOUNT}:role/nosuchrole"),
                role_session_name: "it-session".into(),
                ..AssumeRoleRequest::default()
            })
            .await,
        "assume a missing role",
    );
    assert!(refused.is_not_found(), "{refused}");
    emu.stop().await;
}

fn empty_env() -> MapEnv {
    MapEnv::new().with("HOME", "/nonexistent-home-for-tests")
}

#[tokio::test]
async fn assume_role_chain_end_to_end() {
    let emu = Emu::start().await;
    create_role(&emu.client(), "Deployer", ACCOUNT_TRUST).await;
    let settings = CredentialConfig {
        access_key: Some(AK.into()),
        secret_key: Some(Secret::new(SECRET)),
        assume_role: Some(AssumeRoleConfig {
            role_arn: format!("acs:ram::{ACCOUNT}:role/Deployer"),
            session_name: Some("terraform".into()),
            session_expiration: Some(900),
            ..AssumeRoleConfig::default()
        }),
        ..CredentialConfig::default()
    };
    let client = connect(
        emu.config(SignatureAlgorithm::HmacSha1, 3),
        &settings,
        &empty_env(),
    )
    .expect("connect");
    assert_eq!(
        emu.calls_of("AssumeRole").await,
        0,
        "configuring sends nothing"
    );

    let who = client.get_caller_identity().await.expect("identity");
    assert_eq!(who.identity_type, "AssumedRoleUser");
    assert!(who.arn.contains("terraform"), "{}", who.arn);
    create_role(&client, "MadeByAssumedRole", SERVICE_TRUST).await;
    let futures: Vec<_> = (0..8)
        .map(|_| client.get_role("MadeByAssumedRole"))
        .collect();
    for result in futures::future::join_all(futures).await {
        result.expect("concurrent GetRole with cached STS credentials");
    }
    assert_eq!(
        emu.calls_of("AssumeRole").await,
        1,
        "credentials are fetched once and cached"
    );
    emu.stop().await;
}

#[tokio::test]
async fn ecs_metadata_credentials_end_to_end() {
    let emu = Emu::start_with(Config {
        ecs_role_name: "InstanceRole".into(),
        ..Config::default()
    })
    .await;
    let settings = CredentialConfig {
        ecs_role_name: Some("InstanceRole".into()),
        ecs_metadata_endpoint: Some(emu.endpoint()),
        ..CredentialConfig::default()
    };
    let client = connect(
        emu.config(SignatureAlgorithm::HmacSha1, 3),
        &settings,
        &empty_env(),
    )
    .expect("connect");
    let who = client
        .get_caller_identity()
        .await
        .expect("identity from ECS credentials");
    assert_eq!(who.identity_type, "AssumedRoleUser");
    create_role(&client, "FromEcs", SERVICE_TRUST).await;
    client.get_role("FromEcs").await.expect("GetRole");

    let wrong_role = CredentialConfig {
        ecs_role_name: Some("NotTheInstanceRole".into()),
        ecs_metadata_endpoint: Some(emu.endpoint()),
        ..CredentialConfig::default()
    };
    let client = connect(
        emu.config(SignatureAlgorithm::HmacSha1, 0),
        &wrong_role,
        &empty_env(),
    )
    .expect("connect");
    let e = expect_err(
        client.get_caller_identity().await,
        "role not attached to the instance",
    );
    assert!(matches!(e, Error::Credentials(_)), "{e}");
    assert!(e.to_string().contains("NotTheInstanceRole"));
    emu.stop().await;
}

#[tokio::test]
async fn environment_credentials_end_to_end() {
    let emu = Emu::start().await;
    let env = empty_env()
        .with("ALICLOUD_ACCESS_KEY", AK)
        .with("ALICLOUD_SECRET_KEY", SECRET);
    let client = connect(
        emu.config(SignatureAlgorithm::Acs3HmacSha256, 3),
        &CredentialConfig::default(),
        &env,
    )
    .expect("connect");
    client.get_caller_identity().await.expect("identity");
    let missing = connect(
        emu.config(SignatureAlgorithm::HmacSha1, 3),
        &CredentialConfig::default(),
        &empty_env(),
    );
    let e = expect_err(missing, "no credentials anywhere");
    assert!(e.to_string().contains("ALIBABA_CLOUD_ACCESS_KEY_ID"));
    emu.stop().await;
}

#[tokio::test]
async fn throttling_until_the_deadline_keeps_its_code() {
    let emu = Emu::start().await;
    let mut config = emu.config(SignatureAlgorithm::HmacSha1, 0);
    config.retry.base_delay = Duration::from_millis(100);
    config.retry.max_delay = Duration::from_millis(400);
    let client = Client::new(config)
        .expect("client")
        .with_credentials(Arc::new(StaticProvider::new(
            Credentials::new(AK, SECRET),
            "test",
        )));
    emu.fail("GetRole", "Throttling.User", 1000).await;
    let started = tokio::time::Instant::now();
    let e = expect_err(
        client
            .with_named_deadline(
                started + Duration::from_millis(800),
                "timeouts.read (800ms)",
            )
            .get_role("R")
            .await,
        "throttled past the deadline",
    );
    assert!(started.elapsed() < Duration::from_millis(2000));
    assert!(matches!(e, Error::DeadlineExceeded { .. }), "{e:?}");
    assert_eq!(e.deadline(), Some("timeouts.read (800ms)"));
    assert!(
        e.to_string()
            .starts_with("GetRole: timeouts.read (800ms) ran out after "),
        "{e}"
    );
    assert!(e.attempts().is_some_and(|n| n > 1), "{e}");
    assert!(e.is_throttling(), "{e}");
    // The deadline passes during a backoff, when every attempt was answered, or (on a busy
    // machine) during an attempt it cuts short; only a cut attempt leaves the outcome unknown.
    let Error::DeadlineExceeded {
        attempts,
        outcome_unknown,
        last_error,
        ..
    } = &e
    else {
        panic!("expected DeadlineExceeded: {e:?}");
    };
    let answered = last_error
        .as_ref()
        .and_then(|last| last.attempts())
        .unwrap_or(0);
    assert_eq!(
        *outcome_unknown,
        *attempts > answered,
        "unknown exactly when an attempt was cut short: {e}"
    );
    assert!(
        e.hint().is_some_and(|h| h.contains("-parallelism")),
        "the throttling hint survives the deadline: {e}"
    );
    assert!(e.to_string().contains("Throttling.User"), "{e}");
    emu.stop().await;
}

/// The provider's own `AssumeRole`, throttled, is retried until the deadline of the call that
/// needs the credentials, and no longer: then that call fails naming the deadline and STS's
/// code, and is never sent.
#[tokio::test]
async fn failing_assume_role_is_not_retried_twice_over() {
    let emu = Emu::start().await;
    create_role(&emu.client(), "Deployer", ACCOUNT_TRUST).await;
    emu.fail("AssumeRole", "Throttling.User", 1000).await;
    let settings = CredentialConfig {
        access_key: Some(AK.into()),
        secret_key: Some(Secret::new(SECRET)),
        assume_role: Some(AssumeRoleConfig {
            role_arn: format!("acs:ram::{ACCOUNT}:role/Deployer"),
            ..AssumeRoleConfig::default()
        }),
        ..CredentialConfig::default()
    };
    let client = connect(
        emu.config(SignatureAlgorithm::HmacSha1, 2),
        &settings,
        &empty_env(),
    )
    .expect("connect");
    let started = tokio::time::Instant::now();
    let e = expect_err(
        client
            .with_named_deadline(
                started + Duration::from_millis(600),
                "timeouts.read (600ms)",
            )
            .get_role("Deployer")
            .await,
        "AssumeRole throttled",
    );
    assert!(started.elapsed() < Duration::from_millis(2000));
    assert!(matches!(e, Error::AssumeRole { .. }), "{e:?}");
    assert!(e.is_throttling(), "{e}");
    assert_eq!(e.code(), Some("Throttling.User"));
    assert_eq!(e.deadline(), Some("timeouts.read (600ms)"), "{e}");
    assert!(
        emu.calls_of("AssumeRole").await > 3,
        "throttling ignores max_retries"
    );
    assert_eq!(emu.calls_of("GetRole").await, 0);
    emu.stop().await;
}

/// A buffer that collects one test's log lines.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

thread_local! {
    /// Where this thread's log lines go while a test captures them.
    static THREAD_CAPTURE: std::cell::RefCell<Option<Captured>> = const { std::cell::RefCell::new(None) };
}

/// Routes log lines to the capturing test's buffer, or nowhere.
struct ThreadRouted;

impl std::io::Write for ThreadRouted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        THREAD_CAPTURE.with(|slot| {
            if let Some(captured) = slot.borrow_mut().as_mut() {
                let _ = captured.write(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for ThreadRouted {
    type Writer = ThreadRouted;

    fn make_writer(&'a self) -> Self::Writer {
        ThreadRouted
    }
}

impl Captured {
    /// Captures every log line emitted on this thread (a current-thread test runtime runs the
    /// client, the in-process emulator and their tasks here) until the guard drops.
    ///
    /// One global trace-level subscriber serves the whole test binary. A scoped
    /// (`set_default`) subscriber is not enough: tests on other threads register the same
    /// callsites with no subscriber, and tracing's per-callsite interest cache can then hide
    /// events from this thread's subscriber.
    fn capture_this_thread() -> (Captured, impl Drop) {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(ThreadRouted)
                .finish();
            let _ = tracing::subscriber::set_global_default(subscriber);
        });
        struct Release;
        impl Drop for Release {
            fn drop(&mut self) {
                THREAD_CAPTURE.with(|slot| slot.borrow_mut().take());
            }
        }
        let captured = Captured::default();
        THREAD_CAPTURE.with(|slot| *slot.borrow_mut() = Some(captured.clone()));
        (captured, Release)
    }

    fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn trace_logs_carry_no_secrets() {
    let emu = Emu::start().await;
    let setup = emu.client();
    create_role(&setup, "Deployer", ACCOUNT_TRUST).await;
    let sts = setup
        .assume_role(&AssumeRoleRequest {
            role_arn: format!("acs:ram::{ACCOUNT}:role/Deployer"),
            role_session_name: "logs".into(),
            ..AssumeRoleRequest::default()
        })
        .await
        .expect("AssumeRole")
        .credentials
        .to_credentials()
        .expect("credentials");
    let sts_secret = sts.access_key_secret.expose().to_string();
    let sts_token = sts
        .security_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();

    let (captured, guard) = Captured::capture_this_thread();
    for algorithm in [
        SignatureAlgorithm::HmacSha1,
        SignatureAlgorithm::Acs3HmacSha256,
    ] {
        let temporary = emu.client_as(algorithm, 1, sts.clone());
        temporary.get_role("Deployer").await.expect("GetRole");
        let wrong = emu.client_as(
            algorithm,
            1,
            Credentials::new(sts.access_key_id.clone(), "wrong-secret-value")
                .with_security_token(Some(sts_token.clone())),
        );
        let e = expect_err(wrong.get_role("Deployer").await, "wrong secret");
        tracing::error!(error = %e, debug = ?e, "surfaced error");
    }
    emu.fail("GetRole", "Throttling.User", 1).await;
    emu.client_as(SignatureAlgorithm::HmacSha1, 2, sts.clone())
        .get_role("Deployer")
        .await
        .expect("GetRole after a retry");
    drop(guard);

    let logs = captured.text();
    assert!(logs.contains("GetRole"), "logs were captured: {logs}");
    assert!(logs.contains("request_id"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    for secret in [
        SECRET,
        sts_secret.as_str(),
        sts_token.as_str(),
        "wrong-secret-value",
    ] {
        assert!(!secret.is_empty());
        assert!(!logs.contains(secret), "a secret leaked into the logs");
        let encoded = terraform_provider_alicr::alicloud::signer::percent_encode(secret);
        assert!(
            !logs.contains(&encoded),
            "an encoded secret leaked into the logs"
        );
    }
    assert!(!logs.contains("Signature="), "{logs}");
    emu.stop().await;
}
