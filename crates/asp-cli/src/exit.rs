//! The exit statuses every tool uses, and the table their `--help` and the
//! README show.

use std::process::ExitCode;

/// Everything went as asked.
pub const OK: u8 = 0;
/// The input was damaged (or cut short) and the tool carried on past it:
/// the output holds what could be recovered.
pub const DAMAGED: u8 = 1;
/// An error: bad arguments, unreadable input, an output refused or not
/// written; a staged output is not put in place.
pub const ERROR: u8 = 2;
/// Stopped by SIGINT or SIGTERM after finishing the packet or frame in
/// hand: the output is valid up to its last packet or frame (128 + SIGINT).
pub const INTERRUPTED: u8 = 130;

/// The table for `--help` (`after_help`).
pub const TABLE: &str = "Exit status:
  0    success
  1    damaged input handled (the output holds what could be recovered)
  2    error (bad arguments, unreadable input, output refused or not written)
  130  interrupted by SIGINT/SIGTERM (the output is valid up to its last packet or frame)";

/// How a run ended, short of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Damaged,
    Interrupted,
}

impl Outcome {
    /// The exit code of a run that ended this way.
    pub fn code(self) -> ExitCode {
        ExitCode::from(match self {
            Outcome::Ok => OK,
            Outcome::Damaged => DAMAGED,
            Outcome::Interrupted => INTERRUPTED,
        })
    }
}
