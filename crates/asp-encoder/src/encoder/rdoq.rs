//! Rate-distortion optimised quantisation: choosing each block's levels by
//! distortion + λ·bits with the entropy coder's current prices, instead of
//! rounding every coefficient with a fixed dead zone.
//!
//! A coefficient `c` is `u = |c|·MF / 2^qbits` quantiser steps (the forward
//! multipliers make this the orthonormal coefficient over the step, so a
//! level `l` costs `(u - l)²` steps² of pixel-domain squared error,
//! whatever the position or transform size). For each position the
//! candidates are the nearest level, one less, and zero for small levels;
//! the choice is made in reverse scan order, the order the magnitudes are
//! coded in, so each level is priced in its actual magnitude context. A
//! running sum chooses where the block ends (dropping trailing levels
//! saves their significance flags) or whether it is coded at all (HM's
//! RDOQ, simplified).
//!
//! The decoder is untouched: any levels are valid, only their choice
//! changes.

use asp_core::codec::residual::{MagnitudeContext, ResidualRates, MAX_LEVEL};
use asp_core::CpuFeatures;

/// λ in the units of [`quantise_rd`]'s cost: distortion in 1/65536
/// step², rate in 1/256 bit, at every QP. The encoder's own λ (`λ_ssd =
/// 0.85·λ_satd²`, `λ_satd = 2^((qp-12)/6)`) over H.264's step squared
/// (`0.625·2^(qp/6)`) would be 0.136 step² per bit (35 here) for both.
/// Measured better: intra 35 and inter 100 (BENCHMARKS.md, encoder
/// tuning, with the values tried nearby). Intra blocks are what later
/// frames predict from, so they are worth more bits; an inter residual,
/// less (x264's dead zones lean the same way).
pub(crate) const LAMBDA_INTRA: u64 = 35;
pub(crate) const LAMBDA_INTER: u64 = 100;

/// The λ for a block of an intra or an inter macroblock.
pub(crate) fn lambda(intra: bool) -> u64 {
    if intra {
        LAMBDA_INTRA
    } else {
        LAMBDA_INTER
    }
}

/// Levels of one block of `N` coefficients (raster order, as the forward
/// transform gives them) into `out` in scan order; returns whether any
/// level is non-zero. `multipliers` and `qbits` are the quantiser's
/// forward tables for the block's QP, `rates` the prices of the block's
/// models.
pub(crate) fn quantise_rd<const N: usize>(
    coeffs: &[i32; N],
    multipliers: &[u32; N],
    qbits: u32,
    scan: &[u8; N],
    rates: &ResidualRates,
    lambda: u64,
    out: &mut [i32; N],
) -> bool {
    let mut raster = [0u32; N];
    step_magnitudes(coeffs, multipliers, qbits.saturating_sub(8), &mut raster);
    let steps: [u32; N] = core::array::from_fn(|i| raster[usize::from(scan[i])]);
    // The last position that rounds to a non-zero level.
    let Some(last) = steps.iter().rposition(|&u| u >= 128) else {
        out.fill(0);
        return false;
    };

    // One pass in reverse scan order. Each position gets its level and
    // its cost as an inner position of the significance map; a non-zero
    // one also its cost as the block's last. Ending the block at `k`
    // instead of at `last` changes the total by
    //   as_last[k] - inner[k] + Σ_{i>k} (uncoded[i] - inner[i]),
    // whose sum is at hand when the pass reaches `k`.
    let distortion = |u: u32, level: u32| {
        let d = u64::from(u.abs_diff(level << 8));
        d * d
    };
    let mut levels = [0u32; N];
    let mut context = MagnitudeContext::default();
    let mut beyond = 0i64; // Σ_{i>k} (uncoded[i] - inner[i])
    let mut end = (last, i64::MAX);
    for i in (0..=last).rev() {
        let u = steps[i];
        let uncoded = distortion(u, 0);
        let zero_cost = uncoded + lambda * u64::from(if i + 1 < N { rates.zero(i) } else { 0 });
        let nearest = (u + 128) >> 8;
        let mut best = (0u32, zero_cost, 0u64);
        let candidates = [nearest, nearest.saturating_sub(1)];
        for (rank, level) in candidates.into_iter().enumerate().filter(|&(_, l)| l > 0) {
            let body = distortion(u, level) + lambda * u64::from(rates.magnitude(level, context));
            let flags = if i == last { rates.significant_last(i, N) } else { rates.significant_not_last(i) };
            let cost = body + lambda * u64::from(flags);
            // Ties go to the nearest level, as rounding half up would.
            if cost < best.1 || (rank == 0 && cost == best.1) {
                best = (level, cost, body);
            }
        }
        let (level, _, body) = best;
        levels[i] = level;
        let inner = if level == 0 {
            zero_cost
        } else {
            let inner = body + lambda * u64::from(rates.significant_not_last(i));
            let as_last = body + lambda * u64::from(rates.significant_last(i, N));
            // Strictly less: on a tie the later end (seen first) stays.
            let delta = as_last as i64 - inner as i64 + beyond;
            if delta < end.1 {
                end = (i, delta);
            }
            context = context.after(level);
            inner
        };
        beyond += uncoded as i64 - inner as i64;
    }
    // Coding nothing at all changes the total by Σ (uncoded - inner) over
    // the whole block (the coded-block flag, priced by the caller's mode
    // decision, is left out on both sides).
    if end.1 == i64::MAX || beyond <= end.1 {
        out.fill(0);
        return false;
    }
    for (i, (level, &pos)) in out.iter_mut().zip(scan).enumerate() {
        let magnitude = if i <= end.0 { levels[i] as i32 } else { 0 };
        *level = if coeffs[usize::from(pos)] < 0 { -magnitude } else { magnitude };
    }
    true
}

/// Largest magnitude kept, in 1/256 step: levels are capped at
/// [`MAX_LEVEL`], so magnitudes fit 24 bits and their squares 48.
const MAGNITUDE_CAP: u32 = MAX_LEVEL << 8;

/// Each coefficient's magnitude in 1/256 quantiser step (`|c|·MF >>
/// shift`), capped at [`MAGNITUDE_CAP`], in the coefficients' (raster)
/// order. The AVX2 twin runs this same code with 8 lanes of 32-bit
/// multiplies.
fn step_magnitudes<const N: usize>(coeffs: &[i32; N], multipliers: &[u32; N], shift: u32, out: &mut [u32; N]) {
    step_magnitudes_with(CpuFeatures::detect(), coeffs, multipliers, shift, out)
}

/// [`step_magnitudes`] by the twin `cpu` allows.
fn step_magnitudes_with<const N: usize>(
    cpu: CpuFeatures,
    coeffs: &[i32; N],
    multipliers: &[u32; N],
    shift: u32,
    out: &mut [u32; N],
) {
    #[cfg(target_arch = "x86_64")]
    if cpu.masked(CpuFeatures::host()).contains(CpuFeatures::AVX2) {
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<const N: usize>(coeffs: &[i32; N], multipliers: &[u32; N], shift: u32, out: &mut [u32; N]) {
            step_magnitudes_body(coeffs, multipliers, shift, out)
        }
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { avx2(coeffs, multipliers, shift, out) };
    }
    let _ = cpu;
    step_magnitudes_body(coeffs, multipliers, shift, out)
}

/// The scalar reference of [`step_magnitudes`] (and its body): plain
/// loops, so that the AVX2 twin inlines and vectorises it.
#[inline(always)]
fn step_magnitudes_body<const N: usize>(coeffs: &[i32; N], multipliers: &[u32; N], shift: u32, out: &mut [u32; N]) {
    let max_coeff = coeffs.iter().fold(0u32, |m, c| m.max(c.unsigned_abs()));
    let max_multiplier = multipliers.iter().fold(0u32, |m, &v| m.max(v));
    // Every block of ordinary residual fits 32 bits: that path vectorises.
    if u64::from(max_coeff) * u64::from(max_multiplier) < 1 << 32 {
        for i in 0..N {
            out[i] = ((coeffs[i].unsigned_abs() * multipliers[i]) >> shift).min(MAGNITUDE_CAP);
        }
        return;
    }
    for i in 0..N {
        let wide = (u64::from(coeffs[i].unsigned_abs()) * u64::from(multipliers[i])) >> shift;
        out[i] = wide.min(u64::from(MAGNITUDE_CAP)) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::codec::bins::CostCounter;
    use asp_core::codec::quant::{Qp, Quantiser, RoundingOffset, ZIGZAG_8X8};
    use asp_core::codec::range_coder::RangeEncoder;
    use asp_core::codec::residual::{code_block, ResidualModels};

    fn random_coeffs(seed: u64, spread: i32) -> [i32; 64] {
        let mut rng = asp_testkit::Rng::new(seed);
        core::array::from_fn(|i| {
            // Energy falls with frequency, as in real residual.
            let (x, y) = (i % 8, i / 8);
            let scale = spread / (1 + (x + y) as i32);
            rng.range(-scale, scale)
        })
    }

    fn scanned(raster: &[i32; 64]) -> [i32; 64] {
        core::array::from_fn(|i| raster[usize::from(ZIGZAG_8X8[i])])
    }

    /// Models trained on some blocks, as a tile's would be mid-frame.
    fn trained_models() -> ResidualModels {
        let mut models = ResidualModels::default();
        let mut enc = RangeEncoder::new();
        let quantiser = &Quantiser::FLAT;
        for seed in 0..40 {
            let levels = scanned(&quantiser.quantise_8x8(&random_coeffs(seed * 7 + 3, 2000), Qp::saturating(30), RoundingOffset::INTER));
            if levels.iter().any(|&l| l != 0) {
                code_block(&mut enc, &mut models, &mut levels.clone()).unwrap();
            }
        }
        models
    }

    /// `(distortion in step², bits)` of levels (scan order) for `coeffs`.
    fn measure(coeffs: &[i32; 64], levels: &[i32; 64], qp: Qp, models: &ResidualModels) -> (f64, f64) {
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(qp);
        let mut distortion = 0.0;
        for (i, &pos) in ZIGZAG_8X8.iter().enumerate() {
            let p = usize::from(pos);
            let u = f64::from(coeffs[p].unsigned_abs()) * f64::from(multipliers[p]) / f64::from(1u32 << qbits);
            distortion += (u - f64::from(levels[i].unsigned_abs())).powi(2);
        }
        let mut counter = CostCounter::default();
        if levels.iter().any(|&l| l != 0) {
            code_block(&mut counter, &mut models.clone(), &mut levels.clone()).unwrap();
        }
        (distortion, f64::from(counter.cost) / 256.0)
    }

    #[test]
    fn rd_levels_cost_less_than_rounded_ones() {
        let models = trained_models();
        let rates = models.rates();
        let lambda = LAMBDA_INTER as f64 / 256.0;
        let qp = Qp::saturating(30);
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(qp);
        let (mut rd_total, mut nearest_total) = (0.0, 0.0);
        for seed in 100..300 {
            let coeffs = random_coeffs(seed, 1500);
            let mut rd = [0i32; 64];
            quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, &rates, LAMBDA_INTER, &mut rd);
            let nearest = scanned(&Quantiser::FLAT.quantise_8x8(&coeffs, qp, RoundingOffset::NEAREST));
            // Signs follow the coefficients; magnitudes never exceed rounding's.
            for (i, &pos) in ZIGZAG_8X8.iter().enumerate() {
                assert!(rd[i].unsigned_abs() <= nearest[i].unsigned_abs());
                assert!(rd[i] == 0 || (rd[i] < 0) == (coeffs[usize::from(pos)] < 0));
            }
            let cost = |(d, bits): (f64, f64)| d + lambda * bits;
            rd_total += cost(measure(&coeffs, &rd, qp, &models));
            nearest_total += cost(measure(&coeffs, &nearest, qp, &models));
        }
        // The exact cost (with the models adapting inside each block) is
        // lower in total than plain rounding's.
        assert!(rd_total < nearest_total * 0.97, "rd {rd_total} vs nearest {nearest_total}");
    }

    #[test]
    fn big_lambda_zeroes_and_zero_lambda_rounds() {
        let rates = trained_models().rates();
        let qp = Qp::saturating(30);
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(qp);
        for seed in 1..50 {
            let coeffs = random_coeffs(seed, 1500);
            let nearest = scanned(&Quantiser::FLAT.quantise_8x8(&coeffs, qp, RoundingOffset::NEAREST));
            let mut out = [0i32; 64];
            let any = quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, &rates, 0, &mut out);
            assert_eq!(out, nearest);
            assert_eq!(any, nearest.iter().any(|&l| l != 0));
            // A λ no level can pay for leaves nothing.
            assert!(!quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, &rates, 1 << 40, &mut out));
            assert_eq!(out, [0; 64]);
        }
    }

    #[test]
    fn step_magnitudes_equal_the_scalar_reference() {
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(Qp::saturating(12));
        for seed in 1..200u64 {
            let mut coeffs = random_coeffs(seed, if seed % 3 == 0 { 1 << 20 } else { 3000 });
            if seed % 7 == 0 {
                coeffs[(seed % 64) as usize] = if seed % 2 == 0 { i32::MIN } else { i32::MAX };
            }
            let mut reference = [0u32; 64];
            step_magnitudes_body(&coeffs, multipliers, qbits - 8, &mut reference);
            for cpu in CpuFeatures::host().levels() {
                let mut twin = [0u32; 64];
                step_magnitudes_with(cpu, &coeffs, multipliers, qbits - 8, &mut twin);
                assert_eq!(twin, reference, "{cpu}");
            }
            // And the reference is the plain formula.
            for i in 0..64 {
                let exact = (u64::from(coeffs[i].unsigned_abs()) * u64::from(multipliers[i])) >> (qbits - 8);
                assert_eq!(u64::from(reference[i]), exact.min(u64::from(MAGNITUDE_CAP)));
            }
        }
    }

    #[test]
    fn extreme_coefficients_stay_in_range() {
        let rates = ResidualModels::default().rates();
        let (multipliers, qbits) = Quantiser::FLAT.forward_8x8(Qp::saturating(0));
        let coeffs = [i32::MIN, i32::MAX].repeat(32).try_into().unwrap();
        let mut out = [0i32; 64];
        assert!(quantise_rd(&coeffs, multipliers, qbits, &ZIGZAG_8X8, &rates, LAMBDA_INTER, &mut out));
        assert!(out.iter().all(|l| l.unsigned_abs() <= MAX_LEVEL));
    }
}

