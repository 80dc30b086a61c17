//! Intra prediction (DC, horizontal, vertical, planar) and procedural
//! patterns (solid, linear and radial gradients), integer-exact.
//!
//! Both halves predict a square block from almost nothing: intra modes from
//! the already reconstructed samples above and to the left, patterns from a
//! few parameters (a flat or gradient region costs a handful of bytes). The
//! encoder and every decoder call this code, so every formula below is
//! integer arithmetic with its rounding spelled out.
//!
//! # Intra prediction
//!
//! Blocks are `N` x `N` with `N` 8 (8x8 luma, 8x8 chroma) or 16 (16x16 luma).
//! [`Neighbours`] holds the reconstructed row above (`top`), the column to the
//! left (`left`) and the corner sample (`top_left`), with availability flags:
//! a neighbour outside the frame or the block's tile is unavailable (tiles
//! decode independently). The corner is available when both `top` and `left`
//! are (tiles are rectangles: a block with a row above and a column to the
//! left inside its tile has the corner inside it too).
//!
//! * [`IntraMode::Dc`]: every sample is the rounded mean of the available
//!   neighbours: `(sum(top) + sum(left) + N) >> log2(2N)` with both,
//!   `(sum + N/2) >> log2(N)` with one, `128` with none. (One mean for the
//!   whole block, also for chroma: H.264 chroma DC works per 4x4 quadrant, we
//!   do not.)
//! * [`IntraMode::Vertical`]: `pred[y][x] = top[x]`; needs `top`.
//! * [`IntraMode::Horizontal`]: `pred[y][x] = left[y]`; needs `left`.
//! * [`IntraMode::Planar`]: H.264's plane prediction; needs `top`, `left` and
//!   the corner. With `h = N/2` and `p(i)` the top row (`p(-1)` the corner),
//!   `q(j)` the left column (`q(-1)` the corner):
//!   `H = sum_{k=1..h} k * (p(h-1+k) - p(h-1-k))`, `V` likewise on `q`,
//!   `a = 16 * (p(N-1) + q(N-1))`, `b = (m*H + 32) >> 6`, `c = (m*V + 32) >> 6`
//!   with `m = 5` for `N = 16` (H.264 16x16 luma) and `m = 34` for `N = 8`
//!   (H.264 8x8 chroma, which we also use for 8x8 luma), and
//!   `pred[y][x] = clip((a + b*(x - (h-1)) + c*(y - (h-1)) + 16) >> 5)`.
//!
//! A mode whose neighbours are unavailable falls back to DC (with whatever is
//! available), so a decoder never reads a sample that is not there, even on a
//! corrupt stream. An encoder only chooses modes whose neighbours exist.
//!
//! # Patterns
//!
//! [`Pattern`] fills a block of any size from its parameters alone; see
//! [`GradientLinear`] and [`GradientRadial`] for the exact formulas.
//! [`fit_solid`] and [`fit_gradient_linear`] are encoder helpers that choose
//! parameters for a source block (they need not be deterministic across
//! machines, only the fills must be, but they are integer anyway).

use super::plane::PlaneRef;

/// An intra prediction mode; see the [module docs](self) for the formulas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IntraMode {
    /// Mean of the available neighbours (128 with none).
    #[default]
    Dc,
    /// Each row copies the left neighbour of that row.
    Horizontal,
    /// Each column copies the top neighbour of that column.
    Vertical,
    /// H.264 plane prediction: a linear ramp fitted to the neighbours.
    Planar,
}

impl IntraMode {
    /// All modes, in their code order.
    pub const ALL: [IntraMode; 4] = [
        IntraMode::Dc,
        IntraMode::Horizontal,
        IntraMode::Vertical,
        IntraMode::Planar,
    ];

    /// The mode's code (its index in [`IntraMode::ALL`]).
    pub const fn code(self) -> u8 {
        match self {
            IntraMode::Dc => 0,
            IntraMode::Horizontal => 1,
            IntraMode::Vertical => 2,
            IntraMode::Planar => 3,
        }
    }

    /// The mode with that code, or `None` for a code over 3.
    pub const fn from_code(code: u8) -> Option<IntraMode> {
        match code {
            0 => Some(IntraMode::Dc),
            1 => Some(IntraMode::Horizontal),
            2 => Some(IntraMode::Vertical),
            3 => Some(IntraMode::Planar),
            _ => None,
        }
    }

    /// Whether the mode can be used with these neighbours without falling
    /// back to DC (DC always can).
    pub const fn is_available(self, has_top: bool, has_left: bool) -> bool {
        match self {
            IntraMode::Dc => true,
            IntraMode::Horizontal => has_left,
            IntraMode::Vertical => has_top,
            IntraMode::Planar => has_top && has_left,
        }
    }
}

/// The reconstructed neighbours of an `N` x `N` block.
///
/// Samples of an unavailable side are ignored (conventionally 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Neighbours<const N: usize> {
    /// The row above the block, left to right.
    pub top: [u8; N],
    /// The column left of the block, top to bottom.
    pub left: [u8; N],
    /// The sample above and left of the block's top-left sample.
    pub top_left: u8,
    /// Whether `top` holds real samples.
    pub has_top: bool,
    /// Whether `left` holds real samples.
    pub has_left: bool,
}

impl<const N: usize> Neighbours<N> {
    /// No neighbours at all (a block at the top-left of its tile).
    pub const fn none() -> Self {
        Neighbours {
            top: [128; N],
            left: [128; N],
            top_left: 128,
            has_top: false,
            has_left: false,
        }
    }

    /// Whether the corner is available: exactly when both sides are.
    #[inline]
    pub const fn has_top_left(&self) -> bool {
        self.has_top && self.has_left
    }

    /// The neighbours of the `N` x `N` block whose top-left sample is
    /// `(x, y)` in `plane`.
    ///
    /// `has_top` / `has_left` say whether the caller's tile (or slice) has the
    /// row above / the column to the left; on top of that a side is
    /// unavailable when any of its samples lies outside the plane (`y == 0`,
    /// `x == 0`, or a block overhanging the plane). Unavailable sides are
    /// filled with 128.
    pub fn gather(plane: &PlaneRef<'_>, x: usize, y: usize, has_top: bool, has_left: bool) -> Self {
        let mut nb = Self::none();
        // Top: row y - 1, columns x .. x + N.
        if has_top && y > 0 && x.checked_add(N).is_some_and(|e| e <= plane.width()) {
            if let Some(row) = plane.row(y - 1) {
                if let Some(src) = row.get(x..x + N) {
                    nb.top.copy_from_slice(src);
                    nb.has_top = true;
                }
            }
        }
        // Left: column x - 1, rows y .. y + N.
        if has_left && x > 0 && y.checked_add(N).is_some_and(|e| e <= plane.height()) {
            let mut ok = true;
            for (j, l) in nb.left.iter_mut().enumerate() {
                match plane.get(x - 1, y + j) {
                    Some(v) => *l = v,
                    None => ok = false,
                }
            }
            if ok {
                nb.has_left = true;
            } else {
                nb.left = [128; N];
            }
        }
        if nb.has_top && nb.has_left {
            nb.top_left = plane.get(x - 1, y - 1).unwrap_or(128);
        }
        nb
    }
}

/// Clamps to a sample value.
#[inline]
fn clip_u8(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// The DC value: rounded mean of the available sides, 128 with none.
pub fn dc_value<const N: usize>(nb: &Neighbours<N>) -> u8 {
    let sum = |s: &[u8; N]| s.iter().map(|&v| u32::from(v)).sum::<u32>();
    let n = N as u32;
    // N is a power of two for the supported sizes; plain division with the
    // same rounding keeps any other N well defined too.
    match (nb.has_top, nb.has_left) {
        (true, true) => ((sum(&nb.top) + sum(&nb.left) + n) / (2 * n).max(1)) as u8,
        (true, false) => ((sum(&nb.top) + n / 2) / n.max(1)) as u8,
        (false, true) => ((sum(&nb.left) + n / 2) / n.max(1)) as u8,
        (false, false) => 128,
    }
}

/// Predicts an `N` x `N` block (`N` 8 or 16; see the [module docs](self)).
///
/// A mode whose neighbours are missing falls back to DC, and so does
/// [`IntraMode::Planar`] for an `N` other than 8 or 16. Never panics.
pub fn predict<const N: usize>(mode: IntraMode, nb: &Neighbours<N>, out: &mut [[u8; N]; N]) {
    match mode {
        IntraMode::Vertical if nb.has_top => {
            for row in out.iter_mut() {
                *row = nb.top;
            }
        }
        IntraMode::Horizontal if nb.has_left => {
            for (row, &l) in out.iter_mut().zip(nb.left.iter()) {
                *row = [l; N];
            }
        }
        IntraMode::Planar if nb.has_top_left() && (N == 8 || N == 16) => planar(nb, out),
        _ => {
            let dc = dc_value(nb);
            for row in out.iter_mut() {
                *row = [dc; N];
            }
        }
    }
}

/// H.264 plane prediction (8.3.3.4 for 16x16 luma, 8.3.4.4 for 8x8 chroma).
fn planar<const N: usize>(nb: &Neighbours<N>, out: &mut [[u8; N]; N]) {
    let h = N / 2;
    // p(i) for i in -1..N: the corner at -1.
    let top = |i: isize| -> i32 {
        if i < 0 {
            i32::from(nb.top_left)
        } else {
            nb.top.get(i as usize).map_or(0, |&v| i32::from(v))
        }
    };
    let left = |i: isize| -> i32 {
        if i < 0 {
            i32::from(nb.top_left)
        } else {
            nb.left.get(i as usize).map_or(0, |&v| i32::from(v))
        }
    };
    let (mut gh, mut gv) = (0i32, 0i32);
    for k in 1..=h as isize {
        let c = h as isize - 1;
        gh += k as i32 * (top(c + k) - top(c - k));
        gv += k as i32 * (left(c + k) - left(c - k));
    }
    // 5/64 and 34/64 approximate 32 / (2 * sum k^2) for h = 8 and 4: the
    // least-squares slope of the neighbour ramp, in 1/32 units.
    let m = if N == 16 { 5 } else { 34 };
    let b = (m * gh + 32) >> 6;
    let c = (m * gv + 32) >> 6;
    let a = 16 * (top(N as isize - 1) + left(N as isize - 1));
    let centre = h as i32 - 1;
    for (y, row) in out.iter_mut().enumerate() {
        let base = a + c * (y as i32 - centre) + 16;
        for (x, s) in row.iter_mut().enumerate() {
            *s = clip_u8((base + b * (x as i32 - centre)) >> 5);
        }
    }
}

/// Why a pattern fill was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FillError {
    /// `stride` is less than `width`.
    StrideTooSmall { stride: usize, width: usize },
    /// `out` is shorter than `(height - 1) * stride + width`.
    OutputTooShort { needed: usize, len: usize },
}

impl core::fmt::Display for FillError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            FillError::StrideTooSmall { stride, width } => {
                write!(f, "stride {stride} is less than the width {width}")
            }
            FillError::OutputTooShort { needed, len } => {
                write!(f, "output of {len} bytes, {needed} needed")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for FillError {}

/// A linear gradient:
/// `p(x, y) = clip((16 * origin + step_x * x + step_y * y + 32) >> 6)`
/// (`>>` an arithmetic shift, i.e. floor; `clip` to `0..=255`; `x`, `y` the
/// sample's position in the block, `(0, 0)` its top-left sample).
///
/// * `origin`: the value at the centre of the top-left sample, in quarter
///   levels (`4 * value`; any `i16`, so the ramp may start outside `0..=255`).
/// * `step_x`, `step_y`: the change per sample to the right / down, in 1/64
///   levels (up to ±512 levels per sample).
///
/// Everything is computed in `i32`: `|16 * origin| + 2 * 32768 * x_max` stays
/// far below `2^31` for blocks up to 16 000 samples wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GradientLinear {
    pub origin: i16,
    pub step_x: i16,
    pub step_y: i16,
}

impl GradientLinear {
    /// The value at `(x, y)` (any position; no clamping of the position).
    #[inline]
    pub fn sample(&self, x: u32, y: u32) -> u8 {
        let acc = 16 * i64::from(self.origin)
            + i64::from(self.step_x) * i64::from(x)
            + i64::from(self.step_y) * i64::from(y)
            + 32;
        (acc >> 6).clamp(0, 255) as u8
    }
}

/// A radial gradient: `inner` at the centre, blending linearly to `outer` at
/// `radius` samples and beyond.
///
/// With `(x, y)` a sample's position in the block (`(0, 0)` its top-left):
///
/// * `ex = 2x - centre_x`, `ey = 2y - centre_y`: the displacement in half
///   samples (`centre_x`, `centre_y` are in half samples relative to the
///   top-left sample's centre, so `(15, 15)` is the middle of a 16x16 block;
///   the centre may lie outside the block);
/// * `d = isqrt(16 * (ex² + ey²))`: the distance in 1/8 samples, floored
///   (`isqrt` the exact integer square root, `floor(sqrt(n))`);
/// * `r = 8 * radius`, `t = min(d, r)`;
/// * `p = (inner * (r - t) + outer * t + r / 2) / r` (integer division):
///   the blend rounded to nearest.
///
/// `radius == 0` fills `outer` everywhere (every sample is at or beyond the
/// radius). All intermediates are `u64`: no overflow for any parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GradientRadial {
    pub centre_x: i16,
    pub centre_y: i16,
    pub inner: u8,
    pub outer: u8,
    pub radius: u16,
}

impl GradientRadial {
    /// The value at `(x, y)`.
    #[inline]
    pub fn sample(&self, x: u32, y: u32) -> u8 {
        if self.radius == 0 {
            return self.outer;
        }
        let ex = 2 * i64::from(x) - i64::from(self.centre_x);
        let ey = 2 * i64::from(y) - i64::from(self.centre_y);
        // |ex|, |ey| < 2^34 for any u32 position: the squares fit in u128
        // comfortably; in practice positions are < 2^16 and u64 would do.
        let sq = (ex.unsigned_abs() as u128).pow(2) + (ey.unsigned_abs() as u128).pow(2);
        let d = isqrt_u128(sq.saturating_mul(16));
        let r = 8 * u64::from(self.radius);
        let t = u128::from(r).min(d) as u64;
        let v = (u64::from(self.inner) * (r - t) + u64::from(self.outer) * t + r / 2) / r;
        v as u8
    }
}

/// `floor(sqrt(n))`, exactly (digit-by-digit, no floating point).
pub fn isqrt_u128(n: u128) -> u128 {
    let mut rem = n;
    let mut root = 0u128;
    // Highest power of four not above n.
    let mut bit = 1u128 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

/// A procedural fill of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Every sample `value`.
    Solid { value: u8 },
    /// See [`GradientLinear`].
    GradientLinear(GradientLinear),
    /// See [`GradientRadial`].
    GradientRadial(GradientRadial),
}

impl Pattern {
    /// The value at `(x, y)` of the block.
    #[inline]
    pub fn sample(&self, x: u32, y: u32) -> u8 {
        match self {
            Pattern::Solid { value } => *value,
            Pattern::GradientLinear(g) => g.sample(x, y),
            Pattern::GradientRadial(g) => g.sample(x, y),
        }
    }

    /// Fills a `width` x `height` block: row `y` at `out[y * stride..]`.
    /// Nothing is written when the output is too small.
    pub fn fill(
        &self,
        out: &mut [u8],
        stride: usize,
        width: usize,
        height: usize,
    ) -> Result<(), FillError> {
        if width == 0 || height == 0 {
            return Ok(());
        }
        if stride < width {
            return Err(FillError::StrideTooSmall { stride, width });
        }
        let needed = (height - 1)
            .checked_mul(stride)
            .and_then(|n| n.checked_add(width))
            .unwrap_or(usize::MAX);
        if out.len() < needed {
            return Err(FillError::OutputTooShort {
                needed,
                len: out.len(),
            });
        }
        for (y, row) in out.chunks_mut(stride).take(height).enumerate() {
            for (x, s) in row.iter_mut().take(width).enumerate() {
                *s = self.sample(x as u32, y as u32);
            }
        }
        Ok(())
    }

    /// Fills an `N` x `N` array.
    pub fn fill_block<const N: usize>(&self, out: &mut [[u8; N]; N]) {
        for (y, row) in out.iter_mut().enumerate() {
            for (x, s) in row.iter_mut().enumerate() {
                *s = self.sample(x as u32, y as u32);
            }
        }
    }
}

/// The `size` x `size` block at `block[y * stride + x]`, or `None` when the
/// slice is too short, `stride < size` or `size == 0`.
fn block_rows(block: &[u8], stride: usize, size: usize) -> Option<impl Iterator<Item = &[u8]>> {
    if size == 0 || stride < size {
        return None;
    }
    let needed = (size - 1).checked_mul(stride)?.checked_add(size)?;
    if block.len() < needed {
        return None;
    }
    Some(
        block
            .chunks(stride)
            .take(size)
            .map(move |r| &r[..size.min(r.len())]),
    )
}

/// Sum of squared differences between a source block and a pattern.
pub fn pattern_sse(block: &[u8], stride: usize, size: usize, pattern: &Pattern) -> Option<u64> {
    let rows = block_rows(block, stride, size)?;
    let mut sse = 0u64;
    for (y, row) in rows.enumerate() {
        for (x, &s) in row.iter().enumerate() {
            let d = i64::from(s) - i64::from(pattern.sample(x as u32, y as u32));
            sse += (d * d) as u64;
        }
    }
    Some(sse)
}

/// Rounded `num / den` (halves away from zero); `den > 0`.
fn div_round(num: i64, den: i64) -> i64 {
    if num >= 0 {
        (num + den / 2) / den
    } else {
        -((-num + den / 2) / den)
    }
}

/// The best [`Pattern::Solid`] for a `size` x `size` source block (its
/// rounded mean) and its SSE; `None` when the block does not fit the slice.
pub fn fit_solid(block: &[u8], stride: usize, size: usize) -> Option<(u8, u64)> {
    let rows = block_rows(block, stride, size)?;
    let n = (size * size) as u64;
    let sum: u64 = rows.flat_map(|r| r.iter()).map(|&v| u64::from(v)).sum();
    let value = ((sum + n / 2) / n) as u8;
    let sse = pattern_sse(block, stride, size, &Pattern::Solid { value })?;
    Some((value, sse))
}

/// The least-squares [`GradientLinear`] for a `size` x `size` source block,
/// and the SSE of its exact fill; `None` when the block does not fit the
/// slice.
///
/// Integer least squares on the centred grid (`u = 2x - (size - 1)`, odd, so
/// x and y decouple): `slope_x = 6 * sum(v * u) / (size² (size² - 1))` levels
/// per sample, quantised to 1/64; the origin follows from the mean and the
/// quantised slopes, then the best of `origin - 1 ..= origin + 1` by actual
/// SSE (the fill's rounding and clipping) is kept. Slopes saturate to `i16`.
pub fn fit_gradient_linear(
    block: &[u8],
    stride: usize,
    size: usize,
) -> Option<(GradientLinear, u64)> {
    let rows = block_rows(block, stride, size)?;
    let n = size as i64;
    let (mut sum, mut sum_u, mut sum_w) = (0i64, 0i64, 0i64);
    for (y, row) in rows.enumerate() {
        let w = 2 * y as i64 - (n - 1);
        for (x, &v) in row.iter().enumerate() {
            let u = 2 * x as i64 - (n - 1);
            let v = i64::from(v);
            sum += v;
            sum_u += v * u;
            sum_w += v * w;
        }
    }
    let (step_x, step_y) = if size < 2 {
        (0, 0)
    } else {
        // 64 * 6 * sum_u / (n² (n² - 1)): slope in 1/64 levels per sample.
        let den = n * n * (n * n - 1);
        let clamp = |s: i64| s.clamp(i64::from(i16::MIN), i64::from(i16::MAX));
        (
            clamp(div_round(384 * sum_u, den)),
            clamp(div_round(384 * sum_w, den)),
        )
    };
    // origin (quarter levels) = 4 * mean - 4 * (n - 1)/2 * (step_x + step_y)/64
    //   = (128 * sum - n² (n - 1) (step_x + step_y)) / (32 n²).
    let origin = div_round(128 * sum - n * n * (n - 1) * (step_x + step_y), 32 * n * n);
    let mut best: Option<(GradientLinear, u64)> = None;
    for o in [origin, origin - 1, origin + 1] {
        let g = GradientLinear {
            origin: o.clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16,
            step_x: step_x as i16,
            step_y: step_y as i16,
        };
        let sse = pattern_sse(block, stride, size, &Pattern::GradientLinear(g))?;
        if best.is_none_or(|(_, b)| sse < b) {
            best = Some((g, sse));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn nb<const N: usize>(
        top: [u8; N],
        left: [u8; N],
        tl: u8,
        has_top: bool,
        has_left: bool,
    ) -> Neighbours<N> {
        Neighbours {
            top,
            left,
            top_left: tl,
            has_top,
            has_left,
        }
    }

    fn ramp<const N: usize>(f: impl Fn(i32) -> i32) -> [u8; N] {
        core::array::from_fn(|i| f(i as i32) as u8)
    }

    #[test]
    fn dc_availability() {
        let top = [10u8; 8];
        let left = [21u8; 8];
        let mut out = [[0u8; 8]; 8];
        // Both: (80 + 168 + 8) >> 4 = 16.
        predict(IntraMode::Dc, &nb(top, left, 0, true, true), &mut out);
        assert_eq!(out, [[16; 8]; 8]);
        predict(IntraMode::Dc, &nb(top, left, 0, true, false), &mut out);
        assert_eq!(out, [[10; 8]; 8]);
        predict(IntraMode::Dc, &nb(top, left, 0, false, true), &mut out);
        assert_eq!(out, [[21; 8]; 8]);
        predict(IntraMode::Dc, &nb(top, left, 0, false, false), &mut out);
        assert_eq!(out, [[128; 8]; 8]);
        // Rounding: 16 samples summing to 8 * 1 + 8 * 2 = 24 -> (24 + 8) >> 4 = 2;
        // and 23 -> (23 + 8) >> 4 = 1.
        let mut t = [1u8; 8];
        let l = [2u8; 8];
        assert_eq!(dc_value(&nb(t, l, 0, true, true)), 2);
        t[0] = 0;
        assert_eq!(dc_value(&nb(t, l, 0, true, true)), 1);
        // 16x16, top only: (16 * 255 + 8) >> 4 = 255.
        assert_eq!(dc_value(&nb([255u8; 16], [0; 16], 0, true, false)), 255);
    }

    #[test]
    fn horizontal_vertical_and_fallback() {
        let top = ramp::<8>(|i| 10 * i);
        let left = ramp::<8>(|i| 200 - 3 * i);
        let mut out = [[0u8; 8]; 8];
        predict(IntraMode::Vertical, &nb(top, left, 7, true, true), &mut out);
        for row in &out {
            assert_eq!(*row, top);
        }
        predict(
            IntraMode::Horizontal,
            &nb(top, left, 7, true, true),
            &mut out,
        );
        for (y, row) in out.iter().enumerate() {
            assert_eq!(*row, [left[y]; 8]);
        }
        // Missing side: DC of what is there.
        predict(
            IntraMode::Vertical,
            &nb(top, left, 7, false, true),
            &mut out,
        );
        assert_eq!(out, [[dc_value(&nb(top, left, 7, false, true)); 8]; 8]);
        predict(
            IntraMode::Horizontal,
            &nb(top, left, 7, true, false),
            &mut out,
        );
        assert_eq!(out, [[dc_value(&nb(top, left, 7, true, false)); 8]; 8]);
        predict(IntraMode::Planar, &nb(top, left, 7, true, false), &mut out);
        assert_eq!(out, [[dc_value(&nb(top, left, 7, true, false)); 8]; 8]);
        predict(IntraMode::Planar, &nb(top, left, 7, false, false), &mut out);
        assert_eq!(out, [[128; 8]; 8]);
        // Planar on an unsupported size falls back to DC.
        let mut o4 = [[0u8; 4]; 4];
        predict(
            IntraMode::Planar,
            &nb([4u8; 4], [8u8; 4], 6, true, true),
            &mut o4,
        );
        assert_eq!(o4, [[6; 4]; 4]);
    }

    /// An exact linear ramp continued into the neighbours is reproduced.
    #[test]
    fn planar_reproduces_linear_ramp() {
        // f(x, y) = 40 + 3x + 2y over x, y in -1..N: neighbours and block.
        fn check<const N: usize>(gx: i32, gy: i32, base: i32) {
            let f = |x: i32, y: i32| base + gx * x + gy * y;
            let n = nb::<N>(
                ramp(|i| f(i, -1)),
                ramp(|j| f(-1, j)),
                f(-1, -1) as u8,
                true,
                true,
            );
            let mut out = [[0u8; N]; N];
            predict(IntraMode::Planar, &n, &mut out);
            for (y, row) in out.iter().enumerate() {
                for (x, &s) in row.iter().enumerate() {
                    assert_eq!(
                        i32::from(s),
                        f(x as i32, y as i32),
                        "N={N} gx={gx} gy={gy} at ({x},{y})"
                    );
                }
            }
        }
        for (gx, gy) in [(0, 0), (1, 0), (0, 1), (3, 2), (2, -3), (-4, 5), (6, 0)] {
            check::<16>(gx, gy, 120);
            check::<8>(gx, gy, 120);
        }
    }

    /// Known answer computed by hand from the H.264 formula (8x8 chroma).
    #[test]
    fn planar_known_answer_8() {
        // top = 10, 20, .., 80; left all 50; corner 0.
        let top = ramp::<8>(|i| 10 * (i + 1));
        let n = nb::<8>(top, [50; 8], 0, true, true);
        // H = 1*(50-30) + 2*(60-20) + 3*(70-10) + 4*(80-0) = 20+80+180+320 = 600
        // V = 1*0 + 2*0 + 3*0 + 4*(50-0) = 200
        // b = (34*600+32)>>6 = 319, c = (34*200+32)>>6 = 106, a = 16*(80+50) = 2080
        // pred(0,0) = (2080 - 3*319 - 3*106 + 16) >> 5 = 821 >> 5 = 25
        // pred(7,7) = (2080 + 4*319 + 4*106 + 16) >> 5 = 3796 >> 5 = 118
        let mut out = [[0u8; 8]; 8];
        predict(IntraMode::Planar, &n, &mut out);
        assert_eq!(out[0][0], 25);
        assert_eq!(out[7][7], 118);
        // pred(3,3) = (2080 + 16) >> 5 = 65
        assert_eq!(out[3][3], 65);
    }

    #[test]
    fn planar_clips() {
        let n = nb::<16>(ramp(|i| 17 * i), [0; 16], 0, true, true);
        let mut out = [[0u8; 16]; 16];
        predict(IntraMode::Planar, &n, &mut out);
        let n2 = nb::<16>([255; 16], [255; 16], 0, true, true);
        predict(IntraMode::Planar, &n2, &mut out);
        assert_eq!(out[15][15], 255);
    }

    #[test]
    fn gather_from_plane() {
        // 32x32 plane, value = x + 2y (mod 256).
        let w = 32;
        let data: Vec<u8> = (0..w * w).map(|i| ((i % w) + 2 * (i / w)) as u8).collect();
        let plane = PlaneRef::packed(&data, w, w).unwrap();
        let n = Neighbours::<8>::gather(&plane, 8, 16, true, true);
        assert!(n.has_top && n.has_left);
        assert_eq!(n.top, ramp(|i| 8 + i + 30));
        assert_eq!(n.left, ramp(|j| 7 + 2 * (16 + j)));
        assert_eq!(n.top_left, 7 + 30);
        // Frame edges.
        let n = Neighbours::<16>::gather(&plane, 0, 0, true, true);
        assert!(!n.has_top && !n.has_left);
        // Tile edge: caller says no top.
        let n = Neighbours::<8>::gather(&plane, 8, 8, false, true);
        assert!(!n.has_top && n.has_left && !n.has_top_left());
        // Overhanging the plane: that side is unavailable, no panic.
        let n = Neighbours::<16>::gather(&plane, 24, 24, true, true);
        assert!(!n.has_top && !n.has_left);
        let n = Neighbours::<16>::gather(&plane, usize::MAX - 3, usize::MAX - 3, true, true);
        assert!(!n.has_top && !n.has_left);
    }

    #[test]
    fn isqrt_exact() {
        for n in 0u128..5000 {
            let r = isqrt_u128(n);
            assert!(r * r <= n && (r + 1) * (r + 1) > n, "{n}");
        }
        for r in [1u128 << 20, (1 << 32) - 1, 1 << 40, (1 << 63) + 12345] {
            assert_eq!(isqrt_u128(r * r), r);
            assert_eq!(isqrt_u128(r * r - 1), r - 1);
            assert_eq!(isqrt_u128(r * r + 2 * r), r);
        }
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
    }

    #[test]
    fn linear_known_answers() {
        let g = GradientLinear {
            origin: 4 * 100,
            step_x: 64,
            step_y: -128,
        };
        assert_eq!(g.sample(0, 0), 100);
        assert_eq!(g.sample(5, 0), 105);
        assert_eq!(g.sample(0, 5), 90);
        assert_eq!(g.sample(3, 2), 99);
        // Half-level steps round up at .5: origin 10, +0.5 per x.
        let g = GradientLinear {
            origin: 40,
            step_x: 32,
            step_y: 0,
        };
        assert_eq!(
            [
                g.sample(0, 0),
                g.sample(1, 0),
                g.sample(2, 0),
                g.sample(3, 0)
            ],
            [10, 11, 11, 12]
        );
        // Quarter-level origin: 10.25 -> 10, 10.5 -> 11.
        assert_eq!(
            GradientLinear {
                origin: 41,
                step_x: 0,
                step_y: 0
            }
            .sample(0, 0),
            10
        );
        assert_eq!(
            GradientLinear {
                origin: 42,
                step_x: 0,
                step_y: 0
            }
            .sample(0, 0),
            11
        );
        // Negative values floor then clip.
        assert_eq!(
            GradientLinear {
                origin: -4,
                step_x: 0,
                step_y: 0
            }
            .sample(0, 0),
            0
        );
        assert_eq!(
            GradientLinear {
                origin: 4 * 300,
                step_x: 0,
                step_y: 0
            }
            .sample(0, 0),
            255
        );
    }

    #[test]
    fn radial_known_answers() {
        // Centre on sample (4, 4) (half-sample units 8, 8), radius 4.
        let g = GradientRadial {
            centre_x: 8,
            centre_y: 8,
            inner: 0,
            outer: 200,
            radius: 4,
        };
        assert_eq!(g.sample(4, 4), 0);
        assert_eq!(g.sample(6, 4), 100); // d = 2 of 4
        assert_eq!(g.sample(5, 4), 50);
        assert_eq!(g.sample(0, 4), 200);
        assert_eq!(g.sample(0, 0), 200); // beyond the radius
                                         // (5, 5): d = sqrt(2) -> isqrt(16 * 8) = 11 eighths; (200*11 + 16)/32 = 69.
        assert_eq!(g.sample(5, 5), 69);
        // Radius 0: outer everywhere.
        let g0 = GradientRadial { radius: 0, ..g };
        assert_eq!(g0.sample(4, 4), 200);
        // Inverted direction and a centre between samples (7.5, 7.5).
        let g = GradientRadial {
            centre_x: 15,
            centre_y: 15,
            inner: 255,
            outer: 0,
            radius: 12,
        };
        assert_eq!(g.sample(7, 7), g.sample(8, 8));
        assert_eq!(g.sample(7, 8), g.sample(8, 7));
    }

    #[test]
    fn extreme_parameters_no_panic() {
        let mut out = [[0u8; 16]; 16];
        for (cx, cy) in [
            (i16::MIN, i16::MIN),
            (i16::MAX, i16::MIN),
            (0, 0),
            (i16::MAX, i16::MAX),
        ] {
            for radius in [0, 1, u16::MAX] {
                for (inner, outer) in [(0, 255), (255, 0), (255, 255)] {
                    let p = Pattern::GradientRadial(GradientRadial {
                        centre_x: cx,
                        centre_y: cy,
                        inner,
                        outer,
                        radius,
                    });
                    p.fill_block(&mut out);
                    let _ = p.sample(u32::MAX, u32::MAX);
                }
            }
        }
        for o in [i16::MIN, 0, i16::MAX] {
            for s in [i16::MIN, -1, 0, 1, i16::MAX] {
                let p = Pattern::GradientLinear(GradientLinear {
                    origin: o,
                    step_x: s,
                    step_y: s.saturating_neg(),
                });
                p.fill_block(&mut out);
                let _ = p.sample(u32::MAX, u32::MAX);
            }
        }
        let p = Pattern::Solid { value: 9 };
        let mut buf = [0u8; 10];
        assert!(p.fill(&mut buf, 4, 5, 2).is_err());
        assert!(p.fill(&mut buf, 5, 5, 3).is_err());
        assert!(p.fill(&mut buf, 5, 5, 2).is_ok());
        assert_eq!(buf, [9; 10]);
        assert!(p.fill(&mut buf, usize::MAX, 5, 3).is_err());
        assert!(p.fill(&mut [], 0, 0, 0).is_ok());
        assert_eq!(fit_solid(&buf, 4, 5), None);
        assert_eq!(fit_gradient_linear(&buf, 5, 3), None);
        assert_eq!(fit_gradient_linear(&buf, 0, 0), None);
        assert!(fit_gradient_linear(&buf, 1, 1).is_some());
    }

    #[test]
    fn fit_solid_mean() {
        let mut b = vec![0u8; 64];
        b[..32].fill(10);
        b[32..].fill(13);
        // Mean 11.5 rounds to 12; SSE = 32 * 4 + 32 * 1 = 160.
        assert_eq!(fit_solid(&b, 8, 8), Some((12, 160)));
    }

    /// A synthetic gradient is reproduced within ±1 by its fitted fill.
    #[test]
    fn fit_linear_reproduces_gradient() {
        for size in [4usize, 8, 16] {
            for (o, gx, gy) in [
                (30.0f64, 1.5, 0.25),
                (200.0, -3.2, 1.1),
                (128.0, 0.0, 0.0),
                (12.0, 0.4, 7.3),
                (250.0, -0.7, -0.05),
            ] {
                let stride = size + 3;
                let mut b = vec![0u8; stride * size];
                for y in 0..size {
                    for x in 0..size {
                        let v = o + gx * x as f64 + gy * y as f64;
                        b[y * stride + x] = (v + 0.5).clamp(0.0, 255.0) as u8;
                    }
                }
                let (g, sse) = fit_gradient_linear(&b, stride, size).unwrap();
                let mut out = vec![0u8; stride * size];
                Pattern::GradientLinear(g)
                    .fill(&mut out, stride, size, size)
                    .unwrap();
                let mut max_err = 0;
                for y in 0..size {
                    for x in 0..size {
                        let d =
                            (i32::from(out[y * stride + x]) - i32::from(b[y * stride + x])).abs();
                        max_err = max_err.max(d);
                    }
                }
                assert!(
                    max_err <= 1,
                    "size {size} ({o},{gx},{gy}): {g:?} max err {max_err}"
                );
                assert_eq!(
                    sse,
                    pattern_sse(&b, stride, size, &Pattern::GradientLinear(g)).unwrap()
                );
                assert!(sse as usize <= size * size / 2, "sse {sse}");
            }
        }
    }

    #[test]
    fn mode_codes() {
        for m in IntraMode::ALL {
            assert_eq!(IntraMode::from_code(m.code()), Some(m));
        }
        assert_eq!(IntraMode::from_code(4), None);
    }
}
