// The body shared by the simd128 (`wasm.rs`) and SSE2 (`x86.rs`) twins of
// the luma interpolation kernels, included by each after it has defined
// the vocabulary this is written in: wasm simd128's intrinsic names and
// `v128` (in `x86.rs`, thin wrappers over the SSE2 intrinsics of the same
// meaning), plus `interleave_lo16` / `interleave_hi16` (interleave the low
// / high four `i16` lanes of two vectors) and `store_lo64` (store the low
// eight bytes). See `wasm.rs` for the arithmetic and why it is exact.

/// Calls `f(x)` for the column blocks `x..x + 8` that cover `0..w`
/// (`w >= 8`): `0, 8, ..` then a last block ending at `w`.
#[inline(always)]
fn columns(w: usize, mut f: impl FnMut(usize)) {
    let mut x = 0;
    while x + 8 < w {
        f(x);
        x += 8;
    }
    f(w - 8);
}

/// Eight samples at `p`, zero-extended to `i16` lanes.
///
/// # Safety
/// `p..p + 8` is readable.
#[inline(always)]
unsafe fn load8(p: *const u8) -> v128 {
    unsafe { u16x8_load_extend_u8x8(p) }
}

/// `s0 - 5 s1 + 20 s2 + 20 s3 - 5 s4 + s5` on `i16` lanes, written as
/// `(s0 + s5) + 5 (4 (s2 + s3) - (s1 + s4))`: for samples in `0..=255`
/// no intermediate leaves `i16`.
#[inline(always)]
fn tap(s: [v128; 6]) -> v128 {
    let outer = i16x8_add(s[0], s[5]);
    let inner = i16x8_add(s[1], s[4]);
    let centre = i16x8_add(s[2], s[3]);
    let mixed = i16x8_sub(i16x8_shl(centre, 2), inner);
    i16x8_add(outer, i16x8_mul(mixed, i16x8_splat(5)))
}

/// [`tap`] over the eight-sample runs at `p + k * step`, `k` in `0..6`.
///
/// # Safety
/// Those six runs of eight bytes are readable.
#[inline(always)]
unsafe fn tap_at(p: *const u8, step: usize) -> v128 {
    unsafe {
        tap([
            load8(p),
            load8(p.add(step)),
            load8(p.add(2 * step)),
            load8(p.add(3 * step)),
            load8(p.add(4 * step)),
            load8(p.add(5 * step)),
        ])
    }
}

/// `clip((t + 16) >> 5)` of eight `i16` lanes, as eight bytes in the low half.
#[inline(always)]
fn round_half(t: v128) -> v128 {
    let v = i16x8_shr(i16x8_add(t, i16x8_splat(16)), 5);
    u8x16_narrow_i16x8(v, v)
}

/// The centre half-pel samples `j` from the unrounded horizontal taps
/// `t` of six consecutive rows (eight columns, `i16` lanes):
/// `clip((j1 + 512) >> 10)` with `j1` the vertical tap over them, as eight
/// bytes in the low half.
#[inline(always)]
fn centre8(t: [v128; 6]) -> v128 {
    // Pairs for the dot products: (outer, centre) by (1, 20) and
    // (inner, 512) by (-5, 1) give j1 + 512 in `i32`.
    let by_1_20 = i16x8(1, 20, 1, 20, 1, 20, 1, 20);
    let by_m5_1 = i16x8(-5, 1, -5, 1, -5, 1, -5, 1);
    let rounding = i16x8_splat(512);
    let outer = i16x8_add(t[0], t[5]);
    let inner = i16x8_add(t[1], t[4]);
    let middle = i16x8_add(t[2], t[3]);
    let half = |lo: bool| {
        let (om, ir) = if lo {
            (interleave_lo16(outer, middle), interleave_lo16(inner, rounding))
        } else {
            (interleave_hi16(outer, middle), interleave_hi16(inner, rounding))
        };
        let j = i32x4_add(i32x4_dot_i16x8(om, by_1_20), i32x4_dot_i16x8(ir, by_m5_1));
        i32x4_shr(j, 10)
    };
    let j = i16x8_narrow_i32x4(half(true), half(false));
    u8x16_narrow_i16x8(j, j)
}

/// Stores the low eight bytes of `v` at `p`.
///
/// # Safety
/// `p..p + 8` is writable.
#[inline(always)]
unsafe fn store8(p: *mut u8, v: v128) {
    unsafe { store_lo64(p, v) }
}

/// Whether `len` holds `rows` rows of `width` elements at `stride`.
#[inline(always)]
fn holds(len: usize, rows: usize, stride: usize, width: usize) -> bool {
    rows == 0
        || (stride >= width
            && (rows - 1)
                .checked_mul(stride)
                .and_then(|n| n.checked_add(width))
                .is_some_and(|n| n <= len))
}

/// Twin of `compute_planes` (same arguments: a `w` x `h` window
/// from the `(w + 5) x (h + 5)` source rectangle `src` at stride `ss`).
/// Returns `false`, having written nothing, when `w < 8` or a buffer is too
/// short for the window (the caller then runs the scalar code).
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) fn compute_planes_twin(
    src: &[u8],
    ss: usize,
    w: usize,
    h: usize,
    planes: Planes,
    full: &mut [u8],
    hor: &mut [u8],
    ver: &mut [u8],
    ctr: &mut [u8],
    tmp: &mut [i16],
) -> bool {
    let out_ok = |len: usize| holds(len, h, WINDOW_MAX, w);
    if !(8..=WINDOW_MAX).contains(&w)
        || !holds(src.len(), h + 5, ss, w + 5)
        || !out_ok(full.len())
        || !out_ok(hor.len())
        || !out_ok(ver.len())
        || !out_ok(ctr.len())
        || !holds(tmp.len(), h + 5, WINDOW_MAX, w)
    {
        return false;
    }
    let s = src.as_ptr();
    // SAFETY (every block below): the checks above; `x + 8 <= w` for every
    // column block, source reads stay within `w + 5` columns of `h + 5`
    // rows at stride `ss`, window reads and writes within `w` columns of
    // `h` (`h + 5` for `tmp`) rows at stride `WINDOW_MAX`.
    unsafe {
        let at = |r: usize, c: usize| s.add(r * ss + c);
        if planes.contains(Planes::FULL) {
            let full = full.as_mut_ptr();
            for y in 0..h {
                columns(w, |x| {
                    store8(
                        full.add(y * WINDOW_MAX + x),
                        v128_load64_zero(at(y + 2, 2 + x) as *const u64),
                    )
                });
            }
        }
        let centre = planes.contains(Planes::CENTRE);
        if centre {
            // The unrounded horizontal taps of all `h + 5` rows.
            let tmp = tmp.as_mut_ptr();
            for r in 0..h + 5 {
                columns(w, |x| {
                    let t = tap_at(at(r, x), 1);
                    v128_store(tmp.add(r * WINDOW_MAX + x) as *mut v128, t);
                });
            }
        }
        if planes.contains(Planes::HORIZONTAL) {
            let hor = hor.as_mut_ptr();
            for y in 0..h {
                columns(w, |x| {
                    let t = if centre {
                        v128_load(tmp.as_ptr().add((y + 2) * WINDOW_MAX + x) as *const v128)
                    } else {
                        tap_at(at(y + 2, x), 1)
                    };
                    store8(hor.add(y * WINDOW_MAX + x), round_half(t));
                });
            }
        }
        if planes.contains(Planes::VERTICAL) {
            let ver = ver.as_mut_ptr();
            // Down each column block, each source row loaded once.
            columns(w, |x| {
                let row = |r: usize| load8(at(r, 2 + x));
                let (mut r0, mut r1, mut r2, mut r3, mut r4) =
                    (row(0), row(1), row(2), row(3), row(4));
                for y in 0..h {
                    let r5 = row(y + 5);
                    store8(
                        ver.add(y * WINDOW_MAX + x),
                        round_half(tap([r0, r1, r2, r3, r4, r5])),
                    );
                    (r0, r1, r2, r3, r4) = (r1, r2, r3, r4, r5);
                }
            });
        }
        if centre {
            let (tmp, ctr) = (tmp.as_ptr(), ctr.as_mut_ptr());
            // Down each column block, each intermediate row loaded once.
            columns(w, |x| {
                let row = |r: usize| v128_load(tmp.add(r * WINDOW_MAX + x) as *const v128);
                let (mut t0, mut t1, mut t2, mut t3, mut t4) =
                    (row(0), row(1), row(2), row(3), row(4));
                for y in 0..h {
                    let t5 = row(y + 5);
                    store8(ctr.add(y * WINDOW_MAX + x), centre8([t0, t1, t2, t3, t4, t5]));
                    (t0, t1, t2, t3, t4) = (t1, t2, t3, t4, t5);
                }
            });
        }
    }
    true
}

/// Eight samples of phase `P` (0 = integer `G`, 1 = horizontal `b`,
/// 2 = vertical `h`; see `quarter_sample_sources`) at window position
/// `(xx, yy)`, as the low eight bytes, computed straight from the source
/// rectangle (`at(r, c)`: its row `r`, column `c`; the window's sample
/// `(0, 0)` is the source's `(2, 2)`), exactly as `compute_planes` would
/// put them in the `full`, `hor` or `ver` plane.
///
/// # Safety
/// The source samples read are readable: rows `yy..yy + 6` (`P` = 2) or
/// row `yy + 2`, columns `xx..xx + 13` (`P` = 1) or `xx + 2..xx + 10`.
#[inline(always)]
unsafe fn phase8<const P: usize>(at: &impl Fn(usize, usize) -> *const u8, ss: usize, xx: usize, yy: usize) -> v128 {
    unsafe {
        match P {
            0 => v128_load64_zero(at(yy + 2, xx + 2) as *const u64),
            1 => round_half(tap_at(at(yy + 2, xx), 1)),
            _ => round_half(tap_at(at(yy, xx + 2), ss)),
        }
    }
}

/// The rows of [`predict_direct_twin`] for sources `P` at offset `p` and,
/// unless `Q` is 3, `Q` at offset `q` (their rounded average).
///
/// # Safety
/// As [`predict_direct_twin`] checks.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn direct_rows<const P: usize, const Q: usize>(
    s: *const u8,
    ss: usize,
    p: (usize, usize),
    q: (usize, usize),
    width: usize,
    height: usize,
    o: *mut u8,
    os: usize,
) {
    unsafe {
        let at = |r: usize, c: usize| s.add(r * ss + c);
        for y in 0..height {
            let mut x = 0;
            while x < width {
                let a = phase8::<P>(&at, ss, x + p.0, y + p.1);
                let v = if Q == 3 { a } else { u8x16_avgr(a, phase8::<Q>(&at, ss, x + q.0, y + q.1)) };
                store8(o.add(y * os + x), v);
                x += 8;
            }
        }
    }
}

/// The rows of [`predict_direct_twin`] for the positions with centre
/// samples `j`: alone (`O` = 0), or averaged with the horizontal half-pel
/// `b` (`O` = 1, `off` its row offset) or the vertical one `h` (`O` = 2,
/// `off` its column offset). Down each column block, the horizontal taps
/// of the six rows a centre sample needs slide along (each computed once);
/// `b` is one of them rounded, `h` the vertical tap of six source rows.
///
/// # Safety
/// As [`predict_direct_twin`] checks.
#[inline(always)]
unsafe fn direct_centre_rows<const O: usize>(
    s: *const u8,
    ss: usize,
    off: usize,
    width: usize,
    height: usize,
    o: *mut u8,
    os: usize,
) {
    unsafe {
        let at = |r: usize, c: usize| s.add(r * ss + c);
        let mut x = 0;
        while x < width {
            let htap = |r: usize| tap_at(at(r, x), 1);
            let mut t = [htap(0), htap(1), htap(2), htap(3), htap(4), htap(4)];
            for y in 0..height {
                t[5] = htap(y + 5);
                let j = centre8(t);
                let v = match O {
                    0 => j,
                    1 => u8x16_avgr(j, round_half(t[2 + off])),
                    _ => u8x16_avgr(j, round_half(tap_at(at(y, x + 2 + off), ss))),
                };
                store8(o.add(y * os + x), v);
                t = [t[1], t[2], t[3], t[4], t[5], t[5]];
            }
            x += 8;
        }
    }
}

/// Twin of `LumaWindow::predict_block` for blocks a multiple of 8 wide,
/// any quarter position: each output sample straight from the source,
/// with no window planes in between (same values: the same taps and
/// roundings as `compute_planes`, the same sources and average as
/// `LumaWindow::blend`). `src` is the block's source rectangle at stride
/// `ss`: `(width + 6) x (height + 6)` samples, its top-left two samples
/// above and left of the block's integer position. Returns `false`, having
/// written nothing, for other widths, or when a buffer is too short.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
pub(super) fn predict_direct_twin(
    src: &[u8],
    ss: usize,
    fx: u32,
    fy: u32,
    width: usize,
    height: usize,
    out: &mut [u8],
    out_stride: usize,
) -> bool {
    if width < 8
        || width % 8 != 0
        || fx > 3
        || fy > 3
        || !holds(src.len(), height + 6, ss, width + 6)
        || !holds(out.len(), height, out_stride, width)
    {
        return false;
    }
    let (p, q) = super::quarter_sample_sources(fx, fy);
    let (s, o) = (src.as_ptr(), out.as_mut_ptr());
    let (po, qo) = ((p.1, p.2), q.map_or((0, 0), |q| (q.1, q.2)));
    // SAFETY: the checks above; every column block `x..x + 8` has
    // `x + 8 <= width`, offsets are 0 or 1, so (see `phase8`) reads stay
    // within `width + 6` columns and `height + 6` rows of `src`, and writes
    // within `width` columns of `height` rows of `out`.
    unsafe {
        match (p.0, q.map(|q| q.0)) {
            (0, None) => direct_rows::<0, 3>(s, ss, po, qo, width, height, o, out_stride),
            (1, None) => direct_rows::<1, 3>(s, ss, po, qo, width, height, o, out_stride),
            (2, None) => direct_rows::<2, 3>(s, ss, po, qo, width, height, o, out_stride),
            (0, Some(1)) => direct_rows::<0, 1>(s, ss, po, qo, width, height, o, out_stride),
            (0, Some(2)) => direct_rows::<0, 2>(s, ss, po, qo, width, height, o, out_stride),
            (1, Some(2)) => direct_rows::<1, 2>(s, ss, po, qo, width, height, o, out_stride),
            (2, Some(1)) => direct_rows::<2, 1>(s, ss, po, qo, width, height, o, out_stride),
            // The centre samples `j` (always at offset 0), alone or with
            // `b` at row offset 0 or 1 or `h` at column offset 0 or 1.
            (3, None) => direct_centre_rows::<0>(s, ss, 0, width, height, o, out_stride),
            (1, Some(3)) => direct_centre_rows::<1>(s, ss, p.2, width, height, o, out_stride),
            (3, Some(1)) => direct_centre_rows::<1>(s, ss, qo.1, width, height, o, out_stride),
            (2, Some(3)) => direct_centre_rows::<2>(s, ss, p.1, width, height, o, out_stride),
            (3, Some(2)) => direct_centre_rows::<2>(s, ss, qo.0, width, height, o, out_stride),
            _ => return false,
        }
    }
    true
}

/// Twin of the averaging loop of `LumaWindow::blend`:
/// `o[i] = (a[i] + b[i] + 1) >> 1`. Returns `false`, having written
/// nothing, unless all three slices have the same length of at least 8.
#[inline(always)]
pub(super) fn average_row_twin(o: &mut [u8], a: &[u8], b: &[u8]) -> bool {
    let n = o.len();
    if n < 8 || a.len() != n || b.len() != n {
        return false;
    }
    let (o, a, b) = (o.as_mut_ptr(), a.as_ptr(), b.as_ptr());
    // SAFETY: every access is `16` or `8` bytes at `x` with `x + 16 <= n`
    // or `x + 8 <= n`, in slices of length `n`.
    unsafe {
        if n >= 16 {
            let mut x = 0;
            loop {
                let v = u8x16_avgr(
                    v128_load(a.add(x) as *const v128),
                    v128_load(b.add(x) as *const v128),
                );
                v128_store(o.add(x) as *mut v128, v);
                if x + 16 == n {
                    break;
                }
                x = (x + 16).min(n - 16);
            }
        } else {
            for x in [0, n - 8] {
                let v = u8x16_avgr(
                    v128_load64_zero(a.add(x) as *const u64),
                    v128_load64_zero(b.add(x) as *const u64),
                );
                store8(o.add(x), v);
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{compute_planes, LumaWindow, SRC_MAX};
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    use asp_testkit::Rng;

    /// A sample biased to the ends, where the clipping acts.
    fn sample(rng: &mut Rng) -> u8 {
        let r = rng.next_u64();
        match r % 4 {
            0 => 0,
            1 => 255,
            _ => (r >> 8) as u8,
        }
    }

    #[test]
    fn compute_planes_equals_scalar() {
        let mut rng = Rng::new(0x1234_5678_9abc_def1);
        let all = [
            Planes::FULL,
            Planes::HORIZONTAL,
            Planes::VERTICAL,
            Planes::CENTRE,
            Planes::FULL.union(Planes::HORIZONTAL),
            Planes::HORIZONTAL.union(Planes::CENTRE),
            Planes::VERTICAL.union(Planes::CENTRE),
            Planes::HORIZONTAL.union(Planes::VERTICAL),
            Planes::ALL,
        ];
        for iter in 0..3000 {
            // The decoder's windows (16, 17, 8, 9), the search's (18, 10), any other.
            let (w, h) = match iter % 5 {
                0 => [(16, 16), (17, 16), (16, 17), (17, 17)][iter / 5 % 4],
                1 => [(8, 8), (9, 8), (8, 9), (9, 9)][iter / 5 % 4],
                2 => (18, 18),
                3 => (10, 10),
                _ => (
                    8 + (rng.next_u64() % 29) as usize,
                    1 + (rng.next_u64() % 36) as usize,
                ),
            };
            let ss = w + 5 + (rng.next_u64() % 9) as usize;
            let src: Vec<u8> = (0..ss * (h + 4) + w + 5).map(|_| sample(&mut rng)).collect();
            let planes = all[iter % all.len()];
            let mut want = LumaWindow::new();
            let mut got = LumaWindow::new();
            // Scratch garbage must not matter.
            for wnd in [&mut want, &mut got] {
                wnd.tmp.iter_mut().for_each(|t| *t = rng.next_u64() as i16);
            }
            got.full = want.full;
            got.hor = want.hor;
            got.ver = want.ver;
            got.ctr = want.ctr;
            {
                let LumaWindow {
                    full,
                    hor,
                    ver,
                    ctr,
                    tmp,
                    ..
                } = &mut want;
                compute_planes(&src, ss, w, h, planes, full, hor, ver, ctr, tmp);
            }
            {
                let LumaWindow {
                    full,
                    hor,
                    ver,
                    ctr,
                    tmp,
                    ..
                } = &mut got;
                assert!(compute_planes_twin(
                    &src, ss, w, h, planes, full, hor, ver, ctr, tmp
                ));
            }
            assert!(want.full == got.full, "full {w}x{h} {planes:?}");
            assert!(want.hor == got.hor, "hor {w}x{h} {planes:?}");
            assert!(want.ver == got.ver, "ver {w}x{h} {planes:?}");
            assert!(want.ctr == got.ctr, "ctr {w}x{h} {planes:?}");
        }
        // Too narrow or too short: refused, nothing written.
        let mut wnd = LumaWindow::new();
        let src = vec![7u8; SRC_MAX * SRC_MAX];
        let LumaWindow {
            full,
            hor,
            ver,
            ctr,
            tmp,
            ..
        } = &mut wnd;
        assert!(!compute_planes_twin(
            &src,
            SRC_MAX,
            7,
            7,
            Planes::ALL,
            full,
            hor,
            ver,
            ctr,
            tmp
        ));
        assert!(!compute_planes_twin(
            &src[..100],
            SRC_MAX,
            17,
            17,
            Planes::ALL,
            full,
            hor,
            ver,
            ctr,
            tmp
        ));
        assert!(full.iter().chain(hor.iter()).all(|&v| v == 0));
    }

    #[test]
    fn predict_direct_equals_window_planes() {
        let mut rng = Rng::new(0x05ee_d0fd_1ec7);
        let mut direct = 0;
        for iter in 0..4000 {
            let width = [8, 16, 24, 32][iter % 4];
            let height = match iter / 4 % 3 {
                0 => 16,
                1 => 8,
                _ => 1 + (rng.next_u64() % 33) as usize,
            };
            let (fx, fy) = ((rng.next_u64() % 4) as u32, (rng.next_u64() % 4) as u32);
            let ss = width + 6 + (rng.next_u64() % 9) as usize;
            // The last row unpadded, as a plane may be.
            let src: Vec<u8> = (0..ss * (height + 5) + width + 6).map(|_| sample(&mut rng)).collect();
            let out_stride = width + (rng.next_u64() % 5) as usize;
            let fill = rng.next_u64() as u8;
            let mut got = vec![fill; out_stride * height];
            assert!(predict_direct_twin(&src, ss, fx, fy, width, height, &mut got, out_stride), "({fx}, {fy}) refused");
            direct += 1;
            // The scalar planes of the window one larger each way, blended
            // as `LumaWindow::blend` does.
            let mut wnd = LumaWindow::new();
            let LumaWindow { full, hor, ver, ctr, tmp, .. } = &mut wnd;
            compute_planes(&src, ss, width + 1, height + 1, Planes::ALL, full, hor, ver, ctr, tmp);
            let phases = [&wnd.full[..], &wnd.hor[..], &wnd.ver[..], &wnd.ctr[..]];
            let (p, q) = super::super::quarter_sample_sources(fx, fy);
            let at = |(phase, dx, dy): (usize, usize, usize), x: usize, y: usize| {
                phases[phase][(y + dy) * WINDOW_MAX + x + dx]
            };
            let mut want = vec![fill; out_stride * height];
            for y in 0..height {
                for x in 0..width {
                    let a = at(p, x, y);
                    want[y * out_stride + x] = match q {
                        None => a,
                        Some(q) => ((a as u16 + at(q, x, y) as u16 + 1) >> 1) as u8,
                    };
                }
            }
            assert!(want == got, "({fx}, {fy}) {width}x{height} ss {ss}");
        }
        assert_eq!(direct, 4000);
        // Too short a source, or a width not a multiple of 8: refused.
        let src = vec![1u8; 22 * 22];
        let mut out = vec![0u8; 16 * 16];
        assert!(!predict_direct_twin(&src[..100], 22, 1, 0, 16, 16, &mut out, 16));
        assert!(!predict_direct_twin(&src, 22, 1, 0, 12, 12, &mut out, 16));
        assert!(!predict_direct_twin(&src, 22, 1, 0, 16, 16, &mut out[..200], 16));
        assert!(out.iter().all(|&v| v == 0));
    }

    #[test]
    fn average_row_equals_scalar() {
        let mut rng = Rng::new(99);
        for n in 0..40 {
            let a: Vec<u8> = (0..n).map(|_| sample(&mut rng)).collect();
            let b: Vec<u8> = (0..n).map(|_| sample(&mut rng)).collect();
            let want: Vec<u8> = a
                .iter()
                .zip(&b)
                .map(|(&a, &b)| ((a as u16 + b as u16 + 1) >> 1) as u8)
                .collect();
            let mut got = vec![0u8; n];
            if average_row_twin(&mut got, &a, &b) {
                assert_eq!(got, want, "{n}");
            } else {
                assert!(n < 8 && got.iter().all(|&v| v == 0));
            }
        }
    }
}
