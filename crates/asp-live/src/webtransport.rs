//! A live stream of `asp-encode --serve` over WebTransport (`https://`),
//! with the `wtransport` client (the crate asp-server serves with).
//!
//! The session is `https://HOST:PORT/asp/wt` (asp-server's `wt::PATH`).
//! The server opens one unidirectional stream per keyframe run, whole ASP
//! packets back to back, and finishes it when the next keyframe opens the
//! next one; a viewer reads the streams in the order they open. S-packets
//! go back as datagrams. The session closes with code 0 at the end of the
//! stream.
//!
//! The server's certificate is verified, never skipped: against the
//! SHA-256 hash in the URL's fragment, as `asp-encode --serve` prints it
//! for browsers (`#sha256=HEX`, WebTransport's `serverCertificateHashes`),
//! else against `ca=` or the system's roots.
//!
//! The reader is synchronous: a single-threaded tokio runtime runs each
//! wait to completion or to its deadline.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wtransport::endpoint::endpoint_side::Client;
use wtransport::error::ConnectionError;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint, RecvStream, VarInt};

use crate::{Live, Polled};
use crate::websocket::roots;

/// asp-server's WebTransport session path, used when the URL names none.
pub const DEFAULT_PATH: &str = "/asp/wt";

/// QUIC keep-alives: the server drops a session it has heard nothing from.
const KEEP_ALIVE: Duration = Duration::from_secs(2);

/// An open WebTransport viewer.
pub struct WtSource {
    runtime: tokio::runtime::Runtime,
    connection: Connection,
    /// The keyframe run being read.
    stream: Option<RecvStream>,
    buf: Vec<u8>,
    _endpoint: Endpoint<Client>,
}

/// The 32 bytes of a `sha256=` fragment's 64 hex digits.
fn certificate_hash(fragment: &str) -> Result<[u8; 32], String> {
    let hex = fragment.strip_prefix("sha256=").ok_or_else(|| {
        format!("the URL fragment must be sha256=HEX (64 hex digits), got {fragment:?}")
    })?;
    let bad = || format!("sha256= must be 64 hex digits, got {hex:?}");
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// The client configuration: pinned hash, `ca`, or the system's roots.
fn client_config(hash: Option<[u8; 32]>, ca: Option<&Path>) -> Result<ClientConfig, String> {
    let builder = ClientConfig::builder().with_bind_default();
    let builder = match (hash, ca) {
        (Some(hash), _) => builder.with_server_certificate_hashes([Sha256Digest::new(hash)]),
        (None, Some(ca)) => {
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_protocol_versions(&[&rustls::version::TLS13])
                .map_err(|e| format!("TLS setup: {e}"))?
                .with_root_certificates(roots(Some(ca))?)
                .with_no_client_auth();
            tls.alpn_protocols = vec![wtransport::tls::WEBTRANSPORT_ALPN.to_vec()];
            builder.with_custom_tls(tls)
        }
        (None, None) => builder.with_native_certs(),
    };
    Ok(builder.keep_alive_interval(Some(KEEP_ALIVE)).build())
}

impl WtSource {
    /// Connects to `url` (https://...[#sha256=HEX]) within `timeout`.
    pub fn connect(
        url: &str,
        ca: Option<&Path>,
        timeout: Option<Duration>,
    ) -> Result<WtSource, String> {
        let (address, fragment) = match url.split_once('#') {
            Some((a, f)) => (a, Some(f)),
            None => (url, None),
        };
        let hash = fragment.map(certificate_hash).transpose()?;
        if hash.is_some() && ca.is_some() {
            return Err("give the certificate's sha256= hash or ca=, not both".to_string());
        }
        let config = client_config(hash, ca)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the WebTransport runtime: {e}"))?;
        let (endpoint, connection) = runtime.block_on(async {
            let endpoint =
                Endpoint::client(config).map_err(|e| format!("cannot open a UDP socket: {e}"))?;
            let connecting = endpoint.connect(address);
            let connected = match timeout {
                Some(t) => tokio::time::timeout(t, connecting).await.map_err(|_| {
                    format!(
                        "{url}: no WebTransport session within {:.1} s",
                        t.as_secs_f64()
                    )
                })?,
                None => connecting.await,
            };
            let connection = connected
                .map_err(|e| format!("WebTransport session with {address} failed: {e}"))?;
            Ok::<_, String>((endpoint, connection))
        })?;
        Ok(WtSource {
            runtime,
            connection,
            stream: None,
            buf: vec![0; 64 << 10],
            _endpoint: endpoint,
        })
    }
}

/// The next bytes of the keyframe runs, in the order the streams opened.
async fn next_bytes(
    connection: &Connection,
    stream: &mut Option<RecvStream>,
    buf: &mut [u8],
) -> Result<Polled, String> {
    loop {
        let current = match stream {
            Some(current) => current,
            None => match connection.accept_uni().await {
                Ok(opened) => stream.insert(opened),
                Err(ConnectionError::ApplicationClosed(close)) => {
                    return Ok(Polled::Closed {
                        normal: close.code() == VarInt::from_u32(0),
                        why: format!(
                            "closed by the server ({}): {}",
                            close.code(),
                            String::from_utf8_lossy(close.reason())
                        ),
                    })
                }
                Err(ConnectionError::LocallyClosed) => {
                    return Ok(Polled::Closed {
                        normal: true,
                        why: "closed".to_string(),
                    })
                }
                Err(e) => return Err(format!("connection lost: {e}")),
            },
        };
        match current.read(buf).await {
            Ok(Some(n)) => return Ok(Polled::Bytes(buf[..n].to_vec())),
            // The run is over (finished), or the server gave up on it (reset):
            // a packet it cut short is reported as damage by the reader.
            Ok(None) | Err(_) => *stream = None,
        }
    }
}

impl Live for WtSource {
    fn poll(&mut self, wait: Duration) -> Result<Polled, String> {
        let WtSource {
            runtime,
            connection,
            stream,
            buf,
            ..
        } = self;
        runtime.block_on(async {
            match tokio::time::timeout(wait, next_bytes(connection, stream, buf)).await {
                Ok(polled) => polled,
                Err(_) => Ok(Polled::Idle),
            }
        })
    }

    fn send(&mut self, packet: &[u8]) -> Result<(), String> {
        self.connection
            .send_datagram(packet)
            .map_err(|e| format!("sending a keyframe request failed: {e}"))
    }

    fn close(&mut self) {
        self.connection.close(VarInt::from_u32(0), b"viewer closed");
    }
}
