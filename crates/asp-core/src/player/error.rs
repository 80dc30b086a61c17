//! What can go wrong in a stream, as values the front ends map to their own
//! messages (the `Display` text is a plain default).

use core::fmt;

use crate::codec::decoder::DecodeError;
use crate::codec::correction::CorrectionError;
use crate::packet::PacketError;

/// An error the [`Player`](super::Player) reports (and counts). All but
/// [`Error::WrongFrame`] and [`Error::Refine`] lose stream data, so the
/// player then waits for a keyframe or an intra-refresh start.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `len` bytes at stream offset `offset` were not a valid packet and
    /// were skipped (chunked input); `error` says what was wrong first.
    Damaged { offset: u64, len: u64, error: PacketError },
    /// A whole packet failed its checks.
    BadPacket(PacketError),
    /// The I or D packet `sequence` did not decode.
    Decode { sequence: u32, error: DecodeError },
    /// C-packet `sequence` refines frame `wanted`, but the picture open to
    /// refinement is `on_show` (`None`: no picture is, before the first
    /// frame or once the picture on show is final). Refused.
    WrongFrame { sequence: u32, wanted: u32, on_show: Option<u32> },
    /// C-packet `sequence` did not apply; the picture is as it was.
    Refine { sequence: u32, error: CorrectionError },
    /// Input was dropped because it came faster than it was read:
    /// `dropped` bytes waiting in the reader, or an unread whole packet.
    FellBehind { dropped: usize },
    /// No memory for `bytes` more bytes of input; they were not kept.
    OutOfMemory { bytes: usize },
}

impl Error {
    /// Whether stream data was lost (the player then waits for a keyframe).
    pub fn loses_data(&self) -> bool {
        !matches!(self, Error::WrongFrame { .. } | Error::Refine { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Damaged { offset, error, .. } => write!(f, "damaged data at byte {offset} of the stream: {error}"),
            Error::BadPacket(error) => write!(f, "damaged packet: {error}"),
            Error::Decode { sequence, error } => write!(f, "packet {sequence} not decoded: {error}"),
            Error::WrongFrame { sequence, wanted, on_show: Some(have) } => {
                write!(f, "C-packet {sequence} not applied: it refines frame {wanted}, the frame on show is {have}")
            }
            Error::WrongFrame { sequence, wanted, on_show: None } => {
                write!(f, "C-packet {sequence} not applied: it refines frame {wanted}, no frame is open to refinement")
            }
            Error::Refine { sequence, error } => write!(f, "C-packet {sequence} not applied: {error}"),
            Error::FellBehind { dropped } => write!(f, "decoding fell behind: {dropped} buffered bytes dropped"),
            Error::OutOfMemory { bytes } => write!(f, "out of memory: cannot buffer {bytes} more bytes"),
        }
    }
}

impl core::error::Error for Error {}
