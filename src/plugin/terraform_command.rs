//! Which Terraform command this plugin serves: Terraform starts a plugin process for each phase
//! of a command (validate, plan, apply), so the plugin's parent is the `terraform` process of
//! that command.
//!
//! Resources use it to tell what this command observed from what an earlier command left in
//! the state: Terraform 1.11 hands the delete of a resource removed from the configuration the
//! private state of the previous command, not that of its own refresh.

use std::sync::OnceLock;

/// The Terraform command, as `PID-TICKS`: its process id and its start in clock ticks since
/// boot. Every plugin process a command starts reads the same value, and no two commands of one
/// boot share it. `None` where it cannot be read (anything but Linux, or `/proc` unreadable).
/// Read once, at the first call, which `launch` makes at start-up; in `--debug` mode the parent
/// is the developer's shell, so the whole session counts as one command.
pub(crate) fn id() -> Option<&'static str> {
    static ID: OnceLock<Option<String>> = OnceLock::new();
    ID.get_or_init(parent_id).as_deref()
}

#[cfg(target_os = "linux")]
fn parent_id() -> Option<String> {
    let parent = std::os::unix::process::parent_id();
    let stat = std::fs::read_to_string(format!("/proc/{parent}/stat")).ok()?;
    id_from_stat(parent, &stat)
}

#[cfg(not(target_os = "linux"))]
fn parent_id() -> Option<String> {
    None
}

/// `PID-TICKS` from a process's `/proc/PID/stat`, whose field 22 (`starttime`) is its start in
/// clock ticks since boot.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn id_from_stat(pid: u32, stat: &str) -> Option<String> {
    // The command name (field 2) is in parentheses and may contain spaces or parentheses.
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let start_ticks: u64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    Some(format!("{pid}-{start_ticks}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_the_pid_and_the_start_in_ticks() {
        let stat = "4242 (terraform (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 5 3 0 0 20 0 \
                    12 0 123456 900000 2000 18446744073709551615";
        assert_eq!(id_from_stat(4242, stat).as_deref(), Some("4242-123456"));
    }

    #[test]
    fn unreadable_stat_gives_no_id() {
        assert_eq!(id_from_stat(1, "garbage"), None);
        assert_eq!(id_from_stat(1, "1 (x) S 1 2 3"), None);
        let stat = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0 0";
        assert_eq!(id_from_stat(1, stat), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_test_process_has_a_parent_command() {
        let id = parent_id().expect("the parent's stat is readable on Linux");
        let (pid, ticks) = id.split_once('-').expect("PID-TICKS");
        assert_eq!(pid, std::os::unix::process::parent_id().to_string());
        assert!(ticks.parse::<u64>().is_ok(), "{id}");
    }
}
