//! Sub-pel refinement on top of any integer search.
//!
//! Around the best whole-pixel vector, the 8 half-pel neighbours are
//! predicted and measured, again around the best of them while it moves
//! (up to `RING_PASSES` times), then (for quarter precision) the same
//! with the 8 quarter-pel neighbours. Predictions come from
//! [`asp_core::codec::LumaWindow`], the decoder's own interpolation (H.264's
//! 6-tap filter, edge samples extended), prepared once per block: the SAD
//! of a refined vector is the SAD of exactly the prediction a decoder forms.
//!
//! Results are in **quarter pixels**: `4 * dx + ox` with `ox` in `-3..=3`
//! (in `-16..=16` when refined on [`HalfpelPlanes`]).
//! A candidate replaces the best only with a strictly lower SAD, so on ties
//! the shorter refinement (and the integer vector) wins.

use asp_core::codec::{LumaWindow, Planes};

use super::{Block, Cand, HalfpelPlanes, MvCost};

/// How far [`MotionEstimator::with_subpel`](super::MotionEstimator::with_subpel)
/// refines vectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SubpelPrecision {
    /// Whole pixels only (no refinement).
    #[default]
    Integer,
    /// Half pixels.
    Half,
    /// Quarter pixels.
    Quarter,
}

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

/// Most passes of each ring (half-pel, then quarter-pel) around the best
/// position so far.
const RING_PASSES: usize = 4;

/// How far (quarter samples, each direction) the refinement may move from
/// the whole-sample vector within a window prepared around it.
const WINDOW_REACH: i32 = 3;

/// The same on a reference interpolated for the whole frame: the rings
/// may walk on, finishing what the whole-sample search left (its patterns
/// stop in local minima). Up to 4 samples: most of the gain of walking on
/// (BENCHMARKS.md, encoder tuning).
const PLANES_REACH: i32 = 16;

/// Largest block side (the window holds the block plus one sample each side).
const MAX_SIDE: usize = 32;

/// Refines `best` (a measured whole-pixel candidate of `blk`); returns the
/// quarter-pel vector and its SAD. Never fails: if the window cannot be
/// prepared the integer vector is returned.
pub(crate) fn refine(
    blk: &Block<'_>,
    best: Cand,
    precision: SubpelPrecision,
    mv_cost: MvCost,
    win: &mut LumaWindow,
    pred: &mut Vec<u8>,
) -> (i32, i32, u32) {
    if precision == SubpelPrecision::Integer || blk.w > MAX_SIDE || blk.h > MAX_SIDE {
        return (4 * best.dx, 4 * best.dy, best.sad);
    }
    let x0 = blk.px as i32 + best.dx - 1;
    let y0 = blk.py as i32 + best.dy - 1;
    if win
        .prepare(blk.reference(), x0, y0, blk.w + 2, blk.h + 2, Planes::ALL)
        .is_err()
    {
        return (4 * best.dx, 4 * best.dy, best.sad);
    }
    // Offsets in quarter pixels from the integer vector; the window origin is
    // one pixel up-left, so offset (ox, oy) is window position (4+ox, 4+oy).
    pred.resize(MAX_SIDE * MAX_SIDE, 0);
    let sads = |offsets: &[(i32, i32)], out: &mut [u32]| {
        for (&(ox, oy), sad) in offsets.iter().zip(out) {
            *sad = match win.predict((4 + ox) as usize, (4 + oy) as usize, blk.w, blk.h, pred, MAX_SIDE) {
                Ok(()) => blk.sad_with(pred, MAX_SIDE),
                Err(_) => u32::MAX,
            };
        }
    };
    search_rings(best, precision, mv_cost, WINDOW_REACH, sads)
}

/// [`refine`] with the candidates read from a reference interpolated once
/// for the whole frame (`planes` must be of `blk`'s reference plane).
pub(crate) fn refine_on(
    blk: &Block<'_>,
    best: Cand,
    precision: SubpelPrecision,
    mv_cost: MvCost,
    planes: &HalfpelPlanes,
) -> (i32, i32, u32) {
    if precision == SubpelPrecision::Integer || blk.w > MAX_SIDE || blk.h > MAX_SIDE {
        return (4 * best.dx, 4 * best.dy, best.sad);
    }
    let (x, y) = (4 * (blk.px as i32 + best.dx), 4 * (blk.py as i32 + best.dy));
    let (current, stride) = blk.current();
    let sads = |offsets: &[(i32, i32)], out: &mut [u32]| {
        let mut positions = [(0, 0); RING.len()];
        for (position, &(ox, oy)) in positions.iter_mut().zip(offsets) {
            *position = (x + ox, y + oy);
        }
        let count = offsets.len().min(RING.len());
        let mut measured = [None; RING.len()];
        planes.sads(&positions[..count], blk.w, blk.h, current, stride, &mut measured[..count]);
        for (sad, m) in out.iter_mut().zip(measured) {
            *sad = m.unwrap_or(u32::MAX);
        }
    };
    search_rings(best, precision, mv_cost, PLANES_REACH, sads)
}

/// The half-pel ring around the integer vector, then the quarter-pel ring
/// around the best half-pel position, by SAD + rate; `sads(offsets, out)`
/// measures the candidates at quarter-pel offsets `offsets` (at most a
/// ring's eight) into `out` (`u32::MAX`: none). A pass's candidates are
/// measured together (so that a kernel may load the block once) and then
/// compared in ring order, as if one by one: which positions a pass
/// measures depends on its centre only.
fn search_rings(
    best: Cand,
    precision: SubpelPrecision,
    mv_cost: MvCost,
    reach: i32,
    mut sads: impl FnMut(&[(i32, i32)], &mut [u32]),
) -> (i32, i32, u32) {
    let reach = reach.min(PLANES_REACH);
    let rate = |ox: i32, oy: i32| mv_cost.of_qpel(4 * best.dx + ox, 4 * best.dy + oy);
    // Positions measured so far (offsets within ±PLANES_REACH): a ring
    // around a new best overlaps the last one, and a position that did not
    // beat the best then cannot now, so each is measured once.
    const SIDE: i32 = 2 * PLANES_REACH + 1;
    let mut seen = [0u64; (SIDE * SIDE) as usize / 64 + 1];
    let mut first_visit = |ox: i32, oy: i32| {
        let bit = ((oy + PLANES_REACH) * SIDE + ox + PLANES_REACH) as usize;
        let (word, mask) = (bit / 64, 1u64 << (bit % 64));
        let new = seen[word] & mask == 0;
        seen[word] |= mask;
        new
    };
    first_visit(0, 0);
    let (mut bx, mut by, mut bsad) = (0, 0, best.sad);
    let mut bcost = best.sad.saturating_add(rate(0, 0));
    for step in [2, 1] {
        if step == 1 && precision != SubpelPrecision::Quarter {
            break;
        }
        // Each ring is searched again around a new best, a few times: one
        // pass stops short of the minimum often enough to cost bits
        // (BENCHMARKS.md, encoder tuning).
        for _ in 0..RING_PASSES {
            let (cx, cy) = (bx, by);
            let mut offsets = [(0, 0); RING.len()];
            let mut count = 0;
            for &(rx, ry) in &RING {
                let (ox, oy) = (cx + rx * step, cy + ry * step);
                if ox.abs() > reach || oy.abs() > reach || !first_visit(ox, oy) {
                    continue;
                }
                offsets[count] = (ox, oy);
                count += 1;
            }
            let mut measured = [u32::MAX; RING.len()];
            sads(&offsets[..count], &mut measured[..count]);
            for (&(ox, oy), &s) in offsets[..count].iter().zip(&measured) {
                let c = s.saturating_add(rate(ox, oy));
                if c < bcost {
                    (bx, by, bsad, bcost) = (ox, oy, s, c);
                }
            }
            if (bx, by) == (cx, cy) {
                break;
            }
        }
    }
    (4 * best.dx + bx, 4 * best.dy + by, bsad)
}
