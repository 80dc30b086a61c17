//! The last word on a delta frame's coded inter macroblock: is a skip
//! cheaper after all? The mode decision only skips where quantisation
//! would code nothing (the early-skip test); a macroblock that fails that
//! test by a single coefficient, or whose search wandered a quarter sample
//! off the predicted vector, pays its header, vector and residual for a
//! picture hardly better than the skip's. Here both are priced by luma
//! and chroma SSD + λ·bits, the bits counted exactly by the tile's coder
//! on copies of its models.

use asp_core::codec::bins::CostCounter;
use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::macroblock::{code_header, code_residual, MbHeader, MbLevels, MbMode, TileMbs, TileModels};
use asp_core::codec::mv::QpelMv;
use asp_core::codec::quant::Qp;
use asp_core::codec::recon::{reconstruct_residual, Predictor, TilePlanes};

use super::mode::predict_inter;
use super::quantise::luma_ssd;
use super::tile::MbCtx;

/// The samples of one macroblock (luma, then both chroma planes).
pub(super) struct MbSamples {
    luma: [[u8; 16]; 16],
    chroma: [[[u8; 8]; 8]; 2],
}

impl MbSamples {
    pub(super) fn save(ctx: &MbCtx<'_>, planes: &TilePlanes) -> MbSamples {
        let (ls, cs) = (planes.luma_stride(), planes.chroma_stride());
        let luma = core::array::from_fn(|row| {
            let start = (ctx.ly + row) * ls + ctx.lx;
            planes.y[start..start + 16].try_into().expect("16 samples")
        });
        let chroma = [&planes.u, &planes.v].map(|plane| {
            core::array::from_fn(|row| {
                let start = (ctx.ly / 2 + row) * cs + ctx.lx / 2;
                plane[start..start + 8].try_into().expect("8 samples")
            })
        });
        MbSamples { luma, chroma }
    }

    pub(super) fn restore(&self, ctx: &MbCtx<'_>, planes: &mut TilePlanes) {
        let (ls, cs) = (planes.luma_stride(), planes.chroma_stride());
        for (row, src) in self.luma.iter().enumerate() {
            let start = (ctx.ly + row) * ls + ctx.lx;
            planes.y[start..start + 16].copy_from_slice(src);
        }
        for (saved, plane) in self.chroma.iter().zip([&mut planes.u, &mut planes.v]) {
            for (row, src) in saved.iter().enumerate() {
                let start = (ctx.ly / 2 + row) * cs + ctx.lx / 2;
                plane[start..start + 8].copy_from_slice(src);
            }
        }
    }
}

/// Squared error of the macroblock in `planes` against the source, luma
/// and chroma together.
pub(super) fn mb_ssd(ctx: &MbCtx<'_>, planes: &TilePlanes) -> u64 {
    let src = ctx.job.source;
    let (x, y) = (ctx.mb_x * MB_SIZE, ctx.mb_y * MB_SIZE);
    let (cs, ps) = (src.chroma_stride(), planes.chroma_stride());
    let chroma = [(&src.u, &planes.u), (&src.v, &planes.v)].map(|(s, p)| {
        let source = s.get((y / 2) * cs + x / 2..).unwrap_or_default();
        let reconstruction = p.get((ctx.ly / 2) * ps + ctx.lx / 2..).unwrap_or_default();
        // A block outside its plane (never: the tile holds it) counts as
        // the worst error, which no choice takes.
        ctx.kernels.ssd_8x8(source, cs, reconstruction, ps).map_or(u64::MAX, u64::from)
    });
    // Chroma's error counts as luma's: a skip that leaves a colour edge
    // smeared is no cheaper for a viewer.
    luma_ssd(ctx, planes).saturating_add(chroma[0]).saturating_add(chroma[1])
}

/// What the check reads besides the macroblock's context.
pub(super) struct SkipCheck<'a> {
    pub mbs: &'a mut TileMbs,
    pub models: &'a TileModels,
    pub predictor: &'a mut Predictor,
    pub reference: &'a Frame,
    /// The QP of the macroblock before this one (the header codes a change).
    pub prev_qp: Qp,
    /// The vector a skip would take.
    pub pred_mv: QpelMv,
    /// The skip prediction's squared error ([`mb_ssd`]), as the early-skip
    /// test measured it.
    pub skip_error: u64,
}

/// Whether the skip costs less than coding `header` with `levels` (an
/// inter mode; its prediction in `planes`, its residual not yet added).
/// On true, `planes` hold the skip's prediction; on false, the coded
/// mode's prediction still. `mbs` gets a provisional entry for the
/// macroblock, which coding it for real overwrites.
pub(super) fn skip_is_cheaper(ctx: &MbCtx<'_>, planes: &mut TilePlanes, check: SkipCheck<'_>, header: &MbHeader, levels: &mut MbLevels) -> bool {
    let SkipCheck { mbs, models, predictor, reference, prev_qp, pred_mv, skip_error } = check;
    if !ctx.allows(pred_mv) {
        return false;
    }
    let lambda_ssd = super::mode::lambda_ssd(ctx.lambda);
    let kind = ctx.job.kind;

    // The skip: the predicted vector, no residual.
    let mut counter = CostCounter::default();
    let mut scratch = models.mb.clone();
    let mut skip_header = MbHeader { mode: MbMode::Skip, cbp: 0, qp: prev_qp, transform_4x4: false };
    let _ = code_header(&mut counter, &mut scratch, mbs, kind, ctx.mb_x, ctx.mb_y, prev_qp, &mut skip_header);
    let skip_cost = skip_error as f64 + lambda_ssd * f64::from(counter.cost) / 256.0;

    // The coded mode: its header's exact bits and its prediction's error.
    // Where the skip costs more than that already, the coded mode wins:
    // rate-distortion quantisation kept its residual only where the
    // residual paid for its bits.
    let mut counter = CostCounter::default();
    let mut scratch = models.clone();
    let mut coded_header = *header;
    let _ = code_header(&mut counter, &mut scratch.mb, mbs, kind, ctx.mb_x, ctx.mb_y, prev_qp, &mut coded_header);
    let header_bits = lambda_ssd * f64::from(counter.cost) / 256.0;
    if skip_cost >= mb_ssd(ctx, planes) as f64 + header_bits {
        return false;
    }
    // Then its residual's exact bits and its reconstruction's error.
    let skip_wins = coded_header.cbp == 0 || {
        let _ = code_residual(&mut counter, &mut scratch, &coded_header, levels);
        let coded_bits = lambda_ssd * f64::from(counter.cost) / 256.0;
        skip_cost < coded_bits || {
            let prediction = MbSamples::save(ctx, planes);
            reconstruct_residual(ctx.kernels, planes, &coded_header, levels, ctx.mb_x, ctx.mb_y);
            let coded_error = mb_ssd(ctx, planes);
            prediction.restore(ctx, planes);
            skip_cost < coded_error as f64 + coded_bits
        }
    };
    if skip_wins {
        predict_inter(ctx, predictor, planes, reference, &[pred_mv; 4], false);
    }
    skip_wins
}
