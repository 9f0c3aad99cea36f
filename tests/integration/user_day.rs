//! A user's day, scenario by scenario: what a real configuration does (values from other
//! resources, limits) and what changes outside Terraform, what the next plan shows and what
//! apply does, each through real `terraform` against the RAM emulator.
//!
//! Every test here is a row of `docs/guides/outside-changes.md`. Each asserts on what Terraform
//! records (`terraform show -json` of the state or of a saved plan), on what RAM holds (the
//! emulator's state) and on the RAM calls sent (none for errors found at plan time).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use terraform_provider_alicr::alicloud::ram::{
    CreatePolicyRequest, CreatePolicyVersionRequest, CreateRoleRequest, PolicyType, RotateStrategy,
    TaggedResource, UpdateRoleRequest,
};
use terraform_provider_alicr::policy;

use crate::convergence::wait_for;
use crate::support::{provider_block, Emulator, TfDir, TfOutput};

const ROLE: &str = policy::DEFAULT_ROLE_NAME;
const POLICY: &str = policy::DEFAULT_POLICY_NAME;
/// A system policy that someone else attaches to our role.
const FOREIGN_POLICY: &str = "AliyunOSSReadOnlyAccess";
const ADDRESS: &str = "alicr_custom_oss_role.r";
/// RAM's limit on a policy document, as the diagnostics write it.
const LIMIT_TEXT: &str = "6,144";
const POLICY_DOCUMENT_MAX: usize = 6144;

// ---------------------------------------------------------------------------------------------
// Configurations
// ---------------------------------------------------------------------------------------------

/// The usual provider block (static emulator keys) plus `alicr_custom_oss_role.r` with `body`
/// and any further configuration in `extra`.
fn config(emulator: &Emulator, body: &str, extra: &str) -> String {
    format!(
        "{}\n{extra}\nresource \"alicr_custom_oss_role\" \"r\" {{\n{body}\n}}\n",
        provider_block(&emulator.endpoint())
    )
}

/// `bucket_names = [...]` from literal names.
fn buckets_attr(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("  bucket_names = [{}]", quoted.join(", "))
}

/// A `terraform_data` whose `output` is unknown until it is created.
fn data(name: &str, input: &str) -> String {
    format!("resource \"terraform_data\" \"{name}\" {{\n  input = {input}\n}}\n")
}

/// A provider block with the given settings (credentials, endpoints) and no resources.
fn provider_with(settings: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
{settings}
}}
"#
    )
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Terraform
// ---------------------------------------------------------------------------------------------

/// `terraform apply -auto-approve` that must succeed, with the RAM calls it made.
#[track_caller]
fn apply_counting(emulator: &Emulator, tf: &TfDir) -> BTreeMap<String, u64> {
    let (out, calls) =
        emulator.count_calls(|| tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]));
    assert!(out.success, "terraform apply failed:\n{}", out.all());
    calls
}

/// `terraform plan -detailed-exitcode`, which must show changes (exit code 2).
#[track_caller]
fn assert_plan_shows_changes(tf: &TfDir) -> TfOutput {
    let out = tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(
        out.code,
        Some(2),
        "expected the plan to show changes (exit code 2, got {:?}):\n{}",
        out.code,
        out.all()
    );
    out
}

/// `terraform plan -out=tfplan` (which must succeed), then `terraform show -json tfplan`.
#[track_caller]
fn saved_plan(tf: &TfDir) -> Value {
    let out = tf.run(&["plan", "-out=tfplan", "-input=false", "-no-color"]);
    assert!(out.success, "terraform plan -out failed:\n{}", out.all());
    show_json(tf, Some("tfplan"))
}

/// `terraform plan -out=tfplan` of a create, which must send nothing to RAM; the planned change.
#[track_caller]
fn plan_create_without_calls(emulator: &Emulator, tf: &TfDir) -> Value {
    let (plan, calls) = emulator.count_calls(|| saved_plan(tf));
    assert!(
        calls.is_empty(),
        "planning a create must not call RAM: {calls:?}"
    );
    let change = planned_change(&plan, ADDRESS);
    assert_eq!(change["actions"], json!(["create"]), "{change:#}");
    change
}

/// `terraform show -json [plan]`.
#[track_caller]
fn show_json(tf: &TfDir, plan: Option<&str>) -> Value {
    let mut args = vec!["show", "-json", "-no-color"];
    args.extend(plan);
    let out = tf.run(&args);
    assert!(out.success, "terraform show -json failed:\n{}", out.all());
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("terraform show -json printed no JSON ({e}):\n{}", out.all()))
}

/// The planned change of `address` (`before`, `after`, `after_unknown`, `actions`).
#[track_caller]
fn planned_change(plan: &Value, address: &str) -> Value {
    plan["resource_changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|c| c["address"] == address))
        .map(|c| c["change"].clone())
        .unwrap_or_else(|| panic!("no planned change for {address} in:\n{plan:#}"))
}

/// The state's entry for `address` (with `values` and, when tainted, `tainted: true`).
fn state_resource(tf: &TfDir, address: &str) -> Option<Value> {
    show_json(tf, None)["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == address)
        .cloned()
}

#[track_caller]
fn state_values(tf: &TfDir) -> Value {
    state_resource(tf, ADDRESS).unwrap_or_else(|| panic!("{ADDRESS} is not in Terraform's state"))
        ["values"]
        .clone()
}

fn string_set(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Calls that change RAM (everything but `Get*` and `List*`).
fn mutating(calls: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    calls
        .iter()
        .filter(|(action, _)| !action.starts_with("Get") && !action.starts_with("List"))
        .map(|(action, n)| (action.clone(), *n))
        .collect()
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(a, n)| (a.to_string(), *n)).collect()
}

/// Output text with whitespace and Terraform's diagnostic box drawing collapsed, so wrapped
/// lines read as one.
fn squash(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| !matches!(*w, "│" | "╷" | "╵"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` contains `needle` not directly followed by another digit (so `at most 1`
/// does not match `at most 12`).
fn contains_token(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(at, _)| {
        !text[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// `n` with thousands separators (`6144` -> `6,144`).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether `text` states the number `n`, written plainly or with thousands separators.
fn states_number(text: &str, n: usize) -> bool {
    contains_token(text, &n.to_string()) || contains_token(text, &thousands(n))
}

/// How many `Error:` diagnostics Terraform printed.
fn error_count(out: &TfOutput) -> usize {
    out.all().matches("Error: ").count()
}

// ---------------------------------------------------------------------------------------------
// RAM, as the emulator holds it
// ---------------------------------------------------------------------------------------------

fn ram_role(ram: &Value, name: &str) -> Option<Value> {
    ram["roles"]
        .as_array()?
        .iter()
        .find(|r| {
            r["RoleName"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .cloned()
}

fn ram_policy(ram: &Value, name: &str) -> Option<Value> {
    ram["policies"]
        .as_array()?
        .iter()
        .find(|p| p["PolicyName"] == name)
        .cloned()
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

fn attached(ram: &Value, role: &str, policy_name: &str) -> bool {
    ram["attachments"].as_array().is_some_and(|items| {
        items.iter().any(|a| {
            a["RoleName"]
                .as_str()
                .is_some_and(|r| r.eq_ignore_ascii_case(role))
                && a["PolicyName"] == policy_name
        })
    })
}

fn tags(object: &Value) -> BTreeMap<String, String> {
    object["Tags"]
        .as_object()
        .map(|map| {
            map.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn tag_map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Asserts RAM holds `role` with `policy_name` attached, whose default document is the one
/// rendered from `buckets`, and that Terraform's state records the same document.
#[track_caller]
fn assert_ram_converged(
    emulator: &Emulator,
    tf: &TfDir,
    role: &str,
    policy_name: &str,
    buckets: &[&str],
) {
    let ram = emulator.state();
    let expected = policy::render_policy(&set(buckets));
    assert!(
        ram_role(&ram, role).is_some(),
        "role {role} not in RAM: {ram:#}"
    );
    let found = ram_policy(&ram, policy_name)
        .unwrap_or_else(|| panic!("policy {policy_name} not in RAM: {ram:#}"));
    let document = default_document(&found);
    assert!(
        policy::documents_equivalent(&document, &expected),
        "RAM's default document of {policy_name} is not the one for {buckets:?}:\n{document}"
    );
    assert!(
        attached(&ram, role, policy_name),
        "{policy_name} is not attached to {role}: {ram:#}"
    );
    let values = state_values(tf);
    assert_eq!(
        string_set(&values["bucket_names"]),
        set(buckets),
        "{values:#}"
    );
    assert!(
        policy::documents_equivalent(
            values["policy_document"].as_str().unwrap_or_default(),
            &expected
        ),
        "Terraform's policy_document is not the one for {buckets:?}: {values:#}"
    );
}

// ---------------------------------------------------------------------------------------------
// Changes outside Terraform, through the crate's own RAM client
// ---------------------------------------------------------------------------------------------

fn detach_and_delete_role(emulator: &Emulator) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .detach_policy_from_role(PolicyType::Custom, POLICY, ROLE)
            .await
            .expect("detach the policy outside Terraform");
        client
            .delete_role(ROLE)
            .await
            .expect("delete the role outside Terraform");
    });
}

fn detach_and_delete_policy(emulator: &Emulator) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .detach_policy_from_role(PolicyType::Custom, POLICY, ROLE)
            .await
            .expect("detach the policy outside Terraform");
        client
            .delete_policy(POLICY, true)
            .await
            .expect("delete the policy outside Terraform");
    });
}

fn set_default_document(emulator: &Emulator, document: &str) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_policy_version(&CreatePolicyVersionRequest {
                policy_name: POLICY.into(),
                policy_document: document.into(),
                set_as_default: true,
                rotate_strategy: RotateStrategy::DeleteOldestNonDefaultVersionWhenLimitExceeded,
            })
            .await
            .expect("replace the policy's document outside Terraform");
    });
}

fn update_role(emulator: &Emulator, description: Option<&str>, duration: Option<u64>) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .update_role(&UpdateRoleRequest {
                role_name: ROLE.into(),
                new_assume_role_policy_document: None,
                new_description: description.map(str::to_string),
                new_max_session_duration: duration,
            })
            .await
            .expect("UpdateRole outside Terraform");
    });
}

fn tag(emulator: &Emulator, kind: TaggedResource, name: &str, pairs: &[(&str, &str)]) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .tag_resources(kind, &[name], &tag_map(pairs))
            .await
            .expect("TagResources outside Terraform");
    });
}

fn list_tags(emulator: &Emulator, kind: TaggedResource, name: &str) -> BTreeMap<String, String> {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .list_tags(kind, name)
            .await
            .expect("ListTagResources")
    })
}

/// A role with our trust policy and a custom policy for `buckets`, created by hand and NOT
/// attached (what an interrupted apply or a half-done manual set-up leaves).
fn create_unattached(emulator: &Emulator, buckets: &[&str]) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: ROLE.into(),
                assume_role_policy_document: policy::render_trust_policy(),
                ..Default::default()
            })
            .await
            .expect("CreateRole by hand");
        client
            .create_policy(&CreatePolicyRequest {
                policy_name: POLICY.into(),
                policy_document: policy::render_policy(&set(buckets)),
                ..Default::default()
            })
            .await
            .expect("CreatePolicy by hand");
    });
}

// =============================================================================================
// 1. Values unknown at plan time
// =============================================================================================

#[test]
fn unknown_bucket_on_create_plans_an_unknown_policy_document_and_applies() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(
        &emulator,
        "  bucket_names = [terraform_data.b.output, \"known-bucket\"]",
        &data("b", "\"bucket-from-apply\""),
    ));

    let change = plan_create_without_calls(&emulator, &tf);
    assert_eq!(
        change["after_unknown"]["policy_document"], true,
        "policy_document depends on an unknown bucket and must be unknown: {change:#}"
    );
    assert!(
        change["after_unknown"]["bucket_names"].is_array(),
        "bucket_names must stay a known set with one unknown element: {change:#}"
    );
    assert_ne!(change["after_unknown"]["assume_role_policy_document"], true);
    assert!(
        policy::documents_equivalent(
            change["after"]["assume_role_policy_document"]
                .as_str()
                .unwrap_or_default(),
            &policy::render_trust_policy()
        ),
        "the trust policy is known at plan time: {change:#}"
    );

    let (out, calls) =
        emulator.count_calls(|| tf.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    out.assert_success();
    assert_eq!(
        calls,
        counts(&[
            ("AttachPolicyToRole", 1),
            ("CreatePolicy", 1),
            ("CreateRole", 1)
        ]),
        "create takes exactly CreateRole, CreatePolicy, AttachPolicyToRole"
    );
    assert_ram_converged(
        &emulator,
        &tf,
        ROLE,
        POLICY,
        &["bucket-from-apply", "known-bucket"],
    );
    tf.assert_no_changes();
}

#[test]
fn unknown_bucket_added_on_update_plans_an_unknown_policy_document_and_applies() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["known-bucket"]), ""));
    tf.apply();
    let role_id = state_values(&tf)["role_id"].clone();

    tf.write(
        "main.tf",
        &config(
            &emulator,
            "  bucket_names = [terraform_data.b.output, \"known-bucket\"]",
            &data("b", "\"bucket-added-later\""),
        ),
    );
    let (plan, calls) = emulator.count_calls(|| saved_plan(&tf));
    assert!(
        mutating(&calls).is_empty(),
        "a plan must not change RAM: {calls:?}"
    );
    let change = planned_change(&plan, ADDRESS);
    assert_eq!(change["actions"], json!(["update"]), "{change:#}");
    assert_eq!(
        change["after_unknown"]["policy_document"], true,
        "{change:#}"
    );
    assert!(
        change["after_unknown"]["bucket_names"].is_array(),
        "bucket_names must stay a known set with one unknown element: {change:#}"
    );
    assert_eq!(
        change["after"]["role_id"], role_id,
        "role_id stays known: {change:#}"
    );

    let (out, calls) =
        emulator.count_calls(|| tf.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    out.assert_success();
    assert_eq!(mutating(&calls), counts(&[("CreatePolicyVersion", 1)]));
    assert_ram_converged(
        &emulator,
        &tf,
        ROLE,
        POLICY,
        &["bucket-added-later", "known-bucket"],
    );
    assert_eq!(
        state_values(&tf)["role_id"],
        role_id,
        "the role must not be replaced"
    );
    tf.assert_no_changes();
}

#[test]
fn every_argument_from_another_resource_plans_and_applies() {
    let emulator = Emulator::start();
    let sources = [
        data("t", "\"prod\""),
        data("d", "\"registry role\""),
        data("pd", "\"registry policy\""),
        data("msd", "7200"),
        data("rn", "\"RegistryRoleFromData\""),
        data("pn", "\"RegistryPolicyFromData\""),
        data("to", "\"10m\""),
    ]
    .concat();
    let body = r#"  bucket_names         = ["images"]
  tags                 = { env = terraform_data.t.output, team = "x" }
  description          = terraform_data.d.output
  policy_description   = terraform_data.pd.output
  max_session_duration = terraform_data.msd.output
  role_name            = terraform_data.rn.output
  policy_name          = terraform_data.pn.output
  timeouts {
    create = terraform_data.to.output
  }"#;
    let tf = TfDir::new(&config(&emulator, body, &sources));

    let change = plan_create_without_calls(&emulator, &tf);
    let unknown = &change["after_unknown"];
    for attribute in [
        "description",
        "policy_description",
        "max_session_duration",
        "role_name",
        "policy_name",
    ] {
        assert_eq!(
            unknown[attribute], true,
            "{attribute} must be unknown: {change:#}"
        );
    }
    assert_eq!(
        unknown["tags"],
        json!({"env": true}),
        "tags must stay a known map with an unknown value: {change:#}"
    );
    assert_eq!(change["after"]["tags"]["team"], "x", "{change:#}");
    assert_eq!(unknown["timeouts"][0]["create"], true, "{change:#}");
    assert_ne!(
        unknown["policy_document"], true,
        "the buckets are known, so is the policy: {change:#}"
    );
    assert!(
        policy::documents_equivalent(
            change["after"]["policy_document"]
                .as_str()
                .unwrap_or_default(),
            &policy::render_policy(&set(&["images"]))
        ),
        "{change:#}"
    );

    let out = tf.run(&["apply", "-input=false", "-no-color", "tfplan"]);
    out.assert_success();
    let ram = emulator.state();
    let role = ram_role(&ram, "RegistryRoleFromData")
        .unwrap_or_else(|| panic!("role RegistryRoleFromData not in RAM: {ram:#}"));
    assert_eq!(role["Description"], "registry role");
    assert_eq!(role["MaxSessionDuration"], 7200);
    assert_eq!(tags(&role), tag_map(&[("env", "prod"), ("team", "x")]));
    let policy_in_ram = ram_policy(&ram, "RegistryPolicyFromData")
        .unwrap_or_else(|| panic!("policy RegistryPolicyFromData not in RAM: {ram:#}"));
    assert_eq!(policy_in_ram["Description"], "registry policy");
    assert_eq!(
        tags(&policy_in_ram),
        tag_map(&[("env", "prod"), ("team", "x")])
    );
    assert_ram_converged(
        &emulator,
        &tf,
        "RegistryRoleFromData",
        "RegistryPolicyFromData",
        &["images"],
    );
    let values = state_values(&tf);
    assert_eq!(values["timeouts"][0]["create"], "10m", "{values:#}");
    tf.assert_no_changes();
}

#[test]
fn provider_endpoint_from_another_resource_plans_and_applies() {
    let emulator = Emulator::start();
    let main_tf = format!(
        "{}\n{}\nresource \"alicr_custom_oss_role\" \"r\" {{\n{}\n}}\n",
        provider_with(
            r#"  access_key = "EMULATORACCESSKEYID"
  secret_key = "emulator-secret"
  endpoints {
    ram = terraform_data.ep.output
    sts = terraform_data.ep.output
  }"#
        ),
        data("ep", &format!("{:?}", emulator.endpoint())),
        buckets_attr(&["images"])
    );
    let tf = TfDir::new(&main_tf);
    plan_create_without_calls(&emulator, &tf);
    tf.run(&["apply", "-input=false", "-no-color", "tfplan"])
        .assert_success();
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    tf.assert_no_changes();
}

#[test]
fn provider_keys_from_another_resource_plan_and_apply() {
    let emulator = Emulator::start();
    let main_tf = format!(
        "{}\n{}{}\nresource \"alicr_custom_oss_role\" \"r\" {{\n{}\n}}\n",
        provider_with(&format!(
            r#"  access_key = terraform_data.key.output
  secret_key = terraform_data.secret.output
  endpoints {{
    ram = "{0}"
    sts = "{0}"
  }}"#,
            emulator.endpoint()
        )),
        data(
            "key",
            &format!("{:?}", alicr_emulator::config::DEFAULT_ACCESS_KEY_ID)
        ),
        data(
            "secret",
            &format!("{:?}", alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET)
        ),
        buckets_attr(&["images"])
    );
    let tf = TfDir::new(&main_tf);
    plan_create_without_calls(&emulator, &tf);
    tf.run(&["apply", "-input=false", "-no-color", "tfplan"])
        .assert_success();
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    tf.assert_no_changes();
}

/// The provider's `access_key` from `terraform_data.<source>`, with the emulator endpoint.
fn keyed_config(emulator: &Emulator, source: &str) -> String {
    format!(
        "{}\n{}{}\nresource \"alicr_custom_oss_role\" \"r\" {{\n{}\n}}\n",
        provider_with(&format!(
            r#"  access_key = terraform_data.{source}.output
  secret_key = "{secret}"
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}"#,
            secret = alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET,
            endpoint = emulator.endpoint()
        )),
        data(
            "key",
            &format!("{:?}", alicr_emulator::config::DEFAULT_ACCESS_KEY_ID)
        ),
        if source == "key" {
            String::new()
        } else {
            data(
                source,
                &format!("{:?}", alicr_emulator::config::DEFAULT_ACCESS_KEY_ID),
            )
        },
        buckets_attr(&["images"])
    )
}

#[test]
fn unknown_access_key_with_a_resource_in_state_fails_the_plan_without_falling_back() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&keyed_config(&emulator, "key"));
    tf.apply();
    tf.assert_no_changes();

    // The environment holds working credentials: a provider that fell back to them would
    // refresh the role successfully. It must not: the configured key is merely unknown.
    let env = [
        (
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            alicr_emulator::config::DEFAULT_ACCESS_KEY_ID,
        ),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET,
        ),
        (
            "ALICLOUD_ACCESS_KEY",
            alicr_emulator::config::DEFAULT_ACCESS_KEY_ID,
        ),
        (
            "ALICLOUD_SECRET_KEY",
            alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET,
        ),
    ];
    let check = |out: &TfOutput, how: &str| {
        assert!(
            !out.success,
            "{how}: the plan must fail while access_key is unknown:\n{}",
            out.all()
        );
        let text = squash(&out.all());
        let lower = text.to_lowercase();
        assert!(
            text.contains("access_key"),
            "{how}: the diagnostic must name access_key:\n{text}"
        );
        assert!(
            lower.contains("not known") || lower.contains("unknown"),
            "{how}: the diagnostic must say access_key is not known yet:\n{text}"
        );
        assert!(
            text.contains("-target"),
            "{how}: the diagnostic must suggest -target:\n{text}"
        );
    };

    let (out, calls) = emulator.count_calls(|| {
        tf.run_with_env(
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-replace=terraform_data.key",
            ],
            &env,
        )
    });
    check(&out, "plan -replace=terraform_data.key");
    assert!(
        calls.is_empty(),
        "no call may be signed while the configured key is unknown: {calls:?}"
    );

    tf.write("main.tf", &keyed_config(&emulator, "new_key"));
    let (out, calls) =
        emulator.count_calls(|| tf.run_with_env(&["plan", "-input=false", "-no-color"], &env));
    check(&out, "access_key from a new terraform_data");
    assert!(
        calls.is_empty(),
        "no call may be signed while the configured key is unknown: {calls:?}"
    );
    let ram = emulator.state();
    assert!(
        ram_role(&ram, ROLE).is_some() && attached(&ram, ROLE, POLICY),
        "{ram:#}"
    );
}

#[test]
fn data_source_and_function_with_unknown_inputs_plan_and_apply() {
    let emulator = Emulator::start();
    let extra = format!(
        r#"{}
data "alicr_custom_oss_role" "r" {{
  role_name = alicr_custom_oss_role.r.role_name
}}

output "function_policy" {{
  value = provider::alicr::custom_oss_role_policy([terraform_data.b.output])
}}

output "data_policy" {{
  value = data.alicr_custom_oss_role.r.policy_document
}}

output "data_buckets" {{
  value = data.alicr_custom_oss_role.r.bucket_names
}}

output "resource_policy" {{
  value = alicr_custom_oss_role.r.policy_document
}}
"#,
        data("b", "\"bucket-from-apply\"")
    );
    let tf = TfDir::new(&config(
        &emulator,
        "  bucket_names = [terraform_data.b.output]",
        &extra,
    ));
    let (plan, calls) = emulator.count_calls(|| saved_plan(&tf));
    assert!(
        calls.is_empty(),
        "nothing exists yet; the plan must not call RAM: {calls:?}"
    );
    assert_eq!(
        plan["output_changes"]["function_policy"]["after_unknown"], true,
        "the function's argument is unknown, so is its result: {:#}",
        plan["output_changes"]
    );
    tf.run(&["apply", "-input=false", "-no-color", "tfplan"])
        .assert_success();

    let shown = show_json(&tf, None);
    let outputs = &shown["values"]["outputs"];
    let function_policy = outputs["function_policy"]["value"]
        .as_str()
        .unwrap_or_default();
    let resource_policy = outputs["resource_policy"]["value"]
        .as_str()
        .unwrap_or_default();
    let data_policy = outputs["data_policy"]["value"].as_str().unwrap_or_default();
    assert_eq!(
        function_policy,
        policy::render_policy(&set(&["bucket-from-apply"])),
        "{outputs:#}"
    );
    assert_eq!(function_policy, resource_policy, "{outputs:#}");
    assert!(
        policy::documents_equivalent(data_policy, resource_policy),
        "the data source reads back the resource's policy: {outputs:#}"
    );
    assert_eq!(
        string_set(&outputs["data_buckets"]["value"]),
        set(&["bucket-from-apply"]),
        "{outputs:#}"
    );
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["bucket-from-apply"]);
    tf.assert_no_changes();
}

// =============================================================================================
// 2. RAM's 6,144-character policy limit
// =============================================================================================

/// `count` distinct valid bucket names of 63 characters, already in sorted order.
fn long_bucket_names(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| format!("{:a<62}z", format!("registry-images-{i:02}-")))
        .collect()
}

/// The rendered length of all of `names` and how many of the first (sorted) names fit.
fn length_and_fitting(names: &[String]) -> (usize, usize) {
    let length = policy::render_policy(&names.iter().cloned().collect()).len();
    let fitting = (0..=names.len())
        .rev()
        .find(|&k| {
            k == 0
                || policy::render_policy(&names[..k].iter().cloned().collect()).len()
                    <= POLICY_DOCUMENT_MAX
        })
        .unwrap_or(0);
    (length, fitting)
}

fn hcl_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

#[track_caller]
fn assert_too_long_diagnostic(text: &str, length: usize, fitting: usize, what: &str) {
    assert!(
        states_number(text, length),
        "{what}: the diagnostic must give the rendered length {length}:\n{text}"
    );
    assert!(
        text.contains(LIMIT_TEXT),
        "{what}: the diagnostic must give the limit {LIMIT_TEXT}:\n{text}"
    );
    assert!(
        contains_token(text, &format!("at most {fitting}")),
        "{what}: the diagnostic must say at most {fitting} buckets fit:\n{text}"
    );
}

#[test]
fn seventeen_long_bucket_names_fail_validate_and_plan_on_the_policy_limit() {
    let names = long_bucket_names(17);
    assert!(names.iter().all(|n| n.len() == 63), "{names:?}");
    let (length, fitting) = length_and_fitting(&names);
    assert!(
        length > POLICY_DOCUMENT_MAX,
        "17 names must overflow: {length}"
    );
    assert!(
        (1..17).contains(&fitting),
        "some but not all names must fit: {fitting}"
    );

    println!("17 names of 63 characters render {length} characters; the first {fitting} fit");
    let emulator = Emulator::start();
    let body = format!("  bucket_names = {}", hcl_list(&names));
    let tf = TfDir::new(&config(&emulator, &body, ""));

    let (out, calls) = emulator.count_calls(|| tf.run(&["validate", "-json", "-no-color"]));
    assert!(calls.is_empty(), "validate must not call RAM: {calls:?}");
    let validated: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("validate -json printed no JSON ({e}):\n{}", out.all()));
    assert_eq!(
        validated["valid"], false,
        "validate must refuse the buckets:\n{validated:#}"
    );
    assert_eq!(
        validated["error_count"], 1,
        "exactly one error:\n{validated:#}"
    );
    let diagnostic = validated["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["severity"] == "error"))
        .cloned()
        .unwrap_or_default();
    assert!(
        diagnostic["snippet"]["code"]
            .as_str()
            .is_some_and(|code| code.contains("bucket_names")),
        "the error must point at bucket_names:\n{diagnostic:#}"
    );
    let text = squash(&format!(
        "{} {}",
        diagnostic["summary"], diagnostic["detail"]
    ));
    assert_too_long_diagnostic(&text, length, fitting, "validate");

    let (out, calls) = emulator.count_calls(|| tf.run(&["plan", "-input=false", "-no-color"]));
    assert!(!out.success, "plan must refuse the buckets:\n{}", out.all());
    assert!(
        calls.is_empty(),
        "a plan-time error sends nothing to RAM: {calls:?}"
    );
    assert_eq!(error_count(&out), 1, "exactly one error:\n{}", out.all());
    let text = squash(&out.all());
    assert!(text.contains("bucket_names"), "{text}");
    assert_too_long_diagnostic(&text, length, fitting, "plan");
    let ram = emulator.state();
    assert!(ram_role(&ram, ROLE).is_none(), "{ram:#}");
}

#[test]
fn policy_function_refuses_seventeen_long_bucket_names_with_the_same_numbers() {
    let names = long_bucket_names(17);
    let (length, fitting) = length_and_fitting(&names);
    let emulator = Emulator::start();
    let tf = TfDir::new(&format!(
        "{}\noutput \"p\" {{\n  value = provider::alicr::custom_oss_role_policy({})\n}}\n",
        provider_block(&emulator.endpoint()),
        hcl_list(&names)
    ));
    let (out, calls) = emulator.count_calls(|| tf.run(&["plan", "-input=false", "-no-color"]));
    assert!(
        !out.success,
        "the function must refuse the buckets:\n{}",
        out.all()
    );
    assert!(
        calls.is_empty(),
        "the function sends nothing to RAM: {calls:?}"
    );
    assert_eq!(error_count(&out), 1, "exactly one error:\n{}", out.all());
    assert_too_long_diagnostic(&squash(&out.all()), length, fitting, "function");
}

#[test]
fn as_many_long_bucket_names_as_fit_plan_and_apply() {
    let names = long_bucket_names(17);
    let (_, fitting) = length_and_fitting(&names);
    let fit = &names[..fitting];
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(
        &emulator,
        &format!("  bucket_names = {}", hcl_list(fit)),
        "",
    ));
    tf.run(&["validate", "-no-color"]).assert_success();
    let calls = apply_counting(&emulator, &tf);
    assert_eq!(
        calls,
        counts(&[
            ("AttachPolicyToRole", 1),
            ("CreatePolicy", 1),
            ("CreateRole", 1)
        ])
    );
    let fit: Vec<&str> = fit.iter().map(String::as_str).collect();
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &fit);
    tf.assert_no_changes();
}

// =============================================================================================
// 3. The role deleted outside Terraform while our policy stays (and the mirror case)
// =============================================================================================

#[test]
fn role_deleted_outside_is_recreated_and_adopts_our_policy() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    detach_and_delete_role(&emulator);

    assert_plan_shows_changes(&tf);
    let calls = apply_counting(&emulator, &tf);
    assert!(
        !calls.contains_key("DeletePolicy"),
        "our policy is adopted, not deleted: {calls:?}"
    );
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    let ram = emulator.state();
    assert_eq!(ram["roles"].as_array().map(Vec::len), Some(1), "{ram:#}");
    assert_eq!(ram["policies"].as_array().map(Vec::len), Some(1), "{ram:#}");
    tf.assert_no_changes();
}

#[test]
fn role_deleted_outside_with_new_buckets_converges_the_adopted_policy() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    detach_and_delete_role(&emulator);
    tf.write(
        "main.tf",
        &config(&emulator, &buckets_attr(&["images", "more-images"]), ""),
    );

    assert_plan_shows_changes(&tf);
    let calls = apply_counting(&emulator, &tf);
    assert!(
        !calls.contains_key("DeletePolicy"),
        "our policy is adopted, not deleted: {calls:?}"
    );
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images", "more-images"]);
    tf.assert_no_changes();
}

/// Found by playing the user: for a resource removed from the configuration, Terraform hands
/// the delete the private state from before the refresh it has just made, so what an older
/// refresh saw attached must not be enough to refuse.
#[test]
fn resource_removed_from_the_configuration_is_destroyed_after_a_foreign_policy_came_and_went() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    attach_foreign_policy(&emulator);
    tf.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ])
    .assert_success();
    let client = emulator.client();
    emulator.block_on(async {
        client
            .detach_policy_from_role(PolicyType::System, FOREIGN_POLICY, ROLE)
            .await
            .expect("detach it again outside Terraform");
    });
    tf.write("main.tf", &provider_block(&emulator.endpoint()));

    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_success();
    let ram = emulator.state();
    for kind in ["roles", "policies", "attachments"] {
        assert_eq!(ram[kind].as_array().map(Vec::len), Some(0), "{ram:#}");
    }
}

/// A policy attached in the console after the last apply, then the resource removed from the
/// configuration: Terraform 1.11 hands that delete the private state of the last apply, which
/// says only our policy is attached. Destroy must still refuse before changing anything.
#[test]
fn resource_removed_from_the_configuration_is_not_destroyed_while_a_foreign_policy_is_attached() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    attach_foreign_policy(&emulator);
    let before = emulator.state();
    tf.write("main.tf", &provider_block(&emulator.endpoint()));

    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_refused_naming_the_foreign_policy(&out, &emulator, &before);
}

/// The same outside change, then `terraform destroy -refresh=false`: what the apply recorded is
/// not trusted, so destroy looks and refuses before changing anything.
#[test]
fn destroy_without_refresh_refuses_a_policy_attached_since_the_apply() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    attach_foreign_policy(&emulator);
    let before = emulator.state();

    // At once, as a script would: what the apply recorded, even in the same second, is not
    // this command's.
    let out = tf.run(&[
        "destroy",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-refresh=false",
    ]);
    assert_refused_naming_the_foreign_policy(&out, &emulator, &before);
}

/// Destroy refused, named the policy Terraform does not manage, and changed nothing in RAM.
fn assert_refused_naming_the_foreign_policy(out: &TfOutput, emulator: &Emulator, before: &Value) {
    assert!(!out.success, "{}", out.all());
    assert!(out.all().contains(FOREIGN_POLICY), "{}", out.all());
    assert_eq!(
        &emulator.state(),
        before,
        "destroy changed RAM before refusing"
    );
}

fn attach_foreign_policy(emulator: &Emulator) {
    let client = emulator.client();
    emulator.block_on(async {
        client
            .attach_policy_to_role(PolicyType::System, FOREIGN_POLICY, ROLE)
            .await
            .expect("attach a policy outside Terraform");
    });
}

#[test]
fn policy_deleted_outside_is_recreated_and_attached() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    let role_id = state_values(&tf)["role_id"].clone();
    detach_and_delete_policy(&emulator);

    assert_plan_shows_changes(&tf);
    let calls = apply_counting(&emulator, &tf);
    assert_eq!(
        mutating(&calls),
        counts(&[("AttachPolicyToRole", 1), ("CreatePolicy", 1)]),
        "the role is kept; only the policy is recreated and attached"
    );
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    assert_eq!(
        state_values(&tf)["role_id"],
        role_id,
        "the role must not be replaced"
    );
    tf.assert_no_changes();
}

#[test]
fn role_deleted_and_policy_rewritten_outside_is_not_adopted() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    detach_and_delete_role(&emulator);
    let foreign = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:*:someone-elses-bucket/*"}]}"#;
    set_default_document(&emulator, foreign);

    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(
        !out.success,
        "a policy whose document is not ours must not be adopted:\n{}",
        out.all()
    );
    assert!(
        squash(&out.all()).contains("already exists"),
        "the error must say the policy already exists:\n{}",
        out.all()
    );
    let ram = emulator.state();
    assert!(
        ram_role(&ram, ROLE).is_none(),
        "no role may be left behind: {ram:#}"
    );
    let policy_in_ram = ram_policy(&ram, POLICY).expect("the foreign policy stays");
    assert!(
        policy::documents_equivalent(&default_document(&policy_in_ram), foreign),
        "the foreign document must be left alone: {policy_in_ram:#}"
    );
    assert!(
        ram["attachments"].as_array().is_none_or(Vec::is_empty),
        "{ram:#}"
    );
}

// =============================================================================================
// 4. Drift of arguments left at their default
// =============================================================================================

#[test]
fn unset_max_session_duration_changed_outside_is_set_back_to_3600() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    let role_id = state_values(&tf)["role_id"].clone();
    update_role(&emulator, None, Some(43200));

    assert_plan_shows_changes(&tf);
    let change = planned_change(&saved_plan(&tf), ADDRESS);
    assert_eq!(change["actions"], json!(["update"]), "{change:#}");
    assert_eq!(
        change["before"]["max_session_duration"], 43200,
        "{change:#}"
    );
    assert_eq!(change["after"]["max_session_duration"], 3600, "{change:#}");

    let (out, calls) =
        emulator.count_calls(|| tf.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    out.assert_success();
    assert_eq!(mutating(&calls), counts(&[("UpdateRole", 1)]));
    let role = ram_role(&emulator.state(), ROLE).expect("role in RAM");
    assert_eq!(role["MaxSessionDuration"], 3600, "{role:#}");
    let values = state_values(&tf);
    assert_eq!(values["max_session_duration"], 3600);
    assert_eq!(values["role_id"], role_id);
    tf.assert_no_changes();
}

#[test]
fn unset_description_set_outside_is_cleared() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    tf.apply();
    update_role(&emulator, Some("set in the console"), None);

    assert_plan_shows_changes(&tf);
    let change = planned_change(&saved_plan(&tf), ADDRESS);
    assert_eq!(change["actions"], json!(["update"]), "{change:#}");
    assert_eq!(
        change["before"]["description"], "set in the console",
        "{change:#}"
    );
    assert!(
        change["after"]["description"].is_null() || change["after"]["description"] == "",
        "{change:#}"
    );

    let (out, calls) =
        emulator.count_calls(|| tf.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    out.assert_success();
    assert_eq!(mutating(&calls), counts(&[("UpdateRole", 1)]));
    let role = ram_role(&emulator.state(), ROLE).expect("role in RAM");
    assert_eq!(role["Description"], "", "{role:#}");
    tf.assert_no_changes();
}

// =============================================================================================
// 5. Tags changed on the role and on the policy
// =============================================================================================

fn tagged_config(emulator: &Emulator) -> String {
    config(
        emulator,
        &format!(
            "{}\n  tags = {{ env = \"prod\" }}",
            buckets_attr(&["images"])
        ),
        "",
    )
}

#[track_caller]
fn assert_tags_are_prod(emulator: &Emulator) {
    let expected = tag_map(&[("env", "prod")]);
    assert_eq!(
        list_tags(emulator, TaggedResource::Role, ROLE),
        expected,
        "the role's tags"
    );
    assert_eq!(
        list_tags(emulator, TaggedResource::Policy, POLICY),
        expected,
        "the policy's tags"
    );
    let ram = emulator.state();
    assert_eq!(tags(&ram_role(&ram, ROLE).expect("role")), expected);
    assert_eq!(tags(&ram_policy(&ram, POLICY).expect("policy")), expected);
}

#[test]
fn tags_changed_on_role_and_policy_are_fixed_by_one_apply() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&tagged_config(&emulator));
    tf.apply();
    assert_tags_are_prod(&emulator);
    tag(&emulator, TaggedResource::Role, ROLE, &[("env", "dev")]);
    tag(&emulator, TaggedResource::Policy, POLICY, &[("extra", "x")]);

    assert_plan_shows_changes(&tf);
    let calls = apply_counting(&emulator, &tf);
    for replaced in ["CreateRole", "DeleteRole", "CreatePolicy", "DeletePolicy"] {
        assert!(
            !calls.contains_key(replaced),
            "tags change in place: {calls:?}"
        );
    }
    assert_tags_are_prod(&emulator);
    tf.assert_no_changes();
}

#[test]
fn detached_policy_with_a_changed_description_is_fixed_by_one_apply() {
    let emulator = Emulator::start();
    let body = format!(
        "{}\n  policy_description = \"pd\"",
        buckets_attr(&["images"])
    );
    let tf = TfDir::new(&config(&emulator, &body, ""));
    tf.apply();
    let client = emulator.client();
    emulator.block_on(async {
        client
            .update_policy_description(POLICY, "changed")
            .await
            .expect("UpdatePolicyDescription outside Terraform");
        client
            .detach_policy_from_role(PolicyType::Custom, POLICY, ROLE)
            .await
            .expect("detach outside Terraform");
    });
    let change = planned_change(&saved_plan(&tf), ADDRESS);
    assert_eq!(
        change["before"]["policy_description"], "changed",
        "{change:#}"
    );
    assert_eq!(change["after"]["policy_description"], "pd", "{change:#}");
    let (out, _) =
        emulator.count_calls(|| tf.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    out.assert_success();
    let ram = emulator.state();
    assert!(attached(&ram, ROLE, POLICY), "{ram:#}");
    let policy = ram_policy(&ram, POLICY).expect("policy in RAM");
    assert_eq!(policy["Description"], "pd", "{policy:#}");
    tf.assert_no_changes();
}

#[test]
fn tags_changed_only_on_the_policy_show_in_the_plan() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&tagged_config(&emulator));
    tf.apply();
    tag(&emulator, TaggedResource::Policy, POLICY, &[("extra", "x")]);

    assert_plan_shows_changes(&tf);
    apply_counting(&emulator, &tf);
    assert_tags_are_prod(&emulator);
    tf.assert_no_changes();
}

// =============================================================================================
// 6. A role and its policy that exist but are not attached
// =============================================================================================

/// The apply after importing an unattached pair attaches the policy and changes nothing else:
/// the refresh saw the detached policy's document already right, so no new version is written.
#[track_caller]
fn assert_only_attached(calls: &BTreeMap<String, u64>) {
    let changed = mutating(calls);
    assert_eq!(
        changed,
        counts(&[("AttachPolicyToRole", 1)]),
        "the apply attaches the existing policy to the existing role"
    );
}

#[test]
fn unattached_role_and_policy_import_by_cli_then_apply_attaches() {
    let emulator = Emulator::start();
    create_unattached(&emulator, &["images"]);
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    let id = format!("{ROLE}:{POLICY}");
    let (out, calls) =
        emulator.count_calls(|| tf.run(&["import", "-input=false", "-no-color", ADDRESS, &id]));
    assert!(out.success, "terraform import {id} failed:\n{}", out.all());
    assert!(mutating(&calls).is_empty(), "import only reads: {calls:?}");
    let values = state_values(&tf);
    assert_eq!(values["role_name"], ROLE, "{values:#}");
    assert_eq!(values["policy_name"], POLICY, "{values:#}");

    assert_plan_shows_changes(&tf);
    let calls = apply_counting(&emulator, &tf);
    assert_only_attached(&calls);
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    tf.assert_no_changes();
}

#[test]
fn unattached_role_and_policy_import_block_then_apply_attaches() {
    let emulator = Emulator::start();
    create_unattached(&emulator, &["images"]);
    let tf = TfDir::new(&config(
        &emulator,
        &buckets_attr(&["images"]),
        &format!("import {{\n  to = {ADDRESS}\n  id = \"{ROLE}:{POLICY}\"\n}}\n"),
    ));
    let (_, calls) = emulator.count_calls(|| assert_plan_shows_changes(&tf));
    assert!(
        mutating(&calls).is_empty(),
        "a plan must not change RAM: {calls:?}"
    );
    let calls = apply_counting(&emulator, &tf);
    assert_only_attached(&calls);
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    tf.assert_no_changes();
}

// =============================================================================================
// 7. Rough edges
// =============================================================================================

#[test]
fn import_id_with_extra_parts_is_refused_before_any_call() {
    let emulator = Emulator::start();
    create_unattached(&emulator, &["images"]);
    let tf = TfDir::new(&config(&emulator, &buckets_attr(&["images"]), ""));
    let id = format!("{ROLE}:{POLICY}:extra");
    let (out, calls) =
        emulator.count_calls(|| tf.run(&["import", "-input=false", "-no-color", ADDRESS, &id]));
    assert!(!out.success, "import {id} must fail:\n{}", out.all());
    assert!(
        calls.is_empty(),
        "a malformed import ID is refused before any call: {calls:?}"
    );
    let text = squash(&out.all());
    assert!(
        text.to_lowercase().contains("invalid import id"),
        "the error must call the import ID invalid:\n{text}"
    );
    assert!(text.contains(&id), "the error must quote the ID:\n{text}");
    assert!(state_resource(&tf, ADDRESS).is_none());
}

#[test]
fn create_timeout_after_a_completed_attach_does_not_taint() {
    // Every call is carried out and answered LATENCY_MS after it arrives. CreateRole and
    // CreatePolicy run concurrently and answer after about 2 s, well inside the create timeout
    // of 3.5 s; AttachPolicyToRole is sent then, so it cannot be answered before 4 s: after the
    // deadline, although the emulator carries it out. Whatever the provider sends to look before
    // tainting arrives after the deadline and is delayed as well, so it is carried out after the
    // attach and sees it. (Latency is a floor, so the deadline always falls between the two.)
    const LATENCY_MS: u64 = 2000;
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(
        &emulator,
        &format!(
            "{}\n  timeouts {{\n    create = \"3500ms\"\n  }}",
            buckets_attr(&["images"])
        ),
        "",
    ));
    emulator.faults(json!({ "latency_ms": LATENCY_MS }));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    emulator.faults(json!({}));
    println!("apply under latency:\n{}", out.all());

    let resource = state_resource(&tf, ADDRESS).unwrap_or_else(|| {
        panic!(
            "the role was created, so Terraform's state must record it:\n{}",
            out.all()
        )
    });
    assert_ne!(
        resource["tainted"],
        true,
        "the attach completed in RAM: the resource must not be tainted:\n{resource:#}\n{}",
        out.all()
    );
    // The emulator carries out every call it was sent, even one whose caller stopped waiting:
    // wait (a bounded poll, not a timing assertion) until the attach has landed.
    let ram = wait_for(
        "the delayed AttachPolicyToRole to be carried out",
        1000,
        || {
            let ram = emulator.state();
            attached(&ram, ROLE, POLICY).then_some(ram)
        },
    );
    let role_id = resource["values"]["role_id"].clone();
    assert_eq!(
        role_id,
        ram_role(&ram, ROLE).expect("role in RAM")["RoleId"],
        "{resource:#}"
    );

    let calls = apply_counting(&emulator, &tf);
    assert!(
        !calls.contains_key("DeleteRole") && !calls.contains_key("CreateRole"),
        "the role must not be replaced: {calls:?}"
    );
    assert_eq!(state_values(&tf)["role_id"], role_id);
    assert_ram_converged(&emulator, &tf, ROLE, POLICY, &["images"]);
    tf.assert_no_changes();
}

// =============================================================================================
// The guide and this file agree
// =============================================================================================

/// Every test in this file is a row of `docs/guides/outside-changes.md`, and every row's last
/// column names a test in this file.
#[test]
fn a_name_differing_only_in_case_is_not_a_replacement() {
    let emulator = Emulator::start();
    create_unattached(&emulator, &["images"]);
    let client = emulator.client();
    emulator.block_on(async {
        client
            .attach_policy_to_role(PolicyType::Custom, POLICY, ROLE)
            .await
            .expect("attach by hand");
    });
    let role_id = ram_role(&emulator.state(), ROLE).expect("role")["RoleId"].clone();
    let lower_role = ROLE.to_ascii_lowercase();
    let body = format!(
        "{}\n  role_name = \"{lower_role}\"",
        buckets_attr(&["images"])
    );
    let tf = TfDir::new(&config(&emulator, &body, ""));
    let id = format!("{lower_role}:{POLICY}");
    tf.run(&["import", "-input=false", "-no-color", ADDRESS, &id])
        .assert_success();
    let change = planned_change(&saved_plan(&tf), ADDRESS);
    let actions = change["actions"].clone();
    assert!(
        actions == json!(["no-op"]) || actions == json!(["update"]),
        "a change of letter case must not replace the role: {change:#}"
    );
    let (out, calls) =
        emulator.count_calls(|| tf.run(&["apply", "-input=false", "-no-color", "tfplan"]));
    out.assert_success();
    assert!(mutating(&calls).is_empty(), "sent {calls:?}");
    assert_eq!(
        ram_role(&emulator.state(), ROLE).expect("role")["RoleId"],
        role_id
    );
    tf.assert_no_changes();
}

#[test]
fn every_scenario_row_names_a_test_in_this_file() {
    let source = include_str!("user_day.rs");
    let guide_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/guides/outside-changes.md"
    );
    let guide =
        std::fs::read_to_string(guide_path).unwrap_or_else(|e| panic!("read {guide_path}: {e}"));
    let tests: BTreeSet<&str> = source
        .split("#[test]\nfn ")
        .skip(1)
        .filter_map(|rest| rest.split('(').next())
        .filter(|name| *name != "every_scenario_row_names_a_test_in_this_file")
        .collect();
    let mut rows = 0;
    let mut named = BTreeSet::new();
    for line in guide
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
    {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
        let last = cells.last().map(|c| c.trim()).unwrap_or_default();
        if last == "test" {
            continue;
        }
        rows += 1;
        let name = last.trim_matches('`');
        assert!(
            tests.contains(name),
            "the guide's row names {last:?}, which is not a test in user_day.rs:\n{line}"
        );
        named.insert(name);
    }
    assert!(rows > 0, "the guide has no scenario rows");
    let missing: Vec<&&str> = tests.iter().filter(|t| !named.contains(*t)).collect();
    assert!(
        missing.is_empty(),
        "tests without a row in the guide: {missing:?}"
    );
}
