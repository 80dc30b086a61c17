//! asp-wasm: the ASP decoder for the browser.
//!
//! A JS [`Decoder`] over asp-core's decoder. Packets come in as they arrive
//! (`Uint8Array` or `ArrayBuffer`), are copied once into wasm memory and
//! parsed in place; frames go out as pointers into wasm memory, so the
//! renderer uploads textures from `new Uint8Array(wasm_memory().buffer, ptr, len)`
//! views without any copy through JS arrays.
//!
//! Two builds of this crate, picked at run time by the page:
//!
//! * `single`: stable Rust, `+simd128`, tiles decoded one after the other;
//! * `threads` (cargo feature `threads`): nightly, `+atomics,+bulk-memory,
//!   +mutable-globals,+simd128`, `-Z build-std`, tiles decoded on a rayon
//!   pool of Web Workers (wasm-bindgen-rayon), for crossOriginIsolated
//!   pages. Call `await initThreadPool(n)` once, before the first decode.
//!
//! `tools/build-wasm.sh` builds both. The crate also builds natively (the
//! exports are then inert), so `cargo build --workspace` keeps working and
//! the binding is tested natively through its Rust-typed twins of the JS
//! entry points ([`Decoder::push_bytes`], [`Decoder::decode_bytes`],
//! [`Decoder::error`]).
//!
//! The decode rules (join at a keyframe or intra-refresh start, recovery
//! after damage, C-packets stacked on the picture on show, colour facts)
//! are asp-core's [`Player`]'s; this crate maps its typed events to the JS
//! API (`next_frame()` is true for a new picture and for a refined one,
//! `last_error()` is the message of the last error on the way).
//!
//! ```js
//! import init, { Decoder, wasm_memory } from './dist/single/asp_wasm.js';
//! await init();
//! const dec = new Decoder();
//! socket.onmessage = (e) => {
//!   dec.push(e.data);                    // ArrayBuffer or Uint8Array
//!   while (dec.next_frame()) {
//!     const y = new Uint8Array(wasm_memory().buffer, dec.y_ptr, dec.y_stride * dec.height);
//!     // ... u, v with uv_stride * uv_height; upload, draw
//!   }
//!   if (dec.needs_keyframe) socket.send(dec.request_keyframe());
//! };
//! ```
//!
//! The views are valid until the next call into the decoder (a decode
//! swaps frame buffers, and a memory growth detaches the old `ArrayBuffer`
//! of a non-shared memory): build them afresh for each frame.
//!
//! Modules: [`checksum`] (CRC-32 of a cropped I420 picture, for bit-exact
//! checks), [`feedback`] (the S-packets a viewer sends back), [`rgba`]
//! (Y'CbCr to RGBA for the Canvas2D renderer) and, with the feature
//! `wgpu-renderer` in a browser build, `webgpu` (a WebGPU renderer on
//! asp-render and wgpu, measured against the player's JS one).

pub mod checksum;
pub mod feedback;
pub mod rgba;
#[cfg(all(target_arch = "wasm32", feature = "wgpu-renderer"))]
pub mod webgpu;

use std::sync::Once;

use js_sys::{ArrayBuffer, Object, Reflect, SharedArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use asp_core::codec::frame::Frame;
use asp_core::codec::parallel::Parallel;
#[cfg(feature = "threads")]
pub use asp_core::codec::parallel::Rayon;
#[cfg(not(feature = "threads"))]
use asp_core::codec::parallel::Serial;
use asp_core::{ClockOffset, Event, Player, Settings, StreamFacts};
use feedback::Feedback;
use rgba::YuvToRgba;

#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// The executor of this build: asp-core's rayon executor on the current
/// pool (in the browser, the Web Workers started by `initThreadPool`), or
/// the calling thread.
#[cfg(feature = "threads")]
const EXECUTOR: Rayon = Rayon;
#[cfg(not(feature = "threads"))]
const EXECUTOR: Serial = Serial;

/// "threads" or "single".
pub const BUILD: &str = if cfg!(feature = "threads") { "threads" } else { "single" };

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// This machine's wall clock in µs since the Unix epoch: in the browser
/// `Date.now()`, the clock the page's own timestamps use.
fn unix_time_us() -> u64 {
    #[cfg(target_arch = "wasm32")]
    let ms = js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    (ms * 1000.0) as u64
}

/// A panic is a bug (input errors are values): if one ever happens, say
/// what it was in the console before the module traps.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    if cfg!(target_arch = "wasm32") {
        ONCE.call_once(|| std::panic::set_hook(Box::new(|info| console_error(&format!("asp-wasm: {info}")))));
    }
}

/// Which build this is: `{ build: "threads" | "single", simd128: boolean,
/// version: string }`.
#[wasm_bindgen]
pub fn build_info() -> JsValue {
    let info = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&info, &JsValue::from_str(key), &value);
    };
    set("build", JsValue::from_str(BUILD));
    set("simd128", JsValue::from_bool(cfg!(target_feature = "simd128")));
    set("version", JsValue::from_str(env!("CARGO_PKG_VERSION")));
    info.into()
}

/// The module's memory (shared in the threaded build), for building frame
/// views: `new Uint8Array(wasm_memory().buffer, decoder.y_ptr, ...)`.
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The browser decoder. See the crate documentation.
#[wasm_bindgen]
pub struct Decoder {
    player: Player,
    /// The message of the last error of the last `push`, `next_frame` or
    /// `decode` call.
    last_error: Option<String>,
    feedback: Feedback,
    /// The sender's clock against ours, from the Pongs to our Pings.
    clock: ClockOffset,
    /// The frame on show as RGBA, for the Canvas2D renderer; reused.
    rgba: Vec<u8>,
    /// The next frame's decode, between `start_next_frame` and
    /// `finish_next_frame`.
    next: NextFrame,
}

/// What `finish_next_frame` collects: in the threaded build a decode on the
/// pool, which took the player (and the clock its Pongs feed) with it; in
/// the single build the answer of the decode `start_next_frame` ran.
#[derive(Debug, Default)]
enum NextFrame {
    #[default]
    NotStarted,
    #[cfg(feature = "threads")]
    OnThePool(std::sync::Arc<Handoff>),
    Done(bool),
}

/// Where the pool's decode leaves its outcome for `finish_next_frame`: a
/// mutex and a condition variable, the primitives rayon's own cross-thread
/// waits use (std's mpsc parks the waiting thread instead, and a Node main
/// thread waiting that way for a pool worker was never woken: tests/wasm).
#[cfg(feature = "threads")]
#[derive(Debug, Default)]
struct Handoff {
    decoded: std::sync::Mutex<Option<Decoded>>,
    ready: std::sync::Condvar,
}

/// A decode's outcome: the player and clock it took, whether it made a new
/// or refined picture, and the message of the last error on the way.
#[cfg_attr(not(feature = "threads"), allow(dead_code))]
#[derive(Debug)]
struct Decoded {
    player: Player,
    clock: ClockOffset,
    fresh: bool,
    error: Option<String>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// `bytes` as a `Uint8Array` (a view, not a copy, of an `ArrayBuffer`).
fn as_bytes(bytes: &JsValue) -> Option<Uint8Array> {
    if let Some(array) = bytes.dyn_ref::<Uint8Array>() {
        return Some(array.clone());
    }
    if bytes.is_instance_of::<ArrayBuffer>() || bytes.is_instance_of::<SharedArrayBuffer>() {
        return Some(Uint8Array::new(bytes));
    }
    None
}

const NOT_BYTES: &str = "expected a Uint8Array or an ArrayBuffer";

#[wasm_bindgen]
impl Decoder {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Decoder {
        install_panic_hook();
        Decoder {
            player: Player::new(Settings::default()),
            last_error: None,
            feedback: Feedback::default(),
            clock: ClockOffset::new(),
            rgba: Vec::new(),
            next: NextFrame::NotStarted,
        }
    }

    /// Appends a chunk of the stream (any size, packets may span chunks),
    /// copied once into the packet reader's buffer. Damaged bytes are
    /// skipped and reported by `next_frame`.
    pub fn push(&mut self, #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: &JsValue) {
        let Some(array) = as_bytes(bytes) else {
            self.last_error = Some(NOT_BYTES.to_owned());
            return;
        };
        self.push_with(array.length() as usize, |dst| array.copy_to(dst));
    }

    /// Decodes waiting packets until one produces a frame: `true` when a new
    /// frame is ready to read, `false` when nothing is left. Errors on the
    /// way are in `last_error()`.
    pub fn next_frame(&mut self) -> bool {
        let (fresh, error) = next_picture(&mut self.player, &mut self.clock);
        self.last_error = error;
        fresh
    }

    /// `next_frame()` in two halves, so that the caller can present the
    /// picture on show while the next one decodes: call `rgba()` (or read
    /// the planes) first, then this, then draw, then `finish_next_frame()`.
    /// The threaded build returns at once and decodes on its pool; the
    /// picture on show stays readable meanwhile: `rgba()`'s buffer is this
    /// decoder's and the decode never writes it, and the planes are the
    /// next frame's reference, which it only reads, unless C-packets
    /// refined them (`refined`: the decode drops the refined copy when the
    /// new picture is made). Until `finish_next_frame()` the decoder shows
    /// no frame (`has_frame` false, `rgba()` 0). The single build decodes here, before
    /// returning. A second start before the finish does nothing; `push`,
    /// `decode`, `reset` and `discard` wait for the decode first (its
    /// answer is kept for the finish), so no byte goes astray.
    pub fn start_next_frame(&mut self) {
        if !matches!(self.next, NextFrame::NotStarted) {
            return;
        }
        #[cfg(feature = "threads")]
        {
            // An empty player (no allocation) stands in meanwhile.
            let mut player = core::mem::replace(&mut self.player, Player::new(Settings::default()));
            let mut clock = core::mem::take(&mut self.clock);
            let handoff = std::sync::Arc::new(Handoff::default());
            let done = handoff.clone();
            rayon::spawn(move || {
                let (fresh, error) = next_picture(&mut player, &mut clock);
                // The decoder may have been freed meanwhile: nothing waits then.
                if let Ok(mut decoded) = done.decoded.lock() {
                    *decoded = Some(Decoded { player, clock, fresh, error });
                }
                done.ready.notify_all();
            });
            self.next = NextFrame::OnThePool(handoff);
        }
        #[cfg(not(feature = "threads"))]
        {
            self.next = NextFrame::Done(self.next_frame());
        }
    }

    /// Waits for the decode `start_next_frame()` began and answers as
    /// `next_frame()` would have (errors in `last_error()`); without a
    /// start, it is `next_frame()`.
    pub fn finish_next_frame(&mut self) -> bool {
        self.settle();
        match core::mem::take(&mut self.next) {
            NextFrame::Done(fresh) => fresh,
            _ => self.next_frame(),
        }
    }

    /// Whether C-packets refined the picture on show: its planes are then
    /// a copy that the next decode frees, so a renderer reading the planes
    /// during `start_next_frame()` must not (the RGBA buffer is safe).
    #[wasm_bindgen(getter)]
    pub fn refined(&self) -> bool {
        self.player.meta().is_some_and(|m| m.refinements > 0)
    }

    /// Decodes one whole packet: `true` if it produced a new frame.
    pub fn decode(&mut self, #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: &JsValue) -> bool {
        let Some(array) = as_bytes(bytes) else {
            self.last_error = Some(NOT_BYTES.to_owned());
            return false;
        };
        self.decode_with(array.length() as usize, |dst| array.copy_to(dst))
    }

    /// The error of the last `push`, `next_frame` or `decode` call, or null.
    #[wasm_bindgen(unchecked_return_type = "string | null")]
    pub fn last_error(&self) -> JsValue {
        self.error().map_or(JsValue::NULL, JsValue::from_str)
    }

    /// CRC-32 (hex) of the current frame's cropped I420 bytes, the same as
    /// zlib's CRC-32 of the frame's payload in `asp-decode`'s y4m output;
    /// `""` before the first frame.
    pub fn frame_checksum(&self) -> String {
        self.player.picture().map(checksum::i420_crc32_hex).unwrap_or_default()
    }

    /// Converts the frame on show to RGBA with the stream's matrix and
    /// range (4 bytes a pixel, `width * height * 4` bytes, alpha 255) into a
    /// buffer this decoder keeps, and returns its address in
    /// `wasm_memory()`; 0 without a frame or memory. The threaded build
    /// converts bands of rows on its pool. For Canvas2D: GPU renderers
    /// upload the planes and convert in a shader instead.
    pub fn rgba(&mut self) -> usize {
        let Some(frame) = self.player.picture() else { return 0 };
        let len = frame.width() * frame.height() * 4;
        if self.rgba.len() != len {
            self.rgba.clear();
            if self.rgba.try_reserve_exact(len).is_err() {
                self.last_error = Some("out of memory: no room for the RGBA picture".to_owned());
                return 0;
            }
            self.rgba.resize(len, 0);
        }
        let facts = self.player.facts();
        let convert = YuvToRgba::new(facts.map_or(1, |f| f.color_matrix.0), facts.map_or(0, |f| f.color_range.0));
        let row_bytes = frame.width() * 4;
        // Bands of 16 rows: enough to share among a few workers.
        let mut bands: Vec<(usize, &mut [u8])> = self.rgba.chunks_mut(16 * row_bytes).enumerate().collect();
        EXECUTOR.for_each_mut(&mut bands, |_, (band, out)| {
            convert.convert_rows(frame, *band * 16..*band * 16 + 16, out);
        });
        self.rgba.as_ptr() as usize
    }

    /// Consumes every buffered packet without decoding it and waits for the
    /// next keyframe (a hidden player keeps up with a live stream this
    /// way); returns the frames dropped.
    pub fn discard(&mut self) -> u32 {
        self.settle();
        self.player.discard() as u32
    }

    /// A RequestKeyframe S-packet to send to the sender (one binary
    /// WebSocket message), or null if it cannot be written.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array | null")]
    pub fn request_keyframe(&mut self) -> JsValue {
        let have = self.player.meta().map_or(0, |m| m.sequence);
        match self.feedback.request_keyframe(have) {
            Ok(bytes) => Uint8Array::from(&bytes[..]).into(),
            Err(_) => JsValue::NULL,
        }
    }

    /// A Ping S-packet carrying this viewer's clock (one binary WebSocket
    /// message or WebTransport datagram), or null if it cannot be written.
    /// The sender's Pong, read from the stream like any packet, feeds
    /// `clock_offset_ms`.
    #[wasm_bindgen(unchecked_return_type = "Uint8Array | null")]
    pub fn ping(&mut self) -> JsValue {
        match self.feedback.ping(unix_time_us()) {
            Ok(bytes) => Uint8Array::from(&bytes[..]).into(),
            Err(_) => JsValue::NULL,
        }
    }

    /// The sender's clock minus this viewer's, in milliseconds, from the
    /// Ping/Pong exchange with the shortest round trip (NaN before any
    /// Pong). A capture time plus nothing is the sender's clock; the
    /// latency of a picture is `Date.now() + clock_offset_ms - capture_ms`.
    #[wasm_bindgen(getter)]
    pub fn clock_offset_ms(&self) -> f64 {
        self.clock.offset_us().map_or(f64::NAN, |us| us as f64 / 1000.0)
    }

    /// The round trip of the exchange `clock_offset_ms` comes from, in
    /// milliseconds (the offset is right to within half of it); NaN before
    /// any Pong.
    #[wasm_bindgen(getter)]
    pub fn clock_round_trip_ms(&self) -> f64 {
        self.clock.round_trip_us().map_or(f64::NAN, |us| us as f64 / 1000.0)
    }

    /// Forgets buffered bytes and waits for a keyframe (after a seek or a
    /// reconnection). The last frame stays readable.
    pub fn reset(&mut self) {
        self.settle();
        self.player.reset();
        self.last_error = None;
    }

    /// True until a keyframe has decoded, and after any error until the
    /// next one: a live player asks the sender for a keyframe.
    #[wasm_bindgen(getter)]
    pub fn needs_keyframe(&self) -> bool {
        self.player.needs_keyframe()
    }

    /// Whether a frame is available (`width` etc. are 0 until then).
    #[wasm_bindgen(getter)]
    pub fn has_frame(&self) -> bool {
        self.player.picture().is_some()
    }

    /// Display width of the current frame.
    #[wasm_bindgen(getter)]
    pub fn width(&self) -> u32 {
        self.frame_dim(|f| f.width())
    }

    /// Display height of the current frame.
    #[wasm_bindgen(getter)]
    pub fn height(&self) -> u32 {
        self.frame_dim(|f| f.height())
    }

    /// Chroma plane width, `ceil(width / 2)`.
    #[wasm_bindgen(getter)]
    pub fn uv_width(&self) -> u32 {
        self.frame_dim(|f| f.width().div_ceil(2))
    }

    /// Chroma plane height, `ceil(height / 2)`.
    #[wasm_bindgen(getter)]
    pub fn uv_height(&self) -> u32 {
        self.frame_dim(|f| f.height().div_ceil(2))
    }

    /// Bytes from one luma row to the next (the width padded to 16).
    #[wasm_bindgen(getter)]
    pub fn y_stride(&self) -> u32 {
        self.frame_dim(|f| f.luma_stride())
    }

    /// Bytes from one chroma row to the next.
    #[wasm_bindgen(getter)]
    pub fn uv_stride(&self) -> u32 {
        self.frame_dim(|f| f.chroma_stride())
    }

    /// Address in `wasm_memory()` of the current frame's luma plane (row 0).
    #[wasm_bindgen(getter)]
    pub fn y_ptr(&self) -> usize {
        self.player.picture().map_or(0, |f| f.y.as_ptr() as usize)
    }

    /// Address in `wasm_memory()` of the Cb plane.
    #[wasm_bindgen(getter)]
    pub fn u_ptr(&self) -> usize {
        self.player.picture().map_or(0, |f| f.u.as_ptr() as usize)
    }

    /// Address in `wasm_memory()` of the Cr plane.
    #[wasm_bindgen(getter)]
    pub fn v_ptr(&self) -> usize {
        self.player.picture().map_or(0, |f| f.v.as_ptr() as usize)
    }

    /// Sequence number of the current frame's packet.
    #[wasm_bindgen(getter)]
    pub fn sequence(&self) -> u32 {
        self.player.meta().map_or(0, |m| m.sequence)
    }

    /// Whether the current frame is a keyframe.
    #[wasm_bindgen(getter)]
    pub fn keyframe(&self) -> bool {
        self.player.meta().is_some_and(|m| m.keyframe)
    }

    /// Whether the current frame comes from joining the stream at an
    /// intra-refresh start and is not yet fully refreshed (not yet exact).
    #[wasm_bindgen(getter)]
    pub fn recovering(&self) -> bool {
        self.player.meta().is_some_and(|m| m.recovering)
    }

    /// Capture time of the current frame in microseconds since the Unix
    /// epoch (exact below 2^53, i.e. until the year 2255), when the sender
    /// set one.
    #[wasm_bindgen(getter)]
    pub fn capture_time_us(&self) -> Option<f64> {
        self.player.meta().and_then(|m| m.capture_time_us).map(|t| t as f64)
    }

    /// The stream's sample range from its last keyframe: 0 limited
    /// ("TV", Y 16..235), 1 full.
    #[wasm_bindgen(getter)]
    pub fn color_range(&self) -> u8 {
        self.facts().map_or(0, |f| f.color_range.0)
    }

    /// The stream's Y'CbCr matrix from its last keyframe: 0 BT.601,
    /// 1 BT.709 (the default), 2 BT.2020.
    #[wasm_bindgen(getter)]
    pub fn color_matrix(&self) -> u8 {
        self.facts().map_or(1, |f| f.color_matrix.0)
    }

    /// The stream's frame rate from its last keyframe (0 when unknown).
    #[wasm_bindgen(getter)]
    pub fn fps(&self) -> f64 {
        self.facts().filter(|f| f.fps_den > 0).map_or(0.0, |f| f64::from(f.fps_num) / f64::from(f.fps_den))
    }

    /// Frames decoded so far.
    #[wasm_bindgen(getter)]
    pub fn frames_decoded(&self) -> f64 {
        self.player.stats().decoded as f64
    }

    /// Delta frames dropped while waiting for a keyframe.
    #[wasm_bindgen(getter)]
    pub fn frames_dropped(&self) -> f64 {
        self.player.stats().dropped as f64
    }

    /// Errors so far (damaged spans, bad packets, frames that failed).
    #[wasm_bindgen(getter)]
    pub fn errors(&self) -> f64 {
        self.player.stats().errors as f64
    }

    /// Bytes of the stream skipped as damaged by `push`.
    #[wasm_bindgen(getter)]
    pub fn damaged_bytes(&self) -> f64 {
        self.player.damaged_bytes() as f64
    }

    /// Bytes held in the receive buffer.
    #[wasm_bindgen(getter)]
    pub fn buffered_bytes(&self) -> u32 {
        self.player.buffered_bytes() as u32
    }
}

impl Decoder {
    fn facts(&self) -> Option<StreamFacts> {
        self.player.facts()
    }

    fn frame_dim(&self, f: impl Fn(&Frame) -> usize) -> u32 {
        self.player.picture().map_or(0, |frame| f(frame) as u32)
    }

    /// The player, for native callers.
    pub fn player(&self) -> &Player {
        &self.player
    }

    /// The buffer `rgba()` wrote last, for native callers.
    pub fn rgba_buffer(&self) -> &[u8] {
        &self.rgba
    }

    /// `push` from a Rust slice.
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        self.push_with(bytes.len(), |dst| dst.copy_from_slice(bytes));
    }

    /// `decode` from a Rust slice.
    pub fn decode_bytes(&mut self, bytes: &[u8]) -> bool {
        self.decode_with(bytes.len(), |dst| dst.copy_from_slice(bytes))
    }

    /// `last_error()` as Rust.
    pub fn error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    fn push_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        self.settle();
        self.last_error = self.player.push_with(len, fill).err().map(|e| e.to_string());
    }

    /// Reads one whole packet (copied by `fill`): true if it made a new
    /// or refined picture.
    fn decode_with(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> bool {
        self.settle();
        self.last_error = self.player.push_packet_with(len, fill).err().map(|e| e.to_string());
        let mut fresh = false;
        while let Some(event) = self.player.next_event(&EXECUTOR) {
            fresh |= self.take(event);
        }
        self.note_pong();
        fresh
    }

    /// Brings back the player from a decode on the pool, if one is away,
    /// keeping its answer for `finish_next_frame`.
    fn settle(&mut self) {
        #[cfg(feature = "threads")]
        if let NextFrame::OnThePool(handoff) = &self.next {
            let fresh = match wait_for(handoff) {
                Some(decoded) => {
                    self.player = decoded.player;
                    self.clock = decoded.clock;
                    self.last_error = decoded.error;
                    decoded.fresh
                }
                // The job ended without an answer: a panic, which is a bug
                // and aborts the module first in the browser.
                None => {
                    self.last_error = Some("the decode on the worker pool ended without a result".to_owned());
                    false
                }
            };
            self.next = NextFrame::Done(fresh);
        }
    }

    /// Times the sender's latest Pong, if one came, against our clock.
    fn note_pong(&mut self) {
        note_pong(&mut self.player, &mut self.clock);
    }

    /// Keeps an event's error message; true for a new or refined picture.
    fn take(&mut self, event: Event) -> bool {
        match event {
            Event::Picture(_) | Event::Refined(_) => true,
            Event::Error(error) => {
                self.last_error = Some(error.to_string());
                false
            }
            Event::Final(_) | Event::Dropped { .. } => false,
        }
    }
}

/// Times the sender's latest Pong, if one came, against our clock.
fn note_pong(player: &mut Player, clock: &mut ClockOffset) {
    if let Some(pong) = player.take_pong() {
        clock.observe(&pong, unix_time_us());
    }
}

/// Decodes waiting packets until one makes a new or refined picture (true)
/// or none is left (false); the message of the last error on the way.
fn next_picture(player: &mut Player, clock: &mut ClockOffset) -> (bool, Option<String>) {
    let mut error = None;
    while let Some(event) = player.next_event(&EXECUTOR) {
        note_pong(player, clock);
        match event {
            Event::Picture(_) | Event::Refined(_) => return (true, error),
            Event::Error(e) => error = Some(e.to_string()),
            Event::Final(_) | Event::Dropped { .. } => {}
        }
    }
    note_pong(player, clock);
    (false, error)
}

/// The pool's decode outcome, once it is there; `None` if a panic on the
/// pool poisoned the handoff.
#[cfg(feature = "threads")]
fn wait_for(handoff: &Handoff) -> Option<Decoded> {
    let mut decoded = handoff.decoded.lock().ok()?;
    loop {
        if let Some(done) = decoded.take() {
            return Some(done);
        }
        decoded = handoff.ready.wait(decoded).ok()?;
    }
}
