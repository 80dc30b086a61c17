//! SSE2 twins of the scalar kernels (SSE2 is part of x86_64, so these need no
//! detection), and AVX2 twins of the 8x8 transforms behind [`Avx2`].
//!
//! The inverse transforms run on `i32` lanes: the butterflies are the generic
//! ones of the parent module, so the arithmetic is the scalar reference's,
//! lane for lane (wrapping add and subtract, arithmetic shifts). 16-bit lanes
//! would be twice as wide but cannot hold the intermediate values of every
//! block a bitstream can carry. The layout work around them: a transpose so
//! that one vector holds a column (the row pass then combines whole
//! vectors), a transpose back, the column pass, and the final
//! rounding, saturating packs and add. The packs saturate to `i16` and then
//! to `0..=255`; since a pixel is at most 255, saturating the residual to
//! `i16` first gives the same clipped pixel as the scalar `i32` add.
//!
//! SATD runs on `i16` lanes: residuals are within ±255, so 4x4 Hadamard
//! coefficients are within `16 * 255`.
//!
//! Memory safety: every public function checks its buffers with
//! `check_block` before the `unsafe` kernel touches them; the kernels read
//! and write exactly the `size` x `size` block that check covers.

// Intrinsics are safe to call in SSE2 code since Rust 1.87, but `unsafe` in
// 1.85 (the workspace's minimum), hence the blocks rustc may call unused.
#![allow(unused_unsafe)]

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use super::{check_block, inverse_4, inverse_8, round_residual, BlockError, Lane};
use crate::cpu::CpuFeatures;

/// Four `i32` lanes of an SSE2 register.
#[derive(Clone, Copy)]
struct I32x4(__m128i);

impl Lane for I32x4 {
    #[inline(always)]
    fn splat(value: i32) -> Self {
        Self(unsafe { _mm_set1_epi32(value) })
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(unsafe { _mm_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self(unsafe { _mm_sub_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn shr<const BITS: i32>(self) -> Self {
        Self(unsafe { _mm_srai_epi32::<BITS>(self.0) })
    }
}

/// Transposes a 4x4 block of `i32` held as four row vectors.
#[inline(always)]
fn transpose_4x4(rows: [I32x4; 4]) -> [I32x4; 4] {
    unsafe {
        let [r0, r1, r2, r3] = rows.map(|r| r.0);
        let r01_low = _mm_unpacklo_epi32(r0, r1); // r0[0] r1[0] r0[1] r1[1]
        let r23_low = _mm_unpacklo_epi32(r2, r3);
        let r01_high = _mm_unpackhi_epi32(r0, r1); // r0[2] r1[2] r0[3] r1[3]
        let r23_high = _mm_unpackhi_epi32(r2, r3);
        [
            I32x4(_mm_unpacklo_epi64(r01_low, r23_low)),
            I32x4(_mm_unpackhi_epi64(r01_low, r23_low)),
            I32x4(_mm_unpacklo_epi64(r01_high, r23_high)),
            I32x4(_mm_unpackhi_epi64(r01_high, r23_high)),
        ]
    }
}

/// The 8x8 inverse transform with its final rounding, on SSE2 vectors.
///
/// The block is held as quarters, `[top left, top right, bottom left,
/// bottom right]`, each four row vectors of four lanes, and worked one half
/// at a time (rows 0..4, rows 4..8, then columns 0..4, columns 4..8), which
/// keeps most of it in the sixteen registers; the whole block at once spills
/// heavily.
#[inline(always)]
fn inverse_8x8_by_quarters(quarters: [[I32x4; 4]; 4]) -> [[I32x4; 4]; 4] {
    let [top_left, top_right, bottom_left, bottom_right] = quarters;
    let join = |left: [I32x4; 4], right: [I32x4; 4]| {
        [left[0], left[1], left[2], left[3], right[0], right[1], right[2], right[3]]
    };
    let first_four = |half: [I32x4; 8]| [half[0], half[1], half[2], half[3]];
    let last_four = |half: [I32x4; 8]| [half[4], half[5], half[6], half[7]];
    // Row pass: vector k holds column k of four rows.
    let top = inverse_8(join(transpose_4x4(top_left), transpose_4x4(top_right)));
    let bottom = inverse_8(join(transpose_4x4(bottom_left), transpose_4x4(bottom_right)));
    // Column pass: vector y holds row y of four columns.
    let left = inverse_8(join(transpose_4x4(first_four(top)), transpose_4x4(first_four(bottom))));
    let right = inverse_8(join(transpose_4x4(last_four(top)), transpose_4x4(last_four(bottom))));
    let (left, right) = (left.map(round_residual), right.map(round_residual));
    [first_four(left), first_four(right), last_four(left), last_four(right)]
}

/// Adds two rows of eight `i16` residuals to two prediction rows of eight
/// pixels at `dst` and `dst + stride`, with saturation to `0..=255`.
///
/// # Safety
/// SSE2; 8 bytes at `dst` and at `dst + stride` are valid for reads and
/// writes.
#[inline(always)]
unsafe fn add_two_rows_of_8(residual_rows: __m128i, residual_next: __m128i, dst: *mut u8, stride: usize) {
    unsafe {
        let zero = _mm_setzero_si128();
        let row = dst;
        let next = dst.add(stride);
        let prediction = _mm_unpacklo_epi8(_mm_loadl_epi64(row as *const __m128i), zero);
        let prediction_next = _mm_unpacklo_epi8(_mm_loadl_epi64(next as *const __m128i), zero);
        let pixels = _mm_packus_epi16(
            _mm_adds_epi16(prediction, residual_rows),
            _mm_adds_epi16(prediction_next, residual_next),
        );
        _mm_storel_epi64(row as *mut __m128i, pixels);
        _mm_storel_epi64(next as *mut __m128i, _mm_srli_si128::<8>(pixels));
    }
}

/// SSE2 twin of [`scalar::inverse_add_4x4`](super::scalar::inverse_add_4x4).
pub fn inverse_add_4x4_sse2(coeffs: &[i32; 16], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, 4)?;
    // SAFETY: the check above covers the 4 rows of 4 bytes written below.
    unsafe { inverse_add_4x4_kernel(coeffs, dst.as_mut_ptr(), dst_stride) };
    Ok(())
}

/// # Safety
/// SSE2; 4 rows of 4 bytes at `dst`, `stride` apart, valid for reads and
/// writes.
#[inline(always)]
unsafe fn inverse_add_4x4_kernel(coeffs: &[i32; 16], dst: *mut u8, stride: usize) {
    unsafe {
        let rows: [I32x4; 4] =
            core::array::from_fn(|y| I32x4(_mm_loadu_si128(coeffs.as_ptr().add(4 * y) as *const __m128i)));
        // Row pass on columns-as-vectors, then the column pass on rows.
        let row_transformed = inverse_4(transpose_4x4(rows));
        let residual = inverse_4(transpose_4x4(row_transformed)).map(round_residual);
        let residual01 = _mm_packs_epi32(residual[0].0, residual[1].0);
        let residual23 = _mm_packs_epi32(residual[2].0, residual[3].0);

        let row_ptr = |y: usize| dst.add(y * stride);
        let load_row = |y: usize| _mm_cvtsi32_si128(core::ptr::read_unaligned(row_ptr(y) as *const i32));
        let zero = _mm_setzero_si128();
        let prediction01 = _mm_unpacklo_epi8(_mm_unpacklo_epi32(load_row(0), load_row(1)), zero);
        let prediction23 = _mm_unpacklo_epi8(_mm_unpacklo_epi32(load_row(2), load_row(3)), zero);
        let pixels = _mm_packus_epi16(
            _mm_adds_epi16(prediction01, residual01),
            _mm_adds_epi16(prediction23, residual23),
        );
        let store_row = |y: usize, row: __m128i| {
            core::ptr::write_unaligned(row_ptr(y) as *mut i32, _mm_cvtsi128_si32(row));
        };
        store_row(0, pixels);
        store_row(1, _mm_srli_si128::<4>(pixels));
        store_row(2, _mm_srli_si128::<8>(pixels));
        store_row(3, _mm_srli_si128::<12>(pixels));
    }
}

/// SSE2 twin of [`scalar::inverse_add_8x8`](super::scalar::inverse_add_8x8).
pub fn inverse_add_8x8_sse2(coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    check_block(dst.len(), dst_stride, 8)?;
    // SAFETY: the check above covers the 8 rows of 8 bytes written below.
    unsafe { inverse_add_8x8_kernel(coeffs, dst.as_mut_ptr(), dst_stride) };
    Ok(())
}

/// # Safety
/// SSE2; 8 rows of 8 bytes at `dst`, `stride` apart, valid for reads and
/// writes.
#[inline(always)]
unsafe fn inverse_add_8x8_kernel(coeffs: &[i32; 64], dst: *mut u8, stride: usize) {
    unsafe {
        let load = |offset: usize| I32x4(_mm_loadu_si128(coeffs.as_ptr().add(offset) as *const __m128i));
        let quarter = |first: usize| core::array::from_fn(|y| load(first + 8 * y));
        let residual = inverse_8x8_by_quarters([quarter(0), quarter(4), quarter(32), quarter(36)]);
        // The eight i16 residuals of row y: its left and right quarters.
        let row = |y: usize| {
            let (left, right) = (&residual[2 * (y / 4)], &residual[2 * (y / 4) + 1]);
            _mm_packs_epi32(left[y % 4].0, right[y % 4].0)
        };
        for y in (0..8).step_by(2) {
            add_two_rows_of_8(row(y), row(y + 1), dst.add(y * stride), stride);
        }
    }
}

/// Proof that the running CPU has AVX2: the only way to call the AVX2
/// kernels. Copy it freely.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

impl Avx2 {
    /// `Some` when `cpu` allows AVX2 and this CPU has it (see
    /// [`CpuFeatures::host`]).
    #[inline]
    pub fn new(cpu: CpuFeatures) -> Option<Self> {
        cpu.masked(CpuFeatures::host()).contains(CpuFeatures::AVX2).then_some(Avx2(()))
    }

    /// AVX2 twin of [`scalar::forward_8x8`](super::scalar::forward_8x8):
    /// the same butterflies on eight `i32` lanes (AVX2 has the 8-lane 32-bit
    /// multiply that SSE2 lacks), with the transposes between the passes.
    #[inline]
    pub fn forward_8x8(self, residual: &[i16; 64]) -> [i32; 64] {
        // SAFETY: `self` proves AVX2.
        unsafe { forward_8x8_avx2(residual) }
    }

    /// AVX2 twin of [`forward_diff_8x8`](super::forward_diff_8x8) (the
    /// scalar `forward_8x8` of the scalar `residual_8x8`): the differences
    /// are formed straight into the `i32` lanes the transform runs on, with
    /// no `i16` residual block between, and the coefficients written to
    /// `out`.
    #[inline]
    pub fn forward_diff_8x8(
        self,
        source: &[u8],
        source_stride: usize,
        prediction: &[u8],
        prediction_stride: usize,
        out: &mut [i32; 64],
    ) -> Result<(), BlockError> {
        check_block(source.len(), source_stride, 8)?;
        check_block(prediction.len(), prediction_stride, 8)?;
        // SAFETY: `self` proves AVX2; the checks cover the 8 rows of 8 bytes
        // read from each buffer.
        unsafe { forward_diff_8x8_avx2(source.as_ptr(), source_stride, prediction.as_ptr(), prediction_stride, out) };
        Ok(())
    }

    /// AVX2 twin of [`scalar::inverse_add_8x8`](super::scalar::inverse_add_8x8).
    pub fn inverse_add_8x8(self, coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
        check_block(dst.len(), dst_stride, 8)?;
        // SAFETY: `self` proves AVX2; the check covers the 8x8 block.
        unsafe { inverse_add_8x8_avx2(coeffs, dst.as_mut_ptr(), dst_stride) };
        Ok(())
    }
}

/// # Safety
/// AVX2.
#[target_feature(enable = "avx2")]
unsafe fn forward_8x8_avx2(residual: &[i16; 64]) -> [i32; 64] {
    unsafe {
        // One register per row.
        let mut rows = [I32x8(_mm256_setzero_si256()); 8];
        for (y, row) in rows.iter_mut().enumerate() {
            *row = I32x8(_mm256_cvtepi16_epi32(_mm_loadu_si128(residual.as_ptr().add(8 * y) as *const __m128i)));
        }
        let mut out = [0i32; 64];
        forward_rows_avx2(rows, &mut out);
        out
    }
}

/// # Safety
/// AVX2; 8 rows of 8 bytes readable at `source` and at `prediction`,
/// `source_stride` and `prediction_stride` apart.
#[target_feature(enable = "avx2")]
unsafe fn forward_diff_8x8_avx2(
    source: *const u8,
    source_stride: usize,
    prediction: *const u8,
    prediction_stride: usize,
    out: &mut [i32; 64],
) {
    unsafe {
        // One register per row of differences.
        let mut rows = [I32x8(_mm256_setzero_si256()); 8];
        for (y, row) in rows.iter_mut().enumerate() {
            let source_row = widen_8_avx2(source.add(y * source_stride));
            let prediction_row = widen_8_avx2(prediction.add(y * prediction_stride));
            *row = I32x8(_mm256_sub_epi32(source_row, prediction_row));
        }
        forward_rows_avx2(rows, out);
    }
}

/// Eight bytes at `row` as eight `i32` lanes. A plain function, not a
/// closure, for the caller's AVX2 (as [`forward_8_avx2`]).
///
/// # Safety
/// AVX2; 8 bytes readable at `row`.
#[inline(always)]
unsafe fn widen_8_avx2(row: *const u8) -> __m256i {
    unsafe { _mm256_cvtepu8_epi32(_mm_loadl_epi64(row as *const __m128i)) }
}

/// The forward 8x8 transform of a residual held one row a register, with
/// the reference's final rounding, into `out`: the first pass transforms
/// down the columns (all eight at once), the second, after a transpose,
/// along the rows.
///
/// # Safety
/// AVX2.
#[inline(always)]
unsafe fn forward_rows_avx2(rows: [I32x8; 8], out: &mut [i32; 64]) {
    unsafe {
        let columns_done = forward_8_avx2(rows);
        let both_done = forward_8_avx2(transpose_8x8_avx2(columns_done));
        let coeffs = transpose_8x8_avx2(both_done);
        let rounding = _mm256_set1_epi32(32);
        for (y, row) in coeffs.iter().enumerate() {
            // Symmetric rounding, as the reference: sign(v) * ((|v| + 32) >> 6).
            let magnitude = _mm256_srli_epi32::<6>(_mm256_add_epi32(_mm256_abs_epi32(row.0), rounding));
            let value = _mm256_sign_epi32(magnitude, row.0);
            _mm256_storeu_si256(out.as_mut_ptr().add(8 * y) as *mut __m256i, value);
        }
    }
}

/// The 8-point forward transform of the scalar reference (`forward_8`)
/// along the register index, on eight lanes at once. Plain functions, not
/// closures: closures do not inherit the caller's AVX2 and would not inline.
///
/// # Safety
/// AVX2.
#[inline(always)]
unsafe fn forward_8_avx2(x: [I32x8; 8]) -> [I32x8; 8] {
    unsafe {
        let sum = [add8(x[0].0, x[7].0), add8(x[1].0, x[6].0), add8(x[2].0, x[5].0), add8(x[3].0, x[4].0)];
        let diff = [sub8(x[0].0, x[7].0), sub8(x[1].0, x[6].0), sub8(x[2].0, x[5].0), sub8(x[3].0, x[4].0)];
        let sum_outer = add8(sum[0], sum[3]);
        let sum_inner = add8(sum[1], sum[2]);
        let diff_outer = sub8(sum[0], sum[3]);
        let diff_inner = sub8(sum[1], sum[2]);
        [
            I32x8(_mm256_slli_epi32::<3>(add8(sum_outer, sum_inner))),
            I32x8(odd8(&diff, 12, 10, 6, 3)),
            I32x8(add8(_mm256_slli_epi32::<3>(diff_outer), _mm256_slli_epi32::<2>(diff_inner))),
            I32x8(odd8(&diff, 10, -3, -12, -6)),
            I32x8(_mm256_slli_epi32::<3>(sub8(sum_outer, sum_inner))),
            I32x8(odd8(&diff, 6, -12, 3, 10)),
            I32x8(sub8(_mm256_slli_epi32::<2>(diff_outer), _mm256_slli_epi32::<3>(diff_inner))),
            I32x8(odd8(&diff, 3, -6, 10, -12)),
        ]
    }
}

#[inline(always)]
unsafe fn add8(a: __m256i, b: __m256i) -> __m256i {
    unsafe { _mm256_add_epi32(a, b) }
}

#[inline(always)]
unsafe fn sub8(a: __m256i, b: __m256i) -> __m256i {
    unsafe { _mm256_sub_epi32(a, b) }
}

/// `c0 d0 + c1 d1 + c2 d2 + c3 d3`: an odd output row.
#[inline(always)]
unsafe fn odd8(d: &[__m256i; 4], c0: i32, c1: i32, c2: i32, c3: i32) -> __m256i {
    unsafe {
        add8(
            add8(_mm256_mullo_epi32(_mm256_set1_epi32(c0), d[0]), _mm256_mullo_epi32(_mm256_set1_epi32(c1), d[1])),
            add8(_mm256_mullo_epi32(_mm256_set1_epi32(c2), d[2]), _mm256_mullo_epi32(_mm256_set1_epi32(c3), d[3])),
        )
    }
}

/// Eight `i32` lanes of an AVX2 register: one row or column of an 8x8 block.
#[derive(Clone, Copy)]
struct I32x8(__m256i);

impl Lane for I32x8 {
    #[inline(always)]
    fn splat(value: i32) -> Self {
        Self(unsafe { _mm256_set1_epi32(value) })
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(unsafe { _mm256_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self(unsafe { _mm256_sub_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn shr<const BITS: i32>(self) -> Self {
        Self(unsafe { _mm256_srai_epi32::<BITS>(self.0) })
    }
}

/// Transposes an 8x8 block of `i32` held as eight AVX2 row vectors.
///
/// # Safety
/// AVX2.
#[inline(always)]
unsafe fn transpose_8x8_avx2(rows: [I32x8; 8]) -> [I32x8; 8] {
    unsafe {
        let r = rows.map(|row| row.0);
        // Within each 128-bit half: interleave pairs of rows, then pairs of
        // pairs, giving columns (x, x + 4) of 4 rows in one register...
        let pair = |a: __m256i, b: __m256i| (_mm256_unpacklo_epi32(a, b), _mm256_unpackhi_epi32(a, b));
        let (r01_low, r01_high) = pair(r[0], r[1]);
        let (r23_low, r23_high) = pair(r[2], r[3]);
        let (r45_low, r45_high) = pair(r[4], r[5]);
        let (r67_low, r67_high) = pair(r[6], r[7]);
        let top = [
            _mm256_unpacklo_epi64(r01_low, r23_low),
            _mm256_unpackhi_epi64(r01_low, r23_low),
            _mm256_unpacklo_epi64(r01_high, r23_high),
            _mm256_unpackhi_epi64(r01_high, r23_high),
        ];
        let bottom = [
            _mm256_unpacklo_epi64(r45_low, r67_low),
            _mm256_unpackhi_epi64(r45_low, r67_low),
            _mm256_unpacklo_epi64(r45_high, r67_high),
            _mm256_unpackhi_epi64(r45_high, r67_high),
        ];
        // ...then join rows 0..4 and 4..8 of each column across the halves.
        core::array::from_fn(|x| {
            let (t, b) = (top[x % 4], bottom[x % 4]);
            I32x8(if x < 4 { _mm256_permute2x128_si256::<0x20>(t, b) } else { _mm256_permute2x128_si256::<0x31>(t, b) })
        })
    }
}

/// # Safety
/// AVX2; 8 rows of 8 bytes at `dst`, `stride` apart, valid for reads and
/// writes.
#[target_feature(enable = "avx2")]
unsafe fn inverse_add_8x8_avx2(coeffs: &[i32; 64], dst: *mut u8, stride: usize) {
    unsafe {
        let rows: [I32x8; 8] =
            core::array::from_fn(|y| I32x8(_mm256_loadu_si256(coeffs.as_ptr().add(8 * y) as *const __m256i)));
        let row_transformed = inverse_8(transpose_8x8_avx2(rows));
        let residual = inverse_8(transpose_8x8_avx2(row_transformed)).map(round_residual);
        for y in (0..8).step_by(2) {
            // packs works within 128-bit halves: (y low, y+1 low | y high,
            // y+1 high); reorder the 64-bit quarters to (y | y+1).
            let packed = _mm256_packs_epi32(residual[y].0, residual[y + 1].0);
            let both = _mm256_permute4x64_epi64::<0b11_01_10_00>(packed);
            add_two_rows_of_8(_mm256_castsi256_si128(both), _mm256_extracti128_si256::<1>(both), dst.add(y * stride), stride);
        }
    }
}

/// The eight `i16` differences of one 8-pixel row.
///
/// # Safety
/// SSE2; 8 bytes readable at `source` and at `prediction`.
#[inline(always)]
unsafe fn difference_row_8(source: *const u8, prediction: *const u8) -> __m128i {
    unsafe {
        let zero = _mm_setzero_si128();
        let s = _mm_unpacklo_epi8(_mm_loadl_epi64(source as *const __m128i), zero);
        let p = _mm_unpacklo_epi8(_mm_loadl_epi64(prediction as *const __m128i), zero);
        _mm_sub_epi16(s, p)
    }
}

/// The four `i16` differences of one 4-pixel row, in lanes 0..4 (the other
/// lanes are zero).
///
/// # Safety
/// SSE2; 4 bytes readable at `source` and at `prediction`.
#[inline(always)]
unsafe fn difference_row_4(source: *const u8, prediction: *const u8) -> __m128i {
    unsafe {
        let zero = _mm_setzero_si128();
        let load = |p: *const u8| _mm_unpacklo_epi8(_mm_cvtsi32_si128(core::ptr::read_unaligned(p as *const i32)), zero);
        _mm_sub_epi16(load(source), load(prediction))
    }
}

/// A 4-point Hadamard transform across four vectors of `i16` lanes.
#[inline(always)]
fn hadamard_4_i16(x: [__m128i; 4]) -> [__m128i; 4] {
    unsafe {
        let sum01 = _mm_add_epi16(x[0], x[1]);
        let diff01 = _mm_sub_epi16(x[0], x[1]);
        let sum23 = _mm_add_epi16(x[2], x[3]);
        let diff23 = _mm_sub_epi16(x[2], x[3]);
        [
            _mm_add_epi16(sum01, sum23),
            _mm_add_epi16(diff01, diff23),
            _mm_sub_epi16(sum01, sum23),
            _mm_sub_epi16(diff01, diff23),
        ]
    }
}

/// SSE2 twin of [`scalar::ssd`](super::scalar::ssd) for 8x8 blocks: each
/// row's eight differences as `i16` lanes, squared and summed in pairs by
/// `pmaddwd` (at most `2 · 255²` a lane).
pub fn ssd_8x8_sse2(
    source: &[u8],
    source_stride: usize,
    reconstruction: &[u8],
    reconstruction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 8)?;
    check_block(reconstruction.len(), reconstruction_stride, 8)?;
    // SAFETY: the checks cover the 8 rows of 8 bytes read from each buffer.
    unsafe {
        let mut sums = _mm_setzero_si128();
        for y in 0..8 {
            let difference = difference_row_8(source.as_ptr().add(y * source_stride), reconstruction.as_ptr().add(y * reconstruction_stride));
            sums = _mm_add_epi32(sums, _mm_madd_epi16(difference, difference));
        }
        Ok(sum_u32(sums))
    }
}

/// SSE2 twin of [`scalar::ssd`](super::scalar::ssd) for 16x16 blocks, as
/// [`ssd_8x8_sse2`] with each row in two halves.
pub fn ssd_16x16_sse2(
    source: &[u8],
    source_stride: usize,
    reconstruction: &[u8],
    reconstruction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 16)?;
    check_block(reconstruction.len(), reconstruction_stride, 16)?;
    // SAFETY: the checks cover the 16 rows of 16 bytes read from each buffer.
    unsafe {
        let zero = _mm_setzero_si128();
        let mut sums = _mm_setzero_si128();
        for y in 0..16 {
            let s = _mm_loadu_si128(source.as_ptr().add(y * source_stride) as *const __m128i);
            let r = _mm_loadu_si128(reconstruction.as_ptr().add(y * reconstruction_stride) as *const __m128i);
            let low = _mm_sub_epi16(_mm_unpacklo_epi8(s, zero), _mm_unpacklo_epi8(r, zero));
            let high = _mm_sub_epi16(_mm_unpackhi_epi8(s, zero), _mm_unpackhi_epi8(r, zero));
            sums = _mm_add_epi32(sums, _mm_add_epi32(_mm_madd_epi16(low, low), _mm_madd_epi16(high, high)));
        }
        Ok(sum_u32(sums))
    }
}

/// The sum of the four `u32` lanes (at most `256 · 255²` in all).
#[inline(always)]
fn sum_u32(x: __m128i) -> u32 {
    unsafe {
        let pairs = _mm_add_epi32(x, _mm_shuffle_epi32::<0b01_00_11_10>(x));
        let total = _mm_add_epi32(pairs, _mm_shuffle_epi32::<0b10_11_00_01>(pairs));
        _mm_cvtsi128_si32(total) as u32
    }
}

#[inline(always)]
fn abs_i16(x: __m128i) -> __m128i {
    unsafe { _mm_max_epi16(x, _mm_sub_epi16(_mm_setzero_si128(), x)) }
}

/// The sum of the eight `i16` lanes (each non-negative and small).
#[inline(always)]
fn sum_i16(x: __m128i) -> u32 {
    unsafe {
        let pairs = _mm_madd_epi16(x, _mm_set1_epi16(1));
        let quads = _mm_add_epi32(pairs, _mm_shuffle_epi32::<0b01_00_11_10>(pairs));
        let total = _mm_add_epi32(quads, _mm_shuffle_epi32::<0b10_11_00_01>(quads));
        _mm_cvtsi128_si32(total) as u32
    }
}

/// The last Hadamard stage fused with the absolute value and the halving:
/// `|a + b| + |a - b| = 2 max(|a|, |b|)`, so `max(|a|, |b|)` is exactly the
/// halved contribution of the pair.
#[inline(always)]
fn half_abs_butterfly(a: __m128i, b: __m128i) -> __m128i {
    unsafe { _mm_max_epi16(abs_i16(a), abs_i16(b)) }
}

/// SSE2 twin of [`scalar::satd_4x4`](super::scalar::satd_4x4).
pub fn satd_4x4_sse2(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 4)?;
    check_block(prediction.len(), prediction_stride, 4)?;
    // SAFETY: the checks cover the 4 rows of 4 bytes read from each buffer.
    unsafe {
        let rows: [__m128i; 4] = core::array::from_fn(|y| {
            difference_row_4(source.as_ptr().add(y * source_stride), prediction.as_ptr().add(y * prediction_stride))
        });
        let vertical = hadamard_4_i16(rows);
        // Transpose: columns 0 and 1 in one vector, 2 and 3 in the other.
        let v01 = _mm_unpacklo_epi16(vertical[0], vertical[1]);
        let v23 = _mm_unpacklo_epi16(vertical[2], vertical[3]);
        let columns01 = _mm_unpacklo_epi32(v01, v23);
        let columns23 = _mm_unpackhi_epi32(v01, v23);
        // First horizontal stage: (c0 + c2 | c1 + c3) and (c0 - c2 | c1 - c3).
        let sums = _mm_add_epi16(columns01, columns23);
        let diffs = _mm_sub_epi16(columns01, columns23);
        // Last stage against the swapped halves: every pair lands in two
        // lanes, so the lanes add up to the un-halved sum.
        let swap = |x: __m128i| _mm_shuffle_epi32::<0b01_00_11_10>(x);
        let half_abs = _mm_add_epi16(half_abs_butterfly(sums, swap(sums)), half_abs_butterfly(diffs, swap(diffs)));
        Ok(sum_i16(half_abs) >> 1)
    }
}

/// SSE2 twin of [`scalar::residual_8x8`](super::scalar::residual_8x8): a
/// row of eight differences per register.
pub fn residual_8x8_sse2(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i16; 64], BlockError> {
    check_block(source.len(), source_stride, 8)?;
    check_block(prediction.len(), prediction_stride, 8)?;
    let mut residual = [0i16; 64];
    // SAFETY: the checks cover the 8 rows of 8 bytes read from each buffer;
    // each store writes row `y`'s 8 lanes, inside the 64-lane array.
    unsafe {
        for y in 0..8 {
            let row = difference_row_8(source.as_ptr().add(y * source_stride), prediction.as_ptr().add(y * prediction_stride));
            _mm_storeu_si128(residual.as_mut_ptr().add(8 * y) as *mut __m128i, row);
        }
    }
    Ok(residual)
}

/// Transposes an 8x8 block of `i16` held as eight row vectors.
#[inline(always)]
fn transpose_8x8_i16(r: [__m128i; 8]) -> [__m128i; 8] {
    unsafe {
        let pairs_low = |a, b| _mm_unpacklo_epi16(a, b);
        let pairs_high = |a, b| _mm_unpackhi_epi16(a, b);
        let (p01l, p01h) = (pairs_low(r[0], r[1]), pairs_high(r[0], r[1]));
        let (p23l, p23h) = (pairs_low(r[2], r[3]), pairs_high(r[2], r[3]));
        let (p45l, p45h) = (pairs_low(r[4], r[5]), pairs_high(r[4], r[5]));
        let (p67l, p67h) = (pairs_low(r[6], r[7]), pairs_high(r[6], r[7]));
        // Columns (0,1), (2,3), (4,5), (6,7) of rows 0..4 and of rows 4..8.
        let top = [
            _mm_unpacklo_epi32(p01l, p23l),
            _mm_unpackhi_epi32(p01l, p23l),
            _mm_unpacklo_epi32(p01h, p23h),
            _mm_unpackhi_epi32(p01h, p23h),
        ];
        let bottom = [
            _mm_unpacklo_epi32(p45l, p67l),
            _mm_unpackhi_epi32(p45l, p67l),
            _mm_unpacklo_epi32(p45h, p67h),
            _mm_unpackhi_epi32(p45h, p67h),
        ];
        core::array::from_fn(|x| {
            let (t, b) = (top[x / 2], bottom[x / 2]);
            if x % 2 == 0 {
                _mm_unpacklo_epi64(t, b)
            } else {
                _mm_unpackhi_epi64(t, b)
            }
        })
    }
}

/// SSE2 twin of [`scalar::satd_8x8`](super::scalar::satd_8x8): the four 4x4
/// Hadamard transforms run side by side.
pub fn satd_8x8_sse2(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    check_block(source.len(), source_stride, 8)?;
    check_block(prediction.len(), prediction_stride, 8)?;
    // SAFETY: the checks cover the 8 rows of 8 bytes read from each buffer.
    unsafe {
        let rows: [__m128i; 8] = core::array::from_fn(|y| {
            difference_row_8(source.as_ptr().add(y * source_stride), prediction.as_ptr().add(y * prediction_stride))
        });
        // Vertical transforms of the top and the bottom 4x4 blocks.
        let top = hadamard_4_i16([rows[0], rows[1], rows[2], rows[3]]);
        let bottom = hadamard_4_i16([rows[4], rows[5], rows[6], rows[7]]);
        let columns = transpose_8x8_i16([top[0], top[1], top[2], top[3], bottom[0], bottom[1], bottom[2], bottom[3]]);
        // Horizontal transforms of the left and the right 4x4 blocks; the
        // last stage fused with abs and halving.
        let mut half_abs = _mm_setzero_si128();
        for c in [&columns[0..4], &columns[4..8]] {
            let sum01 = _mm_add_epi16(c[0], c[1]);
            let diff01 = _mm_sub_epi16(c[0], c[1]);
            let sum23 = _mm_add_epi16(c[2], c[3]);
            let diff23 = _mm_sub_epi16(c[2], c[3]);
            half_abs = _mm_add_epi16(half_abs, half_abs_butterfly(sum01, sum23));
            half_abs = _mm_add_epi16(half_abs, half_abs_butterfly(diff01, diff23));
        }
        Ok(sum_i16(half_abs))
    }
}
