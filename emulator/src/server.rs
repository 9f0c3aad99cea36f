//! The HTTP/1.1 server: accepts connections on the caller's listener, routes each request to the
//! admin API, the ECS metadata service or the RPC pipeline, drops connections with a TCP reset when
//! a fault says so, and drains gracefully when the shutdown future completes.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};
use tokio::task::{JoinHandle, JoinSet};

use crate::config::Config;
use crate::reply::{HttpReply, Reply};
use crate::store::Store;
use crate::wire::RpcRequest;
use crate::{admin, api, metadata};

/// Largest request body accepted.
const MAX_BODY_BYTES: usize = 1024 * 1024;
/// How long in-flight requests may take to finish after shutdown is requested.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves the emulator on `listener` until `shutdown` completes, then drains open connections.
///
/// Fails only when the state file cannot be loaded.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let store = Store::open(&config)?;
    serve_store(listener, store, shutdown).await;
    Ok(())
}

/// An emulator serving on a loopback port in a background task.
pub struct Running {
    addr: SocketAddr,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the endpoint to give clients.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the server to end.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "emulator task ended abnormally");
        }
    }
}

/// Binds `127.0.0.1:0` and serves `config` in a tokio task. Dropping the handle also stops it.
pub async fn start(config: Config) -> io::Result<Running> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let store = Store::open(&config)?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_store(listener, store, async move {
        let _ = rx.await;
    }));
    Ok(Running {
        addr,
        shutdown: tx,
        task,
    })
}

async fn serve_store(
    listener: TcpListener,
    store: Store,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (drain_tx, drain_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(stream, store.clone(), drain_rx.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and similar: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = drain_tx.send(true);
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
}

/// Per-connection switch a handler flips to have the connection reset.
#[derive(Default)]
struct ConnControl {
    reset: AtomicBool,
    notify: Notify,
}

impl ConnControl {
    fn trigger(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
}

async fn serve_connection(stream: TcpStream, store: Store, mut drain: watch::Receiver<bool>) {
    let control = Arc::new(ConnControl::default());
    let io = TokioIo::new(ResettableStream {
        inner: stream,
        control: Arc::clone(&control),
    });
    let service_control = Arc::clone(&control);
    let service = service_fn(move |req| {
        let store = store.clone();
        let control = Arc::clone(&service_control);
        async move { route(req, store, control).await }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = *drain.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = control.notify.notified() => return, // dropping `conn` resets the socket
            changed = drain.changed(), if !draining => {
                draining = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn route(
    req: Request<Incoming>,
    store: Store,
    control: Arc<ConnControl>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(to_response(HttpReply::text(413, "request body too large"))),
    };
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let reply = if path.starts_with("/_emulator/") {
        let refused = admin::refusal(method, &parts.uri, &parts.headers, &body);
        Reply::Http(match refused {
            Some(refusal) => refusal,
            None => admin::handle(method, path, &body, &store).await,
        })
    } else if path.starts_with("/latest/") {
        Reply::Http(metadata::handle(method, path, &parts.headers, &store).await)
    } else {
        let rpc = RpcRequest::new(
            method,
            path,
            parts.uri.query(),
            parts.headers.clone(),
            body.to_vec(),
        );
        handle_detached(rpc, store).await
    };
    match reply {
        Reply::Http(http) => Ok(to_response(http)),
        Reply::Reset => {
            control.trigger();
            std::future::pending().await
        }
    }
}

/// Handles an RPC call in its own task, so a client that hangs up (a timeout, a crash) does not
/// cancel it: like a real service, a call that arrived is carried out whether or not anyone is
/// left to read the answer. (Run inline, hyper would drop it with the connection, and tests of
/// "unknown outcome" handling would only ever see calls that never happened.)
async fn handle_detached(rpc: RpcRequest, store: Store) -> Reply {
    let call = tokio::spawn(async move { api::handle(&rpc, &store).await });
    match call.await {
        Ok(reply) => reply,
        Err(e) => {
            tracing::warn!(error = %e, "call handler ended abnormally");
            Reply::Http(HttpReply::text(500, "internal error"))
        }
    }
}

fn to_response(reply: HttpReply) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(reply.content_type),
    );
    response
}

/// A TCP stream that, when its connection was told to reset, closes with `SO_LINGER` 0 so the
/// peer sees a reset instead of an orderly close.
struct ResettableStream {
    inner: TcpStream,
    control: Arc<ConnControl>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.control.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
