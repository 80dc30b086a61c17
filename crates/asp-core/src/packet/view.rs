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

    /// Capture time of the frame in microseconds since the Unix epoch, when
    /// the packet carries it whole: I and C packets that know it, D-packets
    /// at refresh starts and wherever the writer rebased. Most D-packets
    /// carry a [`Packet::capture_delta_us`] instead; a [`CaptureClock`]
    /// resolves both over a stream.
    ///
    /// [`CaptureClock`]: crate::packet::CaptureClock
    pub fn capture_time_us(&self) -> Option<u64> {
        let t = match self.payload {
            Payload::I(p) => p.capture_time_us(),
            Payload::D(p) => p.capture_time_us().unwrap_or(0),
            Payload::C(p) => p.capture_time_us(),
            Payload::S(_) => 0,
        };
        (t != 0).then_some(t)
    }

    /// A D-packet's capture time as microseconds after the last capture
    /// time its stream carried whole.
    pub fn capture_delta_us(&self) -> Option<u32> {
        match self.payload {
            Payload::D(p) => p.capture_delta_us(),
            _ => None,
        }
    }

    /// The frame a D-packet is predicted from: its `ref_sequence` when the
    /// packet carries one, otherwise the sequence number before its own
    /// (what the schema says an absent field means). `None` for other kinds.
    pub fn ref_sequence(&self) -> Option<u32> {
        match self.payload {
            Payload::D(p) => Some(d_ref_sequence(&p, self.header.sequence)),
            _ => None,
        }
    }

    /// The coded tiles of an I, D or C packet (empty for S): one per tile
    /// of the grid, or per region of a C-packet.
    pub fn tiles(&self) -> Tiles<'a> {
        match self.payload {
            Payload::I(p) => Tiles::of_grid(p.tile_columns(), p.tile_rows(), p.tile_sizes(), p.tile_data()),
            Payload::D(p) => Tiles::of_grid(p.tile_columns(), p.tile_rows(), p.tile_sizes(), p.tile_data()),
            Payload::C(p) => Tiles::of_correction(&p),
            Payload::S(_) => Tiles::new(None, None, 0),
        }
    }
}

/// The frame a D payload sent under `sequence` is predicted from (an
/// absent `ref_sequence` means the one before).
pub fn d_ref_sequence(payload: &schema::DPacketPayload<'_>, sequence: u32) -> u32 {
    payload.ref_sequence().unwrap_or(sequence.wrapping_sub(1))
}

/// Iterator over the byte ranges of a packet's coded entries (tiles in
/// raster order, or a C-packet's regions).
///
/// The payload lists the size of every entry but the last, which runs to
/// the end of `tile_data` (so a one-tile frame carries no size table).
/// Sizes were checked against the data when the packet was parsed.
#[derive(Clone, Debug)]
pub struct Tiles<'a> {
    sizes: Option<Vector<'a, u32>>,
    data: &'a [u8],
    count: usize,
    index: usize,
    offset: usize,
}

impl<'a> Tiles<'a> {
    /// `count` entries: `sizes` lists all but the last.
    pub fn new(sizes: Option<Vector<'a, u32>>, data: Option<Vector<'a, u8>>, count: usize) -> Tiles<'a> {
        Tiles { sizes, data: data.map_or(&[][..], |d| d.bytes()), count, index: 0, offset: 0 }
    }

    /// The tiles of a `columns` x `rows` grid; none when the frame carries
    /// no coded data (side data only).
    pub fn of_grid(
        columns: u8,
        rows: u8,
        sizes: Option<Vector<'a, u32>>,
        data: Option<Vector<'a, u8>>,
    ) -> Tiles<'a> {
        let count = if sizes.is_none() && data.is_none() { 0 } else { usize::from(columns) * usize::from(rows) };
        Tiles::new(sizes, data, count)
    }

    /// A C-packet's entries, one per region.
    pub fn of_correction(payload: &schema::CPacketPayload<'a>) -> Tiles<'a> {
        let regions = payload.regions().map_or(0, |r| r.len());
        Tiles::new(payload.tile_sizes(), payload.tile_data(), regions)
    }
}

impl<'a> Iterator for Tiles<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.index >= self.count {
            return None;
        }
        let end = if self.index + 1 == self.count {
            self.data.len()
        } else {
            let sizes = self.sizes?;
            if self.index >= sizes.len() {
                return None;
            }
            self.offset.checked_add(sizes.get(self.index) as usize)?
        };
        let tile = self.data.get(self.offset..end)?;
        self.index += 1;
        self.offset = end;
        Some(tile)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.count - self.index;
        (remaining, Some(remaining))
    }
}

impl ExactSizeIterator for Tiles<'_> {}

pub(crate) fn verify_payload<'a>(
    payload: &'a [u8],
    header_type: PacketType,
    limits: &Limits,
) -> Result<Payload<'a>, PacketError> {
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
    let (width, height) = (u32::from(stream.width()), u32::from(stream.height()));
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
/// a tile grid within the caps, and tile sizes that fit the data (one size
/// per entry but the last, which takes the rest).
fn check_frame_facts(payload: &Payload<'_>, limits: &Limits) -> Result<(), PacketError> {
    let (sizes, data, expected_entries) = match *payload {
        Payload::I(p) => {
            check_stream_info(p.stream(), limits)?;
            let tiles = check_grid(p.tile_columns(), p.tile_rows(), limits)?;
            (p.tile_sizes(), p.tile_data(), tiles)
        }
        Payload::D(p) => {
            // A refresh start is a place to join: it must say what the stream is.
            if p.refresh_frames() != 0 {
                check_stream_info(p.stream(), limits)?;
            }
            let tiles = check_grid(p.tile_columns(), p.tile_rows(), limits)?;
            (p.tile_sizes(), p.tile_data(), tiles)
        }
        // A C-packet has one coded entry per region, not a grid.
        Payload::C(p) => (p.tile_sizes(), p.tile_data(), p.regions().map_or(0, |r| r.len())),
        Payload::S(_) => return Ok(()),
    };
    // A frame without coded data (no tile vectors) is legal: side data only.
    if sizes.is_none() && data.is_none() && !matches!(payload, Payload::C(_)) {
        return Ok(());
    }
    let entries = sizes.map_or(0, |s| s.len());
    let sum: u64 = sizes.map_or(0, |s| s.iter().map(u64::from).sum());
    let data_len = data.map_or(0, |d| d.len());
    let fits = if expected_entries == 0 { data_len == 0 } else { sum <= data_len as u64 };
    if entries != expected_entries.saturating_sub(1) || !fits {
        return Err(PacketError::TileSizesMismatch { entries, expected_entries, sum, data_len });
    }
    Ok(())
}

/// The number of tiles of a grid within the caps.
fn check_grid(columns: u8, rows: u8, limits: &Limits) -> Result<usize, PacketError> {
    let tiles = u32::from(columns) * u32::from(rows);
    if tiles == 0 || tiles > limits.max_tiles {
        return Err(PacketError::BadTileGrid { columns, rows, max_tiles: limits.max_tiles });
    }
    Ok(tiles as usize)
}
