//! Packet framing: `[16-byte header][FlatBuffers payload][CRC-32]`.
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `ASP1` |
//! | 4 | 1 | version (3; 2 is read, 1 is refused) |
//! | 5 | 1 | packet type: 1 = I, 2 = D, 3 = C, 4 = S |
//! | 6 | 2 | flags, big-endian ([`flags`]) |
//! | 8 | 4 | sequence number, big-endian |
//! | 12 | 4 | payload length n, big-endian |
//! | 16 | n | FlatBuffers payload (root `AspPacketPayload`, no file identifier) |
//! | 16+n | 4 | CRC-32 (IEEE) of bytes 0..16+n, big-endian |

mod capture;
mod error;
mod header;
mod reader;
mod span_crc;
mod view;
mod writer;

pub use capture::CaptureClock;
pub use error::PacketError;
pub use header::{crc32, flags, Header, PacketType, HEADER_LEN, MAGIC, MIN_PACKET_LEN, MIN_READ_VERSION, TRAILER_LEN, VERSION};
pub use reader::{PacketReader, ReadEvent};
pub use view::{d_ref_sequence, Packet, Payload, Tiles};
pub use writer::{
    Correction, DFrame, IFrame, PacketWriter, Palette, RefreshStart, StreamInfo, Sync, TileSet, WriteError, ATTRIBUTION,
};
