//! Greedy k-means++ seeding: each new centre is the best of `2 + ln k`
//! D²-weighted draws (scikit-learn's rule), "best" meaning the lowest
//! potential (summed squared distance to the nearest centre, weighted by
//! the points' weights) once added.
//!
//! Per centre, a pass over the points per candidate, and one that lowers
//! the distances to the chosen centre and sums the draw odds by blocks
//! (so that a draw walks the block sums, then one block).

use super::kernel::Kernels;
use super::sample::{Point, Points, SplitMix64};

/// Points per block of the draw odds.
const BLOCK: usize = 64;

/// `k` centres drawn from `points` (fewer if the points run out of
/// distinct positions).
#[inline(always)]
pub(super) fn seed_plus_plus(points: &Points, k: usize, rng: &mut SplitMix64, kernels: Kernels) -> Vec<Point> {
    let trials = 2 + (k as f64).ln() as usize;
    let n = points.len();
    let ones;
    let weights = match points.weights() {
        Some(w) => w,
        None => {
            ones = vec![1f32; n];
            &ones[..]
        }
    };
    // Squared distance of each point to its nearest centre so far, the
    // draw odds (that times the weight) and their sums by block.
    let mut nearest = vec![f32::INFINITY; n];
    let mut odds = vec![0f32; n];
    let mut blocks = vec![0f64; n.div_ceil(BLOCK)];
    let first = match points.weights() {
        Some(w) => {
            // The first centre is drawn by weight alone.
            odds.copy_from_slice(w);
            sum_blocks(&odds, &mut blocks);
            draw(&odds, &blocks, blocks.iter().sum(), rng)
        }
        None => rng.below(n),
    };
    let mut centres = vec![points.at(first)];
    let mut total = lower(points, &centres[0], weights, &mut nearest, &mut odds, &mut blocks);
    let mut candidates = Vec::with_capacity(trials);
    let mut potentials = Vec::with_capacity(trials);
    while centres.len() < k && total > 0.0 {
        candidates.clear();
        for _ in 0..trials {
            candidates.push(points.at(draw(&odds, &blocks, total, rng)));
        }
        potentials_with(points, &candidates, &nearest, weights, kernels, &mut potentials);
        // The first of the least potentials.
        let (mut best, mut least) = (0, f64::INFINITY);
        for (t, &p) in potentials.iter().enumerate() {
            if p < least {
                (best, least) = (t, p);
            }
        }
        let chosen = candidates[best];
        centres.push(chosen);
        total = lower(points, &chosen, weights, &mut nearest, &mut odds, &mut blocks);
    }
    centres
}

/// `nearest[i] = min(nearest[i], |point i - centre|²)`, `odds[i] =
/// weights[i] * nearest[i]`, the odds summed by block into `blocks`;
/// returns their total.
#[inline(always)]
fn lower(points: &Points, centre: &Point, weights: &[f32], nearest: &mut [f32], odds: &mut [f32], blocks: &mut [f64]) -> f64 {
    let [r, g, b] = &points.channels;
    for ((((d, o), &w), &r), (&g, &b)) in nearest.iter_mut().zip(odds.iter_mut()).zip(weights).zip(r).zip(g.iter().zip(b)) {
        let (dr, dg, db) = (r - centre[0], g - centre[1], b - centre[2]);
        let e = dr * dr + dg * dg + db * db;
        // A compare and select, not f32::min (whose NaN rule keeps it scalar).
        *d = if e < *d { e } else { *d };
        *o = w * *d;
    }
    sum_blocks(odds, blocks);
    blocks.iter().sum()
}

/// The sums of `values` by block of [`BLOCK`], each in eight running f32
/// sums (vectorised; exact enough to draw by), added in f64.
#[inline(always)]
fn sum_blocks(values: &[f32], blocks: &mut [f64]) {
    for (block, out) in values.chunks(BLOCK).zip(blocks.iter_mut()) {
        let mut lanes = [0f32; 8];
        let whole = block.len() - block.len() % 8;
        for eight in block[..whole].chunks_exact(8) {
            for (l, &v) in lanes.iter_mut().zip(eight) {
                *l += v;
            }
        }
        let tail: f32 = block[whole..].iter().sum();
        *out = lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail);
    }
}

/// An index drawn with probability proportional to `odds[i]`, `blocks`
/// holding their sums by block and `total` the sum of those.
#[inline(always)]
fn draw(odds: &[f32], blocks: &[f64], total: f64, rng: &mut SplitMix64) -> usize {
    let mut target = rng.unit() * total;
    let mut start = 0;
    for &s in blocks {
        if target < s {
            break;
        }
        target -= s;
        start += BLOCK;
    }
    for (i, &o) in odds.iter().enumerate().skip(start) {
        target -= f64::from(o);
        if target < 0.0 {
            return i;
        }
    }
    // Rounding left the target past the end: the last point with odds.
    odds.iter().rposition(|&o| o > 0.0).unwrap_or(0)
}

/// For each candidate, the potential if it were added: the sum over the
/// points of `weights[i] * min(nearest[i], |point i - candidate|²)`, by
/// blocks of 1024 points (in the first-level cache while the candidates
/// pass over them), added in f64.
#[inline(always)]
fn potentials_with(
    points: &Points,
    candidates: &[Point],
    nearest: &[f32],
    weights: &[f32],
    kernels: Kernels,
    out: &mut Vec<f64>,
) {
    const CHUNK: usize = 1024;
    out.clear();
    out.resize(candidates.len(), 0.0);
    let [r, g, b] = &points.channels;
    for start in (0..nearest.len()).step_by(CHUNK) {
        let end = (start + CHUNK).min(nearest.len());
        let channels = [&r[start..end], &g[start..end], &b[start..end]];
        for (c, total) in candidates.iter().zip(out.iter_mut()) {
            *total += kernels.potential(channels, &nearest[start..end], &weights[start..end], c);
        }
    }
}
