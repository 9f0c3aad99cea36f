//! Ctrl-C in a terminal: SIGINT reaches Terraform *and* the provider it started (one process
//! group). The provider must ignore the signal, as go-plugin servers do, and let Terraform stop
//! it through StopProvider; dying on the spot loses the answers of calls in flight.

use serde_json::json;

use crate::convergence::{
    assert_converged, compare, declared_roles, finish, interrupt, many_roles, spawn_apply,
    terraform_roles, wait_for,
};
use crate::support::{Emulator, ProcStat, TfDir};

#[test]
fn ctrl_c_to_the_process_group_mid_apply_orphans_nothing() {
    const N: usize = 4;
    let emulator = Emulator::start();
    emulator.faults(json!({"latency_ms": 3000}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, ""));
    let child = spawn_apply(&tf, true);
    wait_for("creates to reach the emulator", 1_500, || {
        let calls = emulator.calls();
        (calls["by_action"]["CreateRole"].as_u64().unwrap_or(0) >= 1).then_some(())
    });
    interrupt(child.id(), true);
    let out = finish(child);
    out.assert_failure();

    // Every create that reached RAM is carried out (its latency still runs); wait for them.
    emulator.faults(json!({"latency_ms": 0}));
    let ram = wait_for("the creates in flight to land", 1_500, || {
        let (ram, calls) = (emulator.state(), emulator.calls());
        let count = |key: &str| ram[key].as_array().map_or(0, Vec::len) as u64;
        let arrived = |action: &str| calls["by_action"][action].as_u64().unwrap_or(0);
        (count("roles") >= arrived("CreateRole") && count("policies") >= arrived("CreatePolicy"))
            .then_some(ram)
    });
    let recorded = terraform_roles(&tf);
    let comparison = compare(&ram, &recorded, &Default::default());
    assert_eq!(
        comparison.orphans,
        0,
        "Ctrl-C left roles or policies that no state records: {:?}\n{}",
        comparison.differences,
        out.all()
    );
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .assert_success();
    assert_converged(&emulator.state(), &tf, &declared_roles(N));
}

/// Terraform killed outright (SIGKILL, a crash, a cancelled CI job) never sends `Shutdown`, and
/// the provider ignores SIGINT; it must notice that Terraform is gone and exit instead of
/// lingering.
#[test]
fn terraform_killed_mid_apply_leaves_no_provider_running() {
    let emulator = Emulator::start();
    emulator.faults(json!({"latency_ms": 3000}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), 2, ""));
    let child = spawn_apply(&tf, true);
    let terraform = child.id();
    wait_for("creates to reach the emulator", 1_500, || {
        let calls = emulator.calls();
        (calls["by_action"]["CreateRole"].as_u64().unwrap_or(0) >= 1).then_some(())
    });
    let providers = children_named(terraform, "terraform-provi");
    assert!(
        !providers.is_empty(),
        "no provider process under terraform {terraform}"
    );
    let status = std::process::Command::new("kill")
        .args(["-s", "KILL", &terraform.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    finish(child);
    // Generous: the provider checks on its parent every second, then lets calls in flight
    // (3 s of emulator latency) finish for up to 2 s.
    wait_for("the orphaned providers to exit", 1_500, || {
        providers.iter().all(|pid| !is_running(*pid)).then_some(())
    });
}

/// The processes whose parent is `parent` and whose name starts with `name` (as `/proc` truncates
/// it to 15 bytes).
fn children_named(parent: u32, name: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some(stat) = ProcStat::read(pid) else {
            continue;
        };
        if stat.field::<u32>(4) == Some(parent) && stat.name.starts_with(name) {
            found.push(pid);
        }
    }
    found
}

/// Whether `pid` is alive: present in `/proc` and not a zombie waiting to be reaped (field 3,
/// the state, is neither `Z` nor `X`).
fn is_running(pid: u32) -> bool {
    ProcStat::read(pid).is_some_and(|stat| !matches!(stat.field::<char>(3), Some('Z' | 'X')))
}
