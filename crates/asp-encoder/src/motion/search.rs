//! One block's search: the candidate bookkeeping (measured set, best so
//! far, rate term), the predictors, and the driver that runs the
//! predictors then the pattern of the chosen [`SearchAlgorithm`].

use asp_core::codec::mv::QpelMv;

use super::sad;
use super::{diamond, full, hexagon, three_step};
use super::{Block, LumaWindow, FullPelMv, MvCost, SearchAlgorithm};

/// Per-thread working memory of a search, reused from block to block (no
/// allocation per block). Make one per thread for
/// [`MotionEstimator::search_block`](super::MotionEstimator::search_block);
/// the frame-level calls make their own.
#[derive(Clone, Debug)]
pub struct SearchScratch {
    pub(super) visited: Visited,
    pub(super) window: Option<Box<LumaWindow>>,
    pub(super) pred: Vec<u8>,
    pub(super) ints: Vec<FullPelMv>,
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
pub(super) struct Visited {
    stamps: Vec<u16>,
    range: i32,
    side: usize,
    epoch: u16,
}

impl Visited {
    pub(super) fn new(range: usize) -> Self {
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

/// What a block search needs from the estimator.
#[derive(Clone, Copy)]
pub(super) struct Params {
    pub(super) algorithm: SearchAlgorithm,
    pub(super) early_exit: u32,
    pub(super) range: usize,
    pub(super) mv_cost: MvCost,
}

/// Predictors, zero vector, then the pattern of `p.algorithm` (or the full
/// search), with kernel `k`. Inlined into each kernel's entry point.
#[inline(always)]
pub(super) fn run_search<K: sad::BlockKernel>(
    p: Params,
    blk: &Block<'_>,
    k: &K,
    preds: &[FullPelMv],
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
        floor_cost: {
            let whole = QpelMv::from_full_pel(p.mv_cost.pred.to_full_pel_round());
            p.mv_cost.of_qpel(i32::from(whole.x), i32::from(whole.y))
        },
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
/// [`MotionEstimator::search_block`](super::MotionEstimator::search_block)
/// call without any): the 8 points of
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
pub(super) unsafe fn search_avx2_16(p: Params, blk: &Block<'_>, preds: &[FullPelMv], visited: &mut Visited) -> Cand {
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
pub(super) fn spatial_predictors(ints: &[FullPelMv], bx: usize, r: usize, c: usize, out: &mut [FullPelMv; 4]) -> usize {
    let at = |r: usize, c: usize| ints.get(r * bx + c).copied().unwrap_or(FullPelMv::ZERO);
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
    *out = [FullPelMv::median(l, top, diag), l, top, diag];
    4
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::MotionVector;

    #[test]
    fn median_and_order() {
        assert_eq!(
            FullPelMv::median(FullPelMv::new(1, 9), FullPelMv::new(5, -3), FullPelMv::new(3, 4)),
            FullPelMv::new(3, 4)
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
            FullPelMv::from_wire(&MotionVector::new(0, 0, -6, 6, 0), 4),
            FullPelMv::new(-1, 2)
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
