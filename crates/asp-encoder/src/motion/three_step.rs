//! Three-step search (TSS) with the centre bias of the New Three-Step
//! Search (NTSS, Li, Zeng & Liou 1994).
//!
//! Classic TSS measures the 8 neighbours at distance `step` around the best
//! candidate, with `step` starting at half the search range (rounded down to
//! a power of two: 8 for ±16, 4 for ±7) and halved down to 1: three steps for
//! the classic ±7, four for ±16. Real motion is mostly small and TSS's first
//! coarse step often jumps away from it, so, as in NTSS, the first step also
//! measures the 8 neighbours at distance 1: if the start stays best the search
//! stops there, and if one of those neighbours wins, one more distance-1
//! square around it ends the search. Either way small-diamond moves then make
//! sure the result is a local minimum.

use super::sad::BlockKernel;
use super::Search;

/// The 8 neighbours, scaled by the step.
const SQUARE: [(i32, i32); 8] = [
    (-1, -1),
    (0, -1),
    (1, -1),
    (-1, 0),
    (1, 0),
    (-1, 1),
    (0, 1),
    (1, 1),
];

/// First step for a range: the largest power of two <= max(1, (range + 1) / 2).
pub(crate) fn first_step(range: i32) -> i32 {
    let half = ((range + 1) / 2).max(1);
    1 << (31 - half.leading_zeros())
}

/// One square per step, centred on the best so far.
#[inline(always)]
pub(crate) fn search<K: BlockKernel>(s: &mut Search<'_, '_, K>) {
    let start = s.best;
    let mut step = first_step(s.blk.range);
    // First step: the coarse square and the distance-1 square.
    for &(ox, oy) in &SQUARE {
        s.check(start.dx + ox * step, start.dy + oy * step);
    }
    if step > 1 {
        for &(ox, oy) in &SQUARE {
            s.check(start.dx + ox, start.dy + oy);
        }
    }
    if s.done() || s.best == start {
        return;
    }
    let moved = s.best;
    if (moved.dx - start.dx).abs() <= 1 && (moved.dy - start.dy).abs() <= 1 {
        // Small motion: one distance-1 square around the new best.
        for &(ox, oy) in &SQUARE {
            s.check(moved.dx + ox, moved.dy + oy);
        }
    } else {
        step /= 2;
        while step >= 1 {
            let c = s.best;
            for &(ox, oy) in &SQUARE {
                s.check(c.dx + ox * step, c.dy + oy * step);
            }
            if s.done() {
                return;
            }
            step /= 2;
        }
    }
    // Make sure the result is a local minimum: small diamond moves.
    if !s.done() {
        s.descend_diamond(2 * s.blk.range as usize + 1);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn steps() {
        let f = super::first_step;
        assert_eq!(
            [f(0), f(1), f(2), f(3), f(7), f(15), f(16), f(64)],
            [1, 1, 1, 2, 4, 8, 8, 32]
        );
    }
}
