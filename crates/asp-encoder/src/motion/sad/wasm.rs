//! WebAssembly simd128 twin of the scalar SAD (see `sad.rs`), compiled only
//! when the build enables `simd128` (`RUSTFLAGS=-Ctarget-feature=+simd128`):
//! wasm has no runtime feature detection.
//!
//! `|a - b|` is `sat(a - b) | sat(b - a)`; rows are summed with pairwise
//! widening adds into 32-bit lanes, so no lane can overflow.

use core::arch::wasm32::*;

use super::scalar_row;

/// `|a - b|` of 16 samples, widened and summed into four u32 lanes.
#[inline(always)]
fn absdiff_sum16(x: v128, y: v128) -> v128 {
    let d = v128_or(u8x16_sub_sat(x, y), u8x16_sub_sat(y, x));
    u32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(d))
}

#[inline(always)]
fn hsum(v: v128) -> u32 {
    u32x4_extract_lane::<0>(v)
        .wrapping_add(u32x4_extract_lane::<1>(v))
        .wrapping_add(u32x4_extract_lane::<2>(v))
        .wrapping_add(u32x4_extract_lane::<3>(v))
}

/// simd128 SAD of a `w` x `h` block.
///
/// # Safety
///
/// Blocks readable as in `Sad::sad_unchecked` (wasm loads may be unaligned).
pub(super) unsafe fn sad_simd128(
    a: *const u8,
    sa: usize,
    b: *const u8,
    sb: usize,
    w: usize,
    h: usize,
) -> u32 {
    let mut acc = u32x4_splat(0);
    let mut tail = 0u32;
    for y in 0..h {
        // SAFETY: every read below is at x + n <= w inside row y.
        unsafe {
            let (ra, rb) = (a.add(y * sa), b.add(y * sb));
            let mut x = 0;
            while x + 16 <= w {
                let xa = v128_load(ra.add(x) as *const v128);
                let xb = v128_load(rb.add(x) as *const v128);
                acc = i32x4_add(acc, absdiff_sum16(xa, xb));
                x += 16;
            }
            if x + 8 <= w {
                let xa = v128_load64_zero(ra.add(x) as *const u64);
                let xb = v128_load64_zero(rb.add(x) as *const u64);
                acc = i32x4_add(acc, absdiff_sum16(xa, xb));
                x += 8;
            }
            if x + 4 <= w {
                let xa = v128_load32_zero(ra.add(x) as *const u32);
                let xb = v128_load32_zero(rb.add(x) as *const u32);
                acc = i32x4_add(acc, absdiff_sum16(xa, xb));
                x += 4;
            }
            if x < w {
                tail += scalar_row(
                    core::slice::from_raw_parts(ra.add(x), w - x),
                    core::slice::from_raw_parts(rb.add(x), w - x),
                );
            }
        }
    }
    hsum(acc) + tail
}
