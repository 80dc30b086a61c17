//! One error type for everything that can be wrong with a packet.

use core::fmt;

use crate::packet::{PacketType, MIN_READ_VERSION, VERSION};

/// Why a packet was rejected. Each variant names the offset (from the start
/// of the packet) or the field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketError {
    /// Fewer bytes than a header and a trailer (20).
    TooShort { len: usize },
    /// Bytes 0..4 are not `ASP1`.
    BadMagic { found: [u8; 4] },
    /// Byte 4 is not a version this decoder reads.
    UnsupportedVersion { found: u8 },
    /// Byte 5 is not 1..=4.
    UnknownPacketType { found: u8 },
    /// Bytes 12..16 declare a payload over `Limits::max_payload_len`.
    PayloadTooLarge { declared: u32, max: u32 },
    /// The buffer ends before the packet its header declares.
    Truncated { needed: usize, available: usize },
    /// The buffer holds more than one packet where exactly one was expected.
    TrailingBytes { packet_len: usize, buffer_len: usize },
    /// The CRC-32 stored at `offset` does not match the bytes before it.
    CrcMismatch { offset: usize, stored: u32, computed: u32 },
    /// The FlatBuffers verifier refused the payload.
    InvalidFlatbuffer(flatbuffers::InvalidFlatbuffer),
    /// The payload union is empty.
    MissingPayload,
    /// The payload union holds a different kind of payload than the header says.
    PayloadTypeMismatch { header: PacketType, payload: u8 },
    /// A keyframe or refresh start without its `stream` facts.
    MissingStreamInfo,
    /// Frame dimensions of zero or over the caps.
    BadDimensions { width: u32, height: u32, max_width: u32, max_height: u32 },
    /// A frame area (width times height) over `Limits::max_pixels`.
    TooManyPixels { width: u32, height: u32, max_pixels: u64 },
    /// A tile grid of zero tiles or more than `Limits::max_tiles`.
    BadTileGrid { columns: u8, rows: u8, max_tiles: u32 },
    /// `tile_sizes` does not have one entry per tile (or C-packet region)
    /// but the last, or adds up to more than the length of `tile_data`.
    TileSizesMismatch { entries: usize, expected_entries: usize, sum: u64, data_len: usize },
}

impl PacketError {
    /// Offset in the packet of the byte that is wrong, where one byte is.
    pub fn offset(&self) -> Option<usize> {
        match self {
            PacketError::BadMagic { .. } => Some(0),
            PacketError::UnsupportedVersion { .. } => Some(4),
            PacketError::UnknownPacketType { .. } => Some(5),
            PacketError::PayloadTooLarge { .. } => Some(12),
            PacketError::CrcMismatch { offset, .. } => Some(*offset),
            PacketError::Truncated { available, .. } => Some(*available),
            _ => None,
        }
    }

    /// A short stable name for the variant, for logs and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            PacketError::TooShort { .. } => "too_short",
            PacketError::BadMagic { .. } => "bad_magic",
            PacketError::UnsupportedVersion { .. } => "unsupported_version",
            PacketError::UnknownPacketType { .. } => "unknown_packet_type",
            PacketError::PayloadTooLarge { .. } => "payload_too_large",
            PacketError::Truncated { .. } => "truncated",
            PacketError::TrailingBytes { .. } => "trailing_bytes",
            PacketError::CrcMismatch { .. } => "crc_mismatch",
            PacketError::InvalidFlatbuffer(_) => "invalid_flatbuffer",
            PacketError::MissingPayload => "missing_payload",
            PacketError::PayloadTypeMismatch { .. } => "payload_type_mismatch",
            PacketError::MissingStreamInfo => "missing_stream_info",
            PacketError::BadDimensions { .. } => "bad_dimensions",
            PacketError::TooManyPixels { .. } => "too_many_pixels",
            PacketError::BadTileGrid { .. } => "bad_tile_grid",
            PacketError::TileSizesMismatch { .. } => "tile_sizes_mismatch",
        }
    }
}

impl fmt::Display for PacketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketError::TooShort { len } => {
                write!(f, "{len} bytes is shorter than the smallest packet (20 bytes)")
            }
            PacketError::BadMagic { found } => {
                write!(f, "bad magic at offset 0: {found:02x?}, expected \"ASP1\"")
            }
            PacketError::UnsupportedVersion { found } => {
                write!(f, "unsupported version {found} at offset 4 (this decoder reads versions {MIN_READ_VERSION} to {VERSION})")?;
                if *found == 1 {
                    write!(f, "; version 1 streams come from ASP before its lean framing: re-encode them")?;
                }
                Ok(())
            }
            PacketError::UnknownPacketType { found } => {
                write!(f, "unknown packet type {found} at offset 5 (expected 1..=4)")
            }
            PacketError::PayloadTooLarge { declared, max } => write!(
                f,
                "payload length {declared} at offset 12 is over the limit of {max} bytes"
            ),
            PacketError::Truncated { needed, available } => {
                write!(f, "truncated packet: {needed} bytes declared, {available} present")
            }
            PacketError::TrailingBytes { packet_len, buffer_len } => write!(
                f,
                "{} bytes after the end of a {packet_len}-byte packet",
                buffer_len - packet_len
            ),
            PacketError::CrcMismatch { offset, stored, computed } => write!(
                f,
                "CRC mismatch at offset {offset}: stored {stored:08x}, computed {computed:08x}"
            ),
            PacketError::InvalidFlatbuffer(e) => write!(f, "payload fails verification: {e}"),
            PacketError::MissingPayload => write!(f, "payload union is empty"),
            PacketError::PayloadTypeMismatch { header, payload } => write!(
                f,
                "header says {}-packet but the payload union holds type {payload}",
                header.letter()
            ),
            PacketError::MissingStreamInfo => write!(f, "keyframe or refresh start without stream info"),
            PacketError::BadDimensions { width, height, max_width, max_height } => write!(
                f,
                "frame size {width}x{height} outside 1x1..={max_width}x{max_height}"
            ),
            PacketError::TooManyPixels { width, height, max_pixels } => {
                write!(f, "frame size {width}x{height} is over the limit of {max_pixels} pixels")
            }
            PacketError::BadTileGrid { columns, rows, max_tiles } => write!(
                f,
                "tile grid {columns}x{rows} outside 1..={max_tiles} tiles"
            ),
            PacketError::TileSizesMismatch { entries, expected_entries, sum, data_len } => write!(
                f,
                "tile_sizes has {entries} entries summing to {sum}; expected one per entry but the last of {expected_entries}, summing to at most {data_len}"
            ),
        }
    }
}

impl core::error::Error for PacketError {}
