//! Lloyd's iterations: assign every point to its nearest centre, move
//! each centre to the mean of its points, until nothing moves.
//!
//! The expensive step is the assignment. With palette-sized k in three
//! dimensions, the brute-force pass (eight points against every centre at
//! once, branch-free, in vector lanes) costs about as much per point as
//! the per-point bookkeeping of Hamerly's or Elkan's bounds, which measured
//! 2–4x slower here (BENCHMARKS.md, "Analysis and ROI coding"). What pays
//! is a bound that vectorises: each point keeps its margin, the distance
//! to its second-nearest centre minus the distance to its nearest. When
//! the centres move by at most D, a margin shrinks by at most 2D (the
//! own centre at most D farther, every other at most D nearer); a block
//! of eight points whose margins all stay positive cannot change cluster
//! and is skipped with one subtraction and one compare per point. In the
//! long tail of Lloyd's iterations, where a few dozen of 20 000 points
//! still move, nearly every block is skipped. The skip is conservative
//! (a margin of rounding to spare), so the result is the brute-force
//! result exactly; the tests check this against a plain implementation.
//!
//! The centre update is incremental: only the points that change cluster
//! touch the per-cluster sums.

use super::sample::{distance2, Point, Points};

/// When to stop: after `max_iterations`, when no point changes cluster,
/// or when the centres' summed squared shift is at most `still`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Stop {
    pub max_iterations: usize,
    pub still: f64,
}

/// Final centres and, for every point, the index of its centre.
#[derive(Debug, PartialEq)]
pub(super) struct Clustering {
    pub centres: Vec<Point>,
    pub assignment: Vec<u16>,
}

/// Lloyd's iterations from `centres`.
#[inline(always)]
pub(super) fn lloyd(points: &Points, mut centres: Vec<Point>, stop: Stop) -> Clustering {
    let mut assignment = vec![0u16; points.len()];
    // No margin yet: every point is evaluated in the first pass.
    let mut margin = vec![f32::NEG_INFINITY; points.len()];
    assign(points, &centres, 0.0, &mut margin, &mut assignment, None);
    let mut sums = ClusterSums::of(points, &assignment, centres.len());
    let mut drift = 0f32;
    for iteration in 0..stop.max_iterations.max(1) {
        if iteration > 0 && assign(points, &centres, drift, &mut margin, &mut assignment, Some(&mut sums)) == 0 {
            break;
        }
        let before = centres.clone();
        let shift = sums.move_centres(points, &assignment, &mut centres);
        drift = before.iter().zip(&centres).map(|(a, b)| distance2(a, b).sqrt()).fold(0.0, f32::max);
        if shift <= stop.still {
            break;
        }
    }
    assign(points, &centres, drift, &mut margin, &mut assignment, Some(&mut sums));
    Clustering { centres, assignment }
}

/// Plain Lloyd's iterations, every point against every centre each time
/// and the sums added up afresh: the reference [`lloyd`] is tested against.
#[cfg(test)]
pub(super) fn lloyd_plain(points: &Points, mut centres: Vec<Point>, stop: Stop) -> Clustering {
    let mut assignment = vec![0u16; points.len()];
    let assign_all = |centres: &[Point], assignment: &mut [u16]| {
        let mut changed = 0;
        for (p, a) in points.list.iter().zip(assignment.iter_mut()) {
            let label = nearest(p, centres);
            changed += usize::from(*a != label);
            *a = label;
        }
        changed
    };
    for iteration in 0..stop.max_iterations.max(1) {
        let changed = assign_all(&centres, &mut assignment);
        if iteration > 0 && changed == 0 {
            break;
        }
        let sums = ClusterSums::of(points, &assignment, centres.len());
        if sums.move_centres(points, &assignment, &mut centres) <= stop.still {
            break;
        }
    }
    assign_all(&centres, &mut assignment);
    Clustering { centres, assignment }
}

/// Assigns each point to its nearest centre (the first of equals) after
/// the centres moved by at most `drift`, skipping the blocks of points
/// whose margins prove they stay; moves the points that change cluster
/// between the `sums` (when kept) and returns how many changed.
#[inline(always)]
fn assign(
    points: &Points,
    centres: &[Point],
    drift: f32,
    margin: &mut [f32],
    assignment: &mut [u16],
    mut sums: Option<&mut ClusterSums>,
) -> usize {
    const LANES: usize = 8;
    let [r, g, b] = &points.channels;
    let mut changed = 0;
    let n = points.len();
    let whole = n - n % LANES;
    let shrink = 2.0 * drift;
    for start in (0..whole).step_by(LANES) {
        let m = &mut margin[start..start + LANES];
        // The smallest margin left decides for the block (a min reduction
        // vectorises; a chain of per-lane booleans does not).
        let mut least = f32::INFINITY;
        for m in m.iter_mut() {
            *m -= shrink;
            least = if *m < least { *m } else { least };
        }
        if surely_positive(least) {
            continue;
        }
        // Eight points against every centre, the best two kept in
        // registers: branch-free, so the compiler vectorises it.
        let (r, g, b) = (&r[start..start + LANES], &g[start..start + LANES], &b[start..start + LANES]);
        let mut best = [f32::INFINITY; LANES];
        let mut second = [f32::INFINITY; LANES];
        let mut label = [0u32; LANES];
        for (i, c) in centres.iter().enumerate() {
            for l in 0..LANES {
                let (dr, dg, db) = (r[l] - c[0], g[l] - c[1], b[l] - c[2]);
                let e = dr * dr + dg * dg + db * db;
                let closer = e < best[l];
                let runner_up = if e < second[l] { e } else { second[l] };
                second[l] = if closer { best[l] } else { runner_up };
                best[l] = if closer { e } else { best[l] };
                label[l] = if closer { i as u32 } else { label[l] };
            }
        }
        for l in 0..LANES {
            m[l] = second[l].sqrt() - best[l].sqrt();
        }
        for (l, &label) in label.iter().enumerate() {
            if assignment[start + l] != label as u16 {
                move_point(points, start + l, label as u16, assignment, sums.as_deref_mut());
                changed += 1;
            }
        }
    }
    for i in whole..n {
        let label = nearest(&points.list[i], centres);
        if assignment[i] != label {
            move_point(points, i, label, assignment, sums.as_deref_mut());
            changed += 1;
        }
    }
    changed
}

/// Whether a margin is positive by more than the rounding the margins
/// and drifts accumulate over the iterations (f32 distances of at most
/// 442), so that a skipped point is one the brute-force pass would leave
/// where it is.
#[inline(always)]
fn surely_positive(margin: f32) -> bool {
    margin > 1e-2
}

/// Moves point `i` to cluster `label` (the rare case: out of line).
fn move_point(points: &Points, i: usize, label: u16, assignment: &mut [u16], sums: Option<&mut ClusterSums>) {
    if let Some(sums) = sums {
        sums.remove(points, i, usize::from(assignment[i]));
        sums.add(points, i, usize::from(label));
    }
    assignment[i] = label;
}

/// The index of the centre nearest to `p` (the first of equals).
#[inline(always)]
fn nearest(p: &Point, centres: &[Point]) -> u16 {
    let (mut best, mut label) = (f32::INFINITY, 0u16);
    for (i, c) in centres.iter().enumerate() {
        let e = distance2(p, c);
        if e < best {
            best = e;
            label = i as u16;
        }
    }
    label
}

/// Per-cluster sums of the points' channels and point counts, in
/// integers (the channels are whole numbers): exact whatever the order of
/// the additions and removals, and one-cycle adds.
struct ClusterSums {
    sums: Vec<[i64; 3]>,
    counts: Vec<u32>,
}

impl ClusterSums {
    #[inline(always)]
    fn of(points: &Points, assignment: &[u16], k: usize) -> ClusterSums {
        let mut s = ClusterSums { sums: vec![[0; 3]; k], counts: vec![0; k] };
        for (i, &a) in assignment.iter().enumerate() {
            s.add(points, i, usize::from(a));
        }
        s
    }

    /// Adds point `i` (the pixels it stands for) to `cluster`.
    #[inline(always)]
    fn add(&mut self, points: &Points, i: usize, cluster: usize) {
        let (sum, count) = points.sum_of(i);
        let s = &mut self.sums[cluster];
        for c in 0..3 {
            s[c] += sum[c];
        }
        self.counts[cluster] += count;
    }

    /// Takes point `i` out of `cluster`.
    #[inline(always)]
    fn remove(&mut self, points: &Points, i: usize, cluster: usize) {
        let (sum, count) = points.sum_of(i);
        let s = &mut self.sums[cluster];
        for c in 0..3 {
            s[c] -= sum[c];
        }
        self.counts[cluster] -= count;
    }

    /// Moves each centre to the mean of its points; an emptied centre moves
    /// to the point farthest from its own centre (the next emptied one to
    /// the next farthest), so k colours stay in use. Returns the summed
    /// squared shift of the centres.
    #[inline(always)]
    fn move_centres(&self, points: &Points, assignment: &[u16], centres: &mut [Point]) -> f64 {
        let before = centres.to_vec();
        for (i, centre) in centres.iter_mut().enumerate() {
            if self.counts[i] > 0 {
                let n = f64::from(self.counts[i]);
                *centre = self.sums[i].map(|s| (s as f64 / n) as f32);
            }
        }
        if self.counts.contains(&0) {
            let mut own: Vec<f32> =
                points.list.iter().zip(assignment).map(|(p, &a)| distance2(p, &before[usize::from(a)])).collect();
            for i in (0..centres.len()).filter(|&i| self.counts[i] == 0) {
                let far = own.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(j, _)| j);
                if let Some(j) = far {
                    centres[i] = points.list[j];
                    own[j] = f32::NEG_INFINITY;
                }
            }
        }
        before.iter().zip(centres.iter()).map(|(a, b)| f64::from(distance2(a, b))).sum()
    }
}
