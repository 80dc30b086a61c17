//! Subscribing: a broadcast's video track (the catalog's, or the rendition
//! the URL's `?track=` names) in, its objects (ASP packets) out in order,
//! starting at the newest group.

use std::time::Duration;

use bytes::Bytes;
use moq_net::{broadcast, group, track};

use crate::{Catalog, ClientOptions, Error, RelayUrl, CATALOG_TRACK, VIDEO_TRACK};

/// How far a group may lag the newest one before this subscriber gives up
/// on it. Small: a joiner starts at the newest keyframe run, not at older
/// ones the relay still caches, and a reader that stalls resumes at the live
/// edge; but not zero, so the tail of a run still in flight when the next
/// run starts (streams can be reordered) is not cut.
const SUBSCRIBER_MAX_AGE: Duration = Duration::from_millis(100);

/// One object of the video track: one ASP packet, bytes as published.
#[derive(Clone, Debug)]
pub struct Object {
    /// The group (keyframe run) it belongs to.
    pub group: u64,
    /// Its index in the group: 0 is the keyframe (or refresh start).
    pub index: u64,
    pub bytes: Bytes,
}

/// A subscription to one broadcast's video track.
pub struct Subscriber {
    url: RelayUrl,
    client: moq_tokio::Client,
    connection: moq_tokio::Connection,
    origin: moq_net::origin::Consumer,
    catalog: Catalog,
    /// The video track subscribed to.
    track_name: String,
    track: track::Ordered,
    group: Option<(u64, group::Consumer, u64)>,
    resubscribes: u64,
}

impl Subscriber {
    /// Connects to the relay (redialling with backoff), waits for the
    /// broadcast to be announced, reads its catalog and subscribes to the
    /// video track at its newest group. Must run on a tokio runtime.
    pub async fn connect(url: &RelayUrl, options: &ClientOptions) -> Result<Subscriber, Error> {
        let client = options.client()?;
        let origin = moq_tokio::origin::spawn();
        let consumer = origin.consume();
        let connection = client
            .clone()
            .with_subscriber(origin)
            .connect(url.connect.clone());
        let (catalog, track_name, track) = open(&consumer, url).await?;
        tracing::info!(url = %url.connect, broadcast = %url.broadcast, track = %track_name, ?catalog, "subscribed");
        Ok(Subscriber {
            url: url.clone(),
            client,
            connection,
            origin: consumer,
            catalog,
            track_name,
            track,
            group: None,
            resubscribes: 0,
        })
    }

    /// The stream facts the publisher put in the catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The video track subscribed to.
    pub fn track(&self) -> &str {
        &self.track_name
    }

    /// How many times the subscription was lost (relay or publisher gone)
    /// and made again at the newest group.
    pub fn resubscribes(&self) -> u64 {
        self.resubscribes
    }

    /// The next object, in order. A group cut short (a relay dropped it or
    /// the subscriber fell behind) ends where it was cut; the next object is
    /// then the first of a newer group. `None` when the publisher finished
    /// the track (the stream's end). A lost relay or publisher is waited
    /// for: the subscription is made again at the newest group.
    pub async fn next(&mut self) -> Result<Option<Object>, Error> {
        loop {
            if let Some((id, group, index)) = self.group.as_mut() {
                match group.read_frame().await {
                    Ok(Some(frame)) => {
                        let object = Object {
                            group: *id,
                            index: *index,
                            bytes: frame.payload,
                        };
                        *index += 1;
                        return Ok(Some(object));
                    }
                    Ok(None) => self.group = None,
                    Err(e) => {
                        tracing::debug!(group = *id, error = %e, "group cut short");
                        self.group = None;
                    }
                }
                continue;
            }
            match self.track.next_group().await {
                Ok(Some(group)) => {
                    let id = group.sequence;
                    self.group = Some((id, group, 0));
                }
                Ok(None) => return Ok(None),
                Err(e) => {
                    tracing::warn!(error = %e, "subscription lost; subscribing again at the newest group");
                    self.resubscribes += 1;
                    let (catalog, track_name, track) = open(&self.origin, &self.url).await?;
                    self.catalog = catalog;
                    self.track_name = track_name;
                    self.track = track;
                }
            }
        }
    }

    /// Closes the session.
    pub async fn close(self) {
        let _ = self.connection.close().await;
        self.client.close().await;
    }
}

/// Resolves the broadcast (waiting for its announcement), reads the
/// catalog's newest object and subscribes to the video track: the one
/// `url.track` names if the catalog lists it (else an error), or the
/// catalog's `track`.
async fn open(
    origin: &moq_net::origin::Consumer,
    url: &RelayUrl,
) -> Result<(Catalog, String, track::Ordered), Error> {
    let broadcast: broadcast::Consumer = origin.routed_broadcast(url.broadcast.as_str()).await?;
    let mut catalog_track = broadcast.track(CATALOG_TRACK)?.subscribe(None).await?;
    let catalog = loop {
        let Some(mut group) = catalog_track.recv_group().await? else {
            return Err(Error::Catalog("the catalog track ended empty".into()));
        };
        if let Some(frame) = group.read_frame().await? {
            break Catalog::from_json(&frame.payload)?;
        }
    };
    let name = match &url.track {
        Some(asked) => {
            let listed = catalog.video_tracks();
            if !listed.contains(&asked.as_str()) {
                return Err(Error::NoTrack {
                    track: asked.clone(),
                    listed: listed.iter().map(|t| t.to_string()).collect(),
                });
            }
            asked.clone()
        }
        None => catalog.track.clone(),
    };
    let mut subscription = track::Subscription::default();
    subscription.max_age = SUBSCRIBER_MAX_AGE;
    let video = match (&url.track, broadcast.track(name.as_str())) {
        (None, Err(_)) => broadcast.track(VIDEO_TRACK)?,
        (_, video) => video?,
    };
    let track = video.subscribe(subscription).await?.ordered();
    Ok((catalog, name, track))
}
