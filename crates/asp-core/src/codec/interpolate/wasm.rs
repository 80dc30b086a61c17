//! WebAssembly simd128 twins of the luma interpolation kernels, for the
//! browser decoder (built with `-C target-feature=+simd128`).
//!
//! `compute_planes_twin` is the twin of the scalar `compute_planes`
//! (the integer, horizontal, vertical and centre half-pel planes of a
//! window) and `average_row_twin` of the rounded average in
//! `LumaWindow::blend`. Same integer arithmetic as the scalar reference, so
//! the same result to the bit:
//!
//! * the 6-tap filter on `u8` samples runs in `i16` lanes: its result lies
//!   in `-2550..=10710` and every intermediate used below fits as well;
//! * the centre tap over the unrounded `i16` intermediates sums pairs into
//!   `i16` (each pair sum lies in `-5100..=21420`) and finishes in `i32`
//!   with `i32x4.dot_i16x8_s` (exact products and sums);
//! * `clip((v + r) >> s)` is an arithmetic shift and a saturating narrow to
//!   `u8`, which clamps to `0..=255` exactly as `clip_u8` does.
//!
//! Rows are processed eight samples at a time; a row whose width is not a
//! multiple of eight ends with a block that overlaps the one before (the
//! outputs are pure functions of the inputs, so writing a sample twice
//! writes the same value). Hence widths below 8 stay with the scalar code.
//!
//! Memory safety: each public function checks, once, that every row it
//! reads or writes lies inside its slices, and does nothing (returns
//! `false`) otherwise; all loads and stores are unaligned-safe.
//!
//! The code is in `simd_body.rs`, shared with the SSE2 twins of `x86.rs`;
//! `tests/wasm-simd/run.sh` runs its tests (twin == scalar on random
//! inputs) under Node.

use core::arch::wasm32::*;

use super::{Planes, WINDOW_MAX};

/// Interleaves the low four `i16` lanes of `a` and `b`: `a0 b0 a1 b1 ..`.
#[inline(always)]
fn interleave_lo16(a: v128, b: v128) -> v128 {
    i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(a, b)
}

/// Interleaves the high four `i16` lanes of `a` and `b`: `a4 b4 a5 b5 ..`.
#[inline(always)]
fn interleave_hi16(a: v128, b: v128) -> v128 {
    i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(a, b)
}

/// Stores the low eight bytes of `v` at `p`.
///
/// # Safety
/// `p..p + 8` is writable.
#[inline(always)]
unsafe fn store_lo64(p: *mut u8, v: v128) {
    unsafe { v128_store64_lane::<0>(v, p as *mut u64) }
}

include!("simd_body.rs");
