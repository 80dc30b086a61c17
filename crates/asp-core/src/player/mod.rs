//! The stream player: packets (or transport chunks) in, pictures out, with
//! the decode rules every front end shares (`asp-decode`, the browser
//! binding, Python). This module is the only place those rules live.
//!
//! Input comes two ways: [`Player::push`] / [`Player::push_with`] take
//! chunks of any size into a [`PacketReader`] (packets may span chunks,
//! damaged bytes are skipped and reported), [`Player::push_packet`] /
//! [`Player::push_packet_with`] take exactly one whole packet. Either way
//! the bytes are copied once and parsed in place. Then [`Player::next_event`]
//! runs the rules one packet at a time and says what happened, until it
//! returns `None` (more input needed). [`Player::finish`] marks the end of
//! the stream.
//!
//! # The rules
//!
//! * **Join**: decoding starts at a keyframe (I-packet) or at an
//!   intra-refresh start (a D-packet with `refresh_frames != 0`, decoded
//!   from whatever reference there is, mid-grey if none; its pictures are
//!   [`FrameMeta::recovering`] until the refresh cycle completes). Delta
//!   frames before that are dropped ([`Event::Dropped`]).
//! * **Recovery**: after damaged bytes, a packet that fails its checks, or
//!   a frame that fails to decode, the player waits again for a keyframe
//!   or a refresh start, dropping delta frames until then. The last good
//!   picture stays on show.
//! * **C-packets stack**: a C-packet applies to the picture on show, that
//!   is the decoded frame its `ref_sequence` names plus the C-packets
//!   already applied to it, in order. It never touches the decoder's
//!   reference, so dropping C-packets ([`Settings::drop_c`]) shows exactly
//!   the base stream. It applies all or nothing: one that fails is
//!   reported ([`Error::Refine`]) and leaves the picture as it was (no
//!   keyframe needed). One naming another frame than the one on show, or
//!   arriving when no picture is open to refinement, is refused
//!   ([`Error::WrongFrame`]).
//! * **Colour facts** ([`StreamFacts`]: range, matrix, frame rate) come
//!   from the stream info of I-packets and refresh starts, taken when such
//!   a packet decodes: they describe the picture on show.
//!
//! # Events
//!
//! Each decoded I/D frame is an [`Event::Picture`]; each C-packet applied
//! to it an [`Event::Refined`]; then exactly one [`Event::Final`] says the
//! picture will not change again, before the next I or D packet is read
//! (its header is enough to know), at the end of the stream, or after
//! [`Player::reset`] / [`Player::discard`]. A player that shows pictures at
//! once uses `Picture` and `Refined`; one that writes each picture once,
//! refined (`asp-decode`), writes it on `Final`. Errors are values
//! ([`Event::Error`]); nothing here panics on input.
//!
//! Tiles run on the [`Parallel`] executor given to [`Player::next_event`].

use alloc::vec::Vec;

use crate::codec::decoder::Decoder;
use crate::codec::parallel::Parallel;
use crate::codec::frame::Frame;
use crate::codec::correction::apply_correction;
use crate::limits::Limits;
use crate::packet::{Header, Packet, PacketReader, PacketType, Payload, ReadEvent, HEADER_LEN, TRAILER_LEN};
use crate::schema::{self, ColorMatrix, ColorRange};

mod error;
#[cfg(test)]
mod tests;

pub use error::Error;

/// How a [`Player`] treats the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Ignore C-packets: show the base stream, as a viewer short of
    /// bandwidth would.
    pub drop_c: bool,
    /// Caps on untrusted input, for the packet reader and the decoder.
    pub limits: Limits,
    /// Most bytes the chunk reader may hold: past this a push drops what
    /// waits ([`Error::FellBehind`]; the caller pushes faster than it
    /// reads events). Never less than one largest packet.
    pub max_buffered: usize,
}

impl Settings {
    /// The default settings with `limits`.
    pub const fn with_limits(limits: Limits) -> Settings {
        let two_packets = max_packet_len(&limits).saturating_mul(2);
        let max_buffered = if two_packets > 64 << 20 { two_packets } else { 64 << 20 };
        Settings { drop_c: false, limits, max_buffered }
    }
}

/// The largest packet `limits` allow, in bytes.
const fn max_packet_len(limits: &Limits) -> usize {
    (HEADER_LEN + TRAILER_LEN).saturating_add(limits.max_payload_len as usize)
}

impl Default for Settings {
    fn default() -> Self {
        Settings::with_limits(Limits::DEFAULT)
    }
}

/// What the packet said about the picture on show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameMeta {
    pub sequence: u32,
    pub keyframe: bool,
    pub capture_time_us: Option<u64>,
    /// Joined at an intra-refresh start and not yet fully refreshed: the
    /// picture is still converging to the encoder's.
    pub recovering: bool,
    /// C-packets applied to the picture so far.
    pub refinements: u32,
}

/// What the last keyframe or refresh start said about the stream (for the
/// renderer's colour conversion and a file player's pacing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamFacts {
    pub color_range: ColorRange,
    pub color_matrix: ColorMatrix,
    pub fps_num: u32,
    pub fps_den: u32,
}

impl StreamFacts {
    fn of(stream: &schema::StreamInfo<'_>) -> StreamFacts {
        StreamFacts {
            color_range: stream.color_range(),
            color_matrix: stream.color_matrix(),
            fps_num: stream.fps_num(),
            fps_den: stream.fps_den(),
        }
    }
}

/// Counters, for a statistics overlay or a summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames decoded.
    pub decoded: u64,
    /// Delta frames dropped while waiting for a keyframe or refresh start
    /// (and I/D packets thrown away by [`Player::discard`]).
    pub dropped: u64,
    /// C-packets applied.
    pub refined: u64,
    /// Damaged spans skipped and whole packets that failed their checks.
    pub damaged: u64,
    /// I/D packets that failed to decode.
    pub failed: u64,
    /// Every [`Error`] reported.
    pub errors: u64,
}

/// Why the player is waiting for a keyframe or an intra-refresh start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// Nothing has been decoded yet.
    Start,
    /// After a loss: damage, a bad packet, a frame that failed, input
    /// dropped because the caller fell behind.
    Loss,
    /// After [`Player::reset`] or [`Player::discard`].
    Reset,
}

/// What [`Player::next_event`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A new base picture (an I or D frame) is on show.
    Picture(FrameMeta),
    /// A C-packet refined the picture on show.
    Refined(FrameMeta),
    /// The picture on show will not change again.
    Final(FrameMeta),
    /// A delta frame was dropped while waiting for a keyframe or an
    /// intra-refresh start.
    Dropped { sequence: u32, waiting: Waiting },
    /// Something went wrong; see [`Error`].
    Error(Error),
}

/// The stream player. See the module documentation.
#[derive(Debug)]
pub struct Player {
    settings: Settings,
    reader: PacketReader,
    /// A whole packet given by [`Player::push_packet_with`], waiting to be
    /// read when `queued`.
    packet: Vec<u8>,
    queued: bool,
    finished: bool,
    state: State,
}

#[derive(Debug)]
struct State {
    decoder: Decoder,
    settings: Settings,
    waiting: Option<Waiting>,
    meta: Option<FrameMeta>,
    /// The picture on show may still be refined (no `Final` yet).
    open: bool,
    /// `Final` is due whatever comes next (reset, discard).
    close: bool,
    facts: Option<StreamFacts>,
    stats: Stats,
    /// The picture on show with its C-packets applied, when any were (the
    /// base picture is the decoder's reference, which they never touch).
    refined: Option<Frame>,
}

impl Default for Player {
    fn default() -> Self {
        Player::new(Settings::default())
    }
}

impl Player {
    pub fn new(settings: Settings) -> Player {
        let settings = Settings { max_buffered: settings.max_buffered.max(max_packet_len(&settings.limits)), ..settings };
        Player {
            settings,
            reader: PacketReader::with_limits(settings.limits),
            packet: Vec::new(),
            queued: false,
            finished: false,
            state: State {
                decoder: Decoder::with_limits(settings.limits),
                settings,
                waiting: Some(Waiting::Start),
                meta: None,
                open: false,
                close: false,
                facts: None,
                stats: Stats::default(),
                refined: None,
            },
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Appends a transport chunk (packets may span chunks).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.push_with(chunk.len(), |dst| dst.copy_from_slice(chunk))
    }

    /// Appends a chunk of `len` bytes that `fill` writes straight into the
    /// reader's buffer (a caller whose bytes live elsewhere, a JS array,
    /// copies them once). [`Error::FellBehind`]: what waited was dropped to
    /// make room (the chunk is kept); [`Error::OutOfMemory`]: the chunk
    /// was not kept. Either way the player waits for a keyframe.
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), Error> {
        let waiting = self.reader.buffered();
        let mut result = Ok(());
        if waiting.saturating_add(len) > self.settings.max_buffered {
            self.reader.clear();
            result = Err(self.state.fail(Error::FellBehind { dropped: waiting }));
        }
        if self.reader.push_with(len, fill).is_err() {
            result = Err(self.state.fail(Error::OutOfMemory { bytes: len }));
        }
        result
    }

    /// Gives exactly one whole packet of `bytes`; read the events it makes
    /// with [`Player::next_event`] before giving the next.
    pub fn push_packet(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.push_packet_with(bytes.len(), |dst| dst.copy_from_slice(bytes))
    }

    /// [`Player::push_packet`] with the bytes written by `fill` into the
    /// player's packet buffer (`len` bytes). A packet given before the
    /// previous one was read replaces it ([`Error::FellBehind`]).
    pub fn push_packet_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), Error> {
        let mut result = Ok(());
        if self.queued {
            result = Err(self.state.fail(Error::FellBehind { dropped: self.packet.len() }));
        }
        self.queued = false;
        self.packet.clear();
        if self.packet.try_reserve(len).is_err() {
            return Err(self.state.fail(Error::OutOfMemory { bytes: len }));
        }
        self.packet.resize(len, 0);
        fill(&mut self.packet);
        self.queued = true;
        result
    }

    /// Marks the end of the stream: a truncated tail is reported as damage
    /// and the picture on show becomes final.
    pub fn finish(&mut self) {
        self.reader.finish();
        self.finished = true;
    }

    /// Runs the rules on the next buffered packet and says what happened;
    /// `None` when more input is needed (or, after [`Player::finish`], when
    /// the stream is over). Packets without a visible effect (S-packets,
    /// C-packets under [`Settings::drop_c`]) are consumed on the way.
    pub fn next_event(&mut self, parallel: &impl Parallel) -> Option<Event> {
        loop {
            if self.state.open && (self.state.close || self.next_replaces_picture()) {
                return Some(self.state.close_picture());
            }
            if self.queued {
                self.queued = false;
                let event = match Packet::parse_with(&self.packet, &self.settings.limits) {
                    Ok(packet) => self.state.handle(&packet, parallel),
                    Err(error) => Some(Event::Error(self.state.fail(Error::BadPacket(error)))),
                };
                match event {
                    Some(event) => return Some(event),
                    None => continue,
                }
            }
            let event = match self.reader.next_event() {
                Some(ReadEvent::Packet { packet, .. }) => self.state.handle(&packet, parallel),
                Some(ReadEvent::Skipped { offset, len, error }) => {
                    Some(Event::Error(self.state.fail(Error::Damaged { offset, len, error })))
                }
                None if self.finished && self.state.open => Some(self.state.close_picture()),
                None => return None,
            };
            if event.is_some() {
                return event;
            }
        }
    }

    /// Whether the next packet is an I or D packet, which ends the picture
    /// on show (its header says so; the packet is not read yet).
    fn next_replaces_picture(&self) -> bool {
        let header = if self.queued {
            Header::decode(&self.packet, &self.settings.limits).ok()
        } else {
            self.reader.peek_header()
        };
        header.is_some_and(|h| matches!(h.packet_type, PacketType::I | PacketType::D))
    }

    /// Consumes every buffered packet without decoding it (a hidden player
    /// keeps up with a live stream this way): I/D packets count as dropped
    /// and the player waits for the next keyframe. Returns the I/D packets
    /// dropped.
    pub fn discard(&mut self) -> usize {
        let mut dropped = 0;
        let is_picture = |t: PacketType| usize::from(matches!(t, PacketType::I | PacketType::D));
        if self.queued {
            self.queued = false;
            if let Ok(header) = Header::decode(&self.packet, &self.settings.limits) {
                dropped += is_picture(header.packet_type);
            }
        }
        while let Some(event) = self.reader.next_event() {
            if let ReadEvent::Packet { packet, .. } = event {
                dropped += is_picture(packet.packet_type());
            }
        }
        self.state.stats.dropped += dropped as u64;
        if dropped > 0 {
            self.state.wait(Waiting::Reset);
        }
        dropped
    }

    /// Drops everything buffered and waits for a keyframe (after a seek or
    /// a reconnection). The picture on show stays readable; its `Final`
    /// comes with the next call to [`Player::next_event`].
    pub fn reset(&mut self) {
        self.reader.clear();
        self.queued = false;
        self.finished = false;
        self.state.wait(Waiting::Reset);
    }

    /// The picture on show: the last frame decoded, with the C-packets
    /// applied to it, if any frame was decoded.
    pub fn picture(&self) -> Option<&Frame> {
        self.state.meta?;
        self.state.refined.as_ref().or(self.state.decoder.last_frame())
    }

    /// What the packet said about the picture on show.
    pub fn meta(&self) -> Option<FrameMeta> {
        self.state.meta
    }

    /// Why the player waits for a keyframe or a refresh start, if it does:
    /// from the start until one decodes, and again after any loss.
    pub fn waiting(&self) -> Option<Waiting> {
        self.state.waiting
    }

    /// Whether delta frames are being dropped (a live player asks the
    /// sender for a keyframe).
    pub fn needs_keyframe(&self) -> bool {
        self.state.waiting.is_some()
    }

    pub fn stats(&self) -> Stats {
        self.state.stats
    }

    /// What the last keyframe or refresh start said about the stream.
    pub fn facts(&self) -> Option<StreamFacts> {
        self.state.facts
    }

    /// Bytes held in the chunk reader, not yet read.
    pub fn buffered_bytes(&self) -> usize {
        self.reader.buffered()
    }

    /// Bytes the chunk reader skipped as damaged (spans reported so far).
    pub fn damaged_bytes(&self) -> u64 {
        self.reader.skipped_bytes()
    }
}

impl State {
    /// Counts `error`, starts waiting for a keyframe if it lost stream
    /// data, and hands it back for the event.
    fn fail(&mut self, error: Error) -> Error {
        self.stats.errors += 1;
        match error {
            Error::Damaged { .. } | Error::BadPacket(_) => self.stats.damaged += 1,
            Error::Decode { .. } => self.stats.failed += 1,
            _ => {}
        }
        if error.loses_data() {
            self.wait(Waiting::Loss);
        }
        error
    }

    fn wait(&mut self, why: Waiting) {
        self.waiting = Some(if self.meta.is_none() { Waiting::Start } else { why });
        if why == Waiting::Reset {
            self.close = self.open;
        }
    }

    fn close_picture(&mut self) -> Event {
        self.open = false;
        self.close = false;
        Event::Final(self.meta.unwrap_or_default())
    }

    /// Runs the rules on one verified packet; `None` when it has no visible
    /// effect.
    fn handle(&mut self, packet: &Packet<'_>, parallel: &impl Parallel) -> Option<Event> {
        let stream = match packet.payload() {
            Payload::C(c) => return self.correct(packet.sequence(), &c),
            Payload::S(_) => return None,
            Payload::I(i) => i.stream(),
            Payload::D(d) if d.refresh_frames() != 0 => d.stream(),
            Payload::D(_) => None,
        };
        let refresh_start = packet.packet_type() == PacketType::D && stream.is_some();
        if let Some(waiting) = self.waiting {
            if packet.packet_type() == PacketType::D && !refresh_start {
                self.stats.dropped += 1;
                return Some(Event::Dropped { sequence: packet.sequence(), waiting });
            }
        }
        match self.decoder.decode_with(packet, parallel) {
            Ok(Some(decoded)) => {
                let meta = FrameMeta {
                    sequence: decoded.sequence,
                    keyframe: decoded.keyframe,
                    capture_time_us: decoded.capture_time_us,
                    recovering: decoded.recovering,
                    refinements: 0,
                };
                if let Some(stream) = stream {
                    self.facts = Some(StreamFacts::of(&stream));
                }
                self.refined = None;
                self.meta = Some(meta);
                self.open = true;
                self.close = false;
                self.waiting = None;
                self.stats.decoded += 1;
                Some(Event::Picture(meta))
            }
            // I and D packets always code a picture.
            Ok(None) => None,
            Err(error) => Some(Event::Error(self.fail(Error::Decode { sequence: packet.sequence(), error }))),
        }
    }

    /// Applies a C-packet to a copy of the picture on show, all or nothing.
    fn correct(&mut self, sequence: u32, c: &schema::CPacketPayload<'_>) -> Option<Event> {
        if self.settings.drop_c {
            return None;
        }
        let wanted = c.ref_sequence();
        let on_show = self.meta.filter(|_| self.open);
        let (Some(mut meta), Some(base)) = (on_show, self.decoder.last_frame()) else {
            return Some(Event::Error(self.fail(Error::WrongFrame { sequence, wanted, on_show: None })));
        };
        if wanted != meta.sequence {
            return Some(Event::Error(self.fail(Error::WrongFrame { sequence, wanted, on_show: Some(meta.sequence) })));
        }
        let mut copy = self.refined.as_ref().unwrap_or(base).clone();
        match apply_correction(&mut copy, meta.sequence, c) {
            Ok(()) => {
                self.refined = Some(copy);
                meta.refinements += 1;
                self.meta = Some(meta);
                self.stats.refined += 1;
                Some(Event::Refined(meta))
            }
            Err(error) => Some(Event::Error(self.fail(Error::Refine { sequence, error }))),
        }
    }
}
