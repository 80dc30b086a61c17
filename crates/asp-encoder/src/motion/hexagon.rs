//! Hexagon search (HEXBS): the 6-point hexagon of radius 2 repeated around
//! the best candidate while the best moves (3 new candidates per move), then
//! one small diamond around the final centre.
//!
//! The hexagon covers ground twice as fast as the small diamond, so it
//! escapes shallow local minima that trap the diamond on textured content.

use super::diamond::SMALL_DIAMOND;
use super::Search;

/// The large hexagon: two points at distance 2 horizontally, four at (±1, ±2).
const HEXAGON: [(i32, i32); 6] = [(-2, 0), (-1, -2), (1, -2), (2, 0), (1, 2), (-1, 2)];

/// Hexagon moves until the centre is best, then the small diamond.
pub(crate) fn search(s: &mut Search<'_, '_>) {
    let steps = s.blk.range as usize + 1;
    s.descend(&HEXAGON, steps);
    if s.done() {
        return;
    }
    let c = s.best;
    for &(ox, oy) in &SMALL_DIAMOND {
        s.check(c.dx + ox, c.dy + oy);
    }
}
