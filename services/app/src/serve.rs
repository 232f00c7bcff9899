//! The HTTP server loop: hyper's HTTP/1 connection with limits that
//! `axum::serve` does not set. A client must send a request's headers within
//! [`HEADER_TIMEOUT`] of opening the connection or of its previous answer
//! (so a slowloris sender and an idle keep-alive connection are closed), at
//! most `max_connections` connections are served at once (more wait in the
//! kernel's listen queue), and each request carries the client's address
//! ([`ClientIp`]: the peer, or behind a trusted proxy the address it
//! forwarded) for the per-address limits and the sign-in audit.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use jobmatch_core::client::{self, Cidr, ClientIp};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Time allowed for a request's headers, and for an idle kept-alive connection.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long in-flight requests may run on after shutdown is asked for.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Serve `app` on `listener` until `shutdown` resolves, then let in-flight
/// requests finish (up to 30 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    trusted_proxies: Vec<Cidr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let permits = Arc::new(Semaphore::new(max_connections));
    let trusted: Arc<[Cidr]> = trusted_proxies.into();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let trusted = trusted.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            let client = ClientIp(client::resolve(peer.ip(), req.headers(), &trusted));
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(client);
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).keep_alive(true);
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Errors here are the client's (reset, timed out headers).
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("in-flight requests still running after 30 s: closing them");
    }
    Ok(())
}
