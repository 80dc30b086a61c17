//! Motion estimation: correctness against brute force, honest SADs, known
//! shifts, thread-count determinism, SIMD == scalar, and bad input.

use asp_core::codec::mv::QpelMv;
use asp_core::codec::{predict_luma, PlaneRef};
use asp_encoder::motion::{
    HalfpelPlanes,
    estimate_motion_parallel, FrameRole, MotionError, MotionEstimator, MotionField,
    MotionVector, FullPelMv, MvCost, Sad, SearchAlgorithm, SearchScratch, SubpelPrecision,
};

// The hit rates asserted below (how often each search finds a known
// shift) were measured on xorshift's pictures; they keep them.
use asp_testkit::XorShift64 as Rng;

/// A plane of `w` x `h` at `stride`, padding bytes set to a junk value.
struct Frame {
    data: Vec<u8>,
    w: usize,
    h: usize,
    stride: usize,
}

impl Frame {
    fn plane(&self) -> PlaneRef<'_> {
        PlaneRef::new(&self.data, self.w, self.h, self.stride).unwrap()
    }
    fn at(&self, x: usize, y: usize) -> u8 {
        self.data[y * self.stride + x]
    }
    fn from_fn(w: usize, h: usize, stride: usize, mut f: impl FnMut(usize, usize) -> u8) -> Frame {
        let mut data = vec![0xA5u8; stride * h];
        for y in 0..h {
            for x in 0..w {
                data[y * stride + x] = f(x, y);
            }
        }
        Frame { data, w, h, stride }
    }
}

fn random_frame(rng: &mut Rng, w: usize, h: usize, stride: usize) -> Frame {
    let vals: Vec<u8> = (0..w * h).map(|_| rng.index(256) as u8).collect();
    Frame::from_fn(w, h, stride, |x, y| vals[y * w + x])
}

/// Smooth "real-like" content: bilinearly upsampled coarse noise (cells of
/// 8 pixels) plus a little fine noise, like an out-of-focus natural scene.
fn smooth_frame(rng: &mut Rng, w: usize, h: usize, stride: usize, fine: usize) -> Frame {
    smooth_frame_cells(rng, w, h, stride, fine, 8)
}

/// As [`smooth_frame`] with coarse cells of `cell` pixels.
fn smooth_frame_cells(
    rng: &mut Rng,
    w: usize,
    h: usize,
    stride: usize,
    fine: usize,
    cell: usize,
) -> Frame {
    let (cw, ch) = (w / cell + 3, h / cell + 3);
    let coarse: Vec<i32> = (0..cw * ch).map(|_| rng.index(256) as i32).collect();
    let noise: Vec<i32> = (0..w * h)
        .map(|_| rng.index(2 * fine + 1) as i32 - fine as i32)
        .collect();
    Frame::from_fn(w, h, stride, |x, y| {
        let n = cell as i32;
        let (cx, cy, fx, fy) = (x / cell, y / cell, (x % cell) as i32, (y % cell) as i32);
        let c = |i: usize, j: usize| coarse[j * cw + i];
        let top = c(cx, cy) * (n - fx) + c(cx + 1, cy) * fx;
        let bot = c(cx, cy + 1) * (n - fx) + c(cx + 1, cy + 1) * fx;
        let v = (top * (n - fy) + bot * fy + n * n / 2) / (n * n) + noise[y * w + x];
        v.clamp(0, 255) as u8
    })
}

/// Natural-image-like content: octaves of bilinear value noise (cells of
/// 32, 16, 8 and 4 pixels, amplitude halving with the cell size), so detail
/// exists at every scale and is spatially correlated, like a photograph's
/// roughly 1/f spectrum.
fn natural_frame(rng: &mut Rng, w: usize, h: usize, stride: usize) -> Frame {
    let octaves: Vec<Frame> = [32, 16, 8, 4]
        .iter()
        .map(|&cell| smooth_frame_cells(rng, w, h, w, 0, cell))
        .collect();
    Frame::from_fn(w, h, stride, |x, y| {
        let v = octaves
            .iter()
            .zip([8, 4, 2, 1])
            .map(|(o, a)| o.at(x, y) as u32 * a)
            .sum::<u32>();
        (v / 15) as u8
    })
}

/// `f` moved by `(dx, dy)`: `out(x, y) = f(x + dx, y + dy)` (edge-clamped),
/// so block (x, y) of `out` matches `f` at displacement (dx, dy).
fn shifted(f: &Frame, dx: i32, dy: i32, stride: usize) -> Frame {
    Frame::from_fn(f.w, f.h, stride, |x, y| {
        let sx = (x as i32 + dx).clamp(0, f.w as i32 - 1) as usize;
        let sy = (y as i32 + dy).clamp(0, f.h as i32 - 1) as usize;
        f.at(sx, sy)
    })
}

#[allow(clippy::too_many_arguments)]
fn naive_sad(
    cur: &Frame,
    refp: &Frame,
    px: usize,
    py: usize,
    w: usize,
    h: usize,
    dx: i32,
    dy: i32,
) -> u32 {
    let mut s = 0u32;
    for y in 0..h {
        for x in 0..w {
            let r = refp.at(
                (px as i32 + x as i32 + dx) as usize,
                (py as i32 + y as i32 + dy) as usize,
            );
            s += cur.at(px + x, py + y).abs_diff(r) as u32;
        }
    }
    s
}

/// Block geometry the way the module docs define it.
fn block_rect(f: &Frame, bs: usize, bx: usize, by: usize) -> (usize, usize, usize, usize) {
    let (px, py) = (bx * bs, by * bs);
    (px, py, bs.min(f.w - px), bs.min(f.h - py))
}

/// Naive exhaustive search: every displacement within the range that keeps
/// the block inside the frame; minimum of (sad, |dx|+|dy|, dy, dx).
fn brute_force(
    cur: &Frame,
    refp: &Frame,
    bs: usize,
    range: i32,
    bx: usize,
    by: usize,
) -> (i32, i32, u32) {
    let (px, py, w, h) = block_rect(cur, bs, bx, by);
    let mut best: Option<(u32, i32, i32, i32)> = None;
    for dy in -range..=range {
        for dx in -range..=range {
            let (x0, y0) = (px as i32 + dx, py as i32 + dy);
            if x0 < 0 || y0 < 0 || x0 + w as i32 > cur.w as i32 || y0 + h as i32 > cur.h as i32 {
                continue;
            }
            let key = (
                naive_sad(cur, refp, px, py, w, h, dx, dy),
                dx.abs() + dy.abs(),
                dy,
                dx,
            );
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
    }
    let b = best.unwrap();
    (b.3, b.2, b.0)
}

fn field(est: &MotionEstimator, cur: &Frame, refp: &Frame) -> MotionField {
    est.estimate(cur.plane(), refp.plane()).unwrap()
}

#[test]
fn full_search_equals_brute_force() {
    let mut rng = Rng::new(0x1234_5678_9abc_def1);
    // (width, height, block, range): multiples and non-multiples of the block.
    let cases = [
        (48, 40, 8, 7),
        (37, 29, 8, 5),
        (64, 48, 16, 16),
        (70, 50, 16, 9),
        (40, 36, 4, 6),
        (72, 66, 32, 12),
    ];
    for (i, &(w, h, bs, range)) in cases.iter().enumerate() {
        for kind in 0..3 {
            let (refp, cur) = match kind {
                0 => (
                    random_frame(&mut rng, w, h, w + 3),
                    random_frame(&mut rng, w, h, w + 1),
                ),
                1 => {
                    let r = smooth_frame(&mut rng, w, h, w + 5, 3);
                    let c = shifted(&r, 3, -2, w);
                    (r, c)
                }
                _ => {
                    // Real-like: a smooth scene, moved, with noise added.
                    let r = smooth_frame(&mut rng, w, h, w, 2);
                    let s = shifted(&r, -4, 1, w);
                    let c = Frame::from_fn(w, h, w + 7, |x, y| {
                        s.at(x, y).saturating_add(rng.index(4) as u8)
                    });
                    (r, c)
                }
            };
            for sad in [Sad::detect(), Sad::scalar()] {
                let est = MotionEstimator::new(bs, range, SearchAlgorithm::Full, 1000)
                    .unwrap()
                    .with_sad(sad);
                let f = field(&est, &cur, &refp);
                assert_eq!(f.vectors.len(), w.div_ceil(bs) * h.div_ceil(bs));
                for v in &f.vectors {
                    let want = brute_force(
                        &cur,
                        &refp,
                        bs,
                        range as i32,
                        v.block_x() as usize,
                        v.block_y() as usize,
                    );
                    assert_eq!(
                        (v.dx() as i32, v.dy() as i32, v.sad()),
                        want,
                        "case {i} kind {kind} {} block ({}, {})",
                        sad.features(),
                        v.block_x(),
                        v.block_y()
                    );
                }
            }
        }
    }
}

/// Recomputes the SAD of every returned vector (whole or quarter pixels) the
/// slow way: naive SAD, or naive SAD against `predict_luma`.
fn check_measured(est: &MotionEstimator, cur: &Frame, refp: &Frame, f: &MotionField) {
    let bs = est.block_size();
    let r = est.search_range() as i32;
    for v in &f.vectors {
        let (px, py, w, h) = block_rect(cur, bs, v.block_x() as usize, v.block_y() as usize);
        let (dx, dy) = (v.dx() as i32, v.dy() as i32);
        let sad = if f.precision == 1 {
            assert!(dx.abs() <= r && dy.abs() <= r, "{dx},{dy} out of range");
            assert!(px as i32 + dx >= 0 && px as i32 + dx + w as i32 <= cur.w as i32);
            assert!(py as i32 + dy >= 0 && py as i32 + dy + h as i32 <= cur.h as i32);
            naive_sad(cur, refp, px, py, w, h, dx, dy)
        } else {
            assert_eq!(f.precision, 4);
            assert!(dx.abs() <= 4 * r + 3 && dy.abs() <= 4 * r + 3);
            let mut pred = vec![0u8; w * h];
            predict_luma(
                refp.plane(),
                4 * px as i32 + dx,
                4 * py as i32 + dy,
                w,
                h,
                &mut pred,
                w,
            )
            .unwrap();
            let mut s = 0;
            for y in 0..h {
                for x in 0..w {
                    s += cur.at(px + x, py + y).abs_diff(pred[y * w + x]) as u32;
                }
            }
            s
        };
        assert_eq!(
            v.sad(),
            sad,
            "{:?} block ({}, {}) vector ({dx}, {dy})",
            est.algorithm(),
            v.block_x(),
            v.block_y()
        );
    }
}

#[test]
fn every_search_returns_a_sad_it_measured() {
    let mut rng = Rng::new(99);
    for &(w, h, bs, range) in &[
        (96, 64, 16, 16),
        (50, 38, 8, 7),
        (67, 45, 32, 20),
        (33, 21, 4, 3),
    ] {
        let refp = smooth_frame(&mut rng, w, h, w + 2, 6);
        let s = shifted(&refp, 5, 3, w);
        let cur = Frame::from_fn(w, h, w, |x, y| s.at(x, y) ^ (rng.index(8) as u8));
        let rnd = random_frame(&mut rng, w, h, w);
        for alg in SearchAlgorithm::ALL {
            for sub in [
                SubpelPrecision::Integer,
                SubpelPrecision::Half,
                SubpelPrecision::Quarter,
            ] {
                for early in [0, 200] {
                    let est = MotionEstimator::new(bs, range, alg, early)
                        .unwrap()
                        .with_subpel(sub);
                    check_measured(&est, &cur, &refp, &field(&est, &cur, &refp));
                    check_measured(&est, &rnd, &refp, &field(&est, &rnd, &refp));
                    // With the previous frame's field as co-located predictors.
                    let prev = field(&est, &rnd, &refp);
                    let f = est
                        .estimate_with_previous(cur.plane(), refp.plane(), Some(&prev))
                        .unwrap();
                    check_measured(&est, &cur, &refp, &f);
                }
            }
        }
    }
}

/// A frame moved by a known shift: every block whose match lies inside the
/// frame (its content is not edge-clamped) must find the shift exactly with
/// the full search, and all but a few with each fast search. (A fast search
/// starts from its neighbours' vectors; next to an edge where the shift
/// cannot be matched those are wrong, and a local search may then settle in
/// a local minimum: a few percent of the blocks at most, as checked here.)
#[test]
fn every_search_finds_a_known_shift() {
    let mut rng = Rng::new(4242);
    let (w, h) = (160, 128);
    let refp = natural_frame(&mut rng, w, h, w);
    for &(dx, dy) in &[
        (3, -2),
        (-6, 5),
        (0, 7),
        (1, 0),
        (11, -9),
        (-15, -13),
        (16, 16),
    ] {
        let cur = shifted(&refp, dx, dy, w + 16);
        for bs in [8, 16, 32] {
            for alg in SearchAlgorithm::ALL {
                let est = MotionEstimator::new(bs, 16, alg, 0).unwrap();
                let f = field(&est, &cur, &refp);
                let (mut inside, mut found) = (0, 0);
                for v in &f.vectors {
                    let (px, py, bw, bh) =
                        block_rect(&cur, bs, v.block_x() as usize, v.block_y() as usize);
                    if px as i32 + dx >= 0
                        && py as i32 + dy >= 0
                        && (px + bw) as i32 + dx <= w as i32
                        && (py + bh) as i32 + dy <= h as i32
                    {
                        inside += 1;
                        if (v.dx() as i32, v.dy() as i32, v.sad()) == (dx, dy, 0) {
                            found += 1;
                        } else if alg == SearchAlgorithm::Full {
                            panic!(
                                "full bs {bs} shift ({dx}, {dy}) block ({}, {}): {v:?}",
                                v.block_x(),
                                v.block_y()
                            );
                        }
                    }
                }
                assert!(inside > 0);
                // At most 5% missed, and at most 1 block where fewer than 20 qualify.
                let missed = inside - found;
                assert!(
                    missed * 20 <= inside || missed <= 1,
                    "{alg} bs {bs} shift ({dx}, {dy}): found in {found} of {inside} blocks"
                );
            }
        }
    }
}

#[test]
fn subpel_refinement_finds_a_quarter_pel_shift() {
    let mut rng = Rng::new(777);
    let (w, h) = (96, 80);
    let refp = smooth_frame(&mut rng, w, h, w, 0);
    for &(qx, qy) in &[(5, -3), (2, 2), (-7, 1), (9, 10), (-1, -2)] {
        // current = the reference interpolated at a quarter-pel offset.
        let mut data = vec![0u8; w * h];
        predict_luma(refp.plane(), qx, qy, w, h, &mut data, w).unwrap();
        let cur = Frame {
            data,
            w,
            h,
            stride: w,
        };
        for alg in [SearchAlgorithm::Diamond, SearchAlgorithm::Full] {
            let est = MotionEstimator::new(16, 8, alg, 0)
                .unwrap()
                .with_subpel(SubpelPrecision::Quarter);
            let f = field(&est, &cur, &refp);
            assert_eq!(f.precision, 4);
            check_measured(&est, &cur, &refp, &f);
            // Interior blocks: the exact quarter-pel vector with SAD 0.
            for v in &f.vectors {
                let (bx, by) = (v.block_x() as usize, v.block_y() as usize);
                if bx == 0 || by == 0 || bx + 1 >= f.blocks_x || by + 1 >= f.blocks_y {
                    continue;
                }
                assert_eq!(
                    (v.dx() as i32, v.dy() as i32, v.sad()),
                    (qx, qy, 0),
                    "{alg} block ({bx}, {by})"
                );
            }
            // Half-pel refinement: even quarter-pel units only, never worse than integer.
            let half = MotionEstimator::new(16, 8, alg, 0)
                .unwrap()
                .with_subpel(SubpelPrecision::Half);
            let fh = field(&half, &cur, &refp);
            let fi = field(&MotionEstimator::new(16, 8, alg, 0).unwrap(), &cur, &refp);
            for (a, b) in fh.vectors.iter().zip(&fi.vectors) {
                assert!(a.dx() % 2 == 0 && a.dy() % 2 == 0);
                assert!(a.sad() <= b.sad());
            }
            check_measured(&half, &cur, &refp, &fh);
        }
    }
}

/// On a reference interpolated once ([`HalfpelPlanes`]) the refinement
/// finds the same vector as on per-block windows when the whole-sample
/// start is right, and walks on to the exact shift from a start a few
/// samples off (where the window path stops 3/4 sample out).
#[test]
fn refinement_on_interpolated_planes_walks_to_the_shift() {
    let mut rng = Rng::new(4242);
    let (w, h) = (96, 80);
    let refp = smooth_frame(&mut rng, w, h, w, 0);
    let planes = HalfpelPlanes::new(refp.plane(), 16);
    for &(qx, qy) in &[(5, -3), (-7, 6), (9, 10)] {
        let mut data = vec![0u8; w * h];
        predict_luma(refp.plane(), qx, qy, w, h, &mut data, w).unwrap();
        let cur = Frame { data, w, h, stride: w };
        let est = MotionEstimator::new(16, 8, SearchAlgorithm::Diamond, 0).unwrap();
        let mut scratch = SearchScratch::new();
        let near = QpelMv::new(qx as i16, qy as i16).to_full_pel_round();
        let on = est.refine_block_on(cur.plane(), &planes, 2, 2, near, SubpelPrecision::Quarter, MvCost::NONE).unwrap();
        let window = est
            .refine_block_with_cost(cur.plane(), refp.plane(), 2, 2, near, SubpelPrecision::Quarter, MvCost::NONE, &mut scratch)
            .unwrap();
        assert_eq!((on.dx(), on.dy(), on.sad()), (window.dx(), window.dy(), window.sad()));
        assert_eq!((on.dx() as i32, on.dy() as i32, on.sad()), (qx, qy, 0));
        let far = FullPelMv::new(near.x + 2, near.y - 2);
        let walked = est.refine_block_on(cur.plane(), &planes, 2, 2, far, SubpelPrecision::Quarter, MvCost::NONE).unwrap();
        assert_eq!((walked.dx() as i32, walked.dy() as i32, walked.sad()), (qx, qy, 0), "from {far:?}");
    }
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

#[test]
fn one_thread_equals_many_threads() {
    let mut rng = Rng::new(31337);
    let (w, h) = (200, 136);
    let refp = smooth_frame(&mut rng, w, h, w, 4);
    let s = shifted(&refp, -3, 2, w);
    let cur = Frame::from_fn(w, h, w, |x, y| {
        if (x / 24 + y / 24) % 3 == 0 {
            s.at(x, y)
        } else {
            refp.at(x, y)
        }
    });
    let (p1, p2, p3) = (pool(1), pool(2), pool(3));
    for alg in SearchAlgorithm::ALL {
        for bs in [4, 8, 16] {
            for sub in [SubpelPrecision::Integer, SubpelPrecision::Quarter] {
                let est = MotionEstimator::new(bs, 12, alg, 64)
                    .unwrap()
                    .with_subpel(sub);
                let one = p1.install(|| field(&est, &cur, &refp));
                let prev_one = p1.install(|| {
                    est.estimate_with_previous(cur.plane(), refp.plane(), Some(&one))
                        .unwrap()
                });
                for p in [&p2, &p3] {
                    let many = p.install(|| field(&est, &cur, &refp));
                    assert_eq!(one, many, "{alg} bs {bs} {sub:?}");
                    let prev_many = p.install(|| {
                        est.estimate_with_previous(cur.plane(), refp.plane(), Some(&many))
                            .unwrap()
                    });
                    assert_eq!(prev_one, prev_many);
                }
            }
        }
    }
}

#[test]
fn simd_estimator_equals_scalar_estimator() {
    let mut rng = Rng::new(5);
    let (w, h) = (123, 77);
    let refp = smooth_frame(&mut rng, w, h, w + 9, 5);
    let cur = shifted(&refp, 2, -1, w + 1);
    let isas: Vec<Sad> = asp_core::CpuFeatures::host().levels().map(Sad::new).collect();
    for alg in SearchAlgorithm::ALL {
        for bs in [4, 8, 16, 32] {
            let base = MotionEstimator::new(bs, 10, alg, 100)
                .unwrap()
                .with_subpel(SubpelPrecision::Quarter);
            let want = field(&base.clone().with_sad(Sad::scalar()), &cur, &refp);
            for &s in &isas {
                assert_eq!(
                    field(&base.clone().with_sad(s), &cur, &refp),
                    want,
                    "{} {alg} {bs}",
                    s.features()
                );
            }
        }
    }
}

#[test]
fn bad_input_is_a_typed_error() {
    let a = vec![0u8; 64 * 48];
    let short = vec![0u8; 64 * 48 - 1];
    let est = |bs, r| MotionEstimator::new(bs, r, SearchAlgorithm::Diamond, 0);
    for bs in [0, 1, 2, 3, 5, 7, 12, 24, 64, usize::MAX] {
        assert_eq!(
            est(bs, 8).unwrap_err(),
            MotionError::UnsupportedBlockSize { block_size: bs }
        );
    }
    assert_eq!(
        est(16, 65).unwrap_err(),
        MotionError::SearchRangeTooLarge { search_range: 65 }
    );
    assert!(est(16, 64).is_ok() && est(16, 0).is_ok());

    let call = |c: &[u8], p: &[u8], w, h, bs| {
        estimate_motion_parallel(c, p, w, h, bs, 8, SearchAlgorithm::Hexagon, 0)
    };
    assert!(matches!(
        call(&short, &a, 64, 48, 16),
        Err(MotionError::BadFrame {
            frame: FrameRole::Current,
            ..
        })
    ));
    assert!(matches!(
        call(&a, &short, 64, 48, 16),
        Err(MotionError::BadFrame {
            frame: FrameRole::Reference,
            ..
        })
    ));
    assert!(matches!(
        call(&a, &a, 0, 48, 16),
        Err(MotionError::BadFrame { .. })
    ));
    assert!(matches!(
        call(&a, &a, 64, 0, 16),
        Err(MotionError::BadFrame { .. })
    ));
    assert!(matches!(
        call(&a, &a, usize::MAX, 2, 16),
        Err(MotionError::BadFrame { .. })
    ));
    assert!(matches!(
        call(&a, &a, 64, 48, 10),
        Err(MotionError::UnsupportedBlockSize { .. })
    ));
    assert!(matches!(
        call(&[], &[], 1, 1, 16),
        Err(MotionError::BadFrame { .. })
    ));
    assert_eq!(call(&a, &a, 64, 48, 16).unwrap().len(), 12);

    // Strided planes: the checked constructor refuses short data or stride < width.
    assert!(PlaneRef::new(&a, 64, 48, 63).is_err());
    assert!(PlaneRef::new(&a, 60, 48, 65).is_err());

    let e = est(16, 8).unwrap();
    let big = PlaneRef::packed(&a, 64, 48).unwrap();
    let small = PlaneRef::packed(&a, 48, 48).unwrap();
    assert_eq!(
        e.estimate(big, small).unwrap_err(),
        MotionError::SizeMismatch {
            current: (64, 48),
            reference: (48, 48)
        }
    );
    let mut scratch = SearchScratch::new();
    assert!(matches!(
        e.search_block(big, big, 4, 0, &[], &mut scratch),
        Err(MotionError::BlockOutOfFrame {
            block_x: 4,
            blocks_x: 4,
            ..
        })
    ));
    assert!(matches!(
        e.refine_block(
            big,
            big,
            0,
            3,
            FullPelMv::ZERO,
            SubpelPrecision::Quarter,
            &mut scratch
        ),
        Err(MotionError::BlockOutOfFrame { .. })
    ));
    let other = MotionEstimator::new(8, 8, SearchAlgorithm::Diamond, 0)
        .unwrap()
        .estimate(big, big)
        .unwrap();
    assert!(matches!(
        e.estimate_with_previous(big, big, Some(&other)),
        Err(MotionError::PreviousFieldMismatch { .. })
    ));
    assert_eq!(
        e.clone().with_stripe_rows(0).unwrap_err(),
        MotionError::ZeroStripeRows
    );
    assert!("nope".parse::<SearchAlgorithm>().is_err());
    assert_eq!(
        "Three-Step".parse::<SearchAlgorithm>().unwrap(),
        SearchAlgorithm::ThreeStep
    );
    // Errors display and chain.
    let err = call(&short, &a, 64, 48, 16).unwrap_err();
    assert!(err.to_string().contains("Current"));
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn tiny_and_odd_frames_are_covered() {
    let mut rng = Rng::new(8);
    for &(w, h) in &[(1, 1), (3, 5), (4, 4), (31, 1), (1, 40), (33, 17)] {
        let r = random_frame(&mut rng, w, h, w + 1);
        let c = random_frame(&mut rng, w, h, w);
        for bs in [4, 8, 16, 32] {
            for alg in SearchAlgorithm::ALL {
                let est = MotionEstimator::new(bs, 64, alg, 0)
                    .unwrap()
                    .with_subpel(SubpelPrecision::Quarter);
                let f = field(&est, &c, &r);
                assert_eq!(f.vectors.len(), w.div_ceil(bs) * h.div_ceil(bs));
                check_measured(&est, &c, &r, &f);
                let covered: usize = f
                    .vectors
                    .iter()
                    .map(|v| {
                        let (_, _, bw, bh) =
                            block_rect(&c, bs, v.block_x() as usize, v.block_y() as usize);
                        bw * bh
                    })
                    .sum();
                assert_eq!(covered, w * h);
            }
        }
    }
}

#[test]
fn per_block_api_matches_frame_api_and_accepts_predictors() {
    let mut rng = Rng::new(6);
    let (w, h) = (64, 64);
    let refp = smooth_frame(&mut rng, w, h, w, 0);
    let cur = shifted(&refp, 9, -7, w);
    let est = MotionEstimator::new(16, 16, SearchAlgorithm::Diamond, 0).unwrap();
    let mut scratch = SearchScratch::new();
    // A correct predictor: found at once, SAD 0.
    let v = est
        .search_block(
            cur.plane(),
            refp.plane(),
            1,
            1,
            &[FullPelMv::new(9, -7)],
            &mut scratch,
        )
        .unwrap();
    assert_eq!(
        (v.block_x(), v.block_y(), v.dx(), v.dy(), v.sad()),
        (1, 1, 9, -7, 0)
    );
    // A predictor beyond the frame is clamped, never read out of bounds.
    let v = est
        .search_block(
            cur.plane(),
            refp.plane(),
            0,
            0,
            &[FullPelMv::new(-300, 300)],
            &mut scratch,
        )
        .unwrap();
    assert!(v.dx() >= 0 && v.dy() >= 0);
    // Full search ignores predictors and equals the frame API.
    let full = MotionEstimator::new(16, 16, SearchAlgorithm::Full, 0).unwrap();
    let f = field(&full, &cur, &refp);
    for by in 0..4 {
        for bx in 0..4 {
            let v = full
                .search_block(
                    cur.plane(),
                    refp.plane(),
                    bx,
                    by,
                    &[FullPelMv::new(1, 1)],
                    &mut scratch,
                )
                .unwrap();
            assert_eq!(&v, f.get(bx, by).unwrap());
        }
    }
    // Refinement of a given integer vector returns quarter pixels.
    let r = est
        .refine_block(
            cur.plane(),
            refp.plane(),
            1,
            1,
            FullPelMv::new(9, -7),
            SubpelPrecision::Quarter,
            &mut scratch,
        )
        .unwrap();
    assert_eq!((r.dx(), r.dy(), r.sad()), (36, -28, 0));
    // The seed's function is the estimator.
    let seed = estimate_motion_parallel(
        &cur.data,
        &refp.data,
        w,
        h,
        16,
        16,
        SearchAlgorithm::Diamond,
        0,
    )
    .unwrap();
    assert_eq!(seed, field(&est, &cur, &refp).vectors);
    let _: &MotionVector = &seed[0];
}

/// The rate term decides among equally good vectors: on a flat picture
/// every displacement has SAD 0, the pure SAD search keeps the first it
/// meets, and the search with a rate term keeps the predicted one (its
/// difference costs the fewest bits) — whole-sample and sub-pel alike. A
/// textured picture's true shift still wins over a cheaper vector.
#[test]
fn rate_term_prefers_the_predicted_vector_among_equals() {
    let (w, h) = (64usize, 64usize);
    let flat = vec![100u8; w * h];
    let plane = PlaneRef::packed(&flat, w, h).unwrap();
    let pred = FullPelMv::new(3, -2);
    let cost = MvCost { pred: QpelMv::new(4 * 3 + 2, 4 * -2), lambda: 16 * 6 };
    let mut scratch = SearchScratch::new();
    for alg in [SearchAlgorithm::Diamond, SearchAlgorithm::Hexagon, SearchAlgorithm::ThreeStep] {
        let est = MotionEstimator::new(16, 8, alg, 0).unwrap();
        // The pure SAD search stops at the first SAD of 0; the weighed one
        // goes on to the vector that costs the fewest bits.
        let plain = est.search_block(plane, plane, 1, 1, &[FullPelMv::ZERO, pred], &mut scratch).unwrap();
        assert_eq!((plain.dx(), plain.dy()), (0, 0), "{alg:?}: first of equals");
        let weighed = est.search_block_with_cost(plane, plane, 1, 1, &[FullPelMv::ZERO, pred], cost, &mut scratch).unwrap();
        assert_eq!((weighed.dx(), weighed.dy()), (3, -2), "{alg:?}: the predicted vector");
        let refined = est
            .refine_block_with_cost(plane, plane, 1, 1, FullPelMv::new(3, -2), SubpelPrecision::Quarter, cost, &mut scratch)
            .unwrap();
        assert_eq!((refined.dx(), refined.dy()), (14, -8), "{alg:?}: the predicted quarter-sample vector");
    }

    // Texture shifted by (5, 2): SAD 0 there beats the predicted vector.
    let mut rng = Rng::new(0x5eed);
    let refp: Vec<u8> = (0..w * h).map(|_| rng.index(256) as u8).collect();
    // cur(x, y) = ref(x + 5, y + 2): the block's motion is (5, 2).
    let cur: Vec<u8> = (0..w * h).map(|i| refp[((i / w + 2).min(h - 1)) * w + (i % w + 5).min(w - 1)]).collect();
    let (cur_plane, ref_plane) = (PlaneRef::packed(&cur, w, h).unwrap(), PlaneRef::packed(&refp, w, h).unwrap());
    let est = MotionEstimator::new(16, 8, SearchAlgorithm::Hexagon, 0).unwrap();
    let found = est.search_block_with_cost(cur_plane, ref_plane, 1, 1, &[FullPelMv::new(5, 2), pred], cost, &mut scratch).unwrap();
    assert_eq!((found.dx(), found.dy(), found.sad()), (5, 2, 0));
}
