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
pub(super) fn sample(image: &Image<'_>, size: usize, rng: &mut SplitMix64) -> Vec<[u8; 3]> {
    let len = image.len();
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

/// The points k-means clusters, as a list and channel by channel (so that
/// the distance loops, one centre against many points, vectorise). A
/// point is a pixel, or a cell of a colour histogram: the mean of the
/// pixels that fall in it, weighted by their number ([`Points::cells`]).
pub(super) struct Points {
    pub list: Vec<Point>,
    pub channels: [Vec<f32>; 3],
    /// For cells: each cell's pixel count and channel sums (integers, so
    /// that the cluster sums built from them are exact in any order).
    pub cells: Option<Cells>,
}

/// What each cell stands for; see [`Points`].
pub(super) struct Cells {
    pub counts: Vec<u32>,
    pub weights: Vec<f32>,
    pub sums: Vec<[u32; 3]>,
}

impl Points {
    /// One point per pixel.
    pub fn of_pixels(pixels: &[[u8; 3]]) -> Points {
        let list: Vec<Point> = pixels.iter().map(|p| p.map(f32::from)).collect();
        let channels = [0, 1, 2].map(|c| pixels.iter().map(|p| f32::from(p[c])).collect());
        Points { list, channels, cells: None }
    }

    /// The colour histogram of `pixels` with `bits` bits per channel
    /// (1..=5): one point per occupied cell, at the mean of its pixels and
    /// weighted by their number, in the order of the cells (the result does
    /// not depend on the pixels' order).
    pub fn cells(pixels: &[[u8; 3]], bits: u32) -> Points {
        let bits = bits.clamp(1, 5);
        let shift = 8 - bits;
        let mut table = vec![[0u32; 4]; 1 << (3 * bits)];
        for p in pixels {
            let [r, g, b] = p.map(|v| usize::from(v >> shift));
            let cell = (r << (2 * bits)) | (g << bits) | b;
            let t = &mut table[cell];
            t[0] += u32::from(p[0]);
            t[1] += u32::from(p[1]);
            t[2] += u32::from(p[2]);
            t[3] += 1;
        }
        let occupied: Vec<&[u32; 4]> = table.iter().filter(|t| t[3] > 0).collect();
        let list: Vec<Point> = occupied
            .iter()
            .map(|t| {
                let n = f64::from(t[3]);
                [0, 1, 2].map(|c| (f64::from(t[c]) / n) as f32)
            })
            .collect();
        let channels = [0, 1, 2].map(|c| list.iter().map(|p| p[c]).collect());
        let cells = Cells {
            counts: occupied.iter().map(|t| t[3]).collect(),
            weights: occupied.iter().map(|t| t[3] as f32).collect(),
            sums: occupied.iter().map(|t| [t[0], t[1], t[2]]).collect(),
        };
        Points { list, channels, cells: Some(cells) }
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Point `i`'s weight (its pixel count).
    #[inline(always)]
    pub fn weight(&self, i: usize) -> f32 {
        self.cells.as_ref().map_or(1.0, |c| c.weights[i])
    }

    /// The channel sums and the count of the pixels point `i` stands for.
    #[inline(always)]
    pub fn sum_of(&self, i: usize) -> ([i64; 3], u32) {
        match &self.cells {
            Some(c) => (c.sums[i].map(i64::from), c.counts[i]),
            None => (self.list[i].map(|v| v as i64), 1),
        }
    }

    /// Mean over the channels of each channel's variance over the pixels,
    /// in one pass: the channels are whole numbers below 256, so the f64
    /// sums are exact.
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
