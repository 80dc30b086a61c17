//! The seed's packet API: payloads built field by field, packets made with
//! `Result`-returning constructors, written into a reused `Vec` or a fixed
//! slice without allocating in steady state, and parsed back.
//!
//! Bytes are asp-core's (`[16-byte header][FlatBuffers payload][CRC-32]`,
//! written by [`PacketWriter`]); this module only models I and D packets
//! as owned values. C and S packets are read and written with
//! [`asp_core::packet`].

use std::cell::RefCell;
use std::fmt;

use asp_core::packet::{
    d_ref_sequence, DFrame, IFrame, Packet, PacketError, PacketType, PacketWriter, Payload, StreamInfo, WriteError,
};
use asp_core::schema::RoiRegion;
use asp_core::Limits;

use crate::types::{MotionVector, WireMotionVector};

/// A keyframe's payload: the stream facts.
#[derive(Clone, Debug, PartialEq)]
pub struct IPacketPayload {
    pub width: u32,
    pub height: u32,
    /// Frame rate `fps_num / fps_den` (0/1 when [`IPacketPayload::new`]
    /// was given no usable rate; packet construction refuses that).
    pub fps_num: u32,
    pub fps_den: u32,
    /// Microseconds since the Unix epoch (0: unknown).
    pub capture_time_us: u64,
    pub regions: Vec<RoiRegion>,
}

impl IPacketPayload {
    /// The facts of a `width` x `height` stream at `fps` frames per second.
    /// The rate is stored as the ratio it names: 30.0 is 30/1, 29.97 is
    /// 30000/1001 (as 23.976 and 59.94 are NTSC's), 12.5 is 25/2.
    pub fn new(width: u32, height: u32, fps: f32) -> IPacketPayload {
        let (fps_num, fps_den) = frame_rate_ratio(fps).unwrap_or((0, 1));
        IPacketPayload { width, height, fps_num, fps_den, capture_time_us: 0, regions: Vec::new() }
    }

    /// Frames per second.
    pub fn fps(&self) -> f64 {
        f64::from(self.fps_num) / f64::from(self.fps_den.max(1))
    }
}

/// `fps` as a ratio: over 1, over 1001 (NTSC rates) or over 1000, reduced.
fn frame_rate_ratio(fps: f32) -> Option<(u32, u32)> {
    if !fps.is_finite() || fps <= 0.0 || fps > 1_000_000.0 {
        return None;
    }
    let fps = f64::from(fps);
    // f32 holds about 7 digits: a rate within that of n/den is n/den.
    let close = |num: f64, den: f64| num >= 1.0 && (num / den - fps).abs() <= fps * 2e-6;
    for den in [1u32, 1001] {
        let num = (fps * f64::from(den)).round();
        if close(num, f64::from(den)) {
            return Some((num as u32, den));
        }
    }
    let num = ((fps * 1000.0).round() as u32).max(1);
    let gcd = gcd(num, 1000);
    Some((num / gcd, 1000 / gcd))
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// A delta frame's side data: block motion vectors.
#[derive(Clone, Debug, PartialEq)]
pub struct DPacketPayload {
    pub ref_sequence: u32,
    pub motion_vectors: Vec<MotionVector>,
    /// Block size in pixels of the vectors (16 unless set).
    pub block_size: u8,
    /// Unit of dx/dy: 1, 2 or 4 (whole, half, quarter pixels; 1 unless set).
    pub precision: u8,
    /// Microseconds since the Unix epoch; 0 = unknown, or, for a packet
    /// read from a stream, carried as a delta from an earlier packet
    /// (`asp_core::packet::CaptureClock` resolves those over the stream).
    pub capture_time_us: u64,
    pub regions: Vec<RoiRegion>,
}

impl DPacketPayload {
    /// An empty delta payload predicted from packet `ref_sequence`, for
    /// whole-pixel vectors of 16x16 blocks.
    pub fn new(ref_sequence: u32) -> DPacketPayload {
        DPacketPayload {
            ref_sequence,
            motion_vectors: Vec::new(),
            block_size: 16,
            precision: 1,
            capture_time_us: 0,
            regions: Vec::new(),
        }
    }

    pub fn add_motion_vector(&mut self, mv: MotionVector) {
        self.motion_vectors.push(mv);
    }
}

/// What a packet carries.
#[derive(Clone, Debug, PartialEq)]
pub enum AspPayload {
    I(IPacketPayload),
    D(DPacketPayload),
}

/// One I or D packet, owned.
#[derive(Clone, Debug, PartialEq)]
pub struct AspPacket {
    pub sequence: u32,
    pub flags: u16,
    pub payload: AspPayload,
}

/// What the packet functions refuse.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not a valid packet.
    Packet(PacketError),
    /// A valid C or S packet: not a kind [`AspPacket`] models (use
    /// [`asp_core::Packet`] for those).
    Unsupported(PacketType),
    /// A frame size of zero or over the limits.
    BadSize { width: u32, height: u32, max_width: u32, max_height: u32 },
    /// A frame rate that is not a positive number (`fps_num / fps_den`).
    BadFrameRate { fps_num: u32, fps_den: u32 },
    /// Vectors of a zero block size, or a unit other than 1, 2 or 4.
    BadMotionUnit { block_size: u8, precision: u8 },
    /// More vectors than one packet's payload can hold.
    TooManyVectors { count: usize, max: usize },
    /// The writer refused the packet (over the payload limit).
    Write(WriteError),
    /// [`AspPacket::serialize_into`]'s slice is shorter than the packet.
    BufferTooSmall { needed: usize, available: usize },
}

/// The seed's name for the error of [`AspPacket::parse`].
pub type ParseError = Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Packet(e) => write!(f, "{e}"),
            Error::Unsupported(t) => write!(f, "{}-packets are not modelled by AspPacket", t.letter()),
            Error::BadSize { width, height, max_width, max_height } => {
                write!(f, "frame size {width}x{height} is outside 1x1..={max_width}x{max_height}")
            }
            Error::BadFrameRate { fps_num, fps_den } => {
                write!(f, "frame rate {fps_num}/{fps_den} is not a positive number of frames per second")
            }
            Error::BadMotionUnit { block_size, precision } => write!(
                f,
                "motion vectors of {block_size}-pixel blocks in 1/{precision} pixels: the block size must be 1..=255, the unit 1, 2 or 4"
            ),
            Error::TooManyVectors { count, max } => write!(f, "{count} motion vectors, at most {max} fit in a packet"),
            Error::Write(e) => write!(f, "{e}"),
            Error::BufferTooSmall { needed, available } => {
                write!(f, "the packet needs {needed} bytes, the buffer holds {available}")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<PacketError> for Error {
    fn from(e: PacketError) -> Self {
        Error::Packet(e)
    }
}

impl From<WriteError> for Error {
    fn from(e: WriteError) -> Self {
        Error::Write(e)
    }
}

/// Bytes a D-packet's payload spends per vector.
const WIRE_VECTOR_LEN: usize = core::mem::size_of::<WireMotionVector>();

/// A writer and a vector buffer per thread, so that steady-state writing
/// allocates nothing although the seed's calls take no writer.
struct Scratch {
    writer: PacketWriter,
    vectors: Vec<WireMotionVector>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch { writer: PacketWriter::new(), vectors: Vec::new() });
}

impl AspPacket {
    /// A keyframe carrying `payload`, checked: a size within
    /// [`Limits::DEFAULT`] and a positive frame rate.
    pub fn create_i_packet(sequence: u32, payload: IPacketPayload) -> Result<AspPacket, Error> {
        let limits = Limits::DEFAULT;
        let (w, h) = (payload.width, payload.height);
        if w == 0 || h == 0 || w > limits.max_width || h > limits.max_height {
            return Err(Error::BadSize { width: w, height: h, max_width: limits.max_width, max_height: limits.max_height });
        }
        if payload.fps_num == 0 || payload.fps_den == 0 {
            return Err(Error::BadFrameRate { fps_num: payload.fps_num, fps_den: payload.fps_den });
        }
        Ok(AspPacket { sequence, flags: 0, payload: AspPayload::I(payload) })
    }

    /// A delta packet carrying `payload`, checked: a block size and unit a
    /// reader understands, and no more vectors than a payload can hold.
    pub fn create_d_packet(sequence: u32, payload: DPacketPayload) -> Result<AspPacket, Error> {
        let (block_size, precision) = (payload.block_size, payload.precision);
        if block_size == 0 || ![1, 2, 4].contains(&precision) {
            return Err(Error::BadMotionUnit { block_size, precision });
        }
        let max = Limits::DEFAULT.max_payload_len as usize / WIRE_VECTOR_LEN;
        if payload.motion_vectors.len() > max {
            return Err(Error::TooManyVectors { count: payload.motion_vectors.len(), max });
        }
        Ok(AspPacket { sequence, flags: 0, payload: AspPayload::D(payload) })
    }

    pub fn packet_type(&self) -> PacketType {
        match self.payload {
            AspPayload::I(_) => PacketType::I,
            AspPayload::D(_) => PacketType::D,
        }
    }

    /// The motion vectors (empty for keyframes).
    pub fn motion_vectors(&self) -> &[MotionVector] {
        match &self.payload {
            AspPayload::D(d) => &d.motion_vectors,
            AspPayload::I(_) => &[],
        }
    }

    /// Replaces the contents of `buffer` with the packet's bytes; returns
    /// their length. Allocates nothing once `buffer` (and this thread's
    /// writer) have grown to the packet's size.
    pub fn write_to_buffer(&self, buffer: &mut Vec<u8>) -> Result<usize, Error> {
        self.with_bytes(|bytes| {
            buffer.clear();
            buffer.extend_from_slice(bytes);
            Ok(bytes.len())
        })
    }

    /// Writes the packet's bytes at the start of `out` (a stack array, a
    /// mapped buffer); returns their length. Never allocates in steady state.
    pub fn serialize_into(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.with_bytes(|bytes| {
            let available = out.len();
            let dst = out.get_mut(..bytes.len()).ok_or(Error::BufferTooSmall { needed: bytes.len(), available })?;
            dst.copy_from_slice(bytes);
            Ok(bytes.len())
        })
    }

    /// The packet's bytes in a new `Vec`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.write_to_buffer(&mut out)?;
        Ok(out)
    }

    /// Runs `use_bytes` on the packet written by this thread's writer (or a
    /// fresh one if that is busy further up the stack).
    fn with_bytes<R>(&self, use_bytes: impl FnOnce(&[u8]) -> Result<R, Error>) -> Result<R, Error> {
        SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
            Ok(mut scratch) => {
                let Scratch { writer, vectors } = &mut *scratch;
                use_bytes(self.write(writer, vectors)?)
            }
            Err(_) => use_bytes(self.write(&mut PacketWriter::new(), &mut Vec::new())?),
        })
    }

    fn write<'w>(&self, writer: &'w mut PacketWriter, vectors: &mut Vec<WireMotionVector>) -> Result<&'w [u8], Error> {
        // Each packet stands alone here: its capture time is written whole,
        // never as a delta from a packet of some other stream.
        writer.forget_capture_base();
        let bytes = match &self.payload {
            AspPayload::I(i) => {
                let stream = StreamInfo { fps_den: i.fps_den, ..StreamInfo::new(i.width, i.height, i.fps_num) };
                let frame = IFrame { capture_time_us: i.capture_time_us, regions: &i.regions, ..IFrame::new(stream) };
                writer.write_i(self.sequence, self.flags, &frame)?
            }
            AspPayload::D(d) => {
                vectors.clear();
                vectors.extend(d.motion_vectors.iter().map(|&v| WireMotionVector::from(v)));
                let frame = DFrame {
                    ref_sequence: d.ref_sequence,
                    capture_time_us: d.capture_time_us,
                    motion_vectors: vectors,
                    motion_block_size: d.block_size,
                    motion_vector_precision: d.precision,
                    regions: &d.regions,
                    ..DFrame::default()
                };
                writer.write_d(self.sequence, self.flags, &frame)?
            }
        };
        Ok(bytes)
    }

    /// Parses one I or D packet (checked end to end: header, CRC, payload).
    pub fn parse(bytes: &[u8]) -> Result<AspPacket, Error> {
        let packet = Packet::parse(bytes)?;
        let regions = |r: Option<flatbuffers::Vector<'_, RoiRegion>>| r.map(|r| r.iter().copied().collect()).unwrap_or_default();
        let payload = match packet.payload() {
            Payload::I(i) => {
                let stream = i.stream();
                AspPayload::I(IPacketPayload {
                    width: stream.map_or(0, |s| u32::from(s.width())),
                    height: stream.map_or(0, |s| u32::from(s.height())),
                    fps_num: stream.map_or(0, |s| s.fps_num()),
                    fps_den: stream.map_or(1, |s| s.fps_den()),
                    capture_time_us: i.capture_time_us(),
                    regions: regions(i.regions()),
                })
            }
            Payload::D(d) => AspPayload::D(DPacketPayload {
                ref_sequence: d_ref_sequence(&d, packet.sequence()),
                motion_vectors: d.motion_vectors().map(|v| v.iter().map(MotionVector::from).collect()).unwrap_or_default(),
                block_size: d.motion_block_size(),
                precision: d.motion_vector_precision(),
                capture_time_us: d.capture_time_us().unwrap_or(0),
                regions: regions(d.regions()),
            }),
            Payload::C(_) | Payload::S(_) => return Err(Error::Unsupported(packet.packet_type())),
        };
        Ok(AspPacket { sequence: packet.sequence(), flags: packet.flags(), payload })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rates_become_the_ratios_they_name() {
        let cases = [
            (30.0, Some((30, 1))),
            (25.0, Some((25, 1))),
            (29.97, Some((30000, 1001))),
            (23.976, Some((24000, 1001))),
            (59.94, Some((60000, 1001))),
            (12.5, Some((25, 2))),
            (0.5, Some((1, 2))),
            (0.0, None),
            (-1.0, None),
            (f32::NAN, None),
            (f32::INFINITY, None),
        ];
        for (fps, ratio) in cases {
            assert_eq!(frame_rate_ratio(fps), ratio, "{fps}");
        }
    }

    #[test]
    fn construction_refuses_what_a_reader_would() {
        assert!(matches!(AspPacket::create_i_packet(0, IPacketPayload::new(0, 10, 30.0)), Err(Error::BadSize { .. })));
        assert!(matches!(AspPacket::create_i_packet(0, IPacketPayload::new(9000, 10, 30.0)), Err(Error::BadSize { .. })));
        assert_eq!(
            AspPacket::create_i_packet(0, IPacketPayload::new(64, 48, f32::NAN)),
            Err(Error::BadFrameRate { fps_num: 0, fps_den: 1 })
        );
        let mut d = DPacketPayload::new(0);
        d.precision = 3;
        assert_eq!(AspPacket::create_d_packet(1, d), Err(Error::BadMotionUnit { block_size: 16, precision: 3 }));
    }

    #[test]
    fn a_short_slice_is_an_error_and_untouched() {
        let packet = AspPacket::create_i_packet(1, IPacketPayload::new(64, 48, 30.0)).unwrap();
        let mut small = [7u8; 8];
        assert!(matches!(packet.serialize_into(&mut small), Err(Error::BufferTooSmall { available: 8, .. })));
        assert_eq!(small, [7; 8]);
    }
}
