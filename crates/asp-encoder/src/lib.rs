//! ASP encoder.
//!
//! * [`analysis`]: colour palettes (k-means, median cut) and regions of
//!   interest (edges/text, motion, faces) for ROI coding and analytics.
//! * [`encoder`]: the video encoder (mode decision, transform and
//!   quantisation, entropy coding, reconstruction) over asp-core's codec.
//! * [`bitrate`]: bitrates as people write them (`1500k`, `2M`), parsed once.
//! * [`session`]: the per-frame sequence every front end runs (ROI analysis,
//!   QP offsets, side data, encode, C-packet) around the encoder.
//! * [`source`]: one [`FrameSource`] trait for the inputs (the test
//!   picture, y4m files and pipes) and [`source::open`] for what users type.
//! * [`testsrc`]: the built-in moving test picture.
//! * [`parallel`]: rayon behind asp-core's tile executor.
//! * [`motion`]: block motion estimation (the seed's Diamond, Hexagon,
//!   ThreeStep and Full searches, sub-pel refinement, SIMD SAD kernels),
//!   used by the codec's D frames, the ROI motion detector and the Python API.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod analysis;
pub mod bitrate;
pub mod encoder;
pub mod motion;
pub mod parallel;
pub mod session;
pub mod source;
pub mod testsrc;

pub use asp_core::codec::quant::{Qp, QpError};
pub use bitrate::{Bitrate, BitrateError};
pub use encoder::{Encoded, EncodeError, Encoder, EncoderConfig, Preset, RateMode};
pub use parallel::Rayon;
pub use source::{FrameSource, ReadAhead, SourceError, SourceRead};
pub use session::{correction_qp, Session, SessionError, SessionFrame, SessionSettings};
pub use motion::{
    estimate_motion_parallel, MotionError, MotionEstimator, MotionField, MotionVector, FullPelMv, SearchAlgorithm,
    SearchScratch, SubpelPrecision,
};
