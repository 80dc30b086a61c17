//! SSE2 twins of the luma interpolation kernels (x86 and x86_64, where SSE2
//! is the baseline): the same code as the simd128 twins of `wasm.rs`
//! (`simd_body.rs`), written over thin wrappers that give each SSE2
//! intrinsic the name of the simd128 one it stands for. Natively LLVM
//! auto-vectorises the scalar reference too, but poorly for the 6-tap
//! planes (the window computation was a quarter of the native decoder's
//! time). The tests run with the crate's native tests.

// Intrinsics are safe to call in SSE2 code since Rust 1.87, but `unsafe` in
// 1.85 (the workspace's minimum), hence the blocks rustc may call unused.
#![allow(unused_unsafe)]

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use super::{Planes, WINDOW_MAX};

/// An SSE2 register, under the simd128 name the shared body uses.
#[allow(non_camel_case_types)]
type v128 = __m128i;

/// Eight bytes at `p`, zero-extended to `u16` lanes (`punpcklbw` with zero).
///
/// # Safety
/// `p..p + 8` is readable.
#[inline(always)]
unsafe fn u16x8_load_extend_u8x8(p: *const u8) -> v128 {
    unsafe { _mm_unpacklo_epi8(_mm_loadl_epi64(p as *const __m128i), _mm_setzero_si128()) }
}

/// Eight bytes at `p` in the low half, zeros above.
///
/// # Safety
/// `p..p + 8` is readable.
#[inline(always)]
unsafe fn v128_load64_zero(p: *const u64) -> v128 {
    unsafe { _mm_loadl_epi64(p as *const __m128i) }
}

/// # Safety
/// `p..p + 16` is readable.
#[inline(always)]
unsafe fn v128_load(p: *const v128) -> v128 {
    unsafe { _mm_loadu_si128(p) }
}

/// # Safety
/// `p..p + 16` is writable.
#[inline(always)]
unsafe fn v128_store(p: *mut v128, v: v128) {
    unsafe { _mm_storeu_si128(p, v) }
}

/// Stores the low eight bytes of `v` at `p`.
///
/// # Safety
/// `p..p + 8` is writable.
#[inline(always)]
unsafe fn store_lo64(p: *mut u8, v: v128) {
    unsafe { _mm_storel_epi64(p as *mut __m128i, v) }
}

#[inline(always)]
fn i16x8_add(a: v128, b: v128) -> v128 {
    unsafe { _mm_add_epi16(a, b) }
}

#[inline(always)]
fn i16x8_sub(a: v128, b: v128) -> v128 {
    unsafe { _mm_sub_epi16(a, b) }
}

#[inline(always)]
fn i16x8_mul(a: v128, b: v128) -> v128 {
    unsafe { _mm_mullo_epi16(a, b) }
}

#[inline(always)]
fn i16x8_shl(a: v128, bits: u32) -> v128 {
    unsafe { _mm_sll_epi16(a, _mm_cvtsi32_si128(bits as i32)) }
}

/// Arithmetic shift right.
#[inline(always)]
fn i16x8_shr(a: v128, bits: u32) -> v128 {
    unsafe { _mm_sra_epi16(a, _mm_cvtsi32_si128(bits as i32)) }
}

#[inline(always)]
fn i16x8_splat(v: i16) -> v128 {
    unsafe { _mm_set1_epi16(v) }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn i16x8(a: i16, b: i16, c: i16, d: i16, e: i16, f: i16, g: i16, h: i16) -> v128 {
    unsafe { _mm_setr_epi16(a, b, c, d, e, f, g, h) }
}

/// Signed `i16` to unsigned bytes, saturating (`packuswb`).
#[inline(always)]
fn u8x16_narrow_i16x8(a: v128, b: v128) -> v128 {
    unsafe { _mm_packus_epi16(a, b) }
}

/// Signed `i32` to `i16`, saturating (`packssdw`).
#[inline(always)]
fn i16x8_narrow_i32x4(a: v128, b: v128) -> v128 {
    unsafe { _mm_packs_epi32(a, b) }
}

#[inline(always)]
fn i32x4_add(a: v128, b: v128) -> v128 {
    unsafe { _mm_add_epi32(a, b) }
}

/// Arithmetic shift right.
#[inline(always)]
fn i32x4_shr(a: v128, bits: u32) -> v128 {
    unsafe { _mm_sra_epi32(a, _mm_cvtsi32_si128(bits as i32)) }
}

/// Sums of adjacent `i16` products into `i32` (`pmaddwd`).
#[inline(always)]
fn i32x4_dot_i16x8(a: v128, b: v128) -> v128 {
    unsafe { _mm_madd_epi16(a, b) }
}

/// `(a + b + 1) >> 1` on bytes (`pavgb`).
#[inline(always)]
fn u8x16_avgr(a: v128, b: v128) -> v128 {
    unsafe { _mm_avg_epu8(a, b) }
}

#[inline(always)]
fn interleave_lo16(a: v128, b: v128) -> v128 {
    unsafe { _mm_unpacklo_epi16(a, b) }
}

#[inline(always)]
fn interleave_hi16(a: v128, b: v128) -> v128 {
    unsafe { _mm_unpackhi_epi16(a, b) }
}

include!("simd_body.rs");
