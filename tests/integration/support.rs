//! Shared test fixtures: the built provider, a Terraform working directory wired to it through
//! `dev_overrides`, and small helpers to run commands and read their output.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The provider binary cargo built for this test run.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-alicr"))
}

/// The `terraform` CLI. Tests never skip: a missing CLI fails them with this message.
pub fn terraform_binary() -> PathBuf {
    let candidate = std::env::var_os("TERRAFORM")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("PATH")
                .and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|dir| dir.join("terraform"))
                        .find(|path| path.is_file())
                })
                .unwrap_or_else(|| PathBuf::from("/usr/local/bin/terraform"))
        });
    assert!(
        candidate.is_file(),
        "the terraform CLI was not found (looked at $TERRAFORM, $PATH and /usr/local/bin/terraform); \
         these tests need Terraform >= 1.0 installed and do not skip without it"
    );
    candidate
}

/// A temporary Terraform working directory whose CLI configuration points `alicr/alicr` at the
/// freshly built provider.
pub struct TfDir {
    pub dir: tempfile::TempDir,
    cli_config: PathBuf,
    extra_env: Vec<(String, String)>,
}

impl TfDir {
    pub fn new(main_tf: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let plugin_dir = provider_binary()
            .parent()
            .expect("provider binary has a directory")
            .to_path_buf();
        let cli_config = dir.path().join("terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"alicr/alicr\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                plugin_dir.display()
            ),
        )
        .expect("write CLI config");
        let tf = TfDir {
            dir,
            cli_config,
            extra_env: Vec::new(),
        };
        tf.write("main.tf", main_tf);
        tf
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.path().join(name), contents).expect("write terraform file");
    }

    /// Drops the `dev_overrides` (for tests that install or attach the provider otherwise).
    pub fn without_dev_overrides(self) -> Self {
        std::fs::write(&self.cli_config, "").expect("write CLI config");
        self
    }

    /// Runs `terraform <args>` with extra environment variables.
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> TfOutput {
        let mut command_env = self.extra_env.clone();
        command_env.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self.run_in(args, &command_env)
    }

    /// `terraform apply -auto-approve`, which must succeed.
    #[track_caller]
    pub fn apply(&self) -> TfOutput {
        let out = self.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        out.assert_success();
        out
    }

    /// `terraform plan -detailed-exitcode`, which must find nothing to change.
    #[track_caller]
    pub fn assert_no_changes(&self) {
        let out = self.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
        assert_eq!(out.code, Some(0), "expected no changes:\n{}", out.all());
    }

    /// Runs `terraform <args>` in this directory.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_in(args, &self.extra_env)
    }

    fn run_in(&self, args: &[&str], extra_env: &[(String, String)]) -> TfOutput {
        let mut command = Command::new(terraform_binary());
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_COLOR", "1")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("TF_LOG_PATH");
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let output = command.output().expect("run terraform");
        TfOutput::from(output)
    }
}

/// What a command printed, with both streams as text.
pub struct TfOutput {
    pub success: bool,
    /// The exit code (`plan -detailed-exitcode`: 0 no changes, 2 changes).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for TfOutput {
    fn from(output: Output) -> Self {
        TfOutput {
            success: output.status.success(),
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl TfOutput {
    /// Both streams, for assertions on messages that may land on either.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_success(&self) -> &Self {
        assert!(self.success, "terraform failed:\n{}", self.all());
        self
    }

    #[track_caller]
    pub fn assert_failure(&self) -> &Self {
        assert!(
            !self.success,
            "terraform unexpectedly succeeded:\n{}",
            self.all()
        );
        self
    }
}

/// A provider block with static credentials against a (possibly absent) loopback endpoint.
pub fn provider_block(endpoint: &str) -> String {
    provider_block_with(endpoint, "")
}

/// [`provider_block`] with further provider arguments (`settings`, one per line).
pub fn provider_block_with(endpoint: &str, settings: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
  access_key = "EMULATORACCESSKEYID"
  secret_key = "emulator-secret"
  {settings}
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}
"#
    )
}

/// The RAM emulator, in-process on its own runtime, plus its admin API and a signed client for
/// making changes "outside Terraform".
pub struct Emulator {
    runtime: tokio::runtime::Runtime,
    running: Option<alicr_emulator::Running>,
    http: reqwest::Client,
}

impl Emulator {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("emulator runtime");
        let running = runtime
            .block_on(alicr_emulator::start(alicr_emulator::Config::default()))
            .expect("start the RAM emulator");
        Emulator {
            runtime,
            running: Some(running),
            http: reqwest::Client::new(),
        }
    }

    pub fn endpoint(&self) -> String {
        self.running.as_ref().expect("emulator running").endpoint()
    }

    fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let url = format!("{}{path}", self.endpoint());
        self.runtime.block_on(async {
            let mut request = self.http.request(method, url);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("emulator admin call");
            assert!(
                response.status().is_success(),
                "admin call {path} failed: {}",
                response.status()
            );
            let text = response.text().await.expect("admin body");
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
        })
    }

    /// `GET /_emulator/state`.
    pub fn state(&self) -> serde_json::Value {
        self.admin(reqwest::Method::GET, "/_emulator/state", None)
    }

    /// `GET /_emulator/calls` -> `by_action` counts.
    pub fn calls(&self) -> serde_json::Value {
        self.admin(reqwest::Method::GET, "/_emulator/calls", None)
    }

    /// RAM calls of each action made while `f` ran (STS and admin calls excluded).
    pub fn count_calls<T>(
        &self,
        f: impl FnOnce() -> T,
    ) -> (T, std::collections::BTreeMap<String, u64>) {
        let before = self.calls();
        let result = f();
        let after = self.calls();
        let mut delta = std::collections::BTreeMap::new();
        if let Some(actions) = after["by_action"].as_object() {
            for (action, count) in actions {
                let was = before["by_action"][action].as_u64().unwrap_or(0);
                let now = count.as_u64().unwrap_or(0);
                if now > was {
                    delta.insert(action.clone(), now - was);
                }
            }
        }
        (result, delta)
    }

    /// `POST /_emulator/faults`.
    pub fn faults(&self, faults: serde_json::Value) {
        self.admin(reqwest::Method::POST, "/_emulator/faults", Some(faults));
    }

    /// A signed RAM client with the emulator's key, to change things behind Terraform's back.
    pub fn client(&self) -> terraform_provider_alicr::alicloud::Client {
        use terraform_provider_alicr::alicloud::{
            Client, ClientConfig, Credentials, StaticProvider,
        };
        let _guard = self.runtime.enter();
        let config = ClientConfig {
            ram_endpoint: Some(self.endpoint()),
            sts_endpoint: Some(self.endpoint()),
            ..Default::default()
        };
        let credentials = Credentials::new(
            alicr_emulator::config::DEFAULT_ACCESS_KEY_ID,
            alicr_emulator::config::DEFAULT_ACCESS_KEY_SECRET,
        );
        Client::new(config)
            .expect("client")
            .with_credentials(std::sync::Arc::new(StaticProvider::new(
                credentials,
                "test",
            )))
    }

    /// Runs a future (a client call) on the emulator's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            self.runtime.block_on(running.stop());
        }
    }
}

/// A process's `/proc/PID/stat`: its command name (truncated by the kernel to 15 bytes) and the
/// fields after it, from field 3 (state) on; `None` once the process is gone.
pub struct ProcStat {
    pub name: String,
    /// `fields[0]` is field 3 of proc(5), so field N is `fields[N - 3]`.
    pub fields: Vec<String>,
}

impl ProcStat {
    pub fn read(pid: u32) -> Option<ProcStat> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The name is in parentheses and may itself contain spaces or parentheses.
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        Some(ProcStat {
            name: stat.get(open + 1..close)?.to_string(),
            fields: stat
                .get(close + 1..)?
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
    }

    /// Field N of proc(5), parsed.
    pub fn field<T: std::str::FromStr>(&self, n: usize) -> Option<T> {
        self.fields.get(n.checked_sub(3)?)?.parse().ok()
    }
}
