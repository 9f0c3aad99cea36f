//! What a run measures and how often: the full benchmark (`make bench`) and the smoke run
//! (`make bench-smoke`, part of `make test`, which only proves the harness works end to end).

/// The sizes, repetitions and latency of one run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub smoke: bool,
    /// Resource counts for the scale comparison with `terraform_data`.
    pub sizes: Vec<usize>,
    /// The size whose ratios are held to the budget (100 in the full run).
    pub budget_size: usize,
    /// The size whose applies are watched for provider memory (200 in the full run).
    pub memory_size: usize,
    /// Apply/plan/destroy cycles per size and kind.
    pub scale_reps: usize,
    /// Emulator latency L for the critical-path measurement.
    pub latency_ms: u64,
    /// Create/refresh/update/destroy cycles at L = 0 and at L each.
    pub latency_reps: usize,
    /// Timed provider starts.
    pub handshake_reps: usize,
    /// Sizes of the side-by-side comparison with the framework provider.
    pub compare_sizes: Vec<usize>,
    /// The size whose ratios are held to the budget (100 in the full run).
    pub compare_budget_size: usize,
    /// Repetitions of each command of the comparison, per provider.
    pub compare_reps: usize,
    /// Provider configurations of the many-accounts scenario.
    pub accounts: usize,
    pub accounts_reps: usize,
}

impl Plan {
    /// The full benchmark: ARCHITECTURE.md's performance budgets at the sizes the issue names.
    pub fn full() -> Plan {
        Plan {
            smoke: false,
            sizes: vec![10, 100, 200],
            budget_size: 100,
            memory_size: 200,
            scale_reps: 7,
            latency_ms: 100,
            latency_reps: 5,
            handshake_reps: 50,
            compare_sizes: vec![10, 100],
            compare_budget_size: 100,
            compare_reps: 5,
            accounts: 50,
            accounts_reps: 3,
        }
    }

    /// A few seconds' worth: every step once, at sizes too small to mean anything.
    pub fn smoke() -> Plan {
        Plan {
            smoke: true,
            sizes: vec![2],
            budget_size: 2,
            memory_size: 2,
            scale_reps: 1,
            latency_ms: 20,
            latency_reps: 1,
            handshake_reps: 5,
            compare_sizes: vec![2],
            compare_budget_size: 2,
            compare_reps: 1,
            accounts: 2,
            accounts_reps: 1,
        }
    }
}
