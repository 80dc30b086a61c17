//! ASP over Media over QUIC: an encoder publishes its packet stream to a
//! `moq-relay` (or a cluster of them), players subscribe through any relay.
//!
//! The mapping (docs/scaling.md chose it):
//!
//! | ASP | MoQ |
//! |---|---|
//! | a stream | broadcast `NAME` (the last segment of the URL's path) |
//! | the picture | track [`VIDEO_TRACK`] |
//! | the picture at another bitrate (`--rendition`) | track `video-600k` ([`rendition_track`]), its groups at the same frames with the same ids |
//! | keyframe run (or intra-refresh start) | one group, its id the wall-clock time it opened (ms since the Unix epoch) |
//! | one ASP packet (I, D, or the C-packet after its frame) | one object, bytes unchanged |
//! | `/asp/session`'s stream facts | track [`CATALOG_TRACK`], one JSON object ([`Catalog`]) |
//! | EndOfStream | the tracks finish |
//!
//! A group starts only where a decoder can join, so a subscriber that
//! starts at the newest group (what the relays serve a joiner) decodes at
//! once, and a relay dropping old groups for a slow subscriber drops whole
//! keyframe runs, never a frame inside one.
//!
//! Group ids come from the wall clock, not from packet sequence numbers: a
//! standby encoder taking over a broadcast name starts its sequence at 0,
//! but opens its groups later, so they sort after the dead encoder's (a
//! player drops groups older than one it played) on any machines whose
//! clocks agree to within a keyframe run.
//!
//! The connection to the relay is moq-tokio's: it redials with exponential
//! backoff (1 s, doubling) when the relay goes away, and the broadcast is
//! announced again on the new session. Its QUIC sessions time out after 3 s
//! without a packet (keep-alives every 0.8 s), so a publisher killed outright
//! gives way to a standby on the same name that soon.
//!
//! TLS is verified, always: against the system roots, or against the CA
//! files in [`ClientOptions::tls_ca`] (a test CA, or a private one) instead.

mod blocking;
mod catalog;
mod error;
mod publish;
mod subscribe;
mod url;

pub use blocking::SubscriptionReader;
pub use catalog::{rendition_track, Catalog, Rendition};
pub use error::Error;
pub use publish::{Publisher, PublisherStats, Sent};
pub use subscribe::{Object, Subscriber};
pub use url::RelayUrl;

use std::path::PathBuf;

/// The track carrying the ASP packets.
pub const VIDEO_TRACK: &str = "video";
/// The track carrying the stream facts ([`Catalog`], JSON).
pub const CATALOG_TRACK: &str = "catalog";

/// How long a session with no packet from the peer lives. QUIC takes the
/// smaller of both ends' timeouts, so the relay honours it: a publisher
/// killed outright (it sends no close) leaves its route at the origin this
/// long, and a standby encoder on the same name takes over after it (the
/// relay's own default, 10 s, would hold the stream that much longer).
/// Likewise a subscriber notices a dead relay this soon.
const QUIC_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
/// Keep-alive pings, under a third of [`QUIC_IDLE_TIMEOUT`]: a live but quiet
/// session (a stream between groups, a machine under load) never reaches it.
const QUIC_KEEP_ALIVE: std::time::Duration = std::time::Duration::from_millis(800);

/// How to reach a relay.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// PEM files of the certificate authorities to trust instead of the
    /// system roots (e.g. the test CA of `tools/moq/relay.sh`).
    pub tls_ca: Vec<PathBuf>,
}

impl ClientOptions {
    /// `--tls-ca FILE` if given, else the `ASP_MOQ_TLS_CA` environment
    /// variable (a path), else the system roots.
    pub fn from_flag_or_env(flag: Option<PathBuf>) -> ClientOptions {
        let ca = flag.or_else(|| std::env::var_os("ASP_MOQ_TLS_CA").map(PathBuf::from));
        ClientOptions {
            tls_ca: ca.into_iter().collect(),
        }
    }

    /// A moq-tokio client that verifies the relay's certificate against
    /// these roots and redials with backoff.
    fn client(&self) -> Result<moq_tokio::Client, Error> {
        // The process-wide rustls provider (ring, this crate's feature); it
        // fails harmlessly when another part of the process installed one.
        let _ = moq_tokio::crypto::install_default();
        let mut config = moq_tokio::connect::Config::default();
        for ca in &self.tls_ca {
            if !ca.is_file() {
                return Err(Error::TlsCa(ca.clone()));
            }
        }
        config.tls.root = self.tls_ca.clone();
        let mut quic = moq_tokio::quic::Config::default();
        quic.idle_timeout = QUIC_IDLE_TIMEOUT;
        quic.keep_alive = QUIC_KEEP_ALIVE;
        config.init(quic).map_err(Error::Client)
    }
}
