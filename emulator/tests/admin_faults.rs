//! The admin API and fault injection: state view, call counters, reset, latency, throttling,
//! scripted failures and connection resets (before and after commit).

mod common;

use std::time::{Duration, Instant};

use alicr_emulator::{start, Config, FailRule};
use common::*;
use serde_json::json;

#[tokio::test]
async fn state_and_calls() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    create_trio(&c, "Role1", "Policy1").await;
    c.ram_err("GetRole", &[("RoleName", "Ghost")], "EntityNotExist.Role")
        .await;

    let state = admin_get(emu.addr(), "/_emulator/state").await;
    let role = &state["roles"][0];
    assert_eq!(role["RoleName"], "Role1");
    assert_eq!(role["Arn"], "acs:ram::1234567890123456:role/role1");
    assert_eq!(role["AssumeRolePolicyDocument"], TRUST_CR);
    assert_eq!(role["MaxSessionDuration"], 3600);
    for key in ["RoleId", "Description", "CreateDate", "UpdateDate"] {
        assert!(role.get(key).is_some(), "{key}");
    }
    let policy = &state["policies"][0];
    assert_eq!(policy["PolicyName"], "Policy1");
    assert_eq!(policy["DefaultVersion"], "v1");
    assert_eq!(policy["Versions"][0]["VersionId"], "v1");
    assert_eq!(policy["Versions"][0]["IsDefaultVersion"], true);
    assert_eq!(
        policy["Versions"][0]["PolicyDocument"],
        policy_doc("bucket-a")
    );
    assert_eq!(
        state["attachments"],
        json!([{"RoleName": "Role1", "PolicyName": "Policy1", "PolicyType": "Custom"}])
    );

    let calls = admin_get(emu.addr(), "/_emulator/calls").await;
    assert_eq!(calls["total"], 4);
    assert_eq!(calls["by_action"]["CreateRole"], 1);
    assert_eq!(calls["by_action"]["GetRole"], 1);
    assert_eq!(calls["errors_by_code"]["EntityNotExist.Role"], 1);

    let r = admin_post(emu.addr(), "/_emulator/reset", "").await;
    assert_eq!(r.status, 200);
    let state = admin_get(emu.addr(), "/_emulator/state").await;
    assert_eq!(
        state,
        json!({"roles": [], "policies": [], "attachments": []})
    );
    assert_eq!(admin_get(emu.addr(), "/_emulator/calls").await["total"], 0);
    emu.stop().await;
}

#[tokio::test]
async fn scripted_failures_from_config_and_admin() {
    let emu = start(Config {
        fail: vec![FailRule {
            action: "CreateRole".into(),
            code: "ServiceUnavailable".into(),
            count: 1,
        }],
        ..Config::default()
    })
    .await
    .expect("start");
    let c = Client::new(emu.addr());
    let params = [("RoleName", "R"), ("AssumeRolePolicyDocument", TRUST_CR)];
    let a = c.call(RAM, "CreateRole", &params).await;
    assert_eq!(a.status, 503);
    assert_eq!(a.code(), "ServiceUnavailable");
    assert_eq!(c.call(RAM, "CreateRole", &params).await.status, 200);

    let set = admin_post(
        emu.addr(),
        "/_emulator/faults",
        r#"{"fail":[{"action":"GetRole","code":"InternalError","count":2},{"action":"*","code":"Throttling.User","count":1}]}"#,
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(
        c.call(RAM, "ListRoles", &[]).await.code(),
        "Throttling.User"
    );
    let a = c.call(RAM, "GetRole", &[("RoleName", "R")]).await;
    assert_eq!((a.status, a.code()), (500, "InternalError".to_string()));
    assert_eq!(
        c.call(RAM, "GetRole", &[("RoleName", "R")]).await.status,
        500
    );
    assert_eq!(
        c.call(RAM, "GetRole", &[("RoleName", "R")]).await.status,
        200
    );

    let calls = admin_get(emu.addr(), "/_emulator/calls").await;
    assert_eq!(calls["errors_by_code"]["InternalError"], 2);
    assert_eq!(calls["errors_by_code"]["ServiceUnavailable"], 1);
    assert_eq!(calls["errors_by_code"]["Throttling.User"], 1);

    let bad = admin_post(emu.addr(), "/_emulator/faults", "{not json").await;
    assert_eq!(bad.status, 400);
    emu.stop().await;
}

#[tokio::test]
async fn throttle_rate_and_latency() {
    let emu = start(Config {
        throttle_rate: 1.0,
        ..Config::default()
    })
    .await
    .expect("start");
    let c = Client::new(emu.addr());
    let a = c.call(RAM, "ListRoles", &[]).await;
    assert_eq!((a.status, a.code()), (400, "Throttling.User".to_string()));

    admin_post(emu.addr(), "/_emulator/faults", r#"{"latency_ms": 150}"#).await;
    let started = Instant::now();
    assert_eq!(c.call(RAM, "ListRoles", &[]).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    // Admin calls are not delayed.
    let started = Instant::now();
    admin_get(emu.addr(), "/_emulator/calls").await;
    assert!(started.elapsed() < Duration::from_millis(150));
    emu.stop().await;
}

#[tokio::test]
async fn connection_reset_before_and_after_commit() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    admin_post(
        emu.addr(),
        "/_emulator/faults",
        r#"{"fail":[{"action":"CreateRole","code":"ConnectionReset","count":1},{"action":"CreatePolicy","code":"ConnectionResetAfterCommit","count":1}]}"#,
    )
    .await;
    let signed = c.sign(
        "POST",
        c.params(
            RAM,
            "CreateRole",
            &[("RoleName", "R"), ("AssumeRolePolicyDocument", TRUST_CR)],
        ),
    );
    let body = signed
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                alicr_emulator::signature::percent_encode(k),
                alicr_emulator::signature::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let outcome = send(
        emu.addr(),
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
    .await;
    match outcome {
        Err(_) => {}
        Ok(a) => panic!("expected a dropped connection, got HTTP {}", a.status),
    }
    let state = admin_get(emu.addr(), "/_emulator/state").await;
    assert_eq!(
        state["roles"],
        json!([]),
        "reset before commit changes nothing"
    );

    let signed = c.sign(
        "POST",
        c.params(
            RAM,
            "CreatePolicy",
            &[("PolicyName", "P"), ("PolicyDocument", &policy_doc("b"))],
        ),
    );
    let body = signed
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                alicr_emulator::signature::percent_encode(k),
                alicr_emulator::signature::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let outcome = send(
        emu.addr(),
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
    .await;
    assert!(outcome.is_err(), "connection dropped after commit");
    let state = admin_get(emu.addr(), "/_emulator/state").await;
    assert_eq!(
        state["policies"][0]["PolicyName"], "P",
        "the call took effect"
    );

    let calls = admin_get(emu.addr(), "/_emulator/calls").await;
    assert_eq!(calls["errors_by_code"]["ConnectionReset"], 1);
    assert_eq!(calls["errors_by_code"]["ConnectionResetAfterCommit"], 1);
    // The server keeps serving.
    assert_eq!(c.call(RAM, "ListRoles", &[]).await.status, 200);
    emu.stop().await;
}

#[tokio::test]
async fn state_file_survives_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("emulator-state.json");
    let config = Config {
        state_file: Some(path.clone()),
        ..Config::default()
    };
    let emu = start(config.clone()).await.expect("start");
    let c = Client::new(emu.addr());
    create_trio(&c, "Role1", "Policy1").await;
    c.ram_ok(
        "CreatePolicyVersion",
        &[
            ("PolicyName", "Policy1"),
            ("PolicyDocument", &policy_doc("b2")),
            ("SetAsDefault", "true"),
        ],
    )
    .await;
    // Written before the response: visible on disk now, without stopping.
    let on_disk = std::fs::read_to_string(&path).expect("state file");
    assert!(on_disk.contains("Policy1") && on_disk.contains("\"v2\""));
    let before = admin_get(emu.addr(), "/_emulator/state").await;
    emu.stop().await;

    let emu = start(config).await.expect("restart");
    let after = admin_get(emu.addr(), "/_emulator/state").await;
    assert_eq!(before, after);
    let c = Client::new(emu.addr());
    c.ram_err(
        "CreateRole",
        &[
            ("RoleName", "Role1"),
            ("AssumeRolePolicyDocument", TRUST_CR),
        ],
        "EntityAlreadyExists.Role",
    )
    .await;
    emu.stop().await;
    let leftovers = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn corrupt_state_file_fails_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    std::fs::write(&path, "garbage").expect("write");
    let result = start(Config {
        state_file: Some(path),
        ..Config::default()
    })
    .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn concurrent_creates_all_land() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let emu = start(Config {
        state_file: Some(path.clone()),
        ..Config::default()
    })
    .await
    .expect("start");
    let c = Client::new(emu.addr());
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let c = c.clone();
        tasks.spawn(async move {
            let name = format!("Role{i}");
            c.ram_ok(
                "CreateRole",
                &[("RoleName", &name), ("AssumeRolePolicyDocument", TRUST_CR)],
            )
            .await;
        });
    }
    while let Some(joined) = tasks.join_next().await {
        joined.expect("task");
    }
    let state = admin_get(emu.addr(), "/_emulator/state").await;
    assert_eq!(state["roles"].as_array().map(Vec::len), Some(40));
    emu.stop().await;
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    assert_eq!(
        on_disk["account"]["Roles"].as_object().map(|m| m.len()),
        Some(40)
    );
}

#[tokio::test]
async fn a_call_whose_client_hangs_up_is_still_carried_out() {
    use tokio::io::AsyncWriteExt as _;
    let emu = start(Config {
        latency_ms: 300,
        ..Config::default()
    })
    .await
    .expect("start");
    let c = Client::new(emu.addr());
    let signed = c.sign(
        "POST",
        c.params(
            RAM,
            "CreateRole",
            &[
                ("RoleName", "Abandoned"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        ),
    );
    let body = signed
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                alicr_emulator::signature::percent_encode(k),
                alicr_emulator::signature::percent_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    // Send the whole request, then hang up while the call sits in its latency, as a client that
    // timed out or crashed does.
    let mut stream = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("connect");
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        emu.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    stream.write_all(body.as_bytes()).await.expect("send body");
    wait_until_arrived(emu.addr(), "CreateRole").await;
    drop(stream);

    let mut roles = json!([]);
    for _ in 0..100 {
        roles = admin_get(emu.addr(), "/_emulator/state").await["roles"].clone();
        if roles != json!([]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        roles[0]["RoleName"], "Abandoned",
        "the call was dropped with its connection"
    );
}

/// Waits until the emulator has counted a call to `action`.
async fn wait_until_arrived(addr: std::net::SocketAddr, action: &str) {
    for _ in 0..100 {
        if admin_get(addr, "/_emulator/calls").await["by_action"][action]
            .as_u64()
            .unwrap_or(0)
            > 0
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("{action} never reached the emulator");
}
