//! Where frames come from: one [`FrameSource`] trait for every input.
//!
//! * [`TestPattern`]: the built-in moving test picture ([`crate::testsrc`]),
//!   paced, endless unless a frame count is given.
//! * [`Y4mSource`] (feature `y4m`, on by default): a y4m file (paced, can
//!   loop) or y4m on standard input (a live pipe, taken as it comes), read by
//!   [`Y4mReader`] with honest errors about formats it cannot take.
//!
//! [`ReadAhead`] wraps any of them to read on a thread of its own, ahead of
//! the encoder.
//!
//! [`open`] turns what a user typed (`testsrc`, `-`, a path) into a source,
//! so asp-encode's file path and its `--serve` read frames the same way.

mod read_ahead;
mod testsrc;
#[cfg(feature = "y4m")]
mod y4m;

use std::fmt;
use std::io;
use std::path::PathBuf;

use asp_core::codec::frame::{Frame, FrameError};
use asp_core::Limits;

pub use read_ahead::ReadAhead;
pub use testsrc::TestPattern;
#[cfg(feature = "y4m")]
pub use y4m::{Y4mReader, Y4mSource};

/// What one read gave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceRead {
    /// A frame, now in the caller's [`Frame`].
    Frame,
    /// The input ended after a whole frame.
    End,
    /// The input ended inside a frame: the frames before it are good.
    Truncated,
}

/// A source of frames, all of one size.
pub trait FrameSource {
    /// Frame size (width, height).
    fn size(&self) -> (u32, u32);
    /// Frame rate as (numerator, denominator).
    fn fps(&self) -> (u32, u32);
    /// Whether a live consumer should pace reads to the frame rate (a file
    /// or a generator) or take frames as they come (a live pipe).
    fn paced(&self) -> bool;
    /// Reads the next frame into `frame` (of [`FrameSource::size`]). May
    /// block (a live pipe).
    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError>;
    /// Starts again from the first frame (for looping): `Ok(false)` when the
    /// source cannot (a pipe).
    fn rewind(&mut self) -> Result<bool, SourceError> {
        Ok(false)
    }
}

/// Why a source could not be opened or read.
#[derive(Debug)]
#[non_exhaustive]
pub enum SourceError {
    /// The input file could not be opened.
    Open {
        /// The path given.
        path: PathBuf,
        /// What the system said.
        error: io::Error,
    },
    /// Reading failed.
    Io(io::Error),
    /// The test picture cannot have this size.
    TestSize {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
        /// Why not.
        error: FrameError,
    },
    /// The input is empty: no y4m header.
    Empty,
    /// The input is not a y4m stream (what the parser said).
    NotY4m(String),
    /// A y4m colour format other than 8-bit 4:2:0 (its name).
    Colorspace(String),
    /// The y4m frame size is zero or over the limits.
    Size {
        /// Width in the header.
        width: usize,
        /// Height in the header.
        height: usize,
        /// The limits.
        max: (u32, u32),
    },
    /// The y4m header's frame is over the limits (refused before allocating).
    TooLarge {
        /// The limits.
        max: (u32, u32),
    },
    /// A damaged y4m frame (what the parser said).
    BadFrame(String),
    /// The frame to read into does not fit the source.
    Frame(FrameError),
    /// A path was given, and this build reads no y4m (feature `y4m` off).
    NoY4mSupport,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Open { path, error } => write!(f, "cannot open {}: {error}", path.display()),
            SourceError::Io(e) => write!(f, "reading y4m: {e}"),
            SourceError::TestSize { width, height, error } => write!(f, "testsrc size {width}x{height}: {error}"),
            SourceError::Empty => f.write_str("empty input: no y4m header"),
            SourceError::NotY4m(why) => write!(f, "not a y4m stream: {why}"),
            SourceError::Colorspace(name) => write!(
                f,
                "unsupported y4m colour format {name}: ASP encodes 8-bit 4:2:0; convert with ffmpeg's `-pix_fmt yuv420p`"
            ),
            SourceError::Size { width, height, max } => {
                write!(f, "y4m frame size {width}x{height} is outside 1x1..={}x{}", max.0, max.1)
            }
            SourceError::TooLarge { max } => write!(f, "y4m frame size is over the limit of {}x{}", max.0, max.1),
            SourceError::BadFrame(why) => write!(f, "bad y4m frame: {why}"),
            SourceError::Frame(e) => write!(f, "frame: {e}"),
            SourceError::NoY4mSupport => f.write_str("this build reads no y4m (asp-encoder's feature `y4m` is off)"),
        }
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SourceError::Open { error, .. } | SourceError::Io(error) => Some(error),
            SourceError::TestSize { error, .. } | SourceError::Frame(error) => Some(error),
            _ => None,
        }
    }
}

impl From<FrameError> for SourceError {
    fn from(e: FrameError) -> Self {
        SourceError::Frame(e)
    }
}

/// The test picture's settings for [`open`] (a y4m input has its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestSettings {
    /// Frame size.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Frames before the end (`None`: endless).
    pub frames: Option<u64>,
}

/// Opens an input as users name it: `testsrc` (the test picture with
/// `test`'s settings), `-` (y4m on standard input, unpaced) or a y4m file
/// (paced, rewindable). y4m sizes are checked against `limits`.
pub fn open(input: &str, test: TestSettings, limits: &Limits) -> Result<Box<dyn FrameSource + Send>, SourceError> {
    match input {
        "testsrc" => Ok(Box::new(TestPattern::new(test.width, test.height, test.fps, test.frames)?)),
        #[cfg(feature = "y4m")]
        path => Ok(Box::new(Y4mSource::open(path.as_ref(), limits)?)),
        #[cfg(not(feature = "y4m"))]
        _ => {
            let _ = limits;
            Err(SourceError::NoY4mSupport)
        }
    }
}

#[cfg(test)]
mod tests;
