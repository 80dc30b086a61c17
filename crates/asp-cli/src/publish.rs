//! `--publish https://relay:port/NAME`: the encoder's packets to a Media
//! over QUIC relay (asp-moq), from the file loop or from the live hub.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use asp_moq::{Catalog, ClientOptions, Publisher, RelayUrl};
use asp_server::Hub;

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

/// A clap value parser for `--publish`.
pub fn parse_relay_url(text: &str) -> Result<RelayUrl, String> {
    RelayUrl::parse(text).map_err(|e| e.to_string())
}

/// A publisher for synchronous code (the file loop): it owns the async
/// runtime the relay connection runs on.
pub struct BlockingPublisher {
    runtime: tokio::runtime::Runtime,
    publisher: Publisher,
}

impl BlockingPublisher {
    /// Announces the broadcast and waits (up to a few seconds) for the relay.
    pub fn connect(target: &PublishTarget, catalog: &Catalog) -> Result<BlockingPublisher> {
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

    /// Ends the broadcast and waits for the relay to have it.
    pub fn finish(self) -> Result<asp_moq::PublisherStats> {
        let stats = self.publisher.stats();
        self.runtime.block_on(self.publisher.finish())?;
        Ok(stats)
    }
}

/// `--serve --publish`: the live loop's packets, as the hub fans them out,
/// also go to the relay. The publisher joins the hub as one more viewer (it
/// starts at the current keyframe run and, should it ever fall behind, the
/// hub skips it to the next keyframe, which is a new group: groups stay
/// whole). Runs until the stream ends, then finishes the broadcast.
pub async fn publish_from_hub(hub: Arc<Hub>, target: PublishTarget, catalog: Catalog) -> Result<()> {
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
