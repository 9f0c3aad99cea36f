//! Side by side with the fair anchor (ARCHITECTURE.md's budgets): N instances of our
//! `alicr_custom_oss_role` against the RAM emulator, and N of the Workato provider's
//! `workato_folder` (terraform-plugin-framework) against the fake folder API over HTTPS, through
//! the same Terraform, alternating; and the many-accounts scenario, M provider configurations
//! (aliases) with one resource each, where Terraform starts one provider process per
//! configuration. After every command both APIs must hold exactly what they should.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::emulator::{self, AccountView, CallCounts, Emulator};
use crate::fake_workato::{self, FakeWorkato, Folder, HOME_FOLDER_ID};
use crate::plan::Plan;
use crate::procstat::{Peak, SECONDS_PER_TICK};
use crate::progress;
use crate::results::{
    AccountsResult, AccountsSide, CompareOp, CompareResult, CompareSide, ScaleOp,
};
use crate::terraform::{Run, Terraform};
use crate::workato;

/// Which provider a configuration uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Ours,
    Theirs,
}

impl Side {
    fn index(self) -> usize {
        self as usize
    }
}

/// The measurements against one Terraform set-up, the emulator and (when the Workato provider
/// could be had) the fake.
pub struct Compare<'a> {
    pub tf: &'a Terraform,
    pub emulator: &'a Emulator,
    pub fake: Option<&'a FakeWorkato>,
    pub root: &'a Path,
    pub plan: &'a Plan,
}

/// What one configuration must leave behind: N instances, or none.
#[derive(Debug, Clone, Copy)]
struct Expect {
    size: usize,
    /// Whether the resources exist (after apply and the plans) or not (after destroy).
    present: bool,
}

impl Compare<'_> {
    fn fake(&self) -> anyhow::Result<&FakeWorkato> {
        self.fake
            .context("the Workato fake is not running (the comparison was not set up)")
    }

    /// Apply, `plan -refresh=false`, plan and destroy of `size` instances, ours and theirs
    /// alternating which goes first, `compare_reps` times.
    pub fn side_by_side(&self, size: usize) -> anyhow::Result<CompareResult> {
        let fake = self.fake()?;
        let dirs = [
            self.tf.work_dir(
                self.root.join(format!("compare-{size}-ours")),
                &ours_config(self.emulator.endpoint(), size, 1),
            )?,
            self.tf.work_dir(
                self.root.join(format!("compare-{size}-theirs")),
                &theirs_config(fake.base_url(), size, 1),
            )?,
        ];
        self.emulator.admin().reset()?;
        fake.admin().reset()?;
        let mut result = CompareResult {
            size,
            ..Default::default()
        };
        for side in &mut result.sides {
            side.calls_consistent = true;
        }
        for rep in 0..self.plan.compare_reps {
            progress::step(&format!(
                "framework comparison N={size}: repetition {}/{}",
                rep + 1,
                self.plan.compare_reps
            ));
            for op in CompareOp::ALL {
                for side in order(rep) {
                    let dir = &dirs[side.index()];
                    let (run, api_ticks, calls) = self.timed(side, dir, op.args(), false)?;
                    self.check(
                        side,
                        Expect {
                            size,
                            present: op != CompareOp::Destroy,
                        },
                        1,
                        &format!("after {} (N={size})", op.name()),
                    )?;
                    let slot = &mut result.sides[side.index()];
                    record(slot, op.index(), &run, api_ticks, calls, rep);
                    if op == CompareOp::Apply && rep == 0 {
                        slot.state_bytes = state_bytes(dir)?;
                    }
                }
            }
        }
        Ok(result)
    }

    /// Apply, plan and destroy of M configurations with one resource each, `accounts_reps`
    /// times; theirs only when the fake is running.
    pub fn many_accounts(&self) -> anyhow::Result<AccountsResult> {
        let accounts = self.plan.accounts;
        let mut sides = vec![Side::Ours];
        let mut dirs = vec![self.tf.work_dir(
            self.root.join(format!("accounts-{accounts}-ours")),
            &ours_config(self.emulator.endpoint(), 1, accounts),
        )?];
        if let Some(fake) = self.fake {
            sides.push(Side::Theirs);
            dirs.push(self.tf.work_dir(
                self.root.join(format!("accounts-{accounts}-theirs")),
                &theirs_config(fake.base_url(), 1, accounts),
            )?);
            fake.admin().reset()?;
        }
        self.emulator.admin().reset()?;
        let mut result = AccountsResult {
            accounts,
            ours: AccountsSide::default(),
            theirs: self.fake.map(|_| AccountsSide::default()),
        };
        for rep in 0..self.plan.accounts_reps {
            progress::step(&format!(
                "many accounts M={accounts}: repetition {}/{}",
                rep + 1,
                self.plan.accounts_reps
            ));
            for op in ScaleOp::ALL {
                for side in order(rep) {
                    let Some(at) = sides.iter().position(|s| *s == side) else {
                        continue;
                    };
                    let args = match op {
                        ScaleOp::Apply => CompareOp::Apply.args(),
                        ScaleOp::Plan => CompareOp::Plan.args(),
                        ScaleOp::Destroy => CompareOp::Destroy.args(),
                    };
                    let (run, _, _) = self.timed(side, &dirs[at], args, true)?;
                    self.check(
                        side,
                        Expect {
                            size: 1,
                            present: op != ScaleOp::Destroy,
                        },
                        accounts,
                        &format!("after {} (M={accounts})", op.name()),
                    )?;
                    let slot = match side {
                        Side::Ours => &mut result.ours,
                        Side::Theirs => result.theirs.get_or_insert_with(Default::default),
                    };
                    let i = op.index();
                    slot.wall[i].push_duration(run.elapsed);
                    slot.whole_cpu[i].push(run.cpu_ticks as f64 * SECONDS_PER_TICK);
                    slot.provider_cpu[i].push(run.provider.cpu_seconds());
                    slot.total_pss_mb[i].push(run.provider.total_pss_megabytes());
                    slot.processes[i] = slot.processes[i].max(run.provider.processes);
                    slot.max_alive[i] = slot.max_alive[i].max(run.provider.max_alive);
                }
            }
        }
        Ok(result)
    }

    /// Runs one command with the side's environment; its run, the API server's CPU ticks and
    /// the API calls it caused.
    fn timed(
        &self,
        side: Side,
        dir: &Path,
        args: &[&str],
        pss: bool,
    ) -> anyhow::Result<(Run, u64, CallCounts)> {
        let what = format!("terraform {} in {}", args.join(" "), dir.display());
        match side {
            Side::Ours => {
                let admin = self.emulator.admin();
                let before = admin.calls()?;
                let cpu_before = self.emulator.cpu_ticks();
                let run = self
                    .tf
                    .run_watched(dir, args, &[], pss)?
                    .expect_code(0, &what)?;
                let ticks = self.emulator.cpu_ticks().saturating_sub(cpu_before);
                Ok((run, ticks, admin.calls()?.since(&before)))
            }
            Side::Theirs => {
                let fake = self.fake()?;
                let before = fake.admin().calls()?;
                let cpu_before = fake.cpu_ticks();
                let ca = fake.ca_file.display().to_string();
                let env = [("SSL_CERT_FILE", ca.as_str())];
                let run = self
                    .tf
                    .run_watched(dir, args, &env, pss)?
                    .expect_code(0, &what)?;
                let ticks = fake.cpu_ticks().saturating_sub(cpu_before);
                let calls = fake.admin().calls()?.since(&before);
                if calls.0.contains_key("rejected") {
                    bail!("{what}: the fake rejected requests: {}", calls.describe());
                }
                Ok((run, ticks, calls))
            }
        }
    }

    /// Both APIs must hold exactly the instances of `copies` configurations of `expect.size`.
    fn check(&self, side: Side, expect: Expect, copies: usize, when: &str) -> anyhow::Result<()> {
        match side {
            Side::Ours => {
                let found = self.emulator.admin().account()?;
                let wanted = expected_account(expect, copies);
                if found != wanted {
                    bail!(
                        "{when}: the emulator holds {} roles, {} policies and {} attachments, \
                         not the {} of each expected (or other names)",
                        found.roles.len(),
                        found.policies.len(),
                        found.attachments.len(),
                        wanted.roles.len()
                    );
                }
            }
            Side::Theirs => {
                let found = self.fake()?.admin().folders()?;
                let wanted = expected_folders(expect, copies);
                check_folders(&found, &wanted).with_context(|| when.to_string())?;
            }
        }
        Ok(())
    }
}

/// Rep 0: ours first; rep 1: theirs first; and so on.
fn order(rep: usize) -> [Side; 2] {
    if rep % 2 == 0 {
        [Side::Ours, Side::Theirs]
    } else {
        [Side::Theirs, Side::Ours]
    }
}

fn record(
    slot: &mut CompareSide,
    i: usize,
    run: &Run,
    api_ticks: u64,
    calls: CallCounts,
    rep: usize,
) {
    slot.wall[i].push_duration(run.elapsed);
    slot.whole_cpu[i].push(run.cpu_ticks as f64 * SECONDS_PER_TICK);
    slot.provider_cpu[i].push(run.provider.cpu_seconds());
    slot.api_cpu[i].push(api_ticks as f64 * SECONDS_PER_TICK);
    let peak = &mut slot.peak[i];
    *peak = Peak {
        max_hwm_kib: peak.max_hwm_kib.max(run.provider.max_hwm_kib),
        processes: peak.processes.max(run.provider.processes),
        ..*peak
    };
    if rep == 0 {
        slot.calls[i] = calls;
    } else if slot.calls[i] != calls {
        slot.calls_consistent = false;
    }
}

/// Bytes of `terraform.tfstate` in `dir`.
fn state_bytes(dir: &Path) -> anyhow::Result<u64> {
    let path: PathBuf = dir.join("terraform.tfstate");
    Ok(std::fs::metadata(&path)
        .with_context(|| format!("reading {}", path.display()))?
        .len())
}

/// Instance `i` of configuration `c`'s names: `bench-cmp-c-i` (c = 0 when there is one).
fn instance_name(kind: &str, copy: usize, index: usize) -> String {
    format!("bench-cmp-{kind}-{copy}-{index}")
}

fn expected_account(expect: Expect, copies: usize) -> AccountView {
    let mut view = AccountView::default();
    if !expect.present {
        return view;
    }
    for copy in 0..copies {
        for index in 0..expect.size {
            let role = instance_name("role", copy, index);
            let policy = instance_name("policy", copy, index);
            view.roles.insert(role.clone());
            view.policies.insert(policy.clone());
            view.attachments.insert((role, policy));
        }
    }
    view
}

fn expected_folders(expect: Expect, copies: usize) -> BTreeSet<String> {
    if !expect.present {
        return BTreeSet::new();
    }
    (0..copies)
        .flat_map(|copy| (0..expect.size).map(move |index| instance_name("folder", copy, index)))
        .collect()
}

/// The fake must hold exactly the wanted names, each once, all in the home folder.
fn check_folders(found: &[Folder], wanted: &BTreeSet<String>) -> anyhow::Result<()> {
    let names: BTreeSet<String> = found.iter().map(|f| f.name.clone()).collect();
    if names.len() != found.len() {
        bail!("the Workato fake holds duplicate folders");
    }
    if let Some(stray) = found.iter().find(|f| f.parent_id != HOME_FOLDER_ID) {
        bail!("the Workato fake holds {stray:?} outside the home folder");
    }
    if &names != wanted {
        bail!(
            "the Workato fake holds {} folders, expected {} ({} missing, {} unexpected)",
            names.len(),
            wanted.len(),
            wanted.difference(&names).count(),
            names.difference(wanted).count()
        );
    }
    Ok(())
}

/// Our configuration: `copies` provider configurations (aliases `a0`, `a1`, … when more than
/// one), each with `size` roles.
pub fn ours_config(endpoint: &str, size: usize, copies: usize) -> String {
    let mut text =
        "terraform {\n  required_providers {\n    alicr = { source = \"alicr/alicr\" }\n  }\n}\n"
            .to_string();
    for copy in 0..copies {
        let (alias, reference) = alias(copies, copy, "alicr");
        text.push_str(&format!(
            r#"
provider "alicr" {{{alias}
  access_key = "{key}"
  secret_key = "{secret}"
  endpoints {{
    ram = "{endpoint}"
    sts = "{endpoint}"
  }}
}}

resource "alicr_custom_oss_role" "bench{copy}" {{{reference}
  count        = {size}
  role_name    = "bench-cmp-role-{copy}-${{count.index}}"
  policy_name  = "bench-cmp-policy-{copy}-${{count.index}}"
  bucket_names = ["bench-cmp-bucket-{copy}-${{count.index}}"]
}}
"#,
            key = emulator::ACCESS_KEY_ID,
            secret = emulator::ACCESS_KEY_SECRET,
        ));
    }
    text
}

/// The Workato provider's configuration, the same shape with `workato_folder`.
pub fn theirs_config(base_url: &str, size: usize, copies: usize) -> String {
    let mut text = format!(
        "terraform {{\n  required_providers {{\n    workato = {{\n      source  = \"{}\"\n      version = \"{}\"\n    }}\n  }}\n}}\n",
        workato::SOURCE,
        workato::VERSION
    );
    for copy in 0..copies {
        let (alias, reference) = alias(copies, copy, "workato");
        text.push_str(&format!(
            r#"
provider "workato" {{{alias}
  base_url = "{base_url}"
  api_key  = "{token}"
}}

resource "workato_folder" "bench{copy}" {{{reference}
  count     = {size}
  name      = "bench-cmp-folder-{copy}-${{count.index}}"
  folder_id = {HOME_FOLDER_ID}
}}
"#,
            token = fake_workato::API_TOKEN,
        ));
    }
    text
}

/// The alias line of provider configuration `copy` and the resource's `provider =` line, both
/// empty when there is only one configuration.
fn alias(copies: usize, copy: usize, name: &str) -> (String, String) {
    if copies == 1 {
        (String::new(), String::new())
    } else {
        (
            format!("\n  alias      = \"a{copy}\""),
            format!("\n  provider     = {name}.a{copy}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_name_every_instance_and_account_apart() {
        let one = ours_config("http://127.0.0.1:1", 3, 1);
        assert!(!one.contains("alias"));
        assert!(one.contains("role_name    = \"bench-cmp-role-0-${count.index}\""));
        assert!(one.contains("count        = 3"));
        let many = ours_config("http://127.0.0.1:1", 1, 3);
        assert_eq!(many.matches("provider \"alicr\" {").count(), 3);
        assert!(many.contains("alias      = \"a2\""));
        assert!(many.contains("provider     = alicr.a2"));
        let theirs = theirs_config("https://127.0.0.1:2", 1, 2);
        assert!(theirs.contains("source  = \"local/workato\""));
        assert!(theirs.contains("version = \"0.16.0\""));
        assert!(theirs.contains("base_url = \"https://127.0.0.1:2\""));
        assert!(theirs.contains("provider     = workato.a1"));
        assert!(theirs.contains("name      = \"bench-cmp-folder-1-${count.index}\""));
        assert!(theirs.contains("folder_id = 1\n"));
    }

    #[test]
    fn expected_state_matches_the_configurations_names() {
        let present = Expect {
            size: 2,
            present: true,
        };
        let view = expected_account(present, 2);
        assert_eq!(view.roles.len(), 4);
        assert!(view.attachments.contains(&(
            "bench-cmp-role-1-1".to_string(),
            "bench-cmp-policy-1-1".to_string()
        )));
        let folders = expected_folders(present, 1);
        assert_eq!(
            folders,
            BTreeSet::from(["bench-cmp-folder-0-0".into(), "bench-cmp-folder-0-1".into()])
        );
        let gone = Expect {
            size: 2,
            present: false,
        };
        assert!(expected_folders(gone, 3).is_empty());
        assert_eq!(expected_account(gone, 3), AccountView::default());
    }

    #[test]
    fn folder_checks_catch_missing_duplicate_and_stray_folders() {
        let folder = |id, name: &str, parent_id| Folder {
            id,
            name: name.into(),
            parent_id,
        };
        let wanted = BTreeSet::from(["a".to_string(), "b".to_string()]);
        let good = [folder(1001, "a", 1), folder(1002, "b", 1)];
        check_folders(&good, &wanted).unwrap();
        assert!(check_folders(&good[..1], &wanted).is_err());
        let dup = [
            folder(1001, "a", 1),
            folder(1002, "b", 1),
            folder(1003, "b", 1),
        ];
        assert!(check_folders(&dup, &wanted).is_err());
        let stray = [folder(1001, "a", 1), folder(1002, "b", 1001)];
        assert!(check_folders(&stray, &wanted).is_err());
        assert!(check_folders(&[], &BTreeSet::new()).is_ok());
    }
}
