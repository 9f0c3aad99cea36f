//! Ctrl-C in a terminal: SIGINT reaches Terraform *and* the provider it started (one process
//! group). The provider must ignore the signal, as go-plugin servers do, and let Terraform stop
//! it through StopProvider; dying on the spot loses the answers of calls in flight.

use serde_json::json;

use crate::convergence::{
    assert_converged, compare, declared_roles, finish, interrupt, many_roles, spawn_apply,
    terraform_roles, wait_for,
};
use crate::support::{Emulator, TfDir};

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
