//! The dominant motion of a frame, found before its blocks are searched.
//!
//! The block search starts from predictors (neighbours' vectors, the
//! previous frame's) and walks downhill from the best. When the whole
//! picture moves far, and differently from the last frame (a hand-held
//! camera's shake, a pan that starts), no predictor knows the motion at a
//! tile's first blocks, the walk stops in a local minimum, and the wrong
//! vector spreads to the next blocks as their predictor. x264's lookahead
//! answers this with a search on half-resolution frames of its queue;
//! here, with no queue (live, one frame in, one packet out), a coarse
//! search on quarter-resolution luma of the frame and its reference:
//!
//! 1. both planes are averaged over 4x4 blocks ([`LowresPlane`]);
//! 2. a grid of probes (8x8 quarter-resolution samples, a 32x32 area) is
//!    searched exhaustively, each against the reference's plane, over the
//!    block search's range;
//! 3. each probe's vector is refined at full resolution (±[`REFINE_PEL`]
//!    pixels around four times it, exhaustive, on the 32x32 area);
//! 4. the vectors most probes agree on (at least [`MIN_VOTES`]) are the
//!    frame's [`DominantMotion`]: extra start points for every block, and
//!    so is the vector of the probe nearest each block
//!    ([`DominantMotion::near`]), for pictures where several things move.
//!
//! The result depends only on the two frames, never on threads.

use super::{FullPelMv, PlaneRef, Sad};

/// Luma samples averaged into one quarter-resolution sample, per side.
pub const LOWRES_FACTOR: usize = 4;
/// A probe's side in quarter-resolution samples (32 full-resolution pixels).
const PROBE_LOWRES: usize = 8;
/// Most probes per row and per column of the grid.
const PROBE_COLUMNS: usize = 8;
const PROBE_ROWS: usize = 6;
/// Whole pixels searched around a probe's scaled-up vector: the rounding of
/// a quarter-resolution vector is at most 2 pixels, plus one for the
/// averaging's blur.
pub const REFINE_PEL: i32 = 3;
/// Probes that must agree on a vector for it to count: one probe alone may
/// sit on a moving object or a flat area.
pub const MIN_VOTES: usize = 2;
/// How many vectors a frame's dominant motion holds at most (the picture
/// and one moving object, or two layers of a parallax pan).
pub const MAX_DOMINANT: usize = 2;

/// Luma at a quarter of the resolution each way: every sample is the
/// rounded mean of a 4x4 block (the partial blocks at the right and bottom
/// edges are dropped). Memory reused from frame to frame.
#[derive(Clone, Debug, Default)]
pub struct LowresPlane {
    samples: Vec<u8>,
    width: usize,
    height: usize,
}

impl LowresPlane {
    /// An empty plane (0x0): no probe fits it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the plane with `luma` downsampled.
    pub fn fill(&mut self, luma: PlaneRef<'_>) {
        self.width = luma.width() / LOWRES_FACTOR;
        self.height = luma.height() / LOWRES_FACTOR;
        self.samples.clear();
        self.samples.resize(self.width * self.height, 0);
        let (data, stride) = (luma.data(), luma.stride());
        let span = self.width * LOWRES_FACTOR;
        // Column sums over the block's rows first (a u16 holds four
        // samples' sum), then the sums of four columns: loops over whole
        // rows without a reduction inside, which the compiler vectorises.
        let mut columns = vec![0u16; span];
        for (y, out) in self
            .samples
            .chunks_exact_mut(self.width.max(1))
            .take(self.height)
            .enumerate()
        {
            let line = |row: usize| {
                let start = (y * LOWRES_FACTOR + row) * stride;
                &data[start..start + span]
            };
            for (sum, &v) in columns.iter_mut().zip(line(0)) {
                *sum = u16::from(v);
            }
            for row in 1..LOWRES_FACTOR {
                for (sum, &v) in columns.iter_mut().zip(line(row)) {
                    *sum += u16::from(v);
                }
            }
            const HALF: u16 = (LOWRES_FACTOR * LOWRES_FACTOR / 2) as u16;
            const SHIFT: u32 = (LOWRES_FACTOR * LOWRES_FACTOR).trailing_zeros();
            for (o, group) in out.iter_mut().zip(columns.chunks_exact(LOWRES_FACTOR)) {
                let sum: u16 = group.iter().sum();
                *o = ((sum + HALF) >> SHIFT) as u8;
            }
        }
    }

    /// Width in quarter-resolution samples.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in quarter-resolution samples.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The samples, rows packed.
    pub fn samples(&self) -> &[u8] {
        &self.samples
    }
}

/// The vectors most of a frame moves by, most agreed first (see the
/// [module docs](self)). Empty when no vector other than zero has
/// [`MIN_VOTES`] probes (zero is always a start point anyway).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DominantMotion {
    vectors: [FullPelMv; MAX_DOMINANT],
    count: usize,
    /// Every probe's vector (zero where none fitted), raster order over
    /// `columns` x `rows` equal cells of the frame.
    probes: [FullPelMv; PROBE_COLUMNS * PROBE_ROWS],
    columns: usize,
    rows: usize,
}

impl Default for DominantMotion {
    fn default() -> Self {
        DominantMotion::NONE
    }
}

impl DominantMotion {
    /// None found.
    pub const NONE: DominantMotion = DominantMotion {
        vectors: [FullPelMv::ZERO; MAX_DOMINANT],
        count: 0,
        probes: [FullPelMv::ZERO; PROBE_COLUMNS * PROBE_ROWS],
        columns: 0,
        rows: 0,
    };

    /// The vectors, whole pixels, most agreed first.
    pub fn vectors(&self) -> &[FullPelMv] {
        &self.vectors[..self.count]
    }

    /// The vector of the probe whose cell holds pixel `(x, y)` of a
    /// `width` x `height` frame (the motion near there, one probe's word);
    /// `None` without probes.
    pub fn near(&self, (x, y): (usize, usize), (width, height): (usize, usize)) -> Option<FullPelMv> {
        if self.columns == 0 || self.rows == 0 || width == 0 || height == 0 {
            return None;
        }
        let column = (x * self.columns / width).min(self.columns - 1);
        let row = (y * self.rows / height).min(self.rows - 1);
        self.probes.get(row * self.columns + column).copied()
    }

    /// The dominant motion of `current` (full resolution, and its
    /// quarter-resolution plane `current_lowres`) relative to `reference`
    /// (likewise), within `range` whole pixels each way. The two frames
    /// must have the same size; otherwise, or when the frame is too small
    /// for a probe, none.
    pub fn find(
        sad: Sad,
        current: PlaneRef<'_>,
        current_lowres: &LowresPlane,
        reference: PlaneRef<'_>,
        reference_lowres: &LowresPlane,
        range: usize,
    ) -> DominantMotion {
        let (lw, lh) = (current_lowres.width, current_lowres.height);
        let same_size = (current.width(), current.height()) == (reference.width(), reference.height())
            && (lw, lh) == (reference_lowres.width, reference_lowres.height);
        if !same_size || lw < PROBE_LOWRES || lh < PROBE_LOWRES {
            return DominantMotion::NONE;
        }
        let columns = (lw / (2 * PROBE_LOWRES)).clamp(1, PROBE_COLUMNS);
        let rows = (lh / (2 * PROBE_LOWRES)).clamp(1, PROBE_ROWS);
        let lowres_range = range.div_ceil(LOWRES_FACTOR) as i32;
        let mut found = [FullPelMv::ZERO; PROBE_COLUMNS * PROBE_ROWS];
        let mut probes = [FullPelMv::ZERO; PROBE_COLUMNS * PROBE_ROWS];
        let mut n = 0;
        for row in 0..rows {
            for column in 0..columns {
                // Probes centred in equal cells of the grid.
                let x = (lw - PROBE_LOWRES) * (2 * column + 1) / (2 * columns);
                let y = (lh - PROBE_LOWRES) * (2 * row + 1) / (2 * rows);
                let Some(coarse) = probe_lowres(sad, current_lowres, reference_lowres, (x, y), lowres_range) else {
                    continue;
                };
                let full = (x * LOWRES_FACTOR, y * LOWRES_FACTOR);
                let scaled = (coarse.0 * LOWRES_FACTOR as i32, coarse.1 * LOWRES_FACTOR as i32);
                if let Some(v) = refine_full(sad, current, reference, full, scaled, range as i32) {
                    found[n] = v;
                    n += 1;
                    probes[row * columns + column] = v;
                }
            }
        }
        DominantMotion {
            probes,
            columns,
            rows,
            ..most_agreed(&found[..n])
        }
    }
}

/// The best vector of the probe at `(x, y)` of the quarter-resolution
/// planes, within `range` each way and keeping the probe inside the
/// reference: least SAD, ties to the shorter vector, then the first in
/// raster order.
fn probe_lowres(
    sad: Sad,
    cur: &LowresPlane,
    refp: &LowresPlane,
    (x, y): (usize, usize),
    range: i32,
) -> Option<(i32, i32)> {
    let (w, h) = (cur.width as i32, cur.height as i32);
    let size = PROBE_LOWRES as i32;
    let cur_block = cur.samples.get(y * cur.width + x..)?;
    let mut best: Option<(u32, i32, (i32, i32))> = None;
    for dy in (-range).max(-(y as i32))..=range.min(h - size - y as i32) {
        for dx in (-range).max(-(x as i32))..=range.min(w - size - x as i32) {
            let start = (y as i32 + dy) as usize * refp.width + (x as i32 + dx) as usize;
            let s = sad.sad(
                cur_block,
                cur.width,
                refp.samples.get(start..)?,
                refp.width,
                PROBE_LOWRES,
                PROBE_LOWRES,
            )?;
            let key = (s, dx.abs() + dy.abs(), (dx, dy));
            if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                best = Some(key);
            }
        }
    }
    best.map(|b| b.2)
}

/// The best whole-pixel vector of the 32x32 area at `(x, y)` within
/// [`REFINE_PEL`] of `centre`, within `range` of zero and keeping the area
/// inside the reference (same order as [`probe_lowres`]).
fn refine_full(
    sad: Sad,
    cur: PlaneRef<'_>,
    refp: PlaneRef<'_>,
    (x, y): (usize, usize),
    centre: (i32, i32),
    range: i32,
) -> Option<FullPelMv> {
    let size = (PROBE_LOWRES * LOWRES_FACTOR) as i32;
    let (w, h) = (cur.width() as i32, cur.height() as i32);
    let (x, y) = (x as i32, y as i32);
    let (min_dx, max_dx) = ((-range).max(-x), range.min(w - size - x));
    let (min_dy, max_dy) = ((-range).max(-y), range.min(h - size - y));
    let cur_block = cur.data().get(y as usize * cur.stride() + x as usize..)?;
    let mut best: Option<(u32, i32, (i32, i32))> = None;
    for dy in (centre.1 - REFINE_PEL).max(min_dy)..=(centre.1 + REFINE_PEL).min(max_dy) {
        for dx in (centre.0 - REFINE_PEL).max(min_dx)..=(centre.0 + REFINE_PEL).min(max_dx) {
            let start = (y + dy) as usize * refp.stride() + (x + dx) as usize;
            let s = sad.sad(
                cur_block,
                cur.stride(),
                refp.data().get(start..)?,
                refp.stride(),
                size as usize,
                size as usize,
            )?;
            let key = (s, dx.abs() + dy.abs(), (dx, dy));
            if best.is_none_or(|b| (key.0, key.1) < (b.0, b.1)) {
                best = Some(key);
            }
        }
    }
    best.map(|b| FullPelMv::new(b.2 .0 as i16, b.2 .1 as i16))
}

/// The non-zero vectors of `found` with at least [`MIN_VOTES`] votes, most
/// votes first (ties: first found first).
fn most_agreed(found: &[FullPelMv]) -> DominantMotion {
    let mut tally: [(FullPelMv, usize); PROBE_COLUMNS * PROBE_ROWS] =
        [(FullPelMv::ZERO, 0); PROBE_COLUMNS * PROBE_ROWS];
    let mut distinct = 0;
    for &v in found.iter().filter(|v| **v != FullPelMv::ZERO) {
        match tally[..distinct].iter_mut().find(|(t, _)| *t == v) {
            Some((_, votes)) => *votes += 1,
            None => {
                tally[distinct] = (v, 1);
                distinct += 1;
            }
        }
    }
    // Stable: equal votes keep the order found.
    let tally = &mut tally[..distinct];
    tally.sort_by_key(|t| core::cmp::Reverse(t.1));
    let mut out = DominantMotion::NONE;
    for &(v, votes) in tally.iter().take(MAX_DOMINANT) {
        if votes >= MIN_VOTES {
            out.vectors[out.count] = v;
            out.count += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use asp_testkit::textured as texel;

    fn window(w: usize, h: usize, (ox, oy): (usize, usize)) -> Vec<u8> {
        (0..w * h).map(|i| texel(i % w + ox, i / w + oy)).collect()
    }

    fn dominant(w: usize, h: usize, cur: &[u8], refp: &[u8], range: usize) -> DominantMotion {
        let (c, r) = (
            PlaneRef::packed(cur, w, h).unwrap(),
            PlaneRef::packed(refp, w, h).unwrap(),
        );
        let (mut cl, mut rl) = (LowresPlane::new(), LowresPlane::new());
        cl.fill(c);
        rl.fill(r);
        DominantMotion::find(Sad::detect(), c, &cl, r, &rl, range)
    }

    #[test]
    fn downsampling_averages_four_by_four_blocks() {
        let (w, h) = (10, 9);
        let data: Vec<u8> = (0..w * h).map(|i| (i % w * 10 + i / w) as u8).collect();
        let mut low = LowresPlane::new();
        low.fill(PlaneRef::packed(&data, w, h).unwrap());
        assert_eq!((low.width(), low.height()), (2, 2));
        // Block (1, 1): x 4..8 (40..70 step 10, mean 55), y 4..8 (mean 5.5).
        let mean = |bx: usize, by: usize| {
            let s: u32 = (0..16)
                .map(|k| u32::from(data[(by * 4 + k / 4) * w + bx * 4 + k % 4]))
                .sum();
            ((s + 8) / 16) as u8
        };
        assert_eq!(low.samples(), &[mean(0, 0), mean(1, 0), mean(0, 1), mean(1, 1)]);
        assert_eq!(mean(1, 1), 61);
    }

    /// Every sample is the rounded mean of its 4x4 block, at the extremes
    /// (a block of 255s) and on noise, with a stride wider than the plane.
    #[test]
    fn downsampling_equals_the_mean_of_each_block() {
        let mut rng = asp_testkit::Rng::new(0x5EED_0F10_E5E5_0001);
        for (w, h, stride) in [(64, 48, 64), (77, 35, 80), (1283, 9, 1290), (3, 3, 3)] {
            let mut data: Vec<u8> = (0..stride * h).map(|_| rng.next_u64() as u8).collect();
            for row in data.chunks_mut(stride).take(4) {
                row[..4.min(w)].fill(255);
            }
            let mut low = LowresPlane::new();
            low.fill(PlaneRef::new(&data, w, h, stride).unwrap());
            assert_eq!((low.width(), low.height()), (w / 4, h / 4));
            for (i, &got) in low.samples().iter().enumerate() {
                let (bx, by) = (i % low.width(), i / low.width());
                let sum: u32 = (0..16)
                    .map(|k| u32::from(data[(by * 4 + k / 4) * stride + bx * 4 + k % 4]))
                    .sum();
                assert_eq!(got, ((sum + 8) / 16) as u8, "{w}x{h} block ({bx}, {by})");
            }
            if w >= 4 && h >= 4 {
                assert_eq!(low.samples()[0], 255);
            }
        }
    }

    #[test]
    fn a_large_pan_is_found_exactly() {
        let (w, h) = (320, 192);
        // The current frame shows the texture 37 right and 21 down of the
        // reference's window: its vector into the reference is (37, -21)
        // relative to where the reference window sits at (10, 40).
        let refp = window(w, h, (10, 40));
        let cur = window(w, h, (47, 19));
        let found = dominant(w, h, &cur, &refp, 48);
        assert_eq!(found.vectors().first(), Some(&FullPelMv::new(37, -21)));
        // Most probes saw it (a probe alone may match the shading's
        // period elsewhere: hence the votes), so most blocks get it as
        // their nearest probe's vector too.
        let points: Vec<(usize, usize)> = (0..8)
            .flat_map(|i| (0..6).map(move |j| (i * 40 + 20, j * 32 + 16)))
            .collect();
        let agreeing = points
            .iter()
            .filter(|&&p| found.near(p, (w, h)) == Some(FullPelMv::new(37, -21)))
            .count();
        assert!(2 * agreeing > points.len(), "{agreeing} of {}", points.len());
    }

    #[test]
    fn motion_out_of_range_or_absent_gives_no_vector() {
        let (w, h) = (320, 192);
        let still = window(w, h, (10, 40));
        let found = dominant(w, h, &still, &still, 48);
        assert_eq!(found.vectors(), &[]);
        assert_eq!(found.near((100, 100), (w, h)), Some(FullPelMv::ZERO));
        // A 60-pixel move with a 16-pixel range: no probe can agree on it.
        let moved = window(w, h, (70, 40));
        assert!(dominant(w, h, &moved, &still, 16)
            .vectors()
            .iter()
            .all(|v| v.x.abs() <= 16 && v.y.abs() <= 16));
    }

    #[test]
    fn frames_too_small_or_of_different_sizes_give_none() {
        let tiny = window(24, 24, (0, 0));
        assert_eq!(dominant(24, 24, &tiny, &tiny, 16), DominantMotion::NONE);
        let (a, b) = (window(64, 64, (0, 0)), window(96, 64, (0, 0)));
        let (pa, pb) = (
            PlaneRef::packed(&a, 64, 64).unwrap(),
            PlaneRef::packed(&b, 96, 64).unwrap(),
        );
        let (mut la, mut lb) = (LowresPlane::new(), LowresPlane::new());
        la.fill(pa);
        lb.fill(pb);
        assert_eq!(
            DominantMotion::find(Sad::detect(), pa, &la, pb, &lb, 16),
            DominantMotion::NONE
        );
    }
}
