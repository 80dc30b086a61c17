//! Encoding one tile, macroblock by macroblock: the mode decision
//! (`mode.rs`), transform and quantisation (`quantise.rs`), entropy coding
//! and reconstruction.
//!
//! The reconstruction is built with the decoder's own functions
//! (`Predictor`, `reconstruct_residual`) on the decoder's own syntax state
//! (`TileMbs`), so what the encoder keeps as its reference is, bit for bit,
//! what every decoder will produce.

use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::macroblock::{
    code_header, code_residual, FrameKind, MbHeader, MbInfo, MbLevels, MbMode, TileMbs, TileModels,
};
use asp_core::codec::mv::QpelMv;
use asp_core::codec::quant::Qp;
use asp_core::codec::range_coder::RangeEncoder;
use asp_core::codec::residual::ResidualRates;
use asp_core::codec::recon::{reconstruct_residual, Predictor, TilePlanes};
use asp_core::codec::tiles::Tile;
use asp_core::codec::transform::Kernels;
use asp_core::schema::MotionVector;

use crate::motion::{DominantMotion, HalfpelPlanes, MotionEstimator, SearchScratch};

use super::deblock::deblock_tile_inside;
use super::gop::RefreshWindow;
use super::preset::PresetParams;
use super::mode::{decide_mode, lambda, predict_inter, SavedPrediction};
use super::skip_rd::{skip_is_cheaper, MbSamples, SkipCheck};
use super::split_rd::{quantise_mode, rd_cost, CLOSE_CALL};
use super::quantise::LevelChoice;

/// What every tile of a frame shares.
pub(crate) struct FrameJob<'a> {
    pub source: &'a Frame,
    pub reference: Option<&'a Frame>,
    pub kind: FrameKind,
    pub qp: Qp,
    /// Per-macroblock QP offsets (ROI), raster over the frame; empty = none.
    pub qp_offsets: &'a [i8],
    pub preset: &'a PresetParams,
    pub estimator: &'a MotionEstimator,
    /// The 8x8 search, when the preset tries split macroblocks.
    pub estimator_8x8: Option<&'a MotionEstimator>,
    /// This frame's share of an intra-refresh cycle, if one is running.
    pub refresh: Option<RefreshWindow>,
    /// The reference's luma interpolated once (D frames).
    pub halfpel: Option<&'a HalfpelPlanes>,
    /// The macroblocks of the frame coded before this one (raster order;
    /// empty when there is none, or for a keyframe): their vectors are
    /// search starts.
    pub previous: &'a [MbInfo],
    /// Where most of the picture moves (D frames): more search starts.
    pub dominant: DominantMotion,
    /// Whether the packets carry the motion vectors (and their SAD-like
    /// distortion) as side data.
    pub side_data: bool,
    /// The entropy models each tile starts from, by tile index: the
    /// reference's tiles' final models, or empty for fresh ones.
    pub start_models: &'a [TileModels],
}

/// A coded tile and its reconstruction.
pub(crate) struct EncodedTile {
    pub data: Vec<u8>,
    pub planes: TilePlanes,
    pub mbs: TileMbs,
    /// One vector per inter macroblock (quarter pel), for side data.
    pub vectors: Vec<MotionVector>,
    /// The entropy models as the tile's last macroblock left them.
    pub models: TileModels,
}

/// The prices of the tile's coefficient models, taken before a macroblock.
pub(super) struct MbRates {
    pub luma: ResidualRates,
    pub luma_4x4: ResidualRates,
    pub chroma: ResidualRates,
}

impl MbRates {
    pub fn of(models: &TileModels) -> MbRates {
        MbRates { luma: models.luma.rates(), luma_4x4: models.luma_4x4.rates(), chroma: models.chroma.rates() }
    }
}

pub(super) struct MbCtx<'a> {
    pub job: &'a FrameJob<'a>,
    pub mb_x: usize,
    pub mb_y: usize,
    /// Top-left of the macroblock in the tile's planes.
    pub lx: usize,
    pub ly: usize,
    pub lambda: u32,
    /// Intra refresh codes this macroblock intra.
    pub refresh_intra: bool,
    /// The transform and quantiser twins, chosen once per tile.
    pub kernels: Kernels,
}

impl MbCtx<'_> {
    /// Whether intra refresh lets this macroblock use vector `mv`.
    pub fn allows(&self, mv: QpelMv) -> bool {
        self.job.refresh.as_ref().is_none_or(|r| r.allows(self.mb_x, mv))
    }
}

pub(crate) fn encode_tile(job: &FrameJob<'_>, tile: &Tile) -> EncodedTile {
    let mut bins = RangeEncoder::new();
    let mut models = job.start_models.get(tile.index).cloned().unwrap_or_default();
    let mut mbs = TileMbs::new(tile.clone());
    let mut planes = TilePlanes::new(tile.clone());
    let mut predictor = Predictor::new();
    let mut scratch = SearchScratch::new();
    let mut levels = MbLevels::default();
    let mut vectors = Vec::new();
    let mut prev_qp = job.qp;
    let mb_cols = job.source.mb_cols();
    let mut saved = SavedPrediction::default();
    let kernels = Kernels::detect();

    for mb_y in tile.mb_y.clone() {
        for mb_x in tile.mb_x.clone() {
            let offset = job.qp_offsets.get(mb_y * mb_cols + mb_x).copied().unwrap_or(0);
            let qp = Qp::saturating(i32::from(job.qp.get()) + i32::from(offset));
            let ctx = MbCtx {
                job,
                mb_x,
                mb_y,
                lx: (mb_x - tile.mb_x.start) * MB_SIZE,
                ly: (mb_y - tile.mb_y.start) * MB_SIZE,
                lambda: lambda(qp),
                refresh_intra: job.refresh.as_ref().is_some_and(|r| r.intra_columns.contains(&mb_x)),
                kernels,
            };
            let (mut mode, sad) = decide_mode(&ctx, &mut planes, &mbs, &mut predictor, &mut scratch, qp, &mut saved);
            // The chosen prediction, as the decoder will form it.
            let pred_mv = mbs.predict_mv(mb_x, mb_y, 0, true, &[QpelMv::ZERO; 4]);
            let mut mvs = match mode {
                MbMode::Skip => [pred_mv; 4],
                other => other.block_mvs(),
            };
            let info = MbInfo {
                mvs,
                split: matches!(mode, MbMode::Inter8(_)),
                ..Default::default()
            };
            // An early skip left exactly this prediction in the planes; the
            // chosen inter candidate's prediction was kept aside.
            if mode != MbMode::Skip && !saved.restore(&ctx, &mut planes, &mode) {
                match (mode, job.reference) {
                    (MbMode::Inter16(_) | MbMode::Inter8(_), Some(reference)) => {
                        predict_inter(&ctx, &mut predictor, &mut planes, reference, &info.mvs, info.split)
                    }
                    _ => predictor.predict(&mut planes, &mode, &info, mb_x, mb_y, job.reference),
                }
            }
            let mut cbp = 0;
            let mut transform_4x4 = false;
            if mode != MbMode::Skip {
                // Levels by rate and distortion at the tile's prices as they
                // are before this macroblock.
                let rates = job.preset.rdoq.then(|| MbRates::of(&models));
                let choice = rates.as_ref().map_or(LevelChoice::DeadZone, LevelChoice::RateDistortion);
                let mut quantised = quantise_mode(&ctx, &mut planes, &mode, qp, &models, choice, &mut levels);
                // Where the mode decision's 16x16-or-split call was close, both
                // are coded and priced exactly (BENCHMARKS.md, session 10).
                let close = saved.alternative.filter(|&(_, behind)| behind < CLOSE_CALL).map(|(m, _)| m);
                if let (Some(alternative), Some(reference), true) = (close, job.reference, job.preset.rdoq) {
                    if matches!(mode, MbMode::Inter16(_) | MbMode::Inter8(_)) {
                        let chosen = rd_cost(&ctx, &mut planes, &mut mbs, &models, mode, &quantised, &mut levels, qp, prev_qp);
                        let kept = MbSamples::save(&ctx, &planes);
                        let split = matches!(alternative, MbMode::Inter8(_));
                        predict_inter(&ctx, &mut predictor, &mut planes, reference, &alternative.block_mvs(), split);
                        let mut other_levels = MbLevels::default();
                        let other = quantise_mode(&ctx, &mut planes, &alternative, qp, &models, choice, &mut other_levels);
                        let cost = rd_cost(&ctx, &mut planes, &mut mbs, &models, alternative, &other, &mut other_levels, qp, prev_qp);
                        if cost < chosen {
                            mode = alternative;
                            mvs = alternative.block_mvs();
                            levels = other_levels;
                            quantised = other;
                        } else {
                            kept.restore(&ctx, &mut planes);
                        }
                    }
                }
                cbp = quantised.cbp;
                transform_4x4 = quantised.transform_4x4;
            }
            // The mode decision skips only where quantisation would code
            // nothing; a coded inter macroblock may still cost more than
            // its skip by SSD + λ·bits (-2.6 % on bigbuckbunny; BENCHMARKS.md).
            let inter = matches!(mode, MbMode::Inter16(_) | MbMode::Inter8(_));
            let bare_skip = mode == MbMode::Inter16(pred_mv) && cbp == 0;
            // Presets with rate-distortion quantisation only: ultrafast keeps its CPU.
            if let (FrameKind::Inter, Some(reference), Some(skip_error), true) =
                (job.kind, job.reference, saved.skip_error, job.preset.rdoq && inter && !bare_skip)
            {
                let header = MbHeader {
                    mode,
                    cbp,
                    qp: if cbp == 0 { prev_qp } else { qp },
                    transform_4x4: transform_4x4 && cbp & 0x0F != 0,
                };
                let check = SkipCheck { mbs: &mut mbs, models: &models, predictor: &mut predictor, reference, prev_qp, pred_mv, skip_error };
                if skip_is_cheaper(&ctx, &mut planes, check, &header, &mut levels) {
                    mode = MbMode::Skip;
                    mvs = [pred_mv; 4];
                }
            }
            if mode == MbMode::Inter16(pred_mv) && cbp == 0 && job.kind == FrameKind::Inter {
                mode = MbMode::Skip;
            }
            if mode == MbMode::Skip {
                cbp = 0;
            }
            let mut header = MbHeader {
                mode,
                cbp,
                qp: if cbp == 0 { prev_qp } else { qp },
                transform_4x4: transform_4x4 && cbp & 0x0F != 0,
            };
            // Encoding cannot fail: every value comes from the encoder's own
            // decisions, within the syntax's ranges.
            let coded = code_header(&mut bins, &mut models.mb, &mut mbs, job.kind, mb_x, mb_y, prev_qp, &mut header);
            debug_assert!(coded.is_ok());
            if header.cbp != 0 {
                let _ = code_residual(&mut bins, &mut models, &header, &mut levels);
            }
            reconstruct_residual(kernels, &mut planes, &header, &levels, mb_x, mb_y);
            prev_qp = header.qp;
            if job.kind == FrameKind::Inter && !header.mode.is_intra() {
                let mv = mvs[0];
                vectors.push(MotionVector::new(mb_x as u16, mb_y as u16, mv.x, mv.y, sad));
            }
        }
    }
    if tile.mb_x.len() == mb_cols {
        deblock_tile_inside(&mut planes, &mbs);
    }
    EncodedTile { data: bins.finish(), planes, mbs, vectors, models }
}
