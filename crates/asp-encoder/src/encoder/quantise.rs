//! Transform and quantisation of one macroblock's residual: the quantise
//! family (dead zone, rate-distortion, skip test), the choice between 8x8
//! and 4x4 luma transforms, and x264's decimation of blocks not worth
//! their bits.

use asp_core::codec::frame::MB_SIZE;
use asp_core::codec::macroblock::{code_residual, MbHeader, MbLevels, MbMode, TileModels};
use asp_core::codec::bins::CostCounter;
use asp_core::codec::quant::{LargestLevel, Qp, Quantiser, RoundingOffset, ZIGZAG_4X4, ZIGZAG_8X8};
use asp_core::codec::residual::ResidualRates;
use asp_core::codec::recon::{add_luma_residual, chroma_qp, predict_intra8_quarter, TilePlanes};
use asp_core::codec::transform::{forward_diff_4x4, Kernels};

use super::rdoq::{self, quantise_rd};
use super::tile::{MbCtx, MbRates};

/// How quantisation chooses levels: rounding with a dead zone (cheap: the
/// mode decision's trial runs), by rate and distortion against the tile's
/// current prices (what is coded, when the preset asks for it), or, for
/// the early-skip test, rounding down: does any coefficient reach a whole
/// quantiser step?
#[derive(Clone, Copy)]
pub(super) enum LevelChoice<'a> {
    DeadZone,
    RateDistortion(&'a MbRates),
    SkipTest,
}

impl LevelChoice<'_> {
    /// The rounding of the dead-zone and skip-test choices.
    pub fn rounding(self, intra: bool) -> RoundingOffset {
        match (self, intra) {
            (LevelChoice::SkipTest, _) => RoundingOffset::from_q15(0),
            (_, true) => RoundingOffset::INTRA,
            (_, false) => RoundingOffset::INTER,
        }
    }
}

/// The coded-block pattern of quantised levels.
pub(super) fn coded_block_pattern(levels: &MbLevels) -> u8 {
    let coded = |block: &[i32; 64]| block.iter().any(|&l| l != 0);
    let luma = levels.luma.iter().enumerate().map(|(q, b)| u8::from(coded(b)) << q);
    let chroma = levels.chroma.iter().enumerate().map(|(p, b)| u8::from(coded(b)) << (4 + p));
    luma.chain(chroma).fold(0, |cbp, bit| cbp | bit)
}

/// Transforms and quantises the residual of the prediction now in `planes`
/// into `levels` (scan order); returns whether any level is non-zero. With
/// `stop_at_first`, stops at the first coded block (a skip check needs no
/// more). [`LevelChoice::SkipTest`] only answers: a block with a level
/// beyond ±1 leaves its levels unformed (the skip test reads none).
#[allow(clippy::too_many_arguments)]
pub(super) fn quantise_mb(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: Qp,
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
pub(super) fn quantise_luma(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: Qp,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
    stop_at_first: bool,
    transform_4x4: bool,
) -> bool {
    let intra = mode.is_intra();
    let mut any = false;
    let ps = planes.luma_stride();
    let luma_qp = qp;
    if let MbMode::Intra8 { luma, .. } = mode {
        // Each quarter is predicted from the reconstruction of the ones
        // before it, as the decoder will do: quantise and reconstruct in turn.
        for (q, &quarter_mode) in luma.iter().enumerate() {
            predict_intra8_quarter(planes, quarter_mode, ctx.mb_x, ctx.mb_y, q);
            let mut block = [0i32; 64];
            any |= quantise_luma_quarter(ctx, planes, q, luma_qp, true, choice, false, transform_4x4, &mut block);
            let (bx, by) = (ctx.lx + (q % 2) * 8, ctx.ly + (q / 2) * 8);
            add_luma_residual(ctx.kernels, &block, qp, transform_4x4, &mut planes.y[by * ps + bx..], ps);
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
pub(super) fn quantise_chroma(
    ctx: &MbCtx<'_>,
    planes: &TilePlanes,
    mode: &MbMode,
    qp: Qp,
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
    let cqp = chroma_qp(qp);
    let (cx, cy, lx, ly) = (x / 2, y / 2, ctx.lx / 2, ctx.ly / 2);
    for (plane, (s, p)) in [(&src.u, &planes.u), (&src.v, &planes.v)].into_iter().enumerate() {
        let rd = match choice {
            LevelChoice::DeadZone | LevelChoice::SkipTest => None,
            LevelChoice::RateDistortion(rates) => Some((&rates.chroma, rdoq::lambda(intra))),
        };
        let (s, p) = (&s[cy * ss + cx..], &p[ly * ps + lx..]);
        any |= match choice {
            LevelChoice::SkipTest if !intra => skip_test_block(ctx.kernels, s, ss, p, ps, cqp, &mut levels.chroma[plane]),
            _ => quantise_block(ctx.kernels, s, ss, p, ps, cqp, rounding, rd, !intra, &mut levels.chroma[plane]),
        };
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
pub(super) fn quantise_luma_quarter(
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
        quantise_4x4s(ctx.kernels, s, ss, p, ps, qp, rounding, rd_4x4, decimate, out)
    } else if matches!(choice, LevelChoice::SkipTest) && decimate {
        skip_test_block(ctx.kernels, s, ss, p, ps, qp, out)
    } else {
        quantise_block(ctx.kernels, s, ss, p, ps, qp, rounding, rd_8x8, decimate, out)
    }
}

/// The four 4x4 blocks of an 8x8 block: transform, quantise, scan (see
/// `MbLevels` for the layout); decimated as one 8x8 block would be.
#[allow(clippy::too_many_arguments)]
pub(super) fn quantise_4x4s(
    kernels: Kernels,
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
        let raster = Quantiser::FLAT.quantise_4x4_with(kernels.cpu(), &coeffs, qp, rounding);
        for (scan, &pos) in ZIGZAG_4X4.iter().enumerate() {
            sub[scan] = raster[usize::from(pos)];
        }
    }
    keep_or_decimate(out, decimate)
}

/// The least step between neighbouring source samples that makes an edge
/// sharp enough for the 4x4 transform to be tried (see [`has_sharp_edge`]).
pub(super) const SHARP_EDGE_STEP: u8 = 32;

/// Whether the 16x16 luma block at the start of `luma` (rows `stride`
/// apart) steps by at least [`SHARP_EDGE_STEP`] between two horizontally
/// or vertically neighbouring samples: text, lines and window edges, where
/// the 4x4 transform wins (screen content), unlike the soft edges of camera
/// and film pictures, where it rarely wins and its trial costs a second
/// quantisation pass (BENCHMARKS.md, session 12). A block the slice does
/// not hold counts as sharp (the trial decides).
pub(super) fn has_sharp_edge(luma: &[u8], stride: usize) -> bool {
    let Some(block) = luma.get(..(MB_SIZE - 1) * stride + MB_SIZE).filter(|_| stride >= MB_SIZE) else {
        return true;
    };
    // The steepest step per column, over fixed-size rows and without an
    // early exit, so that the loops vectorise.
    let row = |r: usize| -> [u8; MB_SIZE] {
        let mut out = [0; MB_SIZE];
        out.copy_from_slice(&block[r * stride..r * stride + MB_SIZE]);
        out
    };
    let mut steepest = [0u8; MB_SIZE];
    let mut here = row(0);
    for r in 0..MB_SIZE {
        for (step, (&a, &b)) in steepest.iter_mut().zip(here.iter().zip(&here[1..])) {
            *step = (*step).max(a.abs_diff(b));
        }
        if r + 1 < MB_SIZE {
            let below = row(r + 1);
            for (step, (&a, &b)) in steepest.iter_mut().zip(here.iter().zip(&below)) {
                *step = (*step).max(a.abs_diff(b));
            }
            here = below;
        }
    }
    steepest.iter().any(|&step| step >= SHARP_EDGE_STEP)
}

/// [`has_sharp_edge`] of the macroblock's source luma.
pub(super) fn source_has_sharp_edge(ctx: &MbCtx<'_>) -> bool {
    let src = ctx.job.source;
    let ss = src.luma_stride();
    let start = ctx.mb_y * MB_SIZE * ss + ctx.mb_x * MB_SIZE;
    src.y.get(start..).is_none_or(|luma| has_sharp_edge(luma, ss))
}

/// Whether four 4x4 luma transforms per 8x8 block code this macroblock's
/// prediction (now in `planes`) better than 8x8 ones: luma SSD of the
/// reconstruction + λ·bits, with bits counted exactly on a copy of the
/// tile's models. Leaves the winner's luma levels in `levels` (what the
/// final quantisation would compute: same prediction, same quantiser) and
/// `planes` holding the prediction again (an `Intra8` macroblock's
/// quarters are re-predicted by the reconstruction anyway).
pub(super) fn choose_luma_transform(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: Qp,
    models: &TileModels,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
) -> bool {
    let lambda_ssd = super::mode::lambda_ssd(ctx.lambda);
    let mut costs = [0f64; 2];
    let mut luma_8x8 = [[0i32; 64]; 4];
    for (cost, transform_4x4) in costs.iter_mut().zip([false, true]) {
        let saved = save_luma(ctx, planes);
        quantise_luma(ctx, planes, mode, qp, choice, levels, false, transform_4x4);
        if !matches!(mode, MbMode::Intra8 { .. }) {
            let ls = planes.luma_stride();
            for (q, block) in levels.luma.iter().enumerate() {
                let (bx, by) = (ctx.lx + (q % 2) * 8, ctx.ly + (q / 2) * 8);
                add_luma_residual(ctx.kernels, block, qp, transform_4x4, &mut planes.y[by * ls + bx..], ls);
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
pub(super) fn save_luma(ctx: &MbCtx<'_>, planes: &TilePlanes) -> [[u8; 16]; 16] {
    let ls = planes.luma_stride();
    core::array::from_fn(|row| {
        let start = (ctx.ly + row) * ls + ctx.lx;
        let mut out = [0u8; 16];
        out.copy_from_slice(&planes.y[start..start + 16]);
        out
    })
}

pub(super) fn restore_luma(ctx: &MbCtx<'_>, planes: &mut TilePlanes, saved: &[[u8; 16]; 16]) {
    let ls = planes.luma_stride();
    for (row, src) in saved.iter().enumerate() {
        let start = (ctx.ly + row) * ls + ctx.lx;
        planes.y[start..start + 16].copy_from_slice(src);
    }
}

/// Sum of squared differences between the source macroblock's luma and
/// `planes`' reconstruction of it; `u64::MAX` (the worst error, which no
/// choice takes) for a block outside its plane, which the tile never asks.
pub(super) fn luma_ssd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u64 {
    let src = ctx.job.source;
    let (ss, ls) = (src.luma_stride(), planes.luma_stride());
    let (x, y) = (ctx.mb_x * MB_SIZE, ctx.mb_y * MB_SIZE);
    let source = src.y.get(y * ss + x..).unwrap_or_default();
    let reconstruction = planes.y.get(ctx.ly * ls + ctx.lx..).unwrap_or_default();
    ctx.kernels.ssd_16x16(source, ss, reconstruction, ls).map_or(u64::MAX, u64::from)
}

/// One 8x8 block: forward transform, quantise, scan; returns whether any
/// level is non-zero. Inter blocks holding only a few scattered ±1 levels
/// are dropped (x264's "decimation"): they cost more bits than they buy.
#[allow(clippy::too_many_arguments)]
pub(super) fn quantise_block(
    kernels: Kernels,
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
    let mut coeffs = [0i32; 64];
    if kernels.forward_diff_8x8_into(src, src_stride, pred, pred_stride, &mut coeffs).is_err() {
        out.fill(0);
        return false;
    }
    // Most blocks quantise to nothing: asked first, without the levels,
    // and then no scan to build. Rate-distortion quantisation codes
    // nothing exactly where no coefficient reaches half a step (its
    // candidates are the nearest level and below): rounding to nearest.
    let rounding = if rd.is_some() { RoundingOffset::NEAREST } else { rounding };
    if Quantiser::FLAT.largest_level_8x8_with(kernels.cpu(), &coeffs, qp, rounding) == LargestLevel::Zero {
        out.fill(0);
        return false;
    }
    if let Some((rates, lambda)) = rd {
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(qp);
        quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, rates, lambda, out);
        return keep_or_decimate(out, decimate);
    }
    let raster = Quantiser::FLAT.quantise_8x8_with(kernels.cpu(), &coeffs, qp, rounding);
    for (scan, &pos) in ZIGZAG_8X8.iter().enumerate() {
        out[scan] = raster[usize::from(pos)];
    }
    keep_or_decimate(out, decimate)
}

/// [`quantise_block`]'s answer for the early-skip test (rounding down,
/// decimated), with the levels formed only where decimation needs them:
/// a block with a level beyond ±1 is coded whatever its other levels, and
/// `out` is then left as it was (the test reads only the answer).
pub(super) fn skip_test_block(
    kernels: Kernels,
    src: &[u8],
    src_stride: usize,
    pred: &[u8],
    pred_stride: usize,
    qp: Qp,
    out: &mut [i32; 64],
) -> bool {
    let rounding = LevelChoice::SkipTest.rounding(false);
    let mut coeffs = [0i32; 64];
    if kernels.forward_diff_8x8_into(src, src_stride, pred, pred_stride, &mut coeffs).is_err() {
        out.fill(0);
        return false;
    }
    match Quantiser::FLAT.largest_level_8x8_with(kernels.cpu(), &coeffs, qp, rounding) {
        LargestLevel::Zero => {
            out.fill(0);
            false
        }
        LargestLevel::Beyond => true,
        LargestLevel::One => {
            let raster = Quantiser::FLAT.quantise_8x8_with(kernels.cpu(), &coeffs, qp, rounding);
            for (scan, &pos) in ZIGZAG_8X8.iter().enumerate() {
                out[scan] = raster[usize::from(pos)];
            }
            keep_or_decimate(out, true)
        }
    }
}

/// With `decimate`, drops a block whose levels are too few and small to
/// pay for themselves; returns whether any level is left.
pub(super) fn keep_or_decimate(levels: &mut [i32; 64], decimate: bool) -> bool {
    // Most blocks the mode decision quantises are empty, and a level above
    // ±1 always stays: the largest magnitude (one pass that vectorises)
    // settles both before the scoring walk.
    let largest = largest_magnitude(levels);
    if largest == 0 {
        return false;
    }
    if decimate && largest == 1 && decimation_score(levels) < 6 {
        levels.fill(0);
        return false;
    }
    true
}

/// The largest level magnitude of a block, saturated at 2 (all that
/// [`keep_or_decimate`] asks: none, only ±1, or more), in a form that
/// vectorises without SSE4.1's unsigned maximum.
fn largest_magnitude(levels: &[i32; 64]) -> u32 {
    let (any, beyond_one) = levels.iter().fold((0i32, 0i32), |(any, beyond), &l| (any | l, beyond | i32::from(!(-1..=1).contains(&l))));
    match (any, beyond_one) {
        (0, _) => 0,
        (_, 0) => 1,
        _ => 2,
    }
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


#[cfg(test)]
mod tests {
    use super::{has_sharp_edge, keep_or_decimate, quantise_block, quantise_rd, rdoq, skip_test_block, SHARP_EDGE_STEP};
    use asp_core::codec::quant::{scan_8x8, Qp, Quantiser, RoundingOffset, ZIGZAG_8X8};
    use asp_core::codec::residual::ResidualModels;
    use asp_core::codec::transform::Kernels;
    use asp_core::CpuFeatures;

    /// `quantise_block`'s shortcuts (the largest level asked first, the
    /// levels only where one is non-zero) give the levels of the plain
    /// path: transform, quantise, scan, decimate, or rate-distortion
    /// levels, for every twin level this CPU runs.
    #[test]
    fn quantise_block_equals_the_plain_path() {
        let mut rng = asp_testkit::Rng::new(0x0B10_C4ED);
        let rates = ResidualModels::default().rates();
        let stride = 12;
        let mut outcomes = [0usize; 2];
        for n in 0..1500 {
            // Predictions off by a little (mostly empty blocks at these
            // QPs) up to a lot.
            let spread = [1, 3, 6, 12, 40][n % 5];
            let src: Vec<u8> = (0..stride * 8).map(|_| rng.range(60, 190) as u8).collect();
            let pred: Vec<u8> = src.iter().map(|&s| (i32::from(s) + rng.range(-spread, spread)) as u8).collect();
            let qp = Qp::saturating(rng.range(10, 45));
            let rounding = [RoundingOffset::from_q15(0), RoundingOffset::INTER, RoundingOffset::INTRA][n % 3];
            let decimate = n % 2 == 0;
            let coeffs = asp_core::codec::transform::forward_diff_8x8(&src, stride, &pred, stride).unwrap();
            let mut dead_zone = scan_8x8(&Quantiser::FLAT.quantise_8x8(&coeffs, qp, rounding));
            let dead_zone_any = keep_or_decimate(&mut dead_zone, decimate);
            let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(qp);
            let mut rd = [0i32; 64];
            quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, &rates, rdoq::LAMBDA_INTER, &mut rd);
            let rd_any = keep_or_decimate(&mut rd, decimate);
            outcomes[usize::from(dead_zone_any)] += 1;
            for cpu in CpuFeatures::host().levels() {
                let kernels = Kernels::new(cpu);
                let mut out = [9i32; 64];
                let any = quantise_block(kernels, &src, stride, &pred, stride, qp, rounding, None, decimate, &mut out);
                assert_eq!((any, out), (dead_zone_any, dead_zone), "dead zone {cpu} n {n}");
                let mut out = [9i32; 64];
                let skip_rounding = RoundingOffset::from_q15(0);
                let mut expected = [0i32; 64];
                let expected_any = quantise_block(kernels, &src, stride, &pred, stride, qp, skip_rounding, None, true, &mut expected);
                let any = skip_test_block(kernels, &src, stride, &pred, stride, qp, &mut out);
                assert_eq!(any, expected_any, "skip test {cpu} n {n}");
                if out != [9; 64] {
                    assert_eq!(out, expected, "skip test levels, where formed {cpu} n {n}");
                }
                let rd_choice = Some((&rates, rdoq::LAMBDA_INTER));
                let mut out = [9i32; 64];
                let any = quantise_block(kernels, &src, stride, &pred, stride, qp, rounding, rd_choice, decimate, &mut out);
                assert_eq!((any, out), (rd_any, rd), "rate-distortion {cpu} n {n}");
            }
        }
        // Both outcomes, often.
        assert!(outcomes.iter().all(|&count| count > 200), "{outcomes:?}");
    }

    /// A 16x16 block at stride 20, the samples from `sample(x, y)`.
    fn block(sample: impl Fn(usize, usize) -> u8) -> Vec<u8> {
        (0..20 * 16).map(|i| if i % 20 < 16 { sample(i % 20, i / 20) } else { 0 }).collect()
    }

    #[test]
    fn sharp_edge_is_one_step_of_the_threshold_between_neighbours() {
        let step = SHARP_EDGE_STEP;
        // A flat block and ramps of steps just under the threshold: soft.
        assert!(!has_sharp_edge(&block(|_, _| 128), 20));
        assert!(!has_sharp_edge(&block(|x, _| x.min(7) as u8 * (step - 1)), 20));
        assert!(!has_sharp_edge(&block(|_, y| 255 - y.min(7) as u8 * (step - 1)), 20));
        // One step of the threshold, across (at the last columns) or down
        // (at the last rows), anywhere in the block: sharp.
        assert!(has_sharp_edge(&block(|x, _| if x == 15 { 100 + step } else { 100 }), 20));
        assert!(has_sharp_edge(&block(|_, y| if y == 15 { 100 - step } else { 100 }), 20));
        assert!(has_sharp_edge(&block(|x, y| if (x, y) == (7, 9) { 255 } else { 255 - step }), 20));
        // Samples beyond column 16 (the next macroblock) do not count.
        let mut beyond = block(|_, _| 0);
        beyond[16] = 255;
        assert!(!has_sharp_edge(&beyond, 20));
        // A slice too short for the block, or a stride under its width:
        // sharp (the trial decides).
        assert!(has_sharp_edge(&[0; 100], 20));
        assert!(has_sharp_edge(&[0; 400], 8));
    }
}
