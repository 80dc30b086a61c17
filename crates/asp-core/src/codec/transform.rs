//! H.264's integer transforms: the 4x4 core transform and the 8x8 High-profile
//! transform, forward (encoder) and inverse (decoder and encoder
//! reconstruction), plus the 4x4 Hadamard SATD the encoder uses to estimate
//! rate-distortion cost quickly.
//!
//! # Blocks and layout
//!
//! Every block is row-major: entry `[row * N + column]`, row 0 at the top,
//! column 0 on the left; coefficient `[0]` is DC, `[1]` the lowest horizontal
//! frequency. Pixel blocks live in 8-bit buffers addressed by a stride (the
//! distance from one row to the next); a function that takes a buffer checks
//! once that the block fits and returns [`BlockError`] if it does not.
//!
//! # Inverse transform: exact, bit for bit
//!
//! [`inverse_add_4x4`] and [`inverse_add_8x8`] are the decoder's hot path:
//! dequantised coefficients -> inverse transform (rows, then columns, exactly
//! the butterflies of H.264 §8.5.12.2 and §8.5.13.2) -> `(x + 32) >> 6` ->
//! added to the prediction in place, clipped to `0..=255`. The encoder calls
//! the same functions to build its reference frames, so encoder, native
//! decoder and WebAssembly decoder agree bit for bit.
//!
//! The arithmetic is `i32` with *wrapping* add and subtract and arithmetic
//! (flooring) right shifts — what SIMD lanes do natively — so the scalar
//! reference and every SIMD twin give identical results for **every** input,
//! and never panic. For coefficients within `±`[`COEFF_MAX`] (which
//! [`quant`](super::quant) dequantisation guarantees) nothing ever wraps: the
//! result is the exact H.264 result. Proof: with every input in
//! `[-M, M]`, interval arithmetic through the exact butterflies (the test
//! `no_intermediate_overflows_at_coeff_max` runs the very code below on
//! intervals, asserting at every operation) bounds every intermediate value
//! of the 4x4 transform by `12.25 M` and of the 8x8 transform by `62.02 M`;
//! with `M = 2^24 - 1` that is at most `1.05 * 10^9 < 2^31 - 1`, rounding
//! term included.
//!
//! # Forward transform
//!
//! [`forward_4x4`] is H.264's exact integer core transform `C X C^T`. The
//! 8x8 forward transform is the exact integer matrix product `T X T^T`
//! (`T` the 8x8 integer basis, entries 8, 12, 10, 6, 4, 3), divided by 64
//! with one symmetric rounding at the end, so that its scale matches the
//! classic H.264 8x8 quantiser tables. Neither shifts away precision in the
//! middle. For residuals in `-255..=255` the outputs fit `i16`; for any
//! `i16` residual they fit `i32` (bounded by `36 * 32768` and
//! `64 * 32768`).
//!
//! # SIMD
//!
//! [`scalar`] holds the reference kernels. On x86/x86_64 with SSE2 (always
//! there on x86_64), [`x86`] holds SSE2 twins, and AVX2 twins of the 8x8
//! inverse and forward transforms. On `wasm32` compiled with `+simd128`,
//! `wasm` holds simd128 twins. On `aarch64`, `neon` holds NEON twins of the
//! inverse transforms, the DC-only adds, the 8x8 forward transform and
//! SATD. [`Kernels`] picks the twin a [`CpuFeatures`] value allows; the
//! functions at this level use [`Kernels::detect`]. The tests run every
//! twin on each of [`CpuFeatures::levels`] against the scalar reference, on
//! random and extreme inputs (natively, as wasm under `tests/wasm-simd/run.sh`, as
//! aarch64 under qemu-user by `tests/arm/run.sh`).

use core::fmt;

use crate::cpu::CpuFeatures;

pub mod scalar;
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
pub mod x86;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod wasm;
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
pub mod neon;

/// The one dispatch of a kernel family: returns from the calling function
/// the result of the first twin in the list that `$cpu` allows and this
/// build has; otherwise falls through to the caller's scalar reference.
/// `avx2(token) => call` binds the [`x86::Avx2`] token for `call`;
/// `sse2 => call`, `simd128 => call` and `neon => call` need only the
/// feature. A twin whose
/// architecture this build lacks is compiled out with its call.
macro_rules! try_twins {
    ($cpu:expr, $($twin:ident $(($token:ident))? => $call:expr),+ $(,)?) => {
        let cpu: $crate::cpu::CpuFeatures = $cpu;
        $($crate::codec::transform::try_twins!(@twin cpu, $twin $(($token))? => $call);)+
        let _ = cpu;
    };
    (@twin $cpu:ident, avx2($token:ident) => $call:expr) => {
        #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
        if let Some($token) = $crate::codec::transform::x86::Avx2::new($cpu) {
            return $call;
        }
    };
    (@twin $cpu:ident, sse2 => $call:expr) => {
        #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
        if $cpu.contains($crate::cpu::CpuFeatures::SSE2) {
            return $call;
        }
    };
    (@twin $cpu:ident, simd128 => $call:expr) => {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if $cpu.contains($crate::cpu::CpuFeatures::SIMD128) {
            return $call;
        }
    };
    (@twin $cpu:ident, neon => $call:expr) => {
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        if $cpu.contains($crate::cpu::CpuFeatures::NEON) {
            return $call;
        }
    };
}
pub(crate) use try_twins;

/// Largest magnitude of a coefficient the inverse transforms compute exactly
/// (`2^24 - 1`; see the module docs for the proof). [`quant`](super::quant)
/// dequantisation clamps its outputs to `-COEFF_MAX..=COEFF_MAX`. Real
/// content stays far below it: a full-scale residual of 255 needs a DC
/// coefficient of `255 * 64 = 16320`.
pub const COEFF_MAX: i32 = (1 << 24) - 1;

/// Why a pixel block does not fit the buffer it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockError {
    /// The stride is less than the block width, so rows would overlap.
    StrideTooSmall { stride: usize, width: usize },
    /// The buffer is shorter than `stride * (size - 1) + size`.
    BufferTooShort { needed: usize, len: usize },
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BlockError::StrideTooSmall { stride, width } => {
                write!(f, "stride {stride} is less than the block width {width}")
            }
            BlockError::BufferTooShort { needed, len } => {
                write!(f, "block buffer of {len} bytes, {needed} needed")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for BlockError {}

/// Checks that a `size` x `size` block with rows `stride` bytes apart fits in
/// a buffer of `len` bytes. Every kernel relies on this check alone for its
/// memory accesses.
#[inline]
pub(crate) fn check_block(len: usize, stride: usize, size: usize) -> Result<(), BlockError> {
    if stride < size {
        return Err(BlockError::StrideTooSmall { stride, width: size });
    }
    // `checked_*`: an absurd stride must be an error, not an overflow.
    let needed = stride
        .checked_mul(size - 1)
        .and_then(|n| n.checked_add(size))
        .unwrap_or(usize::MAX);
    if len < needed {
        return Err(BlockError::BufferTooShort { needed, len });
    }
    Ok(())
}

/// The arithmetic the inverse butterflies are written in, so that one
/// definition serves the scalar reference (`i32`), the SIMD twins (vectors
/// of `i32` lanes) and the overflow proof (intervals, in the tests).
///
/// `add` and `sub` wrap on overflow, and `shr` is an arithmetic (flooring)
/// shift, exactly as SIMD lanes behave.
pub(crate) trait Lane: Copy {
    fn splat(value: i32) -> Self;
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    fn shr<const BITS: i32>(self) -> Self;
}

impl Lane for i32 {
    #[inline(always)]
    fn splat(value: i32) -> Self {
        value
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self.wrapping_add(other)
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        self.wrapping_sub(other)
    }
    #[inline(always)]
    fn shr<const BITS: i32>(self) -> Self {
        self >> BITS
    }
}

/// One 4-point inverse transform of H.264 §8.5.12.2 (a row or a column).
#[inline(always)]
pub(crate) fn inverse_4<T: Lane>(d: [T; 4]) -> [T; 4] {
    let even_sum = d[0].add(d[2]);
    let even_diff = d[0].sub(d[2]);
    let odd_diff = d[1].shr::<1>().sub(d[3]);
    let odd_sum = d[1].add(d[3].shr::<1>());
    [even_sum.add(odd_sum), even_diff.add(odd_diff), even_diff.sub(odd_diff), even_sum.sub(odd_sum)]
}

/// One 8-point inverse transform of H.264 §8.5.13.2 (a row or a column).
#[inline(always)]
pub(crate) fn inverse_8<T: Lane>(d: [T; 8]) -> [T; 8] {
    // Even half: a 4-point transform of d0, d2, d4, d6.
    let a0 = d[0].add(d[4]);
    let a4 = d[0].sub(d[4]);
    let a2 = d[2].shr::<1>().sub(d[6]);
    let a6 = d[2].add(d[6].shr::<1>());
    let b0 = a0.add(a6);
    let b2 = a4.add(a2);
    let b4 = a4.sub(a2);
    let b6 = a0.sub(a6);
    // Odd half: d1, d3, d5, d7 with weights 12, 10, 6, 3 (in eighths).
    let a1 = d[5].sub(d[3]).sub(d[7]).sub(d[7].shr::<1>());
    let a3 = d[1].add(d[7]).sub(d[3]).sub(d[3].shr::<1>());
    let a5 = d[7].sub(d[1]).add(d[5]).add(d[5].shr::<1>());
    let a7 = d[3].add(d[5]).add(d[1]).add(d[1].shr::<1>());
    let b1 = a1.add(a7.shr::<2>());
    let b7 = a7.sub(a1.shr::<2>());
    let b3 = a3.add(a5.shr::<2>());
    let b5 = a3.shr::<2>().sub(a5);
    [
        b0.add(b7),
        b2.add(b5),
        b4.add(b3),
        b6.add(b1),
        b6.sub(b1),
        b4.sub(b3),
        b2.sub(b5),
        b0.sub(b7),
    ]
}

/// H.264's final rounding of the inverse transform: `(x + 32) >> 6`.
#[inline(always)]
pub(crate) fn round_residual<T: Lane>(x: T) -> T {
    x.add(T::splat(32)).shr::<6>()
}

/// The residual a 4x4 block of dequantised coefficients decodes to: the
/// inverse transform and its final rounding, without the prediction.
#[inline]
pub fn inverse_4x4(coeffs: &[i32; 16]) -> [i32; 16] {
    scalar::inverse_4x4(coeffs)
}

/// The residual an 8x8 block of dequantised coefficients decodes to.
#[inline]
pub fn inverse_8x8(coeffs: &[i32; 64]) -> [i32; 64] {
    scalar::inverse_8x8(coeffs)
}

/// The transform kernels of one set of CPU features: each method runs the
/// best twin those features (and this CPU) allow. The free functions of
/// this module are these methods on [`Kernels::detect`]. Cheap to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernels {
    /// Never more than [`CpuFeatures::host`]: the twins rely on it.
    cpu: CpuFeatures,
}

impl Kernels {
    /// The kernels `cpu` allows, narrowed to what this CPU and build have.
    #[inline]
    pub fn new(cpu: CpuFeatures) -> Kernels {
        Kernels { cpu: cpu.masked(CpuFeatures::host()) }
    }

    /// The kernels of [`CpuFeatures::detect`].
    #[inline]
    pub fn detect() -> Kernels {
        Kernels::new(CpuFeatures::detect())
    }

    /// The features the twins are chosen from.
    #[inline]
    pub fn cpu(self) -> CpuFeatures {
        self.cpu
    }

    /// The AVX2 kernels, when allowed.
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
    #[inline]
    pub fn avx2(self) -> Option<x86::Avx2> {
        x86::Avx2::new(self.cpu)
    }

    /// [`inverse_add_4x4`] by these kernels.
    #[inline]
    pub fn inverse_add_4x4(self, coeffs: &[i32; 16], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
        try_twins!(self.cpu,
            sse2 => x86::inverse_add_4x4_sse2(coeffs, dst, dst_stride),
            simd128 => wasm::inverse_add_4x4_simd128(coeffs, dst, dst_stride),
            neon => neon::inverse_add_4x4_neon(coeffs, dst, dst_stride),
        );
        scalar::inverse_add_4x4(coeffs, dst, dst_stride)
    }

    /// [`inverse_add_8x8`] by these kernels.
    #[inline]
    pub fn inverse_add_8x8(self, coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
        try_twins!(self.cpu,
            avx2(avx2) => avx2.inverse_add_8x8(coeffs, dst, dst_stride),
            sse2 => x86::inverse_add_8x8_sse2(coeffs, dst, dst_stride),
            simd128 => wasm::inverse_add_8x8_simd128(coeffs, dst, dst_stride),
            neon => neon::inverse_add_8x8_neon(coeffs, dst, dst_stride),
        );
        scalar::inverse_add_8x8(coeffs, dst, dst_stride)
    }

    /// [`inverse_add_dc_4x4`] by these kernels.
    #[inline]
    pub fn inverse_add_dc_4x4(self, dc: i32, dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
        try_twins!(self.cpu,
            simd128 => wasm::inverse_add_dc_simd128(dc, dst, dst_stride, 4),
            neon => neon::inverse_add_dc_neon(dc, dst, dst_stride, 4),
        );
        scalar::inverse_add_dc(dc, dst, dst_stride, 4)
    }

    /// [`inverse_add_dc_8x8`] by these kernels.
    #[inline]
    pub fn inverse_add_dc_8x8(self, dc: i32, dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
        try_twins!(self.cpu,
            simd128 => wasm::inverse_add_dc_simd128(dc, dst, dst_stride, 8),
            neon => neon::inverse_add_dc_neon(dc, dst, dst_stride, 8),
        );
        scalar::inverse_add_dc(dc, dst, dst_stride, 8)
    }

    /// [`forward_8x8`] by these kernels.
    #[inline]
    pub fn forward_8x8(self, residual: &[i16; 64]) -> [i32; 64] {
        try_twins!(self.cpu,
            avx2(avx2) => avx2.forward_8x8(residual),
            neon => neon::forward_8x8_neon(residual),
        );
        scalar::forward_8x8(residual)
    }

    /// [`forward_diff_8x8`] by these kernels.
    #[inline]
    pub fn forward_diff_8x8(
        self,
        source: &[u8],
        source_stride: usize,
        prediction: &[u8],
        prediction_stride: usize,
    ) -> Result<[i32; 64], BlockError> {
        let mut coeffs = [0i32; 64];
        self.forward_diff_8x8_into(source, source_stride, prediction, prediction_stride, &mut coeffs)?;
        Ok(coeffs)
    }

    /// [`forward_diff_8x8`] into `coeffs` (left as they were on error): for
    /// callers that keep the block, without a copy of the returned array.
    #[inline]
    pub fn forward_diff_8x8_into(
        self,
        source: &[u8],
        source_stride: usize,
        prediction: &[u8],
        prediction_stride: usize,
        coeffs: &mut [i32; 64],
    ) -> Result<(), BlockError> {
        try_twins!(self.cpu,
            avx2(avx2) => avx2.forward_diff_8x8(source, source_stride, prediction, prediction_stride, coeffs),
        );
        *coeffs = self.forward_8x8(&self.residual_8x8(source, source_stride, prediction, prediction_stride)?);
        Ok(())
    }

    /// [`residual_8x8`] by these kernels.
    #[inline]
    pub fn residual_8x8(
        self,
        source: &[u8],
        source_stride: usize,
        prediction: &[u8],
        prediction_stride: usize,
    ) -> Result<[i16; 64], BlockError> {
        try_twins!(self.cpu,
            sse2 => x86::residual_8x8_sse2(source, source_stride, prediction, prediction_stride),
        );
        scalar::residual_8x8(source, source_stride, prediction, prediction_stride)
    }

    /// [`satd_4x4`] by these kernels.
    #[inline]
    pub fn satd_4x4(
        self,
        source: &[u8],
        source_stride: usize,
        prediction: &[u8],
        prediction_stride: usize,
    ) -> Result<u32, BlockError> {
        try_twins!(self.cpu,
            sse2 => x86::satd_4x4_sse2(source, source_stride, prediction, prediction_stride),
            simd128 => wasm::satd_4x4_simd128(source, source_stride, prediction, prediction_stride),
            neon => neon::satd_4x4_neon(source, source_stride, prediction, prediction_stride),
        );
        scalar::satd_4x4(source, source_stride, prediction, prediction_stride)
    }

    /// Sum of squared differences between an 8x8 source block and a
    /// reconstruction of it (the distortion of rate-distortion choices).
    #[inline]
    pub fn ssd_8x8(
        self,
        source: &[u8],
        source_stride: usize,
        reconstruction: &[u8],
        reconstruction_stride: usize,
    ) -> Result<u32, BlockError> {
        try_twins!(self.cpu,
            sse2 => x86::ssd_8x8_sse2(source, source_stride, reconstruction, reconstruction_stride),
        );
        scalar::ssd(source, source_stride, reconstruction, reconstruction_stride, 8)
    }

    /// [`ssd_8x8`](Self::ssd_8x8) of a 16x16 block (at most `256 · 255²`).
    #[inline]
    pub fn ssd_16x16(
        self,
        source: &[u8],
        source_stride: usize,
        reconstruction: &[u8],
        reconstruction_stride: usize,
    ) -> Result<u32, BlockError> {
        try_twins!(self.cpu,
            sse2 => x86::ssd_16x16_sse2(source, source_stride, reconstruction, reconstruction_stride),
        );
        scalar::ssd(source, source_stride, reconstruction, reconstruction_stride, 16)
    }

    /// [`satd_8x8`] by these kernels.
    #[inline]
    pub fn satd_8x8(
        self,
        source: &[u8],
        source_stride: usize,
        prediction: &[u8],
        prediction_stride: usize,
    ) -> Result<u32, BlockError> {
        try_twins!(self.cpu,
            sse2 => x86::satd_8x8_sse2(source, source_stride, prediction, prediction_stride),
            simd128 => wasm::satd_8x8_simd128(source, source_stride, prediction, prediction_stride),
            neon => neon::satd_8x8_neon(source, source_stride, prediction, prediction_stride),
        );
        scalar::satd_8x8(source, source_stride, prediction, prediction_stride)
    }
}

/// Decodes a 4x4 block in place: `dst` holds the prediction on entry and the
/// reconstruction, `clip(prediction + residual, 0, 255)`, on return. Row `y`
/// of the block starts at `dst[y * dst_stride]`.
#[inline]
pub fn inverse_add_4x4(coeffs: &[i32; 16], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    Kernels::detect().inverse_add_4x4(coeffs, dst, dst_stride)
}

/// Decodes an 8x8 block in place, as [`inverse_add_4x4`] does a 4x4 one.
#[inline]
pub fn inverse_add_8x8(coeffs: &[i32; 64], dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    Kernels::detect().inverse_add_8x8(coeffs, dst, dst_stride)
}

/// [`inverse_add_4x4`] for a block whose only non-zero coefficient is DC:
/// every pixel gets the same `(dc + 32) >> 6`. Gives exactly the result of the
/// full transform (DC passes through both butterfly stages unchanged), at a
/// fraction of the cost.
#[inline]
pub fn inverse_add_dc_4x4(dc: i32, dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    scalar::inverse_add_dc(dc, dst, dst_stride, 4)
}

/// [`inverse_add_8x8`] for a block whose only non-zero coefficient is DC.
#[inline]
pub fn inverse_add_dc_8x8(dc: i32, dst: &mut [u8], dst_stride: usize) -> Result<(), BlockError> {
    scalar::inverse_add_dc(dc, dst, dst_stride, 8)
}

/// H.264's forward 4x4 core transform `C X C^T` of a residual block, exact.
#[inline]
pub fn forward_4x4(residual: &[i16; 16]) -> [i32; 16] {
    scalar::forward_4x4(residual)
}

/// The forward 8x8 transform `T X T^T / 64` of a residual block (see the
/// module docs), with the division rounded to nearest, half away from zero.
#[inline]
pub fn forward_8x8(residual: &[i16; 64]) -> [i32; 64] {
    Kernels::detect().forward_8x8(residual)
}

/// The residual `source - prediction` of a 4x4 block.
#[inline]
pub fn residual_4x4(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i16; 16], BlockError> {
    scalar::residual_4x4(source, source_stride, prediction, prediction_stride)
}

/// The residual `source - prediction` of an 8x8 block.
#[inline]
pub fn residual_8x8(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i16; 64], BlockError> {
    Kernels::detect().residual_8x8(source, source_stride, prediction, prediction_stride)
}

/// The encoder's step from pixels to coefficients for a 4x4 block:
/// [`forward_4x4`] of [`residual_4x4`].
#[inline]
pub fn forward_diff_4x4(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i32; 16], BlockError> {
    Ok(forward_4x4(&residual_4x4(source, source_stride, prediction, prediction_stride)?))
}

/// [`forward_8x8`] of [`residual_8x8`].
#[inline]
pub fn forward_diff_8x8(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<[i32; 64], BlockError> {
    Kernels::detect().forward_diff_8x8(source, source_stride, prediction, prediction_stride)
}

/// Sum of absolute 4x4-Hadamard-transformed differences between a source and
/// a prediction block, halved (the halving is exact: all 16 Hadamard
/// coefficients of a block have the same parity), so that it is on the scale
/// of a SAD. At most 8160: the Hadamard transform scales the Euclidean norm
/// by 4, so the 16 coefficients sum to at most `4 * 4 * (4 * 255)`.
#[inline]
pub fn satd_4x4(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    Kernels::detect().satd_4x4(source, source_stride, prediction, prediction_stride)
}

/// SATD of an 8x8 block: the sum of [`satd_4x4`] over its four 4x4 blocks
/// (as x264 does, and cheaper than an 8x8 Hadamard). At most 32640.
#[inline]
pub fn satd_8x8(
    source: &[u8],
    source_stride: usize,
    prediction: &[u8],
    prediction_stride: usize,
) -> Result<u32, BlockError> {
    Kernels::detect().satd_8x8(source, source_stride, prediction, prediction_stride)
}

#[cfg(test)]
mod tests;
