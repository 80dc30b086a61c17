//! aarch64 NEON twin of the block quantiser (`quantise_block`).
//!
//! The scalar reference takes a 32-bit path when the largest coefficient
//! times the largest multiplier plus the rounding offset fits `u32` (every
//! block of ordinary residual) and a 64-bit one otherwise. The twin runs
//! the 32-bit path four lanes at a time with the same operations: `|coeff|`
//! (`abs`, whose `i32::MIN` is `2^31` read as `u32`, the scalar
//! `unsigned_abs`), a `u32` multiply and add that cannot wrap under that
//! bound, a right shift by `qbits`, the minimum with `LEVEL_MAX`, and the
//! coefficient's sign put back. Blocks past the bound take the scalar code,
//! so the levels are the scalar ones for every input. The quantiser's tests
//! hold it equal under qemu-user (`tests/arm/run.sh`).

// NEON intrinsics are safe to call where the feature is enabled since Rust
// 1.87, but `unsafe` in 1.85 (the workspace's minimum).
#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use super::{quantise_block, RoundingOffset, LEVEL_MAX};

/// NEON twin of `quantise_block` (same arguments and result) for blocks of
/// a multiple of four coefficients (4x4 and 8x8).
pub(super) fn quantise_block_neon<const AREA: usize>(
    coeffs: &[i32; AREA],
    multipliers: &[u32; AREA],
    qbits: u32,
    rounding: RoundingOffset,
) -> [i32; AREA] {
    if AREA % 4 != 0 {
        return quantise_block(coeffs, multipliers, qbits, rounding);
    }
    // SAFETY: every load and store is of four lanes at `4 * k` with
    // `4 * k + 4 <= AREA`, in arrays of `AREA` entries.
    unsafe {
        let load_abs = |k: usize| vreinterpretq_u32_s32(vabsq_s32(vld1q_s32(coeffs.as_ptr().add(4 * k))));
        let mut max_coeff = vdupq_n_u32(0);
        let mut max_multiplier = vdupq_n_u32(0);
        for k in 0..AREA / 4 {
            max_coeff = vmaxq_u32(max_coeff, load_abs(k));
            max_multiplier = vmaxq_u32(max_multiplier, vld1q_u32(multipliers.as_ptr().add(4 * k)));
        }
        let offset = u64::from(rounding.q15()) << (qbits - 15);
        if u64::from(vmaxvq_u32(max_coeff)) * u64::from(vmaxvq_u32(max_multiplier)) + offset >= 1 << 32 {
            return quantise_block(coeffs, multipliers, qbits, rounding);
        }
        let offset = vdupq_n_u32(offset as u32);
        let shift = vdupq_n_s32(-(qbits as i32));
        let level_max = vdupq_n_u32(LEVEL_MAX as u32);
        let mut levels = [0i32; AREA];
        for k in 0..AREA / 4 {
            let coeff = vld1q_s32(coeffs.as_ptr().add(4 * k));
            let product = vmlaq_u32(offset, load_abs(k), vld1q_u32(multipliers.as_ptr().add(4 * k)));
            let magnitude = vreinterpretq_s32_u32(vminq_u32(vshlq_u32(product, shift), level_max));
            // All ones where the coefficient is negative: (m ^ s) - s is
            // -m there and m elsewhere.
            let sign = vshrq_n_s32::<31>(coeff);
            vst1q_s32(levels.as_mut_ptr().add(4 * k), vsubq_s32(veorq_s32(magnitude, sign), sign));
        }
        levels
    }
}
