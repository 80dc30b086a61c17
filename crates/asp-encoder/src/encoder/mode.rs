//! The mode decision of one macroblock: SATD + λ·bits over the candidates
//! the preset allows, in three families: inter (`inter_candidates`: early
//! skip, the searched and sub-pel refined 16x16 vector, split vectors),
//! intra (`intra_candidates` for 16x16 modes, `intra8_candidate` per 8x8
//! quarter) and pattern fills (`fill_candidate`: solid, gradient).

use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::intra::{self, fit_gradient_linear, fit_solid, IntraMode, Neighbours, Pattern};
use asp_core::codec::macroblock::{FrameKind, MbLevels, MbMode, TileMbs};
use asp_core::codec::mv::{FullPelMv, QpelMv};
use asp_core::codec::quant::Qp;
use asp_core::codec::recon::{add_luma_residual, predict_inter_chroma, predict_intra8_quarter, Predictor, TilePlanes};
use asp_core::codec::PlaneRef;
use asp_core::schema::MotionVector;

use crate::motion::global::MAX_DOMINANT;
use crate::motion::{mvd_bits, MotionError, MotionEstimator, MvCost, SearchScratch, SubpelPrecision};

use super::skip_rd::mb_ssd;
use super::quantise::{quantise_luma_quarter, quantise_mb, restore_luma, save_luma, LevelChoice};
use super::tile::MbCtx;

/// Bits added to intra candidates' estimates in delta frames (see
/// `decide_mode`).
pub(super) const INTRA_IN_INTER_BIAS_BITS: u32 = 16;

/// Rate-distortion trade-off in the SATD domain: the cost of one bit in
/// 1/16 SATD units, x264's shape, doubling every 6 QP: 1.5·2^((qp - 12) /
/// 6). The factor 1.5 saves the most bits on film and test content with
/// rate-distortion quantisation (BENCHMARKS.md, encoder tuning).
pub(super) fn lambda(qp: Qp) -> u32 {
    let q = i32::from(qp.get()) - 12;
    let base = 24.0f64 * 2f64.powf(f64::from(q) / 6.0);
    (base.round() as u32).max(1)
}

/// The rate-distortion trade-off for decisions measured in SSD (the
/// reconstruction's squared error) rather than SATD: λ_ssd ≈ 0.85·λ_satd²,
/// from [`lambda`] (1/16 SATD units). Used by every exact trial: the
/// transform size, the skip, the 16x16-or-split call.
pub(super) fn lambda_ssd(lambda: u32) -> f64 {
    let lambda_satd = f64::from(lambda) / 16.0;
    0.85 * lambda_satd * lambda_satd
}

/// The cost of `bits` bits in SATD units.
pub(super) fn bit_cost(lambda: u32, bits: u32) -> u32 {
    (lambda * bits + 8) >> 4
}

/// The prediction of the best inter candidate so far, kept so that the
/// macroblock need not be motion-compensated again after the intra trials
/// have overwritten `planes`.
#[derive(Default)]
pub(super) struct SavedPrediction {
    mode: Option<MbMode>,
    /// The squared error (luma + chroma) of the skip's prediction, when
    /// the early-skip test measured it and found residual to code: the
    /// final check against the coded mode (`skip_rd`) reads it here.
    pub skip_error: Option<u64>,
    /// The inter candidate the chosen one beat (16x16 or split), when both
    /// were measured: the final quantisation may price both exactly.
    pub alternative: Option<(MbMode, f64)>,
    luma: [[u8; 16]; 16],
    chroma: [[[u8; 8]; 8]; 2],
}

impl SavedPrediction {
    /// Keeps the prediction of `mode` now in `planes`.
    pub fn keep(&mut self, ctx: &MbCtx<'_>, planes: &TilePlanes, mode: MbMode) {
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
    pub fn restore(&self, ctx: &MbCtx<'_>, planes: &mut TilePlanes, mode: &MbMode) -> bool {
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

/// Chooses the macroblock's mode by SATD + λ·bits over the candidates the
/// preset allows. A skip is only ever chosen by the early-skip check, which
/// returns at once with the skip prediction in `planes` (the caller relies
/// on that). Returns the mode and the luma SAD-like distortion of the
/// chosen inter vector (for side data; 0 for intra, and for a skip when
/// there is no side data).
pub(super) fn decide_mode(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mbs: &TileMbs,
    predictor: &mut Predictor,
    scratch: &mut SearchScratch,
    qp: Qp,
    saved: &mut SavedPrediction,
) -> (MbMode, u32) {
    let job = ctx.job;
    saved.mode = None;
    saved.skip_error = None;
    saved.alternative = None;
    // The DC intra mode is always possible; it is the fallback.
    let mut best = (MbMode::Intra { luma: IntraMode::Dc, chroma: IntraMode::Dc }, u32::MAX);
    let mut best_sad = 0;

    if let (FrameKind::Inter, Some(reference), false) = (job.kind, job.reference, ctx.refresh_intra) {
        let search = InterSearch { mbs, predictor: &mut *predictor, scratch, reference };
        if let Some(satd) = inter_candidates(ctx, planes, search, qp, saved, &mut best, &mut best_sad) {
            return (MbMode::Skip, satd);
        }
        if !job.preset.intra_in_inter {
            return (best.0, best_sad);
        }
    }

    // In delta frames an intra mode pays its flag and a bias: at equal
    // SATD an intra residual costs more bits than an inter one (and the
    // neighbours' vectors predict worse), which the estimate misses.
    // 16 bits measured best (BENCHMARKS.md, encoder tuning).
    let intra_flag_bits = if job.kind == FrameKind::Inter { 2 + INTRA_IN_INTER_BIAS_BITS } else { 0 };
    // A 16x16 intra mode costs at least its bits, a fill more: where the
    // inter cost is already that low, neither can win (and the per-quarter
    // modes are tried only after a 16x16 one wins), so no trial runs.
    if job.kind == FrameKind::Inter && best.1 <= bit_cost(ctx.lambda, 3 + intra_flag_bits) {
        return (best.0, best_sad);
    }
    intra_candidates(ctx, planes, predictor, intra_flag_bits, &mut best);
    if job.preset.intra8 && (job.kind == FrameKind::Intra || best.0.is_intra()) {
        intra8_candidate(ctx, planes, qp, intra_flag_bits, &mut best);
    }
    if job.preset.patterns {
        fill_candidate(ctx, planes, predictor, intra_flag_bits, &mut best);
    }
    (best.0, if best.0.is_intra() { 0 } else { best_sad })
}

/// What the inter search reads and reuses: the tile's syntax state (for
/// predicted vectors and neighbours' vectors), the predictor and search
/// scratch, and the reference frame.
struct InterSearch<'a> {
    mbs: &'a TileMbs,
    predictor: &'a mut Predictor,
    scratch: &'a mut SearchScratch,
    reference: &'a Frame,
}

/// The inter candidates: the early skip (returns its luma SATD when
/// quantisation would code nothing), then the searched 16x16 vector and the
/// split one, each taken into `best` (mode, cost) when cheaper, with its
/// prediction kept in `saved` and its SAD in `best_sad`.
fn inter_candidates(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    search: InterSearch<'_>,
    qp: Qp,
    saved: &mut SavedPrediction,
    best: &mut (MbMode, u32),
    best_sad: &mut u32,
) -> Option<u32> {
    let job = ctx.job;
    let InterSearch { mbs, predictor, scratch, reference } = search;
    let pred_mv = mbs.predict_mv(ctx.mb_x, ctx.mb_y, 0, true, &[QpelMv::ZERO; 4]);
    // Early skip: the predicted vector with no residual is what the
    // decoder would show; take it when quantisation would code nothing.
    // The test only reads `planes`: its prediction stays there.
    let skip_predicted = ctx.allows(pred_mv);
    if skip_predicted {
        predict_inter(ctx, predictor, planes, reference, &[pred_mv; 4], false);
        // With rate-distortion quantisation behind it (which drops most
        // levels under a step anyway), rounding down: a macroblock whose
        // residual has no coefficient of a whole step is a skip: much less
        // CPU for a few tenths of a percent of bits. Without it
        // (ultrafast) rounding down costs more bits than it saves time, so
        // the dead zone stays (BENCHMARKS.md, encoder tuning).
        let test = if job.preset.rdoq { LevelChoice::SkipTest } else { LevelChoice::DeadZone };
        let mut levels = MbLevels::default();
        if !quantise_mb(ctx, planes, &MbMode::Skip, qp, test, &mut levels, true, false) {
            // The distortion is read only as side data.
            return Some(if job.side_data { luma_satd(ctx, planes) } else { 0 });
        }
        if job.preset.rdoq {
            saved.skip_error = Some(mb_ssd(ctx, planes));
        }
    }
    // Otherwise skip does not compete on SATD: its residual would stay
    // uncoded. A coded 16x16 vector equal to the prediction with nothing
    // to code becomes a skip after quantisation.

    // Motion search from the predicted vector and zero.
    let current = job.source.luma();
    let refp = reference.luma();
    // Start points: the predicted vector, the left and top neighbours'
    // vectors (coherent motion keeps vector differences cheap), zero, and
    // the previous frame's vectors here and right and below (motion goes
    // on: they know a large motion where no coded neighbour does yet, at a
    // tile's or the frame's top-left, and -1.2 % on bigbuckbunny).
    let (x, y) = (ctx.mb_x as isize, ctx.mb_y as isize);
    let neighbour = |dx: isize, dy: isize| mbs.get(x + dx, y + dy).filter(|i| !i.intra).map(|i| i.mvs[0].to_full_pel_round());
    let (cols, rows) = (job.source.mb_cols(), job.source.mb_rows());
    let previous = |dx: usize, dy: usize| {
        let (px, py) = (ctx.mb_x + dx, ctx.mb_y + dy);
        let info = if px < cols && py < rows { job.previous.get(py * cols + px) } else { None };
        info.filter(|i| !i.intra).map(|i| i.mvs[0].to_full_pel_round())
    };
    // Then the frame's dominant motion: where the picture moves far and
    // differently from the last frame, no neighbour knows it at a tile's
    // first blocks (-34 % on the shaking pan; BENCHMARKS.md).
    let mut starts = [FullPelMv::ZERO; 8 + MAX_DOMINANT];
    starts[0] = pred_mv.to_full_pel_round();
    let mut count = 2;
    let spatial = [neighbour(-1, 0), neighbour(0, -1)];
    let temporal = [previous(0, 0), previous(1, 0), previous(0, 1)];
    let dominant = job.dominant.vectors().iter().copied().map(Some);
    // And the vector of the probe nearest the macroblock: the motion of
    // its part of the picture where several things move.
    let centre = (ctx.mb_x * MB_SIZE + MB_SIZE / 2, ctx.mb_y * MB_SIZE + MB_SIZE / 2);
    let near = job.dominant.near(centre, (job.source.width(), job.source.height()));
    for candidate in spatial.into_iter().chain(temporal).chain(dominant).chain([near]).flatten() {
        if !starts[..count].contains(&candidate) {
            starts[count] = candidate;
            count += 1;
        }
    }
    let estimator = job.estimator;
    // The sub-pel refinement weighs the vector's bits (λ·R, x264's
    // cost); the whole-sample search does not: on screen content a rate
    // term there (even at λ/4) kept the search off exact matches, while
    // the sub-pel term alone saves bits (BENCHMARKS.md, encoder tuning).
    let mv_cost = MvCost { pred: pred_mv, lambda: ctx.lambda };
    if let Ok(found) = estimator.search_block(current, refp, ctx.mb_x, ctx.mb_y, &starts[..count], scratch) {
        let integer = FullPelMv::new(found.dx(), found.dy());
        let refined = if job.preset.subpel == SubpelPrecision::Integer {
            Ok(qpel_vector(integer, found.sad()))
        } else {
            refine(ctx, estimator, reference, (ctx.mb_x, ctx.mb_y), integer, mv_cost, scratch)
        };
        if let Ok(v) = refined {
            let mut mv = QpelMv::new(v.dx(), v.dy());
            if let Some(refresh) = &job.refresh {
                mv = refresh.constrain(ctx.mb_x, mv);
            }
            // A searched vector equal to the predicted one has its
            // prediction in `planes` already, from the skip test.
            if !(skip_predicted && mv == pred_mv) {
                predict_inter(ctx, predictor, planes, reference, &[mv; 4], false);
            }
            let bits = mvd_bits(i32::from(mv.x) - i32::from(pred_mv.x)) + mvd_bits(i32::from(mv.y) - i32::from(pred_mv.y)) + 2;
            let quarters = quarter_satds(ctx, planes);
            let cost = quarters.iter().sum::<u32>() + bit_cost(ctx.lambda, bits);
            *best_sad = v.sad();
            if cost < best.1 {
                *best = (MbMode::Inter16(mv), cost);
                saved.keep(ctx, planes, best.0);
            }
            if let Some(split) = split_candidate(ctx, planes, mbs, predictor, scratch, reference, mv, &quarters) {
                // The loser and how far behind it is (its SATD cost over the winner's).
                let (lost, won) = if split.1 < best.1 { ((MbMode::Inter16(mv), best.1), split.1) } else { (split, best.1) };
                saved.alternative = Some((lost.0, f64::from(lost.1) / f64::from(won.max(1))));
                if split.1 < best.1 {
                    *best = split;
                    saved.keep(ctx, planes, best.0);
                }
            }
        }
    }
    None
}

/// The spatial 16x16 intra modes (luma by SATD + λ·bits, with
/// `intra_flag_bits` on top; then the chroma mode for the best luma one),
/// taken into `best` when cheaper.
fn intra_candidates(ctx: &MbCtx<'_>, planes: &mut TilePlanes, predictor: &mut Predictor, intra_flag_bits: u32, best: &mut (MbMode, u32)) {
    let (has_top, has_left) = (ctx.ly > 0, ctx.lx > 0);
    // The luma trials predict into a block of their own from neighbours
    // gathered once (the decoder's `intra::predict`), leaving chroma alone.
    let ls = planes.luma_stride();
    let Ok(plane) = PlaneRef::new(&planes.y, ls, planes.y.len() / ls.max(1), ls) else {
        return;
    };
    let neighbours = Neighbours::<16>::gather(&plane, ctx.lx, ctx.ly, true, true);
    let mut block = [[0u8; 16]; 16];
    for luma in [IntraMode::Dc, IntraMode::Vertical, IntraMode::Horizontal, IntraMode::Planar] {
        if !luma.is_available(has_top, has_left) {
            continue;
        }
        intra::predict(luma, &neighbours, &mut block);
        let cost = block_luma_satd(ctx, &block) + bit_cost(ctx.lambda, 3 + intra_flag_bits);
        if cost < best.1 {
            *best = (MbMode::Intra { luma, chroma: IntraMode::Dc }, cost);
        }
    }
    // Chroma mode for the best spatial luma mode.
    if let (MbMode::Intra { luma, .. }, _) = *best {
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
}

/// Intra per 8x8 quarter: textured blocks predict better from close by.
/// In delta frames only where intra already beats inter (it costs a
/// transform per quarter to evaluate).
fn intra8_candidate(ctx: &MbCtx<'_>, planes: &mut TilePlanes, qp: Qp, intra_flag_bits: u32, best: &mut (MbMode, u32)) {
    let mut luma = [IntraMode::Dc; 4];
    let mut cost = bit_cost(ctx.lambda, 1 + intra_flag_bits);
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
        quantise_luma_quarter(ctx, planes, q, qp, true, LevelChoice::DeadZone, false, false, &mut levels);
        let ls = planes.luma_stride();
        add_luma_residual(ctx.kernels, &levels, qp, false, &mut planes.y[by * ls + bx..], ls);
    }
    if cost < best.1 {
        let chroma = match best.0 {
            MbMode::Intra { chroma, .. } => chroma,
            _ => IntraMode::Dc,
        };
        *best = (MbMode::Intra8 { luma, chroma }, cost);
    }
}

/// Procedural patterns: flat and gradient blocks. In delta frames only
/// flat fills: they pay on screen content (newly exposed flat areas),
/// while gradient fills chosen on their SATD estimate cost film content
/// bits (BENCHMARKS.md, encoder tuning).
fn fill_candidate(ctx: &MbCtx<'_>, planes: &mut TilePlanes, predictor: &mut Predictor, intra_flag_bits: u32, best: &mut (MbMode, u32)) {
    let job = ctx.job;
    let must_be_intra = job.kind == FrameKind::Intra || ctx.refresh_intra;
    if let Some(mode) = pattern_candidate(ctx, must_be_intra) {
        predictor.predict(planes, &mode, &Default::default(), ctx.mb_x, ctx.mb_y, None);
        let cost = luma_satd(ctx, planes) + bit_cost(ctx.lambda, 12 + intra_flag_bits);
        if cost < best.1 {
            *best = (mode, cost);
        }
    }
}

/// The whole-sample search result `integer` as the quarter-pel vector
/// [`refine`] returns, for presets that do not refine.
fn qpel_vector(integer: FullPelMv, sad: u32) -> MotionVector {
    let mv = QpelMv::from_full_pel(integer);
    MotionVector::new(0, 0, mv.x, mv.y, sad)
}

/// Sub-pel refinement of block `block` (in the estimator's block size)
/// from whole-sample vector `integer`, on the frame's interpolated
/// reference when there is one.
pub(super) fn refine(
    ctx: &MbCtx<'_>,
    estimator: &MotionEstimator,
    reference: &Frame,
    (block_x, block_y): (usize, usize),
    integer: FullPelMv,
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
pub(super) fn predict_inter(ctx: &MbCtx<'_>, predictor: &mut Predictor, planes: &mut TilePlanes, reference: &Frame, mvs: &[QpelMv; 4], split: bool) {
    if let Some(halfpel) = ctx.job.halfpel {
        let ls = planes.luma_stride();
        let size = if split { 8 } else { 16 };
        let mut parts = if split { 4 } else { 1 };
        for (q, mv) in mvs.iter().enumerate().take(parts) {
            let (ox, oy) = ((q % 2) * 8, (q / 2) * 8);
            let (x_qpel, y_qpel) = mv.qpel_position(ctx.mb_x * MB_SIZE + ox, ctx.mb_y * MB_SIZE + oy);
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

/// The least gap, in bits at the macroblock's λ, between the SATDs of the
/// worst- and the best-predicted quarters of the 16x16 vector for the
/// split search to run (BENCHMARKS.md, session 12: BD-rate within
/// ±0.4 % of none on the four quick clips, about 10 % fewer instructions;
/// 16 bits saves 4 %, 32 bits costs 0.5 % on screen content).
const SPLIT_GAP_BITS: u32 = 24;

/// Per-quarter vectors, searched from the macroblock's vector `mv16`, and
/// their cost, when the 16x16 prediction leaves enough error (its
/// `quarters`' SATDs), unevenly spread, for a split to pay for three more
/// vectors.
#[allow(clippy::too_many_arguments)]
pub(super) fn split_candidate(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mbs: &TileMbs,
    predictor: &mut Predictor,
    scratch: &mut SearchScratch,
    reference: &Frame,
    mv16: QpelMv,
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
    // well (the worst under 1.5x the best): one vector fits them all,
    // and skipping the split search there saves CPU for almost no bits.
    let (best, worst) = (quarters.iter().min().copied().unwrap_or(0), quarters.iter().max().copied().unwrap_or(0));
    if 2 * worst < 3 * best.max(1) {
        return None;
    }
    // Nor where the worst quarter is worse than the best by less than a
    // few vectors' bits: what a split can win is about that gap, and
    // under it a split seldom wins (bigbuckbunny, QP 30: a gap under ~17
    // bits held a third of the split searches and 3 of the 530 splits
    // chosen, under ~33 bits 82 % of the searches and 13 % of the splits).
    if worst - best < bit_cost(ctx.lambda, SPLIT_GAP_BITS) {
        return None;
    }
    let current = ctx.job.source.luma();
    let refp = reference.luma();
    let mut mvs = [mv16; 4];
    for (q, slot) in mvs.iter_mut().enumerate() {
        let (bx, by) = (ctx.mb_x * 2 + q % 2, ctx.mb_y * 2 + q / 2);
        let starts = [mv16.to_full_pel_round(), FullPelMv::ZERO];
        let found = estimator.search_block(current, refp, bx, by, &starts, scratch).ok()?;
        let integer = FullPelMv::new(found.dx(), found.dy());
        let v = if ctx.job.preset.subpel == SubpelPrecision::Integer {
            qpel_vector(integer, found.sad())
        } else {
            refine(ctx, estimator, reference, (bx, by), integer, MvCost::NONE, scratch).ok()?
        };
        let mut mv = QpelMv::new(v.dx(), v.dy());
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
pub(super) fn pattern_candidate(ctx: &MbCtx<'_>, gradients: bool) -> Option<MbMode> {
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
pub(super) fn plane_fit_floor(luma: &[u8], stride: usize, solid_sse: u64) -> u64 {
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

/// SATD of the source macroblock's luma against the prediction `block`.
fn block_luma_satd(ctx: &MbCtx<'_>, block: &[[u8; 16]; 16]) -> u32 {
    let src = ctx.job.source;
    let ss = src.luma_stride();
    let flat = block.as_flattened();
    (0..4)
        .map(|q| {
            let (ox, oy) = ((q % 2) * 8, (q / 2) * 8);
            let s = &src.y[(ctx.mb_y * MB_SIZE + oy) * ss + ctx.mb_x * MB_SIZE + ox..];
            ctx.kernels.satd_8x8(s, ss, &flat[oy * 16 + ox..], 16).unwrap_or(u32::MAX / 8)
        })
        .sum()
}

pub(super) fn luma_satd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u32 {
    quarter_satds(ctx, planes).iter().sum()
}

/// SATD of each luma 8x8 quarter against the prediction in `planes`.
pub(super) fn quarter_satds(ctx: &MbCtx<'_>, planes: &TilePlanes) -> [u32; 4] {
    core::array::from_fn(|q| block_satd(ctx, planes, q))
}

pub(super) fn chroma_satd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u32 {
    let src = ctx.job.source;
    let (x, y) = (ctx.mb_x * MB_SIZE / 2, ctx.mb_y * MB_SIZE / 2);
    let (ss, ps) = (src.chroma_stride(), planes.chroma_stride());
    let (lx, ly) = (ctx.lx / 2, ctx.ly / 2);
    let u = ctx.kernels.satd_8x8(&src.u[y * ss + x..], ss, &planes.u[ly * ps + lx..], ps).unwrap_or(u32::MAX / 4);
    let v = ctx.kernels.satd_8x8(&src.v[y * ss + x..], ss, &planes.v[ly * ps + lx..], ps).unwrap_or(u32::MAX / 4);
    u + v
}

/// SATD of luma quarter `q` against the prediction in `planes`.
pub(super) fn block_satd(ctx: &MbCtx<'_>, planes: &TilePlanes, q: usize) -> u32 {
    let src = ctx.job.source;
    let (ss, ps) = (src.luma_stride(), planes.luma_stride());
    let (ox, oy) = ((q % 2) * 8, (q / 2) * 8);
    let s = &src.y[(ctx.mb_y * MB_SIZE + oy) * ss + ctx.mb_x * MB_SIZE + ox..];
    let p = &planes.y[(ctx.ly + oy) * ps + ctx.lx + ox..];
    ctx.kernels.satd_8x8(s, ss, p, ps).unwrap_or(u32::MAX / 8)
}
