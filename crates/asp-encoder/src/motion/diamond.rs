//! Diamond search: the small diamond (the 4 neighbours at distance 1),
//! repeated around the best candidate while the best moves.
//!
//! Starting from the best predictor (median, co-located, zero), which on
//! real video is usually within a pixel or two of the answer, the small
//! diamond converges in a few steps; each step after the first measures at
//! most 3 new candidates (the one it came from is remembered).

use super::sad::BlockKernel;
use super::Search;

/// The small diamond.
pub(crate) const SMALL_DIAMOND: [(i32, i32); 4] = [(0, -1), (-1, 0), (1, 0), (0, 1)];

/// Refines `s.best` with the small diamond until it stays put, is good
/// enough (early exit), or has moved `2 * range + 1` times. The four points
/// are measured in one kernel pass when at least three are new.
#[inline(always)]
pub(crate) fn search<K: BlockKernel>(s: &mut Search<'_, '_, K>) {
    let steps = 2 * s.blk.range as usize + 1;
    s.descend_diamond(steps);
}
