//! Codec building blocks shared by the encoder and the decoder.
//!
//! Everything here is `no_std`, integer-exact and deterministic: the encoder
//! and every decoder (native or WebAssembly) must produce bit-identical
//! predictions from the same reference.
//!
//! * [`plane`]: [`PlaneRef`], a checked read-only view of one 8-bit plane.
//! * [`interpolate`]: H.264-style quarter-pel luma interpolation
//!   ([`predict_luma`], [`LumaWindow`]).

pub mod interpolate;
pub mod intra;
pub mod deblock;
pub mod plane;
pub mod plane_mut;
pub mod bins;
pub mod range_coder;
pub mod residual;
pub mod frame;
pub mod tiles;

pub use interpolate::{predict_luma, quarter_sample_sources, InterpError, LumaWindow, PhaseSource, Planes, WINDOW_MAX};
pub use plane::{PlaneError, PlaneRef, MAX_PLANE_DIMENSION};
pub mod quant;
pub mod transform;
pub mod chroma_mc;
pub mod macroblock;
pub mod recon;
pub mod decoder;
pub mod parallel;
pub mod refinement;
