//! `libasp`: the seed's Rust API, over the real crates.
//!
//! The seed's users wrote `use libasp::…`; these are the same names, backed
//! by [`asp_core`] (packets, schema, codec) and [`asp_encoder`] (motion
//! estimation, encoder). The seed README's Rust snippet (reconstructed from
//! the seed's names; the README itself is not in this repository) runs
//! unchanged:
//!
//! ```
//! use libasp::{AspPacket, MotionVector};
//! use libasp::codec::{estimate_motion_parallel, SearchAlgorithm};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (width, height) = (1920, 1080);
//! let previous: Vec<u8> = (0..width * height).map(|i| ((i % width) * 7 + (i / width) * 3) as u8).collect();
//! let current = previous.clone();
//!
//! // Motion estimation: one vector per 16x16 block, on every core.
//! let motion_vectors: Vec<MotionVector> =
//!     estimate_motion_parallel(&current, &previous, width, height, 16, 16, SearchAlgorithm::Diamond, 0)?;
//! println!("{} motion vectors", motion_vectors.len());
//!
//! // Packets: a keyframe announcing the stream, then a delta frame carrying the vectors.
//! let key = AspPacket::create_i_packet(0, width as u32, height as u32, 30);
//! let delta = AspPacket::create_d_packet(1, 0, motion_vectors);
//!
//! let bytes = delta.write_to_buffer()?;
//! let mut stream = Vec::new();
//! key.serialize_into(&mut stream)?;
//! delta.serialize_into(&mut stream)?;
//!
//! let parsed = AspPacket::parse(&bytes)?;
//! assert_eq!(parsed, delta);
//! # assert_eq!(stream.len(), key.write_to_buffer()?.len() + bytes.len());
//! # assert_eq!(parsed.motion_vectors().len(), 120 * 68);
//! # Ok(())
//! # }
//! ```

use std::fmt;

pub use asp_core;
pub use asp_encoder;

pub use asp_core::packet::{PacketError, PacketType, WriteError};
pub use asp_core::schema::{Color, MotionVector, Rect, RoiRegion, RoiType};
pub use asp_core::Limits;

use asp_core::packet::{DFrame, IFrame, Packet, PacketWriter, Payload, StreamInfo};

/// The seed's `libasp::codec`: motion estimation and the codec pieces.
pub mod codec {
    pub use asp_core::codec::decoder::{DecodeError, Decoder};
    pub use asp_core::codec::frame::Frame;
    pub use asp_core::codec::quant::{Qp, Quantiser};
    pub use asp_core::codec::transform::{forward_8x8, inverse_8x8};
    pub use asp_encoder::motion::{
        estimate_motion_parallel, MotionError, MotionEstimator, MotionField, SearchAlgorithm,
    };
    pub use asp_encoder::{Encoder, EncoderConfig, Preset, RateMode};
}

/// A keyframe's payload: the stream facts (the seed's `IPacketPayload`).
#[derive(Clone, Debug, PartialEq)]
pub struct IPacketPayload {
    pub width: u32,
    pub height: u32,
    /// Frame rate `fps_num / fps_den`.
    pub fps_num: u32,
    pub fps_den: u32,
    /// Microseconds since the Unix epoch (0: unknown).
    pub capture_time_us: u64,
    pub regions: Vec<RoiRegion>,
}

/// A delta frame's side data: block motion vectors (the seed's `DPacketPayload`).
#[derive(Clone, Debug, PartialEq)]
pub struct DPacketPayload {
    pub ref_sequence: u32,
    pub motion_vectors: Vec<MotionVector>,
    /// Block size in pixels of the vectors.
    pub block_size: u8,
    /// Unit of dx/dy: 1, 2 or 4 (whole, half, quarter pixels).
    pub precision: u8,
    pub capture_time_us: u64,
    pub regions: Vec<RoiRegion>,
}

/// What a packet carries.
#[derive(Clone, Debug, PartialEq)]
pub enum AspPayload {
    I(IPacketPayload),
    D(DPacketPayload),
}

/// One packet, owned: the seed's `AspPacket`. Written as
/// `[16-byte header][FlatBuffers payload][CRC-32]` by asp-core's writer.
#[derive(Clone, Debug, PartialEq)]
pub struct AspPacket {
    pub sequence: u32,
    pub flags: u16,
    pub payload: AspPayload,
}

/// Why [`AspPacket::parse`] refused bytes.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes are not a valid packet.
    Packet(PacketError),
    /// A valid C or S packet: not a kind `AspPacket` models (use
    /// [`asp_core::Packet`] for those).
    Unsupported(PacketType),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Packet(e) => write!(f, "{e}"),
            ParseError::Unsupported(t) => {
                write!(f, "{}-packets are not modelled by AspPacket", t.letter())
            }
        }
    }
}

impl std::error::Error for ParseError {}

impl From<PacketError> for ParseError {
    fn from(e: PacketError) -> Self {
        ParseError::Packet(e)
    }
}

impl AspPacket {
    /// A keyframe announcing a `width` x `height` stream at `fps` frames per second.
    pub fn create_i_packet(sequence: u32, width: u32, height: u32, fps: u32) -> AspPacket {
        AspPacket {
            sequence,
            flags: 0,
            payload: AspPayload::I(IPacketPayload {
                width,
                height,
                fps_num: fps,
                fps_den: 1,
                capture_time_us: 0,
                regions: Vec::new(),
            }),
        }
    }

    /// A delta packet predicted from `ref_sequence`, carrying whole-pixel
    /// vectors of 16x16 blocks.
    pub fn create_d_packet(
        sequence: u32,
        ref_sequence: u32,
        motion_vectors: Vec<MotionVector>,
    ) -> AspPacket {
        AspPacket {
            sequence,
            flags: 0,
            payload: AspPayload::D(DPacketPayload {
                ref_sequence,
                motion_vectors,
                block_size: 16,
                precision: 1,
                capture_time_us: 0,
                regions: Vec::new(),
            }),
        }
    }

    /// The packet type.
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

    /// The packet's bytes, in a new buffer.
    pub fn write_to_buffer(&self) -> Result<Vec<u8>, WriteError> {
        let mut out = Vec::new();
        self.serialize_into(&mut out)?;
        Ok(out)
    }

    /// Appends the packet's bytes to `out`; returns how many were written.
    pub fn serialize_into(&self, out: &mut Vec<u8>) -> Result<usize, WriteError> {
        let mut writer = PacketWriter::new();
        let bytes = match &self.payload {
            AspPayload::I(i) => {
                let stream = StreamInfo {
                    fps_den: i.fps_den,
                    ..StreamInfo::new(i.width, i.height, i.fps_num)
                };
                let frame = IFrame {
                    capture_time_us: i.capture_time_us,
                    regions: &i.regions,
                    ..IFrame::new(stream)
                };
                writer.write_i(self.sequence, self.flags, &frame)?
            }
            AspPayload::D(d) => {
                let frame = DFrame {
                    ref_sequence: d.ref_sequence,
                    capture_time_us: d.capture_time_us,
                    motion_vectors: &d.motion_vectors,
                    motion_block_size: d.block_size,
                    motion_vector_precision: d.precision,
                    regions: &d.regions,
                    ..DFrame::default()
                };
                writer.write_d(self.sequence, self.flags, &frame)?
            }
        };
        out.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    /// Parses one I or D packet (checked end to end: header, CRC, payload).
    pub fn parse(bytes: &[u8]) -> Result<AspPacket, ParseError> {
        let packet = Packet::parse(bytes)?;
        let regions = |r: Option<flatbuffers::Vector<'_, RoiRegion>>| {
            r.map(|r| r.iter().copied().collect()).unwrap_or_default()
        };
        let payload = match packet.payload() {
            Payload::I(i) => {
                let stream = i.stream();
                AspPayload::I(IPacketPayload {
                    width: stream.map_or(0, |s| s.width()),
                    height: stream.map_or(0, |s| s.height()),
                    fps_num: stream.map_or(0, |s| s.fps_num()),
                    fps_den: stream.map_or(1, |s| s.fps_den()),
                    capture_time_us: i.capture_time_us(),
                    regions: regions(i.regions()),
                })
            }
            Payload::D(d) => AspPayload::D(DPacketPayload {
                ref_sequence: d.ref_sequence(),
                motion_vectors: d
                    .motion_vectors()
                    .map(|v| v.iter().copied().collect())
                    .unwrap_or_default(),
                block_size: d.motion_block_size(),
                precision: d.motion_vector_precision(),
                capture_time_us: d.capture_time_us(),
                regions: regions(d.regions()),
            }),
            Payload::C(_) | Payload::S(_) => {
                return Err(ParseError::Unsupported(packet.packet_type()))
            }
        };
        Ok(AspPacket {
            sequence: packet.sequence(),
            flags: packet.flags(),
            payload,
        })
    }
}
