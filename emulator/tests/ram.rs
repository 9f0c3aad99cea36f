//! RAM actions over the wire: success shapes, error codes and statuses, version rotation,
//! cascading delete, listings.

mod common;

use alicr_emulator::{start, Config};
use common::*;
use serde_json::Value;

#[tokio::test]
async fn role_lifecycle() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());

    let created = c
        .ram_ok(
            "CreateRole",
            &[
                ("RoleName", "AliyunContainerRegistryCustomizedOSSBucketRole"),
                ("AssumeRolePolicyDocument", TRUST_CR),
                ("Description", "for ACR"),
                ("MaxSessionDuration", "7200"),
            ],
        )
        .await;
    let role = &created["Role"];
    assert_eq!(
        role["Arn"],
        "acs:ram::1234567890123456:role/aliyuncontainerregistrycustomizedossbucketrole"
    );
    assert_eq!(
        role["RoleName"],
        "AliyunContainerRegistryCustomizedOSSBucketRole"
    );
    assert_eq!(role["MaxSessionDuration"], 7200);
    assert_eq!(role["AssumeRolePolicyDocument"], TRUST_CR);
    assert_eq!(role["Description"], "for ACR");
    assert!(role["RoleId"].as_str().is_some_and(|id| id.len() >= 16));
    let date = role["CreateDate"].as_str().expect("date");
    assert!(date.len() == 20 && date.ends_with('Z') && date.as_bytes()[10] == b'T');
    assert!(created["RequestId"].as_str().is_some());

    // Names are case-insensitive.
    let got = c
        .ram_ok(
            "GetRole",
            &[("RoleName", "aliyuncontainerregistrycustomizedossbucketrole")],
        )
        .await;
    assert_eq!(got["Role"]["RoleId"], role["RoleId"]);
    assert!(got["Role"]["UpdateDate"].is_string());

    let status = c
        .ram_err(
            "CreateRole",
            &[
                ("RoleName", "AliyunContainerRegistryCustomizedOSSBucketRole"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
            "EntityAlreadyExists.Role",
        )
        .await;
    assert_eq!(status, 409);

    let updated = c
        .ram_ok(
            "UpdateRole",
            &[
                ("RoleName", "AliyunContainerRegistryCustomizedOSSBucketRole"),
                ("NewDescription", "changed"),
                ("NewMaxSessionDuration", "3600"),
                ("NewAssumeRolePolicyDocument", TRUST_ACCOUNT),
            ],
        )
        .await;
    assert_eq!(updated["Role"]["Description"], "changed");
    assert_eq!(updated["Role"]["MaxSessionDuration"], 3600);
    assert_eq!(updated["Role"]["AssumeRolePolicyDocument"], TRUST_ACCOUNT);

    c.ram_ok(
        "DeleteRole",
        &[("RoleName", "AliyunContainerRegistryCustomizedOSSBucketRole")],
    )
    .await;
    let status = c
        .ram_err(
            "GetRole",
            &[("RoleName", "AliyunContainerRegistryCustomizedOSSBucketRole")],
            "EntityNotExist.Role",
        )
        .await;
    assert_eq!(status, 404);
    emu.stop().await;
}

#[tokio::test]
async fn role_validation() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("AssumeRolePolicyDocument", TRUST_CR)],
            "MissingParameter",
        ),
        (
            vec![
                ("RoleName", "bad_name"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
            "InvalidParameter.RoleName.InvalidChars",
        ),
        (vec![("RoleName", "r")], "MissingParameter"),
        (
            vec![("RoleName", "r"), ("AssumeRolePolicyDocument", "{nope")],
            "MalformedPolicyDocument",
        ),
        (
            vec![
                ("RoleName", "r"),
                ("AssumeRolePolicyDocument", TRUST_CR),
                ("MaxSessionDuration", "100"),
            ],
            "InvalidParameter.MaxSessionDuration",
        ),
    ];
    for (params, code) in cases {
        assert_eq!(c.ram_err("CreateRole", &params, code).await, 400, "{code}");
    }
    let long = "x".repeat(65);
    c.ram_err(
        "CreateRole",
        &[("RoleName", &long), ("AssumeRolePolicyDocument", TRUST_CR)],
        "InvalidParameter.RoleName.Length",
    )
    .await;
    let desc = "d".repeat(1025);
    c.ram_err(
        "CreateRole",
        &[
            ("RoleName", "r"),
            ("AssumeRolePolicyDocument", TRUST_CR),
            ("Description", &desc),
        ],
        "InvalidParameter.Description.Length",
    )
    .await;
    c.ram_err(
        "UpdateRole",
        &[("RoleName", "ghost")],
        "EntityNotExist.Role",
    )
    .await;
    c.ram_err(
        "DeleteRole",
        &[("RoleName", "ghost")],
        "EntityNotExist.Role",
    )
    .await;
    // Nothing was created by the failures.
    assert_eq!(
        admin_get(emu.addr(), "/_emulator/state").await["roles"],
        serde_json::json!([])
    );
    emu.stop().await;
}

#[tokio::test]
async fn policy_versions_and_rotation() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let created = c
        .ram_ok(
            "CreatePolicy",
            &[
                ("PolicyName", "AcrPolicy"),
                ("PolicyDocument", &policy_doc("b1")),
                ("Description", "acr"),
            ],
        )
        .await;
    assert_eq!(created["Policy"]["DefaultVersion"], "v1");
    assert_eq!(created["Policy"]["PolicyType"], "Custom");
    assert_eq!(
        c.ram_err(
            "CreatePolicy",
            &[
                ("PolicyName", "AcrPolicy"),
                ("PolicyDocument", &policy_doc("b1"))
            ],
            "EntityAlreadyExists.Policy",
        )
        .await,
        409
    );

    // v2..v5 without rotation fill the five slots; v6 needs rotation.
    for i in 2..=5 {
        let v = c
            .ram_ok(
                "CreatePolicyVersion",
                &[
                    ("PolicyName", "AcrPolicy"),
                    ("PolicyDocument", &policy_doc(&format!("b{i}"))),
                    ("SetAsDefault", "true"),
                ],
            )
            .await;
        assert_eq!(v["PolicyVersion"]["VersionId"], format!("v{i}"));
        assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
    }
    let status = c
        .ram_err(
            "CreatePolicyVersion",
            &[
                ("PolicyName", "AcrPolicy"),
                ("PolicyDocument", &policy_doc("b6")),
            ],
            "LimitExceeded.Policy.Version",
        )
        .await;
    assert_eq!(status, 409);
    let v6 = c
        .ram_ok(
            "CreatePolicyVersion",
            &[
                ("PolicyName", "AcrPolicy"),
                ("PolicyDocument", &policy_doc("b6")),
                ("SetAsDefault", "true"),
                (
                    "RotateStrategy",
                    "DeleteOldestNonDefaultVersionWhenLimitExceeded",
                ),
            ],
        )
        .await;
    assert_eq!(v6["PolicyVersion"]["VersionId"], "v6");
    let listed = c
        .ram_ok(
            "ListPolicyVersions",
            &[("PolicyType", "Custom"), ("PolicyName", "AcrPolicy")],
        )
        .await;
    let ids: Vec<&str> = listed["PolicyVersions"]["PolicyVersion"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["VersionId"].as_str())
        .collect();
    assert_eq!(ids, vec!["v2", "v3", "v4", "v5", "v6"], "v1 rotated out");

    let got = c
        .ram_ok(
            "GetPolicy",
            &[("PolicyType", "Custom"), ("PolicyName", "AcrPolicy")],
        )
        .await;
    assert_eq!(got["Policy"]["DefaultVersion"], "v6");
    assert_eq!(got["Policy"]["AttachmentCount"], 0);
    assert_eq!(got["DefaultPolicyVersion"]["VersionId"], "v6");
    assert_eq!(got["DefaultPolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(
        got["DefaultPolicyVersion"]["PolicyDocument"],
        policy_doc("b6")
    );

    c.ram_ok(
        "SetDefaultPolicyVersion",
        &[("PolicyName", "AcrPolicy"), ("VersionId", "v3")],
    )
    .await;
    let v3 = c
        .ram_ok(
            "GetPolicyVersion",
            &[
                ("PolicyType", "Custom"),
                ("PolicyName", "AcrPolicy"),
                ("VersionId", "v3"),
            ],
        )
        .await;
    assert_eq!(v3["PolicyVersion"]["IsDefaultVersion"], true);
    assert_eq!(v3["PolicyVersion"]["PolicyDocument"], policy_doc("b3"));
    c.ram_err(
        "DeletePolicyVersion",
        &[("PolicyName", "AcrPolicy"), ("VersionId", "v3")],
        "DeleteConflict.Policy.Version.Default",
    )
    .await;
    c.ram_ok(
        "DeletePolicyVersion",
        &[("PolicyName", "AcrPolicy"), ("VersionId", "v2")],
    )
    .await;
    c.ram_err(
        "GetPolicyVersion",
        &[
            ("PolicyType", "Custom"),
            ("PolicyName", "AcrPolicy"),
            ("VersionId", "v2"),
        ],
        "EntityNotExist.Policy.Version",
    )
    .await;
    c.ram_err(
        "GetPolicyVersion",
        &[
            ("PolicyType", "Custom"),
            ("PolicyName", "AcrPolicy"),
            ("VersionId", "2"),
        ],
        "InvalidParameter.VersionId.Format",
    )
    .await;

    let updated = c
        .ram_ok(
            "UpdatePolicyDescription",
            &[("PolicyName", "AcrPolicy"), ("NewDescription", "new")],
        )
        .await;
    assert_eq!(updated["Policy"]["Description"], "new");

    // Non-default versions block a plain delete.
    c.ram_err(
        "DeletePolicy",
        &[("PolicyName", "AcrPolicy")],
        "DeleteConflict.Policy.Version",
    )
    .await;
    c.ram_ok(
        "DeletePolicy",
        &[("PolicyName", "AcrPolicy"), ("CascadingDelete", "true")],
    )
    .await;
    c.ram_err(
        "GetPolicy",
        &[("PolicyType", "Custom"), ("PolicyName", "AcrPolicy")],
        "EntityNotExist.Policy",
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn policy_validation() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    c.ram_err(
        "CreatePolicy",
        &[("PolicyName", "a.b"), ("PolicyDocument", &policy_doc("b"))],
        "InvalidParameter.PolicyName.InvalidChars",
    )
    .await;
    c.ram_err(
        "CreatePolicy",
        &[
            ("PolicyName", "p"),
            ("PolicyDocument", r#"{"Version":"1"}"#),
        ],
        "MalformedPolicyDocument",
    )
    .await;
    let huge = policy_doc(&"b".repeat(6200));
    c.ram_err(
        "CreatePolicy",
        &[("PolicyName", "p"), ("PolicyDocument", &huge)],
        "InvalidParameter.PolicyDocument.Length",
    )
    .await;
    c.ram_err(
        "GetPolicy",
        &[("PolicyType", "Managed"), ("PolicyName", "p")],
        "InvalidParameter.PolicyType",
    )
    .await;
    c.ram_err("GetPolicy", &[("PolicyName", "p")], "MissingParameter")
        .await;
    c.ram_err(
        "CreatePolicyVersion",
        &[
            ("PolicyName", "ghost"),
            ("PolicyDocument", &policy_doc("b")),
            ("RotateStrategy", "Sometimes"),
        ],
        "InvalidParameter.RotateStrategy",
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn attachments() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    create_trio(&c, "Role1", "Policy1").await;

    assert_eq!(
        c.ram_err(
            "AttachPolicyToRole",
            &[
                ("PolicyType", "Custom"),
                ("PolicyName", "Policy1"),
                ("RoleName", "Role1")
            ],
            "EntityAlreadyExists.Role.Policy",
        )
        .await,
        409
    );
    c.ram_err(
        "AttachPolicyToRole",
        &[
            ("PolicyType", "Custom"),
            ("PolicyName", "Nope"),
            ("RoleName", "Role1"),
        ],
        "EntityNotExist.Policy",
    )
    .await;
    c.ram_err(
        "AttachPolicyToRole",
        &[
            ("PolicyType", "Custom"),
            ("PolicyName", "Policy1"),
            ("RoleName", "Nope"),
        ],
        "EntityNotExist.Role",
    )
    .await;
    c.ram_ok(
        "AttachPolicyToRole",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "AliyunOSSReadOnlyAccess"),
            ("RoleName", "Role1"),
        ],
    )
    .await;

    let listed = c
        .ram_ok("ListPoliciesForRole", &[("RoleName", "Role1")])
        .await;
    let policies = listed["Policies"]["Policy"].as_array().expect("list");
    assert_eq!(policies.len(), 2);
    let custom = policies
        .iter()
        .find(|p| p["PolicyType"] == "Custom")
        .expect("custom attached");
    assert_eq!(custom["PolicyName"], "Policy1");
    assert_eq!(custom["DefaultVersion"], "v1");
    assert!(custom["AttachDate"].is_string());

    let entities = c
        .ram_ok(
            "ListEntitiesForPolicy",
            &[("PolicyType", "Custom"), ("PolicyName", "Policy1")],
        )
        .await;
    assert_eq!(entities["Roles"]["Role"][0]["RoleName"], "Role1");
    assert_eq!(entities["Users"]["User"], serde_json::json!([]));

    let got = c
        .ram_ok(
            "GetPolicy",
            &[("PolicyType", "Custom"), ("PolicyName", "Policy1")],
        )
        .await;
    assert_eq!(got["Policy"]["AttachmentCount"], 1);

    // Attached policies block role and policy deletion.
    c.ram_err(
        "DeleteRole",
        &[("RoleName", "Role1")],
        "DeleteConflict.Role.Policy",
    )
    .await;
    c.ram_err(
        "DeletePolicy",
        &[("PolicyName", "Policy1")],
        "DeleteConflict.Policy.Role",
    )
    .await;

    c.ram_ok(
        "DetachPolicyFromRole",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "AliyunOSSReadOnlyAccess"),
            ("RoleName", "Role1"),
        ],
    )
    .await;
    assert_eq!(
        c.ram_err(
            "DetachPolicyFromRole",
            &[
                ("PolicyType", "System"),
                ("PolicyName", "AliyunOSSReadOnlyAccess"),
                ("RoleName", "Role1")
            ],
            "EntityNotExist.Role.Policy",
        )
        .await,
        404
    );

    // Cascading delete detaches the policy, after which the role can go.
    c.ram_ok(
        "DeletePolicy",
        &[("PolicyName", "Policy1"), ("CascadingDelete", "true")],
    )
    .await;
    let listed = c
        .ram_ok("ListPoliciesForRole", &[("RoleName", "Role1")])
        .await;
    assert_eq!(listed["Policies"]["Policy"], serde_json::json!([]));
    c.ram_ok("DeleteRole", &[("RoleName", "Role1")]).await;

    let state = admin_get(emu.addr(), "/_emulator/state").await;
    assert_eq!(state["attachments"], serde_json::json!([]));
    emu.stop().await;
}

#[tokio::test]
async fn attachment_limit() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    c.ram_ok(
        "CreateRole",
        &[("RoleName", "R"), ("AssumeRolePolicyDocument", TRUST_CR)],
    )
    .await;
    for i in 0..6 {
        let name = format!("P{i}");
        c.ram_ok(
            "CreatePolicy",
            &[("PolicyName", &name), ("PolicyDocument", &policy_doc("b"))],
        )
        .await;
        let a = c
            .call(
                RAM,
                "AttachPolicyToRole",
                &[
                    ("PolicyType", "Custom"),
                    ("PolicyName", &name),
                    ("RoleName", "R"),
                ],
            )
            .await;
        if i < 5 {
            assert_eq!(a.status, 200, "{}", a.text());
        } else {
            assert_eq!(a.code(), "LimitExceeded.Role.Policy");
        }
    }
    emu.stop().await;
}

#[tokio::test]
async fn list_roles_pages() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    for i in 0..5 {
        c.ram_ok(
            "CreateRole",
            &[
                ("RoleName", &format!("Role{i}")),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![("MaxItems", "2")];
        if let Some(m) = &marker {
            params.push(("Marker", m.as_str()));
        }
        let page = c.ram_ok("ListRoles", &params).await;
        for r in page["Roles"]["Role"].as_array().expect("list") {
            seen.push(r["RoleName"].as_str().unwrap_or_default().to_string());
            assert!(r.get("AssumeRolePolicyDocument").is_none());
        }
        if page["IsTruncated"] == Value::Bool(false) {
            break;
        }
        marker = page["Marker"].as_str().map(str::to_string);
        assert!(marker.is_some());
    }
    assert_eq!(seen, vec!["Role0", "Role1", "Role2", "Role3", "Role4"]);
    c.ram_err(
        "ListRoles",
        &[("MaxItems", "0")],
        "InvalidParameter.MaxItems",
    )
    .await;
    emu.stop().await;
}

#[tokio::test]
async fn system_policies_are_readable() {
    let emu = start(Config::default()).await.expect("start");
    let c = Client::new(emu.addr());
    let got = c
        .ram_ok(
            "GetPolicy",
            &[
                ("PolicyType", "System"),
                ("PolicyName", "AliyunOSSFullAccess"),
            ],
        )
        .await;
    assert_eq!(got["Policy"]["PolicyType"], "System");
    assert_eq!(got["DefaultPolicyVersion"]["VersionId"], "v1");
    c.ram_err(
        "GetPolicy",
        &[("PolicyType", "System"), ("PolicyName", "NotASystemPolicy")],
        "EntityNotExist.Policy",
    )
    .await;
    emu.stop().await;
}
