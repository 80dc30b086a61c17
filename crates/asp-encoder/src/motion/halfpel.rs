//! A reference frame's luma interpolated once, for the whole frame.
//!
//! A sub-pel search measures many candidate vectors per block, and the
//! encoder then predicts the chosen one again; interpolating a window
//! around every block repeats the 6-tap filtering of the same samples
//! several times over. [`HalfpelPlanes`] filters the frame once into its
//! four half-pel phases (integer `G`, horizontal `b`, vertical `h`, centre
//! `j`, as in [`asp_core::codec::interpolate`]) over the frame and a margin
//! around it, so that any quarter-pel prediction is one plane read or the
//! rounded average of two — x264's way.
//!
//! The filter is H.264's 6-tap, as defined in
//! [`asp_core::codec::interpolate`] (the decoder's reference); here it runs
//! over whole rows of an edge-extended copy of the reference, which
//! vectorises well, and the tests hold [`HalfpelPlanes::predict`] equal to
//! [`asp_core::codec::predict_luma`] everywhere, edges included.

use asp_core::codec::{quarter_sample_sources, PlaneRef};
use asp_core::CpuFeatures;
use rayon::prelude::*;

/// Extra samples beyond the margin that the 6-tap filter reads.
const TAPS_OUT: usize = 3;
/// Rows of the half-pel phases computed per parallel job. Each job also
/// filters the 5 rows around its band horizontally (the centre phase's
/// vertical taps read them): with 32 rows a job that is 16 % more rows
/// than the band, with 16 rows 31 %; 720p still makes 24 jobs.
const BAND: usize = 32;

/// The four half-pel phases of a luma plane over the plane and `margin`
/// samples around it. Kept by an encoder and refilled for each reference.
pub struct HalfpelPlanes {
    width: usize,
    height: usize,
    margin: usize,
    /// Samples between rows of every phase: `width + 2 * (margin + 3)`.
    stride: usize,
    /// `G` (the reference, edge-extended), `b`, `h`, `j`, in the order of
    /// [`quarter_sample_sources`]'s phase indices; sample `(x, y)` at
    /// `(y + pad) * stride + x + pad` with `pad = margin + 3`. `b`, `h`
    /// and `j` are valid within the margin only.
    phases: [Vec<u8>; 4],
    /// The kernels the planes were filled with; the SADs use the same
    /// (only x86-64 has a batched SAD kernel to choose).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    isa: Isa,
}

impl HalfpelPlanes {
    /// The phases of `reference` with `margin` samples around it.
    pub fn new(reference: PlaneRef<'_>, margin: usize) -> HalfpelPlanes {
        let mut planes = HalfpelPlanes { width: 0, height: 0, margin, stride: 0, phases: Default::default(), isa: Isa::Baseline };
        planes.fill(reference);
        planes
    }

    /// Interpolates `reference` into these planes, reusing their memory
    /// when the size is unchanged. The rows are shared out over rayon's
    /// threads.
    pub fn fill(&mut self, reference: PlaneRef<'_>) {
        self.fill_with(reference, CpuFeatures::detect());
    }

    /// [`fill`](Self::fill) with the filter twin `cpu` allows: the AVX2
    /// build of the filter, the NEON row kernels on aarch64, or the
    /// target's baseline one. Every twin fills the same planes.
    pub fn fill_with(&mut self, reference: PlaneRef<'_>, cpu: CpuFeatures) {
        let isa = Isa::new(cpu);
        self.isa = isa;
        let (width, height) = (reference.width(), reference.height());
        let pad = self.margin + TAPS_OUT;
        let stride = width + 2 * pad;
        let rows = height + 2 * pad;
        (self.width, self.height, self.stride) = (width, height, stride);
        for phase in &mut self.phases {
            phase.resize(stride * rows, 0);
        }
        let [g, b, h, j] = &mut self.phases;
        extend_edges(&reference, pad, stride, g);
        let g = &g[..];
        let band = BAND * stride;
        b.par_chunks_mut(band).zip(h.par_chunks_mut(band)).zip(j.par_chunks_mut(band)).enumerate().for_each_init(
            || vec![0i16; (BAND + 5) * stride],
            |b1, (index, ((b, h), j))| {
                let band = Band { g, stride, rows, first: index * BAND };
                match isa {
                    // SAFETY: `Isa::new` found AVX2 on this CPU.
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => unsafe { band.fill_avx2(b, h, j, b1) },
                    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
                    Isa::Neon => band.fill_rows::<NeonRows>(b, h, j, b1),
                    Isa::Baseline => band.fill(b, h, j, b1),
                }
            },
        );
    }

    /// Width and height of the reference plane (without the margin).
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// The integer samples of the reference itself.
    pub fn luma(&self) -> PlaneRef<'_> {
        let pad = self.margin + TAPS_OUT;
        let start = pad * self.stride + pad;
        let len = (self.height - 1) * self.stride + self.width;
        // The region is inside the plane by construction.
        PlaneRef::new(&self.phases[0][start..start + len], self.width, self.height, self.stride)
            .unwrap_or_else(|_| unreachable_plane())
    }

    /// Writes the `width` x `height` prediction at absolute quarter-pel
    /// position `(x_qpel, y_qpel)` to `out` (rows `out_stride` apart), as
    /// [`asp_core::codec::predict_luma`] would. Returns false, writing
    /// nothing, when the block (with the extra sample a 3/4 position reads)
    /// reaches past the margin or `out` is too short.
    pub fn predict(&self, x_qpel: i32, y_qpel: i32, width: usize, height: usize, out: &mut [u8], out_stride: usize) -> bool {
        let fits = height > 0 && width <= out_stride && out.len() >= (height - 1) * out_stride + width;
        let Some((p, q)) = self.sources(x_qpel, y_qpel, width, height).filter(|_| fits) else {
            return false;
        };
        let ((pa, pstart), q) = (p, q);
        #[cfg(target_arch = "x86_64")]
        if x86::predict_rows(&pa[pstart..], q.map(|(qa, qstart)| &qa[qstart..]), self.stride, width, height, out, out_stride) {
            return true;
        }
        match (width, q) {
            (16, None) => copy_rows::<16>(pa, pstart, self.stride, height, out, out_stride),
            (8, None) => copy_rows::<8>(pa, pstart, self.stride, height, out, out_stride),
            (16, Some((qa, qstart))) => average_rows::<16>(pa, pstart, qa, qstart, self.stride, height, out, out_stride),
            (8, Some((qa, qstart))) => average_rows::<8>(pa, pstart, qa, qstart, self.stride, height, out, out_stride),
            (_, None) => {
                for (row, dst) in out.chunks_mut(out_stride).take(height).enumerate() {
                    let s = pstart + row * self.stride;
                    dst[..width].copy_from_slice(&pa[s..s + width]);
                }
            }
            (_, Some((qa, qstart))) => {
                for (row, dst) in out.chunks_mut(out_stride).take(height).enumerate() {
                    let (s, t) = (pstart + row * self.stride, qstart + row * self.stride);
                    average(&pa[s..s + width], &qa[t..t + width], &mut dst[..width]);
                }
            }
        }
        true
    }
}

impl HalfpelPlanes {
    /// Where the `width` x `height` prediction at `(x_qpel, y_qpel)` reads:
    /// one or two phases and the index of the block's first sample in
    /// each; `None` when the block (with the extra sample a 3/4 position
    /// reads) reaches past the margin.
    #[inline]
    #[allow(clippy::type_complexity)]
    fn sources(&self, x_qpel: i32, y_qpel: i32, width: usize, height: usize) -> Option<((&[u8], usize), Option<(&[u8], usize)>)> {
        let (ix, iy) = (x_qpel >> 2, y_qpel >> 2);
        let m = self.margin as i32;
        let inside = ix >= -m
            && iy >= -m
            // `<`: a 3/4 position reads one sample past the block.
            && ix + (width as i32) < self.width as i32 + m
            && iy + (height as i32) < self.height as i32 + m;
        if !inside {
            return None;
        }
        let pad = (self.margin + TAPS_OUT) as i32;
        let origin = (iy + pad) as usize * self.stride + (ix + pad) as usize;
        let (p, q) = quarter_sample_sources((x_qpel & 3) as u32, (y_qpel & 3) as u32);
        let at = |(plane, dx, dy): (usize, usize, usize)| (&self.phases[plane][..], origin + dy * self.stride + dx);
        Some((at(p), q.map(at)))
    }

    /// The SAD between the `width` x `height` prediction at `(x_qpel,
    /// y_qpel)` and the block `current` (rows `current_stride` apart),
    /// without writing the prediction out: what a sub-pel search measures
    /// per candidate. `None` where [`predict`](Self::predict) would refuse.
    pub fn sad(&self, x_qpel: i32, y_qpel: i32, width: usize, height: usize, current: &[u8], current_stride: usize) -> Option<u32> {
        let fits = height > 0 && width <= current_stride && current.len() >= (height - 1) * current_stride + width;
        let ((pa, pstart), q) = self.sources(x_qpel, y_qpel, width, height).filter(|_| fits)?;
        let span = (height - 1) * self.stride + width;
        let p = &pa[pstart..pstart + span];
        let q = q.map(|(qa, qstart)| &qa[qstart..qstart + span]);
        #[cfg(target_arch = "x86_64")]
        if width == 16 || width == 8 {
            return Some(x86::sad_average(p, q, self.stride, width, height, current, current_stride));
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        if width == 16 || width == 8 {
            return Some(neon::sad_average(p, q, self.stride, width, height, current, current_stride));
        }
        Some(sad_average(p, q, self.stride, width, height, current, current_stride))
    }

    /// [`sad`](Self::sad) of the block at each of `positions` (absolute
    /// quarter-pel, as there) into `out`: what one pass of a sub-pel ring
    /// measures. With AVX2, 16x16 blocks are measured by a kernel that
    /// loads `current` once for all the positions.
    pub fn sads(&self, positions: &[(i32, i32)], width: usize, height: usize, current: &[u8], current_stride: usize, out: &mut [Option<u32>]) {
        #[cfg(target_arch = "x86_64")]
        if self.isa == Isa::Avx2 && width == 16 && height == 16 {
            // SAFETY: `self.isa` is AVX2 only where the CPU has it.
            return unsafe { self.sads_16x16_avx2(positions, current, current_stride, out) };
        }
        for (&(x_qpel, y_qpel), sad) in positions.iter().zip(out) {
            *sad = self.sad(x_qpel, y_qpel, width, height, current, current_stride);
        }
    }

    /// [`sads`](Self::sads) of a 16x16 block by the AVX2 kernel, the
    /// block loaded once.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn sads_16x16_avx2(&self, positions: &[(i32, i32)], current: &[u8], current_stride: usize, out: &mut [Option<u32>]) {
        const SIDE: usize = 16;
        // SAFETY: the caller's CPU has AVX2.
        let Some(block) = (unsafe { x86::Block16::load(current, current_stride) }) else {
            out.iter_mut().for_each(|sad| *sad = None);
            return;
        };
        let span = (SIDE - 1) * self.stride + SIDE;
        for (&(x_qpel, y_qpel), sad) in positions.iter().zip(out) {
            *sad = match self.sources(x_qpel, y_qpel, SIDE, SIDE) {
                Some(((pa, pstart), q)) => {
                    // A `match`, not `Option::map`: the closure would be
                    // a call of its own, outside this function's AVX2
                    // (about +12 M instructions on the profiled clip, BENCHMARKS.md).
                    #[allow(clippy::manual_map)]
                    let q = match q {
                        Some((qa, qstart)) => Some(&qa[qstart..qstart + span]),
                        None => None,
                    };
                    // SAFETY: as above.
                    Some(unsafe { block.sad(&pa[pstart..pstart + span], q, self.stride) })
                }
                None => None,
            };
        }
    }
}

/// The reference for the SAD kernels: the sum over the block of
/// `|prediction - current|`, the prediction being `p`, or the rounded-up
/// average of `p` and `q` (both at `stride`).
fn sad_average(p: &[u8], q: Option<&[u8]>, stride: usize, width: usize, height: usize, current: &[u8], current_stride: usize) -> u32 {
    let mut sum = 0;
    for row in 0..height {
        let (s, c) = (row * stride, row * current_stride);
        for x in 0..width {
            let predicted = match q {
                Some(q) => (u16::from(p[s + x]) + u16::from(q[s + x]) + 1) >> 1,
                None => u16::from(p[s + x]),
            };
            sum += u32::from(predicted.abs_diff(u16::from(current[c + x])));
        }
    }
    sum
}

/// SSE2 (part of every x86-64 CPU) twin of [`sad_average`] for 16 and 8
/// wide blocks: `pavgb` is exactly the rounded-up average, `psadbw` the SAD.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    /// `p`, `q` and `current` hold the whole block (the caller sliced them:
    /// `(height - 1) * stride + width` samples); `width` is 16 or 8.
    /// A 16x16 block of the current picture, loaded two rows a register,
    /// for the SADs of many predictions against it.
    pub(super) struct Block16<'a> {
        rows: [__m256i; 8],
        current: &'a [u8],
        current_stride: usize,
    }

    impl<'a> Block16<'a> {
        /// The block at the start of `current` (rows `current_stride`
        /// apart); `None` where `current` is shorter than the block.
        ///
        /// # Safety
        /// The CPU must support AVX2.
        #[inline]
        #[target_feature(enable = "avx2")]
        pub(super) unsafe fn load(current: &'a [u8], current_stride: usize) -> Option<Block16<'a>> {
            if current_stride < 16 || current.len() < 15 * current_stride + 16 {
                return None;
            }
            // SAFETY: rows 2k and 2k + 1 of the block, inside the length checked above.
            let rows = core::array::from_fn(|k| unsafe { pair(current, 2 * k * current_stride, current_stride) });
            Some(Block16 { rows, current, current_stride })
        }

        /// The SAD between the block and the prediction `p`, or the
        /// rounded-up average of `p` and `q` (rows `stride` apart):
        /// `_mm256_avg_epu8` is exactly that average, `_mm256_sad_epu8`
        /// the SAD. Slices shorter than the block are measured by the
        /// scalar reference.
        ///
        /// # Safety
        /// The CPU must support AVX2.
        #[inline]
        #[target_feature(enable = "avx2")]
        pub(super) unsafe fn sad(&self, p: &[u8], q: Option<&[u8]>, stride: usize) -> u32 {
            let span = 15 * stride + 16;
            if stride < 16 || p.len() < span || q.is_some_and(|q| q.len() < span) {
                return super::sad_average(p, q, stride, 16, 16, self.current, self.current_stride);
            }
            let mut acc = _mm256_setzero_si256();
            for (k, &c) in self.rows.iter().enumerate() {
                let at = 2 * k * stride;
                // SAFETY: rows 2k and 2k + 1 of the prediction, inside `span`.
                let mut predicted = unsafe { pair(p, at, stride) };
                if let Some(q) = q {
                    predicted = _mm256_avg_epu8(predicted, unsafe { pair(q, at, stride) });
                }
                acc = _mm256_add_epi64(acc, _mm256_sad_epu8(predicted, c));
            }
            let half = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256::<1>(acc));
            (_mm_cvtsi128_si64(half) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(half, half))) as u32
        }
    }

    /// SSE2 twin of [`HalfpelPlanes::predict`](super::HalfpelPlanes::predict)'s
    /// writes for 16- and 8-wide blocks: `p`, or the rounded-up average of
    /// `p` and `q` (`pavgb`), rows `stride` apart, into `out` (rows
    /// `out_stride` apart). Returns false, writing nothing, for other
    /// widths or where a slice is shorter than the block.
    pub(super) fn predict_rows(p: &[u8], q: Option<&[u8]>, stride: usize, width: usize, height: usize, out: &mut [u8], out_stride: usize) -> bool {
        if !(width == 16 || width == 8) || height == 0 || width > out_stride {
            return false;
        }
        let span = (height - 1) * stride + width;
        if p.len() < span || q.is_some_and(|q| q.len() < span) || out.len() < (height - 1) * out_stride + width {
            return false;
        }
        // SAFETY: SSE2 is part of x86-64; every load and store is of
        // `width` bytes at a row offset inside the lengths checked above.
        unsafe {
            let load = |s: &[u8], at: usize| -> __m128i {
                if width == 16 {
                    _mm_loadu_si128(s.as_ptr().add(at).cast())
                } else {
                    _mm_loadl_epi64(s.as_ptr().add(at).cast())
                }
            };
            for row in 0..height {
                let at = row * stride;
                let mut predicted = load(p, at);
                if let Some(q) = q {
                    predicted = _mm_avg_epu8(predicted, load(q, at));
                }
                let dst = out.as_mut_ptr().add(row * out_stride);
                if width == 16 {
                    _mm_storeu_si128(dst.cast(), predicted);
                } else {
                    _mm_storel_epi64(dst.cast(), predicted);
                }
            }
        }
        true
    }

    /// The 16 samples at `at` (low half) and at `at + step` (high half).
    ///
    /// # Safety
    /// The CPU must support AVX2; `s` holds `at + step + 16` samples.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn pair(s: &[u8], at: usize, step: usize) -> __m256i {
        unsafe {
            let low = _mm_loadu_si128(s.as_ptr().add(at).cast());
            let high = _mm_loadu_si128(s.as_ptr().add(at + step).cast());
            _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(low), high)
        }
    }

    pub(super) fn sad_average(
        p: &[u8],
        q: Option<&[u8]>,
        stride: usize,
        width: usize,
        height: usize,
        current: &[u8],
        current_stride: usize,
    ) -> u32 {
        let span = (height - 1) * stride + width;
        let current_span = (height - 1) * current_stride + width;
        if p.len() < span || q.is_some_and(|q| q.len() < span) || current.len() < current_span || !(width == 16 || width == 8) {
            return super::sad_average(p, q, stride, width, height, current, current_stride);
        }
        // SAFETY: every load reads `width` bytes at row offsets inside the
        // lengths checked above; SSE2 is part of x86-64.
        unsafe {
            let load = |s: &[u8], at: usize| -> __m128i {
                if width == 16 {
                    _mm_loadu_si128(s.as_ptr().add(at).cast())
                } else {
                    _mm_loadl_epi64(s.as_ptr().add(at).cast())
                }
            };
            let mut acc = _mm_setzero_si128();
            for row in 0..height {
                let s = row * stride;
                let mut predicted = load(p, s);
                if let Some(q) = q {
                    predicted = _mm_avg_epu8(predicted, load(q, s));
                }
                let c = load(current, row * current_stride);
                acc = _mm_add_epi64(acc, _mm_sad_epu8(predicted, c));
            }
            (_mm_cvtsi128_si64(acc) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc))) as u32
        }
    }
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;

/// The instruction set the filter kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Isa {
    /// The target's baseline (SSE2 on x86-64, simd128 where enabled), as
    /// the compiler vectorises the scalar code.
    Baseline,
    /// The same code compiled with AVX2 (16 lanes of i16).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// The NEON row kernels of `halfpel/neon.rs`.
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    Neon,
}

impl Isa {
    /// The twin `cpu` allows on this CPU.
    fn new(cpu: CpuFeatures) -> Isa {
        #[cfg(target_arch = "x86_64")]
        if cpu.masked(CpuFeatures::host()).contains(CpuFeatures::AVX2) {
            return Isa::Avx2;
        }
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        if cpu.masked(CpuFeatures::host()).contains(CpuFeatures::NEON) {
            return Isa::Neon;
        }
        let _ = cpu;
        Isa::Baseline
    }
}

/// One parallel job of [`HalfpelPlanes::fill`]: `BAND` rows (fewer at the
/// bottom) of `b`, `h` and `j` from row `first` of the extended plane `g`.
struct Band<'a> {
    g: &'a [u8],
    stride: usize,
    rows: usize,
    first: usize,
}

impl Band<'_> {
    /// `b1` is scratch for the unrounded horizontal taps.
    #[inline(always)]
    fn fill(&self, b: &mut [u8], h: &mut [u8], j: &mut [u8], b1: &mut [i16]) {
        self.fill_rows::<ScalarRows>(b, h, j, b1)
    }

    /// [`fill`](Self::fill) by the row kernels `K`.
    #[inline(always)]
    fn fill_rows<K: RowKernels>(&self, b: &mut [u8], h: &mut [u8], j: &mut [u8], b1: &mut [i16]) {
        let (g, stride, first) = (self.g, self.stride, self.first);
        let count = b.len() / stride;
        // The unrounded horizontal taps of rows first-2 .. first+count+3.
        for k in 0..count + 5 {
            if let Some(r) = (first + k).checked_sub(2).filter(|&r| r < self.rows) {
                K::horizontal_taps(&g[r * stride..(r + 1) * stride], &mut b1[k * stride..(k + 1) * stride]);
            }
        }
        for row in 0..count {
            // Rows whose taps would leave the extended plane lie outside
            // the margin: left as they are, never read.
            let r = first + row;
            if r < TAPS_OUT || r + TAPS_OUT >= self.rows {
                continue;
            }
            let out = row * stride..(row + 1) * stride;
            K::vertical_half(g, stride, r, &mut h[out.clone()]);
            K::round_half(&b1[(row + 2) * stride..(row + 3) * stride], &mut b[out.clone()]);
            K::centre_half(&b1[row * stride..(row + 6) * stride], stride, &mut j[out]);
        }
    }

    /// [`fill`](Self::fill) compiled for AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn fill_avx2(&self, b: &mut [u8], h: &mut [u8], j: &mut [u8], b1: &mut [i16]) {
        self.fill(b, h, j, b1)
    }
}

/// The four row kernels of the filter, by instruction set.
trait RowKernels {
    fn horizontal_taps(row: &[u8], out: &mut [i16]);
    fn round_half(b1: &[i16], out: &mut [u8]);
    fn vertical_half(g: &[u8], stride: usize, r: usize, out: &mut [u8]);
    fn centre_half(b1: &[i16], stride: usize, out: &mut [u8]);
}

/// The scalar kernels below (vectorised by the compiler for the target,
/// or for AVX2 inside [`Band::fill_avx2`]).
struct ScalarRows;

impl RowKernels for ScalarRows {
    #[inline(always)]
    fn horizontal_taps(row: &[u8], out: &mut [i16]) {
        horizontal_taps(row, out)
    }
    #[inline(always)]
    fn round_half(b1: &[i16], out: &mut [u8]) {
        round_half(b1, out)
    }
    #[inline(always)]
    fn vertical_half(g: &[u8], stride: usize, r: usize, out: &mut [u8]) {
        vertical_half(g, stride, r, out)
    }
    #[inline(always)]
    fn centre_half(b1: &[i16], stride: usize, out: &mut [u8]) {
        centre_half(b1, stride, out)
    }
}

/// The NEON twins of the row kernels.
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
struct NeonRows;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
impl RowKernels for NeonRows {
    #[inline(always)]
    fn horizontal_taps(row: &[u8], out: &mut [i16]) {
        neon::horizontal_taps(row, out)
    }
    #[inline(always)]
    fn round_half(b1: &[i16], out: &mut [u8]) {
        neon::round_half(b1, out)
    }
    #[inline(always)]
    fn vertical_half(g: &[u8], stride: usize, r: usize, out: &mut [u8]) {
        neon::vertical_half(g, stride, r, out)
    }
    #[inline(always)]
    fn centre_half(b1: &[i16], stride: usize, out: &mut [u8]) {
        neon::centre_half(b1, stride, out)
    }
}

/// Copies `reference` into `g` with `pad` samples around it that repeat
/// the nearest edge sample (the decoder's clamped coordinates).
fn extend_edges(reference: &PlaneRef<'_>, pad: usize, stride: usize, g: &mut [u8]) {
    let (width, height) = (reference.width(), reference.height());
    for (r, row) in g.chunks_exact_mut(stride).enumerate() {
        let y = r.saturating_sub(pad).min(height - 1);
        let src = &reference.data()[y * reference.stride()..y * reference.stride() + width];
        let (left, rest) = row.split_at_mut(pad);
        let (middle, right) = rest.split_at_mut(width);
        left.fill(src[0]);
        middle.copy_from_slice(src);
        right.fill(src[width - 1]);
    }
}

#[inline(always)]
fn clip(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// The unrounded horizontal taps `b1` of one row: `out[c]` for the half
/// position right of sample `c` (columns whose taps leave the row stay 0).
/// The kernels are written without closures so that they compile into
/// [`Band::fill_avx2`] with its target features.
#[inline(always)]
fn horizontal_taps(row: &[u8], out: &mut [i16]) {
    let n = row.len() - 5;
    let o = &mut out[2..2 + n];
    let (s0, s1, s2, s3, s4, s5) = (&row[..n], &row[1..n + 1], &row[2..n + 2], &row[3..n + 3], &row[4..n + 4], &row[5..n + 5]);
    for i in 0..n {
        let outer = i16::from(s0[i]) + i16::from(s5[i]);
        let near = i16::from(s1[i]) + i16::from(s4[i]);
        let centre = i16::from(s2[i]) + i16::from(s3[i]);
        o[i] = outer - 5 * near + 20 * centre;
    }
}

/// `b = clip((b1 + 16) >> 5)` of one row.
#[inline(always)]
fn round_half(b1: &[i16], out: &mut [u8]) {
    for (o, &t) in out.iter_mut().zip(b1) {
        *o = clip((i32::from(t) + 16) >> 5);
    }
}

/// `h` of row `r`: the vertical taps down each column.
#[inline(always)]
fn vertical_half(g: &[u8], stride: usize, r: usize, out: &mut [u8]) {
    let n = out.len();
    let top = (r - 2) * stride;
    let (r0, r1, r2) = (&g[top..top + n], &g[top + stride..top + stride + n], &g[top + 2 * stride..top + 2 * stride + n]);
    let (r3, r4, r5) = (&g[top + 3 * stride..top + 3 * stride + n], &g[top + 4 * stride..top + 4 * stride + n], &g[top + 5 * stride..top + 5 * stride + n]);
    for i in 0..n {
        let outer = i16::from(r0[i]) + i16::from(r5[i]);
        let near = i16::from(r1[i]) + i16::from(r4[i]);
        let centre = i16::from(r2[i]) + i16::from(r3[i]);
        let h1 = outer - 5 * near + 20 * centre;
        out[i] = clip((i32::from(h1) + 16) >> 5);
    }
}

/// `j = clip((j1 + 512) >> 10)`, `j1` the vertical taps across six rows of
/// unrounded `b1` (`b1` holds rows r-2 ..= r+3).
#[inline(always)]
fn centre_half(b1: &[i16], stride: usize, out: &mut [u8]) {
    let n = out.len();
    let (r0, r1, r2) = (&b1[..n], &b1[stride..stride + n], &b1[2 * stride..2 * stride + n]);
    let (r3, r4, r5) = (&b1[3 * stride..3 * stride + n], &b1[4 * stride..4 * stride + n], &b1[5 * stride..5 * stride + n]);
    for i in 0..n {
        let outer = i32::from(r0[i]) + i32::from(r5[i]);
        let near = i32::from(r1[i]) + i32::from(r4[i]);
        let centre = i32::from(r2[i]) + i32::from(r3[i]);
        out[i] = clip((outer - 5 * near + 20 * centre + 512) >> 10);
    }
}

#[inline(always)]
fn copy_rows<const W: usize>(src: &[u8], start: usize, stride: usize, height: usize, out: &mut [u8], out_stride: usize) {
    for (row, dst) in out.chunks_mut(out_stride).take(height).enumerate() {
        let s = start + row * stride;
        dst[..W].copy_from_slice(&src[s..s + W]);
    }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn average_rows<const W: usize>(
    a: &[u8],
    a_start: usize,
    b: &[u8],
    b_start: usize,
    stride: usize,
    height: usize,
    out: &mut [u8],
    out_stride: usize,
) {
    for (row, dst) in out.chunks_mut(out_stride).take(height).enumerate() {
        let (s, t) = (a_start + row * stride, b_start + row * stride);
        let (ra, rb): (&[u8; W], &[u8; W]) = match (a[s..s + W].try_into(), b[t..t + W].try_into()) {
            (Ok(ra), Ok(rb)) => (ra, rb),
            _ => return,
        };
        average(ra, rb, &mut dst[..W]);
    }
}

/// H.264's quarter-sample average, rounding up.
#[inline(always)]
fn average(a: &[u8], b: &[u8], out: &mut [u8]) {
    for ((o, &a), &b) in out.iter_mut().zip(a).zip(b) {
        *o = ((u16::from(a) + u16::from(b) + 1) >> 1) as u8;
    }
}

#[cold]
fn unreachable_plane() -> PlaneRef<'static> {
    // Only reached if the constructor's arithmetic were wrong: an empty
    // 1x1 plane keeps the caller safe.
    PlaneRef::new(&[0], 1, 1, 1).expect("a 1x1 plane is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::codec::predict_luma;

    use asp_testkit::Rng;

    /// Every fraction, block sizes 16, 8 and odd, positions inside, at and
    /// past the edges: the same samples as the decoder's interpolation.
    #[test]
    fn predictions_equal_the_decoders() {
        let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
        for (w, h) in [(70, 45), (33, 17), (16, 16), (5, 3)] {
            let data: Vec<u8> = (0..w * h).map(|_| rng.next_u64() as u8).collect();
            let plane = PlaneRef::new(&data, w, h, w).unwrap();
            let margin = 20;
            let planes = HalfpelPlanes::new(plane, margin);
            assert_eq!(planes.luma().data()[..w], data[..w]);
            for _ in 0..2000 {
                let size = [16, 8, 4, 7][(rng.next_u64() % 4) as usize];
                let mut span = |n: usize| (rng.next_u64() % (4 * (n + 2 * margin) as u64)) as i32 - 4 * margin as i32;
                let (xq, yq) = (span(w), span(h));
                let mut got = vec![0u8; size * 24];
                let mut want = vec![0u8; size * 24];
                if planes.predict(xq, yq, size, size, &mut got, 24) {
                    predict_luma(plane, xq, yq, size, size, &mut want, 24).unwrap();
                    for row in 0..size {
                        assert_eq!(got[row * 24..row * 24 + size], want[row * 24..row * 24 + size], "({xq},{yq}) {size}");
                    }
                } else {
                    let (ix, iy) = (xq >> 2, yq >> 2);
                    let m = margin as i32;
                    assert!(ix < -m || iy < -m || ix + size as i32 + 1 > w as i32 + m || iy + size as i32 + 1 > h as i32 + m);
                }
            }
        }
    }

    /// The SAD kernel (SSE2 or NEON for 16 and 8 wide) equals the SAD of the
    /// written-out prediction, at every fraction.
    #[test]
    fn sad_equals_sad_of_prediction() {
        let mut rng = Rng::new(0x1234_5678_9ABC_DEF1);
        let (w, h) = (48, 40);
        let data: Vec<u8> = (0..w * h).map(|_| rng.next_u64() as u8).collect();
        let current: Vec<u8> = (0..w * h).map(|_| rng.next_u64() as u8).collect();
        let planes = HalfpelPlanes::new(PlaneRef::new(&data, w, h, w).unwrap(), 8);
        for _ in 0..3000 {
            let size = [16, 8, 4, 5][(rng.next_u64() % 4) as usize];
            let xq = (rng.next_u64() % (4 * 56)) as i32 - 32;
            let yq = (rng.next_u64() % (4 * 48)) as i32 - 32;
            let mut pred = vec![0u8; 16 * 16];
            let got = planes.sad(xq, yq, size, size, &current[w + 3..], w);
            if planes.predict(xq, yq, size, size, &mut pred, 16) {
                let want: u32 = (0..size * size)
                    .map(|i| u32::from(pred[i / size * 16 + i % size].abs_diff(current[w + 3 + i / size * w + i % size])))
                    .sum();
                assert_eq!(got, Some(want), "({xq},{yq}) {size}");
            } else {
                assert_eq!(got, None);
            }
        }
    }

    /// The batched SADs of every twin (the AVX2 16x16 kernel where the CPU
    /// has it, the per-position kernels) equal the SAD of the written-out
    /// prediction, position by position, refusals included.
    #[test]
    fn batched_sads_of_every_isa_equal_the_reference() {
        let mut rng = Rng::new(0x0BA7_C4ED_5AD5_0001);
        let (w, h) = (64, 48);
        let data: Vec<u8> = (0..w * h).map(|_| rng.next_u64() as u8).collect();
        let current: Vec<u8> = (0..w * h).map(|_| rng.next_u64() as u8).collect();
        let plane = PlaneRef::new(&data, w, h, w).unwrap();
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            assert!(CpuFeatures::host().levels().any(|cpu| Isa::new(cpu) == Isa::Avx2), "the AVX2 kernel must be tested");
        }
        for cpu in CpuFeatures::host().levels() {
            let mut planes = HalfpelPlanes::new(plane, 8);
            planes.fill_with(plane, cpu);
            for _ in 0..400 {
                let size = [16, 8, 5][(rng.next_u64() % 3) as usize];
                let count = (rng.next_u64() % 12) as usize;
                let positions: Vec<(i32, i32)> =
                    (0..count).map(|_| ((rng.next_u64() % (4 * 72)) as i32 - 36, (rng.next_u64() % (4 * 56)) as i32 - 36)).collect();
                let mut got = vec![Some(u32::MAX); count];
                planes.sads(&positions, size, size, &current[w + 1..], w, &mut got);
                for (&(xq, yq), &got) in positions.iter().zip(&got) {
                    let mut pred = vec![0u8; 16 * 16];
                    let want = planes.predict(xq, yq, size, size, &mut pred, 16).then(|| {
                        (0..size * size).map(|i| u32::from(pred[i / size * 16 + i % size].abs_diff(current[w + 1 + i / size * w + i % size]))).sum()
                    });
                    assert_eq!(got, want, "{cpu} ({xq},{yq}) {size}");
                }
            }
            // A block the current plane cannot hold is measured nowhere.
            let mut got = [Some(0); 2];
            planes.sads(&[(0, 0), (4, 4)], 16, 16, &current[..15 * w + 15], w, &mut got);
            assert_eq!(got, [None, None], "{cpu}");
        }
    }

    /// Every twin of the filter (the AVX2 build where the CPU has it, the
    /// baseline) fills the same planes.
    #[test]
    fn every_isa_fills_the_same_planes() {
        let mut rng = Rng::new(0x0DDB_1A5E_5BAD_5EED);
        let (w, h) = (77, 41);
        let data: Vec<u8> = (0..w * h).map(|_| rng.next_u64() as u8).collect();
        let plane = PlaneRef::new(&data, w, h, w).unwrap();
        let mut baseline = HalfpelPlanes::new(plane, 16);
        baseline.fill_with(plane, CpuFeatures::SCALAR);
        assert_eq!(Isa::new(CpuFeatures::SCALAR), Isa::Baseline);
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            assert_eq!(Isa::new(CpuFeatures::host()), Isa::Avx2, "the AVX2 twin must be tested");
        }
        #[cfg(target_arch = "aarch64")]
        assert_eq!(Isa::new(CpuFeatures::host()), Isa::Neon, "the NEON twin must be tested");
        for cpu in CpuFeatures::host().levels() {
            let mut planes = HalfpelPlanes::new(plane, 16);
            planes.fill_with(plane, cpu);
            assert!(baseline.phases == planes.phases, "{cpu}");
        }
    }

    /// The SSE2 writes of 16- and 8-wide predictions equal the scalar
    /// copy and average, and refuse what they cannot hold.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse2_prediction_rows_equal_scalar() {
        let mut rng = Rng::new(0x0A7E_5A3E_0F1E_5001);
        for _ in 0..2000 {
            let width = [16, 8][(rng.next_u64() % 2) as usize];
            let height = 1 + (rng.next_u64() % 16) as usize;
            let stride = width + (rng.next_u64() % 9) as usize;
            let out_stride = width + (rng.next_u64() % 5) as usize;
            let span = (height - 1) * stride + width;
            let p: Vec<u8> = (0..span).map(|_| rng.next_u64() as u8).collect();
            let q: Vec<u8> = (0..span).map(|_| rng.next_u64() as u8).collect();
            let averaged = rng.next_u64() % 2 == 0;
            let q = averaged.then_some(&q[..]);
            let mut want = vec![0u8; (height - 1) * out_stride + width];
            for row in 0..height {
                let (s, o) = (row * stride, row * out_stride);
                match q {
                    Some(q) => average(&p[s..s + width], &q[s..s + width], &mut want[o..o + width]),
                    None => want[o..o + width].copy_from_slice(&p[s..s + width]),
                }
            }
            let mut got = vec![0u8; want.len()];
            assert!(x86::predict_rows(&p, q, stride, width, height, &mut got, out_stride));
            assert_eq!(got, want, "{width}x{height} stride {stride} averaged {averaged}");
            let short = want.len() - 1;
            assert!(!x86::predict_rows(&p, q, stride, width, height, &mut got[..short], out_stride));
            assert!(!x86::predict_rows(&p[..span - 1], q, stride, width, height, &mut got, out_stride));
        }
        assert!(!x86::predict_rows(&[0; 64], None, 8, 4, 4, &mut [0; 64], 8));
    }

    #[test]
    fn refuses_short_output() {
        let data = [7u8; 256];
        let planes = HalfpelPlanes::new(PlaneRef::new(&data, 16, 16, 16).unwrap(), 4);
        let mut out = [0u8; 15 * 16 + 15];
        assert!(!planes.predict(0, 0, 16, 16, &mut out, 16));
        let mut out = [0u8; 16 * 16];
        assert!(planes.predict(1, 2, 16, 16, &mut out, 16));
        assert!(out.iter().all(|&v| v == 7));
        assert!(!planes.predict(4 * 8, 0, 16, 16, &mut out, 16));
    }
}
