//! [`MotionEstimator`]: the configured estimator, its frame-level calls
//! (stripes on the rayon pool) and its per-block calls, and the seed's
//! [`estimate_motion_parallel`].

use rayon::prelude::*;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
use super::search::search_avx2_16;
use super::search::{run_search, spatial_predictors, Params, Visited};
use super::subpel;
use super::{
    Block, Cand, FrameRole, HalfpelPlanes, MotionError, MotionField, MotionVector, FullPelMv, MvCost,
    PlaneRef, Sad, SearchAlgorithm, SearchScratch, SubpelPrecision, BLOCK_SIZES, MAX_SEARCH_RANGE,
};

/// The seed's block-matching motion estimator. See the [module docs](super).
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
        ints.resize(out.len(), FullPelMv::ZERO);
        let rows = out.len() / bx;
        let mut preds = [FullPelMv::ZERO; 5];
        for r in 0..rows {
            for c in 0..bx {
                let i = r * bx + c;
                let mut n = 0;
                if self.algorithm != SearchAlgorithm::Full {
                    let mut sp = [FullPelMv::ZERO; 4];
                    n = spatial_predictors(&ints, bx, r, c, &mut sp);
                    preds[..4].copy_from_slice(&sp);
                    if let Some(p) = previous {
                        if let Some(v) = p.vectors.get((row0 + r) * bx + c) {
                            preds[n] = FullPelMv::from_wire(v, p.precision);
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
                ints[i] = FullPelMv::new(best.dx as i16, best.dy as i16);
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
    fn search(&self, blk: &Block<'_>, preds: &[FullPelMv], mv_cost: MvCost, visited: &mut Visited) -> Cand {
        let p = Params {
            algorithm: self.algorithm,
            early_exit: self.early_exit_sad,
            range: self.search_range,
            mv_cost,
        };
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if self.sad.is_avx2() && blk.w == 16 && blk.h == 16 {
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
        predictors: &[FullPelMv],
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
        predictors: &[FullPelMv],
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
        integer: FullPelMv,
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
        integer: FullPelMv,
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
        integer: FullPelMv,
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
