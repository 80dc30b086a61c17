//! Quarter-pel luma interpolation, integer-exact, as in H.264.
//!
//! Motion compensation must give the encoder and every decoder the same
//! prediction to the bit, so this filter is defined by integer arithmetic
//! only, and both sides call this code.
//!
//! # The filter
//!
//! Positions are in quarter samples: `x_qpel = 4 * x + fx` with `fx` in
//! `0..4` (and the same for y). With `G` the integer sample at `(x, y)`,
//! `tap(a, b, c, d, e, f) = a - 5b + 20c + 20d - 5e + f`, and
//! `clip` clamping to `0..=255`:
//!
//! * half-pel right of G: `b = clip((b1 + 16) >> 5)`, with `b1` the tap over
//!   the six samples of G's row at `x-2 ..= x+3`;
//! * half-pel below G: `h = clip((h1 + 16) >> 5)`, the same down G's column
//!   at `y-2 ..= y+3`;
//! * centre half-pel (right of and below G): `j = clip((j1 + 512) >> 10)`,
//!   `j1` the tap across the six *unrounded* intermediates `b1` of rows
//!   `y-2 ..= y+3` (equal, in exact integers, to the tap across the six
//!   unrounded `h1` of columns `x-2 ..= x+3`, H.264's formulation; the tests
//!   check that equality);
//! * quarter-pel positions: the rounded-up average `(p + q + 1) >> 1` of the
//!   two nearest integer or half-pel samples, exactly as H.264 luma
//!   (8.4.2.2.1): e.g. `(1,0) = avg(G, b)`, `(3,0) = avg(G(x+1), b)`,
//!   `(1,1) = avg(b, h)`, `(2,1) = avg(b, j)`, `(3,3) = avg(h(x+1), b(y+1))`.
//!
//! # Edges
//!
//! Reference samples outside the plane take the value of the nearest edge
//! sample (coordinates are clamped into the plane), so any position, however
//! far outside, has a defined prediction. The common interior case, where the
//! block and its filter taps lie inside the plane, reads the plane directly;
//! only edge blocks pay for a clamped copy. Both paths give the same result.
//!
//! # Use
//!
//! [`predict_luma`] predicts one block of any size. A codec predicting many
//! blocks keeps one [`LumaWindow`] and calls [`LumaWindow::predict_block`]; a
//! sub-pel motion search prepares the window once around a block
//! ([`LumaWindow::prepare`]) and predicts every candidate from it
//! ([`LumaWindow::predict`]).
//!
//! # SIMD
//!
//! The code here is the scalar reference. On `wasm32` built with
//! `+simd128` (`interpolate/wasm.rs`), on x86 with SSE2
//! (`interpolate/x86.rs`) and on aarch64 with NEON (`interpolate/neon.rs`),
//! twins of the window's plane computation (windows at least 8 wide) and
//! of its rounded average are used in their place; all are one body
//! (`interpolate/simd_body.rs`) whose tests hold them equal to the scalar
//! code on random inputs (natively with the crate's tests;
//! `tests/wasm-simd/run.sh` runs the simd128 ones under Node,
//! `tests/arm/run.sh` the NEON ones under qemu-user). A
//! [`LumaWindow`] uses them when its [`CpuFeatures`] allow
//! ([`LumaWindow::with_cpu`]; [`CpuFeatures::detect`] by default), and the
//! tests against the naive filter run at every level of
//! [`CpuFeatures::levels`].

use core::fmt;

use super::plane::PlaneRef;
use crate::cpu::CpuFeatures;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
mod x86;
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;

/// Largest window width or height [`LumaWindow::prepare`] accepts: a 32x32
/// block plus one sample on each side (34), with room to spare.
pub const WINDOW_MAX: usize = 36;
/// Source rows/columns a window of `WINDOW_MAX` needs: two taps before, three after.
const SRC_MAX: usize = WINDOW_MAX + 5;
/// Tile size [`LumaWindow::predict_block`] splits larger blocks into.
const TILE: usize = 32;

/// Which interpolated planes a [`LumaWindow`] holds (a bit set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Planes(u8);

impl Planes {
    /// Integer samples `G`.
    pub const FULL: Planes = Planes(1);
    /// Horizontal half-pel samples `b` (right of each `G`).
    pub const HORIZONTAL: Planes = Planes(2);
    /// Vertical half-pel samples `h` (below each `G`).
    pub const VERTICAL: Planes = Planes(4);
    /// Centre half-pel samples `j` (right of and below each `G`).
    pub const CENTRE: Planes = Planes(8);
    /// All four.
    pub const ALL: Planes = Planes(15);

    /// Both sets.
    pub const fn union(self, other: Planes) -> Planes {
        Planes(self.0 | other.0)
    }

    /// Whether every plane of `other` is in `self`.
    pub const fn contains(self, other: Planes) -> bool {
        self.0 & other.0 == other.0
    }

    /// The planes a prediction at fractional position `(fx, fy)` (quarter
    /// samples, each taken modulo 4) reads.
    pub const fn for_fraction(fx: u32, fy: u32) -> Planes {
        let (f, h, v, c) = (
            Planes::FULL.0,
            Planes::HORIZONTAL.0,
            Planes::VERTICAL.0,
            Planes::CENTRE.0,
        );
        Planes(match (fx & 3, fy & 3) {
            (0, 0) => f,
            (1 | 3, 0) => f | h,
            (2, 0) => h,
            (0, 1 | 3) => f | v,
            (0, 2) => v,
            (1 | 3, 1 | 3) => h | v,
            (2, 1 | 3) => h | c,
            (1 | 3, 2) => v | c,
            _ => c, // (2, 2)
        })
    }
}

/// A sample source of [`quarter_sample_sources`]: the phase (0 = integer
/// `G`, 1 = horizontal `b`, 2 = vertical `h`, 3 = centre `j`) and the
/// offset `(dx, dy)`, 0 or 1 sample, at which it is read.
pub type PhaseSource = (usize, usize, usize);

/// Where the prediction at fractional position `(fx, fy)` (quarter
/// samples, `0..4`) reads: one phase, or two whose samples are averaged
/// rounding up (H.264 8.4.2.2.1). Shared by [`LumaWindow`] and encoders
/// that interpolate a whole reference at once.
pub const fn quarter_sample_sources(fx: u32, fy: u32) -> (PhaseSource, Option<PhaseSource>) {
    const G: usize = 0;
    const B: usize = 1;
    const H: usize = 2;
    const J: usize = 3;
    match (fx & 3, fy & 3) {
        (0, 0) => ((G, 0, 0), None),
        (1, 0) => ((G, 0, 0), Some((B, 0, 0))),
        (2, 0) => ((B, 0, 0), None),
        (3, 0) => ((G, 1, 0), Some((B, 0, 0))),
        (0, 1) => ((G, 0, 0), Some((H, 0, 0))),
        (0, 2) => ((H, 0, 0), None),
        (0, 3) => ((G, 0, 1), Some((H, 0, 0))),
        (1, 1) => ((B, 0, 0), Some((H, 0, 0))),
        (3, 1) => ((B, 0, 0), Some((H, 1, 0))),
        (1, 3) => ((H, 0, 0), Some((B, 0, 1))),
        (3, 3) => ((H, 1, 0), Some((B, 0, 1))),
        (2, 1) => ((B, 0, 0), Some((J, 0, 0))),
        (2, 3) => ((J, 0, 0), Some((B, 0, 1))),
        (1, 2) => ((H, 0, 0), Some((J, 0, 0))),
        (3, 2) => ((J, 0, 0), Some((H, 1, 0))),
        _ => ((J, 0, 0), None), // (2, 2)
    }
}

/// Why an interpolation call was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InterpError {
    /// A window of zero size or larger than [`WINDOW_MAX`] in either direction.
    BadWindowSize { width: usize, height: usize },
    /// A block of zero size.
    EmptyBlock,
    /// The block at that quarter-pel position does not fit in the prepared window.
    OutsideWindow {
        x_qpel: usize,
        y_qpel: usize,
        width: usize,
        height: usize,
    },
    /// The window was prepared without a plane this position needs.
    MissingPlanes { needed: Planes, prepared: Planes },
    /// `out_stride` is less than the block width.
    OutputStrideTooSmall { stride: usize, width: usize },
    /// `out` is shorter than `(height - 1) * out_stride + width`.
    OutputTooShort { needed: usize, len: usize },
}

impl fmt::Display for InterpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            InterpError::BadWindowSize { width, height } => write!(
                f,
                "interpolation window of {width}x{height}: each side must be 1..={WINDOW_MAX}"
            ),
            InterpError::EmptyBlock => write!(f, "block of zero size"),
            InterpError::OutsideWindow { x_qpel, y_qpel, width, height } => write!(
                f,
                "{width}x{height} block at quarter-pel ({x_qpel}, {y_qpel}) is outside the prepared window"
            ),
            InterpError::MissingPlanes { needed, prepared } => write!(
                f,
                "window prepared with planes {:#x}, position needs {:#x}",
                prepared.0, needed.0
            ),
            InterpError::OutputStrideTooSmall { stride, width } => {
                write!(f, "output stride {stride} is less than the block width {width}")
            }
            InterpError::OutputTooShort { needed, len } => {
                write!(f, "output buffer of {len} bytes, {needed} needed")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for InterpError {}

/// Checks that `out` holds a `width` x `height` block at `out_stride`.
fn check_output(
    out_len: usize,
    width: usize,
    height: usize,
    out_stride: usize,
) -> Result<(), InterpError> {
    if width == 0 || height == 0 {
        return Err(InterpError::EmptyBlock);
    }
    if out_stride < width {
        return Err(InterpError::OutputStrideTooSmall {
            stride: out_stride,
            width,
        });
    }
    let needed = out_stride
        .checked_mul(height - 1)
        .and_then(|n| n.checked_add(width))
        .unwrap_or(usize::MAX);
    if out_len < needed {
        return Err(InterpError::OutputTooShort {
            needed,
            len: out_len,
        });
    }
    Ok(())
}

/// The integer and half-pel samples of a rectangle of a reference plane, from
/// which any quarter-pel block inside it is predicted.
///
/// After [`prepare`](Self::prepare) at integer origin `(x0, y0)` with size
/// `w` x `h`, the window holds, for every integer position
/// `(x0 + i, y0 + j)` with `i < w`, `j < h`, the samples `G`, `b`, `h` and
/// `j` (those asked for). [`predict`](Self::predict) then forms any block
/// whose quarter-pel position relative to `(x0, y0)` keeps it inside.
///
/// About 10 KiB; keep one per thread and reuse it.
#[derive(Clone)]
pub struct LumaWindow {
    x0: i64,
    y0: i64,
    w: usize,
    h: usize,
    planes: Planes,
    full: [u8; WINDOW_MAX * WINDOW_MAX],
    hor: [u8; WINDOW_MAX * WINDOW_MAX],
    ver: [u8; WINDOW_MAX * WINDOW_MAX],
    ctr: [u8; WINDOW_MAX * WINDOW_MAX],
    /// Unrounded horizontal intermediates `b1`, rows `y0-2 .. y0+h+3`.
    tmp: [i16; SRC_MAX * WINDOW_MAX],
    /// Edge-clamped copy of the source rectangle, used only at edges.
    src: [u8; SRC_MAX * SRC_MAX],
    /// Whether the SIMD twins may run ([`CpuFeatures::has_simd128_twins`]).
    simd: bool,
}

impl Default for LumaWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for LumaWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LumaWindow")
            .field("x0", &self.x0)
            .field("y0", &self.y0)
            .field("w", &self.w)
            .field("h", &self.h)
            .field("planes", &self.planes)
            .finish_non_exhaustive()
    }
}

#[inline(always)]
fn clip_u8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

impl LumaWindow {
    /// An empty window (nothing prepared) using the twins of
    /// [`CpuFeatures::detect`].
    pub fn new() -> Self {
        Self::with_cpu(CpuFeatures::detect())
    }

    /// An empty window using the twins `cpu` allows; every choice predicts
    /// the same samples.
    pub fn with_cpu(cpu: CpuFeatures) -> Self {
        LumaWindow {
            x0: 0,
            y0: 0,
            w: 0,
            h: 0,
            planes: Planes(0),
            full: [0; WINDOW_MAX * WINDOW_MAX],
            hor: [0; WINDOW_MAX * WINDOW_MAX],
            ver: [0; WINDOW_MAX * WINDOW_MAX],
            ctr: [0; WINDOW_MAX * WINDOW_MAX],
            tmp: [0; SRC_MAX * WINDOW_MAX],
            src: [0; SRC_MAX * SRC_MAX],
            simd: cpu.masked(CpuFeatures::host()).has_simd128_twins(),
        }
    }

    /// Integer origin of the prepared window in the reference plane.
    pub fn origin(&self) -> (i64, i64) {
        (self.x0, self.y0)
    }

    /// Size of the prepared window (0 x 0 before the first `prepare`).
    pub fn size(&self) -> (usize, usize) {
        (self.w, self.h)
    }

    /// Computes `planes` for the `width` x `height` integer positions whose
    /// top-left is `(x0, y0)` in `reference` (which may lie partly or wholly
    /// outside it: edge samples extend).
    pub fn prepare(
        &mut self,
        reference: &PlaneRef<'_>,
        x0: i32,
        y0: i32,
        width: usize,
        height: usize,
        planes: Planes,
    ) -> Result<(), InterpError> {
        self.prepare_i64(reference, x0 as i64, y0 as i64, width, height, planes)
    }

    fn prepare_i64(
        &mut self,
        reference: &PlaneRef<'_>,
        x0: i64,
        y0: i64,
        w: usize,
        h: usize,
        planes: Planes,
    ) -> Result<(), InterpError> {
        if w == 0 || h == 0 || w > WINDOW_MAX || h > WINDOW_MAX {
            return Err(InterpError::BadWindowSize {
                width: w,
                height: h,
            });
        }
        self.x0 = x0;
        self.y0 = y0;
        self.w = w;
        self.h = h;
        self.planes = Planes(0);

        // The source rectangle: columns x0-2 ..= x0+w+2, rows y0-2 ..= y0+h+2.
        let (sx, sy) = (x0 - 2, y0 - 2);
        let (sw, sh) = (w + 5, h + 5);
        let interior = sx >= 0
            && sy >= 0
            && sx + sw as i64 <= reference.width() as i64
            && sy + sh as i64 <= reference.height() as i64;
        let direct = if interior {
            let start = sy as usize * reference.stride() + sx as usize;
            reference
                .data()
                .get(start..)
                .map(|s| (s, reference.stride()))
        } else {
            None
        };
        let LumaWindow {
            full,
            hor,
            ver,
            ctr,
            tmp,
            src,
            simd,
            ..
        } = self;
        let (src, ss): (&[u8], usize) = match direct {
            Some(d) => d,
            None => {
                reference.copy_clamped(sx, sy, sw, sh, &mut src[..], SRC_MAX);
                (&src[..], SRC_MAX)
            }
        };
        compute_planes_fastest(*simd, src, ss, w, h, planes, full, hor, ver, ctr, tmp);
        self.planes = planes;
        Ok(())
    }

    /// Writes the `width` x `height` block at quarter-pel position
    /// `(x_qpel, y_qpel)` relative to the window origin (so `(4, 4)` is the
    /// integer position `(x0 + 1, y0 + 1)`) to `out` at `out_stride`.
    ///
    /// The block must lie inside the window: with `ix = x_qpel / 4`,
    /// `ix + width + (x_qpel % 4 == 3) as usize <= w`, and the same in y.
    pub fn predict(
        &self,
        x_qpel: usize,
        y_qpel: usize,
        width: usize,
        height: usize,
        out: &mut [u8],
        out_stride: usize,
    ) -> Result<(), InterpError> {
        check_output(out.len(), width, height, out_stride)?;
        let (ix, fx) = (x_qpel >> 2, (x_qpel & 3) as u32);
        let (iy, fy) = (y_qpel >> 2, (y_qpel & 3) as u32);
        let fits_x = ix
            .checked_add(width + (fx == 3) as usize)
            .is_some_and(|e| e <= self.w);
        let fits_y = iy
            .checked_add(height + (fy == 3) as usize)
            .is_some_and(|e| e <= self.h);
        if !fits_x || !fits_y {
            return Err(InterpError::OutsideWindow {
                x_qpel,
                y_qpel,
                width,
                height,
            });
        }
        let needed = Planes::for_fraction(fx, fy);
        if !self.planes.contains(needed) {
            return Err(InterpError::MissingPlanes {
                needed,
                prepared: self.planes,
            });
        }
        match (width, height) {
            (16, 16) => self.blend(ix, iy, fx, fy, 16, 16, out, out_stride),
            (8, 8) => self.blend(ix, iy, fx, fy, 8, 8, out, out_stride),
            _ => self.blend(ix, iy, fx, fy, width, height, out, out_stride),
        }
        Ok(())
    }

    /// The body of [`predict`](Self::predict) once the block is checked:
    /// each position is one plane, or the rounded average of two.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn blend(&self, ix: usize, iy: usize, fx: u32, fy: u32, width: usize, height: usize, out: &mut [u8], out_stride: usize) {
        let phases = [&self.full[..], &self.hor[..], &self.ver[..], &self.ctr[..]];
        let (p, q) = quarter_sample_sources(fx, fy);
        let p = (phases[p.0], p.1, p.2);
        let q = q.map(|q| (phases[q.0], q.1, q.2));
        for y in 0..height {
            let o = &mut out[y * out_stride..y * out_stride + width];
            let pa = (iy + y + p.2) * WINDOW_MAX + ix + p.1;
            let ra = &p.0[pa..pa + width];
            match q {
                None => o.copy_from_slice(ra),
                Some(q) => {
                    let qa = (iy + y + q.2) * WINDOW_MAX + ix + q.1;
                    let rb = &q.0[qa..qa + width];
                    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
                    if self.simd && wasm::average_row_twin(&mut *o, ra, rb) {
                        continue;
                    }
                    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
                    if self.simd && x86::average_row_twin(&mut *o, ra, rb) {
                        continue;
                    }
                    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
                    if self.simd && neon::average_row_twin(&mut *o, ra, rb) {
                        continue;
                    }
                    for ((o, &a), &b) in o.iter_mut().zip(ra).zip(rb) {
                        *o = ((a as u16 + b as u16 + 1) >> 1) as u8;
                    }
                }
            }
        }
    }

    /// Predicts the `width` x `height` block (any size) whose top-left is at
    /// absolute quarter-pel position `(x_qpel, y_qpel)` in `reference` (that
    /// is `4 * block_x + mv_x` for a block at `block_x` with a quarter-pel
    /// vector `mv_x`), reusing this window's buffers. Same result as
    /// [`predict_luma`].
    #[allow(clippy::too_many_arguments)]
    pub fn predict_block(
        &mut self,
        reference: &PlaneRef<'_>,
        x_qpel: i32,
        y_qpel: i32,
        width: usize,
        height: usize,
        out: &mut [u8],
        out_stride: usize,
    ) -> Result<(), InterpError> {
        check_output(out.len(), width, height, out_stride)?;
        let (fx, fy) = ((x_qpel & 3) as u32, (y_qpel & 3) as u32);
        let (ix, iy) = ((x_qpel >> 2) as i64, (y_qpel >> 2) as i64);
        if fx == 0 && fy == 0 && copy_interior(reference, ix, iy, width, height, out, out_stride) {
            return Ok(());
        }
        if self.simd && predict_direct_twin(reference, ix, iy, fx, fy, width, height, out, out_stride) {
            return Ok(());
        }
        let planes = Planes::for_fraction(fx, fy);
        let mut ty = 0;
        while ty < height {
            let th = TILE.min(height - ty);
            let mut tx = 0;
            while tx < width {
                let tw = TILE.min(width - tx);
                // Only quarter positions 3 read one sample further right
                // (below): the window is one wider (taller) only for them.
                self.prepare_i64(
                    reference,
                    ix + tx as i64,
                    iy + ty as i64,
                    tw + (fx == 3) as usize,
                    th + (fy == 3) as usize,
                    planes,
                )?;
                let start = ty * out_stride + tx;
                self.predict(
                    fx as usize,
                    fy as usize,
                    tw,
                    th,
                    &mut out[start..],
                    out_stride,
                )?;
                tx += tw;
            }
            ty += th;
        }
        Ok(())
    }
}

/// A whole-sample block inside the plane is a plain copy (the common case
/// of still and panning content); returns false, having written nothing,
/// when the block reaches outside the plane.
#[inline]
fn copy_interior(reference: &PlaneRef<'_>, x: i64, y: i64, width: usize, height: usize, out: &mut [u8], out_stride: usize) -> bool {
    let inside = x >= 0 && y >= 0 && x as usize + width <= reference.width() && y as usize + height <= reference.height();
    if !inside {
        return false;
    }
    let (stride, data) = (reference.stride(), reference.data());
    let start = y as usize * stride + x as usize;
    let rows = data.get(start..).unwrap_or(&[]).chunks(stride).zip(out.chunks_mut(out_stride)).take(height);
    match width {
        16 => rows.for_each(|(src, dst)| dst[..16].copy_from_slice(&src[..16])),
        8 => rows.for_each(|(src, dst)| dst[..8].copy_from_slice(&src[..8])),
        _ => rows.for_each(|(src, dst)| dst[..width].copy_from_slice(&src[..width])),
    }
    true
}

/// The SIMD twins' shortcut past the window (`predict_direct_twin`):
/// true when it predicted the
/// block, which needs a width that is a multiple of 8 and its whole source
/// rectangle (two samples left and above, four right and below) inside the
/// plane. Builds without a twin always take the window.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn predict_direct_twin(
    reference: &PlaneRef<'_>,
    ix: i64,
    iy: i64,
    fx: u32,
    fy: u32,
    width: usize,
    height: usize,
    out: &mut [u8],
    out_stride: usize,
) -> bool {
    let (sx, sy) = (ix - 2, iy - 2);
    let inside = sx >= 0
        && sy >= 0
        && sx + width as i64 + 6 <= reference.width() as i64
        && sy + height as i64 + 6 <= reference.height() as i64;
    if !inside {
        return false;
    }
    let Some(src) = reference.data().get(sy as usize * reference.stride() + sx as usize..) else {
        return false;
    };
    let ss = reference.stride();
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::predict_direct_twin(src, ss, fx, fy, width, height, out, out_stride);
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
    return x86::predict_direct_twin(src, ss, fx, fy, width, height, out, out_stride);
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    return neon::predict_direct_twin(src, ss, fx, fy, width, height, out, out_stride);
    #[cfg(not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    )))]
    {
        let _ = (src, ss, fx, fy, width, height, out, out_stride);
        false
    }
}

/// `compute_planes` by the fastest kernel of this build: the SIMD twin
/// (simd128 on wasm32, SSE2 on x86, NEON on aarch64) for windows at least 8 wide, else the
/// scalar code, where (without a twin) the sizes motion compensation and
/// the sub-pel search use are spelled out so that each gets loops of
/// constant length (unrolled and vectorised, no per-row `memcpy` calls).
/// Same result from every path.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn compute_planes_fastest(
    simd: bool,
    src: &[u8],
    ss: usize,
    w: usize,
    h: usize,
    planes: Planes,
    full: &mut [u8],
    hor: &mut [u8],
    ver: &mut [u8],
    ctr: &mut [u8],
    tmp: &mut [i16],
) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let twin = simd && wasm::compute_planes_twin(src, ss, w, h, planes, full, hor, ver, ctr, tmp);
    #[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
    let twin = simd && x86::compute_planes_twin(src, ss, w, h, planes, full, hor, ver, ctr, tmp);
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    let twin = simd && neon::compute_planes_twin(src, ss, w, h, planes, full, hor, ver, ctr, tmp);
    #[cfg(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    ))]
    if !twin {
        compute_planes(src, ss, w, h, planes, full, hor, ver, ctr, tmp);
    }
    #[cfg(not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    )))]
    let _ = simd;
    #[cfg(not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"),
        all(target_arch = "aarch64", target_feature = "neon")
    )))]
    match (w, h) {
        (16, 16) => compute_planes(src, ss, 16, 16, planes, full, hor, ver, ctr, tmp),
        (17, 16) => compute_planes(src, ss, 17, 16, planes, full, hor, ver, ctr, tmp),
        (16, 17) => compute_planes(src, ss, 16, 17, planes, full, hor, ver, ctr, tmp),
        (17, 17) => compute_planes(src, ss, 17, 17, planes, full, hor, ver, ctr, tmp),
        (8, 8) => compute_planes(src, ss, 8, 8, planes, full, hor, ver, ctr, tmp),
        (9, 8) => compute_planes(src, ss, 9, 8, planes, full, hor, ver, ctr, tmp),
        (8, 9) => compute_planes(src, ss, 8, 9, planes, full, hor, ver, ctr, tmp),
        (9, 9) => compute_planes(src, ss, 9, 9, planes, full, hor, ver, ctr, tmp),
        (18, 18) => compute_planes(src, ss, 18, 18, planes, full, hor, ver, ctr, tmp),
        (10, 10) => compute_planes(src, ss, 10, 10, planes, full, hor, ver, ctr, tmp),
        _ => compute_planes(src, ss, w, h, planes, full, hor, ver, ctr, tmp),
    }
}

/// `a - 5b + 20c + 20d - 5e + f` on six equally long rows, into `out`.
#[inline(always)]
fn tap_rows_u8(s: [&[u8]; 6], out: &mut [i16]) {
    let n = out.len();
    let (s0, s1, s2, s3, s4, s5) = (
        &s[0][..n],
        &s[1][..n],
        &s[2][..n],
        &s[3][..n],
        &s[4][..n],
        &s[5][..n],
    );
    for i in 0..n {
        out[i] = s0[i] as i16 + s5[i] as i16 - 5 * (s1[i] as i16 + s4[i] as i16)
            + 20 * (s2[i] as i16 + s3[i] as i16);
    }
}

/// Computes the requested planes of a `w` x `h` window from its source
/// rectangle `src` (`(w + 5) x (h + 5)` samples at stride `ss`, top-left two
/// samples above and left of the window's first integer sample).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn compute_planes(
    src: &[u8],
    ss: usize,
    w: usize,
    h: usize,
    planes: Planes,
    full: &mut [u8],
    hor: &mut [u8],
    ver: &mut [u8],
    ctr: &mut [u8],
    tmp: &mut [i16],
) {
    let row = |r: usize, c: usize| &src[r * ss + c..r * ss + c + w];
    if planes.contains(Planes::FULL) {
        for y in 0..h {
            full[y * WINDOW_MAX..y * WINDOW_MAX + w].copy_from_slice(row(y + 2, 2));
        }
    }
    let need_tmp = planes.contains(Planes::HORIZONTAL) || planes.contains(Planes::CENTRE);
    if need_tmp {
        for r in 0..h + 5 {
            let t = &mut tmp[r * WINDOW_MAX..r * WINDOW_MAX + w];
            tap_rows_u8(
                [
                    row(r, 0),
                    row(r, 1),
                    row(r, 2),
                    row(r, 3),
                    row(r, 4),
                    row(r, 5),
                ],
                t,
            );
        }
    }
    if planes.contains(Planes::HORIZONTAL) {
        for y in 0..h {
            let t = &tmp[(y + 2) * WINDOW_MAX..(y + 2) * WINDOW_MAX + w];
            let o = &mut hor[y * WINDOW_MAX..y * WINDOW_MAX + w];
            for (o, &t) in o.iter_mut().zip(t) {
                *o = clip_u8((t as i32 + 16) >> 5);
            }
        }
    }
    if planes.contains(Planes::VERTICAL) {
        let mut line = [0i16; WINDOW_MAX];
        for y in 0..h {
            let t = &mut line[..w];
            tap_rows_u8(
                [
                    row(y, 2),
                    row(y + 1, 2),
                    row(y + 2, 2),
                    row(y + 3, 2),
                    row(y + 4, 2),
                    row(y + 5, 2),
                ],
                t,
            );
            let o = &mut ver[y * WINDOW_MAX..y * WINDOW_MAX + w];
            for (o, &t) in o.iter_mut().zip(t.iter()) {
                *o = clip_u8((t as i32 + 16) >> 5);
            }
        }
    }
    if planes.contains(Planes::CENTRE) {
        for y in 0..h {
            let t = |k: usize| &tmp[(y + k) * WINDOW_MAX..(y + k) * WINDOW_MAX + w];
            let (t0, t1, t2, t3, t4, t5) = (t(0), t(1), t(2), t(3), t(4), t(5));
            let o = &mut ctr[y * WINDOW_MAX..y * WINDOW_MAX + w];
            for i in 0..w {
                let j1 = t0[i] as i32 + t5[i] as i32 - 5 * (t1[i] as i32 + t4[i] as i32)
                    + 20 * (t2[i] as i32 + t3[i] as i32);
                o[i] = clip_u8((j1 + 512) >> 10);
            }
        }
    }
}

/// Predicts the `width` x `height` luma block whose top-left is at absolute
/// quarter-pel position `(x_qpel, y_qpel)` of `reference` into `out` (row
/// `y` at `out[y * out_stride..]`). Any position is valid: samples outside
/// the plane take the nearest edge sample.
///
/// Builds a [`LumaWindow`] on the stack (about 10 KiB) for the call; code
/// predicting many blocks should keep one and call
/// [`LumaWindow::predict_block`] instead.
pub fn predict_luma(
    reference: PlaneRef<'_>,
    x_qpel: i32,
    y_qpel: i32,
    width: usize,
    height: usize,
    out: &mut [u8],
    out_stride: usize,
) -> Result<(), InterpError> {
    LumaWindow::new().predict_block(&reference, x_qpel, y_qpel, width, height, out, out_stride)
}

#[cfg(test)]
mod tests;
