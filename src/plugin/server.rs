//! The gRPC server: the provider service plus go-plugin's controller, stdio and health services,
//! over plaintext or AutoMTLS connections.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::Stream;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::proto::go_plugin::{
    self, grpc_controller_server::GrpcController, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdio, grpc_stdio_server::GrpcStdioServer,
};
use super::proto::tfplugin6::provider_server::{Provider, ProviderServer};

/// Terraform sends whole states and schemas in single messages; don't cap them at tonic's 4 MiB.
const MAX_MESSAGE_BYTES: usize = i32::MAX as usize;
/// At most this many TLS handshakes are in progress at once; further connections wait in the
/// kernel's listen backlog. Terraform opens one connection per provider process, so the bound
/// only matters when something else floods the port: then it keeps idle half-open connections
/// from taking every descriptor the process may open.
pub const MAX_TLS_HANDSHAKES: usize = 32;
/// A TLS handshake that takes longer than this is abandoned, so a client that connects and never
/// speaks holds one of the [`MAX_TLS_HANDSHAKES`] slots for this long at most.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed `accept` (typically EMFILE, out of descriptors) the loop waits this long, then
/// twice as long after each further failure up to [`ACCEPT_BACKOFF_MAX`], as go-plugin's and
/// net/http's servers do. Without a wait the listener stays readable and `accept` fails again
/// at once: a busy loop.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// While `accept` keeps failing, one log line per this interval (with the count of failures)
/// instead of one per failure.
const ACCEPT_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Serves until `shutdown` is cancelled (by `GRPCController.Shutdown` or the caller).
/// With `tls`, every connection must complete the mutual-TLS handshake first.
/// `honour_controller_shutdown` is false in `--debug` mode, where the developer, not Terraform,
/// decides when the process ends.
pub async fn serve<P: Provider>(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    provider: P,
    shutdown: CancellationToken,
    honour_controller_shutdown: bool,
) -> Result<(), tonic::transport::Error> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let controller = Controller {
        shutdown: honour_controller_shutdown.then(|| shutdown.clone()),
    };
    let stdio = Stdio {
        shutdown: shutdown.clone(),
    };
    let router = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(controller))
        .add_service(GrpcStdioServer::new(stdio))
        .add_service(
            ProviderServer::new(provider)
                .max_decoding_message_size(MAX_MESSAGE_BYTES)
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        );
    let signal = shutdown.clone().cancelled_owned();
    match tls {
        None => {
            let incoming = plain_incoming(listener, shutdown);
            router.serve_with_incoming_shutdown(incoming, signal).await
        }
        Some(config) => {
            let incoming = tls_incoming(listener, TlsAcceptor::from(config), shutdown);
            router.serve_with_incoming_shutdown(incoming, signal).await
        }
    }
}

/// Accepts TCP connections for the plaintext server (`TF_DISABLE_PLUGIN_TLS`, `--debug`).
/// tonic's own `TcpIncoming` retries a failed accept at once, which spins at the descriptor
/// limit; this one backs off.
fn plain_incoming(
    listener: TcpListener,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<TcpStream, std::io::Error>> {
    futures::stream::unfold(
        (listener, AcceptBackoff::default(), shutdown),
        |(listener, mut backoff, shutdown)| async move {
            let (tcp, _peer) = accept_with_backoff(&listener, &mut backoff, &shutdown).await?;
            set_nodelay(&tcp);
            Some((Ok(tcp), (listener, backoff, shutdown)))
        },
    )
}

/// Accepts TCP connections and yields only those whose mutual-TLS handshake succeeded, each
/// handshake in its own task so one slow client cannot hold up the others, and at most
/// [`MAX_TLS_HANDSHAKES`] of them at once. tonic serves the rustls streams as they are (its
/// `tls-connect-info` feature); the client certificate was already checked by `acceptor`.
fn tls_incoming(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<TlsStream<TcpStream>, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    let handshakes = Arc::new(Semaphore::new(MAX_TLS_HANDSHAKES));
    tokio::spawn(async move {
        let mut backoff = AcceptBackoff::default();
        loop {
            // The slot is taken before accepting, so when all are busy new connections wait in
            // the listen backlog and cost the process no descriptor.
            let slot = tokio::select! {
                _ = shutdown.cancelled() => break,
                slot = Arc::clone(&handshakes).acquire_owned() => slot,
            };
            // Only a closed semaphore fails, and this one is never closed.
            let Ok(slot) = slot else { break };
            let Some((tcp, peer)) = accept_with_backoff(&listener, &mut backoff, &shutdown).await
            else {
                break;
            };
            set_nodelay(&tcp);
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                let outcome =
                    tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await;
                // The slot bounds handshakes, not connections: free it before handing the
                // connection to tonic, which may take a while to take it.
                drop(slot);
                match outcome {
                    Ok(Ok(stream)) => {
                        let _ = sender.send(Ok(stream)).await;
                    }
                    Ok(Err(error)) => {
                        tracing::warn!(%peer, %error, "refused a plugin connection: TLS handshake failed");
                    }
                    Err(_) => {
                        tracing::warn!(%peer, "refused a plugin connection: TLS handshake timed out")
                    }
                }
            });
        }
    });
    ReceiverStream::new(receiver)
}

/// The next connection, or `None` once `shutdown` is cancelled. Failed accepts are retried
/// after [`AcceptBackoff`]'s delay and logged at most once per [`ACCEPT_ERROR_LOG_INTERVAL`].
async fn accept_with_backoff(
    listener: &TcpListener,
    backoff: &mut AcceptBackoff,
    shutdown: &CancellationToken,
) -> Option<(TcpStream, SocketAddr)> {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return None,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok(pair) => {
                if let Some(failures) = backoff.succeeded() {
                    tracing::info!(failures, "plugin connections are being accepted again");
                }
                return Some(pair);
            }
            Err(error) => {
                let (delay, report) = backoff.failed(Instant::now());
                if let Some(failures) = report {
                    tracing::warn!(
                        %error,
                        failures,
                        retry_in_ms = delay.as_millis() as u64,
                        "accepting plugin connections failed; backing off (logged at most every {} s)",
                        ACCEPT_ERROR_LOG_INTERVAL.as_secs()
                    );
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    }
}

/// The accept loop's back-off and log throttle: a pure state machine, driven with explicit
/// instants so its rules are unit-testable.
#[derive(Debug, Default)]
struct AcceptBackoff {
    /// The last wait, `None` after a success.
    delay: Option<Duration>,
    /// Failures since the last success.
    streak: u64,
    /// Failures not yet reported in a log line.
    unreported: u64,
    /// When the last log line was written during this streak.
    last_report: Option<Instant>,
}

impl AcceptBackoff {
    /// Records a failed accept: how long to wait, and `Some(count of failures since the last
    /// line)` when a log line is due.
    fn failed(&mut self, now: Instant) -> (Duration, Option<u64>) {
        let delay = match self.delay {
            None => ACCEPT_BACKOFF_FIRST,
            Some(previous) => (previous * 2).min(ACCEPT_BACKOFF_MAX),
        };
        self.delay = Some(delay);
        self.streak += 1;
        self.unreported += 1;
        let due = self
            .last_report
            .is_none_or(|last| now.duration_since(last) >= ACCEPT_ERROR_LOG_INTERVAL);
        if !due {
            return (delay, None);
        }
        self.last_report = Some(now);
        (delay, Some(std::mem::take(&mut self.unreported)))
    }

    /// Records a successful accept; `Some(failures)` when it ends a streak of failures.
    fn succeeded(&mut self) -> Option<u64> {
        let streak = std::mem::take(&mut self.streak);
        *self = AcceptBackoff::default();
        (streak > 0).then_some(streak)
    }
}

/// Turns off Nagle's algorithm. gRPC answers are small writes that Terraform waits for; with
/// Nagle on, one can sit behind the peer's delayed ACK for ~40 ms. Before this, `make bench`
/// saw ~40 ms added to most RPCs (GetProviderSchema, ConfigureProvider, each ReadResource…).
fn set_nodelay(tcp: &TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY on a plugin connection");
    }
}

/// go-plugin's controller: `Shutdown` ends the process cleanly.
struct Controller {
    shutdown: Option<CancellationToken>,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: Request<go_plugin::Empty>,
    ) -> Result<Response<go_plugin::Empty>, Status> {
        tracing::debug!("Terraform asked the plugin to shut down");
        if let Some(token) = &self.shutdown {
            token.cancel();
        }
        Ok(Response::new(go_plugin::Empty {}))
    }
}

/// go-plugin's stdio forwarding: we never write to stdout after the handshake and log to stderr
/// ourselves, so the stream stays open and silent until shutdown.
struct Stdio {
    shutdown: CancellationToken,
}

type StdioStream = Pin<Box<dyn Stream<Item = Result<go_plugin::StdioData, Status>> + Send>>;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = StdioStream;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        let shutdown = self.shutdown.clone();
        let silent = futures::stream::once(async move {
            shutdown.cancelled().await;
            None
        })
        .filter_map(|item: Option<Result<go_plugin::StdioData, Status>>| async move { item });
        Ok(Response::new(Box::pin(silent)))
    }
}

use futures::StreamExt as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_send_without_nagle_delay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        assert!(!server_side.nodelay().unwrap(), "Linux default is Nagle on");
        set_nodelay(&server_side);
        assert!(server_side.nodelay().unwrap());
        drop(client);
    }

    #[test]
    fn accept_backoff_doubles_from_5ms_to_1s_and_resets_after_a_success() {
        let mut backoff = AcceptBackoff::default();
        let now = Instant::now();
        let delays: Vec<u64> = (0..10)
            .map(|_| backoff.failed(now).0.as_millis() as u64)
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        assert_eq!(backoff.succeeded(), Some(10));
        assert_eq!(backoff.failed(now).0, ACCEPT_BACKOFF_FIRST);
        assert_eq!(backoff.succeeded(), Some(1));
        assert_eq!(backoff.succeeded(), None, "no streak to report");
    }

    #[test]
    fn accept_failures_are_logged_once_per_interval_with_their_count() {
        let mut backoff = AcceptBackoff::default();
        let start = Instant::now();
        assert_eq!(
            backoff.failed(start).1,
            Some(1),
            "the first failure is reported"
        );
        let mut reported = Vec::new();
        // 1000 failures over 4.9 s: none of them is due.
        for i in 1..=1000u32 {
            if let Some(count) = backoff
                .failed(start + Duration::from_micros(4_900 * u64::from(i)))
                .1
            {
                reported.push(count);
            }
        }
        assert!(reported.is_empty(), "{reported:?}");
        assert_eq!(
            backoff.failed(start + ACCEPT_ERROR_LOG_INTERVAL).1,
            Some(1001),
            "one line per interval, counting the failures it stands for"
        );
        assert_eq!(backoff.failed(start + ACCEPT_ERROR_LOG_INTERVAL).1, None);
        backoff.succeeded();
        let later = start + ACCEPT_ERROR_LOG_INTERVAL + Duration::from_millis(1);
        assert_eq!(
            backoff.failed(later).1,
            Some(1),
            "a new streak is reported at once"
        );
    }

    #[tokio::test]
    async fn accept_loop_stops_waiting_on_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let mut backoff = AcceptBackoff::default();
        assert!(accept_with_backoff(&listener, &mut backoff, &shutdown)
            .await
            .is_none());
    }
}
