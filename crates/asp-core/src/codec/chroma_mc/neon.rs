//! aarch64 NEON twin of the interior chroma blend (`blend_rows`).
//!
//! Same arithmetic as the scalar reference: the weights are at most 64, so
//! each weighted sum is a widening byte multiply-accumulate (`umull`,
//! `umlal`) into `u16` lanes (a blend is at most `64 * 255`, so nothing
//! wraps), and `(sum + 32) >> 6` is the rounding narrowing shift `rshrn`
//! (the result is at most 255, so the narrowing drops nothing). An 8-wide
//! block is one row per vector (each row's lower samples are reused as the
//! next row's upper ones); a 4-wide block puts two rows in one vector.
//!
//! Memory safety: the twin runs only when the whole block lies inside both
//! slices (one check, like the simd128 twin's fast path); otherwise it
//! returns `false`, having written nothing, and the caller runs the scalar
//! code, which also handles blocks cut by the end of the plane. Loads
//! never read past a row's `W + 1` samples.

// NEON intrinsics are safe to call where the feature is enabled since Rust
// 1.87, but `unsafe` in 1.85 (the workspace's minimum).
#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use super::PlaneRef;

/// Four bytes at `a` in lanes 0..4, four at `b` in lanes 4..8.
///
/// # Safety
/// `a..a + 4` and `b..b + 4` are readable.
#[inline(always)]
unsafe fn load_pair(a: *const u8, b: *const u8) -> uint8x8_t {
    unsafe {
        let (a, b) = (core::ptr::read_unaligned(a as *const u32), core::ptr::read_unaligned(b as *const u32));
        vcreate_u8(u64::from(a) | u64::from(b) << 32)
    }
}

/// NEON twin of `blend_rows::<W>` for `W` of 4 or 8 (same arguments and
/// result). Returns `false`, having written nothing, for other widths and
/// for blocks that do not lie wholly inside `reference` and `out`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn blend_rows_neon<const W: usize>(
    reference: &PlaneRef<'_>,
    bx: usize,
    by: usize,
    height: usize,
    weights: [u16; 4],
    out: &mut [u8],
    out_stride: usize,
) -> bool {
    if (W != 4 && W != 8) || height == 0 {
        return false;
    }
    let (stride, data) = (reference.stride(), reference.data());
    // Rows `by..=by + height` of `W + 1` samples in, `height` rows of `W` out.
    let src_end = (by + height).checked_mul(stride).and_then(|o| o.checked_add(bx + W + 1));
    let out_end = (height - 1).checked_mul(out_stride).and_then(|o| o.checked_add(W));
    let (Some(src_end), Some(out_end)) = (src_end, out_end) else {
        return false;
    };
    if src_end > data.len() || out_end > out.len() {
        return false;
    }
    // Every weight is at most 64.
    let [w_a, w_b, w_c, w_d] = weights.map(|w| unsafe { vdup_n_u8(w as u8) });
    let blend = |top: uint8x8_t, top1: uint8x8_t, bottom: uint8x8_t, bottom1: uint8x8_t| unsafe {
        let sum = vmull_u8(top, w_a);
        let sum = vmlal_u8(sum, top1, w_b);
        let sum = vmlal_u8(sum, bottom, w_c);
        vrshrn_n_u16::<6>(vmlal_u8(sum, bottom1, w_d))
    };
    // SAFETY: source row `r` (0..=height) starts at `(by + r) * stride + bx`
    // and its `W + 1` samples end at or before `src_end`; output row `r`
    // (0..height) starts at `r * out_stride` and its `W` bytes end at or
    // before `out_end`. Loads of `W` bytes at offsets 0 and 1 stay within
    // the `W + 1` samples.
    unsafe {
        let mut src = data.as_ptr().add(by * stride + bx);
        let mut dst = out.as_mut_ptr();
        if W == 8 {
            let (mut top, mut top1) = (vld1_u8(src), vld1_u8(src.add(1)));
            for _ in 0..height {
                src = src.add(stride);
                let (bottom, bottom1) = (vld1_u8(src), vld1_u8(src.add(1)));
                vst1_u8(dst, blend(top, top1, bottom, bottom1));
                dst = dst.add(out_stride);
                (top, top1) = (bottom, bottom1);
            }
        } else {
            let store = |dst: *mut u8, v: uint8x8_t, lane_pair: usize| {
                let words = vreinterpret_u32_u8(v);
                let word = if lane_pair == 0 { vget_lane_u32::<0>(words) } else { vget_lane_u32::<1>(words) };
                core::ptr::write_unaligned(dst as *mut u32, word);
            };
            let mut left = height;
            while left >= 2 {
                let (r1, r2) = (src.add(stride), src.add(2 * stride));
                let v = blend(
                    load_pair(src, r1),
                    load_pair(src.add(1), r1.add(1)),
                    load_pair(r1, r2),
                    load_pair(r1.add(1), r2.add(1)),
                );
                store(dst, v, 0);
                store(dst.add(out_stride), v, 1);
                src = r2;
                dst = dst.add(2 * out_stride);
                left -= 2;
            }
            if left == 1 {
                let r1 = src.add(stride);
                let v = blend(load_pair(src, src), load_pair(src.add(1), src.add(1)), load_pair(r1, r1), load_pair(r1.add(1), r1.add(1)));
                store(dst, v, 0);
            }
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

    /// The twin writes what `blend_rows` writes whenever it runs, and runs
    /// whenever the block lies inside the plane and the output.
    fn check<const W: usize>(rng: &mut Rng) {
        let (w, h) = (W + 1 + (rng.next_u64() % 12) as usize, 2 + (rng.next_u64() % 12) as usize);
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
        // Any height, even past the plane's last row (the twin then declines).
        let height = 1 + (rng.next_u64() % 10) as usize;
        let out_stride = W + (rng.next_u64() % 4) as usize;
        let fill = rng.next_u64() as u8;
        let mut want = vec![fill; out_stride * 10 + W];
        let mut got = want.clone();
        blend_rows::<W>(&plane, bx, by, height, weights, &mut want, out_stride);
        let inside = by + height < h;
        let ran = blend_rows_neon::<W>(&plane, bx, by, height, weights, &mut got, out_stride);
        assert_eq!(ran, inside, "W {W} plane {w}x{h} at ({bx}, {by}) height {height}");
        if ran {
            assert_eq!(want, got, "W {W} plane {w}x{h} at ({bx}, {by}) height {height} f ({fx}, {fy})");
        } else {
            assert_eq!(got, vec![fill; out_stride * 10 + W], "a declined call writes nothing");
        }
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
