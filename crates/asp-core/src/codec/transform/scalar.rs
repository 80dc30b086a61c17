//! Scalar reference kernels: the definition every SIMD twin must match.
//!
//! Plain Rust, safe indexing, no `unsafe`. The inverse transforms are the
//! generic butterflies of the parent module instantiated on `i32`.

use super::{check_block, inverse_4, inverse_8, round_residual, BlockError, Lane};

/// 2-D inverse 4x4 transform (rows first, then columns, as H.264 orders it)
/// with the final rounding, in place on a copy of the block; generic so the
/// tests can run it on intervals.
#[inline(always)]
pub(crate) fn inverse_4x4_generic<T: Lane>(coeffs: &[T; 16]) -> [T; 16] {
    let mut block = *coeffs;
    for row in block.chunks_exact_mut(4) {
        let out = inverse_4([row[0], row[1], row[2], row[3]]);
        row.copy_from_slice(&out);
    }
    for x in 0..4 {
        // The whole column is read before any of it is overwritten.
        let out = inverse_4([block[x], block[4 + x], block[8 + x], block[12 + x]]);
        for (y, value) in out.into_iter().enumerate() {
            block[y * 4 + x] = round_residual(value);
        }
    }
    block
}

/// 2-D inverse 8x8 transform with the final rounding; see
/// [`inverse_4x4_generic`].
#[inline(always)]
pub(crate) fn inverse_8x8_generic<T: Lane>(coeffs: &[T; 64]) -> [T; 64] {
    let mut block = *coeffs;
    for row in block.chunks_exact_mut(8) {
        let out = inverse_8([row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7]]);
        row.copy_from_slice(&out);
    }
    for x in 0..8 {
        let column = core::array::from_fn(|y| block[y * 8 + x]);
        for (y, value) in inverse_8(column).into_iter().enumerate() {
            block[y * 8 + x] = round_residual(value);
        }
    }
    block
}

/// The residual a 4x4 block of dequantised coefficients decodes to.
pub fn inverse_4x4(coeffs: &[i32; 16]) -> [i32; 16] {
    inverse_4x4_generic(coeffs)
}

/// The residual an 8x8 block of dequantised coefficients decodes to.
pub fn inverse_8x8(coeffs: &[i32; 64]) -> [i32; 64] {
    inverse_8x8_generic(coeffs)
}

/// Adds a `size` x `size` residual to the prediction in `dst`, clipping.
#[inline(always)]
fn add_residual(residual: &[i32], size: usize, dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, size)?;
    for (y, residual_row) in residual.chunks_exact(size).enumerate() {
        let dst_row = &mut dst[y * dst_stride..y * dst_stride + size];
        for (pixel, &r) in dst_row.iter_mut().zip(residual_row) {
            // `r` is a rounded residual, within ±2^25, so this cannot overflow.
            *pixel = (i32::from(*pixel) + r).clamp(0, 255) as u8;
        }
    }
    Ok(())
}

/// Decodes a 4x4 block in place: inverse transform, rounding, add, clip.
pub fn inverse_add_4x4(coeffs: &[i32; 16], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    add_residual(&inverse_4x4(coeffs), 4, dst, dst_stride)
}

/// Decodes an 8x8 block in place: inverse transform, rounding, add, clip.
pub fn inverse_add_8x8(coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    add_residual(&inverse_8x8(coeffs), 8, dst, dst_stride)
}

/// Adds the residual of a DC-only `size` x `size` block.
pub(crate) fn inverse_add_dc(dc: i32, dst: &mut [u8], dst_stride: usize, size: usize) -> Result<(), BlockError> {
    let residual = round_residual(dc);
    add_residual(&[residual; 64][..size * size], size, dst, dst_stride)
}

/// One 4-point forward core transform: rows of `C` are (1, 1, 1, 1),
/// (2, 1, -1, -2), (1, -1, -1, 1), (1, -2, 2, -1).
#[inline(always)]
fn forward_4(x: [i32; 4]) -> [i32; 4] {
    let sum_outer = x[0] + x[3];
    let sum_inner = x[1] + x[2];
    let diff_outer = x[0] - x[3];
    let diff_inner = x[1] - x[2];
    [
        sum_outer + sum_inner,
        2 * diff_outer + diff_inner,
        sum_outer - sum_inner,
        diff_outer - 2 * diff_inner,
    ]
}

/// One 8-point forward transform: the rows of `T`, exactly (no shifts).
///
/// ```text
///      8   8   8   8   8   8   8   8
///     12  10   6   3  -3  -6 -10 -12
///      8   4  -4  -8  -8  -4   4   8
///     10  -3 -12  -6   6  12   3 -10
///      8  -8  -8   8   8  -8  -8   8
///      6 -12   3  10 -10  -3  12  -6
///      4  -8   8  -4  -4   8  -8   4
///      3  -6  10 -12  12 -10   6  -3
/// ```
///
/// The H.264 inverse butterflies compute `T^T d / 8`, with flooring shifts.
#[inline(always)]
// The one-dimensional reference that `forward_8x8`'s eight-lane version
// is tested against.
#[cfg_attr(not(test), allow(dead_code))]
fn forward_8(x: [i32; 8]) -> [i32; 8] {
    // Even rows see only the mirror sums, odd rows only the mirror
    // differences.
    let sum: [i32; 4] = core::array::from_fn(|k| x[k] + x[7 - k]);
    let diff: [i32; 4] = core::array::from_fn(|k| x[k] - x[7 - k]);
    let sum_outer = sum[0] + sum[3];
    let sum_inner = sum[1] + sum[2];
    let diff_outer = sum[0] - sum[3];
    let diff_inner = sum[1] - sum[2];
    [
        8 * (sum_outer + sum_inner),
        12 * diff[0] + 10 * diff[1] + 6 * diff[2] + 3 * diff[3],
        8 * diff_outer + 4 * diff_inner,
        10 * diff[0] - 3 * diff[1] - 12 * diff[2] - 6 * diff[3],
        8 * (sum_outer - sum_inner),
        6 * diff[0] - 12 * diff[1] + 3 * diff[2] + 10 * diff[3],
        4 * diff_outer - 8 * diff_inner,
        3 * diff[0] - 6 * diff[1] + 10 * diff[2] - 12 * diff[3],
    ]
}

/// H.264's forward 4x4 core transform `C X C^T`. For an `i16` input every
/// value stays within `36 * 32768`.
pub fn forward_4x4(residual: &[i16; 16]) -> [i32; 16] {
    let mut rows = [0i32; 16];
    for y in 0..4 {
        let input = core::array::from_fn(|x| i32::from(residual[y * 4 + x]));
        rows[y * 4..y * 4 + 4].copy_from_slice(&forward_4(input));
    }
    let mut coeffs = [0i32; 16];
    for x in 0..4 {
        let column = forward_4(core::array::from_fn(|y| rows[y * 4 + x]));
        for (y, value) in column.into_iter().enumerate() {
            coeffs[y * 4 + x] = value;
        }
    }
    coeffs
}

/// The forward 8x8 transform `T X T^T / 64`, rounded half away from zero.
/// For an `i16` input `T X T^T` stays within `64 * 64 * 32768 = 2^27`.
#[inline(always)]
pub fn forward_8x8(residual: &[i16; 64]) -> [i32; 64] {
    // The same exact integer product as `forward_8` applied to rows then
    // columns, organised so that every butterfly runs on eight lanes at once
    // (whole rows): the compiler turns each into a few vector instructions.
    // Integer arithmetic is exact here, so the order of the passes does not
    // change the result.
    let rows: [[i32; 8]; 8] = core::array::from_fn(|y| core::array::from_fn(|x| i32::from(residual[y * 8 + x])));
    let columns_done = forward_8_lanes(&rows);
    let transposed: [[i32; 8]; 8] = core::array::from_fn(|x| core::array::from_fn(|y| columns_done[y][x]));
    let both_done = forward_8_lanes(&transposed);
    let mut coeffs = [0i32; 64];
    for (x, column) in both_done.iter().enumerate() {
        for (y, &value) in column.iter().enumerate() {
            // Symmetric rounding keeps forward(-x) == -forward(x).
            let magnitude = (value.unsigned_abs() + 32) >> 6;
            coeffs[y * 8 + x] = if value < 0 { -(magnitude as i32) } else { magnitude as i32 };
        }
    }
    coeffs
}

/// `forward_8` along the first index of `x`, for all eight lanes of the
/// second index at once.
#[inline(always)]
fn forward_8_lanes(x: &[[i32; 8]; 8]) -> [[i32; 8]; 8] {
    type Lanes = [i32; 8];
    let zip = |a: &Lanes, b: &Lanes, f: fn(i32, i32) -> i32| -> Lanes { core::array::from_fn(|i| f(a[i], b[i])) };
    let sum: [Lanes; 4] = core::array::from_fn(|k| zip(&x[k], &x[7 - k], |a, b| a + b));
    let diff: [Lanes; 4] = core::array::from_fn(|k| zip(&x[k], &x[7 - k], |a, b| a - b));
    let sum_outer = zip(&sum[0], &sum[3], |a, b| a + b);
    let sum_inner = zip(&sum[1], &sum[2], |a, b| a + b);
    let diff_outer = zip(&sum[0], &sum[3], |a, b| a - b);
    let diff_inner = zip(&sum[1], &sum[2], |a, b| a - b);
    let odd = |c: [i32; 4]| -> Lanes {
        core::array::from_fn(|i| c[0] * diff[0][i] + c[1] * diff[1][i] + c[2] * diff[2][i] + c[3] * diff[3][i])
    };
    [
        core::array::from_fn(|i| 8 * (sum_outer[i] + sum_inner[i])),
        odd([12, 10, 6, 3]),
        core::array::from_fn(|i| 8 * diff_outer[i] + 4 * diff_inner[i]),
        odd([10, -3, -12, -6]),
        core::array::from_fn(|i| 8 * (sum_outer[i] - sum_inner[i])),
        odd([6, -12, 3, 10]),
        core::array::from_fn(|i| 4 * diff_outer[i] - 8 * diff_inner[i]),
        odd([3, -6, 10, -12]),
    ]
}

/// Fills `out` (`size` x `size`, row-major) with `source - prediction`.
fn residual_into(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
    size: usize,
    out: &mut [i16],
) -> Result<(), BlockError> {
    check_block(source.len(), source_stride, size)?;
    check_block(prediction.len(), prediction_stride, size)?;
    for (y, out_row) in out.chunks_exact_mut(size).enumerate() {
        let source_row = &source[y * source_stride..y * source_stride + size];
        let prediction_row = &prediction[y * prediction_stride..y * prediction_stride + size];
        for ((value, &s), &p) in out_row.iter_mut().zip(source_row).zip(prediction_row) {
            *value = i16::from(s) - i16::from(p);
        }
    }
    Ok(())
}

/// The residual `source - prediction` of a 4x4 block.
pub fn residual_4x4(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i16; 16], BlockError> {
    let mut residual = [0i16; 16];
    residual_into(source, source_stride, prediction, prediction_stride, 4, &mut residual)?;
    Ok(residual)
}

/// The residual `source - prediction` of an 8x8 block.
pub fn residual_8x8(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i16; 64], BlockError> {
    let mut residual = [0i16; 64];
    residual_into(source, source_stride, prediction, prediction_stride, 8, &mut residual)?;
    Ok(residual)
}

/// Sum of squared differences between a `size` x `size` source block and a
/// reconstruction (or prediction) of it. At most `size² · 255²`, which
/// fits `u32` up to 16x16.
pub fn ssd(
    source: &[u8],
    source_stride: usize,
    reconstruction: &[u8],
    reconstruction_stride: usize,
    size: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, size)?;
    check_block(reconstruction.len(), reconstruction_stride, size)?;
    let mut sum = 0u32;
    for y in 0..size {
        let source_row = &source[y * source_stride..][..size];
        let reconstruction_row = &reconstruction[y * reconstruction_stride..][..size];
        for (&a, &b) in source_row.iter().zip(reconstruction_row) {
            sum += u32::from(a.abs_diff(b)).pow(2);
        }
    }
    Ok(sum)
}

/// One 4-point Hadamard transform (sign pattern order does not matter for
/// SATD, only the set of outputs).
#[inline(always)]
fn hadamard_4(x: [i32; 4]) -> [i32; 4] {
    let sum01 = x[0] + x[1];
    let diff01 = x[0] - x[1];
    let sum23 = x[2] + x[3];
    let diff23 = x[2] - x[3];
    [sum01 + sum23, diff01 + diff23, sum01 - sum23, diff01 - diff23]
}

/// The un-halved sum of absolute 2-D Hadamard coefficients of the 4x4
/// difference block at (`x0`, `y0`); buffers already checked.
fn hadamard_abs_sum_at(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
    x0: usize,
    y0: usize,
) -> u32 {
    let mut rows = [[0i32; 4]; 4];
    for (y, row) in rows.iter_mut().enumerate() {
        let source_row = &source[(y0 + y) * source_stride + x0..][..4];
        let prediction_row = &prediction[(y0 + y) * prediction_stride + x0..][..4];
        *row = hadamard_4(core::array::from_fn(|x| i32::from(source_row[x]) - i32::from(prediction_row[x])));
    }
    (0..4)
        .map(|x| hadamard_4(rows.map(|row| row[x])).iter().map(|v| v.unsigned_abs()).sum::<u32>())
        .sum()
}

/// Halved sum of absolute Hadamard-transformed differences of a 4x4 block.
pub fn satd_4x4(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 4)?;
    check_block(prediction.len(), prediction_stride, 4)?;
    Ok(hadamard_abs_sum_at(source, source_stride, prediction, prediction_stride, 0, 0) >> 1)
}

/// SATD of an 8x8 block: the sum over its four 4x4 blocks.
pub fn satd_8x8(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 8)?;
    check_block(prediction.len(), prediction_stride, 8)?;
    let mut sum = 0;
    for (x0, y0) in [(0, 0), (4, 0), (0, 4), (4, 4)] {
        sum += hadamard_abs_sum_at(source, source_stride, prediction, prediction_stride, x0, y0);
    }
    // Each 4x4 sum is even, so halving the total halves each exactly.
    Ok(sum >> 1)
}

#[cfg(test)]
mod lanes_tests {
    use super::*;

    /// The eight-lane forward 8x8 equals rows-then-columns of the readable
    /// one-dimensional `forward_8`, rounding included.
    #[test]
    fn lane_parallel_forward_matches_the_reference() {
        let mut rng = asp_testkit::Rng::new(0x1234_5678);
        for round in 0..2000 {
            let residual: [i16; 64] = core::array::from_fn(|_| {
                let state = rng.next_u64() as u32;
                match round % 3 {
                    0 => (state % 511) as i16 - 255,
                    1 => (state % 21) as i16 - 10,
                    _ => if state & 1 == 0 { 255 } else { -255 },
                }
            });
            let mut rows = [0i32; 64];
            for y in 0..8 {
                rows[y * 8..y * 8 + 8].copy_from_slice(&forward_8(core::array::from_fn(|x| i32::from(residual[y * 8 + x]))));
            }
            let mut expected = [0i32; 64];
            for x in 0..8 {
                let column = forward_8(core::array::from_fn(|y| rows[y * 8 + x]));
                for (y, value) in column.into_iter().enumerate() {
                    let magnitude = (value.unsigned_abs() + 32) >> 6;
                    expected[y * 8 + x] = if value < 0 { -(magnitude as i32) } else { magnitude as i32 };
                }
            }
            assert_eq!(forward_8x8(&residual), expected);
        }
    }
}
