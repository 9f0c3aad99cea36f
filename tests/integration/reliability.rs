//! Reliability under faults, through real `terraform` against the RAM emulator: throttling,
//! server errors, connection resets (before and after the call took effect), calls that outlive
//! the client's read timeout, the emulator killed mid-apply, and Terraform interrupted mid-apply.
//! After each, RAM (the emulator's state) must equal Terraform's state exactly.

use serde_json::json;

use crate::convergence::{
    assert_converged, declared_roles, finish, interrupt, many_roles, ram_is_empty, report,
    spawn_apply, terraform_roles, wait_for, EmulatorProcess,
};
use crate::support::{Emulator, TfDir};

fn apply(tf: &TfDir) {
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .assert_success();
}

fn destroy(tf: &TfDir) {
    tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"])
        .assert_success();
}

#[track_caller]
fn assert_no_changes(tf: &TfDir) {
    let out = tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    assert_eq!(out.code, Some(0), "expected an empty plan:\n{}", out.all());
}

#[track_caller]
fn assert_all_gone(emulator_state: &serde_json::Value, tf: &TfDir) {
    assert!(
        ram_is_empty(emulator_state),
        "destroy left objects in RAM: {emulator_state}"
    );
    assert!(
        terraform_roles(tf).is_empty(),
        "destroy left roles in Terraform's state"
    );
}

fn errors_of(emulator: &Emulator, code: &str) -> u64 {
    emulator.calls()["errors_by_code"][code]
        .as_u64()
        .unwrap_or(0)
}

/// ARCHITECTURE.md's reliability promises: with 30% of calls throttled, N = 50 apply and
/// destroy succeed, and RAM equals Terraform's state afterwards. (`max_retries = 20`: 0.3^21
/// makes exhausting it negligible.)
#[test]
fn fifty_roles_apply_and_destroy_with_thirty_percent_throttled() {
    const N: usize = 50;
    let emulator = Emulator::start();
    emulator.faults(json!({"throttle_rate": 0.3}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, "max_retries = 20"));
    let declared = declared_roles(N);

    apply(&tf);
    let comparison = assert_converged(&emulator.state(), &tf, &declared);
    assert_no_changes(&tf);
    destroy(&tf);
    assert_all_gone(&emulator.state(), &tf);

    let throttled = errors_of(&emulator, "Throttling.User");
    assert!(
        throttled > 0,
        "the emulator throttled nothing, so this test proved nothing"
    );
    report("30% of calls throttled", N, &comparison);
}

/// ARCHITECTURE.md's reliability promises and issue 12: with 60% of calls throttled and default
/// settings (no `max_retries`), apply and destroy of 20 roles succeed, since throttling is
/// retried until the operation's time limit, and nothing is left behind.
#[test]
fn twenty_roles_apply_and_destroy_with_sixty_percent_throttled_and_default_settings() {
    const N: usize = 20;
    let emulator = Emulator::start();
    emulator.faults(json!({"throttle_rate": 0.6}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, ""));
    let declared = declared_roles(N);

    apply(&tf);
    let comparison = assert_converged(&emulator.state(), &tf, &declared);
    destroy(&tf);
    assert_all_gone(&emulator.state(), &tf);
    assert!(
        errors_of(&emulator, "Throttling.User") > 0,
        "the emulator throttled nothing, so this test proved nothing"
    );
    report("60% of calls throttled, default settings", N, &comparison);
}

/// Every mutating action meets a 5xx, a reset before the call took effect, and a reset after it
/// took effect (the outcome the provider cannot know); the refresh before destroy meets them too.
#[test]
fn server_errors_and_connection_resets_on_every_step_leave_no_orphans() {
    const N: usize = 8;
    let emulator = Emulator::start();
    let rule = |action: &str, code: &str, count: u32| json!({"action": action, "code": code, "count": count});
    emulator.faults(json!({"fail": [
        rule("CreateRole", "ServiceUnavailable", 2),
        rule("CreateRole", "ConnectionResetAfterCommit", 2),
        rule("CreateRole", "ConnectionReset", 1),
        rule("CreatePolicy", "InternalError", 2),
        rule("CreatePolicy", "ConnectionResetAfterCommit", 2),
        rule("CreatePolicy", "ConnectionReset", 1),
        rule("AttachPolicyToRole", "ConnectionResetAfterCommit", 2),
        rule("AttachPolicyToRole", "ServiceUnavailable", 1),
        rule("AttachPolicyToRole", "ConnectionReset", 1),
    ]}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, "max_retries = 10"));
    let declared = declared_roles(N);
    apply(&tf);
    let created = assert_converged(&emulator.state(), &tf, &declared);

    // Update in place: new buckets (CreatePolicyVersion) and descriptions (UpdateRole).
    emulator.faults(json!({"fail": [
        rule("GetRole", "ConnectionReset", 2),
        rule("GetPolicy", "InternalError", 2),
        rule("ListPoliciesForRole", "ServiceUnavailable", 2),
        rule("CreatePolicyVersion", "ConnectionResetAfterCommit", 2),
        rule("CreatePolicyVersion", "InternalError", 1),
        rule("UpdateRole", "ConnectionResetAfterCommit", 2),
        rule("UpdateRole", "ConnectionReset", 1),
    ]}));
    let updated = many_roles(&emulator.endpoint(), N, "max_retries = 10")
        .replace("\"shared-images\"", "\"shared-images\", \"more-images\"")
        .replace("reliability ${", "updated ${");
    tf.write("main.tf", &updated);
    apply(&tf);
    let after_update = assert_converged(&emulator.state(), &tf, &declared);
    assert_no_changes(&tf);

    emulator.faults(json!({"fail": [
        rule("ListPoliciesForRole", "ConnectionReset", 2),
        rule("DetachPolicyFromRole", "ConnectionResetAfterCommit", 2),
        rule("DetachPolicyFromRole", "ServiceUnavailable", 1),
        rule("DeletePolicy", "ConnectionResetAfterCommit", 2),
        rule("DeletePolicy", "InternalError", 1),
        rule("DeleteRole", "ConnectionResetAfterCommit", 2),
        rule("DeleteRole", "ConnectionReset", 1),
    ]}));
    destroy(&tf);
    assert_all_gone(&emulator.state(), &tf);
    let faults = emulator.calls()["errors_by_code"].clone();
    for code in [
        "ServiceUnavailable",
        "InternalError",
        "ConnectionReset",
        "ConnectionResetAfterCommit",
    ] {
        assert!(
            faults[code].as_u64().unwrap_or(0) > 0,
            "no {code} was injected: {faults}"
        );
    }
    report(
        "5xx and resets (before/after commit) on create, update, destroy",
        N,
        &crate::convergence::Comparison {
            lost: created.lost + after_update.lost,
            orphans: created.orphans + after_update.orphans,
            differences: Vec::new(),
        },
    );
}

/// The first `CreateRole` and `CreatePolicy` of each role are answered only after the client's
/// per-attempt answer timeout (10 s, capped at 15 s); the emulator still carries them out after the client gave up, so the
/// retries race the late originals. Exactly one role and policy each must result.
#[test]
fn calls_that_outlive_the_read_timeout_are_retried_without_duplicates() {
    const N: usize = 2;
    let emulator = Emulator::start();
    emulator.faults(json!({"latency_ms": 16_000}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, ""));
    let child = spawn_apply(&tf, false);
    // Once every first create is in (and held for 16 s), later calls get no latency.
    wait_for("the first creates to reach the emulator", 1_500, || {
        let calls = emulator.calls();
        let arrived = |action: &str| calls["by_action"][action].as_u64().unwrap_or(0);
        (arrived("CreateRole") >= N as u64 && arrived("CreatePolicy") >= N as u64).then_some(())
    });
    emulator.faults(json!({"latency_ms": 0}));
    finish(child).assert_success();

    let declared = declared_roles(N);
    let comparison = assert_converged(&emulator.state(), &tf, &declared);
    let calls = emulator.calls();
    assert!(
        calls["by_action"]["CreateRole"].as_u64().unwrap_or(0) > N as u64,
        "no CreateRole was retried after the read timeout: {calls}"
    );
    assert_no_changes(&tf);
    destroy(&tf);
    assert_all_gone(&emulator.state(), &tf);
    report(
        "latency beyond the per-attempt answer timeout",
        N,
        &comparison,
    );
}

/// The emulator (its own process, with a state file) is killed with SIGKILL while attachments
/// are in flight and restarted on the same port; whatever that apply reports, the next one
/// converges with nothing lost, orphaned or duplicated.
#[test]
fn emulator_killed_mid_apply_and_restarted_from_its_state_file() {
    const N: usize = 5;
    let files = tempfile::tempdir().expect("temporary directory");
    let state_file = files.path().join("ram-state.json");
    let port = crate::convergence::free_port();
    // 2 s per call: the window in which attachments are in flight, wide enough for a loaded
    // machine's polling to see it.
    let emulator = EmulatorProcess::start(port, &state_file, &["--latency-ms", "2000"]);
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, ""));
    let child = spawn_apply(&tf, false);

    // Roles and policies are committed (and written to the state file); the attachments are
    // now held in the emulator's latency.
    wait_for("every role and policy to be created", 1_500, || {
        let ram = emulator.state()?;
        let count = |key: &str| ram[key].as_array().map_or(0, Vec::len);
        (count("roles") == N && count("policies") == N && count("attachments") < N).then_some(())
    });
    emulator.kill();
    let emulator = EmulatorProcess::start(port, &state_file, &[]);
    let interrupted = finish(child);
    let survivors = emulator.state().expect("state after restart");
    assert!(
        survivors["roles"].as_array().map_or(0, Vec::len) == N,
        "the restarted emulator lost committed roles: {survivors}"
    );

    apply(&tf);
    let declared = declared_roles(N);
    let comparison = assert_converged(&emulator.state().expect("state"), &tf, &declared);
    assert_no_changes(&tf);
    destroy(&tf);
    assert_all_gone(&emulator.state().expect("state"), &tf);
    report(
        &format!(
            "emulator SIGKILLed mid-apply, restarted from --state-file (first apply {})",
            if interrupted.success {
                "succeeded"
            } else {
                "failed"
            }
        ),
        N,
        &comparison,
    );
}

/// SIGINT to Terraform while creates are in flight: Terraform sends StopProvider; the provider
/// lets the in-flight calls finish, attaches nothing more, records what exists (tainted), and
/// the next apply converges.
#[test]
fn interrupted_apply_records_in_flight_work_and_the_next_apply_converges() {
    const N: usize = 4;
    let emulator = Emulator::start();
    // 6 s per call: StopProvider must arrive while the creates are still in flight, and on a
    // busy machine Terraform has taken over 3 s to pass the interrupt on.
    emulator.faults(json!({"latency_ms": 6000}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), N, ""));
    let child = spawn_apply(&tf, false);
    wait_for("creates to reach the emulator", 1_500, || {
        let calls = emulator.calls();
        (calls["by_action"]["CreateRole"].as_u64().unwrap_or(0) >= 1).then_some(())
    });
    interrupt(child.id(), false);
    let out = finish(child);
    out.assert_failure();
    assert!(
        out.all().contains("Interrupt received"),
        "terraform did not see the interrupt:\n{}",
        out.all()
    );

    let ram = emulator.state();
    let calls = emulator.calls();
    assert_eq!(
        calls["by_action"]["AttachPolicyToRole"]
            .as_u64()
            .unwrap_or(0),
        0,
        "the provider kept working after StopProvider: {calls}"
    );
    // Everything that exists is recorded (tainted), so nothing is orphaned.
    let recorded = terraform_roles(&tf);
    let comparison = crate::convergence::compare(&ram, &recorded, &Default::default());
    assert_eq!(comparison.orphans, 0, "{:?}", comparison.differences);
    assert!(
        recorded.iter().all(|r| r.tainted),
        "half-created roles must be tainted"
    );

    emulator.faults(json!({"latency_ms": 0}));
    apply(&tf);
    let declared = declared_roles(N);
    let converged = assert_converged(&emulator.state(), &tf, &declared);
    assert_no_changes(&tf);
    destroy(&tf);
    assert_all_gone(&emulator.state(), &tf);
    report(
        "SIGINT to terraform mid-apply (StopProvider)",
        N,
        &converged,
    );
}

/// A create that took effect but whose answer was lost, followed by retries that all end in a
/// transient server error: the last answer says nothing about the first attempt, so the role
/// must still be treated as possibly created and recorded, never left behind in no state file.
#[test]
fn a_lost_answer_followed_by_exhausted_retries_is_still_an_unknown_outcome() {
    let emulator = Emulator::start();
    let rule = |action: &str, code: &str, count: u32| json!({"action": action, "code": code, "count": count});
    emulator.faults(json!({"fail": [
        rule("CreateRole", "ConnectionResetAfterCommit", 1),
        rule("CreateRole", "InternalError", 2),
    ]}));
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), 1, "max_retries = 2"));
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .assert_failure();
    let ram = emulator.state();
    let recorded = terraform_roles(&tf);
    let comparison = crate::convergence::compare(&ram, &recorded, &Default::default());
    assert_eq!(
        comparison.orphans, 0,
        "the role whose CreateRole answer was lost is in no state file: {:?}",
        comparison.differences
    );

    apply(&tf);
    let converged = assert_converged(&emulator.state(), &tf, &declared_roles(1));
    assert_no_changes(&tf);
    destroy(&tf);
    assert_all_gone(&emulator.state(), &tf);
    report(
        "reset after commit, then retries exhausted by throttling",
        1,
        &converged,
    );
}

/// Issue 12: "already exists" after a throttled attempt is not our own work (every earlier
/// attempt was answered, so none could have created anything): another actor's role of the
/// same name and document must be refused, not adopted (and later destroyed).
#[test]
fn a_throttled_create_never_adopts_someone_elses_role() {
    use terraform_provider_alicr::alicloud::ram::CreateRoleRequest;
    use terraform_provider_alicr::policy;
    let emulator = Emulator::start();
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), 1, ""));
    let role_name = declared_roles(1).into_iter().next().expect("one role");
    let client = emulator.client();
    emulator.block_on(async {
        client
            .create_role(&CreateRoleRequest {
                role_name: role_name.clone(),
                assume_role_policy_document: policy::render_trust_policy(),
                ..Default::default()
            })
            .await
            .expect("someone else's role");
    });
    let rule = |action: &str, code: &str, count: u32| json!({"action": action, "code": code, "count": count});
    emulator.faults(json!({"fail": [rule("CreateRole", "Throttling.User", 1)]}));
    let out = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    out.assert_failure();
    assert!(out.all().contains("already exists"), "{}", out.all());
    assert!(
        terraform_roles(&tf).is_empty(),
        "the other role entered this state"
    );
    let ram = emulator.state();
    let roles: Vec<&str> = ram["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["RoleName"].as_str())
        .collect();
    assert_eq!(
        roles,
        vec![role_name.as_str()],
        "the other role is untouched: {ram}"
    );
    assert!(
        ram["policies"].as_array().is_none_or(Vec::is_empty),
        "our policy was rolled back: {ram}"
    );
}

/// Issue 12: a new policy version whose answer was lost is looked for before it is sent again,
/// so one update writes one version (a second would rotate out an old version for nothing).
#[test]
fn a_lost_policy_version_answer_writes_one_version() {
    let emulator = Emulator::start();
    let tf = TfDir::new(&many_roles(&emulator.endpoint(), 1, ""));
    apply(&tf);
    let rule = |action: &str, code: &str, count: u32| json!({"action": action, "code": code, "count": count});
    emulator
        .faults(json!({"fail": [rule("CreatePolicyVersion", "ConnectionResetAfterCommit", 1)]}));
    let changed = std::fs::read_to_string(tf.path().join("main.tf"))
        .expect("main.tf")
        .replacen("bucket_names = [", "bucket_names = [\"added-bucket\", ", 1);
    tf.write("main.tf", &changed);
    apply(&tf);
    let ram = emulator.state();
    let versions = ram["policies"][0]["Versions"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(versions, 2, "v1 and exactly one new version: {ram}");
    assert_eq!(
        emulator.calls()["by_action"]["CreatePolicyVersion"].as_u64(),
        Some(1),
        "the lost version was found, not sent again"
    );
    assert_no_changes(&tf);
}
