//! A live stream of `asp-encode --serve` over WebSocket (`ws://`) or
//! WebSocket over TLS (`wss://`, behind a TLS-terminating proxy).
//!
//! The server's endpoint is `/asp/ws` (asp-server's `WS_PATH`): each binary
//! message it sends is exactly one whole ASP packet (the current keyframe
//! run first, then live packets); a viewer may send S-packets back (here:
//! a keyframe request after a loss). The server pings every few seconds and
//! drops a viewer that stays silent; tungstenite answers pings while it
//! reads, so a reader that keeps reading stays connected.
//!
//! TLS is rustls: the certificate must verify against the system's roots,
//! or against the PEM file given as `ca=` (for a private CA or a
//! self-signed certificate). Verification is never turned off.
//!
//! Everything here blocks; the caller polls with a short wait so that it
//! sees an interrupt between polls (Ctrl-C in Python, a closed window).

use std::io::{self, ErrorKind};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Connector, Message, WebSocket};

use crate::{Live, Polled};

/// asp-server's WebSocket endpoint, used when the URL names no path.
pub const DEFAULT_PATH: &str = "/asp/ws";

/// What went wrong, in words (Python raises it as `libasp.StreamError`).
pub type WsError = String;

/// An open WebSocket viewer.
pub struct WsSource {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    /// The same socket, to change its read timeout.
    tcp: TcpStream,
    /// The URL connected to, for messages.
    pub url: String,
}

/// `url` with `path` (the server's endpoint) when it names none.
pub fn with_default_path(url: &str, path: &str) -> Result<String, WsError> {
    let (url, fragment) = match url.split_once('#') {
        Some((u, f)) => (u, format!("#{f}")),
        None => (url, String::new()),
    };
    let uri: tungstenite::http::Uri = url
        .parse()
        .map_err(|e| format!("not a URL: {url:?} ({e})"))?;
    if matches!(uri.path(), "" | "/") && uri.query().is_none() {
        Ok(format!("{}{path}{fragment}", url.trim_end_matches('/')))
    } else {
        Ok(format!("{url}{fragment}"))
    }
}

/// The trust roots: the PEM certificates in `ca`, or the system's.
pub fn roots(ca: Option<&Path>) -> Result<RootCertStore, WsError> {
    let mut store = RootCertStore::empty();
    match ca {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("ca={}: {e}", path.display()))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("ca={}: {e}", path.display()))?;
                store.add(cert).map_err(|e| {
                    format!("ca={}: not a usable CA certificate: {e}", path.display())
                })?;
            }
            if store.is_empty() {
                return Err(format!(
                    "ca={}: no PEM certificate in the file",
                    path.display()
                ));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(found.certs);
            if store.is_empty() {
                return Err(
                    "no trusted root certificates found on this system; pass ca= (a PEM file)"
                        .to_string(),
                );
            }
        }
    }
    Ok(store)
}

/// The TLS connector for `wss://`, verifying against `ca` or the system.
fn tls_connector(ca: Option<&Path>) -> Result<Connector, WsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_root_certificates(roots(ca)?)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(config)))
}

/// A TCP connection to `host:port`, each address tried within `timeout`.
fn tcp_connect(host: &str, port: u16, timeout: Option<Duration>) -> Result<TcpStream, WsError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = (bare, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let mut last = format!("{host} has no address");
    for address in addresses {
        let attempt = match timeout {
            Some(t) => TcpStream::connect_timeout(&address, t),
            None => TcpStream::connect(address),
        };
        match attempt {
            Ok(stream) => return Ok(stream),
            Err(e) => last = format!("cannot connect to {address}: {e}"),
        }
    }
    Err(last)
}

impl WsSource {
    /// Connects to `url` (ws:// or wss://) and completes the handshake
    /// within `timeout` (None: no limit). Messages larger than
    /// `max_message` bytes end the connection.
    pub fn connect(
        url: &str,
        ca: Option<&Path>,
        timeout: Option<Duration>,
        max_message: usize,
    ) -> Result<WsSource, WsError> {
        let request = url
            .into_client_request()
            .map_err(|e| format!("not a WebSocket URL: {url:?} ({e})"))?;
        let uri = request.uri().clone();
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            other => return Err(format!("not a ws:// or wss:// URL: {other:?}")),
        };
        if !secure && ca.is_some() {
            return Err("ca= is for wss:// URLs; this one is ws:// (no TLS)".to_string());
        }
        let host = uri.host().ok_or_else(|| format!("no host in {url:?}"))?;
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let tcp = tcp_connect(host, port, timeout)?;
        let control = tcp.try_clone().map_err(|e| format!("socket: {e}"))?;
        // The handshake waits at most `timeout` for each read and write.
        control
            .set_read_timeout(timeout)
            .and_then(|()| control.set_write_timeout(timeout))
            .and_then(|()| control.set_nodelay(true))
            .map_err(|e| format!("socket: {e}"))?;
        let connector = if secure {
            tls_connector(ca)?
        } else {
            Connector::Plain
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(max_message))
            .max_frame_size(Some(max_message));
        let (socket, _response) =
            tungstenite::client_tls_with_config(request, tcp, Some(config), Some(connector))
                .map_err(|e| {
                    let what = if secure {
                        "TLS or WebSocket handshake"
                    } else {
                        "WebSocket handshake"
                    };
                    format!("{what} with {url} failed: {e}")
                })?;
        Ok(WsSource {
            socket,
            tcp: control,
            url: url.to_string(),
        })
    }
}

impl Live for WsSource {
    /// Waits up to `wait` for the next packet.
    fn poll(&mut self, wait: Duration) -> Result<Polled, WsError> {
        self.tcp
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
            .map_err(|e| format!("socket: {e}"))?;
        loop {
            match self.socket.read() {
                Ok(Message::Binary(bytes)) => return Ok(Polled::Bytes(bytes.to_vec())),
                Ok(Message::Close(frame)) => {
                    let (normal, why) = match frame {
                        Some(f) => (
                            u16::from(f.code) == 1000,
                            format!("closed by the server ({}): {}", u16::from(f.code), f.reason),
                        ),
                        None => (true, "closed by the server".to_string()),
                    };
                    return Ok(Polled::Closed { normal, why });
                }
                Ok(Message::Text(_)) => {
                    return Err(format!(
                        "{}: the server sent a text message; an ASP endpoint sends binary packets",
                        self.url
                    ))
                }
                Ok(_) => continue, // pings (answered by tungstenite), pongs
                Err(tungstenite::Error::Io(e)) if timed_out(&e) => return Ok(Polled::Idle),
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(Polled::Closed {
                        normal: true,
                        why: "closed".to_string(),
                    })
                }
                Err(e) => return Err(format!("{}: connection lost: {e}", self.url)),
            }
        }
    }

    /// Sends one binary message (an S-packet).
    fn send(&mut self, bytes: &[u8]) -> Result<(), WsError> {
        self.socket
            .send(Message::Binary(bytes.to_vec().into()))
            .or_else(|e| match e {
                tungstenite::Error::Io(e) if timed_out(&e) => Ok(()), // queued; flushed by the next read
                e => Err(e),
            })
            .map_err(|e| format!("{}: sending failed: {e}", self.url))
    }

    /// Closes the connection politely (best effort: the stream is being
    /// dropped either way).
    fn close(&mut self) {
        let _ = self.tcp.set_read_timeout(Some(Duration::from_millis(200)));
        let _ = self.socket.close(None);
        let _ = self.socket.flush();
    }
}

/// A wait that ended without data: the read timeout, or a signal (the
/// caller then lets Python run its handler, e.g. raise KeyboardInterrupt).
fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
    )
}
