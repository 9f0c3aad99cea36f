//! What a run measured, as plain data: the operations it timed and their samples, call counts,
//! memory peaks and timelines. Produced by `scenarios`, turned into BENCHMARKS.md by `report`.

use std::time::Duration;

use crate::emulator::CallCounts;
use crate::machine::Machine;
use crate::plan::Plan;
use crate::procstat::Peak;
use crate::stats::Samples;
use crate::trace::Timeline;

/// The three commands timed at scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleOp {
    Apply,
    Plan,
    Destroy,
}

impl ScaleOp {
    pub const ALL: [ScaleOp; 3] = [ScaleOp::Apply, ScaleOp::Plan, ScaleOp::Destroy];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            ScaleOp::Apply => "apply",
            ScaleOp::Plan => "plan (with refresh)",
            ScaleOp::Destroy => "destroy",
        }
    }
}

/// The four single-resource operations whose critical path is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LifecycleOp {
    Create,
    Refresh,
    UpdateBuckets,
    Destroy,
}

impl LifecycleOp {
    pub const ALL: [LifecycleOp; 4] = [
        LifecycleOp::Create,
        LifecycleOp::Refresh,
        LifecycleOp::UpdateBuckets,
        LifecycleOp::Destroy,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            LifecycleOp::Create => "create",
            LifecycleOp::Refresh => "refresh",
            LifecycleOp::UpdateBuckets => "update of buckets",
            LifecycleOp::Destroy => "destroy",
        }
    }

    /// The command that performs just this operation (see the report's method section).
    pub fn command(self) -> &'static str {
        match self {
            LifecycleOp::Create => "terraform apply",
            LifecycleOp::Refresh => "terraform plan (no changes)",
            LifecycleOp::UpdateBuckets => "terraform apply -refresh=false (bucket swapped)",
            LifecycleOp::Destroy => "terraform destroy, its refresh subtracted",
        }
    }
}

/// Wall times of apply, plan and destroy (indexed by [`ScaleOp::index`]).
#[derive(Debug, Clone, Default)]
pub struct ScaleTimes(pub [Samples; 3]);

impl ScaleTimes {
    pub fn get(&self, op: ScaleOp) -> &Samples {
        &self.0[op.index()]
    }

    pub fn get_mut(&mut self, op: ScaleOp) -> &mut Samples {
        &mut self.0[op.index()]
    }
}

/// CPU seconds of one command, by process: Terraform itself, the provider processes it
/// started, and the emulator.
#[derive(Debug, Clone, Default)]
pub struct CpuTimes {
    pub terraform: Samples,
    pub provider: Samples,
    pub emulator: Samples,
}

/// One size of the scale comparison.
#[derive(Debug, Clone, Default)]
pub struct ScaleResult {
    pub size: usize,
    pub alicr: ScaleTimes,
    pub data: ScaleTimes,
    /// CPU seconds of each command (indexed by [`ScaleOp::index`]), ours and `terraform_data`'s.
    pub alicr_cpu: [CpuTimes; 3],
    pub data_cpu: [CpuTimes; 3],
    /// RAM calls of each command for `alicr_custom_oss_role` (the same in every repetition,
    /// else `calls_consistent` is false).
    pub calls: [CallCounts; 3],
    pub calls_consistent: bool,
    /// Peak memory of the provider processes of each command, over all repetitions.
    pub memory: [Peak; 3],
}

/// The four commands of the side-by-side comparison with the framework provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Apply,
    PlanNoRefresh,
    Plan,
    Destroy,
}

impl CompareOp {
    pub const ALL: [CompareOp; 4] = [
        CompareOp::Apply,
        CompareOp::PlanNoRefresh,
        CompareOp::Plan,
        CompareOp::Destroy,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            CompareOp::Apply => "apply",
            CompareOp::PlanNoRefresh => "plan -refresh=false",
            CompareOp::Plan => "plan (with refresh)",
            CompareOp::Destroy => "destroy",
        }
    }

    /// Its arguments; both plans must find no changes (`-detailed-exitcode` 0).
    pub fn args(self) -> &'static [&'static str] {
        match self {
            CompareOp::Apply => &["apply", "-auto-approve", "-input=false", "-no-color"],
            CompareOp::PlanNoRefresh => &[
                "plan",
                "-refresh=false",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
            ],
            CompareOp::Plan => &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            CompareOp::Destroy => &["destroy", "-auto-approve", "-input=false", "-no-color"],
        }
    }
}

/// One provider's figures at one size (indexed by [`CompareOp::index`]).
#[derive(Debug, Clone, Default)]
pub struct CompareSide {
    pub wall: [Samples; 4],
    /// CPU seconds of the whole command: Terraform and the provider processes it started.
    pub whole_cpu: [Samples; 4],
    /// CPU seconds of the provider processes alone.
    pub provider_cpu: [Samples; 4],
    /// CPU seconds of the API server (the RAM emulator, or the Workato fake).
    pub api_cpu: [Samples; 4],
    /// The largest provider VmHWM of each command, over all repetitions.
    pub peak: [Peak; 4],
    /// API calls of each command (first repetition; `calls_consistent` says if they repeated).
    pub calls: [CallCounts; 4],
    pub calls_consistent: bool,
    /// `terraform.tfstate` after the first apply, in bytes.
    pub state_bytes: u64,
}

impl CompareSide {
    /// The largest VmHWM of any provider process of any command.
    pub fn max_hwm_kib(&self) -> u64 {
        self.peak.iter().map(|p| p.max_hwm_kib).max().unwrap_or(0)
    }
}

/// One size of the comparison: `sides[0]` ours, `sides[1]` theirs.
#[derive(Debug, Clone, Default)]
pub struct CompareResult {
    pub size: usize,
    pub sides: [CompareSide; 2],
}

/// One provider in the many-accounts scenario (indexed by [`ScaleOp::index`]).
#[derive(Debug, Clone, Default)]
pub struct AccountsSide {
    pub wall: [Samples; 3],
    pub whole_cpu: [Samples; 3],
    pub provider_cpu: [Samples; 3],
    /// The providers' total proportional set size at its peak, per command, in MB.
    pub total_pss_mb: [Samples; 3],
    /// Provider processes started per command, and the most alive at once.
    pub processes: [usize; 3],
    pub max_alive: [usize; 3],
}

impl AccountsSide {
    /// The largest median total Pss over the three commands, in MB.
    pub fn peak_total_pss_mb(&self) -> Option<f64> {
        self.total_pss_mb
            .iter()
            .filter_map(Samples::median)
            .max_by(f64::total_cmp)
    }
}

/// The many-accounts scenario.
#[derive(Debug, Clone, Default)]
pub struct AccountsResult {
    pub accounts: usize,
    pub ours: AccountsSide,
    /// `None` when the framework provider could not be had.
    pub theirs: Option<AccountsSide>,
}

/// The framework provider's own figures, and whether the comparison ran.
#[derive(Debug, Clone)]
pub struct Anchor {
    /// Why it did not run, or `None` when it did.
    pub not_run: Option<String>,
    /// Exec to handshake line.
    pub handshake: Samples,
    /// Its binary as shipped, in bytes.
    pub binary_bytes: u64,
    pub sizes: Vec<CompareResult>,
}

/// The critical-path measurement at N = 1.
#[derive(Debug, Clone, Default)]
pub struct LatencyResult {
    pub latency_ms: u64,
    /// Wall times with no emulator latency (indexed by [`LifecycleOp::index`]).
    pub at_zero: [Samples; 4],
    /// Wall times with latency L.
    pub at_latency: [Samples; 4],
    /// RAM calls of each operation (the same in every cycle, else `calls_consistent` is false).
    pub calls: [CallCounts; 4],
    pub calls_consistent: bool,
    /// The calls of one traced cycle at latency L, grouped into rounds.
    pub timelines: [Timeline; 4],
}

impl LatencyResult {
    /// The operation's sequential round trips to RAM: `(median(t_L) − median(t_0)) / L` of its
    /// command, less the refresh's for a destroy (the provider trusts only the attachments its
    /// own command's refresh saw, so destroy is measured after one).
    pub fn round_trips(&self, op: LifecycleOp) -> Option<f64> {
        let trips = self.command_round_trips(op)?;
        match op {
            LifecycleOp::Destroy => Some(trips - self.command_round_trips(LifecycleOp::Refresh)?),
            _ => Some(trips),
        }
    }

    fn command_round_trips(&self, op: LifecycleOp) -> Option<f64> {
        let loaded = self.at_latency[op.index()].median()?;
        let unloaded = self.at_zero[op.index()].median()?;
        (self.latency_ms > 0).then(|| (loaded - unloaded) * 1000.0 / self.latency_ms as f64)
    }

    /// The operation's own RAM calls: for a destroy, its command's less the refresh's.
    pub fn own_calls(&self, op: LifecycleOp) -> CallCounts {
        let calls = &self.calls[op.index()];
        match op {
            LifecycleOp::Destroy => calls.since(&self.calls[LifecycleOp::Refresh.index()]),
            _ => calls.clone(),
        }
    }
}

/// The provider binary's size.
#[derive(Debug, Clone)]
pub struct BinarySize {
    pub bytes: u64,
    /// How it was measured ("after strip --strip-all", or why not).
    pub how: String,
}

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Results {
    pub plan: Plan,
    pub machine: Machine,
    pub provider_version: String,
    pub platform: String,
    /// `2026-01-02 03:04 UTC`
    pub date: String,
    pub run_time: Duration,
    /// The 1-minute load average when the run ended.
    pub load_at_end: String,
    pub handshake: Samples,
    pub spawn_floor: Samples,
    pub binary: BinarySize,
    pub scale: Vec<ScaleResult>,
    pub latency: LatencyResult,
    /// Side by side with the framework provider.
    pub anchor: Anchor,
    pub accounts: AccountsResult,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_subtract_the_constant_and_divide_by_l() {
        let mut result = LatencyResult {
            latency_ms: 100,
            ..Default::default()
        };
        result.at_zero[LifecycleOp::Create.index()].push(0.5);
        result.at_latency[LifecycleOp::Create.index()].push(0.7);
        let trips = result.round_trips(LifecycleOp::Create).unwrap();
        assert!((trips - 2.0).abs() < 1e-9, "{trips}");
        assert_eq!(result.round_trips(LifecycleOp::Destroy), None);
    }

    #[test]
    fn a_destroy_is_counted_without_its_refresh() {
        let mut result = LatencyResult {
            latency_ms: 100,
            ..Default::default()
        };
        result.at_zero[LifecycleOp::Refresh.index()].push(0.4);
        result.at_latency[LifecycleOp::Refresh.index()].push(0.5);
        result.at_zero[LifecycleOp::Destroy.index()].push(0.5);
        result.at_latency[LifecycleOp::Destroy.index()].push(0.8);
        let trips = result.round_trips(LifecycleOp::Destroy).unwrap();
        assert!((trips - 2.0).abs() < 1e-9, "{trips}");

        let counts = |pairs: &[(&str, u64)]| {
            CallCounts(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect())
        };
        result.calls[LifecycleOp::Refresh.index()] =
            counts(&[("GetRole", 1), ("ListPoliciesForRole", 1)]);
        result.calls[LifecycleOp::Destroy.index()] = counts(&[
            ("GetRole", 1),
            ("ListPoliciesForRole", 1),
            ("DetachPolicyFromRole", 1),
            ("DeleteRole", 1),
        ]);
        assert_eq!(
            result.own_calls(LifecycleOp::Destroy),
            counts(&[("DeleteRole", 1), ("DetachPolicyFromRole", 1)])
        );
        assert_eq!(
            result.own_calls(LifecycleOp::Refresh).total(),
            2,
            "other operations keep their command's calls"
        );
    }
}
