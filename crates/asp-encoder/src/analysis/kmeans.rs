//! k-means colour palette: Lloyd's iterations in RGB from k-means++ seeds.
//!
//! Large pictures are clustered on a random sample (`sample_size` pixels,
//! drawn with a fixed seed, so the same picture gives the same palette).
//! Seeding is greedy k-means++ (each new centre is the best of
//! `2 + ln k` D²-sampled candidates, as scikit-learn does), iterations stop
//! when no pixel changes cluster, when the centres move less than
//! `tolerance` times the sample's mean channel variance (summed squared
//! shifts: scikit-learn's criterion), or after `max_iterations`. The
//! distance loop runs eight points against every centre at once, compiled
//! for AVX2 as well and chosen at run time.

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
    /// Stop when the centres' summed squared shift is below this fraction
    /// of the sample's mean channel variance.
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
    let points = Points::from(sample(image, params.sample_size, &mut rng));
    let k = params.colors.min(distinct_at_most(&points.list, params.colors));
    let mut centres = seed_plus_plus(&points, k, &mut rng);
    let mut assignment = vec![0u16; points.len()];
    let mut nearest = vec![0f32; points.len()];
    let still = params.tolerance * points.mean_variance();
    for iteration in 0..params.max_iterations.max(1) {
        let changed = assign(&points, &centres, &mut assignment, &mut nearest);
        if iteration > 0 && changed == 0 {
            break;
        }
        if update(&points, &assignment, &nearest, &mut centres) <= still {
            break;
        }
    }
    assign(&points, &centres, &mut assignment, &mut nearest);
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

/// The sample twice: as a list, and channel by channel so that the
/// distance loops (one centre against every point) vectorise.
struct Points {
    list: Vec<Point>,
    channels: [Vec<f32>; 3],
}

impl From<Vec<Point>> for Points {
    fn from(list: Vec<Point>) -> Points {
        let channels = [0, 1, 2].map(|c| list.iter().map(|p| p[c]).collect());
        Points { list, channels }
    }
}

impl Points {
    fn len(&self) -> usize {
        self.list.len()
    }

    /// Mean over the channels of each channel's variance.
    fn mean_variance(&self) -> f64 {
        let n = self.len() as f64;
        self.channels
            .iter()
            .map(|c| {
                let mean = c.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
                c.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n
            })
            .sum::<f64>()
            / 3.0
    }

    /// `out[i] = min(out[i], |point i - centre|²)`.
    fn lower_to(&self, centre: &Point, out: &mut [f32]) {
        let [r, g, b] = &self.channels;
        for (((d, &r), &g), &b) in out.iter_mut().zip(r).zip(g).zip(b) {
            let (dr, dg, db) = (r - centre[0], g - centre[1], b - centre[2]);
            *d = d.min(dr * dr + dg * dg + db * db);
        }
    }
}

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

/// Greedy k-means++: each centre is the best of several D²-weighted draws.
fn seed_plus_plus(points: &Points, k: usize, rng: &mut SplitMix64) -> Vec<Point> {
    let trials = 2 + (k as f64).ln() as usize;
    let mut centres = vec![points.list[rng.below(points.len())]];
    let mut nearest = vec![f32::INFINITY; points.len()];
    points.lower_to(&centres[0], &mut nearest);
    let mut candidate_nearest = vec![0f32; points.len()];
    let mut best_nearest = vec![0f32; points.len()];
    while centres.len() < k {
        let total = sum(&nearest);
        if total <= 0.0 {
            break;
        }
        let mut best: Option<(f64, Point)> = None;
        for _ in 0..trials {
            let candidate = points.list[draw_weighted(&nearest, total, rng)];
            candidate_nearest.copy_from_slice(&nearest);
            points.lower_to(&candidate, &mut candidate_nearest);
            let potential = sum(&candidate_nearest);
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

/// The sum of `values`, in eight running f32 sums per 1024-value block
/// (vectorised; exact enough to compare seeding candidates), added in f64.
fn sum(values: &[f32]) -> f64 {
    values
        .chunks(1024)
        .map(|block| {
            let mut lanes = [0f32; 8];
            let whole = block.len() - block.len() % 8;
            for eight in block[..whole].chunks_exact(8) {
                for (l, &v) in lanes.iter_mut().zip(eight) {
                    *l += v;
                }
            }
            let tail: f32 = block[whole..].iter().sum();
            lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
        })
        .sum()
}

/// An index drawn with probability proportional to `weights[i]`.
fn draw_weighted(weights: &[f32], total: f64, rng: &mut SplitMix64) -> usize {
    let mut target = rng.unit() * total;
    // Whole blocks first (vectorised sums), then the one that holds the draw.
    let mut start = 0;
    for block in weights.chunks(1024) {
        let s = sum(block);
        if target < s {
            break;
        }
        target -= s;
        start += block.len();
    }
    for (i, &w) in weights.iter().enumerate().skip(start) {
        target -= f64::from(w);
        if target < 0.0 {
            return i;
        }
    }
    weights.iter().rposition(|&w| w > 0.0).unwrap_or(0)
}

/// Assigns each point to its nearest centre (distance into `nearest`);
/// returns how many assignments changed.
fn assign(points: &Points, centres: &[Point], assignment: &mut [u16], nearest: &mut [f32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { assign_avx2(points, centres, assignment, nearest) };
    }
    assign_lanes(points, centres, assignment, nearest)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn assign_avx2(points: &Points, centres: &[Point], assignment: &mut [u16], nearest: &mut [f32]) -> usize {
    assign_lanes(points, centres, assignment, nearest)
}

#[inline(always)]
fn assign_lanes(points: &Points, centres: &[Point], assignment: &mut [u16], nearest: &mut [f32]) -> usize {
    const LANES: usize = 8;
    let [r, g, b] = &points.channels;
    let mut changed = 0;
    let n = points.len();
    let whole = n - n % LANES;
    // Eight points at a time against every centre, the best kept in
    // registers: branch-free, so the compiler vectorises it.
    for start in (0..whole).step_by(LANES) {
        let (r, g, b) = (&r[start..start + LANES], &g[start..start + LANES], &b[start..start + LANES]);
        let mut best = [f32::INFINITY; LANES];
        let mut label = [0u32; LANES];
        for (i, c) in centres.iter().enumerate() {
            for l in 0..LANES {
                let (dr, dg, db) = (r[l] - c[0], g[l] - c[1], b[l] - c[2]);
                let e = dr * dr + dg * dg + db * db;
                let closer = e < best[l];
                best[l] = if closer { e } else { best[l] };
                label[l] = if closer { i as u32 } else { label[l] };
            }
        }
        for l in 0..LANES {
            changed += usize::from(u32::from(assignment[start + l]) != label[l]);
            assignment[start + l] = label[l] as u16;
            nearest[start + l] = best[l];
        }
    }
    for j in whole..n {
        let (mut best, mut label) = (f32::INFINITY, 0usize);
        for (i, c) in centres.iter().enumerate() {
            let (dr, dg, db) = (r[j] - c[0], g[j] - c[1], b[j] - c[2]);
            let e = dr * dr + dg * dg + db * db;
            if e < best {
                best = e;
                label = i;
            }
        }
        changed += usize::from(usize::from(assignment[j]) != label);
        assignment[j] = label as u16;
        nearest[j] = best;
    }
    changed
}

/// Moves each centre to the mean of its points; an emptied centre moves to
/// the point farthest from its own centre (so k colours stay in use).
/// Returns the summed squared shift of the centres.
fn update(points: &Points, assignment: &[u16], nearest: &[f32], centres: &mut [Point]) -> f64 {
    let before = centres.to_vec();
    // Points are whole numbers 0..=255: integer sums are exact and fast.
    let mut sums = vec![[0u64; 3]; centres.len()];
    let mut counts = vec![0usize; centres.len()];
    for (p, &a) in points.list.iter().zip(assignment) {
        let s = &mut sums[a as usize];
        s[0] += p[0] as u64;
        s[1] += p[1] as u64;
        s[2] += p[2] as u64;
        counts[a as usize] += 1;
    }
    for (i, centre) in centres.iter_mut().enumerate() {
        if counts[i] > 0 {
            let n = counts[i] as f64;
            *centre = sums[i].map(|s| (s as f64 / n) as f32);
        }
    }
    for i in (0..centres.len()).filter(|&i| counts[i] == 0) {
        let far = nearest.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(j, _)| j);
        if let Some(j) = far {
            centres[i] = points.list[j];
        }
    }
    before
        .iter()
        .zip(centres.iter())
        .map(|(a, b)| (0..3).map(|c| f64::from(a[c] - b[c]).powi(2)).sum::<f64>())
        .sum()
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
