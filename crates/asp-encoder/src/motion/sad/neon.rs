//! aarch64 NEON twin of the scalar SAD (see `sad.rs`). NEON is the
//! Armv8-A baseline, so the twin is in every aarch64 build.
//!
//! `|a - b|` is one instruction (`uabd`); each 16 (or 8, or 4) samples'
//! differences are summed pairwise into 16-bit lanes (`uaddlp`) and then
//! into 32-bit lanes (`uadalp`, `uaddw`), so no lane can overflow for any
//! block of at most `MAX_SAD_SAMPLES` samples. Widths that are not a
//! multiple of 4 end with the scalar row code.

// NEON intrinsics are safe to call where the feature is enabled since Rust
// 1.87, but `unsafe` in 1.85 (the workspace's minimum).
#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use super::scalar_row;

/// Four bytes at `p` in the low lanes, zeros above.
///
/// # Safety
/// `p..p + 4` is readable.
#[inline(always)]
unsafe fn load4(p: *const u8) -> uint8x8_t {
    unsafe { vcreate_u8(u64::from(core::ptr::read_unaligned(p as *const u32))) }
}

/// NEON SAD of a `w` x `h` block.
///
/// # Safety
///
/// Blocks readable as in `Sad::sad_unchecked`.
pub(super) unsafe fn sad_neon(a: *const u8, sa: usize, b: *const u8, sb: usize, w: usize, h: usize) -> u32 {
    let mut acc = unsafe { vdupq_n_u32(0) };
    let mut tail = 0u32;
    for y in 0..h {
        // SAFETY: every read below is at x + n <= w inside row y.
        unsafe {
            let (ra, rb) = (a.add(y * sa), b.add(y * sb));
            let mut x = 0;
            while x + 16 <= w {
                let d = vabdq_u8(vld1q_u8(ra.add(x)), vld1q_u8(rb.add(x)));
                acc = vpadalq_u16(acc, vpaddlq_u8(d));
                x += 16;
            }
            if x + 8 <= w {
                let d = vabd_u8(vld1_u8(ra.add(x)), vld1_u8(rb.add(x)));
                acc = vaddw_u16(acc, vpaddl_u8(d));
                x += 8;
            }
            if x + 4 <= w {
                let d = vabd_u8(load4(ra.add(x)), load4(rb.add(x)));
                acc = vaddw_u16(acc, vpaddl_u8(d));
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
    unsafe { vaddvq_u32(acc) + tail }
}
