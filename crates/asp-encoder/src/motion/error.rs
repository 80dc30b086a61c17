//! Why motion estimation refused its input.

use core::fmt;

use super::{PlaneError, MAX_SEARCH_RANGE};
// For the docs' links only.
#[cfg(doc)]
use {super::SearchAlgorithm, core::str::FromStr};

/// Which frame an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameRole {
    /// The frame whose blocks are searched.
    Current,
    /// The frame searched in.
    Reference,
}

/// Why motion estimation refused its input.
#[allow(missing_docs)] // the fields are named by the variant docs
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MotionError {
    /// A block size other than 4, 8, 16 or 32.
    UnsupportedBlockSize { block_size: usize },
    /// A search range over [`MAX_SEARCH_RANGE`].
    SearchRangeTooLarge { search_range: usize },
    /// A frame is not a valid plane: zero size, stride under the width, or a
    /// slice shorter than `stride * (height - 1) + width`.
    BadFrame { frame: FrameRole, error: PlaneError },
    /// The current and reference frames differ in size.
    SizeMismatch {
        current: (usize, usize),
        reference: (usize, usize),
    },
    /// A block index outside the frame's grid of blocks.
    BlockOutOfFrame {
        block_x: usize,
        block_y: usize,
        blocks_x: usize,
        blocks_y: usize,
    },
    /// The previous frame's field has another grid of blocks.
    PreviousFieldMismatch {
        expected: (usize, usize, usize),
        found: (usize, usize, usize),
    },
    /// `stripe_rows` of zero.
    ZeroStripeRows,
    /// An algorithm name [`SearchAlgorithm::from_str`] does not know.
    UnknownAlgorithm,
}

impl fmt::Display for MotionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MotionError::UnsupportedBlockSize { block_size } => {
                write!(
                    f,
                    "block size {block_size} is not supported (4, 8, 16 or 32)"
                )
            }
            MotionError::SearchRangeTooLarge { search_range } => {
                write!(
                    f,
                    "search range {search_range} is over the maximum {MAX_SEARCH_RANGE}"
                )
            }
            MotionError::BadFrame { frame, error } => write!(f, "{frame:?} frame: {error}"),
            MotionError::SizeMismatch { current, reference } => write!(
                f,
                "current frame is {}x{}, reference frame is {}x{}",
                current.0, current.1, reference.0, reference.1
            ),
            MotionError::BlockOutOfFrame {
                block_x,
                block_y,
                blocks_x,
                blocks_y,
            } => write!(
                f,
                "block ({block_x}, {block_y}) is outside the {blocks_x}x{blocks_y} grid of blocks"
            ),
            MotionError::PreviousFieldMismatch { expected, found } => write!(
                f,
                "previous field has {}x{} blocks of {}, this frame {}x{} blocks of {}",
                found.0, found.1, found.2, expected.0, expected.1, expected.2
            ),
            MotionError::ZeroStripeRows => write!(f, "stripe_rows must be at least 1"),
            MotionError::UnknownAlgorithm => {
                write!(
                    f,
                    "unknown search algorithm (diamond, hexagon, three_step or full)"
                )
            }
        }
    }
}

impl std::error::Error for MotionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MotionError::BadFrame { error, .. } => Some(error),
            _ => None,
        }
    }
}
