//! WebAssembly simd128 twins of the scalar kernels, for the browser decoder
//! (built with `-C target-feature=+simd128`).
//!
//! Same plan as the SSE2 twins in `x86.rs`: inverse transforms on `i32`
//! lanes through the shared generic butterflies, transposes around the row
//! pass, saturating packs for the add and clip; SATD on `i16` lanes. The 8x8
//! inverse is staged differently for V8's register allocator (see
//! [`inverse_add_8x8_simd128`]). The module's tests hold these twins equal
//! to the scalar reference in Node (`tests/wasm-simd/run.sh`).
//!
//! Memory safety: every public function checks its buffers with
//! `check_block` before touching them, and all loads and stores are
//! unaligned-safe (`read_unaligned` / `write_unaligned`, byte-pointer
//! loads).

use core::arch::wasm32::*;

use super::{check_block, inverse_4, inverse_8, round_residual, BlockError, Lane};

/// Four `i32` lanes of a simd128 register.
#[derive(Clone, Copy)]
struct I32x4(v128);

impl Lane for I32x4 {
    #[inline(always)]
    fn splat(value: i32) -> Self {
        Self(i32x4_splat(value))
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(i32x4_add(self.0, other.0))
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self(i32x4_sub(self.0, other.0))
    }
    #[inline(always)]
    fn shr<const BITS: i32>(self) -> Self {
        Self(i32x4_shr(self.0, BITS as u32))
    }
}

/// Transposes a 4x4 block of `i32` held as four row vectors.
#[inline(always)]
fn transpose_4x4(rows: [I32x4; 4]) -> [I32x4; 4] {
    let [r0, r1, r2, r3] = rows.map(|r| r.0);
    let r01_low = i32x4_shuffle::<0, 4, 1, 5>(r0, r1);
    let r23_low = i32x4_shuffle::<0, 4, 1, 5>(r2, r3);
    let r01_high = i32x4_shuffle::<2, 6, 3, 7>(r0, r1);
    let r23_high = i32x4_shuffle::<2, 6, 3, 7>(r2, r3);
    [
        I32x4(i64x2_shuffle::<0, 2>(r01_low, r23_low)),
        I32x4(i64x2_shuffle::<1, 3>(r01_low, r23_low)),
        I32x4(i64x2_shuffle::<0, 2>(r01_high, r23_high)),
        I32x4(i64x2_shuffle::<1, 3>(r01_high, r23_high)),
    ]
}

/// Four coefficients from `coeffs[offset..offset + 4]`.
///
/// # Safety
/// `offset + 4 <= coeffs.len()`.
#[inline(always)]
unsafe fn load_i32x4(coeffs: &[i32], offset: usize) -> I32x4 {
    I32x4(unsafe { core::ptr::read_unaligned(coeffs.as_ptr().add(offset) as *const v128) })
}

/// simd128 twin of [`scalar::inverse_add_4x4`](super::scalar::inverse_add_4x4).
pub fn inverse_add_4x4_simd128(coeffs: &[i32; 16], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, 4)?;
    // SAFETY: offsets 0, 4, 8, 12 of a 16-entry array; the check covers the
    // 4 rows of 4 bytes at `dst`.
    unsafe {
        let rows: [I32x4; 4] = core::array::from_fn(|y| load_i32x4(coeffs, 4 * y));
        let row_transformed = inverse_4(transpose_4x4(rows));
        let residual = inverse_4(transpose_4x4(row_transformed)).map(round_residual);
        let residual01 = i16x8_narrow_i32x4(residual[0].0, residual[1].0);
        let residual23 = i16x8_narrow_i32x4(residual[2].0, residual[3].0);

        let base = dst.as_mut_ptr();
        let row_ptr = |y: usize| base.add(y * dst_stride) as *mut u32;
        let load_row = |y: usize| core::ptr::read_unaligned(row_ptr(y));
        let prediction = u32x4(load_row(0), load_row(1), load_row(2), load_row(3));
        let pixels = u8x16_narrow_i16x8(
            i16x8_add_sat(u16x8_extend_low_u8x16(prediction), residual01),
            i16x8_add_sat(u16x8_extend_high_u8x16(prediction), residual23),
        );
        core::ptr::write_unaligned(row_ptr(0), u32x4_extract_lane::<0>(pixels));
        core::ptr::write_unaligned(row_ptr(1), u32x4_extract_lane::<1>(pixels));
        core::ptr::write_unaligned(row_ptr(2), u32x4_extract_lane::<2>(pixels));
        core::ptr::write_unaligned(row_ptr(3), u32x4_extract_lane::<3>(pixels));
    }
    Ok(())
}

/// simd128 twin of [`scalar::inverse_add_dc`](super::scalar::inverse_add_dc)
/// for the 4x4 and 8x8 blocks (other sizes take the scalar code): one
/// residual, `(dc + 32) >> 6`, added to every pixel with clipping. The
/// residual is clamped to ±512 first, which changes no clipped sum (pixels
/// are 0..=255) and fits `i16` lanes.
pub fn inverse_add_dc_simd128(dc: i32, dst: &mut [u8], dst_stride: usize, size: usize) -> Result<(), BlockError> {
    if size != 4 && size != 8 {
        return super::scalar::inverse_add_dc(dc, dst, dst_stride, size);
    }
    check_block(dst.len(), dst_stride, size)?;
    let residual = i16x8_splat(round_residual(dc).clamp(-512, 512) as i16);
    let add = |prediction: v128| {
        u8x16_narrow_i16x8(
            i16x8_add_sat(u16x8_extend_low_u8x16(prediction), residual),
            i16x8_add_sat(u16x8_extend_high_u8x16(prediction), residual),
        )
    };
    let base = dst.as_mut_ptr();
    // SAFETY: the check covers `size` rows of `size` bytes at `dst`, row
    // `y` at `y * dst_stride`.
    unsafe {
        if size == 4 {
            let row = |y: usize| base.add(y * dst_stride) as *mut u32;
            let rows = [0, 1, 2, 3].map(|y| core::ptr::read_unaligned(row(y)));
            let pixels = add(u32x4(rows[0], rows[1], rows[2], rows[3]));
            core::ptr::write_unaligned(row(0), u32x4_extract_lane::<0>(pixels));
            core::ptr::write_unaligned(row(1), u32x4_extract_lane::<1>(pixels));
            core::ptr::write_unaligned(row(2), u32x4_extract_lane::<2>(pixels));
            core::ptr::write_unaligned(row(3), u32x4_extract_lane::<3>(pixels));
        } else {
            for y in (0..8).step_by(2) {
                let (row, next) = (base.add(y * dst_stride) as *mut u64, base.add((y + 1) * dst_stride) as *mut u64);
                let pixels = add(u64x2(core::ptr::read_unaligned(row), core::ptr::read_unaligned(next)));
                core::ptr::write_unaligned(row, u64x2_extract_lane::<0>(pixels));
                core::ptr::write_unaligned(next, u64x2_extract_lane::<1>(pixels));
            }
        }
    }
    Ok(())
}

/// Adds two rows of four `i32` residuals to the four prediction pixels at
/// `row` and at `next`, with saturation to `0..=255`.
///
/// # Safety
/// 4 bytes at `row` and at `next` valid for reads and writes.
#[inline(always)]
unsafe fn add_two_rows_of_4(residual_row: I32x4, residual_next: I32x4, row: *mut u8, next: *mut u8) {
    unsafe {
        let (row, next) = (row as *mut u32, next as *mut u32);
        let prediction = u16x8_extend_low_u8x16(u32x4(core::ptr::read_unaligned(row), core::ptr::read_unaligned(next), 0, 0));
        let sum = i16x8_add_sat(prediction, i16x8_narrow_i32x4(residual_row.0, residual_next.0));
        let pixels = u8x16_narrow_i16x8(sum, sum);
        core::ptr::write_unaligned(row, u32x4_extract_lane::<0>(pixels));
        core::ptr::write_unaligned(next, u32x4_extract_lane::<1>(pixels));
    }
}

/// simd128 twin of [`scalar::inverse_add_8x8`](super::scalar::inverse_add_8x8).
///
/// Unlike the SSE2 twin, it works strictly one half-block at a time and
/// passes the row-transformed block through memory: V8 keeps few vectors in
/// registers, and given the whole block at once it spills about half of its
/// instructions' worth. The volatile accesses are what keep the compiler from
/// merging the halves back together; they change nothing in the arithmetic.
pub fn inverse_add_8x8_simd128(coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, 8)?;
    // SAFETY: offsets up to 60 of a 64-entry array; the check covers the 8
    // rows of 8 bytes at `dst`; `row_transformed` indices are below 16.
    unsafe {
        let quarter = |first: usize| transpose_4x4(core::array::from_fn(|y| load_i32x4(coeffs, first + 8 * y)));
        // Row pass, rows 0..4 then rows 4..8; stored back in row order:
        // entry 8 * half + y is row 4 * half + y, columns 0..4, and entry
        // 8 * half + 4 + y the same row, columns 4..8.
        // Not zeroed first: every entry is written before it is read, and
        // zeroing costs a `memory.fill` call in V8.
        let mut row_transformed = core::mem::MaybeUninit::<[v128; 16]>::uninit();
        let entry = row_transformed.as_mut_ptr() as *mut v128;
        for half in 0..2 {
            let (left, right) = (quarter(32 * half), quarter(32 * half + 4));
            let columns = inverse_8([left[0], left[1], left[2], left[3], right[0], right[1], right[2], right[3]]);
            let left = transpose_4x4([columns[0], columns[1], columns[2], columns[3]]);
            let right = transpose_4x4([columns[4], columns[5], columns[6], columns[7]]);
            for y in 0..4 {
                core::ptr::write_volatile(entry.add(8 * half + y), left[y].0);
                core::ptr::write_volatile(entry.add(8 * half + 4 + y), right[y].0);
            }
        }
        // Column pass and add, columns 0..4 then columns 4..8.
        let base = dst.as_mut_ptr();
        for half in 0..2 {
            let read = |y: usize| I32x4(core::ptr::read_volatile(entry.add(8 * (y / 4) + 4 * half + y % 4)));
            let residual = inverse_8(core::array::from_fn(read)).map(round_residual);
            for y in (0..8).step_by(2) {
                let row = base.add(y * dst_stride + 4 * half);
                add_two_rows_of_4(residual[y], residual[y + 1], row, row.add(dst_stride));
            }
        }
    }
    Ok(())
}

/// A 4-point Hadamard transform across four vectors of `i16` lanes.
#[inline(always)]
fn hadamard_4_i16(x: [v128; 4]) -> [v128; 4] {
    let sum01 = i16x8_add(x[0], x[1]);
    let diff01 = i16x8_sub(x[0], x[1]);
    let sum23 = i16x8_add(x[2], x[3]);
    let diff23 = i16x8_sub(x[2], x[3]);
    [i16x8_add(sum01, sum23), i16x8_add(diff01, diff23), i16x8_sub(sum01, sum23), i16x8_sub(diff01, diff23)]
}

/// `max(|a|, |b|)`: half of `|a + b| + |a - b|`, the last Hadamard stage
/// fused with the absolute value and the halving.
#[inline(always)]
fn half_abs_butterfly(a: v128, b: v128) -> v128 {
    i16x8_max(i16x8_abs(a), i16x8_abs(b))
}

/// The sum of the eight `i16` lanes (each non-negative and small).
#[inline(always)]
fn sum_i16(x: v128) -> u32 {
    let pairs = i32x4_dot_i16x8(x, i16x8_splat(1));
    let quads = i32x4_add(pairs, i32x4_shuffle::<2, 3, 0, 1>(pairs, pairs));
    let total = i32x4_add(quads, i32x4_shuffle::<1, 0, 3, 2>(quads, quads));
    i32x4_extract_lane::<0>(total) as u32
}

/// simd128 twin of [`scalar::satd_4x4`](super::scalar::satd_4x4).
pub fn satd_4x4_simd128(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 4)?;
    check_block(prediction.len(), prediction_stride, 4)?;
    // SAFETY: the checks cover the 4 rows of 4 bytes read from each buffer.
    let load = |buffer: &[u8], offset: usize| unsafe {
        let word = core::ptr::read_unaligned(buffer.as_ptr().add(offset) as *const u32);
        u16x8_extend_low_u8x16(u32x4(word, 0, 0, 0))
    };
    let rows: [v128; 4] =
        core::array::from_fn(|y| i16x8_sub(load(source, y * source_stride), load(prediction, y * prediction_stride)));
    let vertical = hadamard_4_i16(rows);
    // Transpose: columns 0 and 1 in one vector, 2 and 3 in the other.
    let v01 = i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(vertical[0], vertical[1]);
    let v23 = i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(vertical[2], vertical[3]);
    let columns01 = i32x4_shuffle::<0, 4, 1, 5>(v01, v23);
    let columns23 = i32x4_shuffle::<2, 6, 3, 7>(v01, v23);
    let sums = i16x8_add(columns01, columns23);
    let diffs = i16x8_sub(columns01, columns23);
    // Every pair lands in two lanes, so the lanes add up to the un-halved sum.
    let swap = |x: v128| i64x2_shuffle::<1, 0>(x, x);
    let half_abs = i16x8_add(half_abs_butterfly(sums, swap(sums)), half_abs_butterfly(diffs, swap(diffs)));
    Ok(sum_i16(half_abs) >> 1)
}

/// Transposes an 8x8 block of `i16` held as eight row vectors.
#[inline(always)]
fn transpose_8x8_i16(r: [v128; 8]) -> [v128; 8] {
    let pairs_low = |a, b| i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b);
    let pairs_high = |a, b| i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b);
    let (p01l, p01h) = (pairs_low(r[0], r[1]), pairs_high(r[0], r[1]));
    let (p23l, p23h) = (pairs_low(r[2], r[3]), pairs_high(r[2], r[3]));
    let (p45l, p45h) = (pairs_low(r[4], r[5]), pairs_high(r[4], r[5]));
    let (p67l, p67h) = (pairs_low(r[6], r[7]), pairs_high(r[6], r[7]));
    let quads_low = |a, b| i32x4_shuffle::<0, 4, 1, 5>(a, b);
    let quads_high = |a, b| i32x4_shuffle::<2, 6, 3, 7>(a, b);
    let top = [quads_low(p01l, p23l), quads_high(p01l, p23l), quads_low(p01h, p23h), quads_high(p01h, p23h)];
    let bottom = [quads_low(p45l, p67l), quads_high(p45l, p67l), quads_low(p45h, p67h), quads_high(p45h, p67h)];
    core::array::from_fn(|x| {
        let (t, b) = (top[x / 2], bottom[x / 2]);
        if x % 2 == 0 {
            i64x2_shuffle::<0, 2>(t, b)
        } else {
            i64x2_shuffle::<1, 3>(t, b)
        }
    })
}

/// simd128 twin of [`scalar::satd_8x8`](super::scalar::satd_8x8).
pub fn satd_8x8_simd128(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 8)?;
    check_block(prediction.len(), prediction_stride, 8)?;
    // SAFETY: the checks cover the 8 rows of 8 bytes read from each buffer.
    let load = |buffer: &[u8], offset: usize| unsafe { u16x8_load_extend_u8x8(buffer.as_ptr().add(offset)) };
    let rows: [v128; 8] =
        core::array::from_fn(|y| i16x8_sub(load(source, y * source_stride), load(prediction, y * prediction_stride)));
    let top = hadamard_4_i16([rows[0], rows[1], rows[2], rows[3]]);
    let bottom = hadamard_4_i16([rows[4], rows[5], rows[6], rows[7]]);
    let columns = transpose_8x8_i16([top[0], top[1], top[2], top[3], bottom[0], bottom[1], bottom[2], bottom[3]]);
    let mut half_abs = i16x8_splat(0);
    for c in [&columns[0..4], &columns[4..8]] {
        let sum01 = i16x8_add(c[0], c[1]);
        let diff01 = i16x8_sub(c[0], c[1]);
        let sum23 = i16x8_add(c[2], c[3]);
        let diff23 = i16x8_sub(c[2], c[3]);
        half_abs = i16x8_add(half_abs, half_abs_butterfly(sum01, sum23));
        half_abs = i16x8_add(half_abs, half_abs_butterfly(diff01, diff23));
    }
    Ok(sum_i16(half_abs))
}
