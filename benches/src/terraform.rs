//! Terraform as the benchmark drives it: the real CLI with a private CLI configuration whose
//! filesystem mirror holds the built provider (installed by `terraform init`, as a user would),
//! working directories, and timed commands.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};

use crate::procstat::{self, Peak};

/// Environment variables that would change what Terraform does or prints; cleared for every run.
const CLEARED_ENV: [&str; 6] = [
    "TF_LOG",
    "TF_LOG_CORE",
    "TF_LOG_PROVIDER",
    "TF_LOG_PATH",
    "TF_PLUGIN_CACHE_DIR",
    "TF_CLI_ARGS",
];

/// The provider's executable name prefix, as Terraform installs it (`…_vVERSION`).
pub const PROVIDER_EXE_PREFIX: &str = "terraform-provider-alicr";

/// What every provider's executable name starts with: the processes a command's watch counts
/// (a configuration uses one provider, ours or the Workato one, never both).
const ANY_PROVIDER_PREFIX: &str = "terraform-provider-";

/// The Terraform CLI with a CLI configuration that installs the built provider from a mirror.
pub struct Terraform {
    binary: PathBuf,
    cli_config: PathBuf,
    /// `1.11.4`
    pub version: String,
    /// `linux_amd64`
    pub platform: String,
    /// The provider's version as it reports it (`0.1.0`).
    pub provider_version: String,
}

/// One finished Terraform command.
#[derive(Debug)]
pub struct Run {
    pub elapsed: Duration,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// Memory and CPU of the provider processes the command started.
    pub provider: Peak,
    /// CPU time of the command and everything it started and reaped, in clock ticks.
    pub cpu_ticks: u64,
}

impl Run {
    /// Terraform's own CPU time in seconds: the command's total less its providers'.
    pub fn terraform_cpu_seconds(&self) -> f64 {
        (self.cpu_ticks as f64 * procstat::SECONDS_PER_TICK - self.provider.cpu_seconds()).max(0.0)
    }
}

impl Run {
    /// Fails with Terraform's output unless it exited with `expected_code`.
    pub fn expect_code(self, expected_code: i32, what: &str) -> anyhow::Result<Run> {
        if self.status.code() == Some(expected_code) {
            Ok(self)
        } else {
            bail!(
                "{what}: terraform exited with {} (expected {expected_code})\n--- stdout\n{}\n--- stderr\n{}",
                self.status,
                self.stdout,
                self.stderr
            )
        }
    }
}

impl Terraform {
    /// `$TERRAFORM`, else `terraform` on `PATH`, else `/usr/local/bin/terraform`.
    pub fn locate() -> anyhow::Result<PathBuf> {
        let candidate = std::env::var_os("TERRAFORM")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|dir| dir.join("terraform"))
                        .find(|path| path.is_file())
                })
            })
            .unwrap_or_else(|| PathBuf::from("/usr/local/bin/terraform"));
        if candidate.is_file() {
            Ok(candidate)
        } else {
            bail!("the terraform CLI was not found ($TERRAFORM, $PATH, /usr/local/bin/terraform)")
        }
    }

    /// Installs `provider` (and the Workato provider, when given) into a filesystem mirror under
    /// `root` and writes a CLI configuration that takes them from there and nothing from the
    /// network.
    pub fn new(
        binary: PathBuf,
        root: &Path,
        provider: &Path,
        workato: Option<&Path>,
    ) -> anyhow::Result<Terraform> {
        let (version, platform) = terraform_version(&binary)?;
        let provider_version = provider_version(provider)?;
        let mirror = root.join("mirror");
        let package_dir = mirror
            .join("registry.terraform.io/alicr/alicr")
            .join(&provider_version)
            .join(&platform);
        std::fs::create_dir_all(&package_dir)
            .with_context(|| format!("creating {}", package_dir.display()))?;
        let installed = package_dir.join(format!("{PROVIDER_EXE_PREFIX}_v{provider_version}"));
        std::fs::copy(provider, &installed)
            .with_context(|| format!("copying the provider to {}", installed.display()))?;
        if let Some(workato) = workato {
            let dir = mirror
                .join(crate::workato::MIRROR_HOST_PATH)
                .join(crate::workato::VERSION)
                .join(&platform);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let target = dir.join(crate::workato::EXE_NAME);
            // A hard link where the cache and the mirror share a file system, else a copy.
            if std::fs::hard_link(workato, &target).is_err() {
                std::fs::copy(workato, &target).with_context(|| {
                    format!("copying the Workato provider to {}", target.display())
                })?;
            }
        }
        let cli_config = root.join("terraformrc");
        std::fs::write(&cli_config, cli_config_text(&mirror))
            .with_context(|| format!("writing {}", cli_config.display()))?;
        Ok(Terraform {
            binary,
            cli_config,
            version,
            platform,
            provider_version,
        })
    }

    fn command(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_COLOR", "1");
        for name in CLEARED_ENV {
            command.env_remove(name);
        }
        command
    }

    /// Runs `terraform ARGS` in `dir`, timing it from spawn to exit and watching the provider
    /// processes it starts. `extra_env` is added last.
    pub fn run(
        &self,
        dir: &Path,
        args: &[&str],
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Run> {
        self.run_watched(dir, args, extra_env, false)
    }

    /// [`Terraform::run`], also summing the providers' proportional set sizes when `pss`.
    pub fn run_watched(
        &self,
        dir: &Path,
        args: &[&str],
        extra_env: &[(&str, &str)],
        pss: bool,
    ) -> anyhow::Result<Run> {
        let mut command = self.command(dir, args);
        for (name, value) in extra_env {
            command.env(name, value);
        }
        let cpu_before = procstat::waited_children_ticks().unwrap_or(0);
        let started = Instant::now();
        let child = command
            .spawn()
            .with_context(|| format!("starting terraform {}", args.join(" ")))?;
        let watcher = procstat::watch(child.id(), ANY_PROVIDER_PREFIX, pss);
        let output = child
            .wait_with_output()
            .with_context(|| format!("waiting for terraform {}", args.join(" ")))?;
        let elapsed = started.elapsed();
        let cpu_after = procstat::waited_children_ticks().unwrap_or(0);
        Ok(Run {
            elapsed,
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            provider: watcher.finish(),
            cpu_ticks: cpu_after.saturating_sub(cpu_before),
        })
    }

    /// A working directory holding `main_tf`, initialised (not timed).
    pub fn work_dir(&self, path: PathBuf, main_tf: &str) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&path).with_context(|| format!("creating {}", path.display()))?;
        std::fs::write(path.join("main.tf"), main_tf)
            .with_context(|| format!("writing {}/main.tf", path.display()))?;
        self.run(&path, &["init", "-input=false", "-no-color"], &[])?
            .expect_code(0, &format!("terraform init in {}", path.display()))?;
        Ok(path)
    }
}

/// The CLI configuration: `alicr/alicr` and `local/workato` only from the mirror, everything
/// else as usual (the benchmark's configurations need nothing else; `terraform_data` is built
/// in).
fn cli_config_text(mirror: &Path) -> String {
    let mirrored = format!(
        "[\"registry.terraform.io/alicr/alicr\", \"{}\"]",
        crate::workato::MIRROR_HOST_PATH
    );
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = {mirrored}\n  }}\n  direct {{\n    exclude = {mirrored}\n  }}\n}}\n",
        mirror.display()
    )
}

/// `terraform version -json` → (`1.11.4`, `linux_amd64`).
fn terraform_version(binary: &Path) -> anyhow::Result<(String, String)> {
    let output = Command::new(binary)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .with_context(|| format!("running {} version -json", binary.display()))?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)
        .context("terraform version -json printed no JSON")?;
    let field = |name: &str| {
        json[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("terraform version -json has no {name}: {json}"))
    };
    Ok((field("terraform_version")?, field("platform")?))
}

/// `terraform-provider-alicr --version` → `0.1.0`.
fn provider_version(provider: &Path) -> anyhow::Result<String> {
    let output = Command::new(provider)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", provider.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    parse_provider_version(&text).ok_or_else(|| {
        anyhow!(
            "unexpected output from {} --version: {text:?}",
            provider.display()
        )
    })
}

fn parse_provider_version(text: &str) -> Option<String> {
    let version = text.split_whitespace().nth(1)?;
    let looks_like_semver = version.split('.').count() == 3
        && version
            .split('.')
            .all(|part| part.chars().next().is_some_and(|c| c.is_ascii_digit()));
    looks_like_semver.then(|| version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_provider_version_line() {
        assert_eq!(
            parse_provider_version("terraform-provider-alicr 0.1.0\n").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(parse_provider_version("terraform-provider-alicr"), None);
        assert_eq!(parse_provider_version("x dev"), None);
    }

    #[test]
    fn cli_config_limits_the_mirror_to_this_provider() {
        let text = cli_config_text(Path::new("/tmp/m"));
        assert!(text.contains("path    = \"/tmp/m\""));
        assert!(text.contains(
            "exclude = [\"registry.terraform.io/alicr/alicr\", \"registry.terraform.io/local/workato\"]"
        ));
        assert!(text.contains("include = [\"registry.terraform.io/alicr/alicr\", "));
    }
}
