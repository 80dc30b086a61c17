//! asp-core's [`Parallel`] executor on rayon: decodes tiles on every core.

use asp_core::codec::decoder::Parallel;
use rayon::prelude::*;

/// Runs jobs on the current rayon pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rayon;

impl Parallel for Rayon {
    fn map<R: Send, F: Fn(usize) -> R + Sync>(&self, count: usize, job: F) -> Vec<R> {
        (0..count).into_par_iter().map(|i| job(i)).collect()
    }
}
