//! STS and ECS metadata: temporary credentials are issued, accepted with their token only, and
//! refused once expired; trust policies are enforced.

mod common;

use alicr_emulator::{start, Config};
use common::*;

async fn assume(c: &Client, role: &str, extra: &[(&str, &str)]) -> Answer {
    let arn = format!(
        "acs:ram::1234567890123456:role/{}",
        role.to_ascii_lowercase()
    );
    let mut params = vec![("RoleArn", arn.as_str()), ("RoleSessionName", "terraform")];
    params.extend_from_slice(extra);
    c.call(STS, "AssumeRole", &params).await
}

#[tokio::test]
async fn assume_role_then_use_temporary_credentials() {
    let emu = start(Config::default()).await.expect("start");
    let root = Client::new(emu.addr());
    root.ram_ok(
        "CreateRole",
        &[
            ("RoleName", "Deployer"),
            ("AssumeRolePolicyDocument", TRUST_ACCOUNT),
        ],
    )
    .await;
    let a = assume(&root, "Deployer", &[("DurationSeconds", "900")]).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let body = a.json();
    let creds = &body["Credentials"];
    let ak = creds["AccessKeyId"].as_str().expect("ak");
    let secret = creds["AccessKeySecret"].as_str().expect("secret");
    let token = creds["SecurityToken"].as_str().expect("token");
    assert!(ak.starts_with("STS."));
    assert!(creds["Expiration"]
        .as_str()
        .is_some_and(|e| e.ends_with('Z')));
    assert_eq!(
        body["AssumedRoleUser"]["Arn"],
        "acs:ram::1234567890123456:role/deployer/terraform"
    );
    assert!(body["AssumedRoleUser"]["AssumedRoleId"]
        .as_str()
        .is_some_and(|id| id.ends_with(":terraform")));

    let temp = Client::with_keys(emu.addr(), ak, secret, Some(token));
    let created = temp
        .ram_ok(
            "CreateRole",
            &[
                ("RoleName", "MadeWithSts"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        )
        .await;
    assert_eq!(created["Role"]["RoleName"], "MadeWithSts");
    let v3 = temp
        .call_v3(RAM, "GetRole", &[("RoleName", "MadeWithSts")])
        .await;
    assert_eq!(v3.status, 200, "{}", v3.text());

    let who = temp.call(STS, "GetCallerIdentity", &[]).await.json();
    assert_eq!(who["IdentityType"], "AssumedRoleUser");
    assert_eq!(
        who["Arn"],
        "acs:ram::1234567890123456:assumed-role/deployer/terraform"
    );
    let who_root = root.call(STS, "GetCallerIdentity", &[]).await.json();
    assert_eq!(who_root["IdentityType"], "Account");
    assert_eq!(who_root["AccountId"], "1234567890123456");
    assert_eq!(who_root["Arn"], "acs:ram::1234567890123456:root");

    // Without, or with another, token the temporary key is refused.
    let no_token = Client::with_keys(emu.addr(), ak, secret, None);
    assert_eq!(
        no_token.call(RAM, "ListRoles", &[]).await.code(),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    let wrong_token = Client::with_keys(emu.addr(), ak, secret, Some("CAISother"));
    assert_eq!(
        wrong_token.call(RAM, "ListRoles", &[]).await.code(),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    emu.stop().await;
}

#[tokio::test]
async fn assume_role_rules() {
    let emu = start(Config::default()).await.expect("start");
    let root = Client::new(emu.addr());
    root.ram_ok(
        "CreateRole",
        &[
            ("RoleName", "ServiceOnly"),
            ("AssumeRolePolicyDocument", TRUST_CR),
        ],
    )
    .await;
    let a = assume(&root, "ServiceOnly", &[]).await;
    assert_eq!(a.code(), "NoPermission");
    assert_eq!(a.status, 403);
    assert_eq!(
        assume(&root, "Ghost", &[]).await.code(),
        "EntityNotExist.Role"
    );

    root.ram_ok(
        "CreateRole",
        &[
            ("RoleName", "Deployer"),
            ("AssumeRolePolicyDocument", TRUST_ACCOUNT),
        ],
    )
    .await;
    assert_eq!(
        assume(&root, "Deployer", &[("DurationSeconds", "100")])
            .await
            .code(),
        "InvalidParameter.DurationSeconds"
    );
    assert_eq!(
        assume(&root, "Deployer", &[("DurationSeconds", "7200")])
            .await
            .code(),
        "InvalidParameter.DurationSeconds",
        "beyond the role's MaxSessionDuration"
    );
    let bad_arn = root
        .call(
            STS,
            "AssumeRole",
            &[("RoleArn", "deployer"), ("RoleSessionName", "s1")],
        )
        .await;
    assert_eq!(bad_arn.code(), "InvalidParameter.RoleArn");
    let missing = root
        .call(
            STS,
            "AssumeRole",
            &[("RoleArn", "acs:ram::1234567890123456:role/deployer")],
        )
        .await;
    assert_eq!(missing.code(), "MissingParameter");
    assert_eq!(missing.json()["HostId"], "sts.aliyuncs.com");
    emu.stop().await;
}

#[tokio::test]
async fn expired_session_from_state_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let state = serde_json::json!({
        "format": 1,
        "account": {
            "Roles": {}, "Policies": {}, "Attachments": [],
            "Sessions": {
                "STS.NTexpired": {
                    "AccessKeyId": "STS.NTexpired", "AccessKeySecret": "s", "SecurityToken": "CAIStok",
                    "ExpiresAt": 1000, "RoleName": "r", "RoleId": "1", "RoleArn": "acs:ram::1:role/r",
                    "SessionName": "x"
                },
                "STS.NTlive": {
                    "AccessKeyId": "STS.NTlive", "AccessKeySecret": "s", "SecurityToken": "CAIStok2",
                    "ExpiresAt": 99999999999i64, "RoleName": "r", "RoleId": "1", "RoleArn": "acs:ram::1:role/r",
                    "SessionName": "x"
                }
            }
        }
    });
    std::fs::write(&path, state.to_string()).expect("write");
    let emu = start(Config {
        state_file: Some(path),
        ..Config::default()
    })
    .await
    .expect("start");
    let expired = Client::with_keys(emu.addr(), "STS.NTexpired", "s", Some("CAIStok"));
    assert_eq!(
        expired.call(RAM, "ListRoles", &[]).await.code(),
        "InvalidSecurityToken.Expired"
    );
    let live = Client::with_keys(emu.addr(), "STS.NTlive", "s", Some("CAIStok2"));
    assert_eq!(live.call(RAM, "ListRoles", &[]).await.status, 200);
    emu.stop().await;
}

#[tokio::test]
async fn ecs_metadata_credentials() {
    let emu = start(Config {
        ecs_role_name: "EcsRole".into(),
        ..Config::default()
    })
    .await
    .expect("start");
    let addr = emu.addr();
    let listing = "/latest/meta-data/ram/security-credentials/";
    assert_eq!(
        send(addr, "GET", listing, &[], b"")
            .await
            .expect("get")
            .status,
        403
    );
    assert_eq!(
        send(addr, "PUT", "/latest/api/token", &[], b"")
            .await
            .expect("put")
            .status,
        400,
        "ttl header required"
    );
    let token = send(
        addr,
        "PUT",
        "/latest/api/token",
        &[("X-aliyun-ecs-metadata-token-ttl-seconds", "60")],
        b"",
    )
    .await
    .expect("put")
    .text();
    assert!(!token.is_empty());
    let auth = [("X-aliyun-ecs-metadata-token", token.as_str())];
    let names = send(addr, "GET", listing, &auth, b"").await.expect("get");
    assert_eq!(names.status, 200);
    assert_eq!(names.text(), "EcsRole");
    let creds = send(addr, "GET", &format!("{listing}EcsRole"), &auth, b"")
        .await
        .expect("get")
        .json();
    assert_eq!(creds["Code"], "Success");
    for key in [
        "AccessKeyId",
        "AccessKeySecret",
        "SecurityToken",
        "Expiration",
        "LastUpdated",
    ] {
        assert!(creds[key].is_string(), "{key}");
    }
    // The same credentials come back while fresh.
    let again = send(addr, "GET", &format!("{listing}EcsRole"), &auth, b"")
        .await
        .expect("get")
        .json();
    assert_eq!(again["AccessKeyId"], creds["AccessKeyId"]);
    assert_eq!(
        send(addr, "GET", &format!("{listing}Other"), &auth, b"")
            .await
            .expect("get")
            .status,
        404
    );
    let bad = [("X-aliyun-ecs-metadata-token", "forged")];
    assert_eq!(
        send(addr, "GET", listing, &bad, b"")
            .await
            .expect("get")
            .status,
        403
    );

    // And RAM accepts them.
    let c = Client::with_keys(
        addr,
        creds["AccessKeyId"].as_str().expect("ak"),
        creds["AccessKeySecret"].as_str().expect("sk"),
        creds["SecurityToken"].as_str(),
    );
    assert_eq!(c.call(RAM, "ListRoles", &[]).await.status, 200);
    let calls = admin_get(addr, "/_emulator/calls").await;
    assert_eq!(calls["total"], 1, "metadata requests are not RAM calls");
    assert!(calls["metadata_requests"].as_u64().is_some_and(|n| n >= 6));
    emu.stop().await;
}
