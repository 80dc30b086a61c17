//! The decoding state machine behind the JS `Decoder`, free of JS types so
//! that it runs (and is tested) natively too.
//!
//! Two ways in: [`Player::push_with`] takes transport chunks of any size
//! into asp-core's `PacketReader` (then [`Player::next_frame`] decodes the
//! buffered packets one frame at a time), [`Player::decode_with`] takes
//! exactly one whole packet. Either way the bytes are written once into
//! wasm memory and parsed in place.
//!
//! Errors are values: a damaged span, a packet that fails its checks or a
//! frame that fails to decode sets [`Player::last_error`] and makes the
//! player wait for a keyframe (delta frames are dropped until one arrives,
//! and the last good frame stays readable). Nothing here panics on input.

use asp_core::codec::decoder::Decoder;
use asp_core::codec::parallel::Parallel;
use asp_core::codec::frame::Frame;
use asp_core::codec::refinement::apply_refinement;
use asp_core::packet::{Packet, PacketReader, PacketType, Payload, ReadEvent, HEADER_LEN, TRAILER_LEN};
use asp_core::Limits;

/// What the packet said about the frame on show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameMeta {
    pub sequence: u32,
    pub keyframe: bool,
    pub capture_time_us: Option<u64>,
    /// Joined at an intra-refresh start and not yet fully refreshed: the
    /// picture is still converging to the encoder's.
    pub recovering: bool,
}

/// What the last keyframe said about the stream (for the renderer's colour
/// conversion and a file player's pacing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamFacts {
    /// `Alice.Asp.ColorRange`: 0 limited, 1 full.
    pub color_range: u8,
    /// `Alice.Asp.ColorMatrix`: 0 BT.601, 1 BT.709, 2 BT.2020.
    pub color_matrix: u8,
    pub fps_num: u32,
    pub fps_den: u32,
}

/// Counters, for a player's statistics overlay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames decoded.
    pub decoded: u64,
    /// Delta frames dropped while waiting for a keyframe.
    pub dropped: u64,
    /// Errors (damaged spans, bad packets, frames that failed to decode).
    pub errors: u64,
}

/// The decoder, its state, and the two input buffers.
#[derive(Debug)]
pub struct Player {
    state: State,
    reader: PacketReader,
    /// Most bytes the reader may hold: past this, a push drops what waits
    /// (the caller pushes faster than it decodes).
    max_buffered: usize,
    /// The buffer [`Player::decode_with`] copies whole packets into.
    packet: Vec<u8>,
}

#[derive(Debug)]
struct State {
    decoder: Decoder,
    limits: Limits,
    needs_keyframe: bool,
    last_error: Option<String>,
    meta: Option<FrameMeta>,
    facts: Option<StreamFacts>,
    stats: Stats,
    /// The frame on show refined by a C-packet (regions of interest coded
    /// finer, for display only: the decoder's reference stays as it was).
    refined: Option<Frame>,
}

impl Default for Player {
    fn default() -> Self {
        Player::new(Limits::DEFAULT)
    }
}

impl Player {
    pub fn new(limits: Limits) -> Player {
        Player {
            state: State {
                decoder: Decoder::with_limits(limits),
                limits,
                needs_keyframe: true,
                last_error: None,
                meta: None,
                facts: None,
                stats: Stats::default(),
                refined: None,
            },
            reader: PacketReader::with_limits(limits),
            max_buffered: (64usize << 20).max(2 * (HEADER_LEN + limits.max_payload_len as usize + TRAILER_LEN)),
            packet: Vec::new(),
        }
    }

    /// Appends a transport chunk of `len` bytes, written into the reader's
    /// buffer by `fill`. Packets may span chunks; damage is reported by
    /// [`Player::next_frame`].
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        self.state.last_error = None;
        let waiting = self.reader.buffered();
        if waiting.saturating_add(len) > self.max_buffered {
            self.reader.clear();
            self.state.fail(format!("decoding fell behind: {waiting} buffered bytes dropped"));
        }
        if self.reader.push_with(len, fill).is_err() {
            self.state.fail(format!("out of memory: cannot buffer {len} more bytes"));
        }
    }

    /// Decodes buffered packets until one produces a frame (`true`) or none
    /// is left (`false`). Sync and correction packets, damaged spans and
    /// frames that fail are consumed on the way; the last error is kept.
    pub fn next_frame(&mut self, parallel: &impl Parallel) -> bool {
        self.state.last_error = None;
        while let Some(event) = self.reader.next_event() {
            match event {
                ReadEvent::Packet { packet, .. } => {
                    if self.state.decode_packet(&packet, parallel) {
                        return true;
                    }
                }
                ReadEvent::Skipped { offset, error, .. } => {
                    self.state.fail(format!("damaged data at byte {offset} of the stream: {error}"));
                }
            }
        }
        false
    }

    /// Consumes every buffered packet without decoding it (a hidden player
    /// keeps up with a live stream this way): pictures count as dropped and
    /// the player waits for the next keyframe. Returns the pictures dropped.
    pub fn discard(&mut self) -> usize {
        let mut dropped = 0;
        while let Some(event) = self.reader.next_event() {
            if let ReadEvent::Packet { packet, .. } = event {
                dropped += usize::from(matches!(packet.packet_type(), PacketType::I | PacketType::D));
            }
        }
        self.state.stats.dropped += dropped as u64;
        if dropped > 0 {
            self.state.needs_keyframe = true;
        }
        dropped
    }

    /// Decodes exactly one whole packet, copied into wasm memory by `fill`
    /// (`len` bytes). `true` if it produced a new frame.
    pub fn decode_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8]), parallel: &impl Parallel) -> bool {
        self.state.last_error = None;
        self.packet.clear();
        if self.packet.try_reserve(len).is_err() {
            self.state.fail(format!("out of memory: cannot hold a packet of {len} bytes"));
            return false;
        }
        self.packet.resize(len, 0);
        fill(&mut self.packet);
        match Packet::parse_with(&self.packet, &self.state.limits) {
            Ok(packet) => self.state.decode_packet(&packet, parallel),
            Err(error) => {
                self.state.fail(format!("damaged packet: {error}"));
                false
            }
        }
    }

    /// [`Player::decode_with`] from a Rust slice.
    pub fn decode(&mut self, bytes: &[u8], parallel: &impl Parallel) -> bool {
        self.decode_with(bytes.len(), |dst| dst.copy_from_slice(bytes), parallel)
    }

    /// The frame on show: the last one decoded, with its C-packet
    /// refinement when one came, if any.
    pub fn frame(&self) -> Option<&Frame> {
        self.state.meta?;
        self.state.refined.as_ref().or(self.state.decoder.last_frame())
    }

    pub fn meta(&self) -> Option<FrameMeta> {
        self.state.meta
    }

    /// True until the first keyframe, and again after any error until the
    /// next keyframe decodes.
    pub fn needs_keyframe(&self) -> bool {
        self.state.needs_keyframe
    }

    /// The error of the last `push`, `next_frame` or `decode` call, if it
    /// had one (the last of several).
    pub fn last_error(&self) -> Option<&str> {
        self.state.last_error.as_deref()
    }

    pub fn stats(&self) -> Stats {
        self.state.stats
    }

    /// What the last keyframe said about the stream.
    pub fn facts(&self) -> Option<StreamFacts> {
        self.state.facts
    }

    /// Bytes held in the receive buffer, not yet consumed.
    pub fn buffered_bytes(&self) -> usize {
        self.reader.buffered()
    }

    /// Bytes skipped as damaged by the receive buffer (spans reported so far).
    pub fn damaged_bytes(&self) -> u64 {
        self.reader.skipped_bytes()
    }

    /// Records a misuse by the caller (a wrong argument type) as the last
    /// error; the stream state is untouched.
    pub fn caller_error(&mut self, message: &str) {
        self.state.last_error = Some(message.to_owned());
    }

    /// Drops everything buffered and waits for a keyframe; the last frame
    /// stays readable.
    pub fn reset(&mut self) {
        self.reader.clear();
        self.state.needs_keyframe = true;
        self.state.last_error = None;
    }
}

impl State {
    /// Applies a C-packet to a copy of the frame on show (all or nothing,
    /// as asp-decode does); `true` when the picture changed. A refinement
    /// that does not apply is reported but is no loss: the base picture
    /// stays and no keyframe is needed.
    fn refine(&mut self, sequence: u32, c: &asp_core::schema::CPacketPayload<'_>) -> bool {
        let (Some(meta), Some(base)) = (self.meta, self.decoder.last_frame()) else { return false };
        if self.needs_keyframe {
            return false;
        }
        let mut copy = self.refined.as_ref().unwrap_or(base).clone();
        match apply_refinement(&mut copy, meta.sequence, c) {
            Ok(()) => {
                self.refined = Some(copy);
                true
            }
            Err(error) => {
                self.stats.errors += 1;
                self.last_error = Some(format!("C-packet {sequence} not applied: {error}"));
                false
            }
        }
    }

    fn fail(&mut self, message: String) {
        self.stats.errors += 1;
        self.needs_keyframe = true;
        self.last_error = Some(message);
    }

    /// Decodes one verified packet; `true` for a new frame. While waiting
    /// for a keyframe, delta frames are dropped, except an intra-refresh
    /// start (it carries the stream facts and is decoded from whatever
    /// reference there is; the frames are `recovering` until the refresh
    /// cycle completes).
    fn decode_packet(&mut self, packet: &Packet<'_>, parallel: &impl Parallel) -> bool {
        if let Payload::C(c) = packet.payload() {
            return self.refine(packet.sequence(), &c);
        }
        let stream = match packet.payload() {
            Payload::I(i) => i.stream(),
            Payload::D(d) if d.refresh_frames() != 0 => d.stream(),
            _ => None,
        };
        if let Some(stream) = stream {
            self.facts = Some(StreamFacts {
                color_range: stream.color_range().0,
                color_matrix: stream.color_matrix().0,
                fps_num: stream.fps_num(),
                fps_den: stream.fps_den(),
            });
        }
        let refresh_start = packet.packet_type() == PacketType::D && stream.is_some();
        if self.needs_keyframe && packet.packet_type() == PacketType::D && !refresh_start {
            self.stats.dropped += 1;
            return false;
        }
        match self.decoder.decode_with(packet, parallel) {
            Ok(Some(decoded)) => {
                self.refined = None;
                self.meta = Some(FrameMeta {
                    sequence: decoded.sequence,
                    keyframe: decoded.keyframe,
                    capture_time_us: decoded.capture_time_us,
                    recovering: decoded.recovering,
                });
                self.needs_keyframe = false;
                self.stats.decoded += 1;
                true
            }
            Ok(None) => false,
            Err(error) => {
                self.fail(format!("packet {} not decoded: {error}", packet.sequence()));
                false
            }
        }
    }
}
