//! Hexagon search (HEXBS, Zhu, Lin & Chau 2002), centre-biased.
//!
//! First the small diamond around the best predictor: most real motion is
//! within a pixel of a good predictor, and then the search ends there (as
//! the diamond search would). Otherwise the 6-point hexagon of radius 2 is
//! repeated around the best candidate while the best moves (3 new candidates
//! per move), and one small diamond around the final centre ends the
//! search. The hexagon covers ground twice as fast as the small diamond, so
//! it escapes shallow local minima that trap the diamond on textured content.

use super::diamond::SMALL_DIAMOND;
use super::sad::BlockKernel;
use super::Search;

/// The large hexagon: two points at distance 2 horizontally, four at (±1, ±2).
const HEXAGON: [(i32, i32); 6] = [(-2, 0), (-1, -2), (1, -2), (2, 0), (1, 2), (-1, 2)];

/// Small diamond; if it moved, hexagon moves until the centre is best, then
/// small diamond moves until the centre is best.
#[inline(always)]
pub(crate) fn search<K: BlockKernel>(s: &mut Search<'_, '_, K>) {
    let start = s.best;
    s.check4(SMALL_DIAMOND.map(|(ox, oy)| (start.dx + ox, start.dy + oy)));
    if s.best == start || s.done() {
        return;
    }
    let steps = s.blk.range as usize + 1;
    s.descend(&HEXAGON, steps);
    if s.done() {
        return;
    }
    s.descend_diamond(steps);
}
