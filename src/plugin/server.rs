//! The gRPC server: the provider service plus go-plugin's controller, stdio and health services,
//! over plaintext or AutoMTLS connections.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::server::{Connected, TcpIncoming};
use tonic::{Request, Response, Status};

use super::proto::go_plugin::{
    self, grpc_controller_server::GrpcController, grpc_controller_server::GrpcControllerServer,
    grpc_stdio_server::GrpcStdio, grpc_stdio_server::GrpcStdioServer,
};
use super::proto::tfplugin6::provider_server::{Provider, ProviderServer};

/// Terraform sends whole states and schemas in single messages; don't cap them at tonic's 4 MiB.
const MAX_MESSAGE_BYTES: usize = i32::MAX as usize;
/// A TLS handshake that takes longer than this is abandoned.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            router.serve_with_incoming_shutdown(incoming, signal).await
        }
        Some(config) => {
            let incoming = tls_incoming(listener, TlsAcceptor::from(config), shutdown);
            router.serve_with_incoming_shutdown(incoming, signal).await
        }
    }
}

/// Accepts TCP connections and yields only those whose mutual-TLS handshake succeeded, each
/// handshake in its own task so one slow client cannot hold up the others.
fn tls_incoming(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shutdown: CancellationToken,
) -> impl Stream<Item = Result<TlsConnection, std::io::Error>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            let (tcp, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accepting a plugin connection failed");
                    continue;
                }
            };
            set_nodelay(&tcp);
            let acceptor = acceptor.clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = sender.send(Ok(TlsConnection(stream))).await;
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

/// Turns off Nagle's algorithm. gRPC answers are small writes that Terraform waits for; with
/// Nagle on, one can sit behind the peer's delayed ACK for ~40 ms. Before this, `make bench`
/// saw ~40 ms added to most RPCs (GetProviderSchema, ConfigureProvider, each ReadResource…).
fn set_nodelay(tcp: &TcpStream) {
    if let Err(error) = tcp.set_nodelay(true) {
        tracing::debug!(%error, "could not set TCP_NODELAY on a plugin connection");
    }
}

/// A server-side TLS stream that tonic can serve.
pub struct TlsConnection(tokio_rustls::server::TlsStream<TcpStream>);

impl Connected for TlsConnection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConnection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConnection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
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
}
