//! k-means colour palette: Lloyd's iterations in RGB from k-means++ seeds.
//!
//! Large pictures are clustered on a sample (`sample_size` pixels, drawn
//! with a fixed seed, so the same picture gives the same palette): see
//! `sample.rs`. The clustering runs coarse to fine, in three stages:
//!
//! 1. On the cells of a colour histogram of the sample (4 bits per
//!    channel: about 700 cells for a 20 000-pixel sample of a film frame;
//!    5 bits when that leaves fewer than 60 cells per colour), each cell
//!    at the mean of its pixels and weighted by their number: `seedings`
//!    greedy k-means++ seedings (`seed.rs`), each followed by two of Lloyd's
//!    iterations (`lloyd.rs`) (six above 8 colours); the two best (three)
//!    by then go on to convergence, and the best of those is kept. One run can settle in a local
//!    minimum several percent worse, and a 4-bit histogram shifts the
//!    minima a little, so many cheap restarts (few full runs kept a poor
//!    minimum now and then: BENCHMARKS.md, encoder and analyser tuning).
//! 2. Lloyd's iterations on a quarter of the sample.
//! 3. Lloyd's iterations on the whole sample, which by then converge in a
//!    few iterations that touch few points.
//!
//! Iterations stop when no pixel changes cluster, when the centres move
//! less than `tolerance` times the sample's mean channel variance (summed
//! squared shifts: scikit-learn's criterion), or after `max_iterations`.
//! The assignment kernels have AVX2 twins (`kernel.rs`), and the whole
//! clustering is compiled for AVX2 as well; both are chosen at run time.

mod kernel;
mod lloyd;
mod sample;
mod seed;

use super::{AnalysisError, Image, Palette, MAX_COLORS};
use asp_core::CpuFeatures;
use kernel::Kernels;
use lloyd::{lloyd, lloyd_short, Clustering, Stop};
use sample::{distance2, distinct_at_most, sample, Point, Points, SplitMix64};
use seed::seed_plus_plus;

/// k-means settings; [`KMeansParams::new`] gives the defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KMeansParams {
    /// Palette size, 1..=256.
    pub colors: usize,
    /// Pixels clustered at most; larger pictures are sampled.
    pub sample_size: usize,
    /// Lloyd iterations at most (in each of the two stages).
    pub max_iterations: usize,
    /// Stop when the centres' summed squared shift is below this fraction
    /// of the sample's mean channel variance.
    pub tolerance: f64,
    /// Seed of the sampling and the k-means++ draws.
    pub seed: u64,
    /// k-means++ seedings on the coarse histogram, each iterated a few
    /// times, the best two or three then to convergence (see the [module
    /// docs](self)): one run can settle in a local minimum several percent
    /// worse.
    pub seedings: usize,
}

impl KMeansParams {
    /// `colors` colours, 20 000-pixel sample, at most 50 iterations,
    /// tolerance 1e-6 (scikit-learn stops at 1e-4; the last, nearly still
    /// iterations are cheap and lower the inertia), seed 0, 16 seedings.
    pub fn new(colors: usize) -> KMeansParams {
        KMeansParams { colors, sample_size: 20_000, max_iterations: 50, tolerance: 1e-6, seed: 0, seedings: 16 }
    }
}

/// The coarse stage clusters the cells of a colour histogram of the
/// sample: the coarsest grid (4 or 5 bits per channel) with at least this
/// many occupied cells per colour...
const COARSE_CELLS_PER_COLOR: usize = 60;
/// ...and at most one cell per this many pixels (else one stage).
const COARSE_PIXELS_PER_CELL: usize = 4;
/// Histogram counts and sums are u32: samples up to this size.
const COARSE_MAX_PIXELS: usize = 1 << 24;
/// Lloyd iterations each seeding gets before the best few are chosen to
/// go on, and how many: at k <= 8 the ranking after two iterations
/// already sorts the runs headed for the poor minima from the others; at
/// larger k (more, closer minima) six iterations and three survivors find
/// better palettes for a little more time (BENCHMARKS.md, encoder and
/// analyser tuning).
const fn early_iterations_and_survivors(k: usize) -> (usize, usize) {
    if k <= 8 { (2, 2) } else { (6, 3) }
}
/// The middle stage clusters every this many points of the sample.
const MIDDLE_STEP: usize = 4;

/// The palette of `image` by k-means (see the [module docs](self)).
/// Fewer distinct colours than asked gives a shorter palette.
pub fn kmeans_palette(image: &Image<'_>, params: &KMeansParams) -> Result<Palette, AnalysisError> {
    kmeans_palette_with(image, params, CpuFeatures::detect())
}

/// [`kmeans_palette`] by the kernels `cpu` allows (the AVX2 ones need AVX2
/// and POPCNT). Every set of kernels gives the same palette.
pub fn kmeans_palette_with(image: &Image<'_>, params: &KMeansParams, cpu: CpuFeatures) -> Result<Palette, AnalysisError> {
    if params.colors == 0 || params.colors > MAX_COLORS {
        return Err(AnalysisError::BadColorCount(params.colors));
    }
    if params.sample_size == 0 {
        return Err(AnalysisError::BadParameter("k-means sample_size must be at least 1"));
    }
    if params.tolerance.is_nan() || params.tolerance < 0.0 {
        return Err(AnalysisError::BadParameter("k-means tolerance must be a number >= 0"));
    }
    let kernels = Kernels::new(cpu);
    #[cfg(target_arch = "x86_64")]
    if let Kernels::Avx2 = kernels {
        // SAFETY: the CPU has AVX2 and POPCNT (`Kernels::new` checked).
        return Ok(unsafe { palette_avx2(image, params) });
    }
    Ok(palette_portable(image, params, kernels))
}

/// [`palette_portable`] compiled for AVX2 (the loops around the kernels
/// vectorise wider) with the AVX2 kernels.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt")]
unsafe fn palette_avx2(image: &Image<'_>, params: &KMeansParams) -> Palette {
    palette_portable(image, params, Kernels::Avx2)
}

/// [`kmeans_palette`] after the checks. Everything it calls is inlined, so
/// that it is compiled for the CPU features of its caller.
#[inline(always)]
fn palette_portable(image: &Image<'_>, params: &KMeansParams, kernels: Kernels) -> Palette {
    let mut rng = SplitMix64(params.seed);
    let pixels = sample(image, params.sample_size, &mut rng);
    let k = params.colors.min(distinct_at_most(&pixels, params.colors));
    let stop = Stop { max_iterations: params.max_iterations, still: params.tolerance * Points::mean_variance(&pixels) };
    let coarse = coarse_cells(&pixels, k);
    let points = Points::of_pixels(pixels);
    let Clustering { centres, assignment } =
        cluster(&points, coarse.as_ref(), k, params.seedings, stop, &mut rng, kernels);
    let mut counts = vec![0u32; centres.len()];
    for &a in &assignment {
        counts[usize::from(a)] += 1;
    }
    let n = points.len() as f32;
    let (colors, weights) = centres
        .iter()
        .zip(&counts)
        .filter(|(_, &c)| c > 0)
        .map(|(c, &count)| (c.map(|v| v.round().clamp(0.0, 255.0) as u8), count as f32 / n))
        .unzip();
    Palette { colors, weights }.sorted()
}

/// The histogram the coarse stage clusters, if one is worth it (see
/// [`COARSE_CELLS_PER_COLOR`]).
#[inline(always)]
fn coarse_cells(pixels: &[[u8; 3]], k: usize) -> Option<Points> {
    if pixels.len() > COARSE_MAX_PIXELS {
        return None;
    }
    for bits in 4..=5 {
        let cells = Points::cells(pixels, bits);
        if cells.len() * COARSE_PIXELS_PER_CELL > pixels.len() {
            return None;
        }
        if cells.len() >= COARSE_CELLS_PER_COLOR * k {
            return Some(cells);
        }
    }
    None
}

/// Coarse to fine (see the [module docs](self)): `seedings` seedings on
/// the `coarse` histogram cut short, the best continued, then a quarter of
/// the points, then all. Without a histogram, the seedings run on the
/// points and the best is the result.
#[inline(always)]
fn cluster(
    points: &Points,
    coarse: Option<&Points>,
    k: usize,
    seedings: usize,
    stop: Stop,
    rng: &mut SplitMix64,
    kernels: Kernels,
) -> Clustering {
    let first = coarse.unwrap_or(points);
    // Every seeding, a few iterations...
    let (early_iterations, survivors) = early_iterations_and_survivors(k);
    let early = Stop { max_iterations: early_iterations.min(stop.max_iterations), ..stop };
    // (A loop, not a closure: a closure is compiled without the caller's
    // target features.)
    let mut runs: Vec<(f64, Vec<Point>)> = Vec::with_capacity(seedings.max(1));
    for _ in 0..seedings.max(1) {
        let seeds = seed_plus_plus(first, k, rng, kernels);
        runs.push(lloyd_short(first, seeds, early, kernels));
    }
    // ...then the best few to convergence (a stable sort: the first of
    // equals first), and the best of those on.
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs.truncate(survivors);
    let mut best: Option<(f64, Clustering)> = None;
    for (_, centres) in runs {
        let run = lloyd(first, centres, stop, kernels);
        let inertia = inertia_of(first, &run);
        if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
            best = Some((inertia, run));
        }
    }
    let (_, best) = best.expect("at least one seeding (seedings.max(1))");
    if coarse.is_none() {
        return best;
    }
    // The middle stage: a quarter of the points, when that is many per colour.
    let mut centres = best.centres;
    if points.len() / MIDDLE_STEP >= COARSE_CELLS_PER_COLOR * k {
        centres = lloyd(&points.every(MIDDLE_STEP), centres, stop, kernels).centres;
    }
    lloyd(points, centres, stop, kernels)
}

/// Summed squared distance of the points to their centres, weighted.
#[inline(always)]
fn inertia_of(points: &Points, clustering: &Clustering) -> f64 {
    let c = &clustering.centres;
    let d = |(i, &a): (usize, &u16)| f64::from(points.weight(i) * distance2(&points.at(i), &c[usize::from(a)]));
    clustering.assignment.iter().enumerate().map(d).sum()
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

    /// Photograph-like points: a few colour blobs with noise and a
    /// gradient, so clusters overlap and points sit near the boundaries.
    fn noisy_pixels(n: usize, seed: u64) -> Vec<[u8; 3]> {
        let mut rng = SplitMix64(seed);
        let blobs = [[40.0, 60.0, 30.0], [200.0, 190.0, 170.0], [90.0, 140.0, 210.0], [160.0, 60.0, 50.0]];
        (0..n)
            .map(|i| {
                let b: [f32; 3] = blobs[rng.below(blobs.len())];
                let t = i as f32 / n as f32 * 60.0;
                b.map(|v| (v + t + rng.below(81) as f32 - 40.0).round().clamp(0.0, 255.0) as u8)
            })
            .collect()
    }

    fn noisy_points(n: usize, seed: u64) -> Points {
        Points::of_pixels(noisy_pixels(n, seed))
    }

    #[test]
    fn bounded_iterations_give_the_plain_clustering() {
        for (seed, k, n) in [(1u64, 8usize, 5000usize), (2, 3, 4001), (3, 16, 3000), (4, 1, 500), (5, 40, 2003)] {
            let points = noisy_points(n, seed);
            for stop in [Stop { max_iterations: 50, still: 0.0 }, Stop { max_iterations: 4, still: 0.0 }] {
                let kernels = Kernels::new(CpuFeatures::detect());
                let centres = seed_plus_plus(&points, k, &mut SplitMix64(seed), kernels);
                let plain = lloyd::lloyd_plain(&points, centres.clone(), stop);
                let bounded = lloyd(&points, centres, stop, kernels);
                assert_eq!(plain, bounded, "seed {seed}, k {k}, {stop:?}");
            }
        }
    }

    #[test]
    fn short_runs_give_the_bounded_centres_and_inertia() {
        for (seed, k, n) in [(1u64, 8usize, 5000usize), (2, 3, 4001), (3, 16, 3000), (4, 1, 500)] {
            let pixels = noisy_pixels(n, seed);
            for points in [Points::cells(&pixels, 4), Points::of_pixels(pixels.clone())] {
                for max_iterations in [1, 2, 5] {
                    let stop = Stop { max_iterations, still: 1e-3 };
                    let kernels = Kernels::new(CpuFeatures::detect());
                    let centres = seed_plus_plus(&points, k, &mut SplitMix64(seed), kernels);
                    let run = lloyd(&points, centres.clone(), stop, kernels);
                    let short = lloyd_short(&points, centres, stop, kernels);
                    assert_eq!(short, (inertia_of(&points, &run), run.centres), "seed {seed}, k {k}");
                }
            }
        }
    }

    #[test]
    fn the_portable_and_the_dispatched_palettes_are_identical() {
        // Photograph-like pixels, sampled (coarse, middle and fine stages)
        // and not (one stage), at several sizes.
        for (w, h, k, sample_size) in [(400usize, 300usize, 8usize, 20_000usize), (300, 200, 5, 60_000), (90, 70, 12, 20_000)] {
            let rgb: Vec<u8> = noisy_pixels(w * h, (w + k) as u64).concat();
            let image = Image::rgb(&rgb, w, h).unwrap();
            let params = KMeansParams { sample_size, ..KMeansParams::new(k) };
            let portable = palette_portable(&image, &params, Kernels::Scalar);
            assert_eq!(kmeans_palette(&image, &params).unwrap(), portable, "{w}x{h}, k {k}");
            for cpu in CpuFeatures::host().levels() {
                assert_eq!(kmeans_palette_with(&image, &params, cpu).unwrap(), portable, "{cpu} {w}x{h}, k {k}");
            }
        }
    }

    #[test]
    fn any_parameters_give_a_palette_of_at_most_k_colours() {
        let rgb: Vec<u8> = noisy_pixels(160 * 120, 3).concat();
        let image = Image::rgb(&rgb, 160, 120).unwrap();
        for (k, sample_size, max_iterations, seedings, tolerance) in [
            (1usize, 20_000usize, 50usize, 16usize, 1e-6),
            (2, 5, 1, 1, 0.0),
            (8, 19_200, 0, 0, 1e-6),
            (8, 4000, 3, 2, 1.0),
            (40, 19_200, 50, 16, 1e-6),
            (256, 3000, 5, 3, 1e-4),
        ] {
            let params = KMeansParams { sample_size, max_iterations, seedings, tolerance, ..KMeansParams::new(k) };
            let p = kmeans_palette(&image, &params).unwrap();
            assert!(!p.colors.is_empty() && p.colors.len() <= k, "k {k}: {} colours", p.colors.len());
            assert!((p.weights.iter().sum::<f32>() - 1.0).abs() < 1e-4, "k {k}: {:?}", p.weights);
            assert_eq!(p, kmeans_palette(&image, &params).unwrap(), "k {k}: not reproducible");
        }
    }

    #[test]
    fn weights_sum_to_one_on_a_sampled_photograph_like_picture() {
        let rgb: Vec<u8> = noisy_pixels(300 * 200, 9).concat();
        let image = Image::rgb(&rgb, 300, 200).unwrap();
        let p = kmeans_palette(&image, &KMeansParams { sample_size: 5000, ..KMeansParams::new(6) }).unwrap();
        assert_eq!(p.colors.len(), 6);
        assert!((p.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{:?}", p.weights);
    }
}
