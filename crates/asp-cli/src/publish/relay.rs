//! The relay side of `--publish` and `moq+https://` inputs, on asp-moq
//! (built with the `moq` feature).

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use asp_moq::{Catalog, ClientOptions, Publisher, RelayUrl, Rendition, Sent};
use asp_server::Hub;
use tokio::runtime::Runtime;

use super::Published;

/// How long the first dial may take before encoding starts anyway (the
/// connection keeps redialling with backoff; what is encoded meanwhile is
/// cached and the relay gets the newest group once it is there).
const FIRST_DIAL: Duration = Duration::from_secs(5);

/// Where to publish and how to trust the relay.
#[derive(Clone, Debug)]
pub struct PublishTarget {
    pub url: RelayUrl,
    pub client: ClientOptions,
}

/// Where a publisher publishes, for the tools' messages: "RELAY as broadcast NAME".
impl std::fmt::Display for PublishTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} as broadcast {}", self.url.connect, self.url.broadcast)
    }
}

/// `--publish URL` and its `--tls-ca`.
pub fn target(url: &str, tls_ca: Option<PathBuf>) -> Result<PublishTarget> {
    let url = RelayUrl::parse(url).with_context(|| format!("--publish {url}"))?;
    Ok(PublishTarget { url, client: ClientOptions::from_flag_or_env(tls_ca) })
}

/// The packets of a `moq+https://` input: a subscription at its newest group.
pub fn subscription(url: &str, tls_ca: Option<PathBuf>, stop: Arc<AtomicBool>) -> Result<Box<dyn Read>> {
    let url = RelayUrl::parse(url)?;
    let options = ClientOptions::from_flag_or_env(tls_ca);
    Ok(Box::new(asp_moq::SubscriptionReader::new(&url, &options, stop)?))
}

/// `--serve --publish`: publishes the hub's packets to the relay on
/// `runtime` (`publish_from_hub`, below), until the stream ends.
pub fn spawn_from_hub(runtime: &Runtime, hub: Arc<Hub>, target: PublishTarget, size: (u32, u32), fps: (u32, u32)) {
    eprintln!("asp-encode: also publishing to {target}");
    let catalog = Catalog::new(size.0, size.1, fps.0, fps.1);
    runtime.spawn(async move {
        if let Err(e) = publish_from_hub(hub, target, catalog).await {
            tracing::error!(error = %e, "publishing to the relay stopped");
        }
    });
}

/// The catalog of a `size` picture at `fps`, listing the renditions of
/// `rates` (bits per second, highest first) if there are any.
fn catalog(size: (u32, u32), fps: (u32, u32), rates: &[u64]) -> Catalog {
    let renditions = rates.iter().enumerate().map(|(i, &bits)| Rendition::new(i == 0, bits, size.0, size.1)).collect();
    Catalog::new(size.0, size.1, fps.0, fps.1).with_renditions(renditions)
}

/// A publisher for synchronous code (the file loop): it owns the async
/// runtime the relay connection runs on.
pub struct BlockingPublisher {
    runtime: tokio::runtime::Runtime,
    publisher: Publisher,
}

impl BlockingPublisher {
    /// Announces the broadcast of a `size` picture at `fps` (numerator,
    /// denominator), one video track per rendition in `rates` (bits per
    /// second, highest first; empty: the single `video` track), and waits
    /// (up to a few seconds) for the relay.
    pub fn connect(target: &PublishTarget, size: (u32, u32), fps: (u32, u32), rates: &[u64]) -> Result<BlockingPublisher> {
        let catalog = &catalog(size, fps, rates);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("asp-publish")
            .build()
            .context("starting the async runtime")?;
        let publisher = Publisher::connect(&target.url, &target.client, catalog, runtime.handle())?;
        if !runtime.block_on(publisher.wait_connected(FIRST_DIAL))? {
            eprintln!("asp-encode: no session with {} yet; encoding anyway (still dialling)", target.url.connect);
        }
        Ok(BlockingPublisher { runtime, publisher })
    }

    pub fn send(&mut self, packet: &[u8]) -> Result<()> {
        self.publisher.send(packet)?;
        Ok(())
    }

    /// Sends `packet` on rendition `rendition`'s track: the id of the group
    /// it opened, if it opened one.
    pub fn send_to(&mut self, rendition: usize, packet: &[u8]) -> Result<Option<u64>> {
        Ok(match self.publisher.send_to(rendition, packet)? {
            Sent::NewGroup { group } => Some(group),
            Sent::Object | Sent::Skipped => None,
        })
    }

    /// Ends the broadcast and waits for the relay to have it.
    pub fn finish(self) -> Result<Published> {
        let stats = self.publisher.stats();
        self.runtime.block_on(self.publisher.finish())?;
        Ok(Published { groups: stats.groups, objects: stats.objects })
    }
}

/// `--serve --publish`: the live loop's packets, as the hub fans them out,
/// also go to the relay. The publisher joins the hub as one more viewer (it
/// starts at the current keyframe run and, should it ever fall behind, the
/// hub skips it to the next keyframe, which is a new group: groups stay
/// whole). Runs until the stream ends, then finishes the broadcast.
async fn publish_from_hub(hub: Arc<Hub>, target: PublishTarget, catalog: Catalog) -> Result<()> {
    let handle = tokio::runtime::Handle::current();
    let mut publisher = Publisher::connect(&target.url, &target.client, &catalog, &handle)?;
    let mut viewer = hub.join().map_err(|e| anyhow::anyhow!("joining the hub: {e}"))?;
    for packet in std::mem::take(&mut viewer.backlog) {
        publisher.send(&packet)?;
    }
    while let Some(packet) = viewer.queue.recv().await {
        publisher.send(&packet)?;
    }
    hub.leave(viewer.id, "the stream ended");
    let stats = publisher.stats();
    publisher.finish().await?;
    tracing::info!(groups = stats.groups, objects = stats.objects, bytes = stats.bytes, "published to the relay");
    Ok(())
}
