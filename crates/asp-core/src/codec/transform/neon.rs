//! aarch64 NEON twins of the scalar kernels (NEON is the Armv8-A
//! baseline, so every aarch64 build has them).
//!
//! Same plan as the SSE2 twins of `x86.rs` and the simd128 twins of
//! `wasm.rs`: the inverse transforms run on `i32` lanes through the shared
//! generic butterflies (`inverse_4`, `inverse_8`, `round_residual`),
//! with 4x4 transposes around the row pass; the residual is narrowed to
//! `i16` with saturation (`sqxtn`), added to the widened prediction with
//! saturation (`sqadd`) and narrowed to `u8` with unsigned saturation
//! (`sqxtun`). Saturating a residual beyond `i16` changes no clipped pixel
//! (pixels are `0..=255`), so the result is the scalar
//! `clip(prediction + residual)` for every input. The 8x8 forward
//! transform runs the reference's exact butterflies on `i32` lanes, as the
//! AVX2 twin does on eight. SATD runs on `i16` lanes, step for step the
//! simd128 twin. The module's tests hold
//! these twins equal to the scalar reference under qemu-user
//! (`tests/arm/run.sh`).
//!
//! Memory safety: every public function checks its buffers with
//! `check_block` before touching them; NEON loads and stores have no
//! alignment requirement.

// NEON intrinsics are safe to call where the feature is enabled since Rust
// 1.87, but `unsafe` in 1.85 (the workspace's minimum).
#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use super::{check_block, inverse_4, inverse_8, round_residual, BlockError, Lane};

/// Four `i32` lanes of a NEON register.
#[derive(Clone, Copy)]
struct I32x4(int32x4_t);

impl Lane for I32x4 {
    #[inline(always)]
    fn splat(value: i32) -> Self {
        Self(unsafe { vdupq_n_s32(value) })
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(unsafe { vaddq_s32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self(unsafe { vsubq_s32(self.0, other.0) })
    }
    #[inline(always)]
    fn shr<const BITS: i32>(self) -> Self {
        // `sshl` by a negative count is an arithmetic shift right.
        Self(unsafe { vshlq_s32(self.0, vdupq_n_s32(-BITS)) })
    }
}

/// Transposes a 4x4 block of `i32` held as four row vectors.
#[inline(always)]
fn transpose_4x4(rows: [I32x4; 4]) -> [I32x4; 4] {
    let [r0, r1, r2, r3] = rows.map(|r| r.0);
    unsafe {
        // Pairs of lanes: (r0[0], r1[0], r0[2], r1[2]) and the odd ones.
        let even01 = vreinterpretq_s64_s32(vtrn1q_s32(r0, r1));
        let odd01 = vreinterpretq_s64_s32(vtrn2q_s32(r0, r1));
        let even23 = vreinterpretq_s64_s32(vtrn1q_s32(r2, r3));
        let odd23 = vreinterpretq_s64_s32(vtrn2q_s32(r2, r3));
        [
            I32x4(vreinterpretq_s32_s64(vtrn1q_s64(even01, even23))),
            I32x4(vreinterpretq_s32_s64(vtrn1q_s64(odd01, odd23))),
            I32x4(vreinterpretq_s32_s64(vtrn2q_s64(even01, even23))),
            I32x4(vreinterpretq_s32_s64(vtrn2q_s64(odd01, odd23))),
        ]
    }
}

/// Four coefficients from `coeffs[offset..offset + 4]`.
///
/// # Safety
/// `offset + 4 <= coeffs.len()`.
#[inline(always)]
unsafe fn load_i32x4(coeffs: &[i32], offset: usize) -> I32x4 {
    I32x4(unsafe { vld1q_s32(coeffs.as_ptr().add(offset)) })
}

/// Eight residuals (`low` then `high`, each saturated to `i16`) added to
/// the eight `u8` predictions `prediction`, clipped to `0..=255`.
#[inline(always)]
fn add_clip_8(prediction: uint8x8_t, low: int32x4_t, high: int32x4_t) -> uint8x8_t {
    unsafe {
        let residual = vcombine_s16(vqmovn_s32(low), vqmovn_s32(high));
        vqmovun_s16(vqaddq_s16(vreinterpretq_s16_u16(vmovl_u8(prediction)), residual))
    }
}

/// Four bytes at `p` in the low lanes of a vector.
///
/// # Safety
/// `p..p + 4` is readable.
#[inline(always)]
unsafe fn load_4(p: *const u8) -> uint8x8_t {
    unsafe { vreinterpret_u8_u32(vdup_n_u32(core::ptr::read_unaligned(p as *const u32))) }
}

/// Stores the low four bytes of `v` at `p`.
///
/// # Safety
/// `p..p + 4` is writable.
#[inline(always)]
unsafe fn store_4(p: *mut u8, v: uint8x8_t) {
    unsafe { core::ptr::write_unaligned(p as *mut u32, vget_lane_u32::<0>(vreinterpret_u32_u8(v))) }
}

/// NEON twin of [`scalar::inverse_add_4x4`](super::scalar::inverse_add_4x4).
pub fn inverse_add_4x4_neon(coeffs: &[i32; 16], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, 4)?;
    // SAFETY: offsets 0, 4, 8, 12 of a 16-entry array; the check covers the
    // 4 rows of 4 bytes at `dst`.
    unsafe {
        let rows: [I32x4; 4] = core::array::from_fn(|y| load_i32x4(coeffs, 4 * y));
        let row_transformed = inverse_4(transpose_4x4(rows));
        let residual = inverse_4(transpose_4x4(row_transformed)).map(round_residual);
        let base = dst.as_mut_ptr();
        for y in (0..4).step_by(2) {
            let (row, next) = (base.add(y * dst_stride), base.add((y + 1) * dst_stride));
            let prediction = vreinterpret_u8_u32(vset_lane_u32::<1>(
                core::ptr::read_unaligned(next as *const u32),
                vreinterpret_u32_u8(load_4(row)),
            ));
            let pixels = add_clip_8(prediction, residual[y].0, residual[y + 1].0);
            store_4(row, pixels);
            store_4(next, vext_u8::<4>(pixels, pixels));
        }
    }
    Ok(())
}

/// NEON twin of [`scalar::inverse_add_8x8`](super::scalar::inverse_add_8x8):
/// the row pass on the two 4-row halves (each transposed into eight column
/// vectors, transformed, transposed back), then the column pass on the two
/// 4-column halves. NEON's 32 registers hold the whole block.
pub fn inverse_add_8x8_neon(coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, 8)?;
    // SAFETY: offsets up to 60 of a 64-entry array; the check covers the 8
    // rows of 8 bytes at `dst`.
    unsafe {
        let quarter = |first: usize| transpose_4x4(core::array::from_fn(|y| load_i32x4(coeffs, first + 8 * y)));
        // rows[y][half]: row y, columns 4 * half .. 4 * half + 4, after the
        // row pass.
        let mut rows = [[I32x4::splat(0); 2]; 8];
        for half in 0..2 {
            let (left, right) = (quarter(32 * half), quarter(32 * half + 4));
            let columns = inverse_8([left[0], left[1], left[2], left[3], right[0], right[1], right[2], right[3]]);
            let left = transpose_4x4([columns[0], columns[1], columns[2], columns[3]]);
            let right = transpose_4x4([columns[4], columns[5], columns[6], columns[7]]);
            for y in 0..4 {
                rows[4 * half + y] = [left[y], right[y]];
            }
        }
        let residual_left = inverse_8(core::array::from_fn(|y| rows[y][0])).map(round_residual);
        let residual_right = inverse_8(core::array::from_fn(|y| rows[y][1])).map(round_residual);
        let base = dst.as_mut_ptr();
        for y in 0..8 {
            let row = base.add(y * dst_stride);
            vst1_u8(row, add_clip_8(vld1_u8(row), residual_left[y].0, residual_right[y].0));
        }
    }
    Ok(())
}

/// NEON twin of `scalar::inverse_add_dc`
/// for the 4x4 and 8x8 blocks (other sizes take the scalar code): one
/// residual, `(dc + 32) >> 6`, added to every pixel with clipping. The
/// residual is clamped to ±512 first, which changes no clipped sum (pixels
/// are 0..=255) and fits `i16` lanes.
pub fn inverse_add_dc_neon(dc: i32, dst: &mut [u8], dst_stride: usize, size: usize) -> Result<(), BlockError> {
    if size != 4 && size != 8 {
        return super::scalar::inverse_add_dc(dc, dst, dst_stride, size);
    }
    check_block(dst.len(), dst_stride, size)?;
    let base = dst.as_mut_ptr();
    // SAFETY: the check covers `size` rows of `size` bytes at `dst`, row
    // `y` at `y * dst_stride`.
    unsafe {
        let residual = vdupq_n_s16(round_residual(dc).clamp(-512, 512) as i16);
        let add = |prediction: uint8x8_t| {
            vqmovun_s16(vqaddq_s16(vreinterpretq_s16_u16(vmovl_u8(prediction)), residual))
        };
        for y in 0..size {
            let row = base.add(y * dst_stride);
            if size == 4 {
                store_4(row, add(load_4(row)));
            } else {
                vst1_u8(row, add(vld1_u8(row)));
            }
        }
    }
    Ok(())
}

/// A 4-point Hadamard transform across four vectors of `i16` lanes.
#[inline(always)]
fn hadamard_4_i16(x: [int16x8_t; 4]) -> [int16x8_t; 4] {
    unsafe {
        let sum01 = vaddq_s16(x[0], x[1]);
        let diff01 = vsubq_s16(x[0], x[1]);
        let sum23 = vaddq_s16(x[2], x[3]);
        let diff23 = vsubq_s16(x[2], x[3]);
        [vaddq_s16(sum01, sum23), vaddq_s16(diff01, diff23), vsubq_s16(sum01, sum23), vsubq_s16(diff01, diff23)]
    }
}

/// `max(|a|, |b|)`: half of `|a + b| + |a - b|`, the last Hadamard stage
/// fused with the absolute value and the halving.
#[inline(always)]
fn half_abs_butterfly(a: int16x8_t, b: int16x8_t) -> int16x8_t {
    unsafe { vmaxq_s16(vabsq_s16(a), vabsq_s16(b)) }
}

/// `vzip1q` / `vzip2q` on 32-bit lanes of `i16` vectors.
#[inline(always)]
fn zip_i32(a: int16x8_t, b: int16x8_t, high: bool) -> int16x8_t {
    unsafe {
        let (a, b) = (vreinterpretq_s32_s16(a), vreinterpretq_s32_s16(b));
        vreinterpretq_s16_s32(if high { vzip2q_s32(a, b) } else { vzip1q_s32(a, b) })
    }
}

/// `vzip1q` / `vzip2q` on 64-bit lanes of `i16` vectors.
#[inline(always)]
fn zip_i64(a: int16x8_t, b: int16x8_t, high: bool) -> int16x8_t {
    unsafe {
        let (a, b) = (vreinterpretq_s64_s16(a), vreinterpretq_s64_s16(b));
        vreinterpretq_s16_s64(if high { vzip2q_s64(a, b) } else { vzip1q_s64(a, b) })
    }
}

/// NEON twin of [`scalar::satd_4x4`](super::scalar::satd_4x4), step for
/// step the simd128 twin (`wasm.rs`).
pub fn satd_4x4_neon(source: &[u8], source_stride: usize, prediction: &[u8], prediction_stride: usize) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 4)?;
    check_block(prediction.len(), prediction_stride, 4)?;
    // SAFETY: the checks cover the 4 rows of 4 bytes read from each buffer.
    unsafe {
        let load = |buffer: &[u8], offset: usize| vreinterpretq_s16_u16(vmovl_u8(load_4(buffer.as_ptr().add(offset))));
        let rows: [int16x8_t; 4] =
            core::array::from_fn(|y| vsubq_s16(load(source, y * source_stride), load(prediction, y * prediction_stride)));
        let vertical = hadamard_4_i16(rows);
        // Transpose: columns 0 and 1 in one vector, 2 and 3 in the other.
        let v01 = vzip1q_s16(vertical[0], vertical[1]);
        let v23 = vzip1q_s16(vertical[2], vertical[3]);
        let columns01 = zip_i32(v01, v23, false);
        let columns23 = zip_i32(v01, v23, true);
        let sums = vaddq_s16(columns01, columns23);
        let diffs = vsubq_s16(columns01, columns23);
        // Every pair lands in two lanes, so the lanes add up to the un-halved sum.
        let swap = |x: int16x8_t| vextq_s16::<4>(x, x);
        let half_abs = vaddq_s16(half_abs_butterfly(sums, swap(sums)), half_abs_butterfly(diffs, swap(diffs)));
        Ok(vaddlvq_s16(half_abs) as u32 >> 1)
    }
}

/// Transposes an 8x8 block of `i16` held as eight row vectors.
#[inline(always)]
fn transpose_8x8_i16(r: [int16x8_t; 8]) -> [int16x8_t; 8] {
    unsafe {
        let (p01l, p01h) = (vzip1q_s16(r[0], r[1]), vzip2q_s16(r[0], r[1]));
        let (p23l, p23h) = (vzip1q_s16(r[2], r[3]), vzip2q_s16(r[2], r[3]));
        let (p45l, p45h) = (vzip1q_s16(r[4], r[5]), vzip2q_s16(r[4], r[5]));
        let (p67l, p67h) = (vzip1q_s16(r[6], r[7]), vzip2q_s16(r[6], r[7]));
        let top = [zip_i32(p01l, p23l, false), zip_i32(p01l, p23l, true), zip_i32(p01h, p23h, false), zip_i32(p01h, p23h, true)];
        let bottom = [zip_i32(p45l, p67l, false), zip_i32(p45l, p67l, true), zip_i32(p45h, p67h, false), zip_i32(p45h, p67h, true)];
        core::array::from_fn(|x| zip_i64(top[x / 2], bottom[x / 2], x % 2 == 1))
    }
}

/// NEON twin of [`scalar::satd_8x8`](super::scalar::satd_8x8), step for
/// step the simd128 twin (`wasm.rs`).
pub fn satd_8x8_neon(source: &[u8], source_stride: usize, prediction: &[u8], prediction_stride: usize) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 8)?;
    check_block(prediction.len(), prediction_stride, 8)?;
    // SAFETY: the checks cover the 8 rows of 8 bytes read from each buffer.
    unsafe {
        let load = |buffer: &[u8], offset: usize| vreinterpretq_s16_u16(vmovl_u8(vld1_u8(buffer.as_ptr().add(offset))));
        let rows: [int16x8_t; 8] =
            core::array::from_fn(|y| vsubq_s16(load(source, y * source_stride), load(prediction, y * prediction_stride)));
        let top = hadamard_4_i16([rows[0], rows[1], rows[2], rows[3]]);
        let bottom = hadamard_4_i16([rows[4], rows[5], rows[6], rows[7]]);
        let columns = transpose_8x8_i16([top[0], top[1], top[2], top[3], bottom[0], bottom[1], bottom[2], bottom[3]]);
        let mut half_abs = vdupq_n_s16(0);
        for c in [&columns[0..4], &columns[4..8]] {
            let sum01 = vaddq_s16(c[0], c[1]);
            let diff01 = vsubq_s16(c[0], c[1]);
            let sum23 = vaddq_s16(c[2], c[3]);
            let diff23 = vsubq_s16(c[2], c[3]);
            half_abs = vaddq_s16(half_abs, half_abs_butterfly(sum01, sum23));
            half_abs = vaddq_s16(half_abs, half_abs_butterfly(diff01, diff23));
        }
        Ok(vaddlvq_s16(half_abs) as u32)
    }
}

/// The 8-point forward transform of the scalar reference (`forward_8`)
/// along the array index, on four lanes at once.
#[inline(always)]
fn forward_8(x: [int32x4_t; 8]) -> [int32x4_t; 8] {
    unsafe {
        let sum: [int32x4_t; 4] = core::array::from_fn(|k| vaddq_s32(x[k], x[7 - k]));
        let diff: [int32x4_t; 4] = core::array::from_fn(|k| vsubq_s32(x[k], x[7 - k]));
        let sum_outer = vaddq_s32(sum[0], sum[3]);
        let sum_inner = vaddq_s32(sum[1], sum[2]);
        let diff_outer = vsubq_s32(sum[0], sum[3]);
        let diff_inner = vsubq_s32(sum[1], sum[2]);
        // `c0 d0 + c1 d1 + c2 d2 + c3 d3`: an odd output row.
        let odd = |c: [i32; 4]| {
            let first = vmulq_n_s32(diff[0], c[0]);
            vmlaq_n_s32(vmlaq_n_s32(vmlaq_n_s32(first, diff[1], c[1]), diff[2], c[2]), diff[3], c[3])
        };
        [
            vshlq_n_s32::<3>(vaddq_s32(sum_outer, sum_inner)),
            odd([12, 10, 6, 3]),
            vaddq_s32(vshlq_n_s32::<3>(diff_outer), vshlq_n_s32::<2>(diff_inner)),
            odd([10, -3, -12, -6]),
            vshlq_n_s32::<3>(vsubq_s32(sum_outer, sum_inner)),
            odd([6, -12, 3, 10]),
            vsubq_s32(vshlq_n_s32::<2>(diff_outer), vshlq_n_s32::<3>(diff_inner)),
            odd([3, -6, 10, -12]),
        ]
    }
}

/// Transposes an 8x8 block of `i32` held as `rows[y][half]` (row `y`,
/// columns `4 * half .. 4 * half + 4`): four 4x4 transposes, the two
/// off-diagonal ones swapped.
#[inline(always)]
fn transpose_8x8(rows: [[int32x4_t; 2]; 8]) -> [[int32x4_t; 2]; 8] {
    let quarter = |first_row: usize, half: usize| {
        transpose_4x4(core::array::from_fn(|y| I32x4(rows[first_row + y][half]))).map(|v| v.0)
    };
    let (top_left, top_right) = (quarter(0, 0), quarter(0, 1));
    let (bottom_left, bottom_right) = (quarter(4, 0), quarter(4, 1));
    core::array::from_fn(|y| if y < 4 { [top_left[y], bottom_left[y]] } else { [top_right[y - 4], bottom_right[y - 4]] })
}

/// NEON twin of [`scalar::forward_8x8`](super::scalar::forward_8x8): the
/// exact integer product `T X T^T` (down the columns, a transpose, along
/// the rows, a transpose back), then the reference's symmetric rounding
/// `sign(v) * ((|v| + 32) >> 6)`. Every intermediate is the reference's
/// (exact `i32` arithmetic on `i16` inputs), so every output is.
pub fn forward_8x8_neon(residual: &[i16; 64]) -> [i32; 64] {
    let mut out = [0i32; 64];
    // SAFETY: loads of eight `i16` at `8 * y` (y < 8) of a 64-entry array;
    // stores of four `i32` at `8 * y + 4 * half` of a 64-entry array.
    unsafe {
        let rows: [[int32x4_t; 2]; 8] = core::array::from_fn(|y| {
            let row = vld1q_s16(residual.as_ptr().add(8 * y));
            [vmovl_s16(vget_low_s16(row)), vmovl_high_s16(row)]
        });
        let pass = |rows: [[int32x4_t; 2]; 8]| -> [[int32x4_t; 2]; 8] {
            let left = forward_8(core::array::from_fn(|y| rows[y][0]));
            let right = forward_8(core::array::from_fn(|y| rows[y][1]));
            core::array::from_fn(|k| [left[k], right[k]])
        };
        let columns_done = pass(rows);
        let coeffs = transpose_8x8(pass(transpose_8x8(columns_done)));
        let rounding = vdupq_n_u32(32);
        for (y, row) in coeffs.iter().enumerate() {
            for (half, &value) in row.iter().enumerate() {
                let magnitude = vshrq_n_u32::<6>(vaddq_u32(vreinterpretq_u32_s32(vabsq_s32(value)), rounding));
                // All ones where the value is negative: (m ^ s) - s is -m there.
                let sign = vshrq_n_s32::<31>(value);
                let signed = vsubq_s32(veorq_s32(vreinterpretq_s32_u32(magnitude), sign), sign);
                vst1q_s32(out.as_mut_ptr().add(8 * y + 4 * half), signed);
            }
        }
    }
    out
}
