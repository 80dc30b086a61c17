//! Full search: every valid candidate, exact.
//!
//! The answer is the minimum of [`Cand::better_than`](super::Cand) over all
//! displacements within the range that keep the block inside the frame, so
//! it equals a naive brute-force search whatever the scan order. Kernels
//! may stop a candidate's sum part-way once it exceeds the best SAD so far
//! (it then cannot win), which keeps the search exact.

use super::sad::BlockKernel;
use super::{Block, Cand};

/// Measures every candidate of `blk` with kernel `k` and returns the best.
#[inline(always)]
pub(crate) fn search<K: BlockKernel>(blk: &Block<'_>, k: &K) -> Cand {
    let mut best = Cand {
        dx: 0,
        dy: 0,
        sad: blk.sad_with_kernel(k, 0, 0, u32::MAX),
    };
    for dy in blk.min_dy..=blk.max_dy {
        for dx in blk.min_dx..=blk.max_dx {
            // Exact whenever it can tie or beat the best (partial-sum bound).
            let c = Cand {
                dx,
                dy,
                sad: blk.sad_with_kernel(k, dx, dy, best.sad),
            };
            if c.better_than(&best) {
                best = c;
            }
        }
    }
    best
}
