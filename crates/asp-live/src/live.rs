//! What the reader needs of a live transport (WebSocket or WebTransport):
//! wait a little for the next bytes, send an S-packet back, close.

use std::time::Duration;

/// What one poll found.
pub enum Polled {
    /// Stream bytes: one packet (WebSocket) or a piece of a keyframe run
    /// (WebTransport).
    Bytes(Vec<u8>),
    /// Nothing within the wait.
    Idle,
    /// The server ended the session: `normal` for an end of stream, else
    /// `why` says what happened.
    Closed { normal: bool, why: String },
}

/// A connected live stream. Every call blocks for at most the wait it is
/// given (a binding releases its interpreter's lock around it).
pub trait Live: Send + Sync {
    /// Waits up to `wait` for the next bytes.
    fn poll(&mut self, wait: Duration) -> Result<Polled, String>;
    /// Sends one S-packet (a keyframe request) to the server.
    fn send(&mut self, packet: &[u8]) -> Result<(), String>;
    /// Ends the session politely (best effort).
    fn close(&mut self);
}
