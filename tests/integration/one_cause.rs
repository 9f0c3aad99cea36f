//! One cause, one readable diagnostic: failures shared by concurrent calls are reported once,
//! and bulky server detail (RAM's string to sign) stays in the debug log.

use terraform_provider_alicr::alicloud::ram::CreateRoleRequest;

use crate::convergence::{ram_is_empty, terraform_command};
use crate::support::{Emulator, TfDir, TfOutput};

const WRONG_SECRET: &str = "not-the-emulator-secret-0123456789";

/// A configuration of one `alicr_custom_oss_role` whose policy is long, as in real use (two
/// dozen buckets), so RAM's string to sign would be bulky; `credentials` are the provider's
/// credential arguments.
fn config(endpoint: &str, credentials: &str) -> String {
    let buckets: Vec<String> = (0..25)
        .map(|i| format!("\"one-cause-bucket-number-{i:02}\""))
        .collect();
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
{credentials}
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}

resource "alicr_custom_oss_role" "this" {{
  role_name    = "one-cause-role"
  policy_name  = "one-cause-policy"
  bucket_names = [{}]
}}
"#,
        buckets.join(", ")
    )
}

fn static_keys(secret: &str) -> String {
    format!("  access_key = \"EMULATORACCESSKEYID\"\n  secret_key = \"{secret}\"")
}

const APPLY: &[&str] = &["apply", "-input=false", "-no-color", "tfplan"];

/// Runs `terraform apply` of a saved plan, so that the output is what applying printed (not
/// the plan, which shows the whole policy), with provider debug logs going to `log` if given.
fn apply(tf: &TfDir, log: Option<&std::path::Path>) -> TfOutput {
    tf.run(&["plan", "-input=false", "-no-color", "-out=tfplan"])
        .assert_success();
    let mut command = terraform_command(tf, APPLY);
    if let Some(path) = log {
        command
            .env("TF_LOG_PROVIDER", "debug")
            .env("TF_LOG_PATH", path);
    }
    TfOutput::from(command.output().expect("run terraform"))
}

/// The number of error diagnostics Terraform printed.
fn error_count(text: &str) -> usize {
    text.matches("Error: ").count()
}

/// Every `RequestId: ...` the output names (Terraform may wrap the line after the colon).
fn request_ids(text: &str) -> Vec<String> {
    text.split("RequestId:")
        .skip(1)
        .filter_map(|rest| {
            let id: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!id.is_empty()).then_some(id)
        })
        .collect()
}

#[test]
fn a_wrong_secret_key_is_one_short_error_with_code_request_id_and_hint() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator.endpoint(), &static_keys(WRONG_SECRET)));
    let (out, calls) = emulator.count_calls(|| apply(&tf, None));
    out.assert_failure();
    let text = out.all();
    // Both creates were sent (concurrently) and both were refused...
    assert_eq!(calls.get("CreateRole"), Some(&1), "{calls:?}\n{text}");
    assert_eq!(calls.get("CreatePolicy"), Some(&1), "{calls:?}\n{text}");
    // ...yet the user reads one error, naming both steps.
    assert_eq!(error_count(&text), 1, "{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
    assert_eq!(request_ids(&text).len(), 1, "{text}");
    assert!(text.contains("Hint: "), "{text}");
    assert!(text.contains("AccessKey secret"), "{text}");
    assert!(text.contains("Also failed for the same reason"), "{text}");
    assert!(text.contains("one-cause-role") && text.contains("one-cause-policy"));
    assert!(!text.contains("string to sign"), "{text}");
    assert!(!text.contains(WRONG_SECRET), "{text}");
    assert!(
        text.len() < 2_000,
        "{} characters of output:\n{text}",
        text.len()
    );
    assert!(
        ram_is_empty(&emulator.state()),
        "something was created: {}",
        emulator.state()
    );
}

#[test]
fn the_string_to_sign_goes_to_the_debug_log_without_the_secret() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&config(&emulator.endpoint(), &static_keys(WRONG_SECRET)));
    let log_path = tf.path().join("provider-debug.log");
    let out = apply(&tf, Some(&log_path));
    out.assert_failure();
    let log = std::fs::read_to_string(&log_path).expect("read TF_LOG_PATH");
    let text = out.all();
    assert_eq!(error_count(&text), 1, "{text}");
    assert!(!text.contains("string to sign"), "{text}");
    // The full server answer is in the log, for whoever has to debug the signature...
    assert!(
        log.contains("string to sign"),
        "no string to sign in the log"
    );
    assert!(
        log.contains("POST&%2F&AccessKeyId%3DEMULATORACCESSKEYID"),
        "the log does not carry RAM's string to sign"
    );
    for id in request_ids(&text) {
        assert!(log.contains(&id), "the log does not name request {id}");
    }
    // ...but never the secret, raw or encoded.
    assert!(!log.contains(WRONG_SECRET));
    assert!(!log.contains("emulator-secret"));
    assert!(!log.contains(alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET));
    assert!(ram_is_empty(&emulator.state()));
}

/// A trust policy no account principal satisfies: only the ECS service may assume the role.
const SERVICE_ONLY_TRUST: &str = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}"#;

fn assume_role_keys(role_arn: &str) -> String {
    format!(
        "{}\n  assume_role {{\n    role_arn = \"{role_arn}\"\n  }}",
        static_keys(alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET)
    )
}

#[track_caller]
fn assert_one_assume_role_error(text: &str, role_arn: &str, code: &str) {
    assert_eq!(error_count(text), 1, "{text}");
    assert!(text.contains(role_arn), "{text}");
    assert!(text.contains("AssumeRole"), "{text}");
    assert!(text.contains(code), "{text}");
    assert_eq!(request_ids(text).len(), 1, "{text}");
    assert!(text.contains("trust policy"), "{text}");
    assert!(text.contains("sts:AssumeRole"), "{text}");
    // The role Terraform manages was never the problem: no RAM-permissions advice.
    assert!(!text.contains("AliyunRAMFullAccess"), "{text}");
    let summary = text
        .lines()
        .find(|line| line.starts_with("Error: "))
        .unwrap_or_default();
    assert!(summary.contains(role_arn), "{summary}");
    assert!(summary.contains("AssumeRole"), "{summary}");
}

#[test]
fn a_refused_assume_role_names_the_providers_role_once() {
    let emulator = Emulator::start();
    let client = emulator.client();
    let role_arn = emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: "ecs-only".into(),
                assume_role_policy_document: SERVICE_ONLY_TRUST.into(),
                ..Default::default()
            })
            .await
            .expect("create the role the provider cannot assume")
            .role
            .arn
    });
    let tf = TfDir::new(&config(&emulator.endpoint(), &assume_role_keys(&role_arn)));
    let (out, calls) = emulator.count_calls(|| apply(&tf, None));
    out.assert_failure();
    let text = out.all();
    // Nothing was sent to RAM: every call needed the credentials that could not be had.
    assert!(
        !calls.contains_key("CreateRole") && !calls.contains_key("CreatePolicy"),
        "{calls:?}"
    );
    assert_one_assume_role_error(&text, &role_arn, "NoPermission");
    let ram = emulator.state();
    assert_eq!(ram["roles"].as_array().map(Vec::len), Some(1), "{ram}");
    assert_eq!(ram["policies"].as_array().map(Vec::len), Some(0), "{ram}");
}

#[test]
fn an_injected_assume_role_failure_is_one_diagnostic_too() {
    let emulator = Emulator::start();
    emulator.faults(serde_json::json!({
        "fail": [{"action": "AssumeRole", "code": "NoPermission", "count": 10}]
    }));
    let role_arn = "acs:ram::1234567890123456:role/terraform-deployer";
    let tf = TfDir::new(&config(&emulator.endpoint(), &assume_role_keys(role_arn)));
    let out = apply(&tf, None);
    out.assert_failure();
    assert_one_assume_role_error(&out.all(), role_arn, "NoPermission");
    assert!(ram_is_empty(&emulator.state()));
}

#[test]
fn a_role_arn_of_another_account_is_one_diagnostic_naming_it() {
    let emulator = Emulator::start();
    let role_arn = "acs:ram::9999999999999999:role/elsewhere";
    let tf = TfDir::new(&config(&emulator.endpoint(), &assume_role_keys(role_arn)));
    let out = apply(&tf, None);
    out.assert_failure();
    assert_one_assume_role_error(&out.all(), role_arn, "EntityNotExist.Role");
    assert!(ram_is_empty(&emulator.state()));
}

/// STS's `EntityNotExist.Role` is about the role the provider assumes, never about the role
/// Terraform manages: a refresh must not drop it from the state, nor a destroy count it gone.
#[test]
fn an_unassumable_providers_role_is_not_the_managed_role_gone() {
    let emulator = Emulator::start();
    let endpoint = emulator.endpoint();
    let tf = TfDir::new(&config(
        &endpoint,
        &static_keys(alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET),
    ));
    tf.apply();
    let role_arn = "acs:ram::9999999999999999:role/elsewhere";
    tf.write("main.tf", &config(&endpoint, &assume_role_keys(role_arn)));

    let planned = tf.run(&["plan", "-input=false", "-no-color"]);
    planned.assert_failure();
    assert_one_assume_role_error(&planned.all(), role_arn, "EntityNotExist.Role");
    assert!(!planned.all().contains("to add"), "{}", planned.all());

    let destroyed = tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    destroyed.assert_failure();
    assert_one_assume_role_error(&destroyed.all(), role_arn, "EntityNotExist.Role");

    let listed = tf.run(&["state", "list"]);
    listed.assert_success();
    assert!(
        listed.stdout.contains("alicr_custom_oss_role.this"),
        "{}",
        listed.stdout
    );
    let ram = emulator.state();
    assert_eq!(ram["roles"].as_array().map(Vec::len), Some(1), "{ram}");
    assert_eq!(ram["policies"].as_array().map(Vec::len), Some(1), "{ram}");
}
