//! Block motion estimation: the seed's four searches, exact and fast.
//!
//! A [`MotionEstimator`] splits the current frame into square blocks and, for
//! each, finds the displacement into the reference frame that minimises the
//! sum of absolute differences (SAD) of the luma samples:
//!
//! ```
//! use asp_encoder::motion::{MotionEstimator, PlaneRef, SearchAlgorithm};
//!
//! let (w, h) = (64, 48);
//! // Some texture: a smooth, curved pattern.
//! let tex = |x: usize, y: usize| ((x * x + 3 * y * y + x * y) / 7 % 256) as u8;
//! let reference: Vec<u8> = (0..w * h).map(|i| tex(i % w, i / w)).collect();
//! // The current frame is the reference moved 2 pixels left.
//! let current: Vec<u8> = (0..w * h).map(|i| tex(i % w + 2, i / w)).collect();
//! let est = MotionEstimator::new(16, 16, SearchAlgorithm::Full, 0).unwrap();
//! let field = est
//!     .estimate(PlaneRef::packed(&current, w, h).unwrap(), PlaneRef::packed(&reference, w, h).unwrap())
//!     .unwrap();
//! let v = field.get(1, 1).unwrap();
//! assert_eq!((v.dx(), v.dy(), v.sad()), (2, 0, 0));
//! ```
//!
//! # Vectors
//!
//! Results are [`MotionVector`]s, the schema's struct, so a field goes
//! straight into a D packet's side data. `block_x`/`block_y` are block
//! indices; the block at `(block_x, block_y)` covers pixels from
//! `(block_x * block_size, block_y * block_size)`, and its prediction is the
//! reference block at that position plus `(dx, dy)`. `sad` is the SAD of the
//! block at the vector, as measured (every search returns a SAD it computed).
//!
//! `dx`/`dy` are whole pixels after the integer search
//! ([`MotionField::precision`] 1). After sub-pel refinement
//! ([`MotionEstimator::with_subpel`]) they are **quarter pixels**, for half- and
//! quarter-pel refinement alike ([`MotionField::precision`] 4, the value for
//! `DPacketPayload.motion_vector_precision`).
//!
//! # Frame edges and sizes
//!
//! Frames may have any size and stride. A frame whose width or height is not
//! a multiple of the block size ends in narrower/shorter blocks (1080 rows of
//! 16x16 blocks: 67 full rows and one of 16x8), so every pixel is covered.
//! Integer candidates are kept inside the reference: a candidate is searched
//! only if the whole displaced block lies inside the frame and within
//! `search_range` of the block in each direction (predictors outside are
//! clamped to the nearest valid vector). No padded reference is needed, and
//! the integer SAD is always of real samples. Sub-pel refinement may point up
//! to 3/4 pixel beyond an edge; there the interpolation filter of
//! [`asp_core::codec::interpolate`] extends edge samples, exactly as the
//! decoder's motion compensation does, and the SAD is of that prediction.
//!
//! # Searches
//!
//! * [`SearchAlgorithm::Full`]: every candidate in range, exact: the
//!   minimum SAD, ties broken by the shorter vector (`|dx| + |dy|`), then
//!   smaller `dy`, then smaller `dx`. It ignores predictors and `early_exit_sad`.
//! * The fast searches first try the predictors: the median of the left, top
//!   and top-right neighbours' vectors, then those three vectors themselves,
//!   the co-located vector of the previous frame's field (when given) and the
//!   zero vector (a vector shared by several predictors is measured once;
//!   zero is skipped when the best predictor is within a pixel of it); a
//!   block with no predictor at all (the first of a stripe) also tries
//!   squares of radius 4, 8, ... up to the range; then refine from the best
//!   with their pattern ([`SearchAlgorithm::Diamond`]: the 4-point small
//!   diamond, repeated while the centre moves; [`SearchAlgorithm::Hexagon`]:
//!   a small diamond, then if it moved the 6-point hexagon of radius 2
//!   repeated, then the small diamond repeated;
//!   [`SearchAlgorithm::ThreeStep`]: the 8 neighbours at a step halved from
//!   half the range down to 1, centre-biased as in NTSS; see each module).
//!   Each candidate is measured at most once per
//!   block. They stop as soon as the best SAD is below `early_exit_sad` (the
//!   seed's early termination threshold; 0 disables it) or is 0.
//!
//! # Parallelism and determinism
//!
//! [`MotionEstimator::estimate`] runs on the current rayon pool, one task per
//! *stripe* of [`MotionEstimator::stripe_rows`] block rows. Inside a stripe
//! blocks are searched in raster order, and the median predictor uses
//! neighbours of the same stripe only (the first row of a stripe has no top
//! neighbours, as a slice in H.264). The stripe layout depends only on the
//! frame and block size, never on the number of threads, so the field is the
//! same, bit for bit, on 1 or N threads.

// The module's map. Public API: the estimator, its results and errors.
mod cost;
mod error;
mod estimator;
mod field;
// The frame's dominant motion, for start points.
pub mod global;
// One block's search: the block, the search state and driver.
mod block;
mod search;
// The search patterns.
mod diamond;
mod full;
mod hexagon;
mod three_step;
// SAD kernels and sub-pel refinement.
pub mod halfpel;
pub mod sad;
pub mod subpel;

use core::fmt;
use std::str::FromStr;

pub use asp_core::codec::{LumaWindow, PlaneError, PlaneRef};
pub use asp_core::schema::MotionVector;
pub use cost::{mvd_bits, MvCost};
pub use error::{FrameRole, MotionError};
pub use estimator::{estimate_motion_parallel, MotionEstimator};
pub use asp_core::codec::mv::FullPelMv;
pub use field::MotionField;
pub use global::{DominantMotion, LowresPlane};
pub use halfpel::HalfpelPlanes;
pub use sad::Sad;
pub use search::SearchScratch;
pub use subpel::SubpelPrecision;

pub(crate) use block::Block;
pub(crate) use search::{Cand, Search};

/// Block sizes the estimator supports.
pub const BLOCK_SIZES: [usize; 4] = [4, 8, 16, 32];
/// Largest search range (in whole pixels, each direction).
pub const MAX_SEARCH_RANGE: usize = 64;

/// The seed's four block-matching searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SearchAlgorithm {
    /// Small diamond (4 points) repeated from the best predictor.
    Diamond,
    /// Small diamond, then (if it moved) hexagon (6 points, radius 2)
    /// repeated, then the small diamond.
    Hexagon,
    /// Three-step search: 8 points at a step halved down to 1 (NTSS centre bias).
    ThreeStep,
    /// Exhaustive search of every candidate in range: exact.
    Full,
}

impl SearchAlgorithm {
    /// All four, fast ones first.
    pub const ALL: [SearchAlgorithm; 4] = [
        SearchAlgorithm::Diamond,
        SearchAlgorithm::Hexagon,
        SearchAlgorithm::ThreeStep,
        SearchAlgorithm::Full,
    ];

    /// The seed's name of [`SearchAlgorithm::Diamond`].
    #[allow(non_upper_case_globals)]
    pub const DiamondSearch: SearchAlgorithm = SearchAlgorithm::Diamond;
    /// The seed's name of [`SearchAlgorithm::Hexagon`].
    #[allow(non_upper_case_globals)]
    pub const HexagonSearch: SearchAlgorithm = SearchAlgorithm::Hexagon;
    /// The seed's name of [`SearchAlgorithm::ThreeStep`].
    #[allow(non_upper_case_globals)]
    pub const ThreeStepSearch: SearchAlgorithm = SearchAlgorithm::ThreeStep;
    /// The seed's name of [`SearchAlgorithm::Full`].
    #[allow(non_upper_case_globals)]
    pub const FullSearch: SearchAlgorithm = SearchAlgorithm::Full;

    /// Lower-case name: `diamond`, `hexagon`, `three_step`, `full`.
    pub fn name(self) -> &'static str {
        match self {
            SearchAlgorithm::Diamond => "diamond",
            SearchAlgorithm::Hexagon => "hexagon",
            SearchAlgorithm::ThreeStep => "three_step",
            SearchAlgorithm::Full => "full",
        }
    }
}

impl fmt::Display for SearchAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SearchAlgorithm {
    type Err = MotionError;
    /// Accepts the names of [`SearchAlgorithm::name`], any case, and
    /// `threestep`/`three-step`/`tss`, `dia`, `hex`, `exhaustive`/`esa`.
    fn from_str(s: &str) -> Result<Self, MotionError> {
        match s.to_ascii_lowercase().as_str() {
            "diamond" | "dia" => Ok(SearchAlgorithm::Diamond),
            "hexagon" | "hex" => Ok(SearchAlgorithm::Hexagon),
            "three_step" | "threestep" | "three-step" | "tss" => Ok(SearchAlgorithm::ThreeStep),
            "full" | "exhaustive" | "esa" => Ok(SearchAlgorithm::Full),
            _ => Err(MotionError::UnknownAlgorithm),
        }
    }
}
