//! The block being searched: where it is, which displacements are valid,
//! and its SAD against the reference.

use super::sad;
use super::{Cand, FullPelMv, PlaneRef, Sad};

/// One block of the current frame, with everything a search needs: where it
/// is, which displacements are valid, and the SAD kernels.
pub(crate) struct Block<'a> {
    pub(super) sad: Sad,
    pub(super) cur: PlaneRef<'a>,
    pub(super) refp: PlaneRef<'a>,
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
    pub(super) fn new(
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
    pub fn clamp(&self, mv: FullPelMv) -> (i32, i32) {
        (
            (mv.x as i32).clamp(self.min_dx, self.max_dx),
            (mv.y as i32).clamp(self.min_dy, self.max_dy),
        )
    }

    /// The valid displacement nearest `mv`, with its SAD: where a sub-pel
    /// refinement starts.
    pub(crate) fn candidate_near(&self, mv: FullPelMv) -> Cand {
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
    pub(super) fn cur_ptr(&self) -> *const u8 {
        // In bounds: the block lies inside the current plane.
        self.cur.data()[self.py * self.cur.stride() + self.px..].as_ptr()
    }

    /// The generic kernel for this block.
    #[inline]
    pub(super) fn generic_kernel(&self) -> sad::GenericKernel {
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
