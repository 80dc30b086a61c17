//! The decoding state machine behind the JS `Decoder`, free of JS types so
//! that it runs (and is tested) natively too.
//!
//! Two ways in: [`Player::push_with`] takes transport chunks of any size
//! (then [`Player::next_frame`] decodes the buffered packets one frame at a
//! time), [`Player::decode_with`] takes exactly one whole packet. Either way
//! the bytes are written once into wasm memory and parsed in place.
//!
//! Errors are values: a damaged span, a packet that fails its checks or a
//! frame that fails to decode sets [`Player::last_error`] and makes the
//! player wait for a keyframe (delta frames are dropped until one arrives,
//! and the last good frame stays readable). Nothing here panics on input.

use asp_core::codec::decoder::{Decoder, Parallel};
use asp_core::codec::frame::Frame;
use asp_core::packet::{Packet, PacketType};
use asp_core::Limits;

use crate::stream::{Item, OutOfMemory, StreamBuffer};

/// What the packet said about the frame on show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FrameMeta {
    pub sequence: u32,
    pub keyframe: bool,
    pub capture_time_us: Option<u64>,
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
    stream: StreamBuffer,
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
    stats: Stats,
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
                stats: Stats::default(),
            },
            stream: StreamBuffer::new(limits),
            packet: Vec::new(),
        }
    }

    /// Appends a transport chunk of `len` bytes, written into the receive
    /// buffer by `fill`, and returns the number of I and D packets now
    /// waiting (each is a frame unless it turns out undecodable).
    pub fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> usize {
        self.state.last_error = None;
        if let Err(OutOfMemory { requested }) = self.stream.push_with(len, fill) {
            self.state.fail(format!("out of memory: cannot buffer {requested} more bytes"));
        }
        self.stream.pictures_ready()
    }

    /// Decodes buffered packets until one produces a frame (`true`) or none
    /// is left (`false`). Sync and correction packets, damage reports and
    /// frames that fail are consumed on the way; the last error is kept.
    pub fn next_frame(&mut self, parallel: &impl Parallel) -> bool {
        self.state.last_error = None;
        while let Some(item) = self.stream.pop() {
            match item {
                Item::Packet { offset, len, .. } => {
                    let bytes = self.stream.bytes(offset, len);
                    if self.state.decode_bytes(bytes, parallel) {
                        return true;
                    }
                }
                Item::Damaged { offset, error } => {
                    self.state.fail(format!("damaged data at byte {offset} of the stream: {error}"));
                }
                Item::Overflow { packets, pictures } => {
                    self.state.stats.dropped += pictures as u64;
                    self.state.fail(format!(
                        "decoding fell behind: {packets} buffered packets ({pictures} frames) dropped"
                    ));
                }
            }
        }
        false
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
        self.state.decode_bytes(&self.packet, parallel)
    }

    /// [`Player::decode_with`] from a Rust slice.
    pub fn decode(&mut self, bytes: &[u8], parallel: &impl Parallel) -> bool {
        self.decode_with(bytes.len(), |dst| dst.copy_from_slice(bytes), parallel)
    }

    /// The frame on show: the last one decoded, if any.
    pub fn frame(&self) -> Option<&Frame> {
        self.state.meta.and(self.state.decoder.last_frame())
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

    /// I and D packets buffered and not yet decoded.
    pub fn frames_ready(&self) -> usize {
        self.stream.pictures_ready()
    }

    /// Bytes held in the receive buffer.
    pub fn buffered_bytes(&self) -> usize {
        self.stream.buffered()
    }

    /// Bytes skipped as damaged by the receive buffer.
    pub fn damaged_bytes(&self) -> u64 {
        self.stream.damaged_bytes()
    }

    /// Records a misuse by the caller (a wrong argument type) as the last
    /// error; the stream state is untouched.
    pub fn caller_error(&mut self, message: &str) {
        self.state.last_error = Some(message.to_owned());
    }

    /// Drops everything buffered and waits for a keyframe; the last frame
    /// stays readable.
    pub fn reset(&mut self) {
        self.stream.clear();
        self.state.needs_keyframe = true;
        self.state.last_error = None;
    }
}

impl State {
    fn fail(&mut self, message: String) {
        self.stats.errors += 1;
        self.needs_keyframe = true;
        self.last_error = Some(message);
    }

    /// Parses and decodes one packet's bytes; `true` for a new frame.
    fn decode_bytes(&mut self, bytes: &[u8], parallel: &impl Parallel) -> bool {
        let packet = match Packet::parse_with(bytes, &self.limits) {
            Ok(packet) => packet,
            Err(error) => {
                self.fail(format!("damaged packet: {error}"));
                return false;
            }
        };
        if self.needs_keyframe && packet.packet_type() == PacketType::D {
            self.stats.dropped += 1;
            return false;
        }
        match self.decoder.decode_with(&packet, parallel) {
            Ok(Some(decoded)) => {
                self.meta = Some(FrameMeta {
                    sequence: decoded.sequence,
                    keyframe: decoded.keyframe,
                    capture_time_us: decoded.capture_time_us,
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
