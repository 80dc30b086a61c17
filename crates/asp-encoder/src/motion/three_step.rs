//! Three-step search (TSS): the 8 neighbours at distance `step` around the
//! best candidate, with `step` starting at half the search range (rounded
//! down to a power of two: 8 for ±16, 4 for ±7) and halved down to 1. Three
//! steps for the classic ±7; four for ±16.

use super::Search;

/// The 8 neighbours, scaled by the step.
const SQUARE: [(i32, i32); 8] = [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)];

/// First step for a range: the largest power of two <= max(1, (range + 1) / 2).
pub(crate) fn first_step(range: i32) -> i32 {
    let half = ((range + 1) / 2).max(1);
    1 << (31 - half.leading_zeros())
}

/// One square per step, centred on the best so far.
pub(crate) fn search(s: &mut Search<'_, '_>) {
    let mut step = first_step(s.blk.range);
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

#[cfg(test)]
mod tests {
    #[test]
    fn steps() {
        let f = super::first_step;
        assert_eq!([f(0), f(1), f(2), f(3), f(7), f(15), f(16), f(64)], [1, 1, 1, 2, 4, 8, 8, 32]);
    }
}
