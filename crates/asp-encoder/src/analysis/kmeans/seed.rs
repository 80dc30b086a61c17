//! Greedy k-means++ seeding: each new centre is the best of `2 + ln k`
//! D²-weighted draws (scikit-learn's rule), "best" meaning the lowest
//! potential (summed squared distance to the nearest centre, weighted by
//! the points' weights) once added.

use super::sample::{Point, Points, SplitMix64};

/// `k` centres drawn from `points` (fewer if the points run out of
/// distinct positions).
#[inline(always)]
pub(super) fn seed_plus_plus(points: &Points, k: usize, rng: &mut SplitMix64) -> Vec<Point> {
    let trials = 2 + (k as f64).ln() as usize;
    let ones;
    let (weights, first) = match points.weights() {
        Some(w) => (w, draw_weighted(w, sum(w), rng)),
        None => {
            ones = vec![1f32; points.len()];
            (&ones[..], rng.below(points.len()))
        }
    };
    let mut centres = vec![points.at(first)];
    let mut nearest = vec![f32::INFINITY; points.len()];
    let mut odds = vec![0f32; points.len()];
    lower_to(points, &centres[0], &mut nearest);
    while centres.len() < k {
        for ((o, &n), &w) in odds.iter_mut().zip(&nearest).zip(weights) {
            *o = n * w;
        }
        let total = sum(&odds);
        if total <= 0.0 {
            break;
        }
        let mut best: Option<(f64, Point)> = None;
        for _ in 0..trials {
            let candidate = points.at(draw_weighted(&odds, total, rng));
            let potential = potential_with(points, &candidate, &nearest, weights);
            if best.is_none_or(|(b, _)| potential < b) {
                best = Some((potential, candidate));
            }
        }
        if let Some((_, c)) = best {
            centres.push(c);
            lower_to(points, &c, &mut nearest);
        }
    }
    centres
}

/// `out[i] = min(out[i], |point i - centre|²)`.
#[inline(always)]
fn lower_to(points: &Points, centre: &Point, out: &mut [f32]) {
    let [r, g, b] = &points.channels;
    for (((d, &r), &g), &b) in out.iter_mut().zip(r).zip(g).zip(b) {
        let (dr, dg, db) = (r - centre[0], g - centre[1], b - centre[2]);
        let e = dr * dr + dg * dg + db * db;
        // A compare and select, not f32::min (whose NaN rule keeps it scalar).
        *d = if e < *d { e } else { *d };
    }
}

/// The potential if `centre` were added: the sum over the points of
/// `weight[i] * min(nearest[i], |point i - centre|²)`, in one pass without
/// a copy (eight running f32 sums per 1024-point block, added in f64).
#[inline(always)]
fn potential_with(points: &Points, centre: &Point, nearest: &[f32], weights: &[f32]) -> f64 {
    let [r, g, b] = &points.channels;
    let mut total = 0f64;
    for ((((r, g), b), near), w) in
        r.chunks(1024).zip(g.chunks(1024)).zip(b.chunks(1024)).zip(nearest.chunks(1024)).zip(weights.chunks(1024))
    {
        let mut lanes = [0f32; 8];
        let whole = near.len() - near.len() % 8;
        for i in (0..whole).step_by(8) {
            let (Some(r), Some(g), Some(b), Some(near), Some(w)) =
                (eight(r, i), eight(g, i), eight(b, i), eight(near, i), eight(w, i))
            else {
                continue;
            };
            for l in 0..8 {
                let (dr, dg, db) = (r[l] - centre[0], g[l] - centre[1], b[l] - centre[2]);
                let e = dr * dr + dg * dg + db * db;
                let nearer = if e < near[l] { e } else { near[l] };
                lanes[l] += w[l] * nearer;
            }
        }
        let mut tail = 0f32;
        for i in whole..near.len() {
            let (dr, dg, db) = (r[i] - centre[0], g[i] - centre[1], b[i] - centre[2]);
            let e = dr * dr + dg * dg + db * db;
            tail += w[i] * if e < near[i] { e } else { near[i] };
        }
        total += lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail);
    }
    total
}

/// The eight values from `at` as an array (fixed-size: the loops over it
/// become vector operations).
#[inline(always)]
fn eight(values: &[f32], at: usize) -> Option<&[f32; 8]> {
    values.get(at..at + 8).and_then(|s| s.try_into().ok())
}

/// The sum of `values`, in eight running f32 sums per 1024-value block
/// (vectorised; exact enough to compare seeding candidates), added in f64.
#[inline(always)]
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
#[inline(always)]
fn draw_weighted(weights: &[f32], total: f64, rng: &mut SplitMix64) -> usize {
    let mut target = rng.unit() * total;
    // Whole blocks first (vectorised sums), then the one that holds the
    // draw: short blocks, as the last scan is a chain of dependent adds.
    let mut start = 0;
    for block in weights.chunks(64) {
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
