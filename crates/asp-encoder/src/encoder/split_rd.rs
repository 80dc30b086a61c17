//! The 16x16 vector against the split one, by exact rate and distortion:
//! the mode decision compares them by SATD and estimated vector bits; where
//! it measured both, the final quantisation codes each (levels by rate and
//! distortion, transform size, chroma) and keeps the one with the lower
//! SSD + λ·bits, bits counted by the tile's coder on copies of its models.

use asp_core::codec::bins::CostCounter;
use asp_core::codec::macroblock::{code_header, code_residual, MbHeader, MbLevels, MbMode, TileMbs, TileModels};
use asp_core::codec::quant::Qp;
use asp_core::codec::recon::{reconstruct_residual, TilePlanes};

use super::quantise::{choose_luma_transform, coded_block_pattern, source_has_sharp_edge, quantise_chroma, quantise_mb, LevelChoice};
use super::skip_rd::{mb_ssd, MbSamples};
use super::tile::MbCtx;

/// How far behind (its SATD cost over the winner's) the losing candidate
/// may be for both to be priced exactly: closer calls are where the
/// estimate errs; wider ones cost CPU (every split search's macroblock
/// quantised twice: +15 % encode time on bigbuckbunny) for no more bits
/// saved (BENCHMARKS.md, session 10).
pub(super) const CLOSE_CALL: f64 = 1.1;

/// A macroblock's levels as they would be coded.
pub(super) struct Quantised {
    pub cbp: u8,
    pub transform_4x4: bool,
}

/// Quantises the residual of `mode`'s prediction (in `planes`) into
/// `levels`, as the tile codes it.
pub(super) fn quantise_mode(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mode: &MbMode,
    qp: Qp,
    models: &TileModels,
    choice: LevelChoice<'_>,
    levels: &mut MbLevels,
) -> Quantised {
    let mut transform_4x4 = false;
    // The trial runs only where a sharp edge can make the 4x4 transform
    // win: elsewhere it costs a second pass for a fraction of a percent.
    if ctx.job.preset.transform_4x4 && source_has_sharp_edge(ctx) {
        // The trial leaves the winner's luma levels: only chroma is left.
        transform_4x4 = choose_luma_transform(ctx, planes, mode, qp, models, choice, levels);
        quantise_chroma(ctx, planes, mode, qp, choice, levels, false);
    } else {
        quantise_mb(ctx, planes, mode, qp, choice, levels, false, false);
    }
    Quantised { cbp: coded_block_pattern(levels), transform_4x4 }
}

/// SSD (luma + chroma) + λ·bits of coding `mode` with `levels`; `planes`
/// hold its prediction, before and after.
#[allow(clippy::too_many_arguments)]
pub(super) fn rd_cost(
    ctx: &MbCtx<'_>,
    planes: &mut TilePlanes,
    mbs: &mut TileMbs,
    models: &TileModels,
    mode: MbMode,
    quantised: &Quantised,
    levels: &mut MbLevels,
    qp: Qp,
    prev_qp: Qp,
) -> f64 {
    let lambda_ssd = super::mode::lambda_ssd(ctx.lambda);
    let cbp = quantised.cbp;
    let mut header = MbHeader {
        mode,
        cbp,
        qp: if cbp == 0 { prev_qp } else { qp },
        transform_4x4: quantised.transform_4x4 && cbp & 0x0F != 0,
    };
    let mut counter = CostCounter::default();
    let mut scratch = models.clone();
    let _ = code_header(&mut counter, &mut scratch.mb, mbs, ctx.job.kind, ctx.mb_x, ctx.mb_y, prev_qp, &mut header);
    let error = if header.cbp != 0 {
        let _ = code_residual(&mut counter, &mut scratch, &header, levels);
        let prediction = MbSamples::save(ctx, planes);
        reconstruct_residual(ctx.kernels, planes, &header, levels, ctx.mb_x, ctx.mb_y);
        let error = mb_ssd(ctx, planes);
        prediction.restore(ctx, planes);
        error
    } else {
        mb_ssd(ctx, planes)
    };
    error as f64 + lambda_ssd * f64::from(counter.cost) / 256.0
}
