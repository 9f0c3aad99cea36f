//! Start-up and shutdown: check we were launched by Terraform, bind, set up AutoMTLS, print the
//! handshake line, serve, and exit cleanly when Terraform says so.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::plugin::handshake::{self, Env, HandshakeError, ProcessEnv};
use crate::plugin::server;
use crate::plugin::tls::{self, TlsError};
use crate::provider::{ProviderService, PROVIDER_ADDRESS};

/// How long in-flight calls get to finish after Terraform asks us to shut down.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Why the plugin could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("could not write the handshake line to stdout: {0}")]
    Stdout(std::io::Error),
    #[error("the gRPC server failed: {0}")]
    Serve(#[from] tonic::transport::Error),
    #[error("could not bind a loopback port: {0}")]
    Bind(std::io::Error),
}

/// Runs as a plugin launched by Terraform.
pub async fn run_plugin() -> Result<(), LaunchError> {
    let env = ProcessEnv;
    handshake::check_launched_by_terraform(&env)?;
    tls::install_crypto_provider();
    let listener = handshake::bind_loopback(handshake::port_range(&env)?).await?;
    let addr = listener.local_addr().map_err(LaunchError::Bind)?;

    let tls_disabled = env
        .var("TF_DISABLE_PLUGIN_TLS")
        .is_some_and(|v| !v.is_empty());
    let client_cert = env
        .var("PLUGIN_CLIENT_CERT")
        .filter(|v| !v.trim().is_empty());
    let (tls_config, server_cert) = match (tls_disabled, client_cert) {
        (false, Some(pem)) => {
            let identity = tls::generate_server_identity()?;
            let pinned = tls::parse_client_cert(&pem)?;
            let config = tls::server_config(&identity, pinned)?;
            (Some(Arc::new(config)), Some(identity.cert_der))
        }
        (true, _) => {
            tracing::warn!("TF_DISABLE_PLUGIN_TLS is set: serving without TLS");
            (None, None)
        }
        (false, None) => {
            tracing::warn!("Terraform sent no PLUGIN_CLIENT_CERT: serving without TLS");
            (None, None)
        }
    };

    let line = handshake::handshake_line(addr, server_cert.as_ref().map(|c| c.as_ref()));
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|_| stdout.flush())
        .map_err(LaunchError::Stdout)?;
    drop(stdout);
    tracing::info!(%addr, tls = tls_config.is_some(), "plugin serving");

    ignore_interrupts();
    // Read while the parent is surely still the Terraform command that started us.
    let _ = crate::plugin::terraform_command::id();
    let shutdown = CancellationToken::new();
    shut_down_when_terraform_is_gone(shutdown.clone());
    serve_until_shutdown(listener, tls_config, shutdown, true).await
}

/// How often the plugin checks that Terraform, its parent, is still there.
#[cfg(unix)]
const PARENT_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Terraform ends its plugins with `Shutdown`. When it dies without doing so (SIGKILL, a crash,
/// a cancelled CI job), nothing else would ever end this process, since it ignores SIGINT; so it
/// watches its parent, and once it has been adopted by another process it shuts down as
/// `Shutdown` would.
#[cfg(unix)]
fn shut_down_when_terraform_is_gone(shutdown: CancellationToken) {
    let terraform = std::os::unix::process::parent_id();
    tokio::spawn(async move {
        let mut checks = tokio::time::interval(PARENT_CHECK_INTERVAL);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = checks.tick() => {}
            }
            if std::os::unix::process::parent_id() != terraform {
                tracing::warn!(
                    terraform_pid = terraform,
                    "Terraform exited without stopping the provider: shutting down"
                );
                shutdown.cancel();
                return;
            }
        }
    });
}

/// Windows does not re-parent a process whose parent died, so there is no such sign to watch for;
/// a plugin orphaned there still lingers (noted in CHANGELOG.md).
#[cfg(not(unix))]
fn shut_down_when_terraform_is_gone(_shutdown: CancellationToken) {}

/// A Ctrl-C in a terminal reaches Terraform and every plugin it started (one process group).
/// Terraform answers it with StopProvider and then Shutdown; dying on the signal itself would
/// lose the answers of calls in flight, leaving objects in no state file. So, like go-plugin
/// servers, the plugin swallows SIGINT and waits for Terraform.
fn ignore_interrupts() {
    tokio::spawn(async {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            tracing::debug!("ignoring SIGINT: Terraform stops the provider through StopProvider");
        }
    });
}

/// Runs in `--debug` mode: plaintext on a loopback port, printing `TF_REATTACH_PROVIDERS`, until
/// Ctrl-C.
pub async fn run_debug() -> Result<(), LaunchError> {
    tls::install_crypto_provider();
    let listener = handshake::bind_loopback((0, 0)).await?;
    let addr = listener.local_addr().map_err(LaunchError::Bind)?;
    let value = handshake::reattach_value(PROVIDER_ADDRESS, addr, std::process::id());
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n\tTF_REATTACH_PROVIDERS='{value}'\n"
    )
    .and_then(|_| stdout.flush())
    .map_err(LaunchError::Stdout)?;
    drop(stdout);

    let shutdown = CancellationToken::new();
    let on_ctrl_c = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_ctrl_c.cancel();
    });
    serve_until_shutdown(listener, None, shutdown, false).await
}

async fn serve_until_shutdown(
    listener: tokio::net::TcpListener,
    tls_config: Option<Arc<rustls::ServerConfig>>,
    shutdown: CancellationToken,
    honour_controller_shutdown: bool,
) -> Result<(), LaunchError> {
    let provider = ProviderService::new();
    let serving = server::serve(
        listener,
        tls_config,
        provider,
        shutdown.clone(),
        honour_controller_shutdown,
    );
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => return result.map_err(LaunchError::from),
        _ = shutdown.cancelled() => {}
    }
    // Terraform may keep its connection open after Shutdown; don't wait on it forever.
    match tokio::time::timeout(SHUTDOWN_GRACE, serving).await {
        Ok(result) => result.map_err(LaunchError::from),
        Err(_) => Ok(()),
    }
}
