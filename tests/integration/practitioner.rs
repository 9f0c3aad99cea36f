//! What an experienced Terraform practitioner runs into (issue 13's rough edges), through real
//! `terraform` against the RAM emulator: region ids, names shared by two instances, a data
//! source over a policy that is not ours, and debug logs that say which role a call is for.

use terraform_provider_alicr::alicloud::ram::{CreatePolicyRequest, CreateRoleRequest, PolicyType};
use terraform_provider_alicr::policy;

use crate::support::{provider_block, provider_block_with, Emulator, TfDir};

fn with_provider(emulator: &Emulator, body: &str) -> String {
    format!("{}\n{body}", provider_block(&emulator.endpoint()))
}

/// The provider block with extra settings, then `body`.
fn provider_with(emulator: &Emulator, settings: &str, body: &str) -> String {
    format!(
        "{}\n{body}\n",
        provider_block_with(&emulator.endpoint(), settings)
    )
}

const ONE_ROLE: &str = r#"resource "alicr_custom_oss_role" "r" {
  bucket_names = ["images"]
}"#;

#[test]
fn region_must_be_a_region_id_and_unknown_ones_are_warned_about() {
    let emulator = Emulator::start();
    for bad in ["CN-HANGZHOU", "", "hangzhou"] {
        let tf = TfDir::new(&provider_with(
            &emulator,
            &format!("region = \"{bad}\""),
            ONE_ROLE,
        ));
        let (out, calls) = emulator.count_calls(|| tf.run(&["plan", "-input=false", "-no-color"]));
        out.assert_failure();
        let text = out.all();
        assert!(text.contains("Invalid region"), "{bad:?}: {text}");
        assert!(text.contains("region id"), "{bad:?}: {text}");
        assert!(calls.is_empty(), "{bad:?}: {calls:?}");
    }
    let tf = TfDir::new(&provider_with(
        &emulator,
        "region = \"xx-nowhere-1\"",
        ONE_ROLE,
    ));
    let out = tf.run(&["plan", "-input=false", "-no-color"]);
    out.assert_success();
    assert!(out.all().contains("Unknown region"), "{}", out.all());
    assert!(
        out.all().contains("sts.xx-nowhere-1.aliyuncs.com"),
        "{}",
        out.all()
    );
}

#[test]
fn two_instances_with_the_same_names_are_told_that_another_may_own_the_role() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&with_provider(
        &emulator,
        r#"resource "alicr_custom_oss_role" "r" {
  count        = 2
  bucket_names = ["images-${count.index}"]
}"#,
    ));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    let text = out.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("already exists"), "{text}");
    assert!(text.contains("count"), "{text}");
    // The race decides which object each instance finds taken: when one instance wins the
    // policy and the other the role (and rolls it back in time), only the policy's diagnostic
    // is shown. Both warn that another instance of the resource may own the name.
    assert!(
        text.contains("another instance of a `count` or `for_each` resource"),
        "{text}"
    );
    assert!(text.contains("create_before_destroy"), "{text}");
    // Whichever instance lost the race (possibly both, when each created one of the two
    // objects first) left nothing behind: RAM holds at most one complete set.
    let ram = emulator.state();
    let roles = ram["roles"].as_array().map_or(0, Vec::len);
    let policies = ram["policies"].as_array().map_or(0, Vec::len);
    let attachments = ram["attachments"].as_array().map_or(0, Vec::len);
    assert!(
        roles <= 1 && roles == policies && policies == attachments,
        "{ram}"
    );
}

#[test]
fn data_source_warns_when_the_policy_is_not_the_template() {
    let emulator = Emulator::start();
    let client = emulator.client();
    let broad =
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#;
    emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: "HandMadeRole".into(),
                assume_role_policy_document: policy::render_trust_policy(),
                ..Default::default()
            })
            .await
            .expect("CreateRole");
        client
            .create_policy(&CreatePolicyRequest {
                policy_name: "HandMadePolicy".into(),
                policy_document: broad.into(),
                ..Default::default()
            })
            .await
            .expect("CreatePolicy");
        client
            .attach_policy_to_role(PolicyType::Custom, "HandMadePolicy", "HandMadeRole")
            .await
            .expect("AttachPolicyToRole");
    });
    let tf = TfDir::new(&with_provider(
        &emulator,
        r#"data "alicr_custom_oss_role" "r" {
  role_name = "HandMadeRole"
}
output "buckets" {
  value = data.alicr_custom_oss_role.r.bucket_names
}
output "document" {
  value = data.alicr_custom_oss_role.r.policy_document
}"#,
    ));
    let out = tf.apply();
    let text = out.all();
    assert!(
        text.contains("Policy does not follow the Container Registry template"),
        "{text}"
    );
    assert!(text.contains("HandMadePolicy"), "{text}");
    let outputs = tf.run(&["output", "-json"]);
    outputs.assert_success();
    let outputs: serde_json::Value = serde_json::from_str(&outputs.stdout).expect("outputs JSON");
    assert!(
        outputs.get("buckets").is_none_or(|b| b["value"].is_null()),
        "{outputs}"
    );
    assert!(
        policy::documents_equivalent(outputs["document"]["value"].as_str().unwrap_or(""), broad),
        "{outputs}"
    );
}

#[test]
fn debug_log_lines_name_the_role_and_policy_of_each_call() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&with_provider(
        &emulator,
        r#"resource "alicr_custom_oss_role" "r" {
  for_each     = toset(["alpha", "beta"])
  role_name    = "role-${each.key}"
  policy_name  = "policy-${each.key}"
  bucket_names = ["images-${each.key}"]
}"#,
    ));
    let log_path = tf.path().join("provider.log");
    let log = log_path.to_string_lossy().to_string();
    tf.run_with_env(
        &["apply", "-auto-approve", "-input=false", "-no-color"],
        &[("TF_LOG_PROVIDER", "debug"), ("TF_LOG_PATH", &log)],
    )
    .assert_success();
    let text = std::fs::read_to_string(&log_path).expect("provider log");
    let calls: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("alibaba cloud call"))
        .collect();
    assert_eq!(calls.len(), 6, "two creates of three calls each:\n{text}");
    for key in ["alpha", "beta"] {
        for action in ["CreateRole", "CreatePolicy", "AttachPolicyToRole"] {
            let named = calls.iter().any(|line| {
                line.contains(action)
                    && (line.contains(&format!("RoleName=role-{key}"))
                        || line.contains(&format!("PolicyName=policy-{key}")))
            });
            assert!(named, "no {action} line names {key}:\n{}", calls.join("\n"));
        }
    }
}
