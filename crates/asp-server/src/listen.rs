//! The TCP accept loop of the HTTP + WebSocket listener, with the limits
//! of [`TransportLimits`]: connection caps (total and per address), a
//! deadline for each request head, a cap on its size, and an idle timeout
//! for exchanges in which nothing moves.
//!
//! With a certificate, every connection is TLS (HTTPS, WSS); the handshake
//! counts against the request head's deadline.
//!
//! The loop itself only accepts, counts and spawns: a connection over a cap
//! is closed at once, and all reading happens in the connection's own task,
//! so a slow or silent client never holds up the next accept. Because the
//! caps keep the open sockets below the open-file limit (raised at start,
//! [`raise_open_file_limit`]), accepting does not run into EMFILE under a
//! flood; if it still fails, the loop backs off for a few milliseconds only.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tower_service::Service;
use tracing::{debug, warn};

use crate::config::TransportLimits;

/// How long the accept loop waits after a failed accept (out of file
/// descriptors or memory) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(20);

/// File descriptors kept free for everything that is not an HTTP
/// connection (the WebTransport socket, static files being served, logs).
const RESERVED_FDS: u64 = 64;

pub use crate::hub::address_key;

/// Raises the soft open-file limit to the hard limit, and returns the
/// number of HTTP connections that leaves room for (`wanted` at most).
pub fn raise_open_file_limit(wanted: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            warn!(error = %e, "cannot read or raise the open-file limit");
            return wanted;
        }
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED_FDS)).unwrap_or(usize::MAX).max(1);
    if room < wanted {
        warn!(open_file_limit = limit, max_connections = room, "the open-file limit caps the connections");
    }
    wanted.min(room)
}

/// The open TCP connections, counted in total and per address.
#[derive(Debug)]
pub struct Connections {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
    refused: AtomicU64,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// Holds one connection's place in the counts until dropped.
#[derive(Debug)]
pub struct ConnectionGuard {
    connections: Arc<Connections>,
    key: IpAddr,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut counts = self.connections.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_address.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.per_address.remove(&self.key);
            }
        }
    }
}

impl Connections {
    pub fn new(max_total: usize, max_per_address: usize) -> Arc<Connections> {
        Arc::new(Connections { max_total, max_per_address, counts: Mutex::default(), refused: AtomicU64::new(0) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().total
    }

    /// Connections closed at once because a cap was reached.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// A place for a connection from `ip`, if both caps allow it.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionGuard> {
        let key = address_key(ip);
        let mut counts = self.lock();
        let from_address = counts.per_address.get(&key).copied().unwrap_or(0);
        if counts.total >= self.max_total || from_address >= self.max_per_address {
            drop(counts);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        counts.total += 1;
        counts.per_address.insert(key, from_address + 1);
        Some(ConnectionGuard { connections: Arc::clone(self), key })
    }
}

/// When a byte last moved on a connection, in milliseconds since it opened.
struct Activity {
    opened: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        self.opened.elapsed().saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// A TCP stream that notes its progress and holds its place in the
/// connection counts for as long as it lives (also after a WebSocket
/// upgrade, which takes the stream over).
struct TrackedStream {
    tcp: TcpStream,
    activity: Arc<Activity>,
    _place: ConnectionGuard,
}

impl AsyncRead for TrackedStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.tcp).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.tcp).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.tcp).poll_write_vectored(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Accepts connections on `listener` and serves `app` on each, forever;
/// over TLS when `tls` is given (the handshake must be done within the
/// request head's deadline). `tune` is applied to each accepted socket
/// (no-delay, buffer sizes).
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: TransportLimits,
    connections: Arc<Connections>,
    tls: Option<TlsAcceptor>,
    tune: impl Fn(&TcpStream) + Send + 'static,
) -> io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        // hyper's floor for its read buffer is 8 KiB.
        .max_buf_size(limits.max_header_bytes.max(8192));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Per-connection failures (reset before accept) are not
                // worth a pause; running out of descriptors or memory is.
                if !matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
                continue;
            }
        };
        let Some(place) = connections.admit(peer.ip()) else {
            debug!(%peer, "connection refused: too many open");
            continue;
        };
        tune(&tcp);
        let activity = Arc::new(Activity { opened: Instant::now(), last_ms: AtomicU64::new(0) });
        let stream = TrackedStream { tcp, activity: Arc::clone(&activity), _place: place };
        let (http, app, idle_timeout) = (http.clone(), app.clone(), limits.idle_timeout);
        match &tls {
            None => {
                tokio::spawn(serve_connection(http, stream, activity, peer, app, idle_timeout));
            }
            Some(tls) => {
                let (tls, handshake_timeout) = (tls.clone(), limits.header_read_timeout);
                tokio::spawn(async move {
                    match tokio::time::timeout(handshake_timeout, tls.accept(stream)).await {
                        Ok(Ok(stream)) => serve_connection(http, stream, activity, peer, app, idle_timeout).await,
                        Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => debug!(%peer, "TLS handshake not done in time; closing"),
                    }
                });
            }
        }
    }
}

async fn serve_connection<S>(
    http: hyper::server::conn::http1::Builder,
    stream: S,
    activity: Arc<Activity>,
    peer: SocketAddr,
    app: axum::Router,
    idle_timeout: Duration,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let mut app = app.clone();
        async move { app.call(request).await }
    });
    // The future ends when the connection closes, or when a WebSocket
    // upgrade takes the stream over (the session has its own timeouts).
    let connection = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(connection);
    let mut check = tokio::time::interval(idle_timeout / 4);
    loop {
        tokio::select! {
            result = &mut connection => {
                if let Err(e) = result {
                    debug!(%peer, error = %e, "HTTP connection ended with an error");
                }
                return;
            }
            _ = check.tick() => {
                if activity.idle_for() >= idle_timeout {
                    debug!(%peer, "HTTP connection idle; closing it");
                    return;
                }
            }
        }
    }
}

/// The peer address of a request served by [`serve`] (None when the router
/// runs elsewhere, e.g. in a test without sockets).
pub struct PeerAddress(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddress(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_address_and_free_on_drop() {
        let connections = Connections::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = connections.admit(a).unwrap();
        let _second = connections.admit(a).unwrap();
        assert!(connections.admit(a).is_none(), "per-address cap");
        let _third = connections.admit(b).unwrap();
        assert!(connections.admit(b).is_none(), "total cap");
        drop(first);
        assert!(connections.admit(a).is_some(), "a closed connection frees its place");
        assert_eq!(connections.refused(), 2);
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_bit_prefix() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(one), address_key(other));
        assert_ne!(address_key(one), address_key(elsewhere));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(address_key(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
