//! asp-core's [`Parallel`] executor on rayon: decodes tiles on every core.

use asp_core::codec::decoder::Parallel;
use rayon::prelude::*;

/// Runs jobs on the current rayon pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rayon;

impl Parallel for Rayon {
    fn for_each_mut<T: Send, F: Fn(usize, &mut T) + Sync>(&self, items: &mut [T], job: F) {
        items.par_iter_mut().enumerate().for_each(|(i, item)| job(i, item));
    }
}
