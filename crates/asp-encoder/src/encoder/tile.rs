//! Encoding one tile: mode decision, transform and quantisation, entropy
//! coding and reconstruction, macroblock by macroblock.
//!
//! The reconstruction is built with the decoder's own functions
//! (`Predictor`, `reconstruct_residual`) on the decoder's own syntax state
//! (`TileMbs`), so what the encoder keeps as its reference is, bit for bit,
//! what every decoder will produce.

use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::intra::{fit_gradient_linear, fit_solid, IntraMode, Pattern};
use asp_core::codec::macroblock::{
    code_header, code_residual, FrameKind, MbHeader, MbLevels, MbMode, Mv, TileMbs, TileModels,
};
use asp_core::codec::bins::CostCounter;
use asp_core::codec::quant::{Qp, Quantiser, RoundingOffset, ZIGZAG_4X4, ZIGZAG_8X8};
use asp_core::codec::range_coder::RangeEncoder;
use asp_core::codec::residual::ResidualRates;
use asp_core::codec::recon::{
    add_luma_residual, chroma_qp, predict_inter_chroma, predict_intra8_quarter, reconstruct_residual, Predictor, TilePlanes,
};
use asp_core::codec::tiles::Tile;
use asp_core::codec::transform::{forward_diff_4x4, forward_diff_8x8, satd_8x8};
use asp_core::schema::MotionVector;

use super::preset::PresetParams;
use super::rdoq::{self, quantise_rd};
use crate::motion::{self, mvd_bits, HalfpelPlanes, MotionError, MotionEstimator, MvCost, SearchScratch, SubpelPrecision};

/// What every tile of a frame shares.
pub(crate) struct FrameJob<'a> {
    pub source: &'a Frame,
    pub reference: Option<&'a Frame>,
    pub kind: FrameKind,
    pub qp: u8,
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
}

/// One frame of an intra-refresh cycle: a band of macroblock columns is
/// coded intra, and the columns already refreshed may only predict from
/// the refreshed part of the reference, so that a decoder that started
/// the cycle from a wrong reference ends it with the exact picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RefreshWindow {
    /// Macroblock columns coded intra in this frame.
    pub intra_columns: core::ops::Range<usize>,
    /// Macroblock columns left of this are refreshed: their vectors must
    /// keep every sample they read (interpolation taps included) left of
    /// `luma_end` / `chroma_end` in the reference.
    pub refreshed_columns: usize,
    pub luma_end: i32,
    pub chroma_end: i32,
}

impl RefreshWindow {
    /// Whether the macroblock at column `mb_x` may use vector `mv`.
    pub fn allows(&self, mb_x: usize, mv: Mv) -> bool {
        if mb_x >= self.refreshed_columns {
            return true;
        }
        // Luma: quarter-sample position; a fractional one reads 3 samples
        // right of the block (the 6-tap filter).
        let x = (mb_x * MB_SIZE * 4) as i32 + i32::from(mv.x);
        let luma_end = (x >> 2) + MB_SIZE as i32 + if x & 3 != 0 { 3 } else { 0 };
        // Chroma: the same number is in eighth chroma samples; bilinear
        // reads one more sample when fractional.
        let cx = (mb_x * MB_SIZE / 2 * 8) as i32 + i32::from(mv.x);
        let chroma_end = (cx >> 3) + (MB_SIZE / 2) as i32 + if cx & 7 != 0 { 1 } else { 0 };
        luma_end <= self.luma_end && chroma_end <= self.chroma_end
    }

    /// `mv` moved left, in whole samples, until it is allowed (vertical
    /// motion is free: the refreshed columns span the whole height).
    fn constrain(&self, mb_x: usize, mv: Mv) -> Mv {
        if self.allows(mb_x, mv) {
            return mv;
        }
        let mut x = i32::from(mv.x) & !3;
        // Whole-sample vectors need no taps: at most a few steps from the limit.
        let furthest = (self.luma_end - (mb_x * MB_SIZE) as i32 - MB_SIZE as i32) * 4;
        x = x.min(furthest);
        while x > -(motion_limit()) && !self.allows(mb_x, Mv::new(x as i16, mv.y)) {
            x -= 4;
        }
        Mv::new(x as i16, mv.y)
    }
}

fn motion_limit() -> i32 {
    asp_core::codec::macroblock::MV_LIMIT
}

/// A coded tile and its reconstruction.
pub(crate) struct EncodedTile {
    pub data: Vec<u8>,
    pub planes: TilePlanes,
    pub mbs: TileMbs,
    /// One vector per inter macroblock (quarter pel), for side data.
    pub vectors: Vec<MotionVector>,
}

/// Bits added to intra candidates' estimates in delta frames (see
/// `decide_mode`).
const INTRA_IN_INTER_BIAS_BITS: u32 = 16;

/// Rate-distortion trade-off in the SATD domain: the cost of one bit in
/// 1/16 SATD units, x264's shape, doubling every 6 QP: 1.5·2^((qp - 12) /
/// 6). The factor 1.5 came with rate-distortion quantisation (quick RD,
/// 4 QPs, against 1.0): bigbuckbunny -1.7 %, built-in test source -0.9 %,
/// screen +1.6 %; 1.25 gave -1.1 / -0.2 / +0.8 %, 2.0 -1.8 / -0.4 / +3.3 %.
fn lambda(qp: u8) -> u32 {
    let q = i32::from(qp) - 12;
    let base = 24.0f64 * 2f64.powf(f64::from(q) / 6.0);
    (base.round() as u32).max(1)
}

/// The cost of `bits` bits in SATD units.
fn bit_cost(lambda: u32, bits: u32) -> u32 {
    (lambda * bits + 8) >> 4
}

/// How quantisation chooses levels: rounding with a dead zone (cheap: the
/// mode decision's trial runs), by rate and distortion against the tile's
/// current prices (what is coded, when the preset asks for it), or, for
/// the early-skip test, rounding down: does any coefficient reach a whole
/// quantiser step?
#[derive(Clone, Copy)]
enum LevelChoice<'a> {
    DeadZone,
    RateDistortion(&'a MbRates),
    SkipTest,
}

impl LevelChoice<'_> {
    /// The rounding of the dead-zone and skip-test choices.
    fn rounding(self, intra: bool) -> RoundingOffset {
        match (self, intra) {
            (LevelChoice::SkipTest, _) => RoundingOffset::from_q15(0),
            (_, true) => RoundingOffset::INTRA,
            (_, false) => RoundingOffset::INTER,
        }
    }
}

/// The prices of the tile's coefficient models, taken before a macroblock.
struct MbRates {
    luma: ResidualRates,
    luma_4x4: ResidualRates,
    chroma: ResidualRates,
}

impl MbRates {
    fn of(models: &TileModels) -> MbRates {
        MbRates { luma: models.luma.rates(), luma_4x4: models.luma_4x4.rates(), chroma: models.chroma.rates() }
    }
}

struct MbCtx<'a> {
    job: &'a FrameJob<'a>,
    mb_x: usize,
    mb_y: usize,
    /// Top-left of the macroblock in the tile's planes.
    lx: usize,
    ly: usize,
    lambda: u32,
    /// Intra refresh codes this macroblock intra.
    refresh_intra: bool,
}

impl MbCtx<'_> {
    /// Whether intra refresh lets this macroblock use vector `mv`.
    fn allows(&self, mv: Mv) -> bool {
        self.job.refresh.as_ref().is_none_or(|r| r.allows(self.mb_x, mv))
    }
}

/// The prediction of the best inter candidate so far, kept so that the
/// macroblock need not be motion-compensated again after the intra trials
/// have overwritten `planes`.
#[derive(Default)]
struct SavedPrediction {
    mode: Option<MbMode>,
    luma: [[u8; 16]; 16],
    chroma: [[[u8; 8]; 8]; 2],
}

impl SavedPrediction {
    /// Keeps the prediction of `mode` now in `planes`.
    fn keep(&mut self, ctx: &MbCtx<'_>, planes: &TilePlanes, mode: MbMode) {
        self.mode = Some(mode);
        self.luma = save_luma(ctx, planes);
        let cs = planes.chroma_stride();
        for (saved, plane) in self.chroma.iter_mut().zip([&planes.u, &planes.v]) {
            for (row, out) in saved.iter_mut().enumerate() {
                let start = (ctx.ly / 2 + row) * cs + ctx.lx / 2;
                out.copy_from_slice(&plane[start..start + 8]);
            }
        }
    }

    /// Puts the kept prediction back if it is `mode`'s; returns whether it did.
    fn restore(&self, ctx: &MbCtx<'_>, planes: &mut TilePlanes, mode: &MbMode) -> bool {
        if self.mode.as_ref() != Some(mode) {
            return false;
        }
        restore_luma(ctx, planes, &self.luma);
        let cs = planes.chroma_stride();
        for (saved, plane) in self.chroma.iter().zip([&mut planes.u, &mut planes.v]) {
            for (row, src) in saved.iter().enumerate() {
                let start = (ctx.ly / 2 + row) * cs + ctx.lx / 2;
                plane[start..start + 8].copy_from_slice(src);
            }
        }
        true
    }
}

pub(crate) fn encode_tile(job: &FrameJob<'_>, tile: &Tile) -> EncodedTile {
    let mut bins = RangeEncoder::new();
    let mut models = TileModels::default();
    let mut mbs = TileMbs::new(tile.clone());
    let mut planes = TilePlanes::new(tile.clone());
    let mut predictor = Predictor::new();
    let mut scratch = SearchScratch::new();
    let mut levels = MbLevels::default();
    let mut vectors = Vec::new();
    let mut prev_qp = job.qp;
    let mb_cols = job.source.mb_cols();
    let mut saved = SavedPrediction::default();

    for mb_y in tile.mb_y.clone() {
        for mb_x in tile.mb_x.clone() {
            let offset = job.qp_offsets.get(mb_y * mb_cols + mb_x).copied().unwrap_or(0);
            let qp = (i32::from(job.qp) + i32::from(offset)).clamp(0, 51) as u8;
            let ctx = MbCtx {
                job,
                mb_x,
                mb_y,
                lx: (mb_x - tile.mb_x.start) * MB_SIZE,
                ly: (mb_y - tile.mb_y.start) * MB_SIZE,
                lambda: lambda(qp),
                refresh_intra: job.refresh.as_ref().is_some_and(|r| r.intra_columns.contains(&mb_x)),
            };
            let (mut mode, sad) = decide_mode(&ctx, &mut planes, &mbs, &mut predictor, &mut scratch, qp, &mut saved);
            // The chosen prediction, as the decoder will form it.
            let pred_mv = mbs.predict_mv(mb_x, mb_y, 0, true, &[Mv::ZERO; 4]);
            let mvs = match mode {
                MbMode::Skip => [pred_mv; 4],
                other => other.block_mvs(),
            };
            let info = asp_core::codec::macroblock::MbInfo {
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
                if job.preset.transform_4x4 {
                    // The trial leaves the winner's luma levels: only chroma is left.
                    transform_4x4 = choose_luma_transform(&ctx, &mut planes, &mode, qp, &models, choice, &mut levels);
                    quantise_chroma(&ctx, &planes, &mode, qp, choice, &mut levels, false);
                } else {
                    quantise_mb(&ctx, &mut planes, &mode, qp, choice, &mut levels, false, false);
                }
                cbp = coded_block_pattern(&levels);
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
            reconstruct_residual(&mut planes, &header, &levels, mb_x, mb_y);
            prev_qp = header.qp;
            if job.kind == FrameKind::Inter && !header.mode.is_intra() {
                let mv = mvs[0];
                vectors.push(MotionVector::new(mb_x as u16, mb_y as u16, mv.x, mv.y, sad));
            }
        }
    }
    EncodedTile { data: bins.finish(), planes, mbs, vectors }
}

/// Chooses the macroblock's mode by SATD + λ·bits over the candidates the
/// preset allows. A skip is only ever chosen by the early-skip check, which
/// returns at once with the skip prediction in `planes` (the caller relies
/// on that). Returns the mode and the luma SAD-like distortion of the
/// chosen inter vector (for side data; 0 for intra).
fn decide_mode(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mbs: &TileMbs,
    predictor: &mut Predictor,
    scratch: &mut SearchScratch,
    qp: u8,
    saved: &mut SavedPrediction,
) -> (MbMode, u32) {
    let job = ctx.job;
    saved.mode = None;
    let mut best = (MbMode::Intra { luma: IntraMode::Dc, chroma: IntraMode::Dc }, u32::MAX);
    // The DC intra mode is always possible; it is the fallback.
    let mut best_sad = 0;

    if let (FrameKind::Inter, Some(reference), false) = (job.kind, job.reference, ctx.refresh_intra) {
        let pred_mv = mbs.predict_mv(ctx.mb_x, ctx.mb_y, 0, true, &[Mv::ZERO; 4]);
        // Early skip: the predicted vector with no residual is what the
        // decoder would show; take it when quantisation would code nothing.
        if ctx.allows(pred_mv) {
            predict_inter(ctx, predictor, planes, reference, &[pred_mv; 4], false);
            // With rate-distortion quantisation behind it (which drops most
            // levels under a step anyway), rounding down: a macroblock whose
            // residual has no coefficient of a whole step is a skip. Against
            // the 1/6 dead zone: ~17 % less encode CPU (more skips, fewer
            // motion searches) for +0.4 % / +0.1 % BD-rate on bigbuckbunny
            // / screen (rate-distortion levels here: -10 % CPU for +1.0 % /
            // +0.6 %). Without it (ultrafast) rounding down cost +2.8 % on
            // bigbuckbunny for -8 % CPU: the dead zone stays.
            let test = if job.preset.rdoq { LevelChoice::SkipTest } else { LevelChoice::DeadZone };
            let mut levels = MbLevels::default();
            if !quantise_mb(ctx, planes, &MbMode::Skip, qp, test, &mut levels, true, false) {
                return (MbMode::Skip, luma_satd(ctx, planes));
            }
        }
        // Otherwise skip does not compete on SATD: its residual would stay
        // uncoded. A coded 16x16 vector equal to the prediction with nothing
        // to code becomes a skip after quantisation.

        // Motion search from the predicted vector and zero.
        let current = job.source.luma();
        let refp = reference.luma();
        // Start points: the predicted vector, the left and top neighbours'
        // vectors (coherent motion keeps vector differences cheap) and zero.
        let whole = |mv: Mv| motion::Mv::new(((i32::from(mv.x) + 2) >> 2) as i16, ((i32::from(mv.y) + 2) >> 2) as i16);
        let (x, y) = (ctx.mb_x as isize, ctx.mb_y as isize);
        let neighbour = |dx: isize, dy: isize| mbs.get(x + dx, y + dy).filter(|i| !i.intra).map(|i| whole(i.mvs[0]));
        let mut starts = [whole(pred_mv), motion::Mv::ZERO, motion::Mv::ZERO, motion::Mv::ZERO];
        let mut count = 2;
        for candidate in [neighbour(-1, 0), neighbour(0, -1)].into_iter().flatten() {
            if !starts[..count].contains(&candidate) {
                starts[count] = candidate;
                count += 1;
            }
        }
        let estimator = job.estimator;
        // The sub-pel refinement weighs the vector's bits (λ·R, x264's
        // cost); the whole-sample search does not: on screen content a rate
        // term there (even at λ/4) kept the search off exact matches and
        // cost 1-3 % of the bits, while on bigbuckbunny the sub-pel term
        // alone saves about 1.8 % (BENCHMARKS.md, codec).
        let mv_cost = MvCost { pred_x: i32::from(pred_mv.x), pred_y: i32::from(pred_mv.y), lambda: ctx.lambda };
        if let Ok(found) = estimator.search_block(current, refp, ctx.mb_x, ctx.mb_y, &starts[..count], scratch) {
            let integer = motion::Mv::new(found.dx(), found.dy());
            let refined = if job.preset.subpel == SubpelPrecision::Integer {
                Ok(MotionVector::new(0, 0, found.dx() * 4, found.dy() * 4, found.sad()))
            } else {
                refine(ctx, estimator, reference, (ctx.mb_x, ctx.mb_y), integer, mv_cost, scratch)
            };
            if let Ok(v) = refined {
                let mut mv = Mv::new(v.dx(), v.dy());
                if let Some(refresh) = &job.refresh {
                    mv = refresh.constrain(ctx.mb_x, mv);
                }
                predict_inter(ctx, predictor, planes, reference, &[mv; 4], false);
                let bits = mvd_bits(i32::from(mv.x) - i32::from(pred_mv.x)) + mvd_bits(i32::from(mv.y) - i32::from(pred_mv.y)) + 2;
                let quarters = quarter_satds(ctx, planes);
                let cost = quarters.iter().sum::<u32>() + bit_cost(ctx.lambda, bits);
                best_sad = v.sad();
                if cost < best.1 {
                    best = (MbMode::Inter16(mv), cost);
                    saved.keep(ctx, planes, best.0);
                }
                if let Some(split) = split_candidate(ctx, planes, mbs, predictor, scratch, reference, mv, &quarters) {
                    if split.1 < best.1 {
                        best = split;
                        saved.keep(ctx, planes, best.0);
                    }
                }
            }
        }
        if !job.preset.intra_in_inter {
            return (best.0, best_sad);
        }
    }

    // Spatial intra modes.
    let (has_top, has_left) = (ctx.ly > 0, ctx.lx > 0);
    // In delta frames an intra mode pays its flag and a bias: at equal
    // SATD an intra residual costs more bits than an inter one (and the
    // neighbours' vectors predict worse), which the estimate misses.
    // 16 bits: screen clip -1.0 % BD-rate, bigbuckbunny +-0 (quick RD,
    // 4 QPs; 6 bits -0.5 %, 32 and more lose on bigbuckbunny).
    let intra_flag_bits = if job.kind == FrameKind::Inter { 2 + INTRA_IN_INTER_BIAS_BITS } else { 0 };
    for luma in [IntraMode::Dc, IntraMode::Vertical, IntraMode::Horizontal, IntraMode::Planar] {
        if !luma.is_available(has_top, has_left) {
            continue;
        }
        let mode = MbMode::Intra { luma, chroma: IntraMode::Dc };
        predictor.predict(planes, &mode, &Default::default(), ctx.mb_x, ctx.mb_y, None);
        let cost = luma_satd(ctx, planes) + bit_cost(ctx.lambda, 3 + intra_flag_bits);
        if cost < best.1 {
            best = (mode, cost);
        }
    }
    // Chroma mode for the best spatial luma mode.
    if let (MbMode::Intra { luma, .. }, _) = best {
        let mut chroma_best = (IntraMode::Dc, u32::MAX);
        for chroma in [IntraMode::Dc, IntraMode::Vertical, IntraMode::Horizontal, IntraMode::Planar] {
            if !chroma.is_available(has_top, has_left) {
                continue;
            }
            let mode = MbMode::Intra { luma, chroma };
            predictor.predict(planes, &mode, &Default::default(), ctx.mb_x, ctx.mb_y, None);
            let cost = chroma_satd(ctx, planes);
            if cost < chroma_best.1 {
                chroma_best = (chroma, cost);
            }
        }
        best.0 = MbMode::Intra { luma, chroma: chroma_best.0 };
    }

    // Intra per 8x8 quarter: textured blocks predict better from close by.
    // In delta frames only where intra already beats inter (it costs a
    // transform per quarter to evaluate).
    if job.preset.intra8 && (job.kind == FrameKind::Intra || best.0.is_intra()) {
        let mut luma = [IntraMode::Dc; 4];
        let mut cost = bit_cost(ctx.lambda, 1 + intra_flag_bits);
        let qp_ = Qp::saturating(i32::from(qp));
        let mut levels = [0i32; 64];
        for (q, quarter_mode) in luma.iter_mut().enumerate() {
            let (bx, by) = (ctx.lx + (q % 2) * 8, ctx.ly + (q / 2) * 8);
            let mut best_q = (IntraMode::Dc, u32::MAX);
            for mode in [IntraMode::Dc, IntraMode::Vertical, IntraMode::Horizontal, IntraMode::Planar] {
                if !mode.is_available(by > 0, bx > 0) {
                    continue;
                }
                predict_intra8_quarter(planes, mode, ctx.mb_x, ctx.mb_y, q);
                let c = block_satd(ctx, planes, q) + bit_cost(ctx.lambda, if mode == IntraMode::Dc { 1 } else { 3 });
                if c < best_q.1 {
                    best_q = (mode, c);
                }
            }
            *quarter_mode = best_q.0;
            cost += best_q.1;
            if cost >= best.1 {
                break;
            }
            // Later quarters predict from this one's reconstruction.
            predict_intra8_quarter(planes, best_q.0, ctx.mb_x, ctx.mb_y, q);
            quantise_luma_quarter(ctx, planes, q, qp_, true, LevelChoice::DeadZone, false, false, &mut levels);
            let ls = planes.luma_stride();
            add_luma_residual(&levels, qp, false, &mut planes.y[by * ls + bx..], ls);
        }
        if cost < best.1 {
            let chroma = match best.0 {
                MbMode::Intra { chroma, .. } => chroma,
                _ => IntraMode::Dc,
            };
            best = (MbMode::Intra8 { luma, chroma }, cost);
        }
    }

    // Procedural patterns: flat and gradient blocks. In delta frames only
    // flat fills: they pay on screen content (newly exposed flat areas,
    // 0.15 dB at QP 37), while gradient fills chosen on their SATD estimate
    // cost bigbuckbunny 1.1 % of its bits and screen content nothing.
    let must_be_intra = job.kind == FrameKind::Intra || ctx.refresh_intra;
    if job.preset.patterns {
        if let Some(mode) = pattern_candidate(ctx, must_be_intra) {
            predictor.predict(planes, &mode, &Default::default(), ctx.mb_x, ctx.mb_y, None);
            let cost = luma_satd(ctx, planes) + bit_cost(ctx.lambda, 12 + intra_flag_bits);
            if cost < best.1 {
                best = (mode, cost);
            }
        }
    }
    (best.0, if best.0.is_intra() { 0 } else { best_sad })
}

/// Sub-pel refinement of block `block` (in the estimator's block size)
/// from whole-sample vector `integer`, on the frame's interpolated
/// reference when there is one.
fn refine(
    ctx: &MbCtx<'_>,
    estimator: &MotionEstimator,
    reference: &Frame,
    (block_x, block_y): (usize, usize),
    integer: motion::Mv,
    mv_cost: MvCost,
    scratch: &mut SearchScratch,
) -> Result<MotionVector, MotionError> {
    let (current, precision) = (ctx.job.source.luma(), ctx.job.preset.subpel);
    match ctx.job.halfpel {
        Some(halfpel) => estimator.refine_block_on(current, halfpel, block_x, block_y, integer, precision, mv_cost),
        None => estimator
            .refine_block_with_cost(current, reference.luma(), block_x, block_y, integer, precision, mv_cost, scratch),
    }
}

/// The inter prediction of the macroblock into `planes`, as the decoder
/// forms it: luma read from the frame's interpolated reference where the
/// vectors stay within its margin, else (and without one) by the
/// predictor's own interpolation.
fn predict_inter(ctx: &MbCtx<'_>, predictor: &mut Predictor, planes: &mut TilePlanes, reference: &Frame, mvs: &[Mv; 4], split: bool) {
    if let Some(halfpel) = ctx.job.halfpel {
        let ls = planes.luma_stride();
        let size = if split { 8 } else { 16 };
        let mut parts = if split { 4 } else { 1 };
        for (q, mv) in mvs.iter().enumerate().take(parts) {
            let (ox, oy) = ((q % 2) * 8, (q / 2) * 8);
            let x_qpel = ((ctx.mb_x * MB_SIZE + ox) * 4) as i32 + i32::from(mv.x);
            let y_qpel = ((ctx.mb_y * MB_SIZE + oy) * 4) as i32 + i32::from(mv.y);
            let out = &mut planes.y[(ctx.ly + oy) * ls + ctx.lx + ox..];
            if halfpel.predict(x_qpel, y_qpel, size, size, out, ls) {
                parts -= 1;
            }
        }
        if parts == 0 {
            predict_inter_chroma(planes, reference, ctx.mb_x, ctx.mb_y, mvs, split);
            return;
        }
    }
    predictor.predict_inter(planes, reference, ctx.mb_x, ctx.mb_y, mvs, split);
}

/// Per-quarter vectors, searched from the macroblock's vector `mv16`, and
/// their cost, when the 16x16 prediction leaves enough error (its
/// `quarters`' SATDs), unevenly spread, for a split to pay for three more
/// vectors.
#[allow(clippy::too_many_arguments)]
fn split_candidate(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mbs: &TileMbs,
    predictor: &mut Predictor,
    scratch: &mut SearchScratch,
    reference: &Frame,
    mv16: Mv,
    quarters: &[u32; 4],
) -> Option<(MbMode, u32)> {
    let estimator = ctx.job.estimator_8x8?;
    // Three more vectors cost at least ~12 bits: not worth a search where
    // the whole macroblock already predicts within that.
    let satd16: u32 = quarters.iter().sum();
    if satd16 < bit_cost(ctx.lambda, 24) {
        return None;
    }
    // Nor where the 16x16 vector predicts the four quarters about equally
    // well (the worst under 1.5x the best): one vector fits them all.
    // Saves ~9 % of encode CPU on bigbuckbunny for +0.1 % BD-rate.
    let (best, worst) = (quarters.iter().min().copied().unwrap_or(0), quarters.iter().max().copied().unwrap_or(0));
    if 2 * worst < 3 * best.max(1) {
        return None;
    }
    let current = ctx.job.source.luma();
    let refp = reference.luma();
    let whole = |mv: Mv| motion::Mv::new(((i32::from(mv.x) + 2) >> 2) as i16, ((i32::from(mv.y) + 2) >> 2) as i16);
    let mut mvs = [mv16; 4];
    for (q, slot) in mvs.iter_mut().enumerate() {
        let (bx, by) = (ctx.mb_x * 2 + q % 2, ctx.mb_y * 2 + q / 2);
        let starts = [whole(mv16), motion::Mv::ZERO];
        let found = estimator.search_block(current, refp, bx, by, &starts, scratch).ok()?;
        let integer = motion::Mv::new(found.dx(), found.dy());
        let v = if ctx.job.preset.subpel == SubpelPrecision::Integer {
            MotionVector::new(0, 0, found.dx() * 4, found.dy() * 4, found.sad())
        } else {
            refine(ctx, estimator, reference, (bx, by), integer, MvCost::NONE, scratch).ok()?
        };
        let mut mv = Mv::new(v.dx(), v.dy());
        if let Some(refresh) = &ctx.job.refresh {
            // The 16-wide check covers either 8-wide half.
            mv = refresh.constrain(ctx.mb_x, mv);
        }
        *slot = mv;
    }
    if mvs.iter().all(|&mv| mv == mv16) {
        return None;
    }
    let mut bits = 3;
    for q in 0..4 {
        let pred = mbs.predict_mv(ctx.mb_x, ctx.mb_y, q, false, &mvs);
        bits += mvd_bits(i32::from(mvs[q].x) - i32::from(pred.x)) + mvd_bits(i32::from(mvs[q].y) - i32::from(pred.y));
    }
    predict_inter(ctx, predictor, planes, reference, &mvs, true);
    Some((MbMode::Inter8(mvs), luma_satd(ctx, planes) + bit_cost(ctx.lambda, bits)))
}

/// A solid fill, or with `gradients` a linear-gradient one, that matches
/// the source macroblock closely, if there is one.
fn pattern_candidate(ctx: &MbCtx<'_>, gradients: bool) -> Option<MbMode> {
    let src = ctx.job.source;
    let (x, y) = (ctx.mb_x * MB_SIZE, ctx.mb_y * MB_SIZE);
    let luma = &src.y[y * src.luma_stride() + x..];
    let cs = src.chroma_stride();
    // Patterns fill chroma flat too, and their cost counts luma only: a
    // chroma that is not flat as well would leave its residual to code.
    let flat = |plane: &[u8]| fit_solid(&plane[y / 2 * cs + x / 2..], cs, 8).filter(|&(_, sse)| sse < 64).map(|(value, _)| value);
    let chroma = || Some((flat(&src.u)?, flat(&src.v)?));
    let (value, solid_sse) = fit_solid(luma, src.luma_stride(), 16)?;
    // Mean squared error below 1 level: flat.
    if solid_sse < 256 {
        let (cb, cr) = chroma()?;
        return Some(MbMode::Pattern { luma: Pattern::Solid { value }, cb, cr });
    }
    if !gradients {
        return None;
    }
    // Most macroblocks are far from any plane: rule them out from the
    // moments before trying the exact fills.
    if plane_fit_floor(luma, src.luma_stride(), solid_sse) > 1024 {
        return None;
    }
    let (gradient, sse) = fit_gradient_linear(luma, src.luma_stride(), 16)?;
    if sse >= 256 {
        return None;
    }
    let (cb, cr) = chroma()?;
    Some(MbMode::Pattern { luma: Pattern::GradientLinear(gradient), cb, cr })
}

/// About the least SSE any linear ramp leaves on the 16x16 block: the
/// spread about the mean (`solid_sse`) minus what the best real-valued
/// slopes explain. A filled (rounded) ramp can do better only by rounding,
/// at most sqrt(256 / 4) = 8 in root-SSE, so a floor above 1024 (root 32)
/// leaves no ramp under the 256 the caller accepts.
fn plane_fit_floor(luma: &[u8], stride: usize, solid_sse: u64) -> u64 {
    // Centred odd coordinates u = 2x - 15 decouple x and y; sum u² = 16 * 1360.
    const SUM_U2: i64 = 16 * 1360;
    let (mut sum_u, mut sum_w) = (0i64, 0i64);
    for (y, row) in luma.chunks(stride).take(16).enumerate() {
        let w = 2 * y as i64 - 15;
        let mut row_sum = 0i64;
        for (x, &v) in row[..16].iter().enumerate() {
            row_sum += i64::from(v);
            sum_u += i64::from(v) * (2 * x as i64 - 15);
        }
        sum_w += row_sum * w;
    }
    let explained = (sum_u * sum_u + sum_w * sum_w) / SUM_U2;
    solid_sse.saturating_sub(explained as u64)
}

fn luma_satd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u32 {
    quarter_satds(ctx, planes).iter().sum()
}

/// SATD of each luma 8x8 quarter against the prediction in `planes`.
fn quarter_satds(ctx: &MbCtx<'_>, planes: &TilePlanes) -> [u32; 4] {
    core::array::from_fn(|q| block_satd(ctx, planes, q))
}

fn chroma_satd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u32 {
    let src = ctx.job.source;
    let (x, y) = (ctx.mb_x * MB_SIZE / 2, ctx.mb_y * MB_SIZE / 2);
    let (ss, ps) = (src.chroma_stride(), planes.chroma_stride());
    let (lx, ly) = (ctx.lx / 2, ctx.ly / 2);
    let u = satd_8x8(&src.u[y * ss + x..], ss, &planes.u[ly * ps + lx..], ps).unwrap_or(u32::MAX / 4);
    let v = satd_8x8(&src.v[y * ss + x..], ss, &planes.v[ly * ps + lx..], ps).unwrap_or(u32::MAX / 4);
    u + v
}

/// The coded-block pattern of quantised levels.
fn coded_block_pattern(levels: &MbLevels) -> u8 {
    let coded = |block: &[i32; 64]| block.iter().any(|&l| l != 0);
    let luma = levels.luma.iter().enumerate().map(|(q, b)| u8::from(coded(b)) << q);
    let chroma = levels.chroma.iter().enumerate().map(|(p, b)| u8::from(coded(b)) << (4 + p));
    luma.chain(chroma).fold(0, |cbp, bit| cbp | bit)
}

/// Transforms and quantises the residual of the prediction now in `planes`
/// into `levels` (scan order); returns whether any level is non-zero. With
/// `stop_at_first`, stops at the first coded block (a skip check needs no
/// more).
#[allow(clippy::too_many_arguments)]
fn quantise_mb(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: u8,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
    stop_at_first: bool,
    transform_4x4: bool,
) -> bool {
    let luma = quantise_luma(ctx, planes, mode, qp, choice, levels, stop_at_first, transform_4x4);
    if luma && stop_at_first {
        return true;
    }
    quantise_chroma(ctx, planes, mode, qp, choice, levels, stop_at_first) || luma
}

/// The luma part of [`quantise_mb`].
#[allow(clippy::too_many_arguments)]
fn quantise_luma(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: u8,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
    stop_at_first: bool,
    transform_4x4: bool,
) -> bool {
    let intra = mode.is_intra();
    let mut any = false;
    let ps = planes.luma_stride();
    let luma_qp = Qp::saturating(i32::from(qp));
    if let MbMode::Intra8 { luma, .. } = mode {
        // Each quarter is predicted from the reconstruction of the ones
        // before it, as the decoder will do: quantise and reconstruct in turn.
        for (q, &quarter_mode) in luma.iter().enumerate() {
            predict_intra8_quarter(planes, quarter_mode, ctx.mb_x, ctx.mb_y, q);
            let mut block = [0i32; 64];
            any |= quantise_luma_quarter(ctx, planes, q, luma_qp, true, choice, false, transform_4x4, &mut block);
            let (bx, by) = (ctx.lx + (q % 2) * 8, ctx.ly + (q / 2) * 8);
            add_luma_residual(&block, qp, transform_4x4, &mut planes.y[by * ps + bx..], ps);
            levels.luma[q] = block;
        }
    } else {
        for q in 0..4 {
            any |= quantise_luma_quarter(ctx, planes, q, luma_qp, intra, choice, !intra, transform_4x4, &mut levels.luma[q]);
            if any && stop_at_first {
                return true;
            }
        }
    }
    any
}

/// The chroma part of [`quantise_mb`].
fn quantise_chroma(
    ctx: &MbCtx<'_>,
    planes: &TilePlanes,
    mode: &MbMode,
    qp: u8,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
    stop_at_first: bool,
) -> bool {
    let src = ctx.job.source;
    let intra = mode.is_intra();
    let rounding = choice.rounding(intra);
    let mut any = false;
    let (ss, ps) = (src.chroma_stride(), planes.chroma_stride());
    let (x, y) = (ctx.mb_x * MB_SIZE, ctx.mb_y * MB_SIZE);
    let cqp = Qp::saturating(i32::from(chroma_qp(qp)));
    let (cx, cy, lx, ly) = (x / 2, y / 2, ctx.lx / 2, ctx.ly / 2);
    for (plane, (s, p)) in [(&src.u, &planes.u), (&src.v, &planes.v)].into_iter().enumerate() {
        let rd = match choice {
            LevelChoice::DeadZone | LevelChoice::SkipTest => None,
            LevelChoice::RateDistortion(rates) => Some((&rates.chroma, rdoq::lambda(intra))),
        };
        any |= quantise_block(&s[cy * ss + cx..], ss, &p[ly * ps + lx..], ps, cqp, rounding, rd, !intra, &mut levels.chroma[plane]);
        if any && stop_at_first {
            return true;
        }
    }
    any
}

/// Quantises luma quarter `q` of the macroblock against the prediction in
/// `planes`, as one 8x8 or four 4x4 transforms; returns whether any level
/// is non-zero. `intra` picks the dead zone or the λ (intra blocks keep
/// more of their levels: later frames predict from them).
#[allow(clippy::too_many_arguments)]
fn quantise_luma_quarter(
    ctx: &MbCtx<'_>,
    planes: &TilePlanes,
    q: usize,
    qp: Qp,
    intra: bool,
    choice: LevelChoice<'_>,
    decimate: bool,
    transform_4x4: bool,
    out: &mut [i32; 64],
) -> bool {
    let src = ctx.job.source;
    let (ss, ps) = (src.luma_stride(), planes.luma_stride());
    let (ox, oy) = ((q % 2) * 8, (q / 2) * 8);
    let (x, y) = (ctx.mb_x * MB_SIZE + ox, ctx.mb_y * MB_SIZE + oy);
    let s = &src.y[y * ss + x..];
    let p = &planes.y[(ctx.ly + oy) * ps + ctx.lx + ox..];
    let (rd_8x8, rd_4x4) = match choice {
        LevelChoice::DeadZone | LevelChoice::SkipTest => (None, None),
        LevelChoice::RateDistortion(rates) => {
            let lambda = rdoq::lambda(intra);
            (Some((&rates.luma, lambda)), Some((&rates.luma_4x4, lambda)))
        }
    };
    let rounding = choice.rounding(intra);
    if transform_4x4 {
        quantise_4x4s(s, ss, p, ps, qp, rounding, rd_4x4, decimate, out)
    } else {
        quantise_block(s, ss, p, ps, qp, rounding, rd_8x8, decimate, out)
    }
}

/// The four 4x4 blocks of an 8x8 block: transform, quantise, scan (see
/// `MbLevels` for the layout); decimated as one 8x8 block would be.
#[allow(clippy::too_many_arguments)]
fn quantise_4x4s(
    src: &[u8],
    src_stride: usize,
    pred: &[u8],
    pred_stride: usize,
    qp: Qp,
    rounding: RoundingOffset,
    rd: Option<(&ResidualRates, u64)>,
    decimate: bool,
    out: &mut [i32; 64],
) -> bool {
    for (b, sub) in out.chunks_exact_mut(16).enumerate() {
        let (ox, oy) = ((b % 2) * 4, (b / 2) * 4);
        let s = &src[oy * src_stride + ox..];
        let p = &pred[oy * pred_stride + ox..];
        let Ok(coeffs) = forward_diff_4x4(s, src_stride, p, pred_stride) else {
            sub.fill(0);
            continue;
        };
        if let Some((rates, lambda)) = rd {
            let (multipliers, qbits) = Quantiser::FLAT.forward_4x4(qp);
            let sub: &mut [i32; 16] = sub.try_into().expect("chunks of 16");
            quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_4X4, rates, lambda, sub);
            continue;
        }
        let raster = Quantiser::FLAT.quantise_4x4(&coeffs, qp, rounding);
        for (scan, &pos) in ZIGZAG_4X4.iter().enumerate() {
            sub[scan] = raster[usize::from(pos)];
        }
    }
    keep_or_decimate(out, decimate)
}

/// Whether four 4x4 luma transforms per 8x8 block code this macroblock's
/// prediction (now in `planes`) better than 8x8 ones: luma SSD of the
/// reconstruction + λ·bits, with bits counted exactly on a copy of the
/// tile's models. Leaves the winner's luma levels in `levels` (what the
/// final quantisation would compute: same prediction, same quantiser) and
/// `planes` holding the prediction again (an `Intra8` macroblock's
/// quarters are re-predicted by the reconstruction anyway).
fn choose_luma_transform(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: u8,
    models: &TileModels,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
) -> bool {
    // SSD λ from the SATD one (1/16 units): λ_ssd ≈ 0.85 λ_satd².
    let lambda_satd = f64::from(ctx.lambda) / 16.0;
    let lambda_ssd = 0.85 * lambda_satd * lambda_satd;
    let mut costs = [0f64; 2];
    let mut luma_8x8 = [[0i32; 64]; 4];
    for (cost, transform_4x4) in costs.iter_mut().zip([false, true]) {
        let saved = save_luma(ctx, planes);
        quantise_luma(ctx, planes, mode, qp, choice, levels, false, transform_4x4);
        if !matches!(mode, MbMode::Intra8 { .. }) {
            let ls = planes.luma_stride();
            for (q, block) in levels.luma.iter().enumerate() {
                let (bx, by) = (ctx.lx + (q % 2) * 8, ctx.ly + (q / 2) * 8);
                add_luma_residual(block, qp, transform_4x4, &mut planes.y[by * ls + bx..], ls);
            }
        }
        let ssd = luma_ssd(ctx, planes);
        restore_luma(ctx, planes, &saved);
        // Luma the 8x8 transforms code in a couple of levels leaves the
        // small ones nothing to win: save the second pass.
        let coded: usize = levels.luma.iter().map(|b| b.iter().filter(|&&l| l != 0).count()).sum();
        if !transform_4x4 {
            if coded <= 2 {
                return false;
            }
            luma_8x8 = levels.luma;
        }
        let header = MbHeader { mode: *mode, cbp: coded_block_pattern(levels) & 0x0F, qp, transform_4x4 };
        let mut counter = CostCounter::default();
        let mut scratch = models.clone();
        let _ = code_residual(&mut counter, &mut scratch, &header, levels);
        *cost = ssd as f64 + lambda_ssd * f64::from(counter.cost) / 256.0;
    }
    let use_4x4 = costs[1] < costs[0];
    if !use_4x4 {
        levels.luma = luma_8x8;
    }
    use_4x4
}

/// The macroblock's 16x16 luma in `planes`.
fn save_luma(ctx: &MbCtx<'_>, planes: &TilePlanes) -> [[u8; 16]; 16] {
    let ls = planes.luma_stride();
    core::array::from_fn(|row| {
        let start = (ctx.ly + row) * ls + ctx.lx;
        let mut out = [0u8; 16];
        out.copy_from_slice(&planes.y[start..start + 16]);
        out
    })
}

fn restore_luma(ctx: &MbCtx<'_>, planes: &mut TilePlanes, saved: &[[u8; 16]; 16]) {
    let ls = planes.luma_stride();
    for (row, src) in saved.iter().enumerate() {
        let start = (ctx.ly + row) * ls + ctx.lx;
        planes.y[start..start + 16].copy_from_slice(src);
    }
}

/// Sum of squared differences between the source macroblock's luma and
/// `planes`' reconstruction of it.
fn luma_ssd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u64 {
    let src = ctx.job.source;
    let (ss, ls) = (src.luma_stride(), planes.luma_stride());
    let (x, y) = (ctx.mb_x * MB_SIZE, ctx.mb_y * MB_SIZE);
    (0..16)
        .map(|row| {
            let s = &src.y[(y + row) * ss + x..][..16];
            let r = &planes.y[(ctx.ly + row) * ls + ctx.lx..][..16];
            s.iter().zip(r).map(|(&a, &b)| (i32::from(a) - i32::from(b)).pow(2) as u64).sum::<u64>()
        })
        .sum()
}

/// SATD of luma quarter `q` against the prediction in `planes`.
fn block_satd(ctx: &MbCtx<'_>, planes: &TilePlanes, q: usize) -> u32 {
    let src = ctx.job.source;
    let (ss, ps) = (src.luma_stride(), planes.luma_stride());
    let (ox, oy) = ((q % 2) * 8, (q / 2) * 8);
    let s = &src.y[(ctx.mb_y * MB_SIZE + oy) * ss + ctx.mb_x * MB_SIZE + ox..];
    let p = &planes.y[(ctx.ly + oy) * ps + ctx.lx + ox..];
    satd_8x8(s, ss, p, ps).unwrap_or(u32::MAX / 8)
}

/// One 8x8 block: forward transform, quantise, scan; returns whether any
/// level is non-zero. Inter blocks holding only a few scattered ±1 levels
/// are dropped (x264's "decimation"): they cost more bits than they buy.
#[allow(clippy::too_many_arguments)]
fn quantise_block(
    src: &[u8],
    src_stride: usize,
    pred: &[u8],
    pred_stride: usize,
    qp: Qp,
    rounding: RoundingOffset,
    rd: Option<(&ResidualRates, u64)>,
    decimate: bool,
    out: &mut [i32; 64],
) -> bool {
    let Ok(coeffs) = forward_diff_8x8(src, src_stride, pred, pred_stride) else {
        out.fill(0);
        return false;
    };
    if let Some((rates, lambda)) = rd {
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(qp);
        quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, rates, lambda, out);
        return keep_or_decimate(out, decimate);
    }
    let raster = Quantiser::FLAT.quantise_8x8(&coeffs, qp, rounding);
    for (scan, &pos) in ZIGZAG_8X8.iter().enumerate() {
        out[scan] = raster[usize::from(pos)];
    }
    keep_or_decimate(out, decimate)
}

/// With `decimate`, drops a block whose levels are too few and small to
/// pay for themselves; returns whether any level is left.
fn keep_or_decimate(levels: &mut [i32; 64], decimate: bool) -> bool {
    if decimate && decimation_score(levels) < 6 {
        levels.fill(0);
        return false;
    }
    levels.iter().any(|&l| l != 0)
}

/// x264's decimation score of a block's scanned levels: `u32::MAX` when a
/// level exceeds ±1, else a few points per ±1 level, more the closer it
/// follows the previous one (short runs are cheap to code and matter).
/// Shared with the C-packet refinement.
pub(crate) fn decimation_score(levels: &[i32; 64]) -> u32 {
    const RUN_SCORE: [u32; 16] = [3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let mut score = 0;
    let mut run = 0usize;
    let mut seen = false;
    for &level in levels.iter().rev() {
        if level == 0 {
            run += 1;
            continue;
        }
        if level.unsigned_abs() > 1 {
            return u32::MAX;
        }
        if seen {
            score += RUN_SCORE[run.min(15)];
        }
        seen = true;
        run = 0;
    }
    if seen {
        score += RUN_SCORE[run.min(15)];
    }
    score
}
