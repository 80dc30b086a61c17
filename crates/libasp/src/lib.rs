//! `libasp`: the seed's Rust API, over the real crates.
//!
//! The seed's users wrote `use libasp::…`; these are the same names and
//! shapes, backed by [`asp_core`] (packets, schema, codec) and
//! [`asp_encoder`] (motion estimation, encoder):
//!
//! - [`types`]: the seed's in-memory [`MotionVector`] (16 bytes,
//!   `repr(C)`) and [`MotionVectorCompact`] (2 bytes), converted losslessly
//!   to and from the 12-byte wire struct;
//! - [`packet`]: [`IPacketPayload`], [`DPacketPayload`] and [`AspPacket`]
//!   with `Result`-returning constructors, writing into a reused `Vec` or
//!   a fixed slice without allocating in steady state;
//! - [`codec`]: `estimate_motion_parallel` and the codec's building blocks.
//!
//! Features: `simd` (default) lets the motion search use the CPU's SIMD
//! SAD kernels, detected at run time, instead of the scalar reference
//! (the vectors are the same); `wasm` re-exports the browser decoder's
//! binding (`crates/asp-wasm`) as `libasp::wasm`. The Python bindings are
//! their own crate, `crates/asp-py`, built by maturin (`maturin develop`
//! at the repository root), so no build of this crate needs Python.
//!
//! Every call the seed documents, in its argument shapes:
//!
//! ```
//! use libasp::{codec, AspPacket, DPacketPayload, IPacketPayload, MotionVector};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (width, height) = (1280, 720);
//! let previous_frame: Vec<u8> = (0..width * height).map(|i| ((i % width) * 5 + (i / width) * 3) as u8).collect();
//! let current_frame: Vec<u8> = (0..width * height).map(|i| ((i % width + 2) * 5 + (i / width) * 3) as u8).collect();
//!
//! // The stream's first packet: a keyframe with its size and rate.
//! let facts = IPacketPayload::new(1280, 720, 25.0);
//! let key = AspPacket::create_i_packet(7, facts)?;
//!
//! // Into a buffer kept across frames, or into a fixed array.
//! let mut buffer = Vec::with_capacity(16 * 1024);
//! let len = key.write_to_buffer(&mut buffer)?;
//! let mut fixed = [0u8; 16 * 1024];
//! let written = key.serialize_into(&mut fixed)?;
//! assert_eq!(&fixed[..written], &buffer[..len]);
//!
//! // Block motion on every core; the vectors iterate directly.
//! let vectors = codec::estimate_motion_parallel(
//!     &current_frame,
//!     &previous_frame,
//!     1280, 720,
//!     16, 16,
//!     codec::SearchAlgorithm::HexagonSearch,
//!     128,
//! );
//! assert!(vectors.error().is_none());
//!
//! // A delta packet predicted from the keyframe, carrying them.
//! let mut delta = DPacketPayload::new(7);
//! for mv in vectors {
//!     delta.add_motion_vector(mv);
//! }
//! let packet = AspPacket::create_d_packet(8, delta)?;
//! packet.write_to_buffer(&mut buffer)?;
//!
//! let parsed = AspPacket::parse(&buffer)?;
//! assert_eq!(parsed, packet);
//! let last: MotionVector = parsed.motion_vectors()[80 * 45 - 1];
//! assert_eq!((last.block_x, last.block_y), (79, 44));
//! # Ok(())
//! # }
//! ```

pub mod codec;
pub mod packet;
pub mod types;

pub use asp_core;
pub use asp_encoder;
/// The browser decoder's binding (feature `wasm`).
#[cfg(feature = "wasm")]
pub use asp_wasm as wasm;

pub use asp_core::packet::{PacketError, PacketType, WriteError};
pub use asp_core::schema::{Color, Rect, RoiRegion, RoiType};
pub use asp_core::Limits;

pub use packet::{AspPacket, AspPayload, DPacketPayload, Error, IPacketPayload, ParseError};
pub use types::{DisplacementTooLarge, MotionVector, MotionVectorCompact, WireMotionVector};
