//! asp-core's tile executors ([`Parallel`], [`Serial`], and [`Rayon`] from
//! asp-core's `rayon` feature, which this crate turns on), re-exported so
//! that a user of the encoder can decode tiles on every core without
//! naming asp-core's features.

pub use asp_core::codec::parallel::{Parallel, Rayon, Serial};
