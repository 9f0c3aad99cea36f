//! Wire checks: both signature schemes, the string to sign in `SignatureDoesNotMatch`, nonce
//! replay, clock skew, unknown keys, missing parameters, GET vs POST, XML answers.

mod common;

use alicr_emulator::{signature, start, Config, Credential};
use common::*;

#[tokio::test]
async fn wrong_secret_reports_server_string_to_sign() {
    let emu = start(Config::default()).await.expect("start");
    let good = Client::new(emu.addr());
    let bad = Client::with_keys(emu.addr(), AK, "not-the-secret", None);
    let params = good.params(RAM, "GetRole", &[("RoleName", "x")]);
    let expected_sts =
        signature::rpc_string_to_sign("POST", params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let signed = bad.sign("POST", params);
    let a = bad.post_params(&signed).await;
    assert_eq!(a.status, 400);
    let body = a.json();
    assert_eq!(body["Code"], "SignatureDoesNotMatch");
    let message = body["Message"].as_str().expect("message");
    let (_, server_sts) = message
        .split_once("server string to sign is:")
        .expect("message carries the string to sign");
    assert_eq!(server_sts, expected_sts);
    assert!(body["RequestId"].is_string());
    assert_eq!(body["HostId"], "ram.aliyuncs.com");
    assert!(body["Recommend"]
        .as_str()
        .is_some_and(|r| r.contains("SignatureDoesNotMatch")));
    emu.stop().await;
}

#[tokio::test]
async fn get_and_post_with_params_split() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let signed = c.sign("GET", c.params(RAM, "ListRoles", &[]));
    let a = c.get_params(&signed).await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json")));

    // POST with common parameters in the query and the rest in the body: both are signed.
    let signed = c.sign(
        "POST",
        c.params(
            RAM,
            "CreateRole",
            &[
                ("RoleName", "Split"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        ),
    );
    let (query, body): (Vec<_>, Vec<_>) = signed
        .iter()
        .cloned()
        .partition(|(k, _)| k != "RoleName" && k != "AssumeRolePolicyDocument");
    let enc = |pairs: &[(String, String)]| {
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
    };
    let a = send(
        emu.addr(),
        "POST",
        &format!("/?{}", enc(&query)),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        enc(&body).as_bytes(),
    )
    .await
    .expect("exchange");
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["Role"]["RoleName"], "Split");
    emu.stop().await;
}

#[tokio::test]
async fn replayed_nonce_is_refused() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let signed = c.sign("POST", c.params(RAM, "ListRoles", &[]));
    assert_eq!(c.post_params(&signed).await.status, 200);
    let again = c.post_params(&signed).await;
    assert_eq!(again.code(), "SignatureNonceUsed");
    assert_eq!(again.status, 400);
    emu.stop().await;
}

#[tokio::test]
async fn clock_skew_beyond_fifteen_minutes_is_refused() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    for (offset, code) in [
        (-16 * 60, "InvalidTimeStamp.Expired"),
        (16 * 60, "InvalidTimeStamp.Expired"),
    ] {
        let mut params = c.params(RAM, "ListRoles", &[]);
        for p in params.iter_mut() {
            if p.0 == "Timestamp" {
                p.1 = timestamp_at(now + offset);
            }
        }
        let a = c.post_params(&c.sign("POST", params)).await;
        assert_eq!(a.code(), code);
    }
    // 14 minutes is fine.
    let mut params = c.params(RAM, "ListRoles", &[]);
    for p in params.iter_mut() {
        if p.0 == "Timestamp" {
            p.1 = timestamp_at(now - 14 * 60);
        }
    }
    assert_eq!(c.post_params(&c.sign("POST", params)).await.status, 200);
    let mut params = c.params(RAM, "ListRoles", &[]);
    for p in params.iter_mut() {
        if p.0 == "Timestamp" {
            p.1 = "yesterday".into();
        }
    }
    assert_eq!(
        c.post_params(&c.sign("POST", params)).await.code(),
        "InvalidTimeStamp.Format"
    );
    emu.stop().await;
}

#[tokio::test]
async fn unknown_key_and_missing_parts() {
    let emu = start(Config::default()).await.expect("start");
    let stranger = Client::with_keys(emu.addr(), "NOSUCHKEY", "x", None);
    let a = stranger.call(RAM, "ListRoles", &[]).await;
    assert_eq!(a.code(), "InvalidAccessKeyId.NotFound");
    assert_eq!(a.status, 404);

    let c = Client::new(emu.addr());
    let unsigned = c.params(RAM, "ListRoles", &[]);
    assert_eq!(c.post_params(&unsigned).await.code(), "IncompleteSignature");

    let mut no_nonce = c.params(RAM, "ListRoles", &[]);
    no_nonce.retain(|(k, _)| k != "SignatureNonce");
    let a = c.post_params(&c.sign("POST", no_nonce)).await;
    assert_eq!(a.code(), "MissingParameter");
    assert!(a.json()["Message"]
        .as_str()
        .is_some_and(|m| m.contains("SignatureNonce")));

    let mut sha256 = c.params(RAM, "ListRoles", &[]);
    for p in sha256.iter_mut() {
        if p.0 == "SignatureMethod" {
            p.1 = "HMAC-SHA256".into();
        }
    }
    assert_eq!(
        c.post_params(&c.sign("POST", sha256)).await.code(),
        "IncompleteSignature"
    );

    let a = c.call(RAM, "DescribeRegions", &[]).await;
    assert_eq!(a.code(), "InvalidAction.NotFound");
    assert_eq!(a.status, 404);
    let a = c.call("2014-05-26", "ListRoles", &[]).await;
    assert_eq!(a.code(), "InvalidVersion");

    // A temporary-looking key with a token the emulator never issued.
    let fake = Client::with_keys(emu.addr(), AK, SECRET, Some("CAISforged"));
    assert_eq!(
        fake.call(RAM, "ListRoles", &[]).await.code(),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    emu.stop().await;
}

#[tokio::test]
async fn extra_credentials_from_config() {
    let config = Config {
        credentials: vec![Credential {
            access_key_id: "OTHERKEY".into(),
            access_key_secret: "other-secret".into(),
        }],
        ..Config::default()
    };
    let emu = start(config).await.expect("start");
    let other = Client::with_keys(emu.addr(), "OTHERKEY", "other-secret", None);
    assert_eq!(other.call(RAM, "ListRoles", &[]).await.status, 200);
    let default = Client::new(emu.addr());
    assert_eq!(
        default.call(RAM, "ListRoles", &[]).await.code(),
        "InvalidAccessKeyId.NotFound"
    );
    emu.stop().await;
}

#[tokio::test]
async fn acs3_signature_accepted_and_checked() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let a = c
        .call_v3(
            RAM,
            "CreateRole",
            &[
                ("RoleName", "V3 Role".replace(' ', "-").as_str()),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["Role"]["RoleName"], "V3-Role");
    let calls = admin_get(emu.addr(), "/_emulator/calls").await;
    assert_eq!(calls["by_signature"]["ACS3-HMAC-SHA256"], 1);
    assert!(calls["by_signature"].get("HMAC-SHA1").is_none());

    // Changing a signed query parameter after signing breaks the signature.
    let a = c
        .call_v3_tampered(
            RAM,
            "GetRole",
            &[("RoleName", "V3-Role")],
            Some(&[("RoleName", "Other")]),
        )
        .await;
    assert_eq!(a.code(), "SignatureDoesNotMatch");
    assert!(a.json()["Message"]
        .as_str()
        .is_some_and(|m| m.contains("server string to sign is:ACS3-HMAC-SHA256\n")));

    let bad = Client::with_keys(emu.addr(), AK, "wrong", None);
    assert_eq!(
        bad.call_v3(RAM, "GetRole", &[("RoleName", "V3-Role")])
            .await
            .code(),
        "SignatureDoesNotMatch"
    );
    // An x-acs-* header that is not signed is refused.
    let a = send(
        emu.addr(),
        "POST",
        "/?RoleName=x",
        &[
            ("x-acs-action", "GetRole"),
            ("x-acs-version", RAM),
            ("x-acs-date", &now_timestamp()),
            ("x-acs-signature-nonce", &nonce()),
            (
                "Authorization",
                "ACS3-HMAC-SHA256 Credential=EMULATORACCESSKEYID,SignedHeaders=host,Signature=00",
            ),
        ],
        b"",
    )
    .await
    .expect("exchange");
    assert_eq!(a.code(), "IncompleteSignature");
    emu.stop().await;
}

#[tokio::test]
async fn xml_on_request() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let mut params = c.params(RAM, "GetRole", &[("RoleName", "ghost")]);
    for p in params.iter_mut() {
        if p.0 == "Format" {
            p.1 = "XML".into();
        }
    }
    let a = c.post_params(&c.sign("POST", params)).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.header("content-type"), Some("text/xml;charset=utf-8"));
    let text = a.text();
    assert!(
        text.contains("<Error>") && text.contains("<Code>EntityNotExist.Role</Code>"),
        "{text}"
    );

    let mut params = c.params(RAM, "ListRoles", &[]);
    for p in params.iter_mut() {
        if p.0 == "Format" {
            p.1 = "XML".into();
        }
    }
    let text = c.post_params(&c.sign("POST", params)).await.text();
    assert!(
        text.contains("<ListRolesResponse>") && text.contains("<RequestId>"),
        "{text}"
    );
    emu.stop().await;
}

#[tokio::test]
async fn garbage_requests_get_answers_not_crashes() {
    let emu = start(Config::default()).await.expect("start");
    for (method, target, body) in [
        ("POST", "/", &b"\xff\xfe%%%&&=="[..]),
        ("GET", "/?Action=%ZZ&&&=", &b""[..]),
        ("DELETE", "/whatever", &b""[..]),
        ("PUT", "/latest/api/token", &b""[..]),
        ("GET", "/_emulator/nope", &b""[..]),
    ] {
        let a = send(
            emu.addr(),
            method,
            target,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            body,
        )
        .await
        .expect("exchange");
        assert!(a.status >= 400, "{method} {target} -> {}", a.status);
    }
    // Still serving.
    assert_eq!(
        Client::new(emu.addr())
            .call(RAM, "ListRoles", &[])
            .await
            .status,
        200
    );
    emu.stop().await;
}
