//! Full search: every valid candidate, exact.
//!
//! The answer is the minimum of [`Cand::better_than`](super::Cand) over all
//! displacements within the range that keep the block inside the frame, so
//! it equals a naive brute-force search whatever the scan order.

use super::{Block, Cand};

/// Measures every candidate of `blk` and returns the best.
pub(crate) fn search(blk: &Block<'_>) -> Cand {
    let mut best = Cand { dx: 0, dy: 0, sad: blk.sad_at(0, 0) };
    for dy in blk.min_dy..=blk.max_dy {
        for dx in blk.min_dx..=blk.max_dx {
            let c = Cand { dx, dy, sad: blk.sad_at(dx, dy) };
            if c.better_than(&best) {
                best = c;
            }
        }
    }
    best
}
