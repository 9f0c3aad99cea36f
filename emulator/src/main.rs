//! The `alicr-emulator` binary: parses the command line, binds the listener, prints
//! `alicr-emulator listening on http://HOST:PORT` as its first stdout line, and serves until
//! SIGINT or SIGTERM.

use std::io::{IsTerminal as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Parser;

use alicr_emulator::config::{DEFAULT_ACCOUNT_ID, DEFAULT_ECS_ROLE_NAME};
use alicr_emulator::{Config, Credential, FailRule};

/// Alibaba Cloud RAM / STS / ECS-metadata emulator for terraform-provider-alicr tests.
#[derive(Debug, Parser)]
#[command(name = "alicr-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Long-lived credential ACCESS_KEY_ID:SECRET (repeatable; default EMULATORACCESSKEYID:emulator-secret).
    #[arg(long = "credential", value_name = "AK:SECRET")]
    credentials: Vec<Credential>,
    /// Account id used in ARNs.
    #[arg(long, default_value = DEFAULT_ACCOUNT_ID)]
    account_id: String,
    /// Delay before answering each RAM/STS call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Probability (0..=1) that a RAM/STS call answers Throttling.User.
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Scripted failure ACTION:CODE:COUNT (repeatable; ACTION may be *; CODE may be
    /// ConnectionReset or ConnectionResetAfterCommit).
    #[arg(long = "fail", value_name = "ACTION:CODE:COUNT")]
    fail: Vec<FailRule>,
    /// Load state from this file at start and write it after every change.
    #[arg(long)]
    state_file: Option<PathBuf>,
    /// RAM role whose credentials the ECS metadata service hands out.
    #[arg(long, default_value = DEFAULT_ECS_ROLE_NAME)]
    ecs_role_name: String,
}

impl Args {
    fn into_config(self) -> anyhow::Result<Config> {
        if !(0.0..=1.0).contains(&self.throttle_rate) {
            bail!("--throttle-rate must be between 0 and 1");
        }
        let defaults = Config::default();
        Ok(Config {
            credentials: if self.credentials.is_empty() {
                defaults.credentials
            } else {
                self.credentials
            },
            account_id: self.account_id,
            latency_ms: self.latency_ms,
            throttle_rate: self.throttle_rate,
            fail: self.fail,
            state_file: self.state_file,
            ecs_role_name: self.ecs_role_name,
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ALICR_EMULATOR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let listen = args.listen;
    if let Some(warning) = exposure_warning(listen) {
        // Straight to stderr, not through the log filter: quieting logs must not hide this.
        eprintln!("{warning}");
    }
    let config = args.into_config()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr().context("cannot read bound address")?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "alicr-emulator listening on http://{addr}")?;
        stdout.flush()?;
    }
    tracing::info!(%addr, account_id = %config.account_id, "emulator started");
    alicr_emulator::serve(listener, config, shutdown_signal())
        .await
        .context("emulator failed")?;
    tracing::info!("emulator stopped");
    Ok(())
}

/// What to tell the user when `--listen` is reachable from other machines: the RAM/STS API
/// answers anyone who knows the (public, default) test keys, and the admin API needs no key.
fn exposure_warning(listen: SocketAddr) -> Option<String> {
    if listen.ip().to_canonical().is_loopback() {
        return None;
    }
    Some(format!(
        "WARNING: --listen {listen} is not a loopback address. Other machines can reach this \
         emulator: its RAM/STS API accepts the well-known test keys, and its admin API, which \
         needs no key, refuses only requests whose Host is not loopback. Use 127.0.0.1 unless \
         you need otherwise."
    ))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warns_only_when_listening_beyond_loopback() {
        for quiet in [
            "127.0.0.1:0",
            "127.3.2.1:8080",
            "[::1]:0",
            "[::ffff:127.0.0.1]:0",
        ] {
            let addr: SocketAddr = quiet.parse().expect("address");
            assert_eq!(exposure_warning(addr), None, "{quiet}");
        }
        for loud in ["0.0.0.0:0", "[::]:0", "192.0.2.1:8080", "[2001:db8::1]:0"] {
            let addr: SocketAddr = loud.parse().expect("address");
            let warning = exposure_warning(addr).unwrap_or_default();
            assert!(
                warning.contains("not a loopback address"),
                "{loud}: {warning:?}"
            );
        }
    }
}
