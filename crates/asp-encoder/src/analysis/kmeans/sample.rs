//! The points k-means clusters: a reproducible sample of the picture.

use super::super::Image;

/// An RGB point, channels 0..=255 as floats.
pub(super) type Point = [f32; 3];

/// A small, fast, reproducible generator (Steele et al.'s SplitMix64).
pub(super) struct SplitMix64(pub u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Every pixel, or `size` pixels drawn by stratified sampling: one pixel
/// uniformly from each of `size` equal runs of the raster. Every part of
/// the picture is represented, and the reads go forward through memory
/// (uniform draws over a 1080p frame spend most of their time in cache
/// misses).
pub(super) fn sample(image: &Image<'_>, size: usize, rng: &mut SplitMix64) -> Vec<Point> {
    let to_point = |c: [u8; 3]| c.map(f32::from);
    let len = image.len();
    if len <= size {
        let mut all = Vec::with_capacity(len);
        image.for_each_rgb(|c| all.push(to_point(c)));
        return all;
    }
    let run_start = |j: usize| (j as u128 * len as u128 / size as u128) as usize;
    // The positions first, then the reads: a loop of independent loads
    // keeps many cache misses in flight.
    let at: Vec<usize> = (0..size)
        .map(|j| {
            let (start, end) = (run_start(j), run_start(j + 1));
            start + rng.below(end - start)
        })
        .collect();
    at.into_iter().map(|i| to_point(image.rgb_at(i))).collect()
}

/// The number of distinct points, counting no further than `limit`.
pub(super) fn distinct_at_most(points: &[Point], limit: usize) -> usize {
    let mut seen: Vec<Point> = Vec::with_capacity(limit);
    for p in points {
        if !seen.contains(p) {
            seen.push(*p);
            if seen.len() == limit {
                break;
            }
        }
    }
    seen.len()
}

/// The sample twice: as a list, and channel by channel so that the
/// distance loops (one centre against every point) vectorise.
pub(super) struct Points {
    pub list: Vec<Point>,
    pub channels: [Vec<f32>; 3],
}

impl From<Vec<Point>> for Points {
    fn from(list: Vec<Point>) -> Points {
        let channels = [0, 1, 2].map(|c| list.iter().map(|p| p[c]).collect());
        Points { list, channels }
    }
}

impl Points {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Every `step`-th point (a sample's sample: the sample is already in
    /// random or stratified order, so this is one too).
    pub fn every(&self, step: usize) -> Points {
        Points::from(self.list.iter().step_by(step.max(1)).copied().collect::<Vec<_>>())
    }

    /// Mean over the channels of each channel's variance, in one pass: the
    /// channels are whole numbers below 256, so their squares are exact in
    /// f32 and the f64 sums are exact.
    pub fn mean_variance(&self) -> f64 {
        let n = self.len() as f64;
        self.channels
            .iter()
            .map(|c| {
                let (sum, squares) =
                    c.iter().fold((0f64, 0f64), |(s, q), &v| (s + f64::from(v), q + f64::from(v * v)));
                let mean = sum / n;
                (squares / n - mean * mean).max(0.0)
            })
            .sum::<f64>()
            / 3.0
    }
}

/// Squared distance of two points; every distance in k-means is this one
/// expression, so the plain and the bounded assignment compare the very
/// same numbers.
#[inline(always)]
pub(super) fn distance2(a: &Point, b: &Point) -> f32 {
    let (dr, dg, db) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    dr * dr + dg * dg + db * db
}
