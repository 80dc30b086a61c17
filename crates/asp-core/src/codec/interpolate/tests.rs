//! Unit tests of the interpolation: every path (direct, window, interior
//! fast path, edge extension) held equal to a naive per-sample evaluation
//! of the 6-tap filter, at every level of [`CpuFeatures::levels`] (the
//! SIMD twins and the scalar code), and the output checks.

use super::*;
use alloc::vec;
use alloc::vec::Vec;

use asp_testkit::Rng;

fn tap(s: [i32; 6]) -> i32 {
    s[0] - 5 * s[1] + 20 * s[2] + 20 * s[3] - 5 * s[4] + s[5]
}

/// The filter written straight from the H.264 text, one sample at a time,
/// clamping every reference coordinate; `j` from vertical intermediates.
fn naive_sample(p: &PlaneRef, xq: i64, yq: i64) -> u8 {
    let (x, y, fx, fy) = (xq >> 2, yq >> 2, xq & 3, yq & 3);
    let g = |dx: i64, dy: i64| p.get_clamped(x + dx, y + dy) as i32;
    let h1 = |dx: i64, dy: i64| {
        tap([
            g(dx, dy - 2),
            g(dx, dy - 1),
            g(dx, dy),
            g(dx, dy + 1),
            g(dx, dy + 2),
            g(dx, dy + 3),
        ])
    };
    let b1 = |dx: i64, dy: i64| {
        tap([
            g(dx - 2, dy),
            g(dx - 1, dy),
            g(dx, dy),
            g(dx + 1, dy),
            g(dx + 2, dy),
            g(dx + 3, dy),
        ])
    };
    let clip = |v: i32| v.clamp(0, 255);
    let b = |dx, dy| clip((b1(dx, dy) + 16) >> 5);
    let h = |dx, dy| clip((h1(dx, dy) + 16) >> 5);
    let j = || {
        let j1 = tap([h1(-2, 0), h1(-1, 0), h1(0, 0), h1(1, 0), h1(2, 0), h1(3, 0)]);
        clip((j1 + 512) >> 10)
    };
    let avg = |a: i32, b: i32| (a + b + 1) >> 1;
    (match (fx, fy) {
        (0, 0) => g(0, 0),
        (1, 0) => avg(g(0, 0), b(0, 0)),
        (2, 0) => b(0, 0),
        (3, 0) => avg(g(1, 0), b(0, 0)),
        (0, 1) => avg(g(0, 0), h(0, 0)),
        (0, 2) => h(0, 0),
        (0, 3) => avg(g(0, 1), h(0, 0)),
        (1, 1) => avg(b(0, 0), h(0, 0)),
        (3, 1) => avg(b(0, 0), h(1, 0)),
        (1, 3) => avg(h(0, 0), b(0, 1)),
        (3, 3) => avg(h(1, 0), b(0, 1)),
        (2, 1) => avg(b(0, 0), j()),
        (2, 3) => avg(j(), b(0, 1)),
        (1, 2) => avg(h(0, 0), j()),
        (3, 2) => avg(j(), h(1, 0)),
        _ => j(),
    }) as u8
}

fn random_plane(rng: &mut Rng, w: usize, h: usize, stride: usize, smooth: bool) -> Vec<u8> {
    let mut d = vec![0u8; stride * (h - 1) + w];
    for y in 0..h {
        for x in 0..w {
            d[y * stride + x] = if smooth && rng.below(4) != 0 {
                ((x * 7 + y * 3) % 256) as u8
            } else {
                rng.below(256) as u8
            };
        }
    }
    d
}

#[test]
fn predict_equals_naive_everywhere() {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    for iter in 0..600 {
        let w = rng.range(1, 70) as usize;
        let h = rng.range(1, 70) as usize;
        let stride = w + rng.below(9) as usize;
        let data = random_plane(&mut rng, w, h, stride, iter % 2 == 0);
        let p = PlaneRef::new(&data, w, h, stride).unwrap();
        let bw = rng.range(1, 40) as usize;
        let bh = rng.range(1, 40) as usize;
        // Positions from well outside the top-left to well outside the bottom-right.
        let xq = rng.range(-4 * 12 - 3, 4 * (w as i64 + 12)) as i32;
        let yq = rng.range(-4 * 12 - 3, 4 * (h as i64 + 12)) as i32;
        let os = bw + rng.below(5) as usize;
        for cpu in CpuFeatures::host().levels() {
            let mut out = vec![0u8; os * (bh - 1) + bw];
            LumaWindow::with_cpu(cpu).predict_block(&p, xq, yq, bw, bh, &mut out, os).unwrap();
            for y in 0..bh {
                for x in 0..bw {
                    let want = naive_sample(&p, xq as i64 + 4 * x as i64, yq as i64 + 4 * y as i64);
                    assert_eq!(
                        out[y * os + x],
                        want,
                        "{cpu} iter {iter}: {w}x{h} block {bw}x{bh} at ({xq},{yq}) px ({x},{y})"
                    );
                }
            }
        }
    }
}

#[test]
fn interior_fast_path_every_fraction() {
    // A large plane so that most blocks take the direct (unclamped) path.
    let mut rng = Rng::new(12345);
    let (w, h, stride) = (96, 80, 101);
    let data = random_plane(&mut rng, w, h, stride, false);
    let p = PlaneRef::new(&data, w, h, stride).unwrap();
    for fy in 0..4 {
        for fx in 0..4 {
            for &(bw, bh) in &[(4, 4), (8, 8), (16, 16), (32, 32), (16, 8), (5, 3)] {
                let xq = 4 * rng.range(3, (w - bw - 4) as i64) as i32 + fx;
                let yq = 4 * rng.range(3, (h - bh - 4) as i64) as i32 + fy;
                for cpu in CpuFeatures::host().levels() {
                    let mut out = vec![0u8; bw * bh];
                    LumaWindow::with_cpu(cpu).predict_block(&p, xq, yq, bw, bh, &mut out, bw).unwrap();
                    for y in 0..bh {
                        for x in 0..bw {
                            let want = naive_sample(&p, xq as i64 + 4 * x as i64, yq as i64 + 4 * y as i64);
                            assert_eq!(out[y * bw + x], want, "{cpu}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn window_predict_matches_and_is_checked() {
    let mut rng = Rng::new(777);
    let (w, h) = (40, 40);
    let data = random_plane(&mut rng, w, h, w, false);
    let p = PlaneRef::packed(&data, w, h).unwrap();
    let mut win = LumaWindow::new();
    win.prepare(&p, -3, 20, 18, 18, Planes::ALL).unwrap();
    let mut out = [0u8; 16 * 16];
    for qy in 0..8 {
        for qx in 0..8 {
            win.predict(qx, qy, 16, 16, &mut out, 16).unwrap();
            for y in 0..16 {
                for x in 0..16 {
                    let want =
                        naive_sample(&p, -12 + (qx + 4 * x) as i64, 80 + (qy + 4 * y) as i64);
                    assert_eq!(out[y * 16 + x], want);
                }
            }
        }
    }
    // qx = 10 is ix = 2: 2 + 16 <= 18 fits; qx = 11 also reads ix + 1,
    // and qx = 12 is ix = 3: both outside.
    assert!(win.predict(10, 10, 16, 16, &mut out, 16).is_ok());
    assert!(matches!(
        win.predict(11, 0, 16, 16, &mut out, 16),
        Err(InterpError::OutsideWindow { .. })
    ));
    assert!(matches!(
        win.predict(0, 12, 16, 16, &mut out, 16),
        Err(InterpError::OutsideWindow { .. })
    ));
    assert!(matches!(
        win.predict(0, 0, 16, 16, &mut out, 15),
        Err(InterpError::OutputStrideTooSmall { .. })
    ));
    assert!(matches!(
        win.predict(0, 0, 16, 17, &mut out, 16),
        Err(InterpError::OutputTooShort { .. })
    ));
    assert!(matches!(
        win.prepare(&p, 0, 0, 37, 1, Planes::ALL),
        Err(InterpError::BadWindowSize { .. })
    ));
    win.prepare(&p, 0, 0, 18, 18, Planes::FULL).unwrap();
    assert!(matches!(
        win.predict(2, 0, 16, 16, &mut out, 16),
        Err(InterpError::MissingPlanes { .. })
    ));
    // Extreme positions are clamped, not overflowed.
    let mut o = [0u8; 4];
    predict_luma(p, i32::MIN, i32::MAX, 2, 2, &mut o, 2).unwrap();
    assert_eq!(o, [data[(h - 1) * w]; 4]);
}

#[test]
fn flat_plane_predicts_flat() {
    let data = [77u8; 64];
    let p = PlaneRef::packed(&data, 8, 8).unwrap();
    let mut out = [0u8; 9 * 9];
    for q in 0..16 {
        predict_luma(p, q % 4 - 5, q / 4 + 9, 9, 9, &mut out, 9).unwrap();
        assert!(out.iter().all(|&v| v == 77));
    }
}
