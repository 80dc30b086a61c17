//! Deblocking tests: tables, known answers, behaviour on synthetic frames,
//! SIMD == scalar, and band-split (threaded) == serial.

extern crate std;

use super::*;
use crate::codec::mv::QpelMv;
use alloc::vec;
use alloc::vec::Vec;
use std::thread;

use asp_testkit::Rng;

fn params() -> DeblockParams {
    DeblockParams::default()
}

#[test]
fn tables() {
    assert_eq!(ALPHA[15], 0);
    assert_eq!(ALPHA[16], 4);
    assert_eq!(ALPHA[36], 50);
    assert_eq!(ALPHA[51], 255);
    assert_eq!(BETA[15], 0);
    assert_eq!(BETA[16], 2);
    assert_eq!(BETA[51], 18);
    assert_eq!(TC0[16], [0, 0, 0]);
    assert_eq!(TC0[17], [0, 0, 1]);
    assert_eq!(TC0[36], [2, 3, 4]);
    assert_eq!(TC0[51], [13, 17, 25]);
    assert_eq!(CHROMA_QP[29], 29);
    assert_eq!(CHROMA_QP[30], 29);
    assert_eq!(CHROMA_QP[51], 39);
    for i in 1..52 {
        assert!(
            ALPHA[i] >= ALPHA[i - 1] && BETA[i] >= BETA[i - 1] && CHROMA_QP[i] >= CHROMA_QP[i - 1]
        );
        for (now, before) in TC0[i].iter().zip(TC0[i - 1].iter()) {
            assert!(now >= before);
        }
    }
}

#[test]
fn strength() {
    let inter = BlockInfo {
        intra: false,
        coded: false,
        mv: QpelMv::new(0, 0),
        qp: 30,
    };
    let intra = BlockInfo {
        intra: true,
        ..inter
    };
    let coded = BlockInfo {
        coded: true,
        ..inter
    };
    assert_eq!(boundary_strength(&intra, &inter, true), 4);
    assert_eq!(boundary_strength(&inter, &intra, false), 3);
    assert_eq!(boundary_strength(&coded, &inter, true), 2);
    assert_eq!(boundary_strength(&inter, &coded, false), 2);
    let moved = |x, y| BlockInfo {
        mv: QpelMv::new(x, y),
        ..inter
    };
    assert_eq!(boundary_strength(&moved(3, -3), &inter, true), 0);
    assert_eq!(boundary_strength(&moved(4, 0), &inter, true), 1);
    assert_eq!(boundary_strength(&moved(0, -4), &inter, false), 1);
    assert_eq!(
        boundary_strength(&moved(i16::MIN, 0), &moved(i16::MAX, 0), false),
        1
    );
    assert_eq!(boundary_strength(&inter, &inter, true), 0);
}

#[test]
fn line_known_answers() {
    // indexA = indexB = 36: alpha 50, beta 11, tc0 (bS 2) 3.
    let e2 = EdgeParams::new(2, 36, &params());
    assert_eq!(
        e2,
        EdgeParams {
            bs: 2,
            alpha: 50,
            beta: 11,
            tc0: 3
        }
    );
    let line = [60u8, 60, 60, 60, 70, 70, 70, 70];
    let mut s = line;
    luma_line(&mut s, e2);
    // tc = 5, d = (40 - 10 + 4) >> 3 = 4; p1 += (60 + 65 - 120) >> 1 = 2;
    // q1 += (70 + 65 - 140) >> 1 = -3.
    assert_eq!(s, [60, 60, 62, 64, 66, 67, 70, 70]);
    let e4 = EdgeParams::new(4, 36, &params());
    let mut s = line;
    luma_line(&mut s, e4);
    assert_eq!(s, [60, 61, 63, 64, 66, 68, 69, 70]);
    // Not "small" (|p0 - q0| = 14 >= (50 >> 2) + 2): the 3-tap weak variant.
    let mut s = [60u8, 60, 60, 60, 74, 74, 74, 74];
    luma_line(&mut s, e4);
    // (120 + 60 + 74 + 2) >> 2 = 64, (148 + 74 + 60 + 2) >> 2 = 71.
    assert_eq!(s, [60, 60, 60, 64, 71, 74, 74, 74]);
    let mut c = [60u8, 60, 70, 70];
    chroma_line(&mut c, e2);
    assert_eq!(c, [60, 64, 66, 70]);
    let mut c = [60u8, 60, 70, 70];
    chroma_line(&mut c, e4);
    assert_eq!(c, [60, 63, 68, 70]);
    // Offsets move the index: -20 gives index 16 (alpha 4 < 10): untouched.
    let off = DeblockParams {
        offset_a: -20,
        offset_b: 0,
        chroma_qp_offset: 0,
    };
    let mut s = line;
    luma_line(&mut s, EdgeParams::new(2, 36, &off));
    assert_eq!(s, line);
    // QP below 16: no filtering at all, even at bS 4.
    assert!(!EdgeParams::new(4, 15, &params()).active());
    assert!(EdgeParams::new(4, 16, &params()).active());
    assert!(!EdgeParams::new(0, 51, &params()).active());
}

/// A frame of `w` x `h` luma with its chroma and block infos.
#[derive(Clone, PartialEq, Eq, Debug)]
struct TestFrame {
    w: usize,
    h: usize,
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
    blocks: Vec<BlockInfo>,
}

impl TestFrame {
    fn new(
        w: usize,
        h: usize,
        fill: impl Fn(usize, usize) -> u8,
        block: impl Fn(usize, usize) -> BlockInfo,
    ) -> Self {
        let y = (0..w * h).map(|i| fill(i % w, i / w)).collect();
        let (cw, ch) = (w / 2, h / 2);
        let u = (0..cw * ch)
            .map(|i| fill(2 * (i % cw), 2 * (i / cw)))
            .collect();
        let v = (0..cw * ch)
            .map(|i| 255 - fill(2 * (i % cw), 2 * (i / cw)))
            .collect();
        let blocks = (0..(w / 8) * (h / 8))
            .map(|i| block(i % (w / 8), i / (w / 8)))
            .collect();
        TestFrame {
            w,
            h,
            y,
            u,
            v,
            blocks,
        }
    }

    fn planes(&mut self) -> FramePlanes<'_> {
        let (w, h) = (self.w, self.h);
        FramePlanes {
            y: PlaneMut::packed(&mut self.y, w, h).unwrap(),
            u: PlaneMut::packed(&mut self.u, w / 2, h / 2).unwrap(),
            v: PlaneMut::packed(&mut self.v, w / 2, h / 2).unwrap(),
        }
    }

    fn deblock(&mut self, cpu: CpuFeatures, p: DeblockParams) {
        let blocks = self.blocks.clone();
        let d = Deblocker::new(&blocks, self.w, self.h, p)
            .unwrap()
            .with_cpu(cpu);
        d.deblock(&mut self.planes()).unwrap();
    }
}

fn random_frame(rng: &mut Rng, w: usize, h: usize) -> TestFrame {
    // Blocky content: a per-block level plus small noise, with occasional
    // large steps, so every filter branch is reached.
    let seed = rng.next_u64();
    let mut blocks_rng = Rng::new(rng.next_u64());
    let mut bi = Vec::new();
    let qp_base = rng.range(10, 51);
    for _ in 0..(w / 8) * (h / 8) {
        let r = &mut blocks_rng;
        bi.push(BlockInfo {
            intra: r.coin(20),
            coded: r.coin(40),
            mv: QpelMv::new(r.range(-8, 8) as i16, r.range(-8, 8) as i16),
            qp: (qp_base + r.range(-4, 4)).clamp(0, 60) as u8,
        });
    }
    let level = move |bx: usize, by: usize| -> i32 {
        let mut r = Rng::new(seed ^ ((bx as u64) << 32) ^ by as u64);
        if r.coin(10) {
            r.range(0, 255)
        } else {
            128 + r.range(-12, 12)
        }
    };
    let noise_seed = rng.next_u64();
    let mut f = TestFrame::new(
        w,
        h,
        |x, y| {
            let mut r = Rng::new(noise_seed ^ ((x as u64) << 20) ^ y as u64);
            (level(x / 8, y / 8) + r.range(-3, 3)).clamp(0, 255) as u8
        },
        |_, _| BlockInfo::default(),
    );
    f.blocks = bi;
    f
}

#[test]
fn simd_matches_scalar_kernels() {
    let mut rng = Rng::new(1);
    let mut changed = [0usize; 4];
    for iter in 0..20_000 {
        let stride = 8 + rng.below(24) as usize;
        let mut buf: Vec<u8> = vec![0; stride * 8 + 16];
        let base = rng.range(0, 255);
        let step = if rng.coin(50) {
            rng.range(-20, 20)
        } else {
            rng.range(-255, 255)
        };
        let noise = rng.range(0, 12);
        for y in 0..8 {
            for x in 0..stride {
                let left = if iter % 2 == 0 { x < 4 } else { y < 4 };
                let v = base + if left { 0 } else { step } + rng.range(-noise, noise);
                buf[y * stride + x] = v.clamp(0, 255) as u8;
            }
        }
        let qp = match iter % 10 {
            0 => 0,
            1 => 51,
            _ => rng.range(0, 51),
        };
        let bs = rng.range(0, 4) as u8;
        let p = DeblockParams {
            offset_a: rng.range(-12, 12) as i8,
            offset_b: rng.range(-12, 12) as i8,
            chroma_qp_offset: 0,
        };
        let e = EdgeParams::new(bs, qp, &p);
        let e2 = EdgeParams::new(rng.range(0, 4) as u8, rng.range(0, 51), &p);
        let h = [e, e2];
        // Vertical edge at x = 4 of each row; horizontal edge at row 4.
        let cases: [(usize, bool, bool); 4] = [
            (4, true, true),
            (4 * stride, true, false),
            (4, false, true),
            (4 * stride, false, false),
        ];
        for (k, (q0, luma, vertical)) in cases.into_iter().enumerate() {
            let mut a = buf.clone();
            let mut b = buf.clone();
            match (luma, vertical) {
                (true, true) => {
                    luma_segment_scalar(&mut a, q0, 1, stride, 8, e);
                    simd::luma_vertical(true, &mut b, q0, stride, e);
                }
                (true, false) => {
                    luma_segment_scalar(&mut a, q0, stride, 1, 8, e);
                    simd::luma_horizontal(true, &mut b, q0, stride, e);
                }
                (false, true) => {
                    chroma_segment_scalar(&mut a, q0, 1, stride, 8, 0, h);
                    simd::chroma_vertical(true, &mut b, q0, stride, h);
                }
                (false, false) => {
                    chroma_segment_scalar(&mut a, q0, stride, 1, 8, 0, h);
                    simd::chroma_horizontal(true, &mut b, q0, stride, h);
                }
            }
            assert_eq!(a, b, "iter {iter} case {k} stride {stride} e {e:?} h {h:?}");
            if a != buf {
                changed[k] += 1;
            }
        }
    }
    // Every kernel really filtered a good share of the cases.
    for c in changed {
        assert!(c > 2_000, "{changed:?}");
    }
}

/// The 16-column horizontal kernels equal the scalar reference on each
/// 8-column half, with independent (possibly inactive) parameters.
#[test]
fn simd_pairs_match_scalar_kernels() {
    let mut rng = Rng::new(11);
    let mut changed = [0usize; 2];
    for iter in 0..20_000 {
        let stride = 16 + rng.below(24) as usize;
        let mut buf: Vec<u8> = vec![0; stride * 8 + 16];
        let base = rng.range(0, 255);
        let step = if rng.coin(50) { rng.range(-20, 20) } else { rng.range(-255, 255) };
        let noise = rng.range(0, 12);
        for y in 0..8 {
            for x in 0..stride {
                let v = base + if y < 4 { 0 } else { step } + rng.range(-noise, noise);
                buf[y * stride + x] = v.clamp(0, 255) as u8;
            }
        }
        let p = DeblockParams {
            offset_a: rng.range(-12, 12) as i8,
            offset_b: rng.range(-12, 12) as i8,
            chroma_qp_offset: 0,
        };
        let edge = |rng: &mut Rng| {
            let qp = match iter % 10 {
                0 => 0,
                1 => 51,
                _ => rng.range(0, 51),
            };
            EdgeParams::new(rng.range(0, 4) as u8, qp, &p)
        };
        let e = [edge(&mut rng), edge(&mut rng)];
        let h = [[edge(&mut rng), edge(&mut rng)], [edge(&mut rng), edge(&mut rng)]];
        // Edge at row 4, starting at a random column that leaves 16.
        let x = rng.below((stride - 16 + 1) as u64) as usize;
        let (mut a, mut b) = (buf.clone(), buf.clone());
        luma_segment_scalar(&mut a, 4 * stride + x, stride, 1, 8, e[0]);
        luma_segment_scalar(&mut a, 4 * stride + x + 8, stride, 1, 8, e[1]);
        simd::luma_horizontal_pair(true, &mut b, 4 * stride + x, stride, e);
        assert_eq!(a, b, "luma iter {iter} stride {stride} x {x} e {e:?}");
        changed[0] += usize::from(a != buf);
        let (mut a, mut b) = (buf.clone(), buf.clone());
        chroma_segment_scalar(&mut a, 4 * stride + x, stride, 1, 8, 0, h[0]);
        chroma_segment_scalar(&mut a, 4 * stride + x + 8, stride, 1, 8, 0, h[1]);
        simd::chroma_horizontal_pair(true, &mut b, 4 * stride + x, stride, h);
        assert_eq!(a, b, "chroma iter {iter} stride {stride} x {x} h {h:?}");
        changed[1] += usize::from(a != buf);
    }
    for c in changed {
        assert!(c > 2_000, "{changed:?}");
    }
}

#[test]
fn simd_matches_scalar_frames() {
    let mut rng = Rng::new(7);
    let mut filtered = 0;
    for (w, h) in [(16, 16), (48, 32), (64, 80), (112, 48)] {
        for _ in 0..6 {
            let f = random_frame(&mut rng, w, h);
            let p = DeblockParams {
                offset_a: rng.range(-6, 6) as i8,
                offset_b: rng.range(-6, 6) as i8,
                chroma_qp_offset: rng.range(-6, 6) as i8,
            };
            let mut a = f.clone();
            let b = f.clone();
            a.deblock(CpuFeatures::SCALAR, p);
            for cpu in CpuFeatures::host().levels() {
                let mut b = b.clone();
                b.deblock(cpu, p);
                assert!(a == b, "{cpu} {w}x{h} {p:?}");
            }
            if a.y != f.y {
                filtered += 1;
            }
        }
    }
    // Most frames had something to filter (the others drew a low QP).
    assert!(filtered >= 12, "{filtered}");
}

#[test]
fn flat_stays_flat() {
    for cpu in CpuFeatures::host().levels() {
        for qp in [0u8, 30, 51] {
            for intra in [false, true] {
                let mut f = TestFrame::new(
                    64,
                    48,
                    |_, _| 77,
                    |bx, by| BlockInfo {
                        intra,
                        coded: true,
                        mv: QpelMv::new((bx * 8) as i16, (by * 8) as i16),
                        qp,
                    },
                );
                let orig = f.clone();
                f.deblock(cpu, params());
                assert_eq!(f, orig);
            }
        }
    }
}

/// The largest |left - right| across column x (between x-1 and x), any row.
fn step_at(plane: &[u8], w: usize, h: usize, x: usize) -> i32 {
    (0..h)
        .map(|y| (i32::from(plane[y * w + x]) - i32::from(plane[y * w + x - 1])).abs())
        .max()
        .unwrap()
}

#[test]
fn small_steps_are_smoothed_large_kept() {
    for cpu in CpuFeatures::host().levels() {
        // Vertical stripes 8 wide alternating 100 / 106: a blocky 6-level
        // step at every 8x8 edge. High QP, coded inter blocks (bS 2) and
        // intra (bS 3/4).
        for intra in [false, true] {
            let mut f = TestFrame::new(
                64,
                32,
                |x, _| if (x / 8) % 2 == 0 { 100 } else { 106 },
                |_, _| BlockInfo {
                    intra,
                    coded: true,
                    mv: QpelMv::new(0, 0),
                    qp: 40,
                },
            );
            f.deblock(cpu, params());
            for x in (8..64).step_by(8) {
                assert!(
                    step_at(&f.y, 64, 32, x) < 6,
                    "x={x} intra={intra}: {:?}",
                    &f.y[x - 4..x + 4]
                );
            }
            // The same horizontally.
            let mut f = TestFrame::new(
                32,
                64,
                |_, y| if (y / 8) % 2 == 0 { 100 } else { 106 },
                |_, _| BlockInfo {
                    intra,
                    coded: true,
                    mv: QpelMv::new(0, 0),
                    qp: 40,
                },
            );
            f.deblock(cpu, params());
            for y in (8..64).step_by(8) {
                for x in 0..32 {
                    let d = (i32::from(f.y[y * 32 + x]) - i32::from(f.y[(y - 1) * 32 + x])).abs();
                    assert!(d < 6, "y={y}");
                }
            }
        }
        // A real edge (step 100 -> 200, far above alpha at QP 30) survives.
        let make = || {
            TestFrame::new(
                64,
                32,
                |x, _| if x < 24 { 100 } else { 200 },
                |_, _| BlockInfo {
                    intra: true,
                    coded: true,
                    mv: QpelMv::new(0, 0),
                    qp: 30,
                },
            )
        };
        let mut f = make();
        f.deblock(cpu, params());
        assert_eq!(f.y, make().y);
        // bS 0 (inter, uncoded, same motion) leaves a blocky frame untouched.
        let make = || {
            TestFrame::new(
                64,
                32,
                |x, y| ((x / 8) * 3 + (y / 8) * 5) as u8 + 100,
                |_, _| BlockInfo {
                    intra: false,
                    coded: false,
                    mv: QpelMv::new(5, -7),
                    qp: 51,
                },
            )
        };
        let mut f = make();
        f.deblock(cpu, params());
        assert_eq!(f, make());
        // Motion difference alone (bS 1) filters.
        let mut g = TestFrame::new(
            64,
            32,
            |x, y| ((x / 8) * 3 + (y / 8) * 5) as u8 + 100,
            |bx, _| BlockInfo {
                intra: false,
                coded: false,
                mv: QpelMv::new((bx * 4) as i16, 0),
                qp: 40,
            },
        );
        g.deblock(cpu, params());
        assert_ne!(g.y, make().y);
    }
}

/// Only samples next to internal edges change (luma: 3 on each side, chroma:
/// 1), so frame edges are never filtered.
#[test]
fn only_samples_next_to_internal_edges_change() {
    // Blocky noise, all intra at QP 51: filters as much as possible.
    let mut rng = Rng::new(3);
    let mut f = random_frame(&mut rng, 48, 32);
    for b in &mut f.blocks {
        b.intra = true;
        b.qp = 51;
    }
    let orig = f.clone();
    f.deblock(CpuFeatures::detect(), params());
    for y in 0..32 {
        for x in 0..48 {
            let near = |c: usize, n: usize| (1..n / 8).any(|k| c + 3 >= 8 * k && c < 8 * k + 3);
            if !near(x, 48) && !near(y, 32) {
                assert_eq!(f.y[y * 48 + x], orig.y[y * 48 + x], "({x},{y})");
            }
        }
    }
    for y in 0..16 {
        for x in 0..24 {
            let near = |c: usize, n: usize| (1..n / 8).any(|k| c + 1 >= 8 * k && c < 8 * k + 1);
            if !near(x, 24) && !near(y, 16) {
                assert_eq!(f.u[y * 24 + x], orig.u[y * 24 + x], "({x},{y})");
            }
        }
    }
}

/// Random strictly increasing cuts in `1..h`, optionally restricted to rows
/// `8k + 4`.
fn random_cuts(rng: &mut Rng, h: usize, horizontal: bool) -> Vec<usize> {
    let mut cuts: Vec<usize> = if horizontal {
        (0..h / 8).map(|k| 8 * k + 4).filter(|&c| c < h).collect()
    } else {
        (1..h).collect()
    };
    cuts.retain(|_| rng.coin(30));
    cuts
}

/// Deblocks one plane in bands on threads: random cuts for each pass, and
/// random sub-ranges within each band.
fn deblock_plane_banded(
    d: &Deblocker<'_>,
    kind: PlaneKind,
    plane: &mut PlaneMut<'_>,
    rng: &mut Rng,
) {
    let h = plane.height();
    let cuts = random_cuts(rng, h, false);
    let seeds: Vec<u64> = (0..=cuts.len()).map(|_| rng.next_u64()).collect();
    let bands = split_bands(plane.reborrow(), &cuts).unwrap();
    thread::scope(|s| {
        for (mut band, seed) in bands.into_iter().zip(seeds) {
            s.spawn(move || {
                // Several calls over a random partition of the band's rows.
                let mut r = Rng::new(seed);
                let (y0, end) = (band.y0, band.y0 + band.plane.height());
                let mut y = y0;
                while y < end {
                    let n = 1 + r.below(20) as usize;
                    let e = (y + n).min(end);
                    d.filter_vertical_edges(kind, &mut band, y..e).unwrap();
                    y = e;
                }
            });
        }
    });
    let cuts = random_cuts(rng, h, true);
    let bands = split_bands(plane.reborrow(), &cuts).unwrap();
    thread::scope(|s| {
        for mut band in bands {
            s.spawn(move || {
                let (y0, end) = (band.y0, band.y0 + band.plane.height());
                // Two calls splitting the band's edges at an arbitrary row.
                let mid = y0 + (end - y0) / 2;
                d.filter_horizontal_edges(kind, &mut band, y0..mid).unwrap();
                d.filter_horizontal_edges(kind, &mut band, mid..end)
                    .unwrap();
            });
        }
    });
}

#[test]
fn banded_threads_match_serial() {
    let mut rng = Rng::new(11);
    for (w, h) in [(32, 32), (64, 96), (96, 48)] {
        for cpu in CpuFeatures::host().levels() {
            for _ in 0..4 {
                let f = random_frame(&mut rng, w, h);
                let mut serial = f.clone();
                serial.deblock(cpu, params());
                let mut banded = f.clone();
                let blocks = f.blocks.clone();
                let d = Deblocker::new(&blocks, w, h, params())
                    .unwrap()
                    .with_cpu(cpu);
                let mut planes = banded.planes();
                deblock_plane_banded(&d, PlaneKind::Luma, &mut planes.y, &mut rng);
                deblock_plane_banded(&d, PlaneKind::Chroma, &mut planes.u, &mut rng);
                deblock_plane_banded(&d, PlaneKind::Chroma, &mut planes.v, &mut rng);
                assert_eq!(banded, serial, "{w}x{h} {cpu:?}");
            }
        }
    }
    // The convenience cut helper gives valid horizontal bands.
    assert_eq!(horizontal_cuts(40, 1), vec![12, 20, 28, 36]);
    assert_eq!(horizontal_cuts(40, 2), vec![20, 36]);
    assert_eq!(horizontal_cuts(16, 4), Vec::<usize>::new());
}

#[test]
fn refused_inputs() {
    let blocks = vec![BlockInfo::default(); 4 * 4];
    assert!(matches!(
        Deblocker::new(&blocks, 32, 24, params()),
        Err(DeblockError::BadSize { .. })
    ));
    assert!(matches!(
        Deblocker::new(&blocks, 0, 32, params()),
        Err(DeblockError::BadSize { .. })
    ));
    assert!(matches!(
        Deblocker::new(&blocks[1..], 32, 32, params()),
        Err(DeblockError::BlockCount { .. })
    ));
    let d = Deblocker::new(&blocks, 32, 32, params()).unwrap();
    let mut y = vec![0u8; 32 * 32];
    let mut c = vec![0u8; 16 * 16];
    // Wrong plane for the kind.
    let mut band = Band::whole(PlaneMut::packed(&mut c, 16, 16).unwrap());
    assert!(matches!(
        d.filter_vertical_edges(PlaneKind::Luma, &mut band, 0..16),
        Err(DeblockError::PlaneMismatch { .. })
    ));
    assert!(d
        .filter_vertical_edges(PlaneKind::Chroma, &mut band, 0..16)
        .is_ok());
    assert!(matches!(
        d.filter_vertical_edges(PlaneKind::Chroma, &mut band, 0..17),
        Err(DeblockError::RowsOutsideBand { .. })
    ));
    // A band whose rows do not hold an edge's support.
    let bands = split_bands(PlaneMut::packed(&mut y, 32, 32).unwrap(), &[10, 20]).unwrap();
    let mut bands: Vec<Band<'_>> = bands;
    assert_eq!(
        bands
            .iter()
            .map(|b| (b.y0, b.plane.height()))
            .collect::<Vec<_>>(),
        vec![(0, 10), (10, 10), (20, 12)]
    );
    assert!(matches!(
        d.filter_horizontal_edges(PlaneKind::Luma, &mut bands[0], 0..10),
        Err(DeblockError::EdgeOutsideBand { edge_y: 8, .. })
    ));
    assert!(d
        .filter_horizontal_edges(PlaneKind::Luma, &mut bands[1], 12..20)
        .is_ok()); // edge 16
    assert!(d
        .filter_horizontal_edges(PlaneKind::Luma, &mut bands[1], 17..20)
        .is_ok()); // no edge
    assert!(d
        .filter_vertical_edges(PlaneKind::Luma, &mut bands[2], 20..32)
        .is_ok());
    assert!(matches!(
        d.filter_vertical_edges(PlaneKind::Luma, &mut bands[2], 19..32),
        Err(DeblockError::RowsOutsideBand { .. })
    ));
    let mut tall = vec![0u8; 32 * 40];
    let mut b = Band {
        plane: PlaneMut::packed(&mut tall, 32, 40).unwrap(),
        y0: 0,
    };
    assert!(matches!(
        d.filter_vertical_edges(PlaneKind::Luma, &mut b, 0..1),
        Err(DeblockError::PlaneMismatch { .. })
    ));
    assert!(matches!(
        split_bands(PlaneMut::packed(&mut y, 32, 32).unwrap(), &[10, 10]),
        Err(DeblockError::BadCuts)
    ));
    assert!(matches!(
        split_bands(PlaneMut::packed(&mut y, 32, 32).unwrap(), &[32]),
        Err(DeblockError::BadCuts)
    ));
    // Mismatched frame planes: nothing filtered.
    let mut u = vec![0u8; 16 * 16];
    let mut v = vec![0u8; 16 * 8];
    let mut fp = FramePlanes {
        y: PlaneMut::packed(&mut y, 32, 32).unwrap(),
        u: PlaneMut::packed(&mut u, 16, 16).unwrap(),
        v: PlaneMut::packed(&mut v, 16, 8).unwrap(),
    };
    assert!(Deblocker::new(&blocks, 32, 32, params()).and_then(|d| d.deblock(&mut fp)).is_err());
    // QP above 51 is treated as 51; no panic.
    let odd = vec![
        BlockInfo {
            intra: true,
            coded: true,
            mv: QpelMv::new(i16::MIN, i16::MAX),
            qp: 255
        };
        16
    ];
    let mut v = vec![0u8; 16 * 16];
    let mut fp = FramePlanes {
        y: PlaneMut::packed(&mut y, 32, 32).unwrap(),
        u: PlaneMut::packed(&mut u, 16, 16).unwrap(),
        v: PlaneMut::packed(&mut v, 16, 16).unwrap(),
    };
    let p = DeblockParams {
        offset_a: i8::MAX,
        offset_b: i8::MIN,
        chroma_qp_offset: i8::MIN,
    };
    assert!(Deblocker::new(&odd, 32, 32, p).and_then(|d| d.deblock(&mut fp)).is_ok());
}

/// Kernels called directly at positions whose tile does not fit do nothing
/// and never panic.
#[test]
fn kernels_out_of_range_are_harmless() {
    let e = EdgeParams::new(4, 51, &params());
    let mut buf = vec![100u8; 40];
    for q0 in [0usize, 1, 3, 39, 40, usize::MAX] {
        for b in [false, true] {
            simd::luma_vertical(b, &mut buf, q0, 8, e);
            simd::luma_horizontal(b, &mut buf, q0, 8, e);
            simd::chroma_vertical(b, &mut buf, q0, usize::MAX, [e, e]);
            simd::chroma_horizontal(b, &mut buf, q0, usize::MAX / 2, [e, e]);
            simd::luma_horizontal_pair(b, &mut buf, q0, 8, [e, e]);
            simd::luma_horizontal_pair(b, &mut buf, q0, usize::MAX / 4, [e, e]);
            simd::chroma_horizontal_pair(b, &mut buf, q0, 8, [[e, e], [e, e]]);
            simd::chroma_horizontal_pair(b, &mut buf, q0, usize::MAX / 2, [[e, e], [e, e]]);
        }
    }
}

/// Below index 16 alpha is 0: nothing is filtered even at bS 4 on a blocky
/// frame; a positive offset_a brings filtering back.
#[test]
fn low_qp_never_filters() {
    let mut rng = Rng::new(5);
    for cpu in CpuFeatures::host().levels() {
        let mut f = random_frame(&mut rng, 64, 48);
        for (i, b) in f.blocks.iter_mut().enumerate() {
            b.intra = true;
            b.qp = (i % 16) as u8;
        }
        let orig = f.clone();
        f.deblock(cpu, params());
        assert_eq!(f, orig);
        let boosted = DeblockParams {
            offset_a: 12,
            offset_b: 12,
            chroma_qp_offset: 0,
        };
        f.deblock(cpu, boosted);
        assert_ne!(f.y, orig.y);
    }
}
