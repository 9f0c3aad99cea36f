//! The `alicr-emulator` binary: the first stdout line names the endpoint, flags are honoured,
//! and SIGTERM ends it cleanly.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn spawn(args: &[&str]) -> (std::process::Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_alicr-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emulator");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .trim()
        .strip_prefix("alicr-emulator listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .expect("address");
    (child, addr)
}

fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("emulator did not exit on SIGTERM");
}

#[tokio::test]
async fn serves_with_flags_and_exits_on_sigterm() {
    let (mut child, addr) = spawn(&[
        "--credential",
        "CLIKEY:cli-secret",
        "--account-id",
        "9999888877776666",
        "--fail",
        "GetRole:InternalError:1",
    ]);
    let c = Client::with_keys(addr, "CLIKEY", "cli-secret", None);
    let created = c
        .ram_ok(
            "CreateRole",
            &[("RoleName", "Cli"), ("AssumeRolePolicyDocument", TRUST_CR)],
        )
        .await;
    assert_eq!(created["Role"]["Arn"], "acs:ram::9999888877776666:role/cli");
    assert_eq!(
        c.call(RAM, "GetRole", &[("RoleName", "Cli")]).await.status,
        500
    );
    assert_eq!(
        c.call(RAM, "GetRole", &[("RoleName", "Cli")]).await.status,
        200
    );
    let status = terminate(&mut child);
    assert!(status.success(), "exit status {status:?}");

    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read as _;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(!stderr.contains("cli-secret"), "secrets never logged");
}

#[tokio::test]
async fn rejects_bad_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_alicr-emulator"))
        .args(["--fail", "nonsense"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_alicr-emulator"))
        .args(["--throttle-rate", "2"])
        .output()
        .expect("run");
    assert!(!out.status.success());
}

#[tokio::test]
async fn state_file_flag_persists_across_processes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("state.json");
    let path_arg = path.to_string_lossy().into_owned();
    let (mut child, addr) = spawn(&["--state-file", &path_arg]);
    Client::new(addr)
        .ram_ok(
            "CreateRole",
            &[
                ("RoleName", "Durable"),
                ("AssumeRolePolicyDocument", TRUST_CR),
            ],
        )
        .await;
    // Killed hard, as in a crash: the change was already on disk.
    child.kill().expect("kill");
    let _ = child.wait();
    let (mut child, addr) = spawn(&["--state-file", &path_arg]);
    let got = Client::new(addr)
        .ram_ok("GetRole", &[("RoleName", "Durable")])
        .await;
    assert_eq!(got["Role"]["RoleName"], "Durable");
    terminate(&mut child);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .expect("state file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the state file holds STS secrets");
    }
}

/// Runs the binary (bounded in time) and returns its stderr.
fn stderr_of(args: &[&str]) -> String {
    use std::io::Read as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_alicr-emulator"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn emulator");
    let mut stderr = child.stderr.take().expect("stderr");
    // Whatever happens, the process ends within a few seconds and stderr reaches EOF.
    let pid = child.id().to_string();
    let killer = std::thread::spawn(move || {
        for _ in 0..40 {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let _ = child.wait();
    });
    let mut text = String::new();
    let _ = stderr.read_to_string(&mut text);
    let _ = killer.join();
    text
}

#[test]
fn warns_when_listening_beyond_loopback() {
    // 192.0.2.1 (TEST-NET-1) is on no interface here, so the bind fails and nothing is
    // exposed; the warning comes first.
    let stderr = stderr_of(&["--listen", "192.0.2.1:0"]);
    assert!(
        stderr.contains("--listen 192.0.2.1:0 is not a loopback address"),
        "{stderr}"
    );
    let stderr = stderr_of(&["--listen", "127.0.0.1:0"]);
    assert!(!stderr.contains("not a loopback address"), "{stderr}");
}
