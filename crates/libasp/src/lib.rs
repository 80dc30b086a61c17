pub use asp_core;
