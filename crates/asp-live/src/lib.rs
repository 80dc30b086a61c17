//! The viewer side of `asp-encode --serve` (asp-server): a live stream
//! over WebSocket (`ws://`, `wss://`) or WebTransport (`https://`), as
//! blocking clients that tools and bindings poll ([`Live`]). libasp's
//! `open()` and asp-play read live streams through it.
//!
//! TLS is always verified: against the system's roots, a CA file, or, for
//! WebTransport, the certificate hash `asp-encode --serve` prints
//! (`#sha256=HEX`).

mod live;
pub mod websocket;
pub mod webtransport;

use std::path::Path;
use std::time::Duration;

pub use live::{Live, Polled};

/// Whether `name` is a URL this crate connects to (`ws://`, `wss://`,
/// `https://`, any case).
pub fn is_live_url(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["ws://", "wss://", "https://"].iter().any(|scheme| lower.starts_with(scheme))
}

/// Connects to a live stream: `https://` is WebTransport (the session path
/// `/asp/wt` when the URL names none), `ws://` and `wss://` WebSocket
/// (`/asp/ws`). `ca`: trust this PEM file instead of the system's roots;
/// `timeout`: for the connection; `max_packet`: the largest WebSocket
/// message accepted, in bytes.
pub fn connect(
    url: &str,
    ca: Option<&Path>,
    timeout: Option<Duration>,
    max_packet: usize,
) -> Result<(Box<dyn Live>, String), String> {
    if url.to_ascii_lowercase().starts_with("https://") {
        let url = websocket::with_default_path(url, webtransport::DEFAULT_PATH)?;
        let source = webtransport::WtSource::connect(&url, ca, timeout)?;
        Ok((Box::new(source), url))
    } else {
        let url = websocket::with_default_path(url, websocket::DEFAULT_PATH)?;
        let source = websocket::WsSource::connect(&url, ca, timeout, max_packet)?;
        Ok((Box::new(source), url))
    }
}
