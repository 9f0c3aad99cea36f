//! What `/proc` says about the processes of a run: the provider processes a Terraform command
//! starts (peak resident memory and CPU time, from a polling thread), the CPU time of the
//! harness's own waited-for children (Terraform and, through it, the providers), and of any
//! live process (the emulator).
//!
//! `VmHWM` is the kernel's own high-water mark, so polling between peaks loses nothing as long
//! as each process is seen once before it exits. CPU times are in clock ticks of 10 ms (Linux's
//! `USER_HZ` is 100 on every architecture Terraform ships for); a provider's last reading can
//! miss at most one poll interval of its CPU time, so its figure is a slight underestimate.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How often `/proc` is read. Each read is a handful of small files, so this costs next to
/// nothing, and Terraform keeps each provider process alive for far longer than this.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// How often the proportional set sizes are summed, when asked: each `smaps_rollup` read walks
/// the process's page tables (tens of microseconds for a Go provider), and with 50 providers
/// alive a 5 ms poll would itself take a good share of a core.
const PSS_INTERVAL: Duration = Duration::from_millis(50);

/// Seconds per clock tick (`USER_HZ` = 100).
pub const SECONDS_PER_TICK: f64 = 0.01;

/// What the watched processes used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peak {
    /// The largest `VmHWM` among them, in KiB (the kernel's "kB").
    pub max_hwm_kib: u64,
    /// How many provider processes were seen (Terraform starts one per graph walk).
    pub processes: usize,
    /// Their CPU time (user + system), summed, in nanoseconds: what the parent has reaped of
    /// them (its `cutime + cstime`) plus what the ones still running had used (`schedstat`),
    /// at the last poll that could read the parent. Each provider's own ticks would round its
    /// few milliseconds down, and miss what it used after the last poll.
    pub cpu_ns: u64,
    /// The largest sum, at one poll, of the live processes' proportional set sizes (`Pss` of
    /// `/proc/PID/smaps_rollup`: each shared page divided among the processes mapping it, so
    /// the sum counts shared pages once), in KiB; 0 unless asked for.
    pub max_total_pss_kib: u64,
    /// The most provider processes alive at one poll.
    pub max_alive: usize,
}

impl Peak {
    pub fn megabytes(&self) -> f64 {
        self.max_hwm_kib as f64 * 1024.0 / 1_000_000.0
    }

    pub fn cpu_seconds(&self) -> f64 {
        self.cpu_ns as f64 / 1e9
    }

    pub fn total_pss_megabytes(&self) -> f64 {
        self.max_total_pss_kib as f64 * 1024.0 / 1_000_000.0
    }
}

/// The latest readings of one process.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    hwm_kib: u64,
}

/// A running watch; [`Watcher::finish`] stops it and returns what it saw.
pub struct Watcher {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Peak>,
}

impl Watcher {
    pub fn finish(self) -> Peak {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}

/// Starts watching the children of `parent` whose executable's file name starts with
/// `exe_prefix`; with `pss`, also the sum of their proportional set sizes at each poll (which
/// costs a page-table walk per process, so only the many-accounts scenario asks for it).
pub fn watch(parent: u32, exe_prefix: &'static str, pss: bool) -> Watcher {
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let mut seen: BTreeMap<u32, Seen> = BTreeMap::new();
        let mut max_total_pss_kib = 0;
        let mut max_alive = 0;
        let mut last_pss: Option<std::time::Instant> = None;
        let mut cpu_ns = 0;
        // One last pass after the stop flag, so a process seen late still counts.
        loop {
            let stopping = stop_flag.load(Ordering::Relaxed);
            // Reaped first, then the live ones: a provider reaped in between is missed by this
            // poll (never counted twice) and found by the next in the parent's total.
            let reaped_ns = reaped_children_ns(parent);
            let mut live_ns = 0;
            let sum_pss = pss && last_pss.is_none_or(|at| at.elapsed() >= PSS_INTERVAL);
            if sum_pss {
                last_pss = Some(std::time::Instant::now());
            }
            let mut total_pss_kib = 0;
            let mut alive = 0;
            for pid in children(parent) {
                if !is_provider(pid, exe_prefix) {
                    continue;
                }
                alive += 1;
                if sum_pss {
                    total_pss_kib += pss_kib(pid).unwrap_or(0);
                }
                let entry = seen.entry(pid).or_default();
                if let Some(hwm) = vm_hwm_kib(pid) {
                    entry.hwm_kib = entry.hwm_kib.max(hwm);
                }
                live_ns += cpu_ns_of(pid).unwrap_or(0);
            }
            if let Some(reaped_ns) = reaped_ns {
                cpu_ns = cpu_ns.max(reaped_ns + live_ns);
            }
            max_total_pss_kib = max_total_pss_kib.max(total_pss_kib);
            max_alive = max_alive.max(alive);
            if stopping {
                break;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        Peak {
            max_hwm_kib: seen.values().map(|s| s.hwm_kib).max().unwrap_or(0),
            processes: seen.len(),
            cpu_ns,
            max_total_pss_kib,
            max_alive,
        }
    });
    Watcher { stop, handle }
}

/// The direct children of `parent`, from every one of its threads' `children` lists.
fn children(parent: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{parent}/task")) else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

fn is_provider(pid: u32, exe_prefix: &str) -> bool {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with(exe_prefix))
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

/// The `VmHWM:` line of a `/proc/PID/status` text, in KiB.
fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn pss_kib(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    parse_pss(&rollup)
}

/// The `Pss:` line of a `/proc/PID/smaps_rollup` text, in KiB (not `Pss_Anon:` and the like).
fn parse_pss(rollup: &str) -> Option<u64> {
    rollup
        .lines()
        .find(|line| line.starts_with("Pss:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time of the children `pid` has reaped (`cutime + cstime`), in nanoseconds; `None` once
/// `pid` is gone. The kernel sums these in nanoseconds and rounds only the total to ticks.
fn reaped_children_ns(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields = stat_fields(&stat)?;
    Some((fields.cutime + fields.cstime) * NS_PER_TICK)
}

/// A live process's own CPU time in nanoseconds: `schedstat`'s first field (time on a CPU),
/// else utime + stime in ticks.
fn cpu_ns_of(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()
        .and_then(|text| parse_schedstat_ns(&text))
        .or_else(|| cpu_ticks(pid).map(|ticks| ticks * NS_PER_TICK))
}

/// The first field of `/proc/PID/schedstat`: nanoseconds spent running.
fn parse_schedstat_ns(text: &str) -> Option<u64> {
    text.split_whitespace().next()?.parse().ok()
}

const NS_PER_TICK: u64 = 10_000_000;

/// A process's own CPU time (utime + stime), in ticks.
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields = stat_fields(&stat)?;
    Some(fields.utime + fields.stime)
}

/// CPU time (user + system, in ticks) of this process's children that it has waited for,
/// including their own waited-for descendants: every finished Terraform command, with the
/// provider processes it started and reaped.
pub fn waited_children_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields = stat_fields(&stat)?;
    Some(fields.cutime + fields.cstime)
}

/// The CPU fields of a `/proc/PID/stat` line.
#[derive(Debug, PartialEq, Eq)]
struct StatFields {
    utime: u64,
    stime: u64,
    cutime: u64,
    cstime: u64,
}

/// Fields 14–17 of `/proc/PID/stat`, counted after the parenthesised command name (which may
/// itself contain spaces and parentheses).
fn stat_fields(stat: &str) -> Option<StatFields> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards; utime is field 14.
    let rest: Vec<&str> = after_comm.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { rest.get(n - 3)?.parse().ok() };
    Some(StatFields {
        utime: field(14)?,
        stime: field(15)?,
        cutime: field(16)?,
        cstime: field(17)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vm_hwm() {
        let status = "Name:\tcat\nVmPeak:\t  8000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(1234));
        assert_eq!(parse_vm_hwm("Name:\tkthreadd\n"), None);
    }

    #[test]
    fn parses_schedstat() {
        assert_eq!(parse_schedstat_ns("159298 4511 2\n"), Some(159_298));
        assert_eq!(parse_schedstat_ns(""), None);
    }

    #[test]
    fn counts_the_cpu_of_a_child_that_was_reaped() {
        // A shell (a child of this test) starts a busy child and reaps it: the shell's own
        // reaped-children time must show in the watch, though the busy child lived between
        // polls or not at all.
        let mut shell = std::process::Command::new("sh")
            .args([
                "-c",
                "sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; sleep 0.2",
            ])
            .spawn()
            .expect("spawn sh");
        let pid = shell.id();
        let watch = watch(pid, "nothing-matches", false);
        std::thread::sleep(std::time::Duration::from_millis(50));
        // Wait until the busy child is done and the shell sleeps.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while reaped_children_ns(pid).unwrap_or(0) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        let peak = watch.finish();
        let _ = shell.wait();
        assert!(peak.cpu_ns >= NS_PER_TICK, "{peak:?}");
        assert_eq!(peak.processes, 0);
    }

    #[test]
    fn parses_pss_and_not_its_breakdown() {
        let rollup = "55d0-7ffd ---p 00000000 00:00 0   [rollup]\nRss:   9000 kB\n\
                      Pss_Anon:  300 kB\nPss:   4321 kB\nPss_File:  100 kB\n";
        assert_eq!(parse_pss(rollup), Some(4321));
        assert_eq!(parse_pss("Rss: 1 kB\nPss_Anon: 2 kB\n"), None);
    }

    #[test]
    fn parses_cpu_fields_after_an_awkward_command_name() {
        let stat =
            "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 11 5 20 0 1 0 100 1000 10";
        assert_eq!(
            stat_fields(stat),
            Some(StatFields {
                utime: 7,
                stime: 3,
                cutime: 11,
                cstime: 5
            })
        );
        assert_eq!(stat_fields("4242 (truncated"), None);
    }

    #[test]
    fn reads_this_process_and_its_waited_children() {
        assert!(cpu_ticks(std::process::id()).is_some());
        assert!(waited_children_ticks().is_some());
    }

    #[test]
    fn sees_a_child_process_and_its_peak() {
        // A real child (`sleep`) of this test process, matched by its executable's name. It
        // outlives the watch (killed only after `finish`, whose last pass always runs).
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let peak = watch(std::process::id(), "sleep", true).finish();
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(peak.processes, 1, "{peak:?}");
        assert_eq!(peak.max_alive, 1, "{peak:?}");
        assert!(peak.max_hwm_kib > 0, "{peak:?}");
        assert!(peak.max_total_pss_kib > 0, "{peak:?}");
    }
}
