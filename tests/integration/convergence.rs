//! Fixtures for the reliability and security tests: configurations of many roles, the exact
//! comparison of RAM (the emulator's state) with Terraform's state, terraform runs with custom
//! environments or in the background, and the emulator as a separate, killable process.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use terraform_provider_alicr::policy;

use crate::support::{provider_binary, terraform_binary, TfDir, TfOutput};

/// `count` roles `role-<i>` with policies `policy-<i>` on buckets `bucket-<i>`; `provider_extra`
/// goes into the provider block (e.g. `max_retries = 20`).
pub fn many_roles(endpoint: &str, count: usize, provider_extra: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
  access_key = "EMULATORACCESSKEYID"
  secret_key = "emulator-secret"
  {provider_extra}
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}

resource "alicr_custom_oss_role" "r" {{
  count        = {count}
  role_name    = "role-${{count.index}}"
  policy_name  = "policy-${{count.index}}"
  bucket_names = ["bucket-${{count.index}}", "shared-images"]
  description  = "reliability ${{count.index}}"
}}
"#
    )
}

/// The role names [`many_roles`] declares.
pub fn declared_roles(count: usize) -> BTreeSet<String> {
    (0..count).map(|i| format!("role-{i}")).collect()
}

/// The `terraform` command for `tf`'s directory and CLI configuration (the same environment as
/// [`TfDir::run`]), for runs that need their own environment or run in the background.
pub fn terraform_command(tf: &TfDir, args: &[&str]) -> Command {
    let mut command = Command::new(terraform_binary());
    command
        .args(args)
        .current_dir(tf.path())
        .env("TF_CLI_CONFIG_FILE", tf.path().join("terraformrc"))
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1")
        .env("NO_COLOR", "1")
        .env_remove("TF_LOG")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("TF_LOG_PATH");
    command
}

/// `terraform apply -auto-approve` as a background process with piped output.
pub fn spawn_apply(tf: &TfDir, own_process_group: bool) -> Child {
    let mut command =
        terraform_command(tf, &["apply", "-auto-approve", "-input=false", "-no-color"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    if own_process_group {
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    command.spawn().expect("start terraform apply")
}

/// Waits for a background terraform and returns what it printed.
pub fn finish(child: Child) -> TfOutput {
    TfOutput::from(child.wait_with_output().expect("wait for terraform"))
}

/// Sends SIGINT to a process, or with `group` to its whole process group (what Ctrl-C in a
/// terminal does: Terraform and the provider it started both receive it).
pub fn interrupt(pid: u32, group: bool) {
    let target = if group {
        format!("-{pid}")
    } else {
        pid.to_string()
    };
    let status = Command::new("kill")
        .args(["-s", "INT", "--", &target])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -INT {target} failed");
}

/// Polls `probe` until it returns `Some`, sleeping briefly between tries; panics after `tries`.
/// (A synchronisation helper for waiting on a condition, not a timing assertion.)
pub fn wait_for<T>(what: &str, tries: u32, mut probe: impl FnMut() -> Option<T>) -> T {
    for _ in 0..tries {
        if let Some(found) = probe() {
            return found;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("gave up waiting for {what}");
}

/// One `alicr_custom_oss_role` as Terraform's state records it.
#[derive(Debug, Clone)]
pub struct TfRole {
    pub values: Value,
    pub tainted: bool,
}

impl TfRole {
    fn text(&self, key: &str) -> String {
        self.values[key].as_str().unwrap_or_default().to_string()
    }
}

/// Every `alicr_custom_oss_role` instance in `terraform show -json` (an empty list before the
/// first apply).
pub fn terraform_roles(tf: &TfDir) -> Vec<TfRole> {
    let out = tf.run(&["show", "-json", "-no-color"]);
    out.assert_success();
    let shown: Value = serde_json::from_str(&out.stdout).expect("terraform show -json output");
    shown["values"]["root_module"]["resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .filter(|r| r["type"] == "alicr_custom_oss_role")
                .map(|r| TfRole {
                    values: r["values"].clone(),
                    tainted: r["tainted"].as_bool().unwrap_or(false),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|item| item[key].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn default_document(policy: &Value) -> Option<&str> {
    let default = policy["DefaultVersion"].as_str()?;
    policy["Versions"]
        .as_array()?
        .iter()
        .find(|v| v["VersionId"] == default)?
        .get("PolicyDocument")?
        .as_str()
}

/// How RAM and Terraform's state compare: the counts the reliability table reports.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Declared roles that RAM does not hold.
    pub lost: usize,
    /// Roles, policies or attachments in RAM that no state records.
    pub orphans: usize,
    /// Everything that differs, for the failure message.
    pub differences: Vec<String>,
}

/// Compares the emulator's `GET /_emulator/state` with Terraform's state exactly: the same
/// roles, policies and attachments (no orphan, no duplicate, nothing lost), and for each
/// recorded role the same ids, trust policy, description, duration, default policy version and
/// document, which must also be the one rendered from the recorded buckets.
pub fn compare(ram: &Value, tf_roles: &[TfRole], declared: &BTreeSet<String>) -> Comparison {
    let mut c = Comparison::default();
    let ram_roles = names(&ram["roles"], "RoleName");
    let ram_policies = names(&ram["policies"], "PolicyName");
    let ram_attachments: Vec<(String, String)> = ram["attachments"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|a| {
                    (
                        a["RoleName"].as_str().unwrap_or_default().to_string(),
                        a["PolicyName"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let tf_role_names: Vec<String> = tf_roles.iter().map(|r| r.text("role_name")).collect();
    let tf_policy_names: Vec<String> = tf_roles.iter().map(|r| r.text("policy_name")).collect();

    c.differences
        .extend(duplicates("Terraform role", &tf_role_names));
    c.differences.extend(duplicates("RAM role", &ram_roles));
    c.differences
        .extend(duplicates("RAM policy", &ram_policies));
    let tf_set: BTreeSet<&String> = tf_role_names.iter().collect();
    let tf_policy_set: BTreeSet<&String> = tf_policy_names.iter().collect();
    for role in &ram_roles {
        if !tf_set.contains(role) {
            c.orphans += 1;
            c.differences.push(format!("orphan role {role} in RAM"));
        }
    }
    for policy in &ram_policies {
        if !tf_policy_set.contains(policy) {
            c.orphans += 1;
            c.differences.push(format!("orphan policy {policy} in RAM"));
        }
    }
    for role in declared {
        if !ram_roles.contains(role) {
            c.lost += 1;
            c.differences
                .push(format!("declared role {role} not in RAM"));
        }
    }
    let expected_attachments: BTreeSet<(String, String)> = tf_roles
        .iter()
        .map(|r| (r.text("role_name"), r.text("policy_name")))
        .collect();
    let found_attachments: BTreeSet<(String, String)> = ram_attachments.iter().cloned().collect();
    if found_attachments.len() != ram_attachments.len() {
        c.differences.push("duplicate attachments in RAM".into());
    }
    for extra in found_attachments.difference(&expected_attachments) {
        c.orphans += 1;
        c.differences
            .push(format!("attachment {extra:?} in RAM but not in state"));
    }
    for missing in expected_attachments.difference(&found_attachments) {
        c.differences
            .push(format!("attachment {missing:?} in state but not in RAM"));
    }
    for role in tf_roles {
        c.differences.extend(compare_one(ram, role));
    }
    c
}

fn duplicates(what: &str, names: &[String]) -> Vec<String> {
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_default() += 1;
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, n)| format!("{what} {name} appears {n} times"))
        .collect()
}

fn compare_one(ram: &Value, role: &TfRole) -> Vec<String> {
    let name = role.text("role_name");
    let mut diffs = Vec::new();
    if role.tainted {
        diffs.push(format!("{name} is tainted in Terraform's state"));
    }
    let find = |list: &str, key: &str, wanted: &str| {
        ram[list]
            .as_array()
            .and_then(|items| items.iter().find(|i| i[key] == wanted).cloned())
    };
    let Some(ram_role) = find("roles", "RoleName", &name) else {
        return vec![format!("{name} is in Terraform's state but not in RAM")];
    };
    for (tf_key, ram_key) in [
        ("role_id", "RoleId"),
        ("arn", "Arn"),
        ("create_date", "CreateDate"),
        ("description", "Description"),
        ("max_session_duration", "MaxSessionDuration"),
    ] {
        if role.values[tf_key] != ram_role[ram_key] {
            diffs.push(format!(
                "{name}: {tf_key} is {} in state, {} in RAM",
                role.values[tf_key], ram_role[ram_key]
            ));
        }
    }
    let trust = ram_role["AssumeRolePolicyDocument"]
        .as_str()
        .unwrap_or_default();
    if !policy::documents_equivalent(trust, &role.text("assume_role_policy_document")) {
        diffs.push(format!("{name}: trust policy differs"));
    }
    let policy_name = role.text("policy_name");
    let Some(ram_policy) = find("policies", "PolicyName", &policy_name) else {
        diffs.push(format!("{name}: policy {policy_name} not in RAM"));
        return diffs;
    };
    if role.values["policy_version"] != ram_policy["DefaultVersion"] {
        diffs.push(format!(
            "{name}: policy_version {} in state, {} in RAM",
            role.values["policy_version"], ram_policy["DefaultVersion"]
        ));
    }
    let document = default_document(&ram_policy).unwrap_or_default();
    if !policy::documents_equivalent(document, &role.text("policy_document")) {
        diffs.push(format!("{name}: policy document differs from state"));
    }
    let buckets: BTreeSet<String> = role.values["bucket_names"]
        .as_array()
        .map(|b| {
            b.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if !policy::documents_equivalent(document, &policy::render_policy(&buckets)) {
        diffs.push(format!(
            "{name}: RAM's policy is not the one for {buckets:?}"
        ));
    }
    diffs
}

/// Asserts RAM and Terraform's state agree exactly and every declared role exists; returns the
/// comparison (lost and orphan counts) for the reliability table.
#[track_caller]
pub fn assert_converged(ram: &Value, tf: &TfDir, declared: &BTreeSet<String>) -> Comparison {
    let roles = terraform_roles(tf);
    let comparison = compare(ram, &roles, declared);
    assert!(
        comparison.differences.is_empty(),
        "RAM and Terraform's state differ:\n  {}\nRAM: {ram}",
        comparison.differences.join("\n  ")
    );
    assert_eq!(
        roles.len(),
        declared.len(),
        "Terraform's state holds {} roles, {} declared",
        roles.len(),
        declared.len()
    );
    comparison
}

/// Whether RAM holds no role, policy or attachment.
pub fn ram_is_empty(ram: &Value) -> bool {
    ["roles", "policies", "attachments"]
        .iter()
        .all(|key| ram[key].as_array().is_none_or(|a| a.is_empty()))
}

/// One line of the reliability table, printed so `cargo test -- --nocapture` shows it.
pub fn report(fault: &str, runs: usize, comparison: &Comparison) {
    println!(
        "reliability | {fault} | {runs} | lost {} | orphans {}",
        comparison.lost, comparison.orphans
    );
}

/// The `alicr-emulator` binary cargo built beside the provider (`cargo test --workspace`).
pub fn emulator_binary() -> PathBuf {
    let path = provider_binary()
        .parent()
        .expect("provider binary has a directory")
        .join("alicr-emulator");
    assert!(
        path.is_file(),
        "{} is missing: build it with `cargo build -p alicr-emulator` (make test does)",
        path.display()
    );
    path
}

/// A loopback port that was free a moment ago (for an emulator that must come back on it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The emulator as its own process, listening on a fixed loopback port with a state file.
pub struct EmulatorProcess {
    child: Child,
    pub port: u16,
}

impl EmulatorProcess {
    /// Starts `alicr-emulator --listen 127.0.0.1:<port> --state-file <state> <extra>` and waits
    /// for its "listening" line.
    pub fn start(port: u16, state: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(emulator_binary())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state-file")
            .arg(state)
            .args(extra)
            .env("ALICR_EMULATOR_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start alicr-emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the emulator's first line");
        assert!(
            line.contains(&format!("listening on http://127.0.0.1:{port}")),
            "unexpected first line from alicr-emulator: {line:?}"
        );
        EmulatorProcess { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `GET /_emulator/state` (a plain HTTP/1.1 exchange; the admin API needs no signature).
    pub fn state(&self) -> Option<Value> {
        admin_get(self.port, "/_emulator/state")
    }

    /// SIGKILL: no draining, no goodbye; only what the state file holds survives.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A blocking `GET` on the emulator's admin API; `None` when it cannot be reached or parsed.
pub fn admin_get(port: u16, path: &str) -> Option<Value> {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (_, body) = response.split_once("\r\n\r\n")?;
    serde_json::from_str(body).ok()
}
