//! `--publish https://relay:port/NAME`: the encoder's packets to a Media
//! over QUIC relay, from the file loop or from the live hub; and the
//! `moq+https://` input of asp-decode.
//!
//! The relay side (`relay`, on asp-moq) is built with the `moq` feature
//! only: asp-moq's moq-tokio builds rustls with aws-lc-rs, a long C build
//! the other tools do not need. Without the feature, `--publish` and
//! `moq+https://` are refused with an error that says how to get them, and
//! [`PublishTarget`] and [`BlockingPublisher`] are empty enums: no value of
//! them can exist, so the code that would use one is never reached.

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Result;
use asp_server::renditions::EncodedRendition;

#[cfg(feature = "moq")]
mod relay;
#[cfg(feature = "moq")]
pub use relay::{spawn_from_hub, BlockingPublisher, PublishTarget};
#[cfg(not(feature = "moq"))]
pub use absent::{spawn_from_hub, BlockingPublisher, PublishTarget};

/// What a publisher sent, for the tool's summary line.
#[derive(Clone, Copy, Debug)]
pub struct Published {
    pub groups: u64,
    pub objects: u64,
}

/// Publishes one frame's packets of every rendition, each on its track,
/// and checks that they opened a group together or not at all (the same
/// group id): what lets a player switch renditions at any group boundary.
/// `frame` (its index) is for the error.
pub fn publish_renditions(relay: &mut BlockingPublisher, renditions: &[EncodedRendition], frame: u64) -> Result<()> {
    let mut opened = None;
    for (index, encoded) in renditions.iter().enumerate() {
        let group = relay.send_to(index, &encoded.packet)?;
        if let Some(packet) = &encoded.c_packet {
            relay.send_to(index, packet)?;
        }
        match opened {
            None => opened = Some(group),
            Some(first) if first != group => {
                anyhow::bail!("frame {frame}: rendition {index} opened group {group:?}, the first {first:?}: keyframes diverged")
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Whether an input names a relay broadcast (`moq+https://…`, or
/// `https://…` as asp-moq also takes it) rather than a file.
pub fn is_relay_input(name: &str) -> bool {
    name.starts_with("moq+https://") || name.starts_with("https://")
}

/// `--publish URL` (with its `--tls-ca`), if given.
pub fn publish_target(url: Option<&str>, tls_ca: Option<PathBuf>) -> Result<Option<PublishTarget>> {
    let Some(url) = url else { return Ok(None) };
    #[cfg(feature = "moq")]
    return relay::target(url, tls_ca).map(Some);
    #[cfg(not(feature = "moq"))]
    {
        let _ = tls_ca;
        Err(absent::refused(&format!("--publish {url}")))
    }
}

/// The packets of a `moq+https://RELAY:PORT/NAME` input, from the newest
/// keyframe run on, until the publisher ends the broadcast. The first read
/// connects; a read waiting for the relay (or for the broadcast to come)
/// fails with `ErrorKind::Interrupted` once `stop` is set.
pub fn relay_input(url: &str, tls_ca: Option<PathBuf>, stop: Arc<AtomicBool>) -> Result<Box<dyn Read>> {
    #[cfg(feature = "moq")]
    return relay::subscription(url, tls_ca, stop);
    #[cfg(not(feature = "moq"))]
    {
        let _ = (tls_ca, stop);
        Err(absent::refused(url))
    }
}

#[cfg(not(feature = "moq"))]
mod absent {
    use std::sync::Arc;

    use anyhow::Result;
    use asp_server::Hub;
    use tokio::runtime::Runtime;

    use super::Published;

    pub fn refused(what: &str) -> anyhow::Error {
        anyhow::anyhow!("{what}: Media over QUIC is not in this build (build asp-cli with --features moq)")
    }

    /// No relay target exists in this build.
    #[derive(Clone, Debug)]
    pub enum PublishTarget {}

    impl std::fmt::Display for PublishTarget {
        fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            match *self {}
        }
    }

    /// No publisher exists in this build.
    pub enum BlockingPublisher {}

    impl BlockingPublisher {
        pub fn connect(target: &PublishTarget, _size: (u32, u32), _fps: (u32, u32), _rates: &[u64]) -> Result<BlockingPublisher> {
            match *target {}
        }

        pub fn send(&mut self, _packet: &[u8]) -> Result<()> {
            match *self {}
        }

        pub fn send_to(&mut self, _rendition: usize, _packet: &[u8]) -> Result<Option<u64>> {
            match *self {}
        }

        pub fn finish(self) -> Result<Published> {
            match self {}
        }
    }

    pub fn spawn_from_hub(_runtime: &Runtime, _hub: Arc<Hub>, target: PublishTarget, _size: (u32, u32), _fps: (u32, u32)) {
        match target {}
    }
}
