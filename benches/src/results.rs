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
            LifecycleOp::Destroy => "terraform destroy -refresh=false",
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
    /// `(median(t_L) − median(t_0)) / L`: the operation's sequential round trips to RAM.
    pub fn round_trips(&self, op: LifecycleOp) -> Option<f64> {
        let loaded = self.at_latency[op.index()].median()?;
        let unloaded = self.at_zero[op.index()].median()?;
        (self.latency_ms > 0).then(|| (loaded - unloaded) * 1000.0 / self.latency_ms as f64)
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
}
