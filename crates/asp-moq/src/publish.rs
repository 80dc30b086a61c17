//! Publishing: ASP packets in, one group per keyframe run out, to a relay.

use std::time::Duration;

use asp_core::{Packet, Payload};
use bytes::Bytes;
use moq_net::{broadcast, group, track, Timescale, Timestamp};

use crate::{Catalog, ClientOptions, Error, RelayUrl, CATALOG_TRACK};

/// How far behind the newest group a relay keeps older ones for a
/// subscriber that is catching up (longer is dropped, a whole run at a time).
const VIDEO_MAX_AGE: Duration = Duration::from_secs(2);

/// How long the session stays up after the tracks finish: time for the relay
/// to take the last group and the track's end and pass them downstream
/// (milliseconds on loopback), with room for a loaded machine.
const END_LINGER: Duration = Duration::from_secs(1);

/// How long [`Publisher::finish`] waits for a session when the relay is away
/// at the end: one redial of moq-tokio's backoff, with room for a loaded
/// machine. Past it the end was never delivered, and `finish` says so.
const FINISH_REDIAL: Duration = Duration::from_secs(3);

/// What [`Publisher::send`] did with a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    /// It opened group `group` (a keyframe or an intra-refresh start).
    NewGroup { group: u64 },
    /// It went into the current group.
    Object,
    /// Not published: an S-packet (the relay carries no viewer feedback and
    /// the track's end says EndOfStream), or a packet before the first
    /// keyframe (nobody could decode it).
    Skipped,
}

/// Counters of a publisher.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublisherStats {
    /// Keyframe runs opened (one group on each rendition's track).
    pub groups: u64,
    /// Objects and their bytes, on all tracks.
    pub objects: u64,
    pub bytes: u64,
    pub skipped: u64,
}

/// One broadcast on a relay: the catalog and the video track, or one video
/// track per rendition (the catalog's [`Catalog::video_tracks`], in order).
///
/// [`send`](Self::send) never blocks and never waits for the relay: the
/// objects go into moq's cache and the connection task (on the runtime given
/// to [`connect`](Self::connect)) delivers them; while the relay is away the
/// connection redials with backoff and the newest group is served again once
/// it is back. Call [`finish`](Self::finish) to end the stream cleanly.
pub struct Publisher {
    /// Where the broadcast goes: the relay's URL, for errors.
    url: url::Url,
    connection: moq_tokio::Connection,
    client: moq_tokio::Client,
    broadcast: broadcast::Producer,
    /// The video tracks, by rendition (one without renditions).
    video: Vec<VideoTrack>,
    catalog: track::Producer,
    /// The newest group id opened on any track.
    last_group: Option<u64>,
    /// The newest keyframe run: the sequence number of the packet that
    /// opened it and its group id, which the other renditions' packet of
    /// the same frame reuses.
    last_entry: Option<(u32, u64)>,
    stats: PublisherStats,
}

/// One video track and the group being written on it.
struct VideoTrack {
    producer: track::Producer,
    group: Option<group::Producer>,
    /// The id of `group` (or of the last group, once it finished).
    group_id: Option<u64>,
    last_timestamp_us: u64,
}

impl Publisher {
    /// Announces broadcast `url.broadcast` with `catalog` and starts the
    /// connection to the relay on `runtime` (the first dial happens in the
    /// background; packets sent before it completes are cached).
    pub fn connect(
        url: &RelayUrl,
        options: &ClientOptions,
        catalog: &Catalog,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Publisher, Error> {
        let _context = runtime.enter();
        let client = options.client()?;
        let origin = moq_tokio::origin::spawn();
        let broadcast = origin.create_broadcast(url.broadcast.as_str())?;
        broadcast.announce(Default::default())?;

        let mut catalog_track = broadcast.create_track(CATALOG_TRACK, None)?;
        catalog_track.write_frame(Timestamp::ZERO, Bytes::from(catalog.to_json()))?;

        let mut video = Vec::new();
        for name in catalog.video_tracks() {
            let info = track::Info::default()
                .with_timescale(Timescale::MICRO)
                .with_max_age(VIDEO_MAX_AGE)
                // Higher than the catalog: under congestion the picture goes
                // first; the catalog is one small object a joiner reads once.
                .with_priority(200);
            video.push(VideoTrack {
                producer: broadcast.create_track(name, info)?,
                group: None,
                group_id: None,
                last_timestamp_us: 0,
            });
        }

        let connection = client
            .clone()
            .with_publisher(&origin)
            .connect(url.connect.clone());
        tracing::info!(url = %url.connect, broadcast = %url.broadcast, "publishing to the relay");
        Ok(Publisher {
            url: url.connect.clone(),
            connection,
            client,
            broadcast,
            video,
            catalog: catalog_track,
            last_group: None,
            last_entry: None,
            stats: PublisherStats::default(),
        })
    }

    /// Publishes one ASP packet on the first (or only) video track: see
    /// [`send_to`](Self::send_to).
    pub fn send(&mut self, packet: &[u8]) -> Result<Sent, Error> {
        self.send_to(0, packet)
    }

    /// Publishes one ASP packet, bytes unchanged, on the video track of
    /// rendition `rendition` (its index in the catalog's renditions). A
    /// keyframe, or a delta frame that starts an intra-refresh sweep,
    /// finishes the track's current group and opens the next one. Its id:
    /// the id another rendition's group opened at the same frame (sequence
    /// number) got, so the renditions' runs line up; else the wall-clock
    /// time in milliseconds since the Unix epoch when that is higher than
    /// the last id, else the next id (ids comparable across encoders: the
    /// crate's docs).
    pub fn send_to(&mut self, rendition: usize, packet: &[u8]) -> Result<Sent, Error> {
        let tracks = self.video.len();
        let track = self
            .video
            .get_mut(rendition)
            .ok_or(Error::NoRendition { rendition, tracks })?;
        let parsed = Packet::parse(packet).map_err(Error::Packet)?;
        let entry = match parsed.payload() {
            Payload::I(_) => true,
            Payload::D(d) => d.refresh_frames() != 0 && d.stream().is_some(),
            Payload::C(_) => false,
            Payload::S(_) => {
                self.stats.skipped += 1;
                return Ok(Sent::Skipped);
            }
        };
        // Non-decreasing media time: a C-packet carries its frame's time, a
        // packet without one (a file's first frame at 0) keeps the last.
        let time_us = parsed
            .capture_time_us()
            .unwrap_or(0)
            .max(track.last_timestamp_us);
        track.last_timestamp_us = time_us;
        let timestamp = Timestamp::from_micros(time_us).map_err(|_| Error::Time(time_us))?;
        let bytes = Bytes::copy_from_slice(packet);

        let mut sent = Sent::Object;
        if entry {
            if let Some(group) = track.group.take() {
                group.finish()?;
            }
            let sequence = parsed.sequence();
            let id = match self.last_entry {
                // Another rendition opened this frame's run already.
                Some((at, id)) if at == sequence && track.group_id < Some(id) => id,
                _ => {
                    let now_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |since| since.as_millis() as u64);
                    let id = match self.last_group {
                        Some(last) => now_ms.max(last + 1),
                        None => now_ms,
                    };
                    self.last_group = Some(id);
                    self.last_entry = Some((sequence, id));
                    self.stats.groups += 1;
                    id
                }
            };
            track.group = Some(track.producer.create_group(group::Info { sequence: id })?);
            track.group_id = Some(id);
            sent = Sent::NewGroup { group: id };
        }
        let Some(group) = track.group.as_mut() else {
            self.stats.skipped += 1;
            return Ok(Sent::Skipped);
        };
        group.write_frame(timestamp, bytes)?;
        self.stats.objects += 1;
        self.stats.bytes += packet.len() as u64;
        Ok(sent)
    }

    pub fn stats(&self) -> PublisherStats {
        self.stats
    }

    /// Waits up to `timeout` for a session with the relay. `Ok(false)` if
    /// none came up in time (the connection keeps redialling); an error if
    /// the connection gave up (refused for good, e.g. unauthorised).
    pub async fn wait_connected(&self, timeout: Duration) -> Result<bool, Error> {
        let established = moq_net::kio::wait(|waiter| self.connection.poll_established(waiter));
        match tokio::time::timeout(timeout, established).await {
            Ok(Ok(())) => Ok(true),
            Ok(Err(e)) => Err(Error::Client(e)),
            Err(_) => Ok(false),
        }
    }

    /// Whether a session with the relay is up now.
    pub fn connected(&self) -> bool {
        self.connection.connected()
    }

    /// Ends the stream: the last group and both tracks finish (subscribers
    /// see the end, as EndOfStream); a second later the broadcast is
    /// withdrawn and the session closes once the relay has acknowledged what
    /// was queued (moq bounds that wait to about a second).
    ///
    /// The end must reach the relay before the withdrawal and the close do:
    /// a relay whose upstream session closes (QUIC then drops stream bytes
    /// the relay acknowledged but had not read yet) or whose route goes away
    /// while it still waits for the last group's stream aborts the track,
    /// and passes that on to every subscriber as a reset instead of the end.
    ///
    /// With no session at the end (after a few more seconds of
    /// redialling) nothing of the end reached a relay: an error,
    /// [`Error::NeverConnected`] if no session ever came up (the relay never
    /// saw the stream), else [`Error::EndUndelivered`].
    pub async fn finish(mut self) -> Result<(), Error> {
        for track in &mut self.video {
            if let Some(group) = track.group.take() {
                group.finish()?;
            }
            track.producer.finish()?;
        }
        self.catalog.finish()?;
        let connected =
            self.connected() || self.wait_connected(FINISH_REDIAL).await.unwrap_or(false);
        if connected {
            tokio::time::sleep(END_LINGER).await;
        }
        let sessions = self.connection.epoch();
        self.broadcast.close();
        let closed = self.connection.close().await;
        self.client.close().await;
        if sessions == 0 {
            return Err(Error::NeverConnected(self.url));
        }
        if !connected {
            return Err(Error::EndUndelivered(self.url));
        }
        closed.map_err(Error::Client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A publisher whose relay never answers (a loopback port nobody
    /// listens on) cannot finish with Ok: nothing it sent was published.
    #[test]
    fn finish_without_a_session_is_an_error() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = RelayUrl::parse(&format!("https://127.0.0.1:{port}/nobody")).unwrap();
        let catalog = Catalog::new(64, 64, 30, 1);
        let publisher =
            Publisher::connect(&url, &ClientOptions::default(), &catalog, runtime.handle())
                .unwrap();
        assert!(!runtime
            .block_on(publisher.wait_connected(Duration::from_millis(300)))
            .unwrap());
        match runtime.block_on(publisher.finish()) {
            Err(Error::NeverConnected(to)) => assert_eq!(to, url.connect),
            other => panic!("finish without a session: {other:?}"),
        }
    }
}
