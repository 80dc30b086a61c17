//! WebAssembly simd128 twin of the interior chroma blend (`blend_rows`),
//! for the browser decoder (built with `-C target-feature=+simd128`).
//!
//! Same arithmetic as the scalar reference, in `u16` lanes (a blend is at
//! most `64 * 255 + 32`, so nothing wraps): the four weighted samples, plus
//! 32, shifted right by 6, narrowed to bytes. An 8-wide block is one row
//! per vector (each row's lower samples are reused as the next row's
//! upper ones); a 4-wide block puts two rows in one vector.
//!
//! Memory safety: every row is taken as a checked slice of `W + 1` samples
//! (as the scalar code does) before any load; loads never read past it.

use core::arch::wasm32::*;

use super::PlaneRef;

/// Eight samples at `row[offset..]`, zero-extended to `u16` lanes.
///
/// # Safety
/// `offset + 8 <= row.len()`.
#[inline(always)]
unsafe fn load8(row: &[u8], offset: usize) -> v128 {
    unsafe { u16x8_load_extend_u8x8(row.as_ptr().add(offset)) }
}

/// simd128 twin of `blend_rows::<W>` for `W` of 4 or 8 (same arguments and
/// result; other widths do nothing and return `false`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn blend_rows_simd128<const W: usize>(
    reference: &PlaneRef<'_>,
    bx: usize,
    by: usize,
    height: usize,
    [w_a, w_b, w_c, w_d]: [u16; 4],
    out: &mut [u8],
    out_stride: usize,
) -> bool {
    if W != 4 && W != 8 {
        return false;
    }
    let (stride, data) = (reference.stride(), reference.data());
    let at = |y: usize| {
        data.get((by + y) * stride + bx..)
            .and_then(|r| r.get(..W + 1))
    };
    // A vector whole-sample in y (no lower row) or in x (no right column):
    // the terms of zero weight are left out below (they add nothing).
    let (no_lower, no_right) = (w_c == 0 && w_d == 0, w_b == 0 && w_d == 0);
    let (w_a, w_b, w_c, w_d) = (
        u16x8_splat(w_a),
        u16x8_splat(w_b),
        u16x8_splat(w_c),
        u16x8_splat(w_d),
    );
    let round = |v: v128| {
        let v = u16x8_shr(i16x8_add(v, u16x8_splat(32)), 6);
        u8x16_narrow_i16x8(v, v)
    };
    let weigh = |top: v128, top1: v128, bottom: v128, bottom1: v128| {
        let upper = i16x8_add(i16x8_mul(w_a, top), i16x8_mul(w_b, top1));
        let lower = i16x8_add(i16x8_mul(w_c, bottom), i16x8_mul(w_d, bottom1));
        round(i16x8_add(upper, lower))
    };
    // The whole block in one check (rows `by..=by + height`, `W + 1`
    // samples each; `height` output rows of `W`): then the rows go by
    // pointer, with no per-row checks. Otherwise, row by row, checked.
    let src_end = (by + height)
        .checked_mul(stride)
        .and_then(|o| o.checked_add(bx + W + 1));
    let out_end = height
        .checked_sub(1)
        .and_then(|h| h.checked_mul(out_stride))
        .and_then(|o| o.checked_add(W));
    if let (Some(src_end), Some(out_end)) = (src_end, out_end) {
        if src_end <= data.len() && out_end <= out.len() {
            // SAFETY: row `r` (0..=height) of the source starts at
            // `(by + r) * stride + bx` and its `W + 1` samples end at or
            // before `src_end`; output row `r` (0..height) starts at
            // `r * out_stride` and its `W` bytes end at or before `out_end`.
            // Loads of 8 (W = 8) or 4 (W = 4) at offsets 0 and 1 stay
            // within the `W + 1` samples.
            unsafe {
                let mut src = data.as_ptr().add(by * stride + bx);
                let mut dst = out.as_mut_ptr();
                if W == 8 && no_lower {
                    for _ in 0..height {
                        let (top, top1) = (u16x8_load_extend_u8x8(src), u16x8_load_extend_u8x8(src.add(1)));
                        let v = round(i16x8_add(i16x8_mul(w_a, top), i16x8_mul(w_b, top1)));
                        v128_store64_lane::<0>(v, dst as *mut u64);
                        src = src.add(stride);
                        dst = dst.add(out_stride);
                    }
                } else if W == 8 && no_right {
                    let mut top = u16x8_load_extend_u8x8(src);
                    for _ in 0..height {
                        src = src.add(stride);
                        let bottom = u16x8_load_extend_u8x8(src);
                        let v = round(i16x8_add(i16x8_mul(w_a, top), i16x8_mul(w_c, bottom)));
                        v128_store64_lane::<0>(v, dst as *mut u64);
                        dst = dst.add(out_stride);
                        top = bottom;
                    }
                } else if W == 8 {
                    let (mut top, mut top1) = (u16x8_load_extend_u8x8(src), u16x8_load_extend_u8x8(src.add(1)));
                    for _ in 0..height {
                        src = src.add(stride);
                        let (bottom, bottom1) = (u16x8_load_extend_u8x8(src), u16x8_load_extend_u8x8(src.add(1)));
                        v128_store64_lane::<0>(weigh(top, top1, bottom, bottom1), dst as *mut u64);
                        dst = dst.add(out_stride);
                        (top, top1) = (bottom, bottom1);
                    }
                } else {
                    // Two rows a vector, as below: lanes 0..4 row `r`,
                    // lanes 4..8 row `r + 1`.
                    let pair = |a: *const u8, b: *const u8| {
                        let v = v128_load32_zero(a as *const u32);
                        u16x8_extend_low_u8x16(v128_load32_lane::<1>(v, b as *const u32))
                    };
                    let mut left = height;
                    while left >= 2 {
                        let (r1, r2) = (src.add(stride), src.add(2 * stride));
                        let v = weigh(pair(src, r1), pair(src.add(1), r1.add(1)), pair(r1, r2), pair(r1.add(1), r2.add(1)));
                        v128_store32_lane::<0>(v, dst as *mut u32);
                        v128_store32_lane::<1>(v, dst.add(out_stride) as *mut u32);
                        src = r2;
                        dst = dst.add(2 * out_stride);
                        left -= 2;
                    }
                    if left == 1 {
                        let r1 = src.add(stride);
                        let v = weigh(pair(src, src), pair(src.add(1), src.add(1)), pair(r1, r1), pair(r1.add(1), r1.add(1)));
                        v128_store32_lane::<0>(v, dst as *mut u32);
                    }
                }
            }
            return true;
        }
    }
    let mut rows = out.chunks_mut(out_stride.max(1)).take(height);
    if W == 8 {
        let Some(first) = at(0) else { return true };
        // SAFETY (all loads): `first`, `top` and `bottom` are `W + 1` long.
        let (mut top, mut top1) = unsafe { (load8(first, 0), load8(first, 1)) };
        for (row, out_row) in rows.enumerate() {
            let (Some(bottom), Some(out_row)) = (at(row + 1), out_row.get_mut(..W)) else {
                return true;
            };
            let (bottom, bottom1) = unsafe { (load8(bottom, 0), load8(bottom, 1)) };
            let v = weigh(top, top1, bottom, bottom1);
            // SAFETY: `out_row` is `W` = 8 long.
            unsafe { v128_store64_lane::<0>(v, out_row.as_mut_ptr() as *mut u64) };
            (top, top1) = (bottom, bottom1);
        }
    } else {
        // Two rows a vector: lanes 0..4 row `r`, lanes 4..8 row `r + 1`.
        let mut row = 0;
        while let Some(out0) = rows.next() {
            let out1 = rows.next();
            let (Some(r0), Some(r1), Some(out0)) = (at(row), at(row + 1), out0.get_mut(..W)) else {
                return true;
            };
            let r2 = match out1 {
                Some(_) => at(row + 2),
                None => None,
            };
            // Row `r + 1`'s lower neighbours, or (a lone last row) row
            // `r + 1` again, whose lanes are then not stored.
            let r2 = r2.unwrap_or(r1);
            // SAFETY: every row slice is `W + 1` = 5 long: loads of 4 at 0 and 1.
            let pair = |a: &[u8], b: &[u8], offset: usize| unsafe {
                let v = v128_load32_zero(a.as_ptr().add(offset) as *const u32);
                let v = v128_load32_lane::<1>(v, b.as_ptr().add(offset) as *const u32);
                u16x8_extend_low_u8x16(v)
            };
            let v = weigh(
                pair(r0, r1, 0),
                pair(r0, r1, 1),
                pair(r1, r2, 0),
                pair(r1, r2, 1),
            );
            // SAFETY: `out0` is `W` = 4 long, as is `out1` once cut.
            unsafe { v128_store32_lane::<0>(v, out0.as_mut_ptr() as *mut u32) };
            match out1 {
                None => return true,
                Some(out1) => {
                    let (Some(_), Some(out1)) = (at(row + 2), out1.get_mut(..W)) else {
                        return true;
                    };
                    unsafe { v128_store32_lane::<1>(v, out1.as_mut_ptr() as *mut u32) };
                }
            }
            row += 2;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::blend_rows;
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    use asp_testkit::Rng;

    fn check<const W: usize>(rng: &mut Rng) {
        let (w, h) = (
            W + 1 + (rng.next_u64() % 12) as usize,
            2 + (rng.next_u64() % 12) as usize,
        );
        let stride = w + (rng.next_u64() % 5) as usize;
        // The last row unpadded, as a plane may be.
        let data: Vec<u8> = (0..stride * (h - 1) + w)
            .map(|_| match rng.next_u64() % 4 {
                0 => 0,
                1 => 255,
                _ => (rng.next_u64() >> 8) as u8,
            })
            .collect();
        let plane = PlaneRef::new(&data, w, h, stride).unwrap();
        let (fx, fy) = ((rng.next_u64() % 8) as u16, (rng.next_u64() % 8) as u16);
        let weights = [(8 - fx) * (8 - fy), fx * (8 - fy), (8 - fx) * fy, fx * fy];
        let bx = (rng.next_u64() % (w - W) as u64) as usize;
        let by = (rng.next_u64() % (h - 1) as u64) as usize;
        // Any height, even past the plane's last row (both then stop).
        let height = 1 + (rng.next_u64() % 10) as usize;
        let out_stride = W + (rng.next_u64() % 4) as usize;
        let fill = rng.next_u64() as u8;
        let mut want = vec![fill; out_stride * 10 + W];
        let mut got = want.clone();
        blend_rows::<W>(&plane, bx, by, height, weights, &mut want, out_stride);
        assert!(blend_rows_simd128::<W>(
            &plane, bx, by, height, weights, &mut got, out_stride
        ));
        assert_eq!(
            want, got,
            "W {W} plane {w}x{h} at ({bx}, {by}) height {height} f ({fx}, {fy})"
        );
    }

    #[test]
    fn blend_rows_equals_scalar() {
        let mut rng = Rng::new(0xdead_beef_cafe_f00d);
        for _ in 0..20000 {
            check::<8>(&mut rng);
            check::<4>(&mut rng);
        }
    }
}
