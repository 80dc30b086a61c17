//! Codec building blocks shared by the encoder and the decoder.
//!
//! Everything here is `no_std`, integer-exact and deterministic: the encoder
//! and every decoder (native or WebAssembly) must produce bit-identical
//! predictions from the same reference. The modules, from bits to pictures:
//!
//! * Entropy coding: [`range_coder`] (the adaptive binary range coder of
//!   every tile), [`bins`] (binarisation, written once for both
//!   directions), [`residual`] (one transform block's levels in scan
//!   order), [`macroblock`] (modes, vectors, coded-block pattern and QP,
//!   with neighbour contexts).
//! * Motion vectors: [`mv`], typed by unit: [`QpelMv`](mv::QpelMv) in
//!   quarter luma samples (coded, predicted from, deblocked by) and
//!   [`FullPelMv`](mv::FullPelMv) in whole samples (the encoder's integer
//!   search), with explicit conversions between them.
//! * Residual: [`quant`] (H.264-style quantisation and the zigzag scans),
//!   [`transform`] (the 4x4 and 8x8 integer transforms, with SIMD twins).
//! * Prediction: [`intra`] (DC, horizontal, vertical, planar and the
//!   procedural patterns), [`interpolate`] (quarter-pel luma, H.264's
//!   6-tap filter; [`predict_luma`], [`LumaWindow`]), [`chroma_mc`]
//!   (eighth-sample bilinear chroma).
//! * Pictures: [`plane`] ([`PlaneRef`], a checked read-only plane view),
//!   [`plane_mut`] (mutable plane and frame views), [`frame`] (4:2:0 frame
//!   buffers padded to whole macroblocks), [`tiles`] (how a frame is cut
//!   into independently coded tiles).
//! * Reconstruction, shared by the encoder and the decoder: [`recon`]
//!   (prediction plus residual per macroblock, the `Predictor`),
//!   [`deblock`] (the in-loop filter: driver, strengths, scalar and SIMD
//!   kernels), [`parallel`] (the tile executor: one core, or rayon behind
//!   the `rayon` feature).
//! * Decoding: [`decoder`] (verified packets in, frames out),
//!   [`correction`] (C-packets applied to the picture on show, never to
//!   the reference).
//!
//! The SIMD twins of the transform, quantiser, interpolation, chroma MC and
//! deblocking kernels are picked from a [`CpuFeatures`](crate::cpu::CpuFeatures)
//! value: the one given, or the one detected once per process.

pub mod range_coder;
pub mod bins;
pub mod residual;
pub mod macroblock;
pub mod mv;
pub mod quant;
pub mod transform;
pub mod intra;
pub mod interpolate;
pub mod chroma_mc;
pub mod plane;
pub mod plane_mut;
pub mod frame;
pub mod tiles;
pub mod recon;
pub mod deblock;
pub mod parallel;
pub mod decoder;
pub mod correction;

pub use interpolate::{predict_luma, quarter_sample_sources, InterpError, LumaWindow, PhaseSource, Planes, WINDOW_MAX};
pub use plane::{PlaneError, PlaneRef, MAX_PLANE_DIMENSION};
