//! The decoder: verified packets in, frames out.
//!
//! For each I or D packet: check the tile grid against the frame, decode
//! every tile (independently, so a [`Parallel`] executor may run them on
//! several cores), place them in the frame, deblock, and keep the result as
//! the reference for the next D frame. C and S packets carry no picture.
//!
//! Tiles that span the frame's width (the encoder's default grid) are
//! reconstructed in place and deblocked inside their own jobs: each such
//! tile owns a band of frame rows, decodes into it (no copy afterwards) and
//! filters every edge that lies within it, all on its core; only the horizontal edges where two tiles meet
//! are filtered afterwards. The deblocking filter's order is defined so
//! that this gives the same samples as filtering the whole frame at once
//! (see [`deblock`](super::deblock)), which the encoder does.
//!
//! A D frame whose header has [`flags::MODELS_FROM_REFERENCE`] starts each
//! tile's entropy models where the same tile of its reference left them,
//! instead of from flat probabilities: the frame already depends on its
//! reference, so this adds no dependency, and the models skip relearning
//! the statistics every frame (5 % fewer bits on natural video,
//! BENCHMARKS.md). The decoder keeps each tile's final models with the
//! reference for that.
//!
//! Nothing in a packet is trusted: tile data that ends early, a syntax
//! value out of range or a D frame whose reference was lost is a typed
//! error, the frame is not produced, and the decoder waits for the next
//! keyframe (a live player asks for one) or the next intra-refresh start:
//! a D frame that says where a refresh cycle begins is decoded from
//! whatever reference there is (mid-grey if none), and frames are flagged
//! `recovering` until the cycle has refreshed every macroblock.

use alloc::vec::Vec;
use core::fmt;

use super::deblock::{block_infos, deblock_frame, Band, BlockInfo, DeblockParams, Deblocker, PlaneKind};
use super::frame::{Frame, FrameError, MB_SIZE};
use super::plane_mut::{FramePlanes, PlaneMut};
use super::macroblock::{code_header, code_residual, FrameKind, MbHeader, MbInfo, MbLevels, TileMbs, TileModels};
use super::quant::Qp;
use super::range_coder::RangeDecoder;
use super::recon::{place_infos, reconstruct_residual, Predictor, Samples, TilePlanes};
use super::transform::Kernels;
use super::residual::ResidualError;
use super::macroblock::SyntaxError;
use super::parallel::{Parallel, Serial};
use super::tiles::{tile_grid, Tile, TileGridError};
use crate::limits::Limits;
use crate::packet::{flags, CaptureClock, Packet, Payload};

/// One tile's reconstruction buffers, kept between frames so decoding
/// allocates nothing in steady state.
#[derive(Debug)]
struct TileSlot {
    planes: TilePlanes,
    mbs: TileMbs,
    /// The entropy models as the tile's last macroblock left them: the
    /// reference's, between frames.
    models: TileModels,
    result: Result<(), TileError>,
}

/// A tile's job when it spans the frame's width: its slot (for its
/// macroblock infos and result), and the rows of the new frame (samples,
/// where it is reconstructed in place, and 8x8 block infos) that it alone
/// writes.
struct BandJob<'a> {
    slot: &'a mut TileSlot,
    planes: TilePlanes<&'a mut [u8]>,
    blocks: &'a mut [BlockInfo],
}

/// What went wrong inside one tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileError {
    Syntax(SyntaxError),
    Residual(ResidualError),
    /// The tile's data ended before its last macroblock.
    Truncated,
}

/// Why a packet produced no frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// A D packet arrived before any keyframe.
    NoKeyframe,
    /// A D packet predicts from a frame this decoder does not have.
    MissingReference { wanted: u32, have: u32 },
    /// A D packet continues its reference's entropy models, and the
    /// reference was not decoded with the same tile grid (or was joined
    /// at a refresh start without them).
    MissingModels,
    /// The keyframe's dimensions are unusable.
    Frame(FrameError),
    /// The tile grid does not fit the frame.
    TileGrid(TileGridError),
    /// The packet has no coded tiles.
    NoTileData,
    /// The frame QP is over 51.
    QpOutOfRange(u8),
    /// A tile is damaged.
    Tile { index: usize, error: TileError },
    /// The allocator could not provide a buffer of `bytes` bytes for the
    /// frame's macroblock or block infos.
    OutOfMemory { bytes: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::NoKeyframe => write!(f, "delta frame before any keyframe"),
            DecodeError::MissingReference { wanted, have } => {
                write!(f, "delta frame predicts from frame {wanted}, the last decoded is {have}")
            }
            DecodeError::MissingModels => {
                write!(f, "delta frame continues its reference's entropy models, which this decoder does not have")
            }
            DecodeError::Frame(e) => write!(f, "{e}"),
            DecodeError::TileGrid(e) => write!(f, "{e}"),
            DecodeError::NoTileData => write!(f, "frame without coded tiles"),
            DecodeError::QpOutOfRange(qp) => write!(f, "frame QP {qp} is over {}", Qp::MAX),
            DecodeError::Tile { index, error } => write!(f, "tile {index} is damaged: {error:?}"),
            DecodeError::OutOfMemory { bytes } => write!(f, "cannot allocate {bytes} bytes for the frame"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// A decoded frame and what the packet said about it.
#[derive(Clone, Copy, Debug)]
pub struct Decoded<'a> {
    pub frame: &'a Frame,
    pub sequence: u32,
    pub keyframe: bool,
    /// The decoder joined the stream at an intra-refresh start and the
    /// cycle has not completed: parts of the picture may still be wrong.
    /// The first frame with `recovering == false` is exact.
    pub recovering: bool,
    /// Capture time in microseconds since the Unix epoch, when known.
    pub capture_time_us: Option<u64>,
}

/// Decodes a stream of packets. See the module docs.
#[derive(Debug, Default)]
pub struct Decoder {
    limits: Limits,
    /// The last decoded frame and its sequence number.
    reference: Option<(u32, Frame)>,
    /// A frame buffer to decode into, recycled from the previous reference.
    spare: Option<Frame>,
    /// Per-tile buffers, reused from frame to frame.
    slots: Vec<TileSlot>,
    /// Macroblock infos of the frame, for deblocking; reused.
    infos: Vec<MbInfo>,
    /// 8x8 block infos of the frame, for deblocking; reused.
    blocks: Vec<BlockInfo>,
    /// Frames still to decode, after joining at an intra-refresh start,
    /// until the picture is exact (0: it is).
    refresh_left: u16,
    /// Resolves the capture-time deltas of D-packets.
    clock: CaptureClock,
    /// The reference's tile grid when `slots` hold its tiles' final
    /// models (columns, rows); `None` when they do not.
    models_grid: Option<(u8, u8)>,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::with_limits(Limits::DEFAULT)
    }

    pub fn with_limits(limits: Limits) -> Decoder {
        Decoder {
            limits,
            reference: None,
            spare: None,
            slots: Vec::new(),
            infos: Vec::new(),
            blocks: Vec::new(),
            refresh_left: 0,
            clock: CaptureClock::new(),
            models_grid: None,
        }
    }

    /// Decodes one packet on the calling thread. `Ok(None)` for packets
    /// without a picture (C and S).
    pub fn decode(&mut self, packet: &Packet<'_>) -> Result<Option<Decoded<'_>>, DecodeError> {
        self.decode_with(packet, &Serial)
    }

    /// Decodes one packet, running its tiles on `parallel`.
    pub fn decode_with(&mut self, packet: &Packet<'_>, parallel: &impl Parallel) -> Result<Option<Decoded<'_>>, DecodeError> {
        let (kind, qp, columns, rows) = match packet.payload() {
            Payload::I(p) => (FrameKind::Intra, p.qp(), p.tile_columns(), p.tile_rows()),
            Payload::D(p) => (FrameKind::Inter, p.qp(), p.tile_columns(), p.tile_rows()),
            Payload::C(_) | Payload::S(_) => return Ok(None),
        };
        // Every frame packet moves the clock, decodable or not: a frame
        // that fails may still carry the base of the deltas after it.
        let capture_time_us = self.clock.observe(packet);
        let qp = Qp::new(qp).ok_or(DecodeError::QpOutOfRange(qp))?;
        // A mid-grey reference for a decoder joining at a refresh start
        // with nothing (of the right size) to predict from.
        let mut grey = None;
        let mut joined_refresh = None;
        let continues_models = kind == FrameKind::Inter && packet.flags() & flags::MODELS_FROM_REFERENCE != 0;
        let (width, height, reference) = match (packet.payload(), &self.reference) {
            // Verified packets always carry stream info on keyframes.
            (Payload::I(p), _) => {
                let (w, h) = p.stream().map_or((0, 0), |s| (u32::from(s.width()), u32::from(s.height())));
                (w, h, None)
            }
            (Payload::D(_), Some((have, f))) if packet.ref_sequence() == Some(*have) => {
                if continues_models && self.models_grid != Some((columns, rows)) {
                    return Err(DecodeError::MissingModels);
                }
                (f.width() as u32, f.height() as u32, Some(f))
            }
            // Verified packets carry stream info on refresh starts.
            (Payload::D(p), have) if p.refresh_frames() != 0 && p.stream().is_some() => {
                // A refresh start to join at does not continue models.
                if continues_models {
                    return Err(DecodeError::MissingModels);
                }
                let (w, h) = p.stream().map_or((0, 0), |s| (u32::from(s.width()), u32::from(s.height())));
                let stale = have.as_ref().map(|(_, f)| f).filter(|f| (f.width(), f.height()) == (w as usize, h as usize));
                let reference = match stale {
                    Some(f) => f,
                    None => &*grey.insert(Frame::new(w, h, &self.limits).map_err(DecodeError::Frame)?),
                };
                joined_refresh = Some(p.refresh_frames());
                (w, h, Some(reference))
            }
            (Payload::D(_), Some((have, _))) => {
                let wanted = packet.ref_sequence().unwrap_or_default();
                return Err(DecodeError::MissingReference { wanted, have: *have })
            }
            _ => return Err(DecodeError::NoKeyframe),
        };
        // Every sample of the new frame is written by its tiles, so the
        // spare buffer is reused as it is when the size matches.
        let mut frame = match self.spare.take() {
            Some(f) if (f.width(), f.height()) == (width as usize, height as usize) => f,
            _ => Frame::new(width, height, &self.limits).map_err(DecodeError::Frame)?,
        };
        let tiles: Vec<Tile> = tile_grid(frame.mb_cols(), frame.mb_rows(), usize::from(columns), usize::from(rows))
            .map_err(DecodeError::TileGrid)?
            .collect();
        let data: Vec<&[u8]> = packet.tiles().collect();
        if data.len() != tiles.len() {
            return Err(DecodeError::NoTileData);
        }
        // Row tiles reconstruct in the frame's own rows: their slots keep
        // no sample buffers.
        let own_buffers = columns != 1;
        for (i, tile) in tiles.iter().enumerate() {
            match self.slots.get_mut(i) {
                Some(slot) => {
                    if own_buffers {
                        slot.planes.reset(tile.clone());
                    } else {
                        slot.planes.tile = tile.clone();
                    }
                    slot.mbs.reset(tile.clone());
                }
                None => self.slots.push(TileSlot {
                    planes: if own_buffers { TilePlanes::new(tile.clone()) } else { TilePlanes::empty(tile.clone()) },
                    mbs: TileMbs::new(tile.clone()),
                    models: TileModels::default(),
                    result: Ok(()),
                }),
            }
        }
        // From here the slots' models are this frame's, until it is done.
        self.models_grid = None;
        if !continues_models {
            self.slots[..tiles.len()].iter_mut().for_each(|slot| slot.models = TileModels::default());
        }
        // Sized by the packet's frame: a failed allocation is an error, not an abort.
        let mbs = frame.mb_cols() * frame.mb_rows();
        reserve_total(&mut self.blocks, mbs * 4)?;
        reserve_total(&mut self.infos, mbs)?;
        let slots = &mut self.slots[..tiles.len()];
        let decode = |slot: &mut TileSlot, i: usize| {
            slot.result = decode_tile_into(&mut slot.planes, &mut slot.mbs, &mut slot.models, data[i], kind, qp, reference);
        };
        if columns == 1 {
            // Row tiles: decode in place and deblock inside, one job per tile.
            let mut jobs = band_jobs(&mut frame, &mut self.blocks, slots);
            parallel.for_each_mut(&mut jobs, |i, job| {
                // The grid covers the frame's macroblock rows exactly, so
                // every band is its tile's size; anything else would be a
                // bug, reported as a damaged tile rather than a panic.
                job.slot.result = if job.planes.fits_tile() {
                    decode_tile_into(&mut job.planes, &mut job.slot.mbs, &mut job.slot.models, data[i], kind, qp, reference)
                } else {
                    Err(TileError::Truncated)
                };
                if job.slot.result.is_ok() {
                    deblock_band(job);
                }
            });
            drop(jobs);
            if let Some(error) = first_error(slots) {
                self.spare = Some(frame);
                return Err(error);
            }
            deblock_tile_seams(&mut frame, &self.blocks, &tiles);
        } else {
            parallel.for_each_mut(slots, |i, slot| decode(slot, i));
            if let Some(error) = first_error(slots) {
                self.spare = Some(frame);
                return Err(error);
            }
            self.infos.clear();
            self.infos.resize(frame.mb_cols() * frame.mb_rows(), MbInfo::default());
            for slot in slots.iter() {
                slot.planes.store(&mut frame);
                place_infos(&mut self.infos, frame.mb_cols(), &slot.mbs);
            }
            deblock_frame(&mut frame, &self.infos);
        }
        self.refresh_left = match (kind, joined_refresh) {
            (FrameKind::Intra, _) => 0,
            (_, Some(frames)) => frames - 1,
            (_, None) => self.refresh_left.saturating_sub(1),
        };
        self.models_grid = Some((columns, rows));
        self.spare = self.reference.replace((packet.sequence(), frame)).map(|(_, f)| f);
        let frame = self.reference.as_ref().map(|(_, f)| f);
        Ok(frame.map(|frame| Decoded {
            frame,
            sequence: packet.sequence(),
            keyframe: kind == FrameKind::Intra,
            recovering: self.refresh_left > 0,
            capture_time_us,
        }))
    }

    /// Forgets the reference: the next frame must be a keyframe (or an
    /// intra-refresh start).
    pub fn reset(&mut self) {
        self.reference = None;
        self.models_grid = None;
        self.refresh_left = 0;
    }

    /// The last decoded frame, if any.
    pub fn last_frame(&self) -> Option<&Frame> {
        self.reference.as_ref().map(|(_, f)| f)
    }
}

/// Decodes one tile into `planes` and `mbs` (both set up for the tile),
/// its entropy models starting from and ending in `models`.
fn decode_tile_into(
    planes: &mut TilePlanes<impl Samples>,
    mbs: &mut TileMbs,
    models: &mut TileModels,
    data: &[u8],
    kind: FrameKind,
    frame_qp: Qp,
    reference: Option<&Frame>,
) -> Result<(), TileError> {
    let tile = planes.tile.clone();
    let mut bins = RangeDecoder::new(data);
    let mut predictor = Predictor::new();
    let kernels = Kernels::detect();
    let mut levels = MbLevels::default();
    let mut qp = frame_qp;
    for mb_y in tile.mb_y.clone() {
        for mb_x in tile.mb_x.clone() {
            let mut header = MbHeader::empty(qp);
            let info = code_header(&mut bins, &mut models.mb, mbs, kind, mb_x, mb_y, qp, &mut header)
                .map_err(TileError::Syntax)?;
            qp = header.qp;
            predictor.predict(planes, &header.mode, &info, mb_x, mb_y, reference);
            if header.cbp != 0 {
                code_residual(&mut bins, models, &header, &mut levels).map_err(TileError::Residual)?;
            }
            reconstruct_residual(kernels, planes, &header, &levels, mb_x, mb_y);
            if bins.overrun() {
                return Err(TileError::Truncated);
            }
        }
    }
    Ok(())
}

/// Makes room for `len` items in `items` (whatever it holds now).
fn reserve_total<T>(items: &mut Vec<T>, len: usize) -> Result<(), DecodeError> {
    items
        .try_reserve(len.saturating_sub(items.len()))
        .map_err(|_| DecodeError::OutOfMemory { bytes: len.saturating_mul(core::mem::size_of::<T>()) })
}

/// The first damaged tile's error, if any.
fn first_error(slots: &[TileSlot]) -> Option<DecodeError> {
    slots.iter().enumerate().find_map(|(index, slot)| slot.result.err().map(|error| DecodeError::Tile { index, error }))
}

/// Cuts the frame's planes and `blocks` (resized to the frame's 8x8 blocks)
/// into the row bands of `slots`' tiles, which must span the frame's width
/// and follow each other from the top (a one-column tile grid).
fn band_jobs<'a>(frame: &'a mut Frame, blocks: &'a mut Vec<BlockInfo>, slots: &'a mut [TileSlot]) -> Vec<BandJob<'a>> {
    let (ls, cs, cols) = (frame.luma_stride(), frame.chroma_stride(), frame.mb_cols() * 2);
    blocks.clear();
    blocks.resize(cols * frame.mb_rows() * 2, BlockInfo::default());
    let (mut y, mut u, mut v) = (&mut frame.y[..], &mut frame.u[..], &mut frame.v[..]);
    let mut rest = &mut blocks[..];
    let mut jobs = Vec::with_capacity(slots.len());
    for slot in slots {
        let rows = slot.planes.tile.mb_y.len() * MB_SIZE;
        let (band_y, more_y) = split_front(core::mem::take(&mut y), rows * ls);
        let (band_u, more_u) = split_front(core::mem::take(&mut u), rows / 2 * cs);
        let (band_v, more_v) = split_front(core::mem::take(&mut v), rows / 2 * cs);
        let (band_blocks, more_blocks) = split_front(core::mem::take(&mut rest), rows / 8 * cols);
        (y, u, v, rest) = (more_y, more_u, more_v, more_blocks);
        let planes = TilePlanes { tile: slot.planes.tile.clone(), y: band_y, u: band_u, v: band_v };
        jobs.push(BandJob { slot, planes, blocks: band_blocks });
    }
    jobs
}

/// The first `n` items of `items` (all of them if fewer) and the rest.
fn split_front<T>(items: &mut [T], n: usize) -> (&mut [T], &mut [T]) {
    let n = n.min(items.len());
    items.split_at_mut(n)
}

/// Deblocks a decoded full-width tile, in its band of the frame, as if it
/// were a frame of its own (every edge inside it; not its top edge, which
/// it shares with the tile above).
fn deblock_band(job: &mut BandJob<'_>) {
    let planes = &mut job.planes;
    let (ls, cs) = (planes.luma_stride(), planes.chroma_stride());
    let rows = planes.tile.mb_y.len() * MB_SIZE;
    block_infos(job.slot.mbs.infos(), planes.tile.mb_x.len(), job.blocks);
    // The band's geometry comes from the frame and the tile grid, so the
    // views and the filter accept it; if not, the band stays unfiltered
    // and the frame would be wrong, which the round-trip tests catch.
    if let (Ok(deblocker), Ok(y), Ok(u), Ok(v)) = (
        Deblocker::new(job.blocks, ls, rows, DeblockParams::default()),
        PlaneMut::new(planes.y, ls, rows, ls),
        PlaneMut::new(planes.u, cs, rows / 2, cs),
        PlaneMut::new(planes.v, cs, rows / 2, cs),
    ) {
        let _ = deblocker.deblock(&mut FramePlanes { y, u, v });
    }
}

/// Filters the horizontal edges where two row tiles meet, after every tile
/// has deblocked its inside ([`deblock_band`]): the last step of
/// the frame's deblocking.
fn deblock_tile_seams(frame: &mut Frame, blocks: &[BlockInfo], tiles: &[Tile]) {
    let (width, height) = (frame.luma_stride(), frame.mb_rows() * MB_SIZE);
    let Ok(deblocker) = Deblocker::new(blocks, width, height, DeblockParams::default()) else { return };
    let Ok(planes) = FramePlanes::from_frame(frame) else { return };
    for (kind, plane, scale) in [(PlaneKind::Luma, planes.y, 1), (PlaneKind::Chroma, planes.u, 2), (PlaneKind::Chroma, planes.v, 2)] {
        let mut band = Band::whole(plane);
        for tile in tiles.iter().skip(1) {
            let seam = tile.mb_y.start * MB_SIZE / scale;
            let _ = deblocker.filter_horizontal_edges(kind, &mut band, seam..seam + 1);
        }
    }
}
