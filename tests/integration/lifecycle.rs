//! `alicr_custom_oss_role` end to end: real `terraform` against the RAM emulator, asserting on
//! `terraform show -json` and on what the emulator holds and was asked.

use serde_json::{json, Value};
use terraform_provider_alicr::alicloud::ram::{
    CreatePolicyRequest, CreatePolicyVersionRequest, CreateRoleRequest, PolicyType, RotateStrategy,
    UpdateRoleRequest,
};
use terraform_provider_alicr::policy;

use crate::convergence::ram_is_empty;
use crate::support::{provider_block, Emulator, TfDir};

const ROLE: &str = policy::DEFAULT_ROLE_NAME;
const POLICY: &str = policy::DEFAULT_POLICY_NAME;

fn config(emulator: &Emulator, body: &str) -> String {
    format!(
        "{}\nresource \"alicr_custom_oss_role\" \"this\" {{\n{body}\n}}\n",
        provider_block(&emulator.endpoint())
    )
}

fn buckets(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("  bucket_names = [{}]", quoted.join(", "))
}

/// The resource's attribute values from `terraform show -json`.
fn state_values(tf: &TfDir) -> Value {
    let out = tf.run(&["show", "-json", "-no-color"]);
    out.assert_success();
    let shown: Value = serde_json::from_str(&out.stdout).expect("show -json output");
    shown["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|resources| resources.first())
        .map(|r| r["values"].clone())
        .unwrap_or(Value::Null)
}

fn emulator_role<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["roles"]
        .as_array()?
        .iter()
        .find(|r| r["RoleName"] == name)
}

fn emulator_policy<'a>(state: &'a Value, name: &str) -> Option<&'a Value> {
    state["policies"]
        .as_array()?
        .iter()
        .find(|p| p["PolicyName"] == name)
}

fn default_document(policy: &Value) -> String {
    let default = policy["DefaultVersion"].as_str().unwrap_or_default();
    policy["Versions"]
        .as_array()
        .and_then(|versions| versions.iter().find(|v| v["VersionId"] == default))
        .and_then(|v| v["PolicyDocument"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn bucket_set(names: &[&str]) -> std::collections::BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn create_matches_ram_then_plans_no_changes_and_destroy_empties_ram() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images-b", "images-a"])));

    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(
        calls.values().sum::<u64>(),
        3,
        "create should take exactly CreateRole, CreatePolicy, AttachPolicyToRole: {calls:?}"
    );

    let values = state_values(&tf);
    let ram = emulator.state();
    let role = emulator_role(&ram, ROLE).expect("role in RAM");
    assert_eq!(values["arn"], role["Arn"]);
    assert_eq!(values["role_id"], role["RoleId"]);
    assert_eq!(values["create_date"], role["CreateDate"]);
    assert_eq!(values["id"], ROLE);
    assert_eq!(values["max_session_duration"], 3600);
    let policy_in_ram = emulator_policy(&ram, POLICY).expect("policy in RAM");
    assert_eq!(values["policy_version"], policy_in_ram["DefaultVersion"]);
    let expected_policy = policy::render_policy(&bucket_set(&["images-a", "images-b"]));
    assert!(policy::documents_equivalent(
        &default_document(policy_in_ram),
        &expected_policy
    ));
    assert!(policy::documents_equivalent(
        values["policy_document"].as_str().unwrap(),
        &expected_policy
    ));
    assert!(policy::documents_equivalent(
        role["AssumeRolePolicyDocument"].as_str().unwrap(),
        &policy::render_trust_policy()
    ));
    assert!(ram["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["RoleName"] == ROLE && a["PolicyName"] == POLICY));

    let (_, refresh_calls) = emulator.count_calls(|| tf.assert_no_changes());
    assert_eq!(
        refresh_calls.values().sum::<u64>(),
        4,
        "refresh should take GetRole, GetPolicy, ListPoliciesForRole, ListEntitiesForPolicy: \
         {refresh_calls:?}"
    );

    let (_, destroy_calls) = emulator.count_calls(|| {
        tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
            .assert_success();
    });
    // The attachments seen by the destroy's own refresh stand in for listing them again: the
    // refresh's 4 calls, then two round trips.
    assert_eq!(
        destroy_calls.values().sum::<u64>(),
        7,
        "destroy should take the refresh's 4 calls, then DetachPolicyFromRole, DeletePolicy, \
         DeleteRole: {destroy_calls:?}"
    );
    assert_eq!(destroy_calls.get("ListPoliciesForRole"), Some(&1));
    assert!(
        ram_is_empty(&emulator.state()),
        "RAM not empty: {}",
        emulator.state()
    );
}

#[test]
fn bucket_changes_update_the_policy_in_place_past_the_version_limit() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images-0"])));
    tf.apply();
    let role_id = state_values(&tf)["role_id"].clone();
    for round in 1..=7 {
        let bucket = format!("images-{round}");
        tf.write(
            "main.tf",
            &config(&emulator, &buckets(&["images-0", &bucket])),
        );
        let plan = tf.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            plan.stdout.contains("1 to change") && plan.stdout.contains("0 to destroy"),
            "round {round}: expected an in-place update:\n{}",
            plan.all()
        );
        let (_, calls) = emulator.count_calls(|| tf.apply());
        assert_eq!(
            calls.get("CreatePolicyVersion"),
            Some(&1),
            "round {round}: {calls:?}"
        );
        let ram = emulator.state();
        let doc = default_document(emulator_policy(&ram, POLICY).unwrap());
        assert!(
            policy::documents_equivalent(
                &doc,
                &policy::render_policy(&bucket_set(&["images-0", &bucket]))
            ),
            "round {round}: RAM holds {doc}"
        );
        tf.assert_no_changes();
    }
    assert_eq!(
        state_values(&tf)["role_id"],
        role_id,
        "the role must never be replaced"
    );
}

#[test]
fn description_and_session_duration_update_in_place_and_rename_replaces() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    let role_id = state_values(&tf)["role_id"].clone();

    let body = format!(
        "{}\n  description = \"registry storage\"\n  max_session_duration = 7200",
        buckets(&["images"])
    );
    tf.write("main.tf", &config(&emulator, &body));
    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(calls.get("UpdateRole"), Some(&1), "{calls:?}");
    let role = emulator_role(&emulator.state(), ROLE).cloned().unwrap();
    assert_eq!(role["Description"], "registry storage");
    assert_eq!(role["MaxSessionDuration"], 7200);
    assert_eq!(state_values(&tf)["role_id"], role_id);
    tf.assert_no_changes();

    let renamed = format!("{body}\n  role_name = \"RegistryRole\"");
    tf.write("main.tf", &config(&emulator, &renamed));
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    assert!(plan.stdout.contains("must be replaced"), "{}", plan.all());
    tf.apply();
    let ram = emulator.state();
    assert!(emulator_role(&ram, ROLE).is_none());
    assert!(emulator_role(&ram, "RegistryRole").is_some());
    tf.assert_no_changes();
}

/// Creates the resource, lets `drift` change RAM behind Terraform's back, checks the plan shows
/// `expected` and that apply converges to a no-op plan.
fn drift_case(drift: impl FnOnce(&Emulator), expected: &str) {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    drift(&emulator);
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_success();
    assert!(
        plan.stdout.contains(expected),
        "expected {expected:?} in:\n{}",
        plan.all()
    );
    tf.apply();
    tf.assert_no_changes();
    let ram = emulator.state();
    let doc = default_document(emulator_policy(&ram, POLICY).expect("policy back"));
    assert!(policy::documents_equivalent(
        &doc,
        &policy::render_policy(&bucket_set(&["images"]))
    ));
    assert!(ram["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["PolicyName"] == POLICY));
}

#[test]
fn drift_deleted_role_is_recreated() {
    drift_case(
        |emulator| {
            let client = emulator.client();
            emulator.block_on(async {
                client
                    .detach_policy_from_role(PolicyType::Custom, POLICY, ROLE)
                    .await
                    .unwrap();
                client.delete_role(ROLE).await.unwrap();
                client.delete_policy(POLICY, true).await.unwrap();
            });
        },
        "will be created",
    );
}

#[test]
fn drift_detached_policy_is_reattached() {
    drift_case(
        |emulator| {
            let client = emulator.client();
            emulator.block_on(async {
                client
                    .detach_policy_from_role(PolicyType::Custom, POLICY, ROLE)
                    .await
                    .unwrap();
            });
        },
        "will be updated in-place",
    );
}

#[test]
fn drift_deleted_policy_is_recreated_in_place() {
    drift_case(
        |emulator| {
            let client = emulator.client();
            emulator.block_on(async {
                client.delete_policy(POLICY, true).await.unwrap();
            });
        },
        "will be updated in-place",
    );
}

#[test]
fn drift_edited_policy_document_is_restored() {
    drift_case(
        |emulator| {
            let client = emulator.client();
            let edited = policy::render_policy(&bucket_set(&["someone-elses-bucket"]));
            emulator.block_on(async {
                client
                    .create_policy_version(&CreatePolicyVersionRequest {
                        policy_name: POLICY.into(),
                        policy_document: edited,
                        set_as_default: true,
                        rotate_strategy:
                            RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
                    })
                    .await
                    .unwrap();
            });
        },
        "will be updated in-place",
    );
}

#[test]
fn drift_edited_role_is_restored() {
    drift_case(
        |emulator| {
            let client = emulator.client();
            let trust = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}"#;
            emulator.block_on(async {
                client
                    .update_role(&UpdateRoleRequest {
                        role_name: ROLE.into(),
                        new_assume_role_policy_document: Some(trust.into()),
                        new_description: Some("edited by hand".into()),
                        new_max_session_duration: Some(7200),
                    })
                    .await
                    .unwrap();
            });
        },
        "will be updated in-place",
    );
}

#[test]
fn reformatted_documents_in_ram_cause_no_diff() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    // The same policy, pretty-printed with keys reordered and a lone action as a list.
    let doc: Value =
        serde_json::from_str(&policy::render_policy(&bucket_set(&["images"]))).unwrap();
    let mut statements = doc["Statement"].as_array().unwrap().clone();
    statements[2]["Action"] = json!(["oss:ListBuckets"]);
    let reformatted =
        serde_json::to_string_pretty(&json!({"Statement": statements, "Version": "1"})).unwrap();
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_policy_version(&CreatePolicyVersionRequest {
                policy_name: POLICY.into(),
                policy_document: reformatted,
                set_as_default: true,
                rotate_strategy: RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
            })
            .await
            .unwrap();
    });
    tf.assert_no_changes();
}

#[test]
fn destroy_refuses_foreign_policies_unless_forced() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_policy(&CreatePolicyRequest {
                policy_name: "SomeoneElsesPolicy".into(),
                policy_document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}"#.into(),
                description: None,
                ..Default::default()
            })
            .await
            .unwrap();
        client
            .attach_policy_to_role(PolicyType::Custom, "SomeoneElsesPolicy", ROLE)
            .await
            .unwrap();
    });
    let before = emulator.state();
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    assert!(out.all().contains("SomeoneElsesPolicy"), "{}", out.all());
    assert_eq!(
        emulator.state(),
        before,
        "a refused destroy must change nothing"
    );

    tf.write(
        "main.tf",
        &config(
            &emulator,
            &format!("{}\n  force_detach_policies = true", buckets(&["images"])),
        ),
    );
    tf.apply();
    tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .assert_success();
    let after = emulator.state();
    assert!(emulator_role(&after, ROLE).is_none());
    assert!(emulator_policy(&after, POLICY).is_none());
    assert!(
        emulator_policy(&after, "SomeoneElsesPolicy").is_some(),
        "only detached, not deleted"
    );
}

#[test]
fn destroy_never_strips_our_policy_from_principals_it_does_not_manage() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    // Outside Terraform, someone gives another role our policy (and one of its own).
    give_another_role_our_policy(&emulator);
    let client = emulator.client();
    emulator.block_on(async {
        client
            .attach_policy_to_role(
                PolicyType::System,
                "AliyunOSSReadOnlyAccess",
                "SomeoneElsesRole",
            )
            .await
            .unwrap();
    });
    let before = emulator.state();
    let (out, calls) =
        emulator.count_calls(|| tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]));
    out.assert_failure();
    assert!(out.all().contains("SomeoneElsesRole"), "{}", out.all());
    assert!(out.all().contains("force_detach_policies"), "{}", out.all());
    assert_eq!(
        emulator.state(),
        before,
        "a refused destroy must change nothing"
    );
    let changes: Vec<&String> = calls
        .keys()
        .filter(|action| !action.starts_with("Get") && !action.starts_with("List"))
        .collect();
    assert!(changes.is_empty(), "a refused destroy sent {changes:?}");

    tf.write(
        "main.tf",
        &config(
            &emulator,
            &format!("{}\n  force_detach_policies = true", buckets(&["images"])),
        ),
    );
    tf.apply();
    tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .assert_success();
    let after = emulator.state();
    assert!(emulator_role(&after, ROLE).is_none());
    assert!(emulator_policy(&after, POLICY).is_none());
    assert!(
        emulator_role(&after, "SomeoneElsesRole").is_some(),
        "the other role is only detached from our policy, never deleted"
    );
    let others: Vec<&Value> = after["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["RoleName"] == "SomeoneElsesRole")
        .collect();
    assert_eq!(others.len(), 1, "{after}");
    assert_eq!(others[0]["PolicyName"], "AliyunOSSReadOnlyAccess");
}

fn create_by_hand(emulator: &Emulator, buckets: &[&str]) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: ROLE.into(),
                assume_role_policy_document: policy::render_trust_policy(),
                description: None,
                max_session_duration: None,
                ..Default::default()
            })
            .await
            .unwrap();
        client
            .create_policy(&CreatePolicyRequest {
                policy_name: POLICY.into(),
                policy_document: policy::render_policy(&bucket_set(buckets)),
                description: None,
                ..Default::default()
            })
            .await
            .unwrap();
        client
            .attach_policy_to_role(PolicyType::Custom, POLICY, ROLE)
            .await
            .unwrap();
    });
}

#[test]
fn import_by_cli_then_plan_has_no_changes() {
    let emulator = Emulator::start();
    create_by_hand(&emulator, &["images-a", "images-b"]);
    let tf = TfDir::new(&config(&emulator, &buckets(&["images-a", "images-b"])));
    tf.run(&[
        "import",
        "-input=false",
        "-no-color",
        "alicr_custom_oss_role.this",
        ROLE,
    ])
    .assert_success();
    let values = state_values(&tf);
    assert_eq!(values["policy_name"], POLICY);
    assert_eq!(values["bucket_names"], json!(["images-a", "images-b"]));
    tf.assert_no_changes();
}

#[test]
fn import_block_with_generated_config_then_plan_has_no_changes() {
    let emulator = Emulator::start();
    create_by_hand(&emulator, &["images"]);
    let tf = TfDir::new(&format!(
        "{}\nimport {{\n  to = alicr_custom_oss_role.this\n  id = \"{ROLE}:{POLICY}\"\n}}\n",
        provider_block(&emulator.endpoint())
    ));
    let out = tf.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-generate-config-out=generated.tf",
    ]);
    out.assert_success();
    let generated =
        std::fs::read_to_string(tf.path().join("generated.tf")).expect("generated config");
    assert!(generated.contains("bucket_names"), "{generated}");
    tf.apply();
    tf.assert_no_changes();
}

/// A refresh whose `ListEntitiesForPolicy` says our policy does not exist while `GetPolicy` found
/// it (RAM's answers crossing a change) must not record "attached to nothing": the destroy that
/// follows looks again and refuses to strip our policy from a role it does not manage.
#[test]
fn a_refresh_that_could_not_list_the_policys_principals_is_not_trusted_by_destroy() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    give_another_role_our_policy(&emulator);
    let before = emulator.state();
    emulator.faults(json!({"fail": [
        {"action": "ListEntitiesForPolicy", "code": "EntityNotExist.Policy", "count": 1}
    ]}));
    let out = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    assert!(out.all().contains("SomeoneElsesRole"), "{}", out.all());
    assert_eq!(
        emulator.state(),
        before,
        "a refused destroy must change nothing"
    );
}

/// Outside Terraform, someone creates `SomeoneElsesRole` and attaches our policy to it.
fn give_another_role_our_policy(emulator: &Emulator) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: "SomeoneElsesRole".into(),
                assume_role_policy_document: policy::render_trust_policy(),
                ..Default::default()
            })
            .await
            .unwrap();
        client
            .attach_policy_to_role(PolicyType::Custom, POLICY, "SomeoneElsesRole")
            .await
            .unwrap();
    });
}

#[test]
fn existing_role_is_refused_with_the_import_hint_and_nothing_left_behind() {
    let emulator = Emulator::start();
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: ROLE.into(),
                assume_role_policy_document: policy::render_trust_policy(),
                description: None,
                max_session_duration: None,
                ..Default::default()
            })
            .await
            .unwrap();
    });
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("already exists"), "{text}");
    assert!(
        text.contains(&format!(
            "terraform import alicr_custom_oss_role.NAME {ROLE}:{POLICY}"
        )),
        "{text}"
    );
    assert!(text.contains("import {"), "{text}");
    let ram = emulator.state();
    assert!(
        emulator_policy(&ram, POLICY).is_none(),
        "the policy we created was not rolled back"
    );
    assert_eq!(ram["roles"].as_array().unwrap().len(), 1);
    assert_eq!(
        state_values(&tf),
        Value::Null,
        "nothing may be recorded in state"
    );
}

#[test]
fn failed_attach_rolls_back_everything() {
    let emulator = Emulator::start();
    emulator.faults(
        json!({"fail": [{"action": "AttachPolicyToRole", "code": "NoPermission", "count": 1}]}),
    );
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    assert!(out.all().contains("NoPermission"), "{}", out.all());
    assert!(
        ram_is_empty(&emulator.state()),
        "rollback left {}",
        emulator.state()
    );
    assert_eq!(state_values(&tf), Value::Null);
    tf.apply();
    tf.assert_no_changes();
}

#[test]
fn failed_rollback_leaves_tainted_state_that_the_next_apply_fixes() {
    let emulator = Emulator::start();
    emulator.faults(json!({"fail": [
        {"action": "AttachPolicyToRole", "code": "NoPermission", "count": 1},
        {"action": "DeleteRole", "code": "NoPermission", "count": 1}
    ]}));
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .assert_failure();
    let shown = tf.run(&["show", "-json", "-no-color"]);
    let json: Value = serde_json::from_str(&shown.stdout).unwrap();
    let resource = &json["values"]["root_module"]["resources"][0];
    assert_eq!(resource["tainted"], true, "{}", shown.stdout);
    assert!(
        emulator_role(&emulator.state(), ROLE).is_some(),
        "the role is left and recorded"
    );
    tf.apply();
    tf.assert_no_changes();
    let ram = emulator.state();
    assert_eq!(ram["roles"].as_array().unwrap().len(), 1);
    assert_eq!(ram["policies"].as_array().unwrap().len(), 1);
}

#[test]
fn throttled_calls_are_retried() {
    let emulator = Emulator::start();
    emulator.faults(json!({"fail": [
        {"action": "CreateRole", "code": "Throttling.User", "count": 2},
        {"action": "GetRole", "code": "Throttling.User", "count": 1}
    ]}));
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(calls.get("CreateRole"), Some(&3), "{calls:?}");
    tf.assert_no_changes();
    assert!(emulator_role(&emulator.state(), ROLE).is_some());
}

#[test]
fn destroy_without_recorded_attachments_lists_them_first() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    tf.apply();
    // A state written by another tool (or an older provider) has no private attachment record.
    let pulled = tf.run(&["state", "pull"]);
    pulled.assert_success();
    let mut state: Value = serde_json::from_str(&pulled.stdout).expect("state JSON");
    let instance = &mut state["resources"][0]["instances"][0];
    assert!(
        instance.get("private").is_some(),
        "the create recorded attachments: {instance}"
    );
    instance.as_object_mut().unwrap().remove("private");
    state["serial"] = json!(state["serial"].as_u64().unwrap_or(0) + 1);
    tf.write("edited.tfstate", &state.to_string());
    tf.run(&["state", "push", "edited.tfstate"])
        .assert_success();

    let (_, calls) = emulator.count_calls(|| {
        tf.run(&[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-refresh=false",
        ])
        .assert_success();
    });
    assert_eq!(calls.get("ListPoliciesForRole"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("ListEntitiesForPolicy"), Some(&1), "{calls:?}");
    assert_eq!(calls.values().sum::<u64>(), 5, "{calls:?}");
    assert!(
        ram_is_empty(&emulator.state()),
        "RAM not empty: {}",
        emulator.state()
    );
}

/// The private state after a create is the short form. A destroy trusts only what its own
/// command observed: after `-refresh=false` it lists the attachments again (what the apply left
/// may be out of date), after its own refresh it does not.
#[test]
fn destroy_trusts_only_the_attachments_its_own_command_observed() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets(&["images"])));
    for refresh in [false, true] {
        tf.apply();
        let pulled = tf.run(&["state", "pull"]);
        pulled.assert_success();
        let state: Value = serde_json::from_str(&pulled.stdout).expect("state JSON");
        let private = engine
            .decode(
                state["resources"][0]["instances"][0]["private"]
                    .as_str()
                    .expect("private state recorded"),
            )
            .expect("base64");
        let seen: Value = serde_json::from_slice(&private).expect("private state is JSON");
        assert!(seen["seen"].is_i64(), "not the short form: {seen}");
        assert!(
            seen["by"].is_string(),
            "the observing command is named: {seen}"
        );
        assert_eq!(seen.as_object().map(|o| o.len()), Some(2), "{seen}");

        let mut args = vec!["destroy", "-auto-approve", "-input=false", "-no-color"];
        if !refresh {
            args.push("-refresh=false");
        }
        let (_, calls) = emulator.count_calls(|| {
            tf.run(&args).assert_success();
        });
        let listed = (
            calls.get("ListPoliciesForRole").copied(),
            calls.get("ListEntitiesForPolicy").copied(),
        );
        assert_eq!(listed, (Some(1), Some(1)), "refresh: {refresh}; {calls:?}");
        let deletes = ["DeletePolicy", "DeleteRole", "DetachPolicyFromRole"];
        for delete in deletes {
            assert_eq!(calls.get(delete), Some(&1), "refresh: {refresh}; {calls:?}");
        }
        let expected_total = if refresh { 7 } else { 5 };
        assert_eq!(
            calls.values().sum::<u64>(),
            expected_total,
            "refresh: {refresh}; {calls:?}"
        );
        assert!(
            ram_is_empty(&emulator.state()),
            "RAM not empty: {}",
            emulator.state()
        );
    }
}
