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
mod tests;
