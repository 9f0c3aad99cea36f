//! The machine a run measured on (CPU, cores, memory, kernel, Terraform and Rust versions), read
//! from /proc and the tools themselves, so the report says what its figures mean.

use std::path::Path;
use std::process::Command;

/// Facts about the measuring machine, as shown in the report.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpu_model: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub terraform: String,
    pub rustc: String,
    /// The 1-minute load average when the run started (other work on the machine skews times).
    pub load_at_start: String,
}

impl Machine {
    /// Reads the facts; anything unreadable shows as "unknown" rather than failing the run.
    pub fn detect(terraform_version: &str) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpu_model: cpu_model(&cpuinfo).unwrap_or_else(|| "unknown".to_string()),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_gib: mem_total_kib(&meminfo).map_or(0.0, |kib| kib as f64 / 1024.0 / 1024.0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".to_string()),
            terraform: terraform_version.to_string(),
            rustc: tool_version(Path::new("rustc")).unwrap_or_else(|| "unknown".to_string()),
            load_at_start: load_average(),
        }
    }
}

/// The 1-minute load average from /proc/loadavg.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// The first `model name` line of /proc/cpuinfo.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.trim().to_string())
}

/// `MemTotal` from /proc/meminfo, in KiB (the kernel's "kB").
fn mem_total_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find(|line| line.starts_with("MemTotal:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The first line of `TOOL --version`.
fn tool_version(tool: &Path) -> Option<String> {
    let output = Command::new(tool).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines().next().map(|line| line.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_model_and_memory() {
        let cpuinfo =
            "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Example CPU @ 2.0GHz\n";
        assert_eq!(cpu_model(cpuinfo).as_deref(), Some("Example CPU @ 2.0GHz"));
        let meminfo = "MemTotal:       24683904 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total_kib(meminfo), Some(24_683_904));
        assert_eq!(cpu_model(""), None);
        assert_eq!(mem_total_kib("MemFree: 1 kB"), None);
    }
}
