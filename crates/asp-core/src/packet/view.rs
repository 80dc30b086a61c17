//! `Packet<'a>`: a verified, zero-copy view over one packet's bytes.

use flatbuffers::Vector;

use crate::limits::Limits;
use crate::packet::{crc32, Header, PacketError, PacketType, HEADER_LEN, MIN_PACKET_LEN};
use crate::schema::{self, AspPayload};

/// One packet, checked end to end, borrowing the bytes it was parsed from.
///
/// Construction runs every check (see [`Packet::parse_prefix`]); once a
/// `Packet` exists, its accessors cannot fail and never copy.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    header: Header,
    bytes: &'a [u8],
    payload: Payload<'a>,
}

/// The payload, by kind. The generated accessors read straight from the
/// packet's bytes.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    I(schema::IPacketPayload<'a>),
    D(schema::DPacketPayload<'a>),
    C(schema::CPacketPayload<'a>),
    S(schema::SPacketPayload<'a>),
}

impl<'a> Packet<'a> {
    /// Parses `bytes` as exactly one packet, with the default limits.
    pub fn parse(bytes: &'a [u8]) -> Result<Packet<'a>, PacketError> {
        Packet::parse_with(bytes, &Limits::DEFAULT)
    }

    /// Parses `bytes` as exactly one packet.
    pub fn parse_with(bytes: &'a [u8], limits: &Limits) -> Result<Packet<'a>, PacketError> {
        let packet = Packet::parse_prefix(bytes, limits)?;
        if packet.len() != bytes.len() {
            return Err(PacketError::TrailingBytes { packet_len: packet.len(), buffer_len: bytes.len() });
        }
        Ok(packet)
    }

    /// Parses the packet at the start of `bytes`; bytes after it are ignored
    /// ([`Packet::len`] says where it ends).
    ///
    /// Checks, in order: length ≥ 20, magic, version, type, payload length
    /// against the cap and against the buffer, CRC-32, FlatBuffers file
    /// identifier and verifier, payload kind against the header, then the
    /// frame facts (dimensions, tile grid) against `limits`.
    pub fn parse_prefix(bytes: &'a [u8], limits: &Limits) -> Result<Packet<'a>, PacketError> {
        Packet::parse_prefix_crc(bytes, limits, crc32)
    }

    /// [`Packet::parse_prefix`] with the CRC of the bytes it covers computed
    /// by `crc` (which may know it without hashing them again).
    pub(crate) fn parse_prefix_crc(
        bytes: &'a [u8],
        limits: &Limits,
        crc: impl FnOnce(&[u8]) -> u32,
    ) -> Result<Packet<'a>, PacketError> {
        if bytes.len() < MIN_PACKET_LEN {
            return Err(PacketError::TooShort { len: bytes.len() });
        }
        let header = Header::decode(bytes, limits)?;
        let packet_len = header.packet_len();
        let Some(packet) = bytes.get(..packet_len) else {
            return Err(PacketError::Truncated { needed: packet_len, available: bytes.len() });
        };
        let crc_offset = packet_len - 4;
        let (covered, trailer) = packet.split_at(crc_offset);
        let stored = u32::from_be_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let computed = crc(covered);
        if stored != computed {
            return Err(PacketError::CrcMismatch { offset: crc_offset, stored, computed });
        }
        let payload_bytes = &covered[HEADER_LEN..];
        let payload = verify_payload(payload_bytes, header.packet_type, limits)?;
        Ok(Packet { header, bytes: packet, payload })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn packet_type(&self) -> PacketType {
        self.header.packet_type
    }

    pub fn sequence(&self) -> u32 {
        self.header.sequence
    }

    pub fn flags(&self) -> u16 {
        self.header.flags
    }

    /// The whole packet: header, payload and trailer.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Total length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: the smallest packet is 20 bytes.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The FlatBuffers payload bytes.
    pub fn payload_bytes(&self) -> &'a [u8] {
        &self.bytes[HEADER_LEN..self.bytes.len() - 4]
    }

    /// The stored (and verified) CRC-32.
    pub fn crc(&self) -> u32 {
        let t = &self.bytes[self.bytes.len() - 4..];
        u32::from_be_bytes([t[0], t[1], t[2], t[3]])
    }

    pub fn payload(&self) -> Payload<'a> {
        self.payload
    }

    /// Capture time of the frame in microseconds since the Unix epoch, for
    /// I, D and C packets that carry one.
    pub fn capture_time_us(&self) -> Option<u64> {
        let t = match self.payload {
            Payload::I(p) => p.capture_time_us(),
            Payload::D(p) => p.capture_time_us(),
            Payload::C(p) => p.capture_time_us(),
            Payload::S(_) => 0,
        };
        (t != 0).then_some(t)
    }

    /// The coded tiles of an I, D or C packet (empty for S).
    pub fn tiles(&self) -> Tiles<'a> {
        let (sizes, data) = match self.payload {
            Payload::I(p) => (p.tile_sizes(), p.tile_data()),
            Payload::D(p) => (p.tile_sizes(), p.tile_data()),
            Payload::C(p) => (p.tile_sizes(), p.tile_data()),
            Payload::S(_) => (None, None),
        };
        Tiles { sizes, data: data.map_or(&[][..], |d| d.bytes()), index: 0, offset: 0 }
    }
}

/// Iterator over the byte ranges of a packet's tiles, in raster order.
/// Sizes were checked against the data when the packet was parsed.
#[derive(Clone, Debug)]
pub struct Tiles<'a> {
    sizes: Option<Vector<'a, u32>>,
    data: &'a [u8],
    index: usize,
    offset: usize,
}

impl<'a> Iterator for Tiles<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let sizes = self.sizes?;
        if self.index >= sizes.len() {
            return None;
        }
        let size = sizes.get(self.index) as usize;
        let tile = self.data.get(self.offset..self.offset + size)?;
        self.index += 1;
        self.offset += size;
        Some(tile)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.sizes.map_or(0, |s| s.len() - self.index);
        (remaining, Some(remaining))
    }
}

impl ExactSizeIterator for Tiles<'_> {}

pub(crate) fn verify_payload<'a>(
    payload: &'a [u8],
    header_type: PacketType,
    limits: &Limits,
) -> Result<Payload<'a>, PacketError> {
    // Checked by hand: flatbuffers' own identifier check asserts on short buffers.
    match payload.get(4..8) {
        Some(id) if id == schema::ASP_PACKET_PAYLOAD_IDENTIFIER.as_bytes() => {}
        found => {
            let mut bytes = [0u8; 4];
            if let Some(found) = found {
                bytes.copy_from_slice(found);
            }
            return Err(PacketError::BadFileIdentifier { found: bytes });
        }
    }
    let root = schema::root_as_asp_packet_payload_with_opts(&limits.verifier_options(), payload)
        .map_err(PacketError::InvalidFlatbuffer)?;
    let union_type = root.payload_type();
    if union_type == AspPayload::NONE {
        return Err(PacketError::MissingPayload);
    }
    if union_type.0 != header_type as u8 {
        return Err(PacketError::PayloadTypeMismatch { header: header_type, payload: union_type.0 });
    }
    let payload = match header_type {
        PacketType::I => Payload::I(root.payload_as_ipacket_payload().ok_or(PacketError::MissingPayload)?),
        PacketType::D => Payload::D(root.payload_as_dpacket_payload().ok_or(PacketError::MissingPayload)?),
        PacketType::C => Payload::C(root.payload_as_cpacket_payload().ok_or(PacketError::MissingPayload)?),
        PacketType::S => Payload::S(root.payload_as_spacket_payload().ok_or(PacketError::MissingPayload)?),
    };
    check_frame_facts(&payload, limits)?;
    Ok(payload)
}

/// Stream facts present, with dimensions within the caps.
fn check_stream_info(stream: Option<schema::StreamInfo<'_>>, limits: &Limits) -> Result<(), PacketError> {
    let stream = stream.ok_or(PacketError::MissingStreamInfo)?;
    let (width, height) = (stream.width(), stream.height());
    if width == 0 || height == 0 || width > limits.max_width || height > limits.max_height {
        return Err(PacketError::BadDimensions {
            width,
            height,
            max_width: limits.max_width,
            max_height: limits.max_height,
        });
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PacketError::TooManyPixels { width, height, max_pixels: limits.max_pixels });
    }
    Ok(())
}

/// Checks what the codec will rely on: keyframe dimensions within the caps,
/// a tile grid within the caps, and tile sizes that add up to the data.
fn check_frame_facts(payload: &Payload<'_>, limits: &Limits) -> Result<(), PacketError> {
    let (grid, sizes, data) = match *payload {
        Payload::I(p) => {
            check_stream_info(p.stream(), limits)?;
            (Some((p.tile_columns(), p.tile_rows())), p.tile_sizes(), p.tile_data())
        }
        Payload::D(p) => {
            // A refresh start is a place to join: it must say what the stream is.
            if p.refresh_frames() != 0 {
                check_stream_info(p.stream(), limits)?;
            }
            (Some((p.tile_columns(), p.tile_rows())), p.tile_sizes(), p.tile_data())
        }
        // A C-packet has one coded entry per region, not a grid.
        Payload::C(p) => (None, p.tile_sizes(), p.tile_data()),
        Payload::S(_) => return Ok(()),
    };
    let expected_entries = match grid {
        Some((columns, rows)) => {
            let tiles = u32::from(columns) * u32::from(rows);
            if tiles == 0 || tiles > limits.max_tiles {
                return Err(PacketError::BadTileGrid { columns, rows, max_tiles: limits.max_tiles });
            }
            // A frame without coded data (no tile vectors) is legal: side data only.
            if sizes.is_none() && data.is_none() {
                return Ok(());
            }
            tiles as usize
        }
        None => sizes.map_or(0, |s| s.len()),
    };
    let entries = sizes.map_or(0, |s| s.len());
    let sum: u64 = sizes.map_or(0, |s| s.iter().map(u64::from).sum());
    let data_len = data.map_or(0, |d| d.len());
    if entries != expected_entries || sum != data_len as u64 {
        return Err(PacketError::TileSizesMismatch { entries, expected_entries, sum, data_len });
    }
    Ok(())
}
