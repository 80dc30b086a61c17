//! The exit statuses every tool uses, and the table their `--help` and the
//! README show.

use std::io;
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
  0    success (also when the reader of standard output stops reading)
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

/// The exit code for a run that failed with `error`, after saying why on
/// standard error as `tool: reason: cause: ...`.
///
/// A broken pipe is the one error that is not reported: only writes to a
/// pipe give it (standard output, or an `-o` FIFO), and it means the reader
/// stopped reading, as `asp-decode x.asp -o - | head -c 100` asks. The tool
/// stops quietly with status 0, as `head`'s writer would.
pub fn report_error(tool: &str, error: &anyhow::Error) -> ExitCode {
    if reader_closed(error) {
        return ExitCode::from(OK);
    }
    eprintln!("{tool}: {error:#}");
    ExitCode::from(ERROR)
}

/// Whether `error` comes from writing to a pipe nobody reads any more.
pub fn reader_closed(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}
