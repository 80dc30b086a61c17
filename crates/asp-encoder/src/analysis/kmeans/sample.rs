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
#[inline(always)]
pub(super) fn sample(image: &Image<'_>, size: usize, rng: &mut SplitMix64) -> Vec<[u8; 3]> {
    let len = image.len();
    if let (true, Some(data)) = (len <= size, image.rgb24()) {
        return data.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    }
    if len <= size {
        let mut all = Vec::with_capacity(len);
        image.for_each_rgb(|c| all.push(c));
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
    at.into_iter().map(|i| image.rgb_at(i)).collect()
}

/// The number of distinct pixels, counting no further than `limit`.
#[inline(always)]
pub(super) fn distinct_at_most(pixels: &[[u8; 3]], limit: usize) -> usize {
    let mut seen: Vec<[u8; 3]> = Vec::with_capacity(limit);
    for p in pixels {
        if !seen.contains(p) {
            seen.push(*p);
            if seen.len() == limit {
                break;
            }
        }
    }
    seen.len()
}

/// The points k-means clusters, channel by channel (so that the distance
/// loops vectorise). A point is a pixel, or a cell of a colour histogram:
/// the mean of the pixels that fall in it, weighted by their number
/// ([`Points::cells`]).
pub(super) struct Points {
    pub channels: [Vec<f32>; 3],
    /// What each point stands for, as integers (so that the cluster sums
    /// built from them are exact in any order of additions and removals).
    pub source: Source,
}

/// See [`Points::source`].
pub(super) enum Source {
    /// One pixel per point.
    Pixels(Vec<[u8; 3]>),
    /// A histogram cell per point: its pixels' channel sums and count, and
    /// the count as a weight.
    Cells { sums: Vec<[u32; 4]>, weights: Vec<f32> },
}

impl Points {
    /// One point per pixel.
    #[inline(always)]
    pub fn of_pixels(pixels: Vec<[u8; 3]>) -> Points {
        let channels = [0, 1, 2].map(|c| pixels.iter().map(|p| f32::from(p[c])).collect());
        Points { channels, source: Source::Pixels(pixels) }
    }

    /// The colour histogram of `pixels` with `bits` bits per channel
    /// (1..=5): one point per occupied cell, at the mean of its pixels and
    /// weighted by their number, in the order of the cells (the result does
    /// not depend on the pixels' order). At most `u32::MAX / 255` pixels
    /// (the sums are u32).
    #[inline(always)]
    pub fn cells(pixels: &[[u8; 3]], bits: u32) -> Points {
        let bits = bits.clamp(1, 5);
        let shift = 8 - bits;
        let mut table = vec![[0u32; 4]; 1 << (3 * bits)];
        for p in pixels {
            let [r, g, b] = p.map(|v| usize::from(v >> shift));
            let t = &mut table[(r << (2 * bits)) | (g << bits) | b];
            for c in 0..3 {
                t[c] += u32::from(p[c]);
            }
            t[3] += 1;
        }
        let sums: Vec<[u32; 4]> = table.into_iter().filter(|t| t[3] > 0).collect();
        let channels =
            [0, 1, 2].map(|c| sums.iter().map(|t| (f64::from(t[c]) / f64::from(t[3])) as f32).collect());
        let weights = sums.iter().map(|t| t[3] as f32).collect();
        Points { channels, source: Source::Cells { sums, weights } }
    }

    pub fn len(&self) -> usize {
        self.channels[0].len()
    }

    /// Every `step`-th point of a sample of pixels (the sample is in
    /// random or stratified order, so this is a smaller sample).
    #[inline(always)]
    pub fn every(&self, step: usize) -> Points {
        let step = step.max(1);
        let channels = self.channels.each_ref().map(|c| c.iter().step_by(step).copied().collect());
        let source = match &self.source {
            Source::Pixels(p) => Source::Pixels(p.iter().step_by(step).copied().collect()),
            Source::Cells { sums, weights } => Source::Cells {
                sums: sums.iter().step_by(step).copied().collect(),
                weights: weights.iter().step_by(step).copied().collect(),
            },
        };
        Points { channels, source }
    }

    /// Point `i`.
    #[inline(always)]
    pub fn at(&self, i: usize) -> Point {
        [self.channels[0][i], self.channels[1][i], self.channels[2][i]]
    }

    /// The points' weights (their pixel counts); `None` when all are 1.
    pub fn weights(&self) -> Option<&[f32]> {
        match &self.source {
            Source::Pixels(_) => None,
            Source::Cells { weights, .. } => Some(weights),
        }
    }

    /// Point `i`'s weight.
    #[inline(always)]
    pub fn weight(&self, i: usize) -> f32 {
        self.weights().map_or(1.0, |w| w[i])
    }

    /// The channel sums and the count of the pixels point `i` stands for.
    #[inline(always)]
    pub fn sum_of(&self, i: usize) -> [u64; 4] {
        match &self.source {
            Source::Pixels(p) => [p[i][0].into(), p[i][1].into(), p[i][2].into(), 1],
            Source::Cells { sums, .. } => sums[i].map(u64::from),
        }
    }

    /// Mean over the channels of each channel's variance over the pixels,
    /// in one pass: the channels are whole numbers below 256, so the sums
    /// are exact.
    #[inline(always)]
    pub fn mean_variance(pixels: &[[u8; 3]]) -> f64 {
        let n = pixels.len().max(1) as f64;
        let (mut sum, mut squares) = ([0u64; 3], [0u64; 3]);
        for p in pixels {
            for c in 0..3 {
                sum[c] += u64::from(p[c]);
                squares[c] += u64::from(p[c]) * u64::from(p[c]);
            }
        }
        (0..3)
            .map(|c| {
                let mean = sum[c] as f64 / n;
                (squares[c] as f64 / n - mean * mean).max(0.0)
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
