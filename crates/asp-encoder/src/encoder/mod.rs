//! The video encoder: frames in, packets out.
//!
//! Each frame is split into tiles (the grid depends only on the frame size,
//! never on the thread count, so the output is the same with 1 or N
//! threads); tiles are encoded in parallel with rayon. The reconstruction is
//! assembled and deblocked exactly as the decoder does it and becomes the
//! reference for the next frame.

mod preset;
mod rate_control;
mod rdoq;
mod correction;
mod deblock;
mod roi;
mod gop;
mod mode;
mod quantise;
mod skip_rd;
mod split_rd;
mod tile;

use std::fmt;

use asp_core::codec::deblock::{block_infos, deblock_frame, BlockInfo};
use asp_core::codec::recon::place_infos;
use asp_core::codec::frame::{Frame, FrameError};
use asp_core::codec::macroblock::{FrameKind, MbInfo, TileModels};
use asp_core::codec::quant::Qp;
use asp_core::codec::tiles::{default_grid, tile_grid, Tile, TileGridError};
use asp_core::packet::{flags as packet_flags, DFrame, IFrame, PacketWriter, RefreshStart, StreamInfo, TileSet, WriteError, ATTRIBUTION};
use asp_core::schema::{ColorMatrix, ColorRange};
use asp_core::Limits;
use rayon::prelude::*;

pub use preset::{Preset, PresetParams};
pub use rate_control::RateControl;
pub use correction::Corrector;
pub use roi::{qp_offsets_for, RoiAnalyser, RoiPlan, RoiSettings};

use crate::motion::{DominantMotion, HalfpelPlanes, LowresPlane, MotionError, MotionEstimator};

/// Samples interpolated around the reference for D frames' motion search.
const HALFPEL_MARGIN: usize = 16;
use gop::Gop;
use deblock::deblock_tile_seams;
use tile::{encode_tile, FrameJob};

/// Macroblocks per tile the encoder aims for: enough tiles to keep two
/// cores busy in the encoder and the decoder at 720p and above, few enough
/// that the per-tile cost (no prediction across the edge, its framing)
/// stays small: one tile up to about 640x480, two at 720p, six at 1080p.
/// Each tile more costs about 3 % of the bits at 720p and 7 % at 640x272
/// (BENCHMARKS.md, session 12).
const TARGET_MBS_PER_TILE: usize = 1800;

/// Each tile's final entropy models of the last coded frame, and its grid.
#[derive(Debug, Default)]
struct ReferenceModels {
    tiles: Vec<TileModels>,
    grid: Option<(usize, usize)>,
}

/// How the encoder chooses its quantiser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateMode {
    /// Every frame at this QP (lower is better).
    ConstantQp(Qp),
    /// Constant bitrate through a buffer of `buffer_seconds` (see
    /// [`RateControl`]): no frame larger than the buffer allows.
    Bitrate {
        /// Target rate.
        bits_per_second: u64,
        /// Buffer length in seconds of the target rate: the latency budget.
        buffer_seconds: f64,
    },
}

/// Encoder settings.
#[derive(Clone, Debug, PartialEq)]
pub struct EncoderConfig {
    /// Display width in pixels.
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Frame rate `fps_num / fps_den`.
    pub fps_num: u32,
    /// Denominator of the frame rate.
    pub fps_den: u32,
    /// Constant QP or constant bitrate.
    pub rate: RateMode,
    /// A keyframe every `keyint` frames (0: only the first); with
    /// `intra_refresh`, the length of a refresh cycle instead.
    pub keyint: u32,
    /// Periodic intra refresh instead of periodic keyframes: every
    /// `keyint` frames a band of intra macroblock columns starts sweeping
    /// the picture left to right, so the bitrate stays smooth (no keyframe
    /// spikes) while a decoder that joins, or lost packets, still gets the
    /// exact picture back once a cycle completes. Only the first frame (and
    /// requested ones) are keyframes.
    pub intra_refresh: bool,
    /// Speed/quality preset.
    pub preset: Preset,
    /// Tile grid (columns, rows); `None` picks one from the frame size.
    pub tiles: Option<(u8, u8)>,
    /// Put the motion vectors in D-packets as side data for other readers.
    pub side_data: bool,
    /// Sample range signalled to decoders.
    pub color_range: ColorRange,
    /// Colour matrix signalled to decoders.
    pub color_matrix: ColorMatrix,
    /// Written in the stream facts of the stream's first keyframe (and
    /// given to viewers by the server's session description):
    /// [`ATTRIBUTION`] unless set otherwise; `None` writes none.
    pub attribution: Option<String>,
}

impl EncoderConfig {
    /// Defaults: constant QP 26, keyframe every 2 s, realtime preset.
    pub fn new(width: u32, height: u32, fps_num: u32, fps_den: u32) -> EncoderConfig {
        let fps = fps_num.checked_div(fps_den.max(1)).unwrap_or(25).max(1);
        EncoderConfig {
            width,
            height,
            fps_num,
            fps_den,
            rate: RateMode::ConstantQp(Qp::saturating(26)),
            keyint: 2 * fps,
            intra_refresh: false,
            preset: Preset::Realtime,
            tiles: None,
            side_data: false,
            color_range: ColorRange::Limited,
            color_matrix: ColorMatrix::Bt709,
            attribution: Some(ATTRIBUTION.to_string()),
        }
    }
}

/// Why the encoder refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum EncodeError {
    /// The configured size is zero or over the limits.
    Frame(FrameError),
    /// A frame's size differs from the configured one.
    SizeMismatch {
        /// The configured size.
        expected: (usize, usize),
        /// The frame's size.
        found: (usize, usize),
    },
    /// The requested tile grid does not fit the frame.
    TileGrid(TileGridError),
    /// The motion search refused its settings.
    Motion(MotionError),
    /// The packet could not be written (over the size limits).
    Packet(WriteError),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Frame(e) => write!(f, "{e}"),
            EncodeError::SizeMismatch { expected, found } => write!(
                f,
                "frame is {}x{}, the encoder was configured for {}x{}",
                found.0, found.1, expected.0, expected.1
            ),
            EncodeError::TileGrid(e) => write!(f, "{e}"),
            EncodeError::Motion(e) => write!(f, "{e}"),
            EncodeError::Packet(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EncodeError {}

/// One encoded frame.
#[derive(Debug)]
pub struct Encoded<'a> {
    /// The packet, ready to send or store.
    pub packet: &'a [u8],
    /// The packet's sequence number.
    pub sequence: u32,
    /// Whether it is a keyframe (I-packet).
    pub keyframe: bool,
    /// The frame QP used.
    pub qp: Qp,
}

/// The encoder. See the module docs.
pub struct Encoder {
    config: EncoderConfig,
    /// The entropy models the reconstruction's tiles ended with.
    reference_models: ReferenceModels,
    params: PresetParams,
    estimator: MotionEstimator,
    /// The 8x8 search for split macroblocks (presets with `inter8`).
    estimator_8x8: Option<MotionEstimator>,
    writer: PacketWriter,
    rate_control: Option<RateControl>,
    /// The reconstruction of the last frame: the next frame's reference.
    reference: Option<Frame>,
    /// The reference's luma interpolated once per D frame (memory reused).
    halfpel: Option<HalfpelPlanes>,
    /// The source's and the reference's luma at quarter resolution, for
    /// each D frame's dominant motion (memory reused).
    lowres: [LowresPlane; 2],
    /// The last coded frame's macroblocks: their vectors start the next
    /// frame's searches.
    previous: Vec<MbInfo>,
    /// A buffer for the next reconstruction, recycled.
    spare: Option<Frame>,
    sequence: u32,
    /// Which frames are keyframes or intra-refresh frames.
    gop: Gop,
    tile_sizes: Vec<u32>,
    tile_data: Vec<u8>,
    qp_offsets: Vec<i8>,
    /// Side data for the next packets (see [`Encoder::set_side_data`]).
    side: roi::SideData,
    /// Whether a keyframe has carried the attribution already.
    attribution_written: bool,
}

impl Encoder {
    /// An encoder for `config`, checked up front.
    pub fn new(config: EncoderConfig) -> Result<Encoder, EncodeError> {
        // Validates the size once, up front.
        let probe = Frame::new(config.width, config.height, &Limits::DEFAULT).map_err(EncodeError::Frame)?;
        let rate_control = match config.rate {
            RateMode::ConstantQp(_) => None,
            RateMode::Bitrate { bits_per_second, buffer_seconds } => {
                let fps = f64::from(config.fps_num) / f64::from(config.fps_den.max(1));
                Some(RateControl::new(bits_per_second, fps, buffer_seconds))
            }
        };
        if let Some((c, r)) = config.tiles {
            let _checked = tile_grid(probe.mb_cols(), probe.mb_rows(), c.into(), r.into()).map_err(EncodeError::TileGrid)?;
        }
        let params = config.preset.params();
        let estimator =
            MotionEstimator::new(16, params.search_range, params.algorithm, 0).map_err(EncodeError::Motion)?;
        // Quarters start from their macroblock's vector; the range bounds
        // the vector itself (around zero), so it is the macroblocks' one.
        let estimator_8x8 = match params.inter8 {
            true => Some(MotionEstimator::new(8, params.search_range, params.algorithm, 0).map_err(EncodeError::Motion)?),
            false => None,
        };
        let gop = Gop::new(config.keyint, config.intra_refresh);
        Ok(Encoder {
            config,
            params,
            estimator,
            estimator_8x8,
            writer: PacketWriter::new(),
            rate_control,
            reference: None,
            halfpel: None,
            lowres: Default::default(),
            previous: Vec::new(),
            reference_models: ReferenceModels::default(),
            spare: Some(probe),
            sequence: 0,
            gop,
            tile_sizes: Vec::new(),
            tile_data: Vec::new(),
            qp_offsets: Vec::new(),
            side: roi::SideData::default(),
            attribution_written: false,
        })
    }

    /// The settings.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// Changes the target bitrate (CBR mode only; ignored at constant QP).
    pub fn set_bitrate(&mut self, bits_per_second: u64) {
        if let Some(rc) = &mut self.rate_control {
            rc.set_bitrate(bits_per_second);
        }
    }

    /// The rate controller, in CBR mode.
    pub fn rate_control(&self) -> Option<&RateControl> {
        self.rate_control.as_ref()
    }

    /// Makes the next frame a keyframe (a viewer joined or lost packets).
    pub fn request_keyframe(&mut self) {
        self.gop.request_keyframe();
    }

    /// The decoder's view of the last encoded frame.
    pub fn reconstruction(&self) -> Option<&Frame> {
        self.reference.as_ref()
    }

    /// Sets per-macroblock QP offsets for the following frames (raster
    /// order over the frame's macroblocks; empty clears them). Regions of
    /// interest get negative offsets: sharper at the same frame QP.
    pub fn set_qp_offsets(&mut self, offsets: &[i8]) {
        self.qp_offsets.clear();
        self.qp_offsets.extend_from_slice(offsets);
    }

    /// Sets the regions of interest and the palette that the following
    /// packets carry as side data for other readers (empty/`None` clears).
    pub fn set_side_data(&mut self, regions: &[asp_core::schema::RoiRegion], palette: Option<&crate::analysis::Palette>) {
        self.side.set(regions, palette);
    }

    /// Encodes one frame (its size must be the configured one).
    pub fn encode(&mut self, frame: &Frame, capture_time_us: u64) -> Result<Encoded<'_>, EncodeError> {
        let expected = (self.config.width as usize, self.config.height as usize);
        if (frame.width(), frame.height()) != expected {
            return Err(EncodeError::SizeMismatch { expected, found: (frame.width(), frame.height()) });
        }
        let plan = self.gop.plan(self.reference.is_some(), frame.mb_cols());
        let keyframe = plan.keyframe;
        let kind = if keyframe { FrameKind::Intra } else { FrameKind::Inter };
        let (columns, rows) = self.tile_grid(frame);
        let tiles: Vec<Tile> = tile_grid(frame.mb_cols(), frame.mb_rows(), columns, rows)
            .map_err(EncodeError::TileGrid)?
            .collect();
        let mut qp = match (&self.config.rate, &self.rate_control) {
            (RateMode::ConstantQp(qp), _) => *qp,
            (_, Some(rc)) => rc.frame_qp(keyframe),
            (_, None) => Qp::saturating(26),
        };
        // The reference's luma interpolated once for every block's sub-pel
        // search and prediction (the margin covers most vectors that
        // leave the frame; the others interpolate block by block), and
        // where the whole picture moves: start points for every block, so
        // that a large motion is found where no predictor knows it yet.
        // Neither reads the other: they run side by side.
        let (halfpel, dominant) = match (&self.reference, keyframe) {
            (Some(reference), false) => {
                let spare_halfpel = &mut self.halfpel;
                let [current_lowres, reference_lowres] = &mut self.lowres;
                let sad = self.estimator.sad_kernels();
                let range = self.params.search_range;
                let (halfpel, dominant) = rayon::join(
                    || match spare_halfpel.take() {
                        Some(mut planes) => {
                            planes.fill(reference.luma());
                            planes
                        }
                        None => HalfpelPlanes::new(reference.luma(), HALFPEL_MARGIN),
                    },
                    || {
                        rayon::join(|| current_lowres.fill(frame.luma()), || reference_lowres.fill(reference.luma()));
                        DominantMotion::find(sad, frame.luma(), current_lowres, reference.luma(), reference_lowres, range)
                    },
                );
                (Some(halfpel), dominant)
            }
            _ => (None, DominantMotion::NONE),
        };
        // D frames continue the reference's entropy models where a decoder
        // has them: not on refresh starts, where one may join, and only
        // with the reference's tile grid (asp-core's decoder docs).
        let continue_models = !keyframe
            && plan.refresh_start.is_none()
            && self.reference.is_some()
            && self.reference_models.grid == Some((columns, rows));
        let coded = loop {
            let job = FrameJob {
                source: frame,
                reference: if keyframe { None } else { self.reference.as_ref() },
                kind,
                qp,
                // ROI offsets sharpen D frames; keyframes stay uniform.
                qp_offsets: if keyframe { &[] } else { &self.qp_offsets },
                preset: &self.params,
                estimator: &self.estimator,
                estimator_8x8: self.estimator_8x8.as_ref(),
                refresh: plan.refresh.clone(),
                halfpel: halfpel.as_ref(),
                previous: if keyframe { &[] } else { &self.previous },
                dominant,
                side_data: self.config.side_data,
                start_models: if continue_models { &self.reference_models.tiles } else { &[] },
            };
            let coded: Vec<_> = tiles.par_iter().map(|tile| encode_tile(&job, tile)).collect();
            // A frame too large for the rate controller's buffer is coded
            // again, coarser: the buffer bounds latency.
            let bits = 8 * coded.iter().map(|t| t.data.len() as u64).sum::<u64>();
            match &self.rate_control {
                Some(rc) if bits > rc.max_frame_bits() && qp < Qp::MAX => qp = rc.retry_qp(qp, bits),
                _ => break coded,
            }
        };
        if halfpel.is_some() {
            self.halfpel = halfpel;
        }

        // Reconstruction, exactly as a decoder builds it.
        let mut recon = match self.spare.take() {
            Some(f) if (f.width(), f.height()) == expected => f,
            _ => Frame::new(self.config.width, self.config.height, &Limits::DEFAULT).map_err(EncodeError::Frame)?,
        };
        let mut infos = vec![MbInfo::default(); recon.mb_cols() * recon.mb_rows()];
        self.tile_sizes.clear();
        self.tile_data.clear();
        let mut vectors = Vec::new();
        for tile in &coded {
            tile.planes.store(&mut recon);
            place_infos(&mut infos, recon.mb_cols(), &tile.mbs);
            self.tile_sizes.push(tile.data.len() as u32);
            self.tile_data.extend_from_slice(&tile.data);
            if self.config.side_data {
                vectors.extend_from_slice(&tile.vectors);
            }
        }
        // Full-width tiles filtered their insides on their workers.
        if columns == 1 {
            let mut blocks = vec![BlockInfo::default(); recon.mb_cols() * 2 * recon.mb_rows() * 2];
            block_infos(&infos, recon.mb_cols(), &mut blocks);
            deblock_tile_seams(&mut recon, &blocks, &tiles);
        } else {
            deblock_frame(&mut recon, &infos);
        }
        self.previous = infos;
        self.reference_models.tiles.clear();
        self.reference_models.tiles.extend(coded.into_iter().map(|tile| tile.models));
        self.reference_models.grid = Some((columns, rows));

        let sequence = self.sequence;
        let stream = StreamInfo {
            width: self.config.width,
            height: self.config.height,
            fps_num: self.config.fps_num,
            fps_den: self.config.fps_den,
            color_range: self.config.color_range,
            color_matrix: self.config.color_matrix,
        };
        let tiles = TileSet { columns: columns as u8, rows: rows as u8, sizes: &self.tile_sizes, data: &self.tile_data };
        let packet = if keyframe {
            // Only the first keyframe: later ones keep their framing lean.
            let attribution = match self.attribution_written {
                true => None,
                false => self.config.attribution.as_deref(),
            };
            let frame = IFrame {
                stream,
                capture_time_us,
                qp: qp.get(),
                tiles,
                palette: self.side.palette(),
                regions: &self.side.regions,
                attribution,
            };
            self.writer.write_i(sequence, 0, &frame)
        } else {
            let frame = DFrame {
                ref_sequence: sequence.wrapping_sub(1),
                capture_time_us,
                qp: qp.get(),
                tiles,
                motion_vectors: &vectors,
                motion_block_size: 16,
                motion_vector_precision: 4,
                regions: &self.side.regions,
                palette: self.side.palette(),
                refresh: plan.refresh_start.map(|frames| RefreshStart { frames, stream }),
            };
            let flags = if continue_models { packet_flags::MODELS_FROM_REFERENCE } else { 0 };
            self.writer.write_d(sequence, flags, &frame)
        }
        .map_err(EncodeError::Packet)?;
        self.attribution_written |= keyframe;

        if let Some(rc) = &mut self.rate_control {
            rc.update(keyframe, qp, 8 * packet.len() as u64);
        }
        self.spare = self.reference.replace(recon);
        self.sequence = self.sequence.wrapping_add(1);
        self.gop.coded(&plan, frame.mb_cols());
        Ok(Encoded { packet, sequence, keyframe, qp })
    }

    fn tile_grid(&self, frame: &Frame) -> (usize, usize) {
        match self.config.tiles {
            Some((c, r)) => (c.into(), r.into()),
            None => default_grid(frame.mb_cols(), frame.mb_rows(), TARGET_MBS_PER_TILE, Limits::DEFAULT.max_tiles as usize),
        }
    }
}
