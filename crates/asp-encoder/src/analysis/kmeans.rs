//! k-means colour palette: Lloyd's iterations in RGB from k-means++ seeds.
//!
//! Large pictures are clustered on a random sample (`sample_size` pixels,
//! drawn with a fixed seed, so the same picture gives the same palette).
//! Seeding is greedy k-means++ (each new centre is the best of
//! `2 + ln k` D²-sampled candidates, as scikit-learn does), iterations stop
//! when no pixel changes cluster, when the mean squared distance improves
//! by less than `tolerance` (relative), or after `max_iterations`.

use super::{AnalysisError, Image, Palette, MAX_COLORS};

/// k-means settings; [`KMeansParams::new`] gives the defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KMeansParams {
    /// Palette size, 1..=256.
    pub colors: usize,
    /// Pixels clustered at most; larger pictures are sampled.
    pub sample_size: usize,
    /// Lloyd iterations at most.
    pub max_iterations: usize,
    /// Stop when the inertia improves by less than this fraction.
    pub tolerance: f64,
    /// Seed of the sampling and the k-means++ draws.
    pub seed: u64,
}

impl KMeansParams {
    /// `colors` colours, 20 000-pixel sample, at most 50 iterations,
    /// tolerance 1e-4, seed 0.
    pub fn new(colors: usize) -> KMeansParams {
        KMeansParams { colors, sample_size: 20_000, max_iterations: 50, tolerance: 1e-4, seed: 0 }
    }
}

/// The palette of `image` by k-means (see the [module docs](self)).
/// Fewer distinct colours than asked gives a shorter palette.
pub fn kmeans_palette(image: &Image<'_>, params: &KMeansParams) -> Result<Palette, AnalysisError> {
    if params.colors == 0 || params.colors > MAX_COLORS {
        return Err(AnalysisError::BadColorCount(params.colors));
    }
    if params.sample_size == 0 {
        return Err(AnalysisError::BadParameter("k-means sample_size must be at least 1"));
    }
    if params.tolerance.is_nan() || params.tolerance < 0.0 {
        return Err(AnalysisError::BadParameter("k-means tolerance must be a number >= 0"));
    }
    let mut rng = SplitMix64(params.seed);
    let points = sample(image, params.sample_size, &mut rng);
    let k = params.colors.min(distinct_at_most(&points, params.colors));
    let mut centres = seed_plus_plus(&points, k, &mut rng);
    let mut assignment = vec![0u16; points.len()];
    let mut previous = f64::INFINITY;
    for iteration in 0..params.max_iterations.max(1) {
        let (inertia, changed) = assign(&points, &centres, &mut assignment);
        if iteration > 0 && (changed == 0 || previous - inertia <= params.tolerance * previous) {
            break;
        }
        previous = inertia;
        update(&points, &assignment, &mut centres);
    }
    assign(&points, &centres, &mut assignment);
    let mut counts = vec![0usize; centres.len()];
    for &a in &assignment {
        counts[a as usize] += 1;
    }
    let n = points.len() as f32;
    let (colors, weights) = centres
        .iter()
        .zip(&counts)
        .filter(|(_, &c)| c > 0)
        .map(|(c, &count)| (c.map(|v| v.round().clamp(0.0, 255.0) as u8), count as f32 / n))
        .unzip();
    Ok(Palette { colors, weights }.sorted())
}

type Point = [f32; 3];

/// A small, fast, reproducible generator (Steele et al.'s SplitMix64).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Every pixel, or `size` pixels drawn uniformly (with replacement).
fn sample(image: &Image<'_>, size: usize, rng: &mut SplitMix64) -> Vec<Point> {
    let to_point = |c: [u8; 3]| c.map(f32::from);
    if image.len() <= size {
        let mut all = Vec::with_capacity(image.len());
        image.for_each_rgb(|c| all.push(to_point(c)));
        all
    } else {
        (0..size).map(|_| to_point(image.rgb_at(rng.below(image.len())))).collect()
    }
}

/// The number of distinct points, counting no further than `limit`.
fn distinct_at_most(points: &[Point], limit: usize) -> usize {
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

fn distance2(a: &Point, b: &Point) -> f32 {
    let (d0, d1, d2) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    d0 * d0 + d1 * d1 + d2 * d2
}

/// Greedy k-means++: each centre is the best of several D²-weighted draws.
fn seed_plus_plus(points: &[Point], k: usize, rng: &mut SplitMix64) -> Vec<Point> {
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = vec![points[rng.below(points.len())]];
    let mut nearest: Vec<f32> = points.iter().map(|p| distance2(p, &centres[0])).collect();
    let mut candidate_nearest = vec![0f32; points.len()];
    let mut best_nearest = vec![0f32; points.len()];
    while centres.len() < k {
        let total: f64 = nearest.iter().map(|&d| f64::from(d)).sum();
        if total <= 0.0 {
            break;
        }
        let mut best: Option<(f64, Point)> = None;
        for _ in 0..trials {
            let candidate = points[draw_weighted(&nearest, total, rng)];
            let mut potential = 0f64;
            for ((c, &n), p) in candidate_nearest.iter_mut().zip(&nearest).zip(points) {
                *c = n.min(distance2(p, &candidate));
                potential += f64::from(*c);
            }
            if best.is_none_or(|(b, _)| potential < b) {
                best = Some((potential, candidate));
                best_nearest.copy_from_slice(&candidate_nearest);
            }
        }
        if let Some((_, c)) = best {
            centres.push(c);
            nearest.copy_from_slice(&best_nearest);
        }
    }
    centres
}

/// An index drawn with probability proportional to `weights[i]`.
fn draw_weighted(weights: &[f32], total: f64, rng: &mut SplitMix64) -> usize {
    let mut target = rng.unit() * total;
    for (i, &w) in weights.iter().enumerate() {
        target -= f64::from(w);
        if target < 0.0 {
            return i;
        }
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Assigns each point to its nearest centre; returns the mean squared
/// distance and how many assignments changed.
fn assign(points: &[Point], centres: &[Point], assignment: &mut [u16]) -> (f64, usize) {
    let mut sum = 0f64;
    let mut changed = 0;
    for (p, a) in points.iter().zip(assignment.iter_mut()) {
        let (mut best, mut best_d) = (0usize, f32::INFINITY);
        for (i, c) in centres.iter().enumerate() {
            let d = distance2(p, c);
            if d < best_d {
                best = i;
                best_d = d;
            }
        }
        changed += usize::from(*a as usize != best);
        *a = best as u16;
        sum += f64::from(best_d);
    }
    (sum / points.len() as f64, changed)
}

/// Moves each centre to the mean of its points; an emptied centre moves to
/// the point farthest from its own centre (so k colours stay in use).
fn update(points: &[Point], assignment: &[u16], centres: &mut [Point]) {
    let mut sums = vec![[0f64; 3]; centres.len()];
    let mut counts = vec![0usize; centres.len()];
    for (p, &a) in points.iter().zip(assignment) {
        let s = &mut sums[a as usize];
        s[0] += f64::from(p[0]);
        s[1] += f64::from(p[1]);
        s[2] += f64::from(p[2]);
        counts[a as usize] += 1;
    }
    for (i, centre) in centres.iter_mut().enumerate() {
        if counts[i] > 0 {
            let n = counts[i] as f64;
            *centre = sums[i].map(|s| (s / n) as f32);
        }
    }
    for i in (0..centres.len()).filter(|&i| counts[i] == 0) {
        let far = points
            .iter()
            .zip(assignment)
            .map(|(p, &a)| distance2(p, &centres[a as usize]))
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(j, _)| j);
        if let Some(j) = far {
            centres[i] = points[j];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tests_support::{blocks_of, nearest_error};

    #[test]
    fn recovers_known_colours_and_their_shares() {
        let colours = [[200, 30, 40], [20, 180, 60], [30, 40, 220], [240, 240, 240]];
        let shares = [0.4, 0.3, 0.2, 0.1];
        let (w, h, rgb) = blocks_of(&colours, &shares, 100);
        let image = Image::rgb(&rgb, w, h).unwrap();
        let p = kmeans_palette(&image, &KMeansParams::new(4)).unwrap();
        assert_eq!(p.colors.len(), 4);
        for (c, s) in colours.iter().zip(shares) {
            let i = p.colors.iter().position(|q| q == c).unwrap_or_else(|| panic!("{c:?} not in {:?}", p.colors));
            assert!((p.weights[i] - s).abs() < 0.02, "{:?}", p.weights);
        }
        assert!((p.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn sampled_large_picture_is_reproducible_and_close() {
        let colours = [[10, 10, 10], [250, 200, 0], [0, 120, 255]];
        let (w, h, rgb) = blocks_of(&colours, &[0.5, 0.25, 0.25], 400);
        let image = Image::rgb(&rgb, w, h).unwrap();
        let params = KMeansParams { sample_size: 3000, ..KMeansParams::new(3) };
        let a = kmeans_palette(&image, &params).unwrap();
        assert_eq!(a, kmeans_palette(&image, &params).unwrap());
        assert!(nearest_error(&a.colors, &colours) == 0, "{:?}", a.colors);
        assert!((a.weights[0] - 0.5).abs() < 0.03);
        assert!((a.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn fewer_distinct_colours_than_asked_and_bad_counts() {
        let rgb = [9u8, 9, 9].repeat(50);
        let image = Image::rgb(&rgb, 10, 5).unwrap();
        let p = kmeans_palette(&image, &KMeansParams::new(8)).unwrap();
        assert_eq!((p.colors, p.weights), (vec![[9, 9, 9]], vec![1.0]));
        assert!(matches!(kmeans_palette(&image, &KMeansParams::new(0)), Err(AnalysisError::BadColorCount(0))));
        assert!(matches!(kmeans_palette(&image, &KMeansParams::new(257)), Err(AnalysisError::BadColorCount(257))));
        let bad = KMeansParams { sample_size: 0, ..KMeansParams::new(2) };
        assert!(matches!(kmeans_palette(&image, &bad), Err(AnalysisError::BadParameter(_))));
    }
}
