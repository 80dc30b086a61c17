//! `PacketWriter`: builds packets, reusing its buffers.
//!
//! The FlatBuffers builder and the output buffer are kept between packets
//! and only cleared, so once they have grown to the largest packet written,
//! writing allocates nothing.

use alloc::vec::Vec;
use core::fmt;

use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};

use crate::limits::Limits;
use crate::packet::view::verify_payload;
use crate::packet::{crc32, Header, PacketError, PacketType, HEADER_LEN, TRAILER_LEN};
use crate::schema::{
    self, AspPayload, Color, ColorMatrix, ColorRange, MotionVector, RoiRegion, SyncCommand,
};

/// Stream facts for a keyframe.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamInfo {
    pub width: u32,
    pub height: u32,
    /// Frame rate `fps_num / fps_den`.
    pub fps_num: u32,
    pub fps_den: u32,
    pub color_range: ColorRange,
    pub color_matrix: ColorMatrix,
}

impl StreamInfo {
    /// A limited-range BT.709 stream of the given size and integer rate.
    pub fn new(width: u32, height: u32, fps: u32) -> StreamInfo {
        StreamInfo {
            width,
            height,
            fps_num: fps,
            fps_den: 1,
            color_range: ColorRange::Limited,
            color_matrix: ColorMatrix::Bt709,
        }
    }
}

/// A frame's coded tiles: a `columns` x `rows` grid, `sizes[i]` bytes of
/// `data` per tile in raster order. Empty `sizes` and `data` mean a frame
/// carrying side data only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileSet<'a> {
    pub columns: u8,
    pub rows: u8,
    pub sizes: &'a [u32],
    pub data: &'a [u8],
}

impl Default for TileSet<'_> {
    fn default() -> Self {
        TileSet { columns: 1, rows: 1, sizes: &[], data: &[] }
    }
}

/// Colours and, optionally (empty slice), their weights.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Palette<'a> {
    pub colors: &'a [Color],
    pub weights: &'a [f32],
}

/// What goes into an I-packet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IFrame<'a> {
    pub stream: StreamInfo,
    pub capture_time_us: u64,
    pub qp: u8,
    pub tiles: TileSet<'a>,
    pub palette: Option<Palette<'a>>,
    pub regions: &'a [RoiRegion],
    /// The stream's attribution ([`ATTRIBUTION`] by default in encoders),
    /// written in the stream facts. Encoders give it to the stream's first
    /// keyframe only (see the schema's `StreamInfo.attribution`).
    pub attribution: Option<&'a str>,
}

/// The attribution the licence asks streams of the free encoder to carry;
/// encoders write it in the first keyframe's stream facts by default.
pub const ATTRIBUTION: &str = "Streamed via ALICE Protocol (ASP)";

impl IFrame<'_> {
    /// A keyframe with stream facts only.
    pub fn new(stream: StreamInfo) -> IFrame<'static> {
        IFrame { stream, capture_time_us: 0, qp: 0, tiles: TileSet::default(), palette: None, regions: &[], attribution: None }
    }
}

/// What goes into a D-packet.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DFrame<'a> {
    pub ref_sequence: u32,
    pub capture_time_us: u64,
    pub qp: u8,
    pub tiles: TileSet<'a>,
    /// Side data for readers in other languages.
    pub motion_vectors: &'a [MotionVector],
    pub motion_block_size: u8,
    /// 1, 2 or 4: whole, half or quarter pixels.
    pub motion_vector_precision: u8,
    pub regions: &'a [RoiRegion],
    pub palette: Option<Palette<'a>>,
    /// Set on the first frame of an intra-refresh cycle: a decoder may
    /// start there (see the schema's `refresh_frames`).
    pub refresh: Option<RefreshStart>,
}

/// The start of an intra-refresh cycle: how many frames, counting this
/// one, until the picture is fully refreshed, and the stream facts a
/// decoder joining there needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RefreshStart {
    /// 1 or more.
    pub frames: u16,
    pub stream: StreamInfo,
}

impl Default for DFrame<'_> {
    fn default() -> Self {
        DFrame {
            ref_sequence: 0,
            capture_time_us: 0,
            qp: 0,
            tiles: TileSet::default(),
            motion_vectors: &[],
            motion_block_size: 16,
            motion_vector_precision: 1,
            regions: &[],
            palette: None,
            refresh: None,
        }
    }
}

/// What goes into a C-packet: one coded entry (`sizes[i]` bytes of `data`)
/// per region.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Correction<'a> {
    pub ref_sequence: u32,
    pub capture_time_us: u64,
    pub qp: u8,
    pub regions: &'a [RoiRegion],
    pub sizes: &'a [u32],
    pub data: &'a [u8],
}

/// What goes into an S-packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sync<'a> {
    pub command: SyncCommand,
    pub sequence: u32,
    pub sequences: &'a [u32],
    pub bitrate_kbps: u32,
    pub quality: u8,
    pub timestamp_us: u64,
    pub reason: Option<&'a str>,
    /// Pong: the replier's wall clock, µs since the Unix epoch (0: none).
    pub reply_time_us: u64,
}

impl Sync<'static> {
    /// A command with no arguments (RequestKeyframe, EndOfStream, ...).
    pub fn command(command: SyncCommand) -> Sync<'static> {
        Sync { command, sequence: 0, sequences: &[], bitrate_kbps: 0, quality: 0, timestamp_us: 0, reason: None, reply_time_us: 0 }
    }
}

/// Why a packet could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WriteError {
    /// The payload would exceed `Limits::max_payload_len`.
    PayloadTooLarge { len: usize, max: u32 },
    /// The built packet breaks a rule the reader enforces (for example tile
    /// sizes that do not add up); the writer never emits such a packet.
    Invalid(PacketError),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::PayloadTooLarge { len, max } => {
                write!(f, "payload of at least {len} bytes is over the limit of {max}")
            }
            WriteError::Invalid(e) => write!(f, "packet would be invalid: {e}"),
        }
    }
}

impl core::error::Error for WriteError {}

/// Builds packets. Reuse one writer for a stream: its buffers are kept,
/// and D-packets carry their capture time as a delta from the last one it
/// wrote whole.
pub struct PacketWriter {
    builder: FlatBufferBuilder<'static>,
    out: Vec<u8>,
    limits: Limits,
    /// The last capture time written whole (`capture_time_us`), the base of
    /// the next D-packet's `capture_delta_us`.
    capture_base_us: Option<u64>,
}

impl Default for PacketWriter {
    fn default() -> Self {
        PacketWriter::new()
    }
}

impl PacketWriter {
    pub fn new() -> PacketWriter {
        PacketWriter::with_limits(Limits::DEFAULT)
    }

    /// A writer that refuses to produce what a reader with `limits` would refuse.
    pub fn with_limits(limits: Limits) -> PacketWriter {
        PacketWriter { builder: FlatBufferBuilder::with_capacity(1024), out: Vec::new(), limits, capture_base_us: None }
    }

    /// Makes the next D-packet carry its capture time whole, as when the
    /// packets written from here on are read without those before them.
    pub fn forget_capture_base(&mut self) {
        self.capture_base_us = None;
    }

    /// Writes an I-packet; the returned bytes live until the next write.
    pub fn write_i(&mut self, sequence: u32, flags: u16, frame: &IFrame<'_>) -> Result<&[u8], WriteError> {
        let attribution_len = frame.attribution.map_or(0, str::len);
        self.check_size(frame.tiles.data.len() + 4 * frame.tiles.sizes.len() + attribution_len)?;
        check_sizes(frame.tiles.sizes, frame.tiles.data)?;
        check_stream(&frame.stream, &self.limits)?;
        self.builder.reset();
        let b = &mut self.builder;
        let tile_sizes = sizes_but_last(frame.tiles.sizes).map(|s| b.create_vector(s));
        let tile_data = has_entries(frame.tiles.sizes, frame.tiles.data).then(|| b.create_vector(frame.tiles.data));
        let regions = nonempty(frame.regions).map(|r| b.create_vector(r));
        let palette = frame.palette.map(|p| build_palette(b, &p));
        let stream = build_stream_info(b, &frame.stream, frame.attribution);
        let payload = schema::IPacketPayload::create(
            b,
            &schema::IPacketPayloadArgs {
                stream: Some(stream),
                capture_time_us: frame.capture_time_us,
                qp: frame.qp,
                tile_columns: frame.tiles.columns,
                tile_rows: frame.tiles.rows,
                tile_sizes,
                tile_data,
                palette,
                regions,
            },
        );
        let packet_len = self.finish(PacketType::I, sequence, flags, payload.as_union_value())?.len();
        // A keyframe is always the base, even at 0 (see CaptureClock).
        self.capture_base_us = Some(frame.capture_time_us);
        Ok(&self.out[..packet_len])
    }

    /// Writes a D-packet; the returned bytes live until the next write.
    pub fn write_d(&mut self, sequence: u32, flags: u16, frame: &DFrame<'_>) -> Result<&[u8], WriteError> {
        self.check_size(
            frame.tiles.data.len() + 4 * frame.tiles.sizes.len() + 12 * frame.motion_vectors.len(),
        )?;
        check_sizes(frame.tiles.sizes, frame.tiles.data)?;
        if let Some(refresh) = &frame.refresh {
            check_stream(&refresh.stream, &self.limits)?;
        }
        self.builder.reset();
        let b = &mut self.builder;
        let tile_sizes = sizes_but_last(frame.tiles.sizes).map(|s| b.create_vector(s));
        let tile_data = has_entries(frame.tiles.sizes, frame.tiles.data).then(|| b.create_vector(frame.tiles.data));
        let motion_vectors = nonempty(frame.motion_vectors).map(|m| b.create_vector(m));
        let regions = nonempty(frame.regions).map(|r| b.create_vector(r));
        let palette = frame.palette.map(|p| build_palette(b, &p));
        let stream = frame.refresh.map(|r| build_stream_info(b, &r.stream, None));
        let capture = CaptureTime::of_d_frame(frame.capture_time_us, self.capture_base_us, frame.refresh.is_some());
        let payload = schema::DPacketPayload::create(
            b,
            &schema::DPacketPayloadArgs {
                // The usual reference, the frame before, goes without saying.
                ref_sequence: (frame.ref_sequence != sequence.wrapping_sub(1)).then_some(frame.ref_sequence),
                capture_delta_us: capture.delta_us,
                capture_time_us: capture.whole_us,
                qp: frame.qp,
                tile_columns: frame.tiles.columns,
                tile_rows: frame.tiles.rows,
                tile_sizes,
                tile_data,
                motion_vectors,
                // They describe the vectors: without any, the defaults
                // (which cost nothing on the wire).
                motion_block_size: if frame.motion_vectors.is_empty() { 16 } else { frame.motion_block_size },
                motion_vector_precision: if frame.motion_vectors.is_empty() { 1 } else { frame.motion_vector_precision },
                regions,
                palette,
                refresh_frames: frame.refresh.map_or(0, |r| r.frames),
                stream,
            },
        );
        let packet_len = self.finish(PacketType::D, sequence, flags, payload.as_union_value())?.len();
        if capture.whole_us.is_some() {
            self.capture_base_us = capture.whole_us;
        }
        Ok(&self.out[..packet_len])
    }

    /// Writes a C-packet; the returned bytes live until the next write.
    pub fn write_c(&mut self, sequence: u32, flags: u16, c: &Correction<'_>) -> Result<&[u8], WriteError> {
        self.check_size(c.data.len() + 4 * c.sizes.len() + 24 * c.regions.len())?;
        check_sizes(c.sizes, c.data)?;
        self.builder.reset();
        let b = &mut self.builder;
        let tile_sizes = sizes_but_last(c.sizes).map(|s| b.create_vector(s));
        let tile_data = has_entries(c.sizes, c.data).then(|| b.create_vector(c.data));
        let regions = nonempty(c.regions).map(|r| b.create_vector(r));
        let payload = schema::CPacketPayload::create(
            b,
            &schema::CPacketPayloadArgs {
                ref_sequence: c.ref_sequence,
                capture_time_us: c.capture_time_us,
                qp: c.qp,
                regions,
                tile_sizes,
                tile_data,
            },
        );
        self.finish(PacketType::C, sequence, flags, payload.as_union_value())
    }

    /// Writes an S-packet; the returned bytes live until the next write.
    pub fn write_s(&mut self, sequence: u32, flags: u16, s: &Sync<'_>) -> Result<&[u8], WriteError> {
        self.check_size(4 * s.sequences.len() + s.reason.map_or(0, str::len))?;
        self.builder.reset();
        let b = &mut self.builder;
        let sequences = nonempty(s.sequences).map(|q| b.create_vector(q));
        let reason = s.reason.map(|r| b.create_string(r));
        let payload = schema::SPacketPayload::create(
            b,
            &schema::SPacketPayloadArgs {
                command: s.command,
                sequence: s.sequence,
                sequences,
                bitrate_kbps: s.bitrate_kbps,
                quality: s.quality,
                timestamp_us: s.timestamp_us,
                reason,
                reply_time_us: s.reply_time_us,
            },
        );
        self.finish(PacketType::S, sequence, flags, payload.as_union_value())
    }

    /// Refuses early what cannot fit, before the builder copies anything
    /// (the builder itself would panic past 2 GiB).
    fn check_size(&self, bulk_len: usize) -> Result<(), WriteError> {
        if bulk_len > self.limits.max_payload_len as usize {
            return Err(WriteError::PayloadTooLarge { len: bulk_len, max: self.limits.max_payload_len });
        }
        Ok(())
    }

    fn finish(
        &mut self,
        packet_type: PacketType,
        sequence: u32,
        flags: u16,
        payload: WIPOffset<UnionWIPOffset>,
    ) -> Result<&[u8], WriteError> {
        let root = schema::AspPacketPayload::create(
            &mut self.builder,
            &schema::AspPacketPayloadArgs {
                payload_type: AspPayload(packet_type as u8),
                payload: Some(payload),
            },
        );
        self.builder.finish_minimal(root);
        let payload = self.builder.finished_data();
        if payload.len() > self.limits.max_payload_len as usize {
            return Err(WriteError::PayloadTooLarge { len: payload.len(), max: self.limits.max_payload_len });
        }
        // The same checks a reader runs, so this writer never emits a packet
        // that a reader refuses. Verification is cheap: it checks vector
        // bounds, not every byte.
        verify_payload(payload, packet_type, &self.limits).map_err(WriteError::Invalid)?;
        let header = Header { packet_type, flags, sequence, payload_len: payload.len() as u32 };
        self.out.clear();
        self.out.reserve(HEADER_LEN + payload.len() + TRAILER_LEN);
        self.out.extend_from_slice(&header.encode());
        self.out.extend_from_slice(payload);
        let crc = crc32(&self.out);
        self.out.extend_from_slice(&crc.to_be_bytes());
        Ok(&self.out)
    }
}

/// How a D-packet carries its capture time.
struct CaptureTime {
    delta_us: Option<u32>,
    whole_us: Option<u64>,
}

impl CaptureTime {
    /// Whole on refresh starts (a decoder may join there), when there is
    /// no base yet, and when the delta from the base does not fit; a delta
    /// otherwise; nothing when the time is unknown (0).
    fn of_d_frame(capture_time_us: u64, base_us: Option<u64>, refresh_start: bool) -> CaptureTime {
        if capture_time_us == 0 {
            return CaptureTime { delta_us: None, whole_us: None };
        }
        let delta = base_us
            .filter(|_| !refresh_start)
            .and_then(|base| capture_time_us.checked_sub(base))
            .and_then(|delta| u32::try_from(delta).ok());
        match delta {
            Some(delta) => CaptureTime { delta_us: Some(delta), whole_us: None },
            None => CaptureTime { delta_us: None, whole_us: Some(capture_time_us) },
        }
    }
}

/// Stream facts a reader with these limits accepts (which also makes them
/// fit the schema's 16-bit sides).
fn check_stream(stream: &StreamInfo, limits: &Limits) -> Result<(), WriteError> {
    let (width, height) = (stream.width, stream.height);
    let max_width = limits.max_width.min(u32::from(u16::MAX));
    let max_height = limits.max_height.min(u32::from(u16::MAX));
    if width == 0 || height == 0 || width > max_width || height > max_height {
        return Err(WriteError::Invalid(PacketError::BadDimensions { width, height, max_width, max_height }));
    }
    Ok(())
}

/// The size table is written without its last entry, which readers derive
/// from the data, so the whole table is checked here.
fn check_sizes(sizes: &[u32], data: &[u8]) -> Result<(), WriteError> {
    let sum: u64 = sizes.iter().map(|&s| u64::from(s)).sum();
    if !sizes.is_empty() && sum != data.len() as u64 {
        let (entries, data_len) = (sizes.len(), data.len());
        let mismatch = PacketError::TileSizesMismatch { entries, expected_entries: entries, sum, data_len };
        return Err(WriteError::Invalid(mismatch));
    }
    Ok(())
}

/// Whether a frame carries coded entries: then `tile_data` is written even
/// when empty, since without a size table its presence is what says a
/// single empty tile is there.
fn has_entries(sizes: &[u32], data: &[u8]) -> bool {
    !sizes.is_empty() || !data.is_empty()
}

/// The size table on the wire: every entry's but the last, which a reader
/// knows from the length of the data.
fn sizes_but_last(sizes: &[u32]) -> Option<&[u32]> {
    sizes.split_last().and_then(|(_, but_last)| nonempty(but_last))
}

fn nonempty<T>(items: &[T]) -> Option<&[T]> {
    (!items.is_empty()).then_some(items)
}

fn build_stream_info<'a>(
    b: &mut FlatBufferBuilder<'a>,
    s: &StreamInfo,
    attribution: Option<&str>,
) -> WIPOffset<schema::StreamInfo<'a>> {
    let attribution = attribution.map(|text| b.create_string(text));
    schema::StreamInfo::create(
        b,
        &schema::StreamInfoArgs {
            // Checked by `check_stream` before the build.
            width: s.width as u16,
            height: s.height as u16,
            fps_num: s.fps_num,
            fps_den: s.fps_den,
            color_range: s.color_range,
            color_matrix: s.color_matrix,
            attribution,
        },
    )
}

fn build_palette<'a>(b: &mut FlatBufferBuilder<'a>, palette: &Palette<'_>) -> WIPOffset<schema::ColorPalette<'a>> {
    let colors = Some(b.create_vector(palette.colors));
    let weights = nonempty(palette.weights).map(|w| b.create_vector(w));
    schema::ColorPalette::create(b, &schema::ColorPaletteArgs { colors, weights })
}
