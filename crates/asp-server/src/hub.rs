//! The fan-out: one publisher (the live encoder), many viewers, each with
//! its own bounded queue.
//!
//! The publisher never waits for a viewer. Publishing a packet is one
//! `try_send` per viewer under one lock; a viewer whose queue is full stops
//! getting delta frames until the next keyframe that fits, is then told
//! which frames it missed (a server Nack), and is disconnected with a reason
//! when it keeps falling behind. Packets are reference-counted [`Bytes`]:
//! a thousand viewers share one copy of each frame, and the memory held is
//! bounded by `viewers x queue_len` references plus the keyframe run kept
//! for late joiners (itself capped at `max_group_bytes`).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use asp_core::packet::Payload;
use asp_core::Packet;
use bytes::Bytes;
use serde::Serialize;
use tokio::sync::{mpsc, Notify};
use tracing::{info, warn};

use crate::config::{StreamPolicy, ViewerLimits};
use crate::sync::{client_limits, parse_client_message, ClientMessageError, Notices, ViewerRequest};

/// The address a per-address limit counts: an IPv4 address, or the /64 of
/// an IPv6 address (one host usually has a whole /64 to pick from).
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !u128::from(u64::MAX))),
        },
    }
}

/// What the viewers ask of the encoder; the live loop reads it before each frame.
#[derive(Debug, Default)]
pub struct EncoderControl {
    keyframe: AtomicBool,
    bitrate: AtomicU64,
}

impl EncoderControl {
    /// Whether a keyframe was asked for since the last call (and clears it).
    pub fn take_keyframe_request(&self) -> bool {
        self.keyframe.swap(false, Ordering::AcqRel)
    }

    /// The bitrate the viewers' feedback allows (bits per second; 0 = none set).
    pub fn bitrate(&self) -> u64 {
        self.bitrate.load(Ordering::Acquire)
    }
}

/// Counters, for `/asp/stats`, tests and benchmarks.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct HubStats {
    pub viewers: usize,
    pub joined: u64,
    pub left: u64,
    pub kicked: u64,
    pub frames: u64,
    pub keyframes: u64,
    pub bytes: u64,
    /// C-packets published (each after its frame; not in `frames`/`bytes`).
    pub c_packets: u64,
    pub c_packet_bytes: u64,
    /// C-packets not sent to a viewer (skipping, no room, nothing to refine yet).
    pub dropped_c_packets: u64,
    pub last_sequence: Option<u32>,
    pub skip_episodes: u64,
    pub skipped_frames: u64,
    pub forced_keyframes: u64,
    pub bad_messages: u64,
    /// Client messages dropped unread: over the viewer's message budget.
    pub throttled_messages: u64,
    /// Keyframe requests ignored: the viewer had asked too recently.
    pub ignored_keyframe_requests: u64,
    pub bitrate_target: u64,
    pub group_packets: usize,
    pub group_bytes: usize,
    pub ended: bool,
    /// Capture to publish (the encode, mostly) over the last
    /// [`ENCODE_LAG_WINDOW`] frames the live loop published, in µs.
    pub capture_to_publish_us: LagSummary,
}

/// Percentiles of a recent window of lags (µs; zero when empty).
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LagSummary {
    pub frames: usize,
    pub p50: u64,
    pub p95: u64,
    pub max: u64,
}

/// Frames in the capture-to-publish window (10 s at 30 fps).
pub const ENCODE_LAG_WINDOW: usize = 300;

/// A viewer's end of its queue, handed to the transport session.
pub struct ViewerHandle {
    pub id: u64,
    /// What the viewer needs first: the current keyframe run (or the end
    /// of stream notice), to be sent before anything from `queue`.
    pub backlog: Vec<Bytes>,
    /// The live packets. Ends (`None`) when the hub drops the viewer: the
    /// stream ended, or the viewer was too slow (see `close_reason`).
    pub queue: mpsc::Receiver<Bytes>,
    close_reason: Arc<OnceLock<String>>,
    evicted: Arc<Notify>,
}

impl ViewerHandle {
    /// Why the hub closed this viewer's queue, if it did.
    pub fn close_reason(&self) -> Option<&str> {
        self.close_reason.get().map(String::as_str)
    }

    /// Notified when the hub disconnects this viewer (too slow): the
    /// session should close at once, even in the middle of a send the
    /// viewer is not reading, so that its socket is freed with its slot.
    pub fn eviction(&self) -> Arc<Notify> {
        Arc::clone(&self.evicted)
    }
}

/// Why a viewer was not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    Full { max: usize },
    /// This address already holds `max` viewer slots.
    AddressFull { max: usize },
}

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoinError::Full { max } => write!(f, "the server is full ({max} viewers)"),
            JoinError::AddressFull { max } => write!(f, "too many viewers from this address ({max})"),
        }
    }
}

/// Whether `packet` is a delta frame where an intra-refresh cycle starts:
/// a decoder can join there (it is exact once the cycle has swept the
/// picture), so for joiners and skipping viewers it is as good as a keyframe.
fn starts_refresh(packet: &[u8]) -> bool {
    match Packet::parse(packet).map(|p| p.payload()) {
        Ok(Payload::D(d)) => d.refresh_frames() != 0 && d.stream().is_some(),
        _ => false,
    }
}

fn summarize(lags: &VecDeque<u64>) -> LagSummary {
    let mut sorted: Vec<u64> = lags.iter().copied().collect();
    sorted.sort_unstable();
    let at = |q: f64| sorted.get(((sorted.len().saturating_sub(1)) as f64 * q).round() as usize).copied().unwrap_or(0);
    LagSummary { frames: sorted.len(), p50: at(0.5), p95: at(0.95), max: at(1.0) }
}

/// What the transport should do after a client message.
#[derive(Debug)]
pub enum ClientOutcome {
    /// Fine; send these replies (Pongs) to the viewer.
    Replies(Vec<Bytes>),
    /// A bad message, tolerated so far.
    Refused(ClientMessageError),
    /// Too many bad messages: close the connection with this reason.
    Disconnect(String),
}

struct Skip {
    since: Instant,
    first: u32,
    last: u32,
}

struct Slot {
    id: u64,
    tx: mpsc::Sender<Bytes>,
    close_reason: Arc<OnceLock<String>>,
    evicted: Arc<Notify>,
    /// The per-address key it counts against ([`address_key`]).
    address: Option<IpAddr>,
    skip: Option<Skip>,
    episodes: VecDeque<Instant>,
    bitrate_report: Option<(u64, Instant)>,
    /// When this viewer's last keyframe request counted.
    last_keyframe_request: Option<Instant>,
    bad_messages: u32,
    /// Whether the viewer has been given a frame (its backlog or a live
    /// one): before that, a C-packet has nothing to refine.
    fed: bool,
}

/// The keyframe run a late joiner starts from.
#[derive(Default)]
struct Group {
    packets: Vec<Bytes>,
    bytes: usize,
}

struct State {
    viewers: Vec<Slot>,
    viewers_per_address: HashMap<IpAddr, usize>,
    /// When a keyframe request from each address last counted (kept after
    /// its viewers leave, pruned once past `viewer_keyframe_min_interval`;
    /// at most `max_viewers` entries).
    keyframe_requests_per_address: HashMap<IpAddr, Instant>,
    group: Group,
    last_sequence: Option<u32>,
    end_notice: Option<Bytes>,
    notices: Notices,
    last_forced_keyframe: Option<Instant>,
    keyframe_pending: bool,
    last_bitrate_eval: Option<Instant>,
    encode_lags: VecDeque<u64>,
    stats: HubStats,
}

/// The fan-out hub. See the module docs.
pub struct Hub {
    state: Mutex<State>,
    control: Arc<EncoderControl>,
    limits: ViewerLimits,
    policy: StreamPolicy,
    next_id: AtomicU64,
    /// Counted by the transports without the lock.
    throttled_messages: AtomicU64,
    /// `state.last_sequence`, mirrored for the answers that take no lock.
    latest_sequence: AtomicU64,
}

impl Hub {
    pub fn new(limits: ViewerLimits, policy: StreamPolicy) -> Hub {
        let control = Arc::new(EncoderControl::default());
        control.bitrate.store(policy.max_bitrate, Ordering::Release);
        let stats = HubStats { bitrate_target: policy.max_bitrate, ..HubStats::default() };
        Hub {
            state: Mutex::new(State {
                viewers: Vec::new(),
                viewers_per_address: HashMap::new(),
                keyframe_requests_per_address: HashMap::new(),
                group: Group::default(),
                last_sequence: None,
                end_notice: None,
                notices: Notices::default(),
                last_forced_keyframe: None,
                keyframe_pending: false,
                last_bitrate_eval: None,
                encode_lags: VecDeque::with_capacity(ENCODE_LAG_WINDOW),
                stats,
            }),
            control,
            limits,
            policy,
            next_id: AtomicU64::new(1),
            throttled_messages: AtomicU64::new(0),
            latest_sequence: AtomicU64::new(0),
        }
    }

    /// The encoder's side of the feedback.
    pub fn control(&self) -> Arc<EncoderControl> {
        Arc::clone(&self.control)
    }

    pub fn limits(&self) -> &ViewerLimits {
        &self.limits
    }

    pub fn stats(&self) -> HubStats {
        let state = self.lock();
        HubStats {
            viewers: state.viewers.len(),
            group_packets: state.group.packets.len(),
            group_bytes: state.group.bytes,
            capture_to_publish_us: summarize(&state.encode_lags),
            throttled_messages: self.throttled_messages.load(Ordering::Relaxed),
            ..state.stats.clone()
        }
    }

    /// Records how long the frame about to be published took from capture
    /// (for `/asp/stats` and the latency benchmark's breakdown).
    pub fn record_capture_to_publish(&self, lag_us: u64) {
        let mut state = self.lock();
        if state.encode_lags.len() == ENCODE_LAG_WINDOW {
            state.encode_lags.pop_front();
        }
        state.encode_lags.push_back(lag_us);
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state torn in a way
        // that matters more than stopping the stream would: keep serving.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new viewer: its backlog and its queue, atomically with respect to
    /// publishing (nothing is missed or sent twice between the two).
    pub fn join(&self) -> Result<ViewerHandle, JoinError> {
        self.join_from(None)
    }

    /// A new viewer connected from `address` (None: not known, not
    /// counted per address), within `max_viewers_per_address`.
    pub fn join_from(&self, address: Option<IpAddr>) -> Result<ViewerHandle, JoinError> {
        let mut state = self.lock();
        if state.viewers.len() >= self.limits.max_viewers {
            return Err(JoinError::Full { max: self.limits.max_viewers });
        }
        let address = address.map(address_key);
        if let Some(key) = address {
            let held = state.viewers_per_address.get(&key).copied().unwrap_or(0);
            if held >= self.limits.max_viewers_per_address {
                return Err(JoinError::AddressFull { max: self.limits.max_viewers_per_address });
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, queue) = mpsc::channel(self.limits.queue_len.max(2));
        let close_reason = Arc::new(OnceLock::new());
        let evicted = Arc::new(Notify::new());
        state.stats.joined += 1;
        if let Some(end) = &state.end_notice {
            let _ = close_reason.set("end of stream".to_string());
            return Ok(ViewerHandle { id, backlog: vec![end.clone()], queue, close_reason, evicted });
        }
        let backlog = state.group.packets.clone();
        if backlog.is_empty() && state.last_sequence.is_some() {
            // No keyframe run to start from (dropped as too long): ask for one.
            self.request_keyframe(&mut state, Instant::now());
        }
        state.viewers.push(Slot {
            id,
            tx,
            close_reason: Arc::clone(&close_reason),
            evicted: Arc::clone(&evicted),
            address,
            skip: None,
            episodes: VecDeque::new(),
            bitrate_report: None,
            last_keyframe_request: None,
            bad_messages: 0,
            fed: !backlog.is_empty(),
        });
        if let Some(key) = address {
            *state.viewers_per_address.entry(key).or_insert(0) += 1;
        }
        info!(viewer = id, viewers = state.viewers.len(), backlog = backlog.len(), "viewer joined");
        Ok(ViewerHandle { id, backlog, queue, close_reason, evicted })
    }

    /// Takes slot `index` out, and out of its address's count.
    fn remove_slot(state: &mut State, index: usize) -> Slot {
        let slot = state.viewers.swap_remove(index);
        if let Some(key) = slot.address {
            if let Some(n) = state.viewers_per_address.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    state.viewers_per_address.remove(&key);
                }
            }
        }
        slot
    }

    /// The transport session of viewer `id` has ended (`why` for the log).
    pub fn leave(&self, id: u64, why: &str) {
        let mut state = self.lock();
        if let Some(i) = state.viewers.iter().position(|s| s.id == id) {
            Self::remove_slot(&mut state, i);
            state.stats.left += 1;
            info!(viewer = id, viewers = state.viewers.len(), why, "viewer left");
        }
    }

    /// Publishes one encoded frame to every viewer.
    pub fn publish(&self, packet: Bytes, sequence: u32, keyframe: bool) {
        let now = Instant::now();
        let mut guard = self.lock();
        let state = &mut *guard;
        state.last_sequence = Some(sequence);
        self.latest_sequence.store(u64::from(sequence), Ordering::Release);
        state.stats.frames += 1;
        state.stats.bytes += packet.len() as u64;
        state.stats.last_sequence = Some(sequence);
        if keyframe {
            state.stats.keyframes += 1;
            state.keyframe_pending = false;
        } else if state.keyframe_pending {
            self.request_keyframe(state, now);
        }
        let entry = keyframe || starts_refresh(&packet);
        self.keep_for_joiners(state, &packet, entry, now);

        let mut i = 0;
        while i < state.viewers.len() {
            match self.deliver(&mut state.viewers[i], &mut state.notices, &mut state.stats, &packet, sequence, entry, now)
            {
                Delivery::Kept => i += 1,
                Delivery::Gone => {
                    let slot = Self::remove_slot(state, i);
                    state.stats.left += 1;
                    info!(viewer = slot.id, viewers = state.viewers.len(), "viewer left");
                }
                Delivery::Kick(reason) => {
                    let slot = Self::remove_slot(state, i);
                    state.stats.kicked += 1;
                    warn!(viewer = slot.id, viewers = state.viewers.len(), reason = %reason, "viewer disconnected");
                    let _ = slot.close_reason.set(reason);
                    slot.evicted.notify_one();
                }
            }
        }
        self.update_bitrate(state, now);
    }

    /// Publishes the C-packet of frame `sequence`, the frame just
    /// published: a refinement a viewer can do without (nothing predicts
    /// from it). So it is never kept for late joiners (they start at an
    /// entry point; refinements of past pictures are of no use to them),
    /// never starts a viewer's stream, is not sent to a skipping viewer,
    /// and is dropped — not a skip episode — for a viewer whose queue has no
    /// room for it and the next frame.
    pub fn publish_c_packet(&self, packet: Bytes, sequence: u32) {
        let mut guard = self.lock();
        let state = &mut *guard;
        if state.last_sequence != Some(sequence) || state.end_notice.is_some() {
            return;
        }
        state.stats.c_packets += 1;
        state.stats.c_packet_bytes += packet.len() as u64;
        for slot in &state.viewers {
            let sent = slot.fed && slot.skip.is_none() && slot.tx.capacity() >= 2 && slot.tx.try_send(packet.clone()).is_ok();
            if !sent {
                state.stats.dropped_c_packets += 1;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &self,
        slot: &mut Slot,
        notices: &mut Notices,
        stats: &mut HubStats,
        packet: &Bytes,
        sequence: u32,
        entry: bool,
        now: Instant,
    ) -> Delivery {
        if let Some(skip) = &mut slot.skip {
            if entry && slot.tx.capacity() >= 2 {
                let missed = skip.last.wrapping_sub(skip.first) + 1;
                let notice = notices.skipped(sequence, skip.first, skip.last);
                // Room for both was checked, and only the hub sends.
                let sent = slot.tx.try_send(notice).is_ok() && slot.tx.try_send(packet.clone()).is_ok();
                if !sent {
                    return Delivery::Gone;
                }
                info!(viewer = slot.id, missed, "viewer resumed at a keyframe or refresh start");
                slot.skip = None;
                slot.fed = true;
                return Delivery::Kept;
            }
            skip.last = sequence;
            stats.skipped_frames += 1;
            if now.duration_since(skip.since) > self.limits.max_skip_time {
                return Delivery::Kick(format!(
                    "too slow: no frame could be sent for {:.0} s",
                    self.limits.max_skip_time.as_secs_f64()
                ));
            }
            return Delivery::Kept;
        }
        match slot.tx.try_send(packet.clone()) {
            Ok(()) => {
                slot.fed = true;
                Delivery::Kept
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Delivery::Gone,
            Err(mpsc::error::TrySendError::Full(_)) => {
                stats.skip_episodes += 1;
                stats.skipped_frames += 1;
                slot.skip = Some(Skip { since: now, first: sequence, last: sequence });
                slot.episodes.push_back(now);
                while slot.episodes.front().is_some_and(|&t| now.duration_since(t) > self.limits.skip_episode_window) {
                    slot.episodes.pop_front();
                }
                if slot.episodes.len() > self.limits.max_skip_episodes {
                    return Delivery::Kick(format!(
                        "too slow: fell behind {} times in {:.0} s",
                        slot.episodes.len(),
                        self.limits.skip_episode_window.as_secs_f64()
                    ));
                }
                info!(viewer = slot.id, sequence, "viewer fell behind; skipping to the next keyframe");
                Delivery::Kept
            }
        }
    }

    /// Keeps the run since the last entry point (keyframe or intra-refresh
    /// start), capped in bytes.
    fn keep_for_joiners(&self, state: &mut State, packet: &Bytes, entry: bool, now: Instant) {
        let group = &mut state.group;
        if entry {
            group.packets.clear();
            group.bytes = 0;
        } else if group.packets.is_empty() {
            return;
        }
        if group.bytes + packet.len() > self.policy.max_group_bytes {
            warn!(bytes = group.bytes, "keyframe run too long to keep for joiners; asking for a keyframe");
            group.packets.clear();
            group.bytes = 0;
            self.request_keyframe(state, now);
            return;
        }
        group.bytes += packet.len();
        group.packets.push(packet.clone());
    }

    /// Forwards a keyframe request to the encoder, at most one per
    /// `keyframe_min_interval`; one in between is kept pending.
    fn request_keyframe(&self, state: &mut State, now: Instant) {
        let allowed = state
            .last_forced_keyframe
            .is_none_or(|t| now.duration_since(t) >= self.policy.keyframe_min_interval);
        if allowed {
            state.last_forced_keyframe = Some(now);
            state.keyframe_pending = false;
            state.stats.forced_keyframes += 1;
            self.control.keyframe.store(true, Ordering::Release);
        } else {
            state.keyframe_pending = true;
        }
    }

    /// The rate policy: the median of the healthy viewers' rates, within
    /// `min_bitrate..=max_bitrate`. A healthy viewer is one not skipping;
    /// its rate is its last report if younger than `bitrate_report_ttl`,
    /// else the configured rate (a viewer that says nothing is doing fine).
    /// With an even count the higher middle value is taken, so the rate
    /// drops only when more than half of the viewers ask for less: one
    /// viewer, or a minority, cannot degrade everyone. Re-evaluated at
    /// most once a second.
    fn update_bitrate(&self, state: &mut State, now: Instant) {
        if self.policy.max_bitrate == 0 || state.last_bitrate_eval.is_some_and(|t| now.duration_since(t).as_secs() < 1)
        {
            return;
        }
        state.last_bitrate_eval = Some(now);
        let ttl = self.policy.bitrate_report_ttl;
        let max = self.policy.max_bitrate;
        let mut rates: Vec<u64> = state
            .viewers
            .iter()
            .filter(|s| s.skip.is_none())
            .map(|s| s.bitrate_report.filter(|(_, at)| now.duration_since(*at) <= ttl).map_or(max, |(b, _)| b))
            .collect();
        rates.sort_unstable();
        let median = rates.get(rates.len() / 2).copied();
        let target = median.unwrap_or(max).clamp(self.policy.min_bitrate, max);
        if target != state.stats.bitrate_target {
            info!(from = state.stats.bitrate_target, to = target, "bitrate target changed by viewer feedback");
            state.stats.bitrate_target = target;
            self.control.bitrate.store(target, Ordering::Release);
        }
    }

    /// Viewer `id` needs a keyframe (its transport lost the current run);
    /// rate-limited like a RequestKeyframe S-packet.
    pub fn request_keyframe_for(&self, id: u64) {
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Some(i) = state.viewers.iter().position(|s| s.id == id) {
            self.viewer_requests_keyframe(state, i, Instant::now());
        }
    }

    /// A keyframe request of the viewer in slot `slot_index`: it counts
    /// once per `viewer_keyframe_min_interval`, then as any request does
    /// (at most one forced keyframe per `keyframe_min_interval`).
    fn viewer_requests_keyframe(&self, state: &mut State, slot_index: usize, now: Instant) {
        let interval = self.policy.viewer_keyframe_min_interval;
        let slot = &mut state.viewers[slot_index];
        let recent = |t: &Instant| now.duration_since(*t) < interval;
        // Per viewer, and per address: a viewer that reconnects does not
        // get a fresh budget, nor do several viewers from one address.
        let address_counted = slot.address.and_then(|key| state.keyframe_requests_per_address.get(&key));
        if slot.last_keyframe_request.as_ref().is_some_and(recent) || address_counted.is_some_and(recent) {
            state.stats.ignored_keyframe_requests += 1;
            return;
        }
        slot.last_keyframe_request = Some(now);
        if let Some(key) = slot.address {
            let requests = &mut state.keyframe_requests_per_address;
            if requests.len() >= self.limits.max_viewers {
                requests.retain(|_, t| recent(t));
            }
            if requests.len() >= self.limits.max_viewers {
                // Every entry is recent: more addresses asked within one
                // interval than there are viewer slots. Not counted.
                state.stats.ignored_keyframe_requests += 1;
                return;
            }
            requests.insert(key, now);
        }
        self.request_keyframe(state, now);
    }

    /// A client message dropped unread by its transport (over the
    /// viewer's message budget), for the stats.
    pub fn count_throttled_message(&self) {
        self.throttled_messages.fetch_add(1, Ordering::Relaxed);
    }

    /// One message from viewer `id`: one or more S-packets. Pings (the
    /// common message) and the commands that need no action are answered
    /// without the fan-out lock; only a message with a keyframe request or
    /// a bitrate report, or a bad one, takes it.
    pub fn client_message(&self, id: u64, bytes: &[u8]) -> ClientOutcome {
        let limits = client_limits(self.limits.max_client_message);
        let requests = match parse_client_message(bytes, &limits) {
            Ok(requests) => requests,
            Err(error) => {
                let mut guard = self.lock();
                let state = &mut *guard;
                return match state.viewers.iter().position(|s| s.id == id) {
                    Some(slot_index) => self.count_bad_message(state, slot_index, error),
                    None => ClientOutcome::Replies(Vec::new()),
                };
            }
        };
        let now = Instant::now();
        let mut replies = Vec::new();
        let mut notices = Notices::default();
        let last_sequence = self.latest_sequence();
        for request in &requests {
            if let ViewerRequest::Ping { sequence, timestamp_us } = *request {
                replies.push(notices.pong(last_sequence, sequence, timestamp_us, crate::live::unix_time_us()));
            }
        }
        if requests.iter().any(|r| matches!(r, ViewerRequest::Keyframe | ViewerRequest::Bitrate(_))) {
            let mut guard = self.lock();
            let state = &mut *guard;
            let Some(slot_index) = state.viewers.iter().position(|s| s.id == id) else {
                return ClientOutcome::Replies(Vec::new());
            };
            for request in requests {
                match request {
                    ViewerRequest::Keyframe => self.viewer_requests_keyframe(state, slot_index, now),
                    ViewerRequest::Bitrate(bits) => state.viewers[slot_index].bitrate_report = Some((bits, now)),
                    ViewerRequest::Ping { .. } | ViewerRequest::Ignored(_) => {}
                }
            }
        }
        ClientOutcome::Replies(replies)
    }

    /// The sequence number of the latest frame published (0 before the
    /// first), read without the lock.
    fn latest_sequence(&self) -> u32 {
        // Only the low 32 bits are ever stored.
        self.latest_sequence.load(Ordering::Acquire) as u32
    }

    /// A damaged or unacceptable message from viewer `id` (found by a
    /// transport that parses a stream itself).
    pub fn bad_message(&self, id: u64, error: &ClientMessageError) -> ClientOutcome {
        let mut guard = self.lock();
        let state = &mut *guard;
        match state.viewers.iter().position(|s| s.id == id) {
            Some(i) => self.count_bad_message(state, i, ClientMessageError::Other(error.to_string())),
            None => ClientOutcome::Replies(Vec::new()),
        }
    }

    fn count_bad_message(&self, state: &mut State, slot_index: usize, error: ClientMessageError) -> ClientOutcome {
        state.stats.bad_messages += 1;
        let slot = &mut state.viewers[slot_index];
        slot.bad_messages += 1;
        if slot.bad_messages == 1 {
            warn!(viewer = slot.id, %error, "bad message from viewer");
        }
        if slot.bad_messages >= self.limits.max_bad_messages {
            return ClientOutcome::Disconnect(format!("protocol error: {} bad messages", slot.bad_messages));
        }
        ClientOutcome::Refused(error)
    }

    /// The input has ended: every viewer gets an EndOfStream after what is
    /// queued, then its queue closes. Later joiners get just the notice.
    pub fn end(&self, reason: &str) {
        let mut state = self.lock();
        let last = state.last_sequence.unwrap_or(0);
        let notice = state.notices.end_of_stream(last, reason);
        state.end_notice = Some(notice.clone());
        state.stats.ended = true;
        state.group = Group::default();
        state.viewers_per_address.clear();
        for slot in state.viewers.drain(..) {
            // A viewer whose queue is full misses the notice but still sees
            // its connection closed with the reason.
            let _ = slot.tx.try_send(notice.clone());
            let _ = slot.close_reason.set(format!("end of stream: {reason}"));
        }
        info!(reason, "stream ended");
    }
}

enum Delivery {
    Kept,
    Gone,
    Kick(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::packet::Sync as SyncPacket;
    use asp_core::schema::SyncCommand;
    use asp_core::PacketWriter;
    use std::time::Duration;

    fn s_packet(command: SyncCommand, kbps: u32) -> Vec<u8> {
        let mut s = SyncPacket::command(command);
        s.bitrate_kbps = kbps;
        PacketWriter::new().write_s(0, 0, &s).unwrap().to_vec()
    }

    fn frame(hub: &Hub, sequence: u32, keyframe: bool) {
        hub.publish(Bytes::from(vec![keyframe as u8; 100]), sequence, keyframe);
    }

    #[test]
    fn the_bitrate_follows_the_median_healthy_viewer_within_limits() {
        let hub = Hub::new(ViewerLimits::default(), StreamPolicy::for_bitrate(2_000_000));
        let (a, b) = (hub.join().unwrap(), hub.join().unwrap());
        assert_eq!(hub.control().bitrate(), 2_000_000, "nobody reported: the configured rate");
        hub.client_message(a.id, &s_packet(SyncCommand::BitrateAdjust, 1200));
        hub.client_message(b.id, &s_packet(SyncCommand::BitrateAdjust, 800));
        frame(&hub, 0, true);
        assert_eq!(hub.control().bitrate(), 1_200_000, "of two, the higher middle value");
        // Two viewers asking for almost nothing are a minority of four.
        let low: Vec<ViewerHandle> = (0..2).map(|_| hub.join().unwrap()).collect();
        for viewer in &low {
            hub.client_message(viewer.id, &s_packet(SyncCommand::BitrateAdjust, 10));
        }
        std::thread::sleep(Duration::from_millis(1100));
        frame(&hub, 1, false);
        assert_eq!(hub.control().bitrate(), 800_000);
        // A third makes them the majority; the floor (1/8 of the configured
        // rate) still holds.
        let third = hub.join().unwrap();
        hub.client_message(third.id, &s_packet(SyncCommand::BitrateAdjust, 10));
        std::thread::sleep(Duration::from_millis(1100));
        frame(&hub, 2, false);
        assert_eq!(hub.control().bitrate(), 250_000);
        // They leave: the healthy viewers' rate again.
        for viewer in low.iter().chain([&third]) {
            hub.leave(viewer.id, "test");
        }
        std::thread::sleep(Duration::from_millis(1100));
        frame(&hub, 3, false);
        assert_eq!(hub.control().bitrate(), 1_200_000);
    }

    #[test]
    fn a_viewer_that_says_nothing_counts_as_doing_fine() {
        let hub = Hub::new(ViewerLimits::default(), StreamPolicy::for_bitrate(2_000_000));
        let (quiet, low) = (hub.join().unwrap(), hub.join().unwrap());
        hub.client_message(low.id, &s_packet(SyncCommand::BitrateAdjust, 10));
        frame(&hub, 0, true);
        assert_eq!(hub.control().bitrate(), 2_000_000, "one report does not pin the rate");
        hub.leave(quiet.id, "test");
        std::thread::sleep(Duration::from_millis(1100));
        frame(&hub, 1, false);
        assert_eq!(hub.control().bitrate(), 250_000, "the only viewer is heard");
    }

    #[test]
    fn keyframe_requests_are_rate_limited_and_merged() {
        let hub = Hub::new(ViewerLimits::default(), StreamPolicy::default());
        let (viewer, other) = (hub.join().unwrap(), hub.join().unwrap());
        frame(&hub, 0, true);
        let control = hub.control();
        for _ in 0..50 {
            hub.client_message(viewer.id, &s_packet(SyncCommand::RequestKeyframe, 0));
        }
        assert!(control.take_keyframe_request(), "the first request goes through");
        assert_eq!(hub.stats().ignored_keyframe_requests, 49, "the viewer's own budget ignores the rest");
        hub.client_message(other.id, &s_packet(SyncCommand::RequestKeyframe, 0));
        frame(&hub, 1, false);
        assert!(!control.take_keyframe_request(), "another viewer's request within the second waits");
        assert_eq!(hub.stats().forced_keyframes, 1);
        std::thread::sleep(Duration::from_millis(1050));
        frame(&hub, 2, false);
        assert!(control.take_keyframe_request(), "the pending request fires once the interval has passed");
        assert_eq!(hub.stats().forced_keyframes, 2);
        std::thread::sleep(Duration::from_millis(1050));
        hub.client_message(viewer.id, &s_packet(SyncCommand::RequestKeyframe, 0));
        frame(&hub, 3, false);
        assert!(!control.take_keyframe_request(), "the first viewer's next request counts only after its interval");
    }

    #[test]
    fn reconnecting_or_a_second_viewer_from_one_address_gets_no_fresh_keyframe_budget() {
        // No stream-wide limit here: only the per-viewer and per-address ones.
        let policy = StreamPolicy { keyframe_min_interval: Duration::ZERO, ..StreamPolicy::default() };
        let hub = Hub::new(ViewerLimits::default(), policy);
        let control = hub.control();
        let attacker: IpAddr = "192.0.2.7".parse().unwrap();
        frame(&hub, 0, true);
        let first = hub.join_from(Some(attacker)).unwrap();
        hub.client_message(first.id, &s_packet(SyncCommand::RequestKeyframe, 0));
        assert!(control.take_keyframe_request(), "the address's first request counts");
        hub.leave(first.id, "reconnecting");
        let again = hub.join_from(Some(attacker)).unwrap();
        let beside = hub.join_from(Some(attacker)).unwrap();
        for viewer in [&again, &beside] {
            hub.client_message(viewer.id, &s_packet(SyncCommand::RequestKeyframe, 0));
        }
        assert!(!control.take_keyframe_request(), "no fresh budget for the address");
        assert_eq!(hub.stats().ignored_keyframe_requests, 2);
        // Another address (an IPv6 /64 counts as one) still has its own.
        let elsewhere = hub.join_from(Some("2001:db8::1".parse().unwrap())).unwrap();
        hub.client_message(elsewhere.id, &s_packet(SyncCommand::RequestKeyframe, 0));
        assert!(control.take_keyframe_request());
    }

    #[test]
    fn a_full_queue_skips_to_the_next_keyframe_and_tells_the_viewer() {
        let limits = ViewerLimits { queue_len: 2, ..ViewerLimits::default() };
        let hub = Hub::new(limits, StreamPolicy::default());
        let mut viewer = hub.join().unwrap();
        for sequence in 0..5 {
            frame(&hub, sequence, sequence == 0);
        }
        // Frames 0 and 1 fit; 2, 3, 4 are skipped.
        let got: Vec<Bytes> = std::iter::from_fn(|| viewer.queue.try_recv().ok()).collect();
        assert_eq!(got.len(), 2);
        frame(&hub, 5, true);
        let notice = viewer.queue.try_recv().unwrap();
        let packet = asp_core::Packet::parse(&notice).unwrap();
        let asp_core::Payload::S(s) = packet.payload() else { panic!("not a notice") };
        assert_eq!(s.sequences().unwrap().iter().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(viewer.queue.try_recv().unwrap()[0], 1, "then the keyframe");
        assert_eq!(hub.stats().skip_episodes, 1);
    }

    #[test]
    fn c_packets_follow_their_frame_and_are_dropped_never_skipped_for() {
        let limits = ViewerLimits { queue_len: 3, ..ViewerLimits::default() };
        let hub = Hub::new(limits, StreamPolicy::default());
        let c_packet = || Bytes::from(vec![7u8; 10]);
        let mut early = hub.join().unwrap();
        hub.publish_c_packet(c_packet(), 0);
        assert_eq!(hub.stats().c_packets, 0, "no frame published yet: nothing to refine");
        frame(&hub, 0, true);
        hub.publish_c_packet(c_packet(), 0);
        frame(&hub, 1, false);
        hub.publish_c_packet(c_packet(), 1);
        // The early viewer has 3 slots: frame 0, its C-packet, frame 1; the
        // C-packet of frame 1 does not fit with room for the next frame.
        let got: Vec<u8> = std::iter::from_fn(|| early.queue.try_recv().ok()).map(|p| p[0]).collect();
        assert_eq!(got, vec![1, 7, 0]);
        let stats = hub.stats();
        assert_eq!((stats.c_packets, stats.dropped_c_packets, stats.skip_episodes), (2, 1, 0));
        assert_eq!((stats.frames, stats.group_packets), (2, 2), "C-packets are neither frames nor kept for joiners");
        // A late joiner starts on the keyframe run, without C-packets; the
        // C-packet of a frame it was given comes live.
        let mut late = hub.join().unwrap();
        assert_eq!(late.backlog.iter().map(|p| p[0]).collect::<Vec<_>>(), vec![1, 0]);
        hub.publish_c_packet(c_packet(), 1);
        assert_eq!(late.queue.try_recv().unwrap()[0], 7);
        hub.end("test");
        hub.publish_c_packet(c_packet(), 1);
        assert_eq!(hub.stats().c_packets, 3, "nothing after the end");
    }

    #[test]
    fn a_viewer_that_keeps_falling_behind_is_disconnected_with_a_reason() {
        let limits = ViewerLimits { queue_len: 2, max_skip_episodes: 2, ..ViewerLimits::default() };
        let hub = Hub::new(limits, StreamPolicy::default());
        let mut viewer = hub.join().unwrap();
        let mut sequence = 0;
        // Each keyframe run: it resumes at the keyframe, falls behind again
        // at once, and the test drains its queue (a reader in bursts).
        for _ in 0..4 {
            for i in 0..4 {
                frame(&hub, sequence, i == 0);
                sequence += 1;
            }
            while viewer.queue.try_recv().is_ok() {}
        }
        assert!(viewer.close_reason().is_some_and(|r| r.starts_with("too slow")), "{:?}", viewer.close_reason());
        assert_eq!(hub.stats().viewers, 0);
        assert_eq!(hub.stats().kicked, 1);
    }
}
