//! When the Terraform command this plugin serves began: Terraform starts a plugin process for
//! each phase of a command (validate, plan, apply), so the plugin's parent is the `terraform`
//! process of that command, and its start is the command's start.
//!
//! Resources use it to tell what this command observed from what an earlier command left in
//! the state: Terraform 1.11 hands the delete of a resource removed from the configuration the
//! private state of the previous command, not that of its own refresh.

use std::sync::OnceLock;

/// Unix milliseconds at which the `terraform` process that started this plugin began; `None`
/// where that cannot be read (anything but Linux, or `/proc` unreadable). Read once, at the
/// first call, which `launch` makes at start-up. In `--debug` mode the parent is the
/// developer's shell, so every observation of the session counts as the command's own.
pub(crate) fn started_at_ms() -> Option<i64> {
    static STARTED_AT: OnceLock<Option<i64>> = OnceLock::new();
    *STARTED_AT.get_or_init(parent_started_at_ms)
}

#[cfg(target_os = "linux")]
fn parent_started_at_ms() -> Option<i64> {
    let parent = std::os::unix::process::parent_id();
    let stat = std::fs::read_to_string(format!("/proc/{parent}/stat")).ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_millis();
    started_at_ms_from_proc(&stat, &uptime, i64::try_from(now_ms).ok()?)
}

#[cfg(not(target_os = "linux"))]
fn parent_started_at_ms() -> Option<i64> {
    None
}

/// Milliseconds per clock tick of `/proc` times: `USER_HZ` is 100 on x86_64 and arm64, the
/// architectures the provider ships for.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const MS_PER_TICK: i64 = 10;

/// A process's start in Unix milliseconds, from its `/proc/PID/stat` (field 22, `starttime`, in
/// ticks since boot), `/proc/uptime` (seconds since boot, to the hundredth) and the time now.
/// (`/proc/stat`'s boot time would do too, but it is rounded to the second.)
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn started_at_ms_from_proc(stat: &str, uptime: &str, now_ms: i64) -> Option<i64> {
    // The command name (field 2) is in parentheses and may contain spaces or parentheses.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let start_ticks: i64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    let up_seconds: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    if !up_seconds.is_finite() || up_seconds < 0.0 {
        return None;
    }
    let up_ms = (up_seconds * 1000.0).round() as i64;
    let age_ms = up_ms.checked_sub(start_ticks.checked_mul(MS_PER_TICK)?)?;
    now_ms.checked_sub(age_ms.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_is_now_minus_the_age_since_boot() {
        let stat = "4242 (terraform (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 5 3 0 0 20 0 \
                    12 0 123456 900000 2000 18446744073709551615";
        // Started 1234.56 s after boot; up 1300.06 s: 65.5 s ago.
        assert_eq!(
            started_at_ms_from_proc(stat, "1300.06 2000.00\n", 1_700_000_000_000),
            Some(1_700_000_000_000 - 65_500)
        );
    }

    #[test]
    fn unreadable_proc_files_give_no_start() {
        let now = 1_700_000_000_000;
        assert_eq!(started_at_ms_from_proc("garbage", "1.00 1.00", now), None);
        assert_eq!(
            started_at_ms_from_proc("1 (x) S 1 2 3", "1.00 1.00", now),
            None
        );
        let stat = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0";
        assert_eq!(started_at_ms_from_proc(stat, "no uptime", now), None);
        assert_eq!(started_at_ms_from_proc(stat, "NaN 1", now), None);
        assert_eq!(
            started_at_ms_from_proc(stat, "7.25 1", now),
            Some(now - 2_250)
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_test_process_parent_started_in_the_past() {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let started = parent_started_at_ms().expect("the parent's start is readable on Linux");
        assert!(started <= now_ms + 50, "{started} is after {now_ms}");
        assert!(
            started > 1_600_000_000_000,
            "{started} is not a plausible Unix time in milliseconds"
        );
    }
}
