//! Shared plumbing for the ASP command-line tools.

pub mod input;
