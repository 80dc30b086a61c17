//! The seed's `libasp::codec`: motion estimation and the codec pieces.

use std::ops::Deref;

pub use asp_core::{DecodeError, Decoder};
pub use asp_core::codec::frame::Frame;
pub use asp_core::codec::quant::{Qp, Quantiser};
pub use asp_core::codec::transform::{forward_8x8, inverse_8x8};
pub use asp_encoder::motion::{MotionError, MotionEstimator, MotionField, Sad, SearchAlgorithm};
pub use asp_encoder::{Encoder, EncoderConfig, Preset, RateMode};

use asp_encoder::motion::{FrameRole, PlaneRef};

use crate::types::MotionVector;

/// The SAD kernels this crate's searches use: with the `simd` feature
/// (default) the fastest twin the CPU runs (SSE2, AVX2; detected at run
/// time), without it the scalar reference. Both give the same vectors.
pub fn sad_kernels() -> Sad {
    if cfg!(feature = "simd") {
        Sad::detect()
    } else {
        Sad::scalar()
    }
}

/// [`asp_encoder::motion::estimate_motion_parallel`] (which documents the
/// search and its arguments) with this crate's [`MotionVector`]s and
/// [`sad_kernels`].
///
/// The seed's shape: the vectors come back directly, to iterate or index.
/// Input the search cannot take (sizes that disagree with the slices, an
/// unsupported block size or range) gives no vectors and the reason in
/// [`MotionVectors::error`]; [`try_estimate_motion_parallel`] returns it as
/// a `Result` instead.
#[allow(clippy::too_many_arguments)]
pub fn estimate_motion_parallel(
    current: &[u8],
    previous: &[u8],
    width: usize,
    height: usize,
    block_size: usize,
    search_range: usize,
    algorithm: SearchAlgorithm,
    early_exit_sad: u32,
) -> MotionVectors {
    match try_estimate_motion_parallel(current, previous, width, height, block_size, search_range, algorithm, early_exit_sad) {
        Ok(vectors) => MotionVectors { vectors, error: None },
        Err(error) => MotionVectors { vectors: Vec::new(), error: Some(error) },
    }
}

/// [`estimate_motion_parallel`] with the refusal as an error.
#[allow(clippy::too_many_arguments)]
pub fn try_estimate_motion_parallel(
    current: &[u8],
    previous: &[u8],
    width: usize,
    height: usize,
    block_size: usize,
    search_range: usize,
    algorithm: SearchAlgorithm,
    early_exit_sad: u32,
) -> Result<Vec<MotionVector>, MotionError> {
    let estimator = MotionEstimator::new(block_size, search_range, algorithm, early_exit_sad)?.with_sad(sad_kernels());
    let current = PlaneRef::packed(current, width, height)
        .map_err(|error| MotionError::BadFrame { frame: FrameRole::Current, error })?;
    let previous = PlaneRef::packed(previous, width, height)
        .map_err(|error| MotionError::BadFrame { frame: FrameRole::Reference, error })?;
    let wire = estimator.estimate(current, previous)?.vectors;
    Ok(wire.iter().map(MotionVector::from).collect())
}

/// What [`estimate_motion_parallel`] found: the vectors in raster order of
/// blocks, or none and the reason the search refused its input.
#[derive(Clone, Debug, PartialEq)]
#[must_use = "an empty result may carry an error: see MotionVectors::error"]
pub struct MotionVectors {
    vectors: Vec<MotionVector>,
    error: Option<MotionError>,
}

impl MotionVectors {
    /// Why there are no vectors, if the search refused its input.
    pub fn error(&self) -> Option<&MotionError> {
        self.error.as_ref()
    }

    /// The vectors, or the reason there are none.
    pub fn into_result(self) -> Result<Vec<MotionVector>, MotionError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(self.vectors),
        }
    }
}

impl Deref for MotionVectors {
    type Target = [MotionVector];

    fn deref(&self) -> &[MotionVector] {
        &self.vectors
    }
}

impl IntoIterator for MotionVectors {
    type Item = MotionVector;
    type IntoIter = std::vec::IntoIter<MotionVector>;

    fn into_iter(self) -> Self::IntoIter {
        self.vectors.into_iter()
    }
}

impl<'a> IntoIterator for &'a MotionVectors {
    type Item = &'a MotionVector;
    type IntoIter = std::slice::Iter<'a, MotionVector>;

    fn into_iter(self) -> Self::IntoIter {
        self.vectors.iter()
    }
}
