//! What can go wrong talking to a relay.

use std::path::PathBuf;

/// Errors of the MoQ side.
#[derive(Debug)]
pub enum Error {
    /// The relay URL is not `https://HOST:PORT/NAME` (optionally `moq+https://`).
    Url(String),
    /// A `--tls-ca` file that does not exist.
    TlsCa(PathBuf),
    /// The MoQ client could not be built or could not connect.
    Client(moq_tokio::Error),
    /// The MoQ model refused an operation (a closed track, a duplicate group).
    Moq(moq_net::Error),
    /// A packet that does not parse: it is never published.
    Packet(asp_core::PacketError),
    /// The catalog is not the JSON this crate writes.
    Catalog(String),
    /// A capture time past what a QUIC varint holds (2^62 µs).
    Time(u64),
    /// A publisher finished without ever having had a session with this
    /// relay: nothing it sent was published.
    NeverConnected(url::Url),
    /// A publisher lost this relay and had no session at its end: the
    /// stream's end (and what was sent since the loss) never reached it.
    EndUndelivered(url::Url),
    /// No async runtime to run the connection on.
    Runtime(std::io::Error),
    /// A packet for a rendition the publisher has no track for.
    NoRendition { rendition: usize, tracks: usize },
    /// A subscription to a track the catalog does not list (the track
    /// asked for, the ones it lists).
    NoTrack { track: String, listed: Vec<String> },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Url(why) => write!(f, "relay URL: {why}"),
            Error::TlsCa(path) => write!(f, "TLS CA file {} does not exist", path.display()),
            Error::Client(e) => write!(f, "relay connection: {e}"),
            Error::Moq(e) => write!(f, "MoQ: {e}"),
            Error::Packet(e) => write!(f, "packet: {e}"),
            Error::Catalog(why) => write!(f, "catalog: {why}"),
            Error::Time(us) => write!(f, "capture time {us} µs does not fit MoQ's timestamps"),
            Error::NeverConnected(url) => {
                write!(
                    f,
                    "no session with the relay {url} ever came up: nothing was published"
                )
            }
            Error::EndUndelivered(url) => write!(
                f,
                "the relay {url} was away at the stream's end: the end was not delivered"
            ),
            Error::Runtime(e) => write!(f, "async runtime: {e}"),
            Error::NoRendition { rendition, tracks } => write!(
                f,
                "no rendition {rendition}: the broadcast has {tracks} video track(s)"
            ),
            Error::NoTrack { track, listed } => write!(
                f,
                "the catalog lists no track '{track}' (it lists {})",
                listed.join(", ")
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<moq_net::Error> for Error {
    fn from(e: moq_net::Error) -> Error {
        Error::Moq(e)
    }
}
