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

mod diamond;
mod full;
pub mod halfpel;
mod hexagon;
pub mod sad;
pub mod subpel;
mod three_step;

use core::fmt;
use std::str::FromStr;

use rayon::prelude::*;

pub use asp_core::codec::{LumaWindow, PlaneError, PlaneRef};
pub use asp_core::schema::MotionVector;
pub use halfpel::HalfpelPlanes;
pub use sad::{Isa, Sad};
pub use subpel::SubpelPrecision;

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

/// An integer-pel displacement: a search candidate or predictor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mv {
    /// Horizontal, whole pixels (positive: right).
    pub dx: i16,
    /// Vertical, whole pixels (positive: down).
    pub dy: i16,
}

impl Mv {
    /// The zero vector.
    pub const ZERO: Mv = Mv { dx: 0, dy: 0 };

    /// `(dx, dy)`.
    pub const fn new(dx: i16, dy: i16) -> Mv {
        Mv { dx, dy }
    }

    /// Component-wise median of three vectors (H.264's motion vector predictor).
    pub fn median(a: Mv, b: Mv, c: Mv) -> Mv {
        fn med(a: i16, b: i16, c: i16) -> i16 {
            a.max(b).min(a.min(b).max(c))
        }
        Mv {
            dx: med(a.dx, b.dx, c.dx),
            dy: med(a.dy, b.dy, c.dy),
        }
    }

    /// The whole-pixel vector of `v`, whose unit is `1 / precision` pixel
    /// (rounded to nearest, halves away from minus infinity).
    pub fn from_vector(v: &MotionVector, precision: u8) -> Mv {
        match precision {
            2 => Mv {
                dx: ((v.dx() as i32 + 1) >> 1) as i16,
                dy: ((v.dy() as i32 + 1) >> 1) as i16,
            },
            4 => Mv {
                dx: ((v.dx() as i32 + 2) >> 2) as i16,
                dy: ((v.dy() as i32 + 2) >> 2) as i16,
            },
            _ => Mv {
                dx: v.dx(),
                dy: v.dy(),
            },
        }
    }
}

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

/// The vectors of one frame: one per block, in raster order of blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionField {
    /// Block size in pixels.
    pub block_size: usize,
    /// Blocks per row: `ceil(width / block_size)`.
    pub blocks_x: usize,
    /// Block rows: `ceil(height / block_size)`.
    pub blocks_y: usize,
    /// Unit of `dx`/`dy`: 1 = whole pixels, 4 = quarter pixels.
    pub precision: u8,
    /// `blocks_x * blocks_y` vectors, raster order.
    pub vectors: Vec<MotionVector>,
}

impl MotionField {
    /// The vector of block `(block_x, block_y)`.
    pub fn get(&self, block_x: usize, block_y: usize) -> Option<&MotionVector> {
        if block_x >= self.blocks_x {
            return None;
        }
        self.vectors
            .get(block_y.checked_mul(self.blocks_x)?.checked_add(block_x)?)
    }

    /// Sum of every block's SAD.
    pub fn total_sad(&self) -> u64 {
        self.vectors.iter().map(|v| v.sad() as u64).sum()
    }
}

/// Per-thread working memory of a search, reused from block to block (no
/// allocation per block). Make one per thread for
/// [`MotionEstimator::search_block`]; the frame-level calls make their own.
#[derive(Clone, Debug)]
pub struct SearchScratch {
    visited: Visited,
    window: Option<Box<LumaWindow>>,
    pred: Vec<u8>,
    ints: Vec<Mv>,
}

impl Default for SearchScratch {
    fn default() -> Self {
        Self::new()
    }
}

impl SearchScratch {
    /// Scratch for any search range (it grows on first use as needed).
    pub fn new() -> Self {
        SearchScratch {
            visited: Visited::new(0),
            window: None,
            pred: Vec::new(),
            ints: Vec::new(),
        }
    }
}

/// Which candidates of the current block were already measured: a stamp per
/// candidate of the `(2R+1)^2` square, compared with a per-block epoch, so
/// starting a block costs nothing.
#[derive(Clone, Debug)]
struct Visited {
    stamps: Vec<u16>,
    range: i32,
    side: usize,
    epoch: u16,
}

impl Visited {
    fn new(range: usize) -> Self {
        let side = 2 * range + 1;
        Visited {
            stamps: vec![0; side * side],
            range: range as i32,
            side,
            epoch: 0,
        }
    }

    /// Forget every candidate; make room for `range`.
    #[inline]
    fn start_block(&mut self, range: usize) {
        if (range as i32) > self.range {
            *self = Visited::new(range);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamps.fill(0);
            self.epoch = 1;
        }
    }

    /// Marks `(dx, dy)` (within the range); true when it was not yet marked.
    #[inline]
    fn insert(&mut self, dx: i32, dy: i32) -> bool {
        let i = (dy + self.range) as usize * self.side + (dx + self.range) as usize;
        match self.stamps.get_mut(i) {
            Some(s) if *s != self.epoch => {
                *s = self.epoch;
                true
            }
            _ => false,
        }
    }
}

/// A measured candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cand {
    pub dx: i32,
    pub dy: i32,
    pub sad: u32,
}

impl Cand {
    const NONE: Cand = Cand {
        dx: 0,
        dy: 0,
        sad: u32::MAX,
    };

    /// The search order of candidates: lower SAD, then shorter vector
    /// (`|dx| + |dy|`), then smaller `dy`, then smaller `dx`. A total order,
    /// so the best of a set does not depend on the order it is scanned in.
    #[inline]
    pub fn better_than(&self, o: &Cand) -> bool {
        if self.sad != o.sad {
            return self.sad < o.sad;
        }
        let (la, lb) = (self.dx.abs() + self.dy.abs(), o.dx.abs() + o.dy.abs());
        if la != lb {
            return la < lb;
        }
        (self.dy, self.dx) < (o.dy, o.dx)
    }
}

/// The rate term of a search's cost for a video encoder: λ times the
/// estimated bits of a vector's difference from the vector the decoder
/// will predict. Without it a search takes any vector that shaves one unit
/// of SAD, however many bits it costs to code (noisy vectors in flat and
/// noisy areas, which also spoil the next blocks' prediction and skips).
/// [`MvCost::NONE`] is the pure SAD search of the seed's API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MvCost {
    /// The predicted vector's horizontal component, in quarter samples.
    pub pred_x: i32,
    /// Its vertical component.
    pub pred_y: i32,
    /// Cost of one bit in 1/16 SAD units (0: no rate term).
    pub lambda: u32,
}

impl MvCost {
    /// No rate term: the pure SAD search.
    pub const NONE: MvCost = MvCost { pred_x: 0, pred_y: 0, lambda: 0 };

    /// The rate term of the quarter-sample vector (`x`, `y`).
    #[inline(always)]
    pub fn of_qpel(&self, x: i32, y: i32) -> u32 {
        if self.lambda == 0 {
            return 0;
        }
        (self.lambda * (mvd_bits(x - self.pred_x) + mvd_bits(y - self.pred_y)) + 8) >> 4
    }
}

/// Estimated bits of one vector-difference component in quarter samples:
/// the syntax is unary-then-Exp-Golomb, about 2 log2 bits of the magnitude.
#[inline(always)]
pub fn mvd_bits(d: i32) -> u32 {
    if d == 0 {
        1
    } else {
        3 + 2 * (32 - d.unsigned_abs().leading_zeros())
    }
}

/// One block of the current frame, with everything a search needs: where it
/// is, which displacements are valid, and the SAD kernels.
pub(crate) struct Block<'a> {
    sad: Sad,
    cur: PlaneRef<'a>,
    refp: PlaneRef<'a>,
    /// Top-left pixel and size (edge blocks may be smaller than the block size).
    pub px: usize,
    pub py: usize,
    pub w: usize,
    pub h: usize,
    /// Valid displacements: within the range and keeping the block inside
    /// the reference. Always contains (0, 0).
    pub min_dx: i32,
    pub max_dx: i32,
    pub min_dy: i32,
    pub max_dy: i32,
    pub range: i32,
}

impl<'a> Block<'a> {
    /// `cur` and `refp` have equal sizes; the block lies inside them.
    fn new(
        sad: Sad,
        cur: PlaneRef<'a>,
        refp: PlaneRef<'a>,
        px: usize,
        py: usize,
        bs: usize,
        range: usize,
    ) -> Self {
        let w = bs.min(cur.width() - px);
        let h = bs.min(cur.height() - py);
        let r = range as i32;
        Block {
            sad,
            cur,
            refp,
            px,
            py,
            w,
            h,
            min_dx: (-r).max(-(px as i32)),
            max_dx: r.min((cur.width() - px - w) as i32),
            min_dy: (-r).max(-(py as i32)),
            max_dy: r.min((cur.height() - py - h) as i32),
            range: r,
        }
    }

    #[inline]
    pub fn in_bounds(&self, dx: i32, dy: i32) -> bool {
        dx >= self.min_dx && dx <= self.max_dx && dy >= self.min_dy && dy <= self.max_dy
    }

    /// The nearest valid displacement to `mv`.
    #[inline]
    pub fn clamp(&self, mv: Mv) -> (i32, i32) {
        (
            (mv.dx as i32).clamp(self.min_dx, self.max_dx),
            (mv.dy as i32).clamp(self.min_dy, self.max_dy),
        )
    }

    /// The valid displacement nearest `mv`, with its SAD: where a sub-pel
    /// refinement starts.
    pub(crate) fn candidate_near(&self, mv: Mv) -> Cand {
        let (dx, dy) = self.clamp(mv);
        Cand { dx, dy, sad: self.sad_at(dx, dy) }
    }

    /// SAD of the block at displacement `(dx, dy)`; `u32::MAX` outside the
    /// valid displacements.
    #[inline]
    pub fn sad_at(&self, dx: i32, dy: i32) -> u32 {
        if !self.in_bounds(dx, dy) {
            return u32::MAX;
        }
        let (cs, rs) = (self.cur.stride(), self.refp.stride());
        let c = self.py * cs + self.px;
        let r = (self.py as i32 + dy) as usize * rs + (self.px as i32 + dx) as usize;
        // SAFETY: (dx, dy) is valid, so both blocks lie inside their planes:
        // rows py(+dy) .. +h, columns px(+dx) .. +w, and a PlaneRef holds
        // `stride * (height - 1) + width` bytes. w * h <= 32 * 32.
        unsafe {
            self.sad.sad_unchecked(
                self.cur.data().as_ptr().add(c),
                cs,
                self.refp.data().as_ptr().add(r),
                rs,
                self.w,
                self.h,
            )
        }
    }

    /// The current block's top-left sample.
    #[inline]
    fn cur_ptr(&self) -> *const u8 {
        // In bounds: the block lies inside the current plane.
        self.cur.data()[self.py * self.cur.stride() + self.px..].as_ptr()
    }

    /// The generic kernel for this block.
    #[inline]
    fn generic_kernel(&self) -> sad::GenericKernel {
        sad::GenericKernel {
            sad: self.sad,
            cur: self.cur_ptr(),
            cs: self.cur.stride(),
            w: self.w,
            h: self.h,
        }
    }

    /// SAD at `(dx, dy)` with a kernel prepared for this block, exact when
    /// at most `bound` (else any value above it); `u32::MAX` outside the
    /// valid displacements.
    #[inline(always)]
    pub fn sad_with_kernel<K: sad::BlockKernel>(&self, k: &K, dx: i32, dy: i32, bound: u32) -> u32 {
        if !self.in_bounds(dx, dy) {
            return u32::MAX;
        }
        let rs = self.refp.stride();
        let r = (self.py as i32 + dy) as usize * rs + (self.px as i32 + dx) as usize;
        // SAFETY: (dx, dy) is valid, so the displaced block lies inside the
        // reference plane (see `sad_at`).
        unsafe { k.sad_bounded(self.refp.data().as_ptr().add(r), rs, bound) }
    }

    /// SAD between the current block and a predicted block in `pred` (stride `ps`).
    #[inline]
    /// The current block's samples from its top-left on, and their stride.
    pub fn current(&self) -> (&'a [u8], usize) {
        let c = self.py * self.cur.stride() + self.px;
        (self.cur.data().get(c..).unwrap_or(&[]), self.cur.stride())
    }

    pub fn sad_with(&self, pred: &[u8], ps: usize) -> u32 {
        let c = self.py * self.cur.stride() + self.px;
        self.cur
            .data()
            .get(c..)
            .and_then(|cur| {
                self.sad
                    .sad(cur, self.cur.stride(), pred, ps, self.w, self.h)
            })
            .unwrap_or(u32::MAX)
    }

    pub fn reference(&self) -> &PlaneRef<'a> {
        &self.refp
    }
}

/// A search in progress on one block.
pub(crate) struct Search<'s, 'a, K> {
    pub blk: &'s Block<'a>,
    k: &'s K,
    visited: &'s mut Visited,
    pub best: Cand,
    pub early_exit: u32,
    mv_cost: MvCost,
    /// `best.sad` plus its rate term.
    best_cost: u32,
    /// No candidate can cost less: SAD 0 at the whole-sample vector
    /// nearest the prediction (0 without a rate term).
    floor_cost: u32,
}

impl<K: sad::BlockKernel> Search<'_, '_, K> {
    /// Measures `(dx, dy)` unless it is invalid or already measured; true when
    /// it became the best.
    #[inline(always)]
    pub fn check(&mut self, dx: i32, dy: i32) -> bool {
        if !self.blk.in_bounds(dx, dy) || !self.visited.insert(dx, dy) {
            return false;
        }
        self.measure(dx, dy)
    }

    /// Takes candidate `c` (its SAD measured, `rate` its rate term) as the
    /// best if it costs less, ties broken by [`Cand::better_than`]; returns
    /// whether it did.
    #[inline(always)]
    fn offer(&mut self, c: Cand, rate: u32) -> bool {
        let cost = c.sad.saturating_add(rate);
        if cost < self.best_cost || (cost == self.best_cost && c.better_than(&self.best)) {
            self.best = c;
            self.best_cost = cost;
            true
        } else {
            false
        }
    }

    /// Measures the valid, not yet measured candidates among four, in one
    /// kernel pass when at least three are new (a stale lane measures the
    /// always valid (0, 0) and is ignored); the same result as four
    /// [`check`](Self::check) calls, whatever their order.
    #[inline(always)]
    pub fn check4(&mut self, c: [(i32, i32); 4]) {
        let mut fresh = [false; 4];
        let mut n = 0;
        for (f, &(dx, dy)) in fresh.iter_mut().zip(&c) {
            *f = self.blk.in_bounds(dx, dy) && self.visited.insert(dx, dy);
            n += *f as usize;
        }
        if n < 3 {
            for (f, &(dx, dy)) in fresh.iter().zip(&c) {
                if *f {
                    self.measure(dx, dy);
                }
            }
            return;
        }
        let rs = self.blk.refp.stride();
        let base = self.blk.refp.data().as_ptr();
        let (px, py) = (self.blk.px as i32, self.blk.py as i32);
        let ptr = |k: usize| {
            let (dx, dy) = if fresh[k] { c[k] } else { (0, 0) };
            // SAFETY: (dx, dy) is valid, so the displaced block is inside the plane.
            unsafe { base.add((py + dy) as usize * rs + (px + dx) as usize) }
        };
        let p = [ptr(0), ptr(1), ptr(2), ptr(3)];
        // SAFETY: each pointer is a valid displaced block (see `ptr`).
        let sads = unsafe { self.k.sad_x4(p, rs) };
        for k in 0..4 {
            if fresh[k] {
                let (dx, dy) = c[k];
                let rate = self.mv_cost.of_qpel(4 * dx, 4 * dy);
                self.offer(Cand { dx, dy, sad: sads[k] }, rate);
            }
        }
    }

    /// Measures a valid candidate (no visited check); true when it became
    /// the best.
    #[inline(always)]
    fn measure(&mut self, dx: i32, dy: i32) -> bool {
        let rate = self.mv_cost.of_qpel(4 * dx, 4 * dy);
        if rate > self.best_cost {
            return false;
        }
        // A candidate whose SAD exceeds what the best costs, less its own
        // rate, cannot win: the kernel may stop early for it. The best's
        // SAD is always exact.
        let bound = self.best_cost - rate;
        let sad = self.blk.sad_with_kernel(self.k, dx, dy, bound);
        self.offer(Cand { dx, dy, sad }, rate)
    }

    /// The small diamond around the best, [`check4`](Self::check4), until
    /// the best stays put (or is good enough); at most `max_steps` moves.
    #[inline(always)]
    pub fn descend_diamond(&mut self, max_steps: usize) {
        for _ in 0..max_steps {
            let c = self.best;
            self.check4([
                (c.dx, c.dy - 1),
                (c.dx - 1, c.dy),
                (c.dx + 1, c.dy),
                (c.dx, c.dy + 1),
            ]);
            if self.best == c || self.done() {
                break;
            }
        }
    }

    /// Whether the best is good enough to stop.
    #[inline(always)]
    pub fn done(&self) -> bool {
        self.best.sad < self.early_exit || self.best_cost <= self.floor_cost
    }

    /// Repeats `pattern` around the best until the best stays put (or is
    /// good enough); at most `max_steps` moves.
    #[inline(always)]
    pub fn descend(&mut self, pattern: &[(i32, i32)], max_steps: usize) {
        for _ in 0..max_steps {
            let c = self.best;
            for &(ox, oy) in pattern {
                self.check(c.dx + ox, c.dy + oy);
            }
            if self.best == c || self.done() {
                break;
            }
        }
    }
}

/// The seed's block-matching motion estimator. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MotionEstimator {
    block_size: usize,
    search_range: usize,
    algorithm: SearchAlgorithm,
    early_exit_sad: u32,
    subpel: SubpelPrecision,
    stripe_rows: usize,
    sad: Sad,
}

impl MotionEstimator {
    /// An estimator for `block_size` (4, 8, 16 or 32) square blocks,
    /// searching up to `search_range` (at most 64) whole pixels each way with
    /// `algorithm`; fast searches stop when the SAD is below `early_exit_sad`.
    /// Integer-pel only; see [`with_subpel`](Self::with_subpel).
    pub fn new(
        block_size: usize,
        search_range: usize,
        algorithm: SearchAlgorithm,
        early_exit_sad: u32,
    ) -> Result<Self, MotionError> {
        if !BLOCK_SIZES.contains(&block_size) {
            return Err(MotionError::UnsupportedBlockSize { block_size });
        }
        if search_range > MAX_SEARCH_RANGE {
            return Err(MotionError::SearchRangeTooLarge { search_range });
        }
        Ok(MotionEstimator {
            block_size,
            search_range,
            algorithm,
            early_exit_sad,
            subpel: SubpelPrecision::Integer,
            stripe_rows: (64 / block_size).max(1),
            sad: Sad::detect(),
        })
    }

    /// Refines every vector to half or quarter pixels after the integer
    /// search (vectors then in quarter pixels, see the module docs).
    pub fn with_subpel(mut self, precision: SubpelPrecision) -> Self {
        self.subpel = precision;
        self
    }

    /// Uses these SAD kernels (e.g. [`Sad::scalar`]) instead of the detected ones.
    pub fn with_sad(mut self, sad: Sad) -> Self {
        self.sad = sad;
        self
    }

    /// Block rows per independent stripe (default: 64 pixels' worth, e.g. 4
    /// rows of 16x16 blocks). Fewer rows: more parallel tasks; more rows:
    /// more blocks with a top predictor.
    pub fn with_stripe_rows(mut self, stripe_rows: usize) -> Result<Self, MotionError> {
        if stripe_rows == 0 {
            return Err(MotionError::ZeroStripeRows);
        }
        self.stripe_rows = stripe_rows;
        Ok(self)
    }

    /// Block size in pixels.
    pub fn block_size(&self) -> usize {
        self.block_size
    }
    /// Search range in whole pixels.
    pub fn search_range(&self) -> usize {
        self.search_range
    }
    /// The search.
    pub fn algorithm(&self) -> SearchAlgorithm {
        self.algorithm
    }
    /// The early termination threshold.
    pub fn early_exit_sad(&self) -> u32 {
        self.early_exit_sad
    }
    /// Sub-pel refinement applied by the frame-level calls.
    pub fn subpel(&self) -> SubpelPrecision {
        self.subpel
    }
    /// Block rows per stripe.
    pub fn stripe_rows(&self) -> usize {
        self.stripe_rows
    }
    /// The SAD kernels in use.
    pub fn sad_kernels(&self) -> Sad {
        self.sad
    }

    /// The grid of blocks of a `width` x `height` frame: `(blocks_x, blocks_y)`.
    pub fn grid(&self, width: usize, height: usize) -> (usize, usize) {
        (
            width.div_ceil(self.block_size),
            height.div_ceil(self.block_size),
        )
    }

    fn check_frames(
        &self,
        current: &PlaneRef<'_>,
        reference: &PlaneRef<'_>,
    ) -> Result<(usize, usize), MotionError> {
        if (current.width(), current.height()) != (reference.width(), reference.height()) {
            return Err(MotionError::SizeMismatch {
                current: (current.width(), current.height()),
                reference: (reference.width(), reference.height()),
            });
        }
        Ok(self.grid(current.width(), current.height()))
    }

    /// Estimates the motion of every block of `current` from `reference`.
    pub fn estimate(
        &self,
        current: PlaneRef<'_>,
        reference: PlaneRef<'_>,
    ) -> Result<MotionField, MotionError> {
        self.estimate_with_previous(current, reference, None)
    }

    /// As [`estimate`](Self::estimate), also trying each block's co-located
    /// vector of `previous` (the previous frame's field, same grid) as a
    /// predictor.
    pub fn estimate_with_previous(
        &self,
        current: PlaneRef<'_>,
        reference: PlaneRef<'_>,
        previous: Option<&MotionField>,
    ) -> Result<MotionField, MotionError> {
        let (bx, by) = self.check_frames(&current, &reference)?;
        if let Some(p) = previous {
            if (p.blocks_x, p.blocks_y, p.block_size) != (bx, by, self.block_size)
                || p.vectors.len() != bx * by
            {
                return Err(MotionError::PreviousFieldMismatch {
                    expected: (bx, by, self.block_size),
                    found: (p.blocks_x, p.blocks_y, p.block_size),
                });
            }
        }
        let mut vectors = vec![MotionVector::default(); bx * by];
        let stripe = bx * self.stripe_rows;
        vectors.par_chunks_mut(stripe).enumerate().for_each_init(
            SearchScratch::new,
            |scratch, (si, out)| {
                self.run_stripe(
                    &current,
                    &reference,
                    previous,
                    si * self.stripe_rows,
                    bx,
                    out,
                    scratch,
                )
            },
        );
        let precision = if self.subpel == SubpelPrecision::Integer {
            1
        } else {
            4
        };
        Ok(MotionField {
            block_size: self.block_size,
            blocks_x: bx,
            blocks_y: by,
            precision,
            vectors,
        })
    }

    /// Searches the block rows of one stripe, in raster order.
    #[allow(clippy::too_many_arguments)]
    fn run_stripe(
        &self,
        cur: &PlaneRef<'_>,
        refp: &PlaneRef<'_>,
        previous: Option<&MotionField>,
        row0: usize,
        bx: usize,
        out: &mut [MotionVector],
        scratch: &mut SearchScratch,
    ) {
        let mut ints = std::mem::take(&mut scratch.ints);
        ints.clear();
        ints.resize(out.len(), Mv::ZERO);
        let rows = out.len() / bx;
        let mut preds = [Mv::ZERO; 5];
        for r in 0..rows {
            for c in 0..bx {
                let i = r * bx + c;
                let mut n = 0;
                if self.algorithm != SearchAlgorithm::Full {
                    let mut sp = [Mv::ZERO; 4];
                    n = spatial_predictors(&ints, bx, r, c, &mut sp);
                    preds[..4].copy_from_slice(&sp);
                    if let Some(p) = previous {
                        if let Some(v) = p.vectors.get((row0 + r) * bx + c) {
                            preds[n] = Mv::from_vector(v, p.precision);
                            n += 1;
                        }
                    }
                }
                let blk = Block::new(
                    self.sad,
                    *cur,
                    *refp,
                    c * self.block_size,
                    (row0 + r) * self.block_size,
                    self.block_size,
                    self.search_range,
                );
                let best = self.search(&blk, &preds[..n], MvCost::NONE, &mut scratch.visited);
                ints[i] = Mv::new(best.dx as i16, best.dy as i16);
                let (dx, dy, sad) = if self.subpel == SubpelPrecision::Integer {
                    (best.dx, best.dy, best.sad)
                } else {
                    let win = scratch.window.get_or_insert_with(Default::default);
                    subpel::refine(&blk, best, self.subpel, MvCost::NONE, win, &mut scratch.pred)
                };
                out[i] = MotionVector::new(c as u16, (row0 + r) as u16, dx as i16, dy as i16, sad);
            }
        }
        scratch.ints = ints;
    }

    /// The integer search of one prepared block: a kernel specialised for
    /// the block shape and ISA where there is one, else the generic kernel.
    fn search(&self, blk: &Block<'_>, preds: &[Mv], mv_cost: MvCost, visited: &mut Visited) -> Cand {
        let p = Params {
            algorithm: self.algorithm,
            early_exit: self.early_exit_sad,
            range: self.search_range,
            mv_cost,
        };
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if self.sad.isa() == Isa::Avx2 && blk.w == 16 && blk.h == 16 {
            // SAFETY: `self.sad` is Avx2 only if the CPU has AVX2; the block
            // is a full 16x16 block inside the current plane.
            return unsafe { search_avx2_16(p, blk, preds, visited) };
        }
        run_search(p, blk, &blk.generic_kernel(), preds, visited)
    }

    fn block<'a>(
        &self,
        current: &PlaneRef<'a>,
        reference: &PlaneRef<'a>,
        block_x: usize,
        block_y: usize,
    ) -> Result<Block<'a>, MotionError> {
        let (bx, by) = self.check_frames(current, reference)?;
        if block_x >= bx || block_y >= by {
            return Err(MotionError::BlockOutOfFrame {
                block_x,
                block_y,
                blocks_x: bx,
                blocks_y: by,
            });
        }
        Ok(Block::new(
            self.sad,
            *current,
            *reference,
            block_x * self.block_size,
            block_y * self.block_size,
            self.block_size,
            self.search_range,
        ))
    }

    /// Integer search of one block, `(block_x, block_y)` in block units,
    /// with the caller's predictors (tried in order, then the zero vector;
    /// with none, also the coarse squares of the module docs; ignored by
    /// [`SearchAlgorithm::Full`]). For a codec's mode decision,
    /// which has its own predictors. Returns whole-pixel `dx`/`dy`.
    pub fn search_block(
        &self,
        current: PlaneRef<'_>,
        reference: PlaneRef<'_>,
        block_x: usize,
        block_y: usize,
        predictors: &[Mv],
        scratch: &mut SearchScratch,
    ) -> Result<MotionVector, MotionError> {
        self.search_block_with_cost(current, reference, block_x, block_y, predictors, MvCost::NONE, scratch)
    }

    /// [`search_block`](Self::search_block) minimising SAD plus the rate
    /// term `mv_cost` (the cost a video encoder weighs) instead of SAD alone.
    #[allow(clippy::too_many_arguments)]
    pub fn search_block_with_cost(
        &self,
        current: PlaneRef<'_>,
        reference: PlaneRef<'_>,
        block_x: usize,
        block_y: usize,
        predictors: &[Mv],
        mv_cost: MvCost,
        scratch: &mut SearchScratch,
    ) -> Result<MotionVector, MotionError> {
        let blk = self.block(&current, &reference, block_x, block_y)?;
        let best = self.search(&blk, predictors, mv_cost, &mut scratch.visited);
        Ok(MotionVector::new(
            block_x as u16,
            block_y as u16,
            best.dx as i16,
            best.dy as i16,
            best.sad,
        ))
    }

    /// Sub-pel refinement of one block around the whole-pixel vector
    /// `integer` (which need not come from this estimator, and is clamped
    /// like a predictor): half-pel, then (for [`SubpelPrecision::Quarter`])
    /// quarter-pel, by SAD against [`asp_core::codec::interpolate`]'s
    /// prediction. Returns **quarter-pel** `dx`/`dy` (for
    /// [`SubpelPrecision::Integer`], 4 times the clamped integer vector).
    #[allow(clippy::too_many_arguments)]
    pub fn refine_block(
        &self,
        current: PlaneRef<'_>,
        reference: PlaneRef<'_>,
        block_x: usize,
        block_y: usize,
        integer: Mv,
        precision: SubpelPrecision,
        scratch: &mut SearchScratch,
    ) -> Result<MotionVector, MotionError> {
        self.refine_block_with_cost(current, reference, block_x, block_y, integer, precision, MvCost::NONE, scratch)
    }

    /// [`refine_block`](Self::refine_block) minimising SAD plus the rate
    /// term `mv_cost`.
    #[allow(clippy::too_many_arguments)]
    pub fn refine_block_with_cost(
        &self,
        current: PlaneRef<'_>,
        reference: PlaneRef<'_>,
        block_x: usize,
        block_y: usize,
        integer: Mv,
        precision: SubpelPrecision,
        mv_cost: MvCost,
        scratch: &mut SearchScratch,
    ) -> Result<MotionVector, MotionError> {
        let blk = self.block(&current, &reference, block_x, block_y)?;
        let start = blk.candidate_near(integer);
        let win = scratch.window.get_or_insert_with(Default::default);
        let (qx, qy, sad) = subpel::refine(&blk, start, precision, mv_cost, win, &mut scratch.pred);
        Ok(MotionVector::new(
            block_x as u16,
            block_y as u16,
            qx as i16,
            qy as i16,
            sad,
        ))
    }

    /// [`refine_block_with_cost`](Self::refine_block_with_cost) against a
    /// reference interpolated once for the whole frame: less filtering when
    /// many blocks are refined, and the rings may walk up to 4 samples from
    /// `integer` (see [`subpel`]), finishing a search that stopped short.
    #[allow(clippy::too_many_arguments)]
    pub fn refine_block_on(
        &self,
        current: PlaneRef<'_>,
        reference: &HalfpelPlanes,
        block_x: usize,
        block_y: usize,
        integer: Mv,
        precision: SubpelPrecision,
        mv_cost: MvCost,
    ) -> Result<MotionVector, MotionError> {
        let luma = reference.luma();
        let blk = self.block(&current, &luma, block_x, block_y)?;
        let start = blk.candidate_near(integer);
        let (qx, qy, sad) = subpel::refine_on(&blk, start, precision, mv_cost, reference);
        Ok(MotionVector::new(
            block_x as u16,
            block_y as u16,
            qx as i16,
            qy as i16,
            sad,
        ))
    }
}

/// What a block search needs from the estimator.
#[derive(Clone, Copy)]
struct Params {
    algorithm: SearchAlgorithm,
    early_exit: u32,
    range: usize,
    mv_cost: MvCost,
}

/// Predictors, zero vector, then the pattern of `p.algorithm` (or the full
/// search), with kernel `k`. Inlined into each kernel's entry point.
#[inline(always)]
fn run_search<K: sad::BlockKernel>(
    p: Params,
    blk: &Block<'_>,
    k: &K,
    preds: &[Mv],
    visited: &mut Visited,
) -> Cand {
    // The full search is the exhaustive SAD reference; it takes no rate term.
    if p.algorithm == SearchAlgorithm::Full {
        return full::search(blk, k);
    }
    visited.start_block(p.range);
    let mut s = Search {
        blk,
        k,
        visited,
        best: Cand::NONE,
        early_exit: p.early_exit,
        mv_cost: p.mv_cost,
        best_cost: u32::MAX,
        floor_cost: p.mv_cost.of_qpel((p.mv_cost.pred_x + 2) & !3, (p.mv_cost.pred_y + 2) & !3),
    };
    for &pr in preds {
        let (dx, dy) = blk.clamp(pr);
        s.check(dx, dy);
        if s.done() {
            return s.best;
        }
    }
    // The zero vector, unless the best predictor is within a pixel of it
    // (the pattern search then reaches it if it is better).
    if preds.is_empty() || s.best.dx.abs() > 1 || s.best.dy.abs() > 1 {
        s.check(0, 0);
        if s.done() {
            return s.best;
        }
    }
    if preds.is_empty() {
        coarse_rings(&mut s);
        if s.done() {
            return s.best;
        }
    }
    match p.algorithm {
        SearchAlgorithm::Diamond => diamond::search(&mut s),
        SearchAlgorithm::Hexagon => hexagon::search(&mut s),
        SearchAlgorithm::ThreeStep => three_step::search(&mut s),
        SearchAlgorithm::Full => {}
    }
    s.best
}

/// For a block without predictors (the first block of a stripe, or a
/// [`MotionEstimator::search_block`] call without any): the 8 points of
/// squares of radius 4, 8, 12, ... up to the range around zero, so that a
/// large motion is found even without a neighbour that knows it.
#[inline(always)]
fn coarse_rings<K: sad::BlockKernel>(s: &mut Search<'_, '_, K>) {
    const RING: [(i32, i32); 8] = [
        (-1, -1),
        (0, -1),
        (1, -1),
        (-1, 0),
        (1, 0),
        (-1, 1),
        (0, 1),
        (1, 1),
    ];
    let mut r = 4;
    while r <= s.blk.range {
        for &(ox, oy) in &RING {
            s.check(ox * r, oy * r);
        }
        r += 4;
    }
}

/// [`run_search`] compiled for AVX2 with the 16x16 block in registers.
///
/// # Safety
///
/// The CPU has AVX2; `blk` is a full 16x16 block.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
unsafe fn search_avx2_16(p: Params, blk: &Block<'_>, preds: &[Mv], visited: &mut Visited) -> Cand {
    // SAFETY: AVX2 per the contract; the block's 16 rows of 16 samples lie
    // inside the current plane.
    let k = unsafe { sad::x86::Avx2Block16::load(blk.cur_ptr(), blk.cur.stride()) };
    run_search(p, blk, &k, preds, visited)
}

/// The spatial predictors of block `(r, c)` of a stripe, from its already
/// searched neighbours `ints` (same stripe only), into `out`; returns how
/// many. First the median of left, top and top-right (top-left when there is
/// no top-right), then the left, top and top-right vectors themselves (the
/// median misses a neighbour's vector at a motion boundary; equal ones cost
/// nothing, a candidate is measured once). On the stripe's first row: left;
/// none for its first block.
#[inline]
fn spatial_predictors(ints: &[Mv], bx: usize, r: usize, c: usize, out: &mut [Mv; 4]) -> usize {
    let at = |r: usize, c: usize| ints.get(r * bx + c).copied().unwrap_or(Mv::ZERO);
    let left = if c > 0 { Some(at(r, c - 1)) } else { None };
    if r == 0 {
        return match left {
            Some(l) => {
                out[0] = l;
                1
            }
            None => 0,
        };
    }
    let top = at(r - 1, c);
    let diag = if c + 1 < bx {
        at(r - 1, c + 1)
    } else if c > 0 {
        at(r - 1, c - 1)
    } else {
        top
    };
    let l = left.unwrap_or(top);
    *out = [Mv::median(l, top, diag), l, top, diag];
    4
}

/// The seed's entry point: motion of every `block_size` block of `current`
/// from `previous`, both tightly packed `width` x `height` luma planes, on the
/// current rayon pool. A thin function over [`MotionEstimator`]: one vector
/// per block (zero vectors included), raster order, whole pixels.
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
) -> Result<Vec<MotionVector>, MotionError> {
    let est = MotionEstimator::new(block_size, search_range, algorithm, early_exit_sad)?;
    let cur = PlaneRef::packed(current, width, height).map_err(|error| MotionError::BadFrame {
        frame: FrameRole::Current,
        error,
    })?;
    let prev =
        PlaneRef::packed(previous, width, height).map_err(|error| MotionError::BadFrame {
            frame: FrameRole::Reference,
            error,
        })?;
    Ok(est.estimate(cur, prev)?.vectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_order() {
        assert_eq!(
            Mv::median(Mv::new(1, 9), Mv::new(5, -3), Mv::new(3, 4)),
            Mv::new(3, 4)
        );
        let a = Cand {
            dx: 1,
            dy: 0,
            sad: 5,
        };
        let b = Cand {
            dx: 0,
            dy: 2,
            sad: 5,
        };
        assert!(a.better_than(&b) && !b.better_than(&a));
        let c = Cand {
            dx: -1,
            dy: 0,
            sad: 5,
        };
        assert!(c.better_than(&a));
        assert!(Cand {
            dx: 9,
            dy: 9,
            sad: 4
        }
        .better_than(&a));
        assert_eq!(
            Mv::from_vector(&MotionVector::new(0, 0, -6, 6, 0), 4),
            Mv::new(-1, 2)
        );
    }

    #[test]
    fn visited_epochs() {
        let mut v = Visited::new(2);
        v.start_block(2);
        assert!(v.insert(2, -2));
        assert!(!v.insert(2, -2));
        v.start_block(2);
        assert!(v.insert(2, -2));
        for _ in 0..70000 {
            v.start_block(2);
        }
        assert!(v.insert(2, -2));
        v.start_block(5);
        assert!(v.insert(-5, 5));
    }
}
