//! ASP encoder.
//!
//! * [`motion`]: block motion estimation (the seed's Diamond, Hexagon,
//!   ThreeStep and Full searches, sub-pel refinement, SIMD SAD kernels),
//!   used by the codec's D frames, the ROI motion detector and the Python API.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod motion;

pub use motion::{
    estimate_motion_parallel, MotionError, MotionEstimator, MotionField, MotionVector, Mv, SearchAlgorithm,
    SearchScratch, SubpelPrecision,
};
