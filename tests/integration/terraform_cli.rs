//! The provider through the real `terraform` CLI: validate, plan, and input errors that name
//! their attribute. (Nothing here reaches RAM: planning a create sends no request.)

use crate::support::{provider_block, TfDir};

/// An endpoint nothing listens on: validate and plan must not need it.
const UNUSED_ENDPOINT: &str = "http://127.0.0.1:9";

fn role_tf(body: &str) -> String {
    format!(
        "{}\nresource \"alicr_custom_oss_role\" \"this\" {{\n{body}\n}}\n",
        provider_block(UNUSED_ENDPOINT)
    )
}

#[test]
fn terraform_validate_accepts_a_good_configuration() {
    let tf = TfDir::new(&role_tf(
        r#"  bucket_names = ["images-prod", "images-dev"]"#,
    ));
    let out = tf.run(&["validate", "-no-color"]);
    out.assert_success();
    assert!(
        out.stdout.contains("The configuration is valid"),
        "{}",
        out.all()
    );
}

#[test]
fn terraform_plan_shows_both_documents() {
    let tf = TfDir::new(&role_tf(
        r#"  bucket_names = ["images-prod", "images-dev"]"#,
    ));
    let out = tf.run(&["plan", "-no-color", "-input=false"]);
    out.assert_success();
    let text = out.all();
    assert!(
        text.contains("alicr_custom_oss_role.this will be created"),
        "{text}"
    );
    assert!(text.contains("acs:oss:*:*:images-dev/*"), "{text}");
    assert!(text.contains("acs:oss:*:*:images-prod"), "{text}");
    assert!(text.contains("cms:QueryMetricLast"), "{text}");
    assert!(text.contains("cr.aliyuncs.com"), "{text}");
    assert!(
        text.contains("AliyunContainerRegistryCustomizedOSSBucketRole"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 1 to add, 0 to change, 0 to destroy"),
        "{text}"
    );
}

#[test]
fn terraform_rejects_an_invalid_bucket_name_on_its_attribute() {
    let tf = TfDir::new(&role_tf(r#"  bucket_names = ["Not_A_Bucket"]"#));
    let out = tf.run(&["plan", "-no-color", "-input=false"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("bucket_names"), "{text}");
    assert!(text.contains("Not_A_Bucket"), "{text}");
    assert!(text.contains("3-63"), "{text}");
}

#[test]
fn terraform_rejects_an_empty_bucket_set() {
    let tf = TfDir::new(&role_tf("  bucket_names = []"));
    let out = tf.run(&["validate", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("bucket_names"), "{text}");
    assert!(text.contains("at least one"), "{text}");
}

#[test]
fn terraform_rejects_an_out_of_range_session_duration() {
    let tf = TfDir::new(&role_tf(
        "  bucket_names = [\"images\"]\n  max_session_duration = 100",
    ));
    let out = tf.run(&["validate", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("max_session_duration"), "{text}");
    assert!(text.contains("3600"), "{text}");
}

#[test]
fn terraform_rejects_plain_http_to_a_remote_endpoint() {
    let tf = TfDir::new(&format!(
        "{}\nresource \"alicr_custom_oss_role\" \"this\" {{\n  bucket_names = [\"images\"]\n}}\n",
        provider_block("http://ram.aliyuncs.com")
    ));
    let out = tf.run(&["validate", "-no-color"]);
    out.assert_failure();
    let text = out.all();
    assert!(text.contains("Invalid endpoint"), "{text}");
    assert!(
        text.contains(r#"ram = "http://ram.aliyuncs.com""#),
        "{text}"
    );
    assert!(text.contains("loopback"), "{text}");
}

#[test]
fn terraform_attaches_to_a_provider_started_with_debug() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let mut child = Command::new(crate::support::provider_binary())
        .arg("--debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start provider with --debug");
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS=") {
            reattach = Some(value.trim_matches('\'').to_string());
            break;
        }
    }
    let reattach = reattach.expect("the provider printed TF_REATTACH_PROVIDERS");
    let tf = TfDir::new(&role_tf(r#"  bucket_names = ["images"]"#)).without_dev_overrides();
    let out = tf.run_with_env(
        &["plan", "-no-color", "-input=false"],
        &[("TF_REATTACH_PROVIDERS", reattach.as_str())],
    );
    let _ = child.kill();
    let _ = child.wait();
    out.assert_success();
    assert!(out.all().contains("acs:oss:*:*:images/*"), "{}", out.all());
}

#[test]
fn provider_logs_reach_terraform_under_tf_log_provider() {
    let tf = TfDir::new(&role_tf(r#"  bucket_names = ["images"]"#));
    let out = tf.run_with_env(
        &["plan", "-no-color", "-input=false"],
        &[("TF_LOG_PROVIDER", "DEBUG")],
    );
    out.assert_success();
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("provider configured"))
        .unwrap_or_else(|| panic!("no provider log line in:\n{}", out.stderr));
    // Terraform re-emits a plugin's hclog JSON line with its level and the plugin's name.
    assert!(line.contains("[DEBUG]"), "{line}");
    assert!(line.contains("terraform-provider-alicr"), "{line}");
    assert!(!out.stderr.contains("emulator-secret"), "secret in logs");
}
