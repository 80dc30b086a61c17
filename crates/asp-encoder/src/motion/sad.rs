//! Sum of absolute differences: a readable scalar reference and its SIMD
//! twins, held equal by the tests below.
//!
//! | twin | needs | how |
//! |---|---|---|
//! | scalar | nothing | the reference: one sample at a time |
//! | SSE2 | [`CpuFeatures::SSE2`] | `_mm_sad_epu8`, 16 samples per instruction |
//! | AVX2 | [`CpuFeatures::AVX2`] | `_mm256_sad_epu8`: a 32-wide row, or two 16-wide rows, per instruction |
//! | simd128 | [`CpuFeatures::SIMD128`] (wasm32 built with `+simd128`) | saturating differences, pairwise widening adds |
//! | NEON | [`CpuFeatures::NEON`] (aarch64) | `uabd` differences, pairwise widening adds |
//!
//! [`Sad::new`] picks the best twin a [`CpuFeatures`] value allows (tests
//! and benchmarks run each of [`CpuFeatures::levels`]); [`Sad::detect`]
//! the best this CPU runs. Every twin returns exactly the scalar
//! result for every block shape; the SIMD paths are specialised for the
//! widths motion search uses (4, 8, 16, 32) and handle any other width with
//! 16- and 8-wide steps and a scalar tail.

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub(crate) mod x86;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;

use asp_core::CpuFeatures;

/// Largest `width * height` [`Sad::sad`] accepts: 2^24 samples, so that any
/// SAD (at most 255 per sample) fits in a `u32`.
pub const MAX_SAD_SAMPLES: usize = 1 << 24;

/// The twin a [`Sad`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Twin {
    Scalar,
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    Sse2,
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    Avx2,
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    Simd128,
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    Neon,
}

/// A SAD kernel set bound to one twin this CPU runs. Cheap to copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sad {
    twin: Twin,
}

impl Default for Sad {
    fn default() -> Self {
        Sad::detect()
    }
}

impl Sad {
    /// The best kernels `cpu` allows on this CPU (never more than
    /// [`CpuFeatures::host`]).
    pub fn new(cpu: CpuFeatures) -> Sad {
        let cpu = cpu.masked(CpuFeatures::host());
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            if cpu.contains(CpuFeatures::AVX2) {
                return Sad { twin: Twin::Avx2 };
            }
            if cpu.contains(CpuFeatures::SSE2) {
                return Sad { twin: Twin::Sse2 };
            }
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        if cpu.contains(CpuFeatures::SIMD128) {
            return Sad { twin: Twin::Simd128 };
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        if cpu.contains(CpuFeatures::NEON) {
            return Sad { twin: Twin::Neon };
        }
        let _ = cpu;
        Sad { twin: Twin::Scalar }
    }

    /// The fastest kernels of [`CpuFeatures::detect`].
    pub fn detect() -> Sad {
        Sad::new(CpuFeatures::detect())
    }

    /// The scalar reference kernels.
    pub const fn scalar() -> Sad {
        Sad { twin: Twin::Scalar }
    }

    /// The feature the twin in use needs ([`CpuFeatures::SCALAR`] for the
    /// reference); prints as its name (`avx2`, ...).
    pub fn features(&self) -> CpuFeatures {
        match self.twin {
            Twin::Scalar => CpuFeatures::SCALAR,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Twin::Sse2 => CpuFeatures::SSE2,
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Twin::Avx2 => CpuFeatures::AVX2,
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Twin::Simd128 => CpuFeatures::SIMD128,
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Twin::Neon => CpuFeatures::NEON,
        }
    }

    /// Whether the twin in use is AVX2 (for the search kernels written for it).
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    #[inline]
    pub(crate) fn is_avx2(&self) -> bool {
        self.features() == CpuFeatures::AVX2
    }

    /// SAD between the `width` x `height` block of `a` (row `y` at
    /// `a[y * a_stride..]`) and the one of `b`.
    ///
    /// `None` when a slice is too short for its block (`(height - 1) *
    /// stride + width` samples), a stride is less than `width`, or the block
    /// has more than [`MAX_SAD_SAMPLES`] samples. An empty block has SAD 0.
    #[inline]
    pub fn sad(
        &self,
        a: &[u8],
        a_stride: usize,
        b: &[u8],
        b_stride: usize,
        width: usize,
        height: usize,
    ) -> Option<u32> {
        if width == 0 || height == 0 {
            return Some(0);
        }
        if width.checked_mul(height)? > MAX_SAD_SAMPLES || a_stride < width || b_stride < width {
            return None;
        }
        let need_a = a_stride.checked_mul(height - 1)?.checked_add(width)?;
        let need_b = b_stride.checked_mul(height - 1)?.checked_add(width)?;
        if a.len() < need_a || b.len() < need_b {
            return None;
        }
        // SAFETY: both blocks lie inside their slices (checked above) and the
        // twin was checked to be available when `self` was made.
        Some(unsafe {
            self.sad_unchecked(a.as_ptr(), a_stride, b.as_ptr(), b_stride, width, height)
        })
    }

    /// [`sad`](Self::sad) without the checks.
    ///
    /// # Safety
    ///
    /// `a` must be valid for reads of `(height - 1) * a_stride + width`
    /// bytes, `b` likewise, and `width * height <= MAX_SAD_SAMPLES`.
    #[inline]
    pub(crate) unsafe fn sad_unchecked(
        &self,
        a: *const u8,
        a_stride: usize,
        b: *const u8,
        b_stride: usize,
        width: usize,
        height: usize,
    ) -> u32 {
        // SAFETY (all arms): forwarded caller contract; the SIMD arms are
        // only reachable when `Sad::new` found the feature in `host()`.
        match self.twin {
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Twin::Avx2 => unsafe { x86::sad_avx2(a, a_stride, b, b_stride, width, height) },
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Twin::Sse2 => unsafe { x86::sad_sse2(a, a_stride, b, b_stride, width, height) },
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            Twin::Simd128 => unsafe { wasm::sad_simd128(a, a_stride, b, b_stride, width, height) },
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            Twin::Neon => unsafe { neon::sad_neon(a, a_stride, b, b_stride, width, height) },
            Twin::Scalar => unsafe { sad_scalar_raw(a, a_stride, b, b_stride, width, height) },
        }
    }
}

/// SAD of one current block, prepared once, against reference blocks: what
/// a search calls per candidate. Implementations keep the current block in
/// registers where they can (`x86::Avx2Block16`).
pub(crate) trait BlockKernel {
    /// SAD against the reference block at `r` (stride `rs`).
    ///
    /// # Safety
    ///
    /// `r` must be readable for the block's size at stride `rs`.
    unsafe fn sad(&self, r: *const u8, rs: usize) -> u32;

    /// The SAD if it is at most `bound`; otherwise any value above `bound`
    /// (a kernel may stop part-way once its partial sum exceeds `bound`).
    /// Exact for every candidate that could equal or beat `bound`.
    ///
    /// # Safety
    ///
    /// As [`sad`](Self::sad).
    #[inline(always)]
    unsafe fn sad_bounded(&self, r: *const u8, rs: usize, bound: u32) -> u32 {
        let _ = bound;
        // SAFETY: forwarded contract.
        unsafe { self.sad(r, rs) }
    }

    /// Exact SADs against four reference blocks (one pass over the current
    /// block where the kernel can).
    ///
    /// # Safety
    ///
    /// As [`sad`](Self::sad), for each of the four.
    #[inline(always)]
    unsafe fn sad_x4(&self, r: [*const u8; 4], rs: usize) -> [u32; 4] {
        // SAFETY: forwarded contract.
        unsafe {
            [
                self.sad(r[0], rs),
                self.sad(r[1], rs),
                self.sad(r[2], rs),
                self.sad(r[3], rs),
            ]
        }
    }
}

/// Any block shape, any twin: forwards to [`Sad::sad_unchecked`].
pub(crate) struct GenericKernel {
    pub sad: Sad,
    pub cur: *const u8,
    pub cs: usize,
    pub w: usize,
    pub h: usize,
}

impl BlockKernel for GenericKernel {
    #[inline(always)]
    unsafe fn sad(&self, r: *const u8, rs: usize) -> u32 {
        // SAFETY: `cur` is readable for the block (set up by the search),
        // `r` by the caller's contract; w * h <= 32 * 32.
        unsafe {
            self.sad
                .sad_unchecked(self.cur, self.cs, r, rs, self.w, self.h)
        }
    }
}

/// The scalar reference: `sum |a - b|` over the block, one sample at a time.
/// Same contract as [`Sad::sad`].
pub fn sad_scalar(
    a: &[u8],
    a_stride: usize,
    b: &[u8],
    b_stride: usize,
    width: usize,
    height: usize,
) -> Option<u32> {
    Sad::scalar().sad(a, a_stride, b, b_stride, width, height)
}

/// # Safety
///
/// As [`Sad::sad_unchecked`].
#[inline]
unsafe fn sad_scalar_raw(
    a: *const u8,
    a_stride: usize,
    b: *const u8,
    b_stride: usize,
    w: usize,
    h: usize,
) -> u32 {
    let mut sum = 0u32;
    for y in 0..h {
        // SAFETY: row y of each block is inside the caller's allocation.
        let (ra, rb) = unsafe {
            (
                core::slice::from_raw_parts(a.add(y * a_stride), w),
                core::slice::from_raw_parts(b.add(y * b_stride), w),
            )
        };
        sum += scalar_row(ra, rb);
    }
    sum
}

/// SAD of two equally long rows.
#[inline]
pub(crate) fn scalar_row(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| x.abs_diff(y) as u32).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    use asp_testkit::Rng;

    /// Every available twin equals the scalar reference on random blocks of
    /// every motion block size (and odd shapes), at unaligned offsets and
    /// strides, including extreme values (all-0 vs all-255).
    #[test]
    fn simd_twins_equal_scalar() {
        let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
        let twins: Vec<Sad> = CpuFeatures::host().levels().map(Sad::new).collect();
        assert!(twins.iter().any(|s| s.features() == CpuFeatures::SCALAR));
        #[cfg(target_arch = "x86_64")]
        assert!(twins.iter().any(|s| s.features() == CpuFeatures::SSE2));
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            assert!(twins.iter().any(|s| s.is_avx2()));
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        assert!(twins.iter().any(|s| s.features() == CpuFeatures::SIMD128));
        #[cfg(target_arch = "aarch64")]
        assert!(twins.iter().any(|s| s.features() == CpuFeatures::NEON));
        let mut widths: Vec<usize> = vec![4, 8, 16, 32];
        widths.extend([1, 2, 3, 5, 7, 12, 15, 17, 24, 31, 33, 40, 48, 64, 67]);
        for &w in &widths {
            for &h in &[1usize, 2, 3, 4, 7, 8, 15, 16, 31, 32, 33] {
                for case in 0..6 {
                    let a_stride = w + rng.index(40);
                    let b_stride = w + rng.index(40);
                    let a_off = rng.index(33);
                    let b_off = rng.index(33);
                    let mut a = vec![0u8; a_off + a_stride * (h - 1) + w];
                    let mut b = vec![0u8; b_off + b_stride * (h - 1) + w];
                    for (i, v) in a.iter_mut().enumerate() {
                        *v = match case {
                            0 => 255,
                            1 => (i % 3) as u8 * 100,
                            _ => rng.index(256) as u8,
                        };
                    }
                    for v in b.iter_mut() {
                        *v = match case {
                            0 => 0,
                            _ => rng.index(256) as u8,
                        };
                    }
                    let want = {
                        let mut s = 0u32;
                        for y in 0..h {
                            for x in 0..w {
                                s += a[a_off + y * a_stride + x]
                                    .abs_diff(b[b_off + y * b_stride + x])
                                    as u32;
                            }
                        }
                        s
                    };
                    for t in &twins {
                        let got = t.sad(&a[a_off..], a_stride, &b[b_off..], b_stride, w, h);
                        assert_eq!(got, Some(want), "{} {w}x{h} case {case}", t.features());
                    }
                }
            }
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let s = Sad::detect();
        let a = [0u8; 64];
        assert_eq!(s.sad(&a, 8, &a, 8, 8, 8), Some(0));
        assert_eq!(s.sad(&a, 8, &a[1..], 8, 8, 8), None); // b one short
        assert_eq!(s.sad(&a, 7, &a, 8, 8, 8), None); // stride < width
        assert_eq!(s.sad(&a, usize::MAX, &a, 8, 8, 8), None); // overflow
        assert_eq!(s.sad(&a, 8, &a, 8, 0, 8), Some(0));
        assert_eq!(s.sad(&a, 1 << 13, &a, 1 << 13, 1 << 13, 1 << 12), None); // too many samples
    }
}
