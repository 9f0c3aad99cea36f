//! The measurements that need Terraform and the emulator: apply/plan/destroy at scale next to
//! `terraform_data`, and the single-resource lifecycle at latency 0 and L (with a traced cycle
//! for the call timelines). Every command's exit code and the emulator's state are checked, so
//! a figure is never taken from a run that did not do its job.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::emulator::{self, CallCounts, Emulator};
use crate::plan::Plan;
use crate::procstat::SECONDS_PER_TICK;
use crate::progress;
use crate::results::{CpuTimes, LatencyResult, LifecycleOp, ScaleOp, ScaleResult};
use crate::terraform::{Run, Terraform};
use crate::trace;

/// What both kinds of configuration hold per instance, so Terraform has the same to plan.
const ROLE_PREFIX: &str = "bench-role";
const POLICY_PREFIX: &str = "bench-policy";
const BUCKET_PREFIX: &str = "bench-images";

/// The lifecycle cycle's two bucket values: create with the first, update to the second.
const FIRST_BUCKET: &str = "bench-images-a";
const SECOND_BUCKET: &str = "bench-images-b";

/// RAM entities one `alicr_custom_oss_role` makes: the role, the policy, the attachment.
const ENTITIES_PER_ROLE: usize = 3;

/// The configurations under test: our resource, or Terraform's built-in `terraform_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Alicr,
    Data,
}

/// Runs the measurements against one Terraform set-up and one emulator.
pub struct Bench<'a> {
    pub tf: &'a Terraform,
    pub emulator: &'a Emulator,
    pub root: &'a Path,
    pub plan: &'a Plan,
}

impl Bench<'_> {
    /// Apply, plan and destroy of `size` instances of each kind, interleaved so both kinds see
    /// the same machine load, `scale_reps` times.
    pub fn scale(&self, size: usize) -> anyhow::Result<ScaleResult> {
        let alicr_dir = self.tf.work_dir(
            self.root.join(format!("scale-{size}-alicr")),
            &alicr_scale_config(self.emulator.endpoint(), size),
        )?;
        let data_dir = self.tf.work_dir(
            self.root.join(format!("scale-{size}-data")),
            &data_scale_config(size),
        )?;
        let admin = self.emulator.admin();
        admin.reset()?;
        let mut result = ScaleResult {
            size,
            calls_consistent: true,
            ..Default::default()
        };
        for rep in 0..self.plan.scale_reps {
            progress::step(&format!(
                "scale N={size}: repetition {}/{}",
                rep + 1,
                self.plan.scale_reps
            ));
            // Alternate which kind goes first, so neither always runs on a warmer machine.
            let kinds = if rep % 2 == 0 {
                [Kind::Alicr, Kind::Data]
            } else {
                [Kind::Data, Kind::Alicr]
            };
            for op in ScaleOp::ALL {
                for kind in kinds {
                    let dir = match kind {
                        Kind::Alicr => &alicr_dir,
                        Kind::Data => &data_dir,
                    };
                    let before = admin.calls()?;
                    let emulator_before = self.emulator.cpu_ticks();
                    let run = self.run_scale_op(dir, op)?;
                    let emulator_ticks = self.emulator.cpu_ticks().saturating_sub(emulator_before);
                    let calls = admin.calls()?.since(&before);
                    let cpu = match kind {
                        Kind::Alicr => {
                            record_calls(
                                &mut result.calls[op.index()],
                                &mut result.calls_consistent,
                                calls,
                                rep,
                            );
                            result.alicr.get_mut(op).push_duration(run.elapsed);
                            let slot = &mut result.memory[op.index()];
                            slot.max_hwm_kib = slot.max_hwm_kib.max(run.provider.max_hwm_kib);
                            slot.processes = slot.processes.max(run.provider.processes);
                            &mut result.alicr_cpu[op.index()]
                        }
                        Kind::Data => {
                            if calls.total() != 0 {
                                bail!("terraform_data made RAM calls: {}", calls.describe());
                            }
                            result.data.get_mut(op).push_duration(run.elapsed);
                            &mut result.data_cpu[op.index()]
                        }
                    };
                    record_cpu(cpu, &run, emulator_ticks);
                    if kind == Kind::Alicr && op == ScaleOp::Apply {
                        expect_entities(admin, size * ENTITIES_PER_ROLE, "after apply")?;
                    }
                }
            }
            expect_entities(admin, 0, "after destroy")?;
        }
        Ok(result)
    }

    fn run_scale_op(&self, dir: &Path, op: ScaleOp) -> anyhow::Result<Run> {
        let (args, expected): (&[&str], i32) = match op {
            ScaleOp::Apply => (&["apply", "-auto-approve", "-input=false", "-no-color"], 0),
            // Exit code 0 of -detailed-exitcode: refreshed, and no changes (no drift).
            ScaleOp::Plan => (
                &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
                0,
            ),
            ScaleOp::Destroy => (
                &["destroy", "-auto-approve", "-input=false", "-no-color"],
                0,
            ),
        };
        self.tf.run(dir, args, &[])?.expect_code(
            expected,
            &format!("terraform {} in {}", op.name(), dir.display()),
        )
    }

    /// The single-resource lifecycle, alternating latency 0 and L, then one traced cycle at L.
    pub fn latency(&self) -> anyhow::Result<LatencyResult> {
        let dir = self.tf.work_dir(
            self.root.join("lifecycle"),
            &lifecycle_config(self.emulator.endpoint()),
        )?;
        let admin = self.emulator.admin();
        admin.reset()?;
        let latency = self.plan.latency_ms;
        let mut result = LatencyResult {
            latency_ms: latency,
            calls_consistent: true,
            ..Default::default()
        };
        for rep in 0..self.plan.latency_reps {
            progress::step(&format!(
                "lifecycle at L=0 and L={latency} ms: repetition {}/{}",
                rep + 1,
                self.plan.latency_reps
            ));
            let order = if rep % 2 == 0 {
                [0, latency]
            } else {
                [latency, 0]
            };
            for l in order {
                admin.set_latency(l)?;
                for (op, run, calls) in self.lifecycle_cycle(&dir, &[])? {
                    let samples = if l == 0 {
                        &mut result.at_zero[op.index()]
                    } else {
                        &mut result.at_latency[op.index()]
                    };
                    samples.push_duration(run.elapsed);
                    let first = rep == 0 && l == order[0];
                    record_calls(
                        &mut result.calls[op.index()],
                        &mut result.calls_consistent,
                        calls,
                        usize::from(!first),
                    );
                }
            }
        }
        progress::step(&format!("lifecycle at L={latency} ms: traced cycle"));
        admin.set_latency(latency)?;
        let traced = self.traced_cycle(&dir);
        admin.set_latency(0)?;
        result.timelines = traced?;
        Ok(result)
    }

    /// Create, refresh, update and destroy once; each command's run and RAM calls.
    fn lifecycle_cycle(
        &self,
        dir: &Path,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Vec<(LifecycleOp, Run, CallCounts)>> {
        let admin = self.emulator.admin();
        let mut out = Vec::with_capacity(LifecycleOp::ALL.len());
        for op in LifecycleOp::ALL {
            let before = admin.calls()?;
            let run = self.run_lifecycle_op(dir, op, extra_env)?;
            out.push((op, run, admin.calls()?.since(&before)));
        }
        expect_entities(admin, 0, "after the lifecycle's destroy")?;
        Ok(out)
    }

    fn run_lifecycle_op(
        &self,
        dir: &Path,
        op: LifecycleOp,
        extra_env: &[(&str, &str)],
    ) -> anyhow::Result<Run> {
        let first = format!("bucket={FIRST_BUCKET}");
        let second = format!("bucket={SECOND_BUCKET}");
        let args: Vec<&str> = match op {
            LifecycleOp::Create => vec!["apply", "-auto-approve", "-input=false", "-var", &first],
            LifecycleOp::Refresh => {
                vec!["plan", "-input=false", "-detailed-exitcode", "-var", &first]
            }
            LifecycleOp::UpdateBuckets => vec![
                "apply",
                "-auto-approve",
                "-input=false",
                "-refresh=false",
                "-var",
                &second,
            ],
            // With its refresh: destroy trusts only the attachments its own command saw.
            LifecycleOp::Destroy => {
                vec!["destroy", "-auto-approve", "-input=false", "-var", &second]
            }
        };
        let mut args = args;
        args.push("-no-color");
        self.tf
            .run(dir, &args, extra_env)?
            .expect_code(0, &format!("lifecycle {}", op.name()))
    }

    /// One cycle with the provider's debug log on, each command's log read into a timeline.
    fn traced_cycle(&self, dir: &Path) -> anyhow::Result<[trace::Timeline; 4]> {
        let mut timelines: [trace::Timeline; 4] = Default::default();
        for op in LifecycleOp::ALL {
            let log = self.root.join(format!("trace-{}.log", op.index()));
            let log_text = log.display().to_string();
            let env = [
                ("TF_LOG_PROVIDER", "debug"),
                ("TF_LOG_PATH", log_text.as_str()),
            ];
            self.run_lifecycle_op(dir, op, &env)?;
            let text = std::fs::read_to_string(&log)
                .with_context(|| format!("reading {}", log.display()))?;
            timelines[op.index()] = trace::timeline(&text);
        }
        expect_entities(self.emulator.admin(), 0, "after the traced destroy")?;
        Ok(timelines)
    }
}

fn record_cpu(cpu: &mut CpuTimes, run: &Run, emulator_ticks: u64) {
    cpu.terraform.push(run.terraform_cpu_seconds());
    cpu.provider.push(run.provider.cpu_seconds());
    cpu.emulator.push(emulator_ticks as f64 * SECONDS_PER_TICK);
}

/// Keeps the first repetition's counts and notes whether later ones differ (they must not:
/// call counts are exact).
fn record_calls(slot: &mut CallCounts, consistent: &mut bool, calls: CallCounts, rep: usize) {
    if rep == 0 {
        *slot = calls;
    } else if *slot != calls {
        *consistent = false;
    }
}

fn expect_entities(admin: &emulator::Admin, expected: usize, when: &str) -> anyhow::Result<()> {
    let found = admin.entity_count()?;
    if found != expected {
        bail!("{when}: the emulator holds {found} roles, policies and attachments, expected {expected}");
    }
    Ok(())
}

/// The provider block every `alicr` configuration uses: the emulator's key and endpoints.
fn provider_block(endpoint: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    alicr = {{ source = "alicr/alicr" }}
  }}
}}

provider "alicr" {{
  access_key = "{key}"
  secret_key = "{secret}"
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}
"#,
        key = emulator::ACCESS_KEY_ID,
        secret = emulator::ACCESS_KEY_SECRET,
    )
}

fn alicr_scale_config(endpoint: &str, size: usize) -> String {
    format!(
        r#"{provider}
resource "alicr_custom_oss_role" "bench" {{
  count        = {size}
  role_name    = "{ROLE_PREFIX}-${{count.index}}"
  policy_name  = "{POLICY_PREFIX}-${{count.index}}"
  bucket_names = ["{BUCKET_PREFIX}-${{count.index}}"]
}}
"#,
        provider = provider_block(endpoint)
    )
}

/// The same instances as `terraform_data`, holding the same values.
fn data_scale_config(size: usize) -> String {
    format!(
        r#"resource "terraform_data" "bench" {{
  count = {size}
  input = {{
    role_name    = "{ROLE_PREFIX}-${{count.index}}"
    policy_name  = "{POLICY_PREFIX}-${{count.index}}"
    bucket_names = ["{BUCKET_PREFIX}-${{count.index}}"]
  }}
}}
"#
    )
}

fn lifecycle_config(endpoint: &str) -> String {
    format!(
        r#"{provider}
variable "bucket" {{
  type = string
}}

resource "alicr_custom_oss_role" "bench" {{
  role_name    = "{ROLE_PREFIX}-lifecycle"
  policy_name  = "{POLICY_PREFIX}-lifecycle"
  bucket_names = [var.bucket]
}}
"#,
        provider = provider_block(endpoint)
    )
}

/// Where a run keeps its working directories: a fresh temporary directory.
pub fn work_root() -> anyhow::Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("alicr-bench-")
        .tempdir()
        .context("creating a temporary directory")
}

/// The provider binary after `strip --strip-all` (a copy), or as built when strip is missing.
pub fn stripped_size(provider: &Path, root: &Path) -> anyhow::Result<crate::results::BinarySize> {
    let copy: PathBuf = root.join("provider-stripped");
    std::fs::copy(provider, &copy).with_context(|| format!("copying {}", provider.display()))?;
    let stripped = std::process::Command::new("strip")
        .arg("--strip-all")
        .arg(&copy)
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    let bytes = std::fs::metadata(&copy)
        .with_context(|| format!("reading {}", copy.display()))?
        .len();
    Ok(crate::results::BinarySize {
        bytes,
        how: if stripped {
            "after `strip --strip-all`".to_string()
        } else {
            "as built (strip(1) is not available)".to_string()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_configurations_name_every_instance_apart() {
        let alicr = alicr_scale_config("http://127.0.0.1:1", 7);
        assert!(alicr.contains("count        = 7"));
        assert!(alicr.contains("role_name    = \"bench-role-${count.index}\""));
        assert!(alicr.contains("policy_name  = \"bench-policy-${count.index}\""));
        assert!(alicr.contains("ram = \"http://127.0.0.1:1\""));
        let data = data_scale_config(7);
        assert!(data.contains("resource \"terraform_data\" \"bench\""));
        assert!(data.contains("bucket_names = [\"bench-images-${count.index}\"]"));
    }

    #[test]
    fn call_counts_must_repeat_exactly() {
        let three = CallCounts([("GetRole".to_string(), 3)].into_iter().collect());
        let four = CallCounts([("GetRole".to_string(), 4)].into_iter().collect());
        let mut slot = CallCounts::default();
        let mut consistent = true;
        record_calls(&mut slot, &mut consistent, three.clone(), 0);
        record_calls(&mut slot, &mut consistent, three.clone(), 1);
        assert!(consistent);
        record_calls(&mut slot, &mut consistent, four, 2);
        assert!(!consistent);
        assert_eq!(slot, three);
    }
}
