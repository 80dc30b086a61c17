//! ASP over Media over QUIC: an encoder publishes its packet stream to a
//! `moq-relay` (or a cluster of them), players subscribe through any relay.
//!
//! The mapping (docs/scaling.md chose it):
//!
//! | ASP | MoQ |
//! |---|---|
//! | a stream | broadcast `NAME` (the last segment of the URL's path) |
//! | the picture | track [`VIDEO_TRACK`] |
//! | keyframe run (or intra-refresh start) | one group, its id the entry packet's sequence number |
//! | one ASP packet (I, D, or the C-packet after its frame) | one object, bytes unchanged |
//! | `/asp/session`'s stream facts | track [`CATALOG_TRACK`], one JSON object ([`Catalog`]) |
//! | EndOfStream | the tracks finish |
//!
//! A group starts only where a decoder can join, so a subscriber that
//! starts at the newest group (what the relays serve a joiner) decodes at
//! once, and a relay dropping old groups for a slow subscriber drops whole
//! keyframe runs, never a frame inside one.
//!
//! The connection to the relay is moq-tokio's: it redials with exponential
//! backoff (1 s, doubling) when the relay goes away, and the broadcast is
//! announced again on the new session.
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
pub use catalog::Catalog;
pub use error::Error;
pub use publish::{Publisher, PublisherStats, Sent};
pub use subscribe::{Object, Subscriber};
pub use url::RelayUrl;

use std::path::PathBuf;

/// The track carrying the ASP packets.
pub const VIDEO_TRACK: &str = "video";
/// The track carrying the stream facts ([`Catalog`], JSON).
pub const CATALOG_TRACK: &str = "catalog";

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
        config
            .init(moq_tokio::quic::Config::default())
            .map_err(Error::Client)
    }
}
