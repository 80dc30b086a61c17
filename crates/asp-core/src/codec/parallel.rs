//! Tile jobs on one core or many: the [`Parallel`] executor that the
//! decoder takes (one job per tile, deblocked inside the job when the tile
//! spans the frame's width).
//!
//! asp-core is `no_std` and has no threads of its own: [`Serial`] runs
//! jobs on the calling thread; with the `rayon` cargo feature, `Rayon`
//! runs them on the current rayon pool (natively every core, in the
//! browser the pool's Web Workers, see web/src/worker/rayon-pool.js).
//! (`Rayon` is named, not linked: without the feature it does not exist,
//! and `cargo doc -p asp-core` must build either way.)

/// Runs independent jobs, serially or in parallel.
pub trait Parallel {
    /// Calls `job(i, &mut items[i])` for every item; items are disjoint,
    /// so the calls may run at the same time.
    fn for_each_mut<T: Send, F: Fn(usize, &mut T) + Sync>(&self, items: &mut [T], job: F);
}

/// Runs jobs one after the other on the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Serial;

impl Parallel for Serial {
    fn for_each_mut<T: Send, F: Fn(usize, &mut T) + Sync>(&self, items: &mut [T], job: F) {
        for (i, item) in items.iter_mut().enumerate() {
            job(i, item);
        }
    }
}

/// Runs jobs on the current rayon pool.
#[cfg(feature = "rayon")]
#[derive(Clone, Copy, Debug, Default)]
pub struct Rayon;

#[cfg(feature = "rayon")]
impl Parallel for Rayon {
    fn for_each_mut<T: Send, F: Fn(usize, &mut T) + Sync>(&self, items: &mut [T], job: F) {
        use rayon::prelude::*;
        items.par_iter_mut().enumerate().for_each(|(i, item)| job(i, item));
    }
}
