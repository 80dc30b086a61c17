//! Lloyd's iterations: assign every point to its nearest centre, move
//! each centre to the mean of its points, until nothing moves.
//!
//! The expensive step is the assignment. The first pass takes every point
//! (eight at a time against every centre, [`Kernels::block`]). After it,
//! each point keeps a bound: its margin, the distance to its
//! second-nearest centre minus the distance to its nearest. When the
//! centres move by at most D, a margin shrinks by at most 2D (the own
//! centre at most D farther, every other at most D nearer), so a point
//! whose margin exceeds the shrinkage summed since it was last evaluated
//! cannot have changed cluster. Per-point bounds are Hamerly's idea
//! reduced to one number; what makes them pay at palette sizes (where the
//! per-point bookkeeping of Hamerly's or Elkan's algorithm measured 2–4x
//! slower than brute force, BENCHMARKS.md) is that the test is one compare
//! per point, eight at a time, with nothing written for the points that
//! pass, and that the few points that fail are listed and then gathered
//! eight at a time into the same vector kernel as a full pass. In the long
//! tail of the iterations, where a few dozen of 20 000 points still move,
//! the pass is a scan of the bounds.
//!
//! The skip is conservative (a margin of rounding to spare), so the result
//! is the brute-force result exactly; the tests check this against a plain
//! implementation. The centre update is incremental: only the points that
//! change cluster touch the per-cluster sums.

use super::kernel::{Kernels, LANES};
use super::sample::{distance2, Point, Points, Source};

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
pub(super) fn lloyd(points: &Points, mut centres: Vec<Point>, stop: Stop, kernels: Kernels) -> Clustering {
    let n = points.len();
    let mut assignment = vec![0u16; n];
    // Each point's margin when last evaluated plus the slack accrued
    // until then (see `reassign`).
    let mut bound = vec![0f32; n];
    assign_all(points, &centres, kernels, &mut bound, &mut assignment, None);
    let mut sums = ClusterSums::of(points, &assignment, centres.len());
    let mut slack = 0f64;
    let mut active = Vec::with_capacity(n);
    for iteration in 0..stop.max_iterations.max(1) {
        let mut state = State { bound: &mut bound, assignment: &mut assignment, sums: &mut sums, active: &mut active };
        if iteration > 0 && reassign(points, &centres, kernels, slack as f32, &mut state) == 0 {
            break;
        }
        let (shift, drift) = sums.move_centres(points, &assignment, &mut centres);
        slack += 2.0 * drift;
        if shift <= stop.still {
            break;
        }
    }
    let mut state = State { bound: &mut bound, assignment: &mut assignment, sums: &mut sums, active: &mut active };
    reassign(points, &centres, kernels, slack as f32, &mut state);
    Clustering { centres, assignment }
}

/// [`lloyd`] for at most `iterations` iterations, without bounds (every
/// point evaluated each time, the sums added up afresh: cheaper than the
/// bookkeeping when most points move, as in the first iterations from a
/// seeding): the same centres as [`lloyd`] with `max_iterations =
/// iterations`, and their weighted inertia from the last assignment (as
/// `mod.rs`'s `inertia_of` would compute it).
#[inline(always)]
pub(super) fn lloyd_short(points: &Points, mut centres: Vec<Point>, stop: Stop, kernels: Kernels) -> (f64, Vec<Point>) {
    let n = points.len();
    let mut assignment = vec![0u16; n];
    let mut scratch = vec![0f32; n];
    for iteration in 0..stop.max_iterations.max(1) {
        let before = (iteration > 0).then(|| assignment.clone());
        assign_all(points, &centres, kernels, &mut scratch, &mut assignment, None);
        if before.is_some_and(|b| b == assignment) {
            break;
        }
        let sums = ClusterSums::of(points, &assignment, centres.len());
        if sums.move_centres(points, &assignment, &mut centres).0 <= stop.still {
            break;
        }
    }
    let mut inertia = vec![0f32; n];
    assign_all(points, &centres, kernels, &mut scratch, &mut assignment, Some(&mut inertia));
    let total = match points.weights() {
        Some(w) => inertia.iter().zip(w).map(|(&d, &w)| f64::from(w * d)).sum(),
        None => inertia.iter().map(|&d| f64::from(d)).sum(),
    };
    (total, centres)
}

/// Plain Lloyd's iterations, every point against every centre each time
/// and the sums added up afresh: the reference [`lloyd`] is tested against.
#[cfg(test)]
pub(super) fn lloyd_plain(points: &Points, mut centres: Vec<Point>, stop: Stop) -> Clustering {
    let mut assignment = vec![0u16; points.len()];
    let assign_all = |centres: &[Point], assignment: &mut [u16]| {
        let mut changed = 0;
        for (i, a) in assignment.iter_mut().enumerate() {
            let label = nearest(&points.at(i), centres);
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
        if sums.move_centres(points, &assignment, &mut centres).0 <= stop.still {
            break;
        }
    }
    assign_all(&centres, &mut assignment);
    Clustering { centres, assignment }
}

/// The eight values from `at`.
#[inline(always)]
fn eight(values: &[f32], at: usize) -> &[f32; LANES] {
    values[at..at + LANES].try_into().expect("eight values")
}

/// The eight points listed in `at`, channel by channel.
#[inline(always)]
fn gather(points: &Points, at: &[u32; LANES]) -> [[f32; LANES]; 3] {
    points.channels.each_ref().map(|c| std::array::from_fn(|l| c[at[l] as usize]))
}

/// The indices in `at` from `start`, eight of them (past the end, the
/// last index again).
#[inline(always)]
fn eight_listed(at: &[u32], start: usize) -> [u32; LANES] {
    let last = at[at.len() - 1];
    std::array::from_fn(|l| at.get(start + l).copied().unwrap_or(last))
}

/// Assigns every point to its nearest centre (the first of equals) and
/// sets its `bound` to its margin, and its `best` (when asked) to its
/// squared distance to the centre.
#[inline(always)]
fn assign_all(
    points: &Points,
    centres: &[Point],
    kernels: Kernels,
    bound: &mut [f32],
    assignment: &mut [u16],
    mut best: Option<&mut [f32]>,
) {
    let [r, g, b] = &points.channels;
    let n = points.len();
    let whole = n - n % LANES;
    for start in (0..whole).step_by(LANES) {
        let near = kernels.block(eight(r, start), eight(g, start), eight(b, start), centres);
        bound[start..start + LANES].copy_from_slice(&near.margin);
        assignment[start..start + LANES].copy_from_slice(&near.label);
        if let Some(best) = best.as_deref_mut() {
            best[start..start + LANES].copy_from_slice(&near.best);
        }
    }
    if whole < n {
        let tail: Vec<u32> = (whole as u32..n as u32).collect();
        let group = eight_listed(&tail, 0);
        let [r, g, b] = gather(points, &group);
        let near = kernels.block(&r, &g, &b, centres);
        for (l, &i) in group.iter().enumerate() {
            bound[i as usize] = near.margin[l];
            assignment[i as usize] = near.label[l];
            if let Some(best) = best.as_deref_mut() {
                best[i as usize] = near.best[l];
            }
        }
    }
}

/// What a margin must exceed to prove a point stays: the rounding that
/// the margins and slacks accumulate over the iterations (f32 distances of
/// at most 442), so that a skipped point is one the brute-force pass would
/// leave where it is.
const MARGIN_SPARE: f32 = 1e-2;

/// What [`reassign`] updates.
struct State<'a> {
    bound: &'a mut [f32],
    assignment: &'a mut [u16],
    sums: &'a mut ClusterSums,
    /// Scratch: the points to evaluate.
    active: &'a mut Vec<u32>,
}

impl State<'_> {
    /// Records point `i`'s evaluation: its new bound, and its move
    /// (between the sums) if its label changed. Returns 1 if it moved.
    #[inline(always)]
    fn settle(&mut self, points: &Points, i: usize, label: u16, bound: f32) -> usize {
        self.bound[i] = bound;
        let old = self.assignment[i];
        if old == label {
            return 0;
        }
        self.sums.remove(points, i, usize::from(old));
        self.sums.add(points, i, usize::from(label));
        self.assignment[i] = label;
        1
    }
}

/// Reassigns the points after the centres moved, `slack` being the
/// margins' possible shrinkage (twice the centres' largest move) summed
/// over the iterations so far: a point whose bound (its margin when last
/// evaluated plus the slack then) exceeds the slack now stays where it is
/// and is not evaluated. The others are evaluated, as a block when most of
/// their block is, else listed and gathered; their bounds are renewed, and
/// those that change cluster move between the sums. Returns how many
/// changed.
#[inline(always)]
fn reassign(points: &Points, centres: &[Point], kernels: Kernels, slack: f32, state: &mut State<'_>) -> usize {
    /// Failing bounds in a block from which the whole block is evaluated.
    const BLOCK_WORTH: u32 = 6;
    let [r, g, b] = &points.channels;
    let n = points.len();
    let whole = n - n % LANES;
    let limit = slack + MARGIN_SPARE;
    let mut changed = 0;
    let mut active = std::mem::take(state.active);
    active.clear();
    for start in (0..whole).step_by(LANES) {
        // One vector compare and a mask per block; nothing is written for
        // the blocks that pass.
        let mut failing = kernels.at_most(eight(state.bound, start), limit);
        if failing == 0 {
            continue;
        }
        if failing.count_ones() >= BLOCK_WORTH {
            let near = kernels.block(eight(r, start), eight(g, start), eight(b, start), centres);
            for l in 0..LANES {
                changed += state.settle(points, start + l, near.label[l], near.margin[l] + slack);
            }
            continue;
        }
        while failing != 0 {
            active.push((start + failing.trailing_zeros() as usize) as u32);
            failing &= failing - 1;
        }
    }
    active.extend((whole..n).filter(|&i| state.bound[i] <= limit).map(|i| i as u32));
    // Eight at a time; a point listed twice (the padding) settles twice
    // with the same result: the second time it does not move. (Loops, not
    // closures: a closure is compiled without the caller's target
    // features.)
    for start in (0..active.len()).step_by(LANES) {
        let group = eight_listed(&active, start);
        let [r, g, b] = gather(points, &group);
        let near = kernels.block(&r, &g, &b, centres);
        for (l, &i) in group.iter().enumerate() {
            changed += state.settle(points, i as usize, near.label[l], near.margin[l] + slack);
        }
    }
    *state.active = active;
    changed
}

/// The index of the centre nearest to `p` (the first of equals).
#[cfg(test)]
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

/// Adds `widen(items[i])` to table `(i % 4) * k + assignment[i]` of
/// `tables` (four tables taken in turn, so that consecutive points of one
/// cluster do not wait for each other's stores).
#[inline(always)]
fn add_all<T: Copy>(tables: &mut [[u64; 4]], k: usize, items: &[T], assignment: &[u16], widen: impl Fn(T) -> [u64; 4]) {
    let (quads, rest) = (items.chunks_exact(4), items.len() % 4);
    for (q, a) in quads.zip(assignment.chunks_exact(4)) {
        for t in 0..4 {
            let s = &mut tables[t * k + usize::from(a[t])];
            let v = widen(q[t]);
            for c in 0..4 {
                s[c] += v[c];
            }
        }
    }
    for i in items.len() - rest..items.len() {
        let s = &mut tables[usize::from(assignment[i])];
        let v = widen(items[i]);
        for c in 0..4 {
            s[c] += v[c];
        }
    }
}

/// Per-cluster sums of the channels and the pixel counts of the points
/// assigned to them, in integers: exact whatever the order of the
/// additions and removals.
struct ClusterSums {
    sums: Vec<[u64; 4]>,
}

impl ClusterSums {
    #[inline(always)]
    fn of(points: &Points, assignment: &[u16], k: usize) -> ClusterSums {
        // Four tables, taken in turn (see `add_all`).
        let mut tables = vec![[0u64; 4]; 4 * k];
        match &points.source {
            Source::Pixels(p) => add_all(&mut tables, k, p, assignment, |v| [v[0].into(), v[1].into(), v[2].into(), 1]),
            Source::Cells { sums, .. } => add_all(&mut tables, k, sums, assignment, |v| v.map(u64::from)),
        }
        let sums = (0..k)
            .map(|i| {
                let mut s = [0u64; 4];
                for t in 0..4 {
                    for c in 0..4 {
                        s[c] += tables[t * k + i][c];
                    }
                }
                s
            })
            .collect();
        ClusterSums { sums }
    }

    /// Adds point `i` (the pixels it stands for) to `cluster`.
    #[inline(always)]
    fn add(&mut self, points: &Points, i: usize, cluster: usize) {
        let v = points.sum_of(i);
        let s = &mut self.sums[cluster];
        for c in 0..4 {
            s[c] += v[c];
        }
    }

    /// Takes point `i` out of `cluster`.
    #[inline(always)]
    fn remove(&mut self, points: &Points, i: usize, cluster: usize) {
        let v = points.sum_of(i);
        let s = &mut self.sums[cluster];
        for c in 0..4 {
            s[c] -= v[c];
        }
    }

    /// Moves each centre to the mean of its points; an emptied centre moves
    /// to the point farthest from its own centre (the next emptied one to
    /// the next farthest), so k colours stay in use. Returns the summed
    /// squared shift of the centres and the largest shift.
    #[inline(always)]
    fn move_centres(&self, points: &Points, assignment: &[u16], centres: &mut [Point]) -> (f64, f64) {
        let mut emptied = false;
        let (mut shift, mut drift) = (0f64, 0f32);
        for (centre, s) in centres.iter_mut().zip(&self.sums) {
            let moved = if s[3] > 0 {
                let n = s[3] as f64;
                [0, 1, 2].map(|c| (s[c] as f64 / n) as f32)
            } else {
                emptied = true;
                *centre
            };
            let d = distance2(centre, &moved);
            shift += f64::from(d);
            drift = drift.max(d.sqrt());
            *centre = moved;
        }
        if emptied {
            let before = centres.to_vec();
            let mut own: Vec<f32> =
                assignment.iter().enumerate().map(|(i, &a)| distance2(&points.at(i), &before[usize::from(a)])).collect();
            for i in (0..centres.len()).filter(|&i| self.sums[i][3] == 0) {
                let far = own.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(j, _)| j);
                if let Some(j) = far {
                    centres[i] = points.at(j);
                    own[j] = f32::NEG_INFINITY;
                    let d = distance2(&before[i], &centres[i]);
                    shift += f64::from(d);
                    drift = drift.max(d.sqrt());
                }
            }
        }
        (shift, f64::from(drift))
    }
}
