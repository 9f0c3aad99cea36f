//! Parity with the official provider's RAM resources: `tags`, `policy_description` and
//! `timeouts`, through real `terraform` against the emulator.

use serde_json::{json, Value};
use terraform_provider_alicr::alicloud::ram::TaggedResource;
use terraform_provider_alicr::policy;

use crate::support::{provider_block, Emulator, TfDir};

const ROLE: &str = policy::DEFAULT_ROLE_NAME;
const POLICY: &str = policy::DEFAULT_POLICY_NAME;

fn config(emulator: &Emulator, extra: &str) -> String {
    format!(
        "{}\nresource \"alicr_custom_oss_role\" \"this\" {{\n  bucket_names = [\"images\"]\n{extra}\n}}\n",
        provider_block(&emulator.endpoint())
    )
}

fn ram_tags(emulator: &Emulator) -> (Value, Value) {
    let state = emulator.state();
    let role = state["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RoleName"] == ROLE)
        .cloned();
    let policy = state["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["PolicyName"] == POLICY)
        .cloned();
    (
        role.map(|r| r["Tags"].clone()).unwrap_or(Value::Null),
        policy.map(|p| p["Tags"].clone()).unwrap_or(Value::Null),
    )
}

#[test]
fn tags_are_created_changed_in_place_by_difference_and_drift_is_fixed() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(
        &emulator,
        "  tags = { env = \"prod\", team = \"registry\" }",
    ));
    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(
        calls.values().sum::<u64>(),
        3,
        "tags travel with the create calls: {calls:?}"
    );
    let expected = json!({"env": "prod", "team": "registry"});
    assert_eq!(ram_tags(&emulator), (expected.clone(), expected));

    let (_, refresh) = emulator.count_calls(|| tf.assert_no_changes());
    assert_eq!(refresh.get("ListTagResources"), Some(&2), "{refresh:?}");

    // Change one value, add one key, remove one key: exactly one TagResources and one
    // UntagResources per object.
    tf.write(
        "main.tf",
        &config(&emulator, "  tags = { env = \"staging\", owner = \"ops\" }"),
    );
    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(calls.get("TagResources"), Some(&2), "{calls:?}");
    assert_eq!(calls.get("UntagResources"), Some(&2), "{calls:?}");
    assert_eq!(calls.get("CreatePolicyVersion"), None, "{calls:?}");
    let expected = json!({"env": "staging", "owner": "ops"});
    assert_eq!(ram_tags(&emulator), (expected.clone(), expected));
    tf.assert_no_changes();

    // Someone edits a tag on the policy only: the plan shows it, apply restores it.
    let client = emulator.client();
    emulator.block_on(async {
        let tags = [("env".to_string(), "hacked".to_string())].into();
        client
            .tag_resources(TaggedResource::Policy, &[POLICY], &tags)
            .await
            .unwrap();
    });
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    assert!(
        plan.stdout.contains("will be updated in-place"),
        "{}",
        plan.all()
    );
    assert!(plan.stdout.contains("hacked"), "{}", plan.all());
    tf.apply();
    tf.assert_no_changes();
    let expected = json!({"env": "staging", "owner": "ops"});
    assert_eq!(ram_tags(&emulator), (expected.clone(), expected));

    // Removing the attribute removes every tag.
    tf.write("main.tf", &config(&emulator, ""));
    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(calls.get("UntagResources"), Some(&2), "{calls:?}");
    assert_eq!(calls.get("TagResources"), None, "{calls:?}");
    assert_eq!(ram_tags(&emulator), (json!({}), json!({})));
    tf.assert_no_changes();
}

#[test]
fn bad_tags_are_rejected_at_plan_time_without_calling_ram() {
    let emulator = Emulator::start();
    for (tags, rule) in [
        ("{ \"acs:owner\" = \"x\" }", "acs:"),
        ("{ aliyun_team = \"x\" }", "aliyun"),
        (
            &*format!(
                "{{ {} }}",
                (0..21)
                    .map(|i| format!("k{i} = \"v\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "at most 20",
        ),
        (&*format!("{{ k = \"{}\" }}", "v".repeat(129)), "128"),
    ] {
        let tf = TfDir::new(&config(&emulator, &format!("  tags = {tags}")));
        let (out, calls) = emulator.count_calls(|| tf.run(&["plan", "-input=false", "-no-color"]));
        out.assert_failure();
        assert!(out.all().contains("tags"), "{}", out.all());
        assert!(
            out.all().contains(rule),
            "expected {rule:?} in:\n{}",
            out.all()
        );
        assert!(calls.is_empty(), "RAM was called: {calls:?}");
    }
}

#[test]
fn policy_description_is_set_and_updated_in_place() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, "  policy_description = \"ACR storage\""));
    tf.apply();
    let policy_of = |emulator: &Emulator| {
        emulator.state()["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["PolicyName"] == POLICY)
            .cloned()
            .unwrap()
    };
    assert_eq!(policy_of(&emulator)["Description"], "ACR storage");
    tf.assert_no_changes();
    tf.write(
        "main.tf",
        &config(&emulator, "  policy_description = \"ACR image storage\""),
    );
    let (_, calls) = emulator.count_calls(|| tf.apply());
    assert_eq!(calls.get("UpdatePolicyDescription"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("CreatePolicyVersion"), None, "{calls:?}");
    assert_eq!(policy_of(&emulator)["Description"], "ACR image storage");
    tf.assert_no_changes();
}

#[test]
fn import_fills_tags_and_policy_description() {
    let emulator = Emulator::start();
    let extra = "  tags = { env = \"prod\" }\n  policy_description = \"ACR storage\"";
    let created = TfDir::new(&config(&emulator, extra));
    created.apply();
    let tf = TfDir::new(&config(&emulator, extra));
    tf.run(&[
        "import",
        "-input=false",
        "-no-color",
        "alicr_custom_oss_role.this",
        ROLE,
    ])
    .assert_success();
    tf.assert_no_changes();
}

#[test]
fn a_create_timeout_fails_cleanly_and_the_next_apply_converges() {
    let emulator = Emulator::start();
    emulator.faults(json!({"latency_ms": 3000}));
    let tf = TfDir::new(&config(&emulator, "  timeouts {\n    create = \"1s\"\n  }"));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("timeouts.create"), "{text}");
    assert!(
        text.contains("Creating RAM role"),
        "the pending call is named:\n{text}"
    );

    emulator.faults(json!({"latency_ms": 0}));
    // Let any call the emulator was still sleeping on land before converging.
    std::thread::sleep(std::time::Duration::from_secs(3));
    tf.apply();
    tf.assert_no_changes();
    let state = emulator.state();
    assert_eq!(state["roles"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["policies"].as_array().unwrap().len(), 1, "{state}");
}

#[test]
fn an_invalid_timeout_is_rejected_at_plan_time() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(
        &emulator,
        "  timeouts {\n    delete = \"soon\"\n  }",
    ));
    let out = tf.run(&["validate", "-no-color"]);
    out.assert_failure();
    assert!(out.all().contains("timeouts.delete"), "{}", out.all());
}

#[test]
fn adding_a_timeouts_block_changes_nothing_in_ram() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, ""));
    tf.apply();
    tf.write(
        "main.tf",
        &config(&emulator, "  timeouts {\n    delete = \"2m\"\n  }"),
    );
    let (_, calls) = emulator.count_calls(|| tf.apply());
    let reads = [
        "GetRole",
        "GetPolicy",
        "ListPoliciesForRole",
        "ListEntitiesForPolicy",
    ];
    assert!(
        calls.keys().all(|action| reads.contains(&action.as_str())),
        "only the refresh may call RAM: {calls:?}"
    );
    tf.assert_no_changes();
}
