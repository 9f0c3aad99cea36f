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

    pub fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.path().join(name), contents).expect("write terraform file");
    }

    /// Runs `terraform <args>` in this directory.
    pub fn run(&self, args: &[&str]) -> TfOutput {
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
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        let output = command.output().expect("run terraform");
        TfOutput::from(output)
    }
}

/// What a command printed, with both streams as text.
pub struct TfOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for TfOutput {
    fn from(output: Output) -> Self {
        TfOutput {
            success: output.status.success(),
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
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
  access_key = "EMULATORACCESSKEYID"
  secret_key = "emulator-secret"
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}
"#
    )
}
