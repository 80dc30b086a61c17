//! The fixed 16-byte header and the CRC-32 trailer.

use crate::limits::Limits;
use crate::packet::PacketError;

/// The four bytes every packet starts with.
pub const MAGIC: [u8; 4] = *b"ASP1";
/// The header version this crate writes. Version 3 added
/// [`flags::MODELS_FROM_REFERENCE`]: a version-2 decoder would ignore it and
/// decode such frames wrongly, so it must refuse them instead.
pub const VERSION: u8 = 3;
/// The oldest version this crate reads: version 2 is version 3 without
/// [`flags::MODELS_FROM_REFERENCE`], which its writers never set.
pub const MIN_READ_VERSION: u8 = 2;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 16;
/// Bytes after the payload (the CRC-32).
pub const TRAILER_LEN: usize = 4;
/// The smallest possible packet: a header, an empty payload and a CRC.
pub const MIN_PACKET_LEN: usize = HEADER_LEN + TRAILER_LEN;

/// Header flag bits (big-endian `u16` at offset 6).
pub mod flags {
    /// No later packet depends on this one: a receiver short of bandwidth may
    /// drop it without drift (set on C-packets).
    pub const DISCARDABLE: u16 = 1 << 0;
    /// A D frame whose tiles start from the entropy models the same tiles
    /// of its reference frame ended with, not from flat ones (version 3;
    /// the decoder module docs say why). Never on keyframes or refresh
    /// starts, where a decoder may join.
    pub const MODELS_FROM_REFERENCE: u16 = 1 << 1;
}

/// Packet type, byte 5 of the header. The values equal the payload union's
/// type values in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// Keyframe (intra frame).
    I = 1,
    /// Delta (inter) frame.
    D = 2,
    /// Correction (ROI refinement), droppable.
    C = 3,
    /// Sync (control).
    S = 4,
}

impl PacketType {
    /// The type for a header byte, if it names one.
    pub fn from_byte(byte: u8) -> Option<PacketType> {
        match byte {
            1 => Some(PacketType::I),
            2 => Some(PacketType::D),
            3 => Some(PacketType::C),
            4 => Some(PacketType::S),
            _ => None,
        }
    }

    /// One letter, as people write it: `I`, `D`, `C`, `S`.
    pub fn letter(self) -> char {
        match self {
            PacketType::I => 'I',
            PacketType::D => 'D',
            PacketType::C => 'C',
            PacketType::S => 'S',
        }
    }
}

/// A decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub packet_type: PacketType,
    pub flags: u16,
    pub sequence: u32,
    /// Length of the FlatBuffers payload in bytes.
    pub payload_len: u32,
}

impl Header {
    /// The header's 16 bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = VERSION;
        out[5] = self.packet_type as u8;
        out[6..8].copy_from_slice(&self.flags.to_be_bytes());
        out[8..12].copy_from_slice(&self.sequence.to_be_bytes());
        out[12..16].copy_from_slice(&self.payload_len.to_be_bytes());
        out
    }

    /// Decodes and checks the header at the start of `bytes`: magic, version,
    /// type and the payload length against `limits` (in that order). Does not
    /// look past the first 16 bytes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Header, PacketError> {
        let Some(head) = bytes.first_chunk::<HEADER_LEN>() else {
            return Err(PacketError::TooShort { len: bytes.len() });
        };
        let [m0, m1, m2, m3, version, type_byte, f0, f1, s0, s1, s2, s3, l0, l1, l2, l3] = *head;
        if [m0, m1, m2, m3] != MAGIC {
            return Err(PacketError::BadMagic { found: [m0, m1, m2, m3] });
        }
        if !(MIN_READ_VERSION..=VERSION).contains(&version) {
            return Err(PacketError::UnsupportedVersion { found: version });
        }
        let packet_type =
            PacketType::from_byte(type_byte).ok_or(PacketError::UnknownPacketType { found: type_byte })?;
        let payload_len = u32::from_be_bytes([l0, l1, l2, l3]);
        if payload_len > limits.max_payload_len {
            return Err(PacketError::PayloadTooLarge { declared: payload_len, max: limits.max_payload_len });
        }
        Ok(Header {
            packet_type,
            flags: u16::from_be_bytes([f0, f1]),
            sequence: u32::from_be_bytes([s0, s1, s2, s3]),
            payload_len,
        })
    }

    /// Total packet length: header + payload + trailer.
    pub fn packet_len(&self) -> usize {
        HEADER_LEN + self.payload_len as usize + TRAILER_LEN
    }
}

/// CRC-32 (IEEE 802.3, the zlib one) of `bytes`.
#[inline]
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}
