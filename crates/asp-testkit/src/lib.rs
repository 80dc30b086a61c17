//! What ASP's tests and benches share (a dev-dependency only; nothing in
//! it ships).
//!
//! * [`Rng`]: the one reproducible random generator for test data and
//!   bench content (SplitMix64); [`XorShift64`] for the few tests whose
//!   expectations were measured on its sequence.
//! * [`fixtures`]: the player fixtures' expected pictures
//!   (`crates/asp-core/tests/data/expected.txt`), read the same way by
//!   every front end's fixture test.
//! * [`textured`]: the fine-textured picture the fast-motion tests pan over.

pub mod fixtures;
mod rng;
mod texture;

pub use rng::{Rng, XorShift64};
pub use texture::textured;
