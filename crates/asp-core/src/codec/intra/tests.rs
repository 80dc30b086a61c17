//! Unit tests of intra prediction and the pattern fills: known answers of
//! each mode and fill, neighbour availability, the fits, and extreme
//! parameters.

use super::*;
use alloc::vec;
use alloc::vec::Vec;

fn nb<const N: usize>(
    top: [u8; N],
    left: [u8; N],
    tl: u8,
    has_top: bool,
    has_left: bool,
) -> Neighbours<N> {
    Neighbours {
        top,
        left,
        top_left: tl,
        has_top,
        has_left,
    }
}

fn ramp<const N: usize>(f: impl Fn(i32) -> i32) -> [u8; N] {
    core::array::from_fn(|i| f(i as i32) as u8)
}

#[test]
fn dc_availability() {
    let top = [10u8; 8];
    let left = [21u8; 8];
    let mut out = [[0u8; 8]; 8];
    // Both: (80 + 168 + 8) >> 4 = 16.
    predict(IntraMode::Dc, &nb(top, left, 0, true, true), &mut out);
    assert_eq!(out, [[16; 8]; 8]);
    predict(IntraMode::Dc, &nb(top, left, 0, true, false), &mut out);
    assert_eq!(out, [[10; 8]; 8]);
    predict(IntraMode::Dc, &nb(top, left, 0, false, true), &mut out);
    assert_eq!(out, [[21; 8]; 8]);
    predict(IntraMode::Dc, &nb(top, left, 0, false, false), &mut out);
    assert_eq!(out, [[128; 8]; 8]);
    // Rounding: 16 samples summing to 8 * 1 + 8 * 2 = 24 -> (24 + 8) >> 4 = 2;
    // and 23 -> (23 + 8) >> 4 = 1.
    let mut t = [1u8; 8];
    let l = [2u8; 8];
    assert_eq!(dc_value(&nb(t, l, 0, true, true)), 2);
    t[0] = 0;
    assert_eq!(dc_value(&nb(t, l, 0, true, true)), 1);
    // 16x16, top only: (16 * 255 + 8) >> 4 = 255.
    assert_eq!(dc_value(&nb([255u8; 16], [0; 16], 0, true, false)), 255);
}

#[test]
fn horizontal_vertical_and_fallback() {
    let top = ramp::<8>(|i| 10 * i);
    let left = ramp::<8>(|i| 200 - 3 * i);
    let mut out = [[0u8; 8]; 8];
    predict(IntraMode::Vertical, &nb(top, left, 7, true, true), &mut out);
    for row in &out {
        assert_eq!(*row, top);
    }
    predict(
        IntraMode::Horizontal,
        &nb(top, left, 7, true, true),
        &mut out,
    );
    for (y, row) in out.iter().enumerate() {
        assert_eq!(*row, [left[y]; 8]);
    }
    // Missing side: DC of what is there.
    predict(
        IntraMode::Vertical,
        &nb(top, left, 7, false, true),
        &mut out,
    );
    assert_eq!(out, [[dc_value(&nb(top, left, 7, false, true)); 8]; 8]);
    predict(
        IntraMode::Horizontal,
        &nb(top, left, 7, true, false),
        &mut out,
    );
    assert_eq!(out, [[dc_value(&nb(top, left, 7, true, false)); 8]; 8]);
    predict(IntraMode::Planar, &nb(top, left, 7, true, false), &mut out);
    assert_eq!(out, [[dc_value(&nb(top, left, 7, true, false)); 8]; 8]);
    predict(IntraMode::Planar, &nb(top, left, 7, false, false), &mut out);
    assert_eq!(out, [[128; 8]; 8]);
    // Planar on an unsupported size falls back to DC.
    let mut o4 = [[0u8; 4]; 4];
    predict(
        IntraMode::Planar,
        &nb([4u8; 4], [8u8; 4], 6, true, true),
        &mut o4,
    );
    assert_eq!(o4, [[6; 4]; 4]);
}

/// An exact linear ramp continued into the neighbours is reproduced.
#[test]
fn planar_reproduces_linear_ramp() {
    // f(x, y) = 40 + 3x + 2y over x, y in -1..N: neighbours and block.
    fn check<const N: usize>(gx: i32, gy: i32, base: i32) {
        let f = |x: i32, y: i32| base + gx * x + gy * y;
        let n = nb::<N>(
            ramp(|i| f(i, -1)),
            ramp(|j| f(-1, j)),
            f(-1, -1) as u8,
            true,
            true,
        );
        let mut out = [[0u8; N]; N];
        predict(IntraMode::Planar, &n, &mut out);
        for (y, row) in out.iter().enumerate() {
            for (x, &s) in row.iter().enumerate() {
                assert_eq!(
                    i32::from(s),
                    f(x as i32, y as i32),
                    "N={N} gx={gx} gy={gy} at ({x},{y})"
                );
            }
        }
    }
    for (gx, gy) in [(0, 0), (1, 0), (0, 1), (3, 2), (2, -3), (-4, 5), (6, 0)] {
        check::<16>(gx, gy, 120);
        check::<8>(gx, gy, 120);
    }
}

/// Known answer computed by hand from the H.264 formula (8x8 chroma).
#[test]
fn planar_known_answer_8() {
    // top = 10, 20, .., 80; left all 50; corner 0.
    let top = ramp::<8>(|i| 10 * (i + 1));
    let n = nb::<8>(top, [50; 8], 0, true, true);
    // H = 1*(50-30) + 2*(60-20) + 3*(70-10) + 4*(80-0) = 20+80+180+320 = 600
    // V = 1*0 + 2*0 + 3*0 + 4*(50-0) = 200
    // b = (34*600+32)>>6 = 319, c = (34*200+32)>>6 = 106, a = 16*(80+50) = 2080
    // pred(0,0) = (2080 - 3*319 - 3*106 + 16) >> 5 = 821 >> 5 = 25
    // pred(7,7) = (2080 + 4*319 + 4*106 + 16) >> 5 = 3796 >> 5 = 118
    let mut out = [[0u8; 8]; 8];
    predict(IntraMode::Planar, &n, &mut out);
    assert_eq!(out[0][0], 25);
    assert_eq!(out[7][7], 118);
    // pred(3,3) = (2080 + 16) >> 5 = 65
    assert_eq!(out[3][3], 65);
}

#[test]
fn planar_clips() {
    let n = nb::<16>(ramp(|i| 17 * i), [0; 16], 0, true, true);
    let mut out = [[0u8; 16]; 16];
    predict(IntraMode::Planar, &n, &mut out);
    let n2 = nb::<16>([255; 16], [255; 16], 0, true, true);
    predict(IntraMode::Planar, &n2, &mut out);
    assert_eq!(out[15][15], 255);
}

#[test]
fn gather_from_plane() {
    // 32x32 plane, value = x + 2y (mod 256).
    let w = 32;
    let data: Vec<u8> = (0..w * w).map(|i| ((i % w) + 2 * (i / w)) as u8).collect();
    let plane = PlaneRef::packed(&data, w, w).unwrap();
    let n = Neighbours::<8>::gather(&plane, 8, 16, true, true);
    assert!(n.has_top && n.has_left);
    assert_eq!(n.top, ramp(|i| 8 + i + 30));
    assert_eq!(n.left, ramp(|j| 7 + 2 * (16 + j)));
    assert_eq!(n.top_left, 7 + 30);
    // Frame edges.
    let n = Neighbours::<16>::gather(&plane, 0, 0, true, true);
    assert!(!n.has_top && !n.has_left);
    // Tile edge: caller says no top.
    let n = Neighbours::<8>::gather(&plane, 8, 8, false, true);
    assert!(!n.has_top && n.has_left && !n.has_top_left());
    // Overhanging the plane: that side is unavailable, no panic.
    let n = Neighbours::<16>::gather(&plane, 24, 24, true, true);
    assert!(!n.has_top && !n.has_left);
    let n = Neighbours::<16>::gather(&plane, usize::MAX - 3, usize::MAX - 3, true, true);
    assert!(!n.has_top && !n.has_left);
}

#[test]
fn isqrt_exact() {
    for n in 0u128..5000 {
        let r = isqrt_u128(n);
        assert!(r * r <= n && (r + 1) * (r + 1) > n, "{n}");
    }
    for r in [1u128 << 20, (1 << 32) - 1, 1 << 40, (1 << 63) + 12345] {
        assert_eq!(isqrt_u128(r * r), r);
        assert_eq!(isqrt_u128(r * r - 1), r - 1);
        assert_eq!(isqrt_u128(r * r + 2 * r), r);
    }
    assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
}

#[test]
fn linear_known_answers() {
    let g = GradientLinear {
        origin: 4 * 100,
        step_x: 64,
        step_y: -128,
    };
    assert_eq!(g.sample(0, 0), 100);
    assert_eq!(g.sample(5, 0), 105);
    assert_eq!(g.sample(0, 5), 90);
    assert_eq!(g.sample(3, 2), 99);
    // Half-level steps round up at .5: origin 10, +0.5 per x.
    let g = GradientLinear {
        origin: 40,
        step_x: 32,
        step_y: 0,
    };
    assert_eq!(
        [
            g.sample(0, 0),
            g.sample(1, 0),
            g.sample(2, 0),
            g.sample(3, 0)
        ],
        [10, 11, 11, 12]
    );
    // Quarter-level origin: 10.25 -> 10, 10.5 -> 11.
    assert_eq!(
        GradientLinear {
            origin: 41,
            step_x: 0,
            step_y: 0
        }
        .sample(0, 0),
        10
    );
    assert_eq!(
        GradientLinear {
            origin: 42,
            step_x: 0,
            step_y: 0
        }
        .sample(0, 0),
        11
    );
    // Negative values floor then clip.
    assert_eq!(
        GradientLinear {
            origin: -4,
            step_x: 0,
            step_y: 0
        }
        .sample(0, 0),
        0
    );
    assert_eq!(
        GradientLinear {
            origin: 4 * 300,
            step_x: 0,
            step_y: 0
        }
        .sample(0, 0),
        255
    );
}

#[test]
fn radial_known_answers() {
    // Centre on sample (4, 4) (half-sample units 8, 8), radius 4.
    let g = GradientRadial {
        centre_x: 8,
        centre_y: 8,
        inner: 0,
        outer: 200,
        radius: 4,
    };
    assert_eq!(g.sample(4, 4), 0);
    assert_eq!(g.sample(6, 4), 100); // d = 2 of 4
    assert_eq!(g.sample(5, 4), 50);
    assert_eq!(g.sample(0, 4), 200);
    assert_eq!(g.sample(0, 0), 200); // beyond the radius
                                     // (5, 5): d = sqrt(2) -> isqrt(16 * 8) = 11 eighths; (200*11 + 16)/32 = 69.
    assert_eq!(g.sample(5, 5), 69);
    // Radius 0: outer everywhere.
    let g0 = GradientRadial { radius: 0, ..g };
    assert_eq!(g0.sample(4, 4), 200);
    // Inverted direction and a centre between samples (7.5, 7.5).
    let g = GradientRadial {
        centre_x: 15,
        centre_y: 15,
        inner: 255,
        outer: 0,
        radius: 12,
    };
    assert_eq!(g.sample(7, 7), g.sample(8, 8));
    assert_eq!(g.sample(7, 8), g.sample(8, 7));
}

#[test]
fn extreme_parameters_no_panic() {
    let mut out = [[0u8; 16]; 16];
    for (cx, cy) in [
        (i16::MIN, i16::MIN),
        (i16::MAX, i16::MIN),
        (0, 0),
        (i16::MAX, i16::MAX),
    ] {
        for radius in [0, 1, u16::MAX] {
            for (inner, outer) in [(0, 255), (255, 0), (255, 255)] {
                let p = Pattern::GradientRadial(GradientRadial {
                    centre_x: cx,
                    centre_y: cy,
                    inner,
                    outer,
                    radius,
                });
                p.fill_block(&mut out);
                let _ = p.sample(u32::MAX, u32::MAX);
            }
        }
    }
    for o in [i16::MIN, 0, i16::MAX] {
        for s in [i16::MIN, -1, 0, 1, i16::MAX] {
            let p = Pattern::GradientLinear(GradientLinear {
                origin: o,
                step_x: s,
                step_y: s.saturating_neg(),
            });
            p.fill_block(&mut out);
            let _ = p.sample(u32::MAX, u32::MAX);
        }
    }
    let p = Pattern::Solid { value: 9 };
    let mut buf = [0u8; 10];
    assert!(p.fill(&mut buf, 4, 5, 2).is_err());
    assert!(p.fill(&mut buf, 5, 5, 3).is_err());
    assert!(p.fill(&mut buf, 5, 5, 2).is_ok());
    assert_eq!(buf, [9; 10]);
    assert!(p.fill(&mut buf, usize::MAX, 5, 3).is_err());
    assert!(p.fill(&mut [], 0, 0, 0).is_ok());
    assert_eq!(fit_solid(&buf, 4, 5), None);
    assert_eq!(fit_gradient_linear(&buf, 5, 3), None);
    assert_eq!(fit_gradient_linear(&buf, 0, 0), None);
    assert!(fit_gradient_linear(&buf, 1, 1).is_some());
}

#[test]
fn fit_solid_mean() {
    let mut b = vec![0u8; 64];
    b[..32].fill(10);
    b[32..].fill(13);
    // Mean 11.5 rounds to 12; SSE = 32 * 4 + 32 * 1 = 160.
    assert_eq!(fit_solid(&b, 8, 8), Some((12, 160)));
}

/// A synthetic gradient is reproduced within ±1 by its fitted fill.
#[test]
fn fit_linear_reproduces_gradient() {
    for size in [4usize, 8, 16] {
        for (o, gx, gy) in [
            (30.0f64, 1.5, 0.25),
            (200.0, -3.2, 1.1),
            (128.0, 0.0, 0.0),
            (12.0, 0.4, 7.3),
            (250.0, -0.7, -0.05),
        ] {
            let stride = size + 3;
            let mut b = vec![0u8; stride * size];
            for y in 0..size {
                for x in 0..size {
                    let v = o + gx * x as f64 + gy * y as f64;
                    b[y * stride + x] = (v + 0.5).clamp(0.0, 255.0) as u8;
                }
            }
            let (g, sse) = fit_gradient_linear(&b, stride, size).unwrap();
            let mut out = vec![0u8; stride * size];
            Pattern::GradientLinear(g)
                .fill(&mut out, stride, size, size)
                .unwrap();
            let mut max_err = 0;
            for y in 0..size {
                for x in 0..size {
                    let d = (i32::from(out[y * stride + x]) - i32::from(b[y * stride + x])).abs();
                    max_err = max_err.max(d);
                }
            }
            assert!(
                max_err <= 1,
                "size {size} ({o},{gx},{gy}): {g:?} max err {max_err}"
            );
            assert_eq!(
                sse,
                pattern_sse(&b, stride, size, &Pattern::GradientLinear(g)).unwrap()
            );
            assert!(sse as usize <= size * size / 2, "sse {sse}");
        }
    }
}

#[test]
fn mode_codes() {
    for m in IntraMode::ALL {
        assert_eq!(IntraMode::from_code(m.code()), Some(m));
    }
    assert_eq!(IntraMode::from_code(4), None);
}
