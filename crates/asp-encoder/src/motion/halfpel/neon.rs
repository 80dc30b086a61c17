//! aarch64 NEON twins of the half-pel filter's row kernels and of
//! [`sad_average`](super::sad_average), for [`HalfpelPlanes`](super::HalfpelPlanes).
//!
//! Each kernel does eight (or sixteen) samples a step with the scalar
//! reference's integer arithmetic and hands the last columns (fewer than a
//! step) to the scalar kernel on the same sub-slices, so every output is
//! the scalar one:
//!
//! * the 6-tap filter on `u8` samples in `i16` lanes: its result lies in
//!   `-2550..=10710`, so nothing wraps;
//! * `clip((t + 16) >> 5)` is `sqrshrun #5` (rounding, then saturation to
//!   `0..=255`, computed without overflow);
//! * the centre taps over the unrounded `i16` rows run in `i32` lanes
//!   (widening adds and multiply-accumulates), and `clip((j1 + 512) >> 10)`
//!   is `sqrshrun #10` to `u16` then a saturating narrow to `u8`;
//! * the quarter-sample average rounding up is `urhadd`, `|p - c|` is
//!   `uabd`.
//!
//! `HalfpelPlanes`' tests hold the planes and SADs equal to the scalar
//! ones under qemu-user (`tests/arm/run.sh`).

// NEON intrinsics are safe to call where the feature is enabled since Rust
// 1.87, but `unsafe` in 1.85 (the workspace's minimum).
#![allow(unused_unsafe)]

use core::arch::aarch64::*;

/// `s0 - 5 s1 + 20 s2 + 20 s3 - 5 s4 + s5` of eight samples a row, the
/// rows `step` apart from `p`, in `i16` lanes.
///
/// # Safety
/// Eight bytes at `p + k * step` are readable for `k` in `0..6`.
#[inline(always)]
unsafe fn tap8(p: *const u8, step: usize) -> int16x8_t {
    unsafe {
        let load = |k: usize| vld1_u8(p.add(k * step));
        let outer = vreinterpretq_s16_u16(vaddl_u8(load(0), load(5)));
        let near = vreinterpretq_s16_u16(vaddl_u8(load(1), load(4)));
        let centre = vreinterpretq_s16_u16(vaddl_u8(load(2), load(3)));
        vmlsq_n_s16(vmlaq_n_s16(outer, centre, 20), near, 5)
    }
}

/// Twin of `horizontal_taps` (same arguments and result).
pub(super) fn horizontal_taps(row: &[u8], out: &mut [i16]) {
    let Some(n) = row.len().checked_sub(5) else {
        return super::horizontal_taps(row, out);
    };
    if out.len() < n + 2 {
        return super::horizontal_taps(row, out);
    }
    let mut i = 0;
    // SAFETY: step `i` reads `row[i..i + 13]` (i + 8 <= n = len - 5) and
    // writes `out[i + 2..i + 10]` (i + 10 <= n + 2 <= out.len()).
    unsafe {
        while i + 8 <= n {
            vst1q_s16(out.as_mut_ptr().add(i + 2), tap8(row.as_ptr().add(i), 1));
            i += 8;
        }
    }
    super::horizontal_taps(&row[i..], &mut out[i..]);
}

/// Twin of `round_half` (same arguments and result).
pub(super) fn round_half(b1: &[i16], out: &mut [u8]) {
    let n = b1.len().min(out.len());
    let mut i = 0;
    // SAFETY: step `i` reads `b1[i..i + 8]` and writes `out[i..i + 8]`,
    // i + 8 <= n.
    unsafe {
        while i + 8 <= n {
            vst1_u8(out.as_mut_ptr().add(i), vqrshrun_n_s16::<5>(vld1q_s16(b1.as_ptr().add(i))));
            i += 8;
        }
    }
    super::round_half(&b1[i..], &mut out[i..]);
}

/// Twin of `vertical_half` (same arguments and result).
pub(super) fn vertical_half(g: &[u8], stride: usize, r: usize, out: &mut [u8]) {
    let n = out.len();
    // The scalar kernel's own slicing bound: rows r - 2 ..= r + 3, n wide.
    let fits = r
        .checked_sub(2)
        .and_then(|top| top.checked_mul(stride))
        .and_then(|top| top.checked_add(5 * stride + n))
        .is_some_and(|end| end <= g.len());
    if !fits {
        return super::vertical_half(g, stride, r, out);
    }
    let top = (r - 2) * stride;
    let mut i = 0;
    // SAFETY: step `i` reads eight bytes at `top + k * stride + i`,
    // k in 0..6, i + 8 <= n, inside `g` by `fits`; writes `out[i..i + 8]`.
    unsafe {
        while i + 8 <= n {
            let taps = tap8(g.as_ptr().add(top + i), stride);
            vst1_u8(out.as_mut_ptr().add(i), vqrshrun_n_s16::<5>(taps));
            i += 8;
        }
    }
    super::vertical_half(&g[i..], stride, r, &mut out[i..]);
}

/// Twin of `centre_half` (same arguments and result).
pub(super) fn centre_half(b1: &[i16], stride: usize, out: &mut [u8]) {
    let n = out.len();
    let fits = stride.checked_mul(5).and_then(|s| s.checked_add(n)).is_some_and(|end| end <= b1.len());
    if !fits {
        return super::centre_half(b1, stride, out);
    }
    let mut i = 0;
    // SAFETY: step `i` reads eight `i16` at `k * stride + i`, k in 0..6,
    // i + 8 <= n, inside `b1` by `fits`; writes `out[i..i + 8]`.
    unsafe {
        while i + 8 <= n {
            let row = |k: usize| vld1q_s16(b1.as_ptr().add(k * stride + i));
            let (r0, r1, r2, r3, r4, r5) = (row(0), row(1), row(2), row(3), row(4), row(5));
            let half = |outer: int32x4_t, near: int32x4_t, centre: int32x4_t| {
                vqrshrun_n_s32::<10>(vmlsq_n_s32(vmlaq_n_s32(outer, centre, 20), near, 5))
            };
            let low = half(
                vaddl_s16(vget_low_s16(r0), vget_low_s16(r5)),
                vaddl_s16(vget_low_s16(r1), vget_low_s16(r4)),
                vaddl_s16(vget_low_s16(r2), vget_low_s16(r3)),
            );
            let high = half(vaddl_high_s16(r0, r5), vaddl_high_s16(r1, r4), vaddl_high_s16(r2, r3));
            vst1_u8(out.as_mut_ptr().add(i), vqmovn_u16(vcombine_u16(low, high)));
            i += 8;
        }
    }
    super::centre_half(&b1[i..], stride, &mut out[i..]);
}

/// Twin of [`sad_average`](super::sad_average) for 16 and 8 wide blocks
/// (other widths, or slices shorter than the block, take the scalar code).
pub(super) fn sad_average(
    p: &[u8],
    q: Option<&[u8]>,
    stride: usize,
    width: usize,
    height: usize,
    current: &[u8],
    current_stride: usize,
) -> u32 {
    let span = height.checked_sub(1).and_then(|h| h.checked_mul(stride)).and_then(|s| s.checked_add(width));
    let current_span =
        height.checked_sub(1).and_then(|h| h.checked_mul(current_stride)).and_then(|s| s.checked_add(width));
    let (Some(span), Some(current_span)) = (span, current_span) else {
        return super::sad_average(p, q, stride, width, height, current, current_stride);
    };
    if p.len() < span || q.is_some_and(|q| q.len() < span) || current.len() < current_span || !(width == 16 || width == 8) {
        return super::sad_average(p, q, stride, width, height, current, current_stride);
    }
    // SAFETY: every load reads `width` bytes at row offsets inside the
    // lengths checked above.
    unsafe {
        let mut acc = vdupq_n_u32(0);
        for row in 0..height {
            let (s, c) = (row * stride, row * current_stride);
            if width == 16 {
                let mut predicted = vld1q_u8(p.as_ptr().add(s));
                if let Some(q) = q {
                    predicted = vrhaddq_u8(predicted, vld1q_u8(q.as_ptr().add(s)));
                }
                acc = vpadalq_u16(acc, vpaddlq_u8(vabdq_u8(predicted, vld1q_u8(current.as_ptr().add(c)))));
            } else {
                let mut predicted = vld1_u8(p.as_ptr().add(s));
                if let Some(q) = q {
                    predicted = vrhadd_u8(predicted, vld1_u8(q.as_ptr().add(s)));
                }
                acc = vaddw_u16(acc, vpaddl_u8(vabd_u8(predicted, vld1_u8(current.as_ptr().add(c)))));
            }
        }
        vaddvq_u32(acc)
    }
}
