//! `alicr-bench`: measures terraform-provider-alicr against the performance budgets of DESIGN.md
//! section 6 and writes BENCHMARKS.md (`make bench`), or proves in seconds that it still can
//! (`make bench-smoke`, part of `make test`).
//!
//! # Layout
//! - `plan`: the full and smoke runs' sizes, repetitions and latency.
//! - `handshake`: exec-to-handshake timing with Terraform's AutoMTLS environment.
//! - `emulator`: the built `alicr-emulator` as a child process, and its admin API.
//! - `terraform`: the real CLI with a filesystem mirror holding the built provider.
//! - `scenarios`: scale against `terraform_data`, and the lifecycle at latency 0 and L.
//! - `procstat`: peak RSS and CPU time of the processes of a run, from `/proc`.
//! - `trace`: RAM call timelines from the provider's debug log.
//! - `stats`, `results`, `machine`: medians and spreads, what was measured, and where.
//! - `report`: BENCHMARKS.md and the check that a report is well formed.
//! - `progress`: progress lines on stderr.

mod emulator;
mod handshake;
mod machine;
mod plan;
mod procstat;
mod progress;
mod report;
mod results;
mod scenarios;
mod stats;
mod terraform;
mod trace;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context as _};
use clap::Parser;

use crate::plan::Plan;
use crate::report::Verdict;
use crate::results::Results;

/// Measures terraform-provider-alicr against its performance budgets and writes BENCHMARKS.md.
#[derive(Parser)]
#[command(name = "alicr-bench", version, about)]
struct Args {
    /// Tiny sizes, one repetition each: proves the harness works (timings mean nothing).
    #[arg(long)]
    smoke: bool,
    /// Where to write the report.
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
    /// The directory holding the built `terraform-provider-alicr` and `alicr-emulator`
    /// (default: this program's own directory, i.e. the same cargo profile).
    #[arg(long)]
    bin_dir: Option<PathBuf>,
    /// Scale sizes to run instead of the plan's (for investigating one size; the budget and
    /// memory rows need the plan's sizes among them).
    #[arg(long, value_delimiter = ',')]
    sizes: Option<Vec<usize>>,
    /// Repetitions of each scale size instead of the plan's.
    #[arg(long)]
    reps: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("alicr-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    progress::start();
    let mut plan = if args.smoke {
        Plan::smoke()
    } else {
        Plan::full()
    };
    if let Some(sizes) = &args.sizes {
        plan.sizes.clone_from(sizes);
    }
    if let Some(reps) = args.reps {
        plan.scale_reps = reps.max(1);
    }
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => own_dir()?,
    };
    let provider = built_binary(&bin_dir, "terraform-provider-alicr")?;
    let emulator_binary = built_binary(&bin_dir, "alicr-emulator")?;
    let results = measure(plan, &provider, &emulator_binary)?;

    let markdown = report::render(&results);
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&args.out, &markdown)
        .with_context(|| format!("writing {}", args.out.display()))?;
    let rows = report::budget_rows(&results);
    let written = std::fs::read_to_string(&args.out)
        .with_context(|| format!("reading back {}", args.out.display()))?;
    report::check_well_formed(&written, rows.len())
        .with_context(|| format!("{} is not well formed", args.out.display()))?;
    progress::step(&format!("wrote {}", args.out.display()));
    Ok(exit_code(&results, &rows))
}

/// Success unless a smoke run's exact figures (call counts, binary size) miss their budgets.
/// Timings never fail a run: they are the report's business, not a test's.
fn exit_code(results: &Results, rows: &[report::Row]) -> ExitCode {
    let mut failed = false;
    for row in rows {
        let mark = match row.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "MISS",
            Verdict::Info => "info",
        };
        println!(
            "{mark:>4}  {}: {} (budget {})",
            row.measure, row.result, row.budget
        );
        failed |= results.plan.smoke && row.exact && row.verdict == Verdict::Fail;
    }
    if failed {
        eprintln!("alicr-bench: exact figures missed their budgets (see above)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn measure(plan: Plan, provider: &Path, emulator_binary: &Path) -> anyhow::Result<Results> {
    let started = std::time::Instant::now();
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .context("formatting the date")?;
    let root = scenarios::work_root()?;
    let tf = terraform::Terraform::new(terraform::Terraform::locate()?, root.path(), provider)?;
    let machine = machine::Machine::detect(&tf.version);
    progress::step(&format!(
        "terraform {} ({}), provider {}, {} run",
        tf.version,
        tf.platform,
        tf.provider_version,
        if plan.smoke { "smoke" } else { "full" }
    ));

    progress::step("start-up: exec to handshake line");
    let client_cert = handshake::client_certificate_pem()?;
    let handshake = handshake::measure(provider, &client_cert, plan.handshake_reps)?;
    let spawn_floor = handshake::measure_spawn_floor(plan.handshake_reps)?;
    let binary = scenarios::stripped_size(provider, root.path())?;

    let emulator = emulator::Emulator::start(emulator_binary, &root.path().join("emulator.log"))?;
    progress::step(&format!("emulator at {}", emulator.endpoint()));
    let bench = scenarios::Bench {
        tf: &tf,
        emulator: &emulator,
        root: root.path(),
        plan: &plan,
    };
    let scale = plan
        .sizes
        .iter()
        .map(|size| bench.scale(*size))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let latency = bench.latency()?;
    Ok(Results {
        provider_version: tf.provider_version.clone(),
        platform: tf.platform.clone(),
        plan,
        machine,
        date,
        run_time: started.elapsed(),
        load_at_end: machine::load_average(),
        handshake,
        spawn_floor,
        binary,
        scale,
        latency,
    })
}

/// The directory this program was built into.
fn own_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating alicr-bench itself")?;
    exe.parent()
        .map(Path::to_path_buf)
        .ok_or_else(|| anyhow!("{} has no directory", exe.display()))
}

fn built_binary(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    if !path.is_file() {
        bail!(
            "{} is missing: build the workspace first (`cargo build --release --workspace` for \
             `make bench`, `cargo build --workspace` for `make bench-smoke`)",
            path.display()
        );
    }
    Ok(path)
}
