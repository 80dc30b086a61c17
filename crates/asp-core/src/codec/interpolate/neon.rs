//! aarch64 NEON twins of the luma interpolation kernels: the same code as
//! the simd128 twins of `wasm.rs` and the SSE2 twins of `x86.rs`
//! (`simd_body.rs`), written over thin wrappers that give NEON intrinsics
//! the names of the simd128 operations they stand for. Each wrapper has
//! exactly the lane semantics of its simd128 namesake (wrapping `i16` and
//! `i32` arithmetic, arithmetic right shifts, saturating narrows, the
//! pairwise `i32x4.dot_i16x8_s` as `smull` + `addp`, `(a + b + 1) >> 1` as
//! `urhadd`), so the body's proof of exactness in `wasm.rs` holds as it
//! is. The tests run with the crate's tests under qemu-user
//! (`tests/arm/run.sh`).

// NEON intrinsics are safe to call where the feature is enabled since Rust
// 1.87, but `unsafe` in 1.85 (the workspace's minimum).
#![allow(unused_unsafe)]

use core::arch::aarch64::*;

use super::{Planes, WINDOW_MAX};

/// A NEON register as eight `i16` lanes, under the simd128 name the shared
/// body uses; the wrappers reinterpret it for other lane shapes.
#[allow(non_camel_case_types)]
type v128 = int16x8_t;

/// Eight bytes at `p`, zero-extended to `u16` lanes (`uxtl`).
///
/// # Safety
/// `p..p + 8` is readable.
#[inline(always)]
unsafe fn u16x8_load_extend_u8x8(p: *const u8) -> v128 {
    unsafe { vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p))) }
}

/// Eight bytes at `p` in the low half, zeros above.
///
/// # Safety
/// `p..p + 8` is readable.
#[inline(always)]
unsafe fn v128_load64_zero(p: *const u64) -> v128 {
    unsafe { vreinterpretq_s16_u64(vcombine_u64(vcreate_u64(core::ptr::read_unaligned(p)), vcreate_u64(0))) }
}

/// # Safety
/// `p..p + 16` is readable.
#[inline(always)]
unsafe fn v128_load(p: *const v128) -> v128 {
    unsafe { vreinterpretq_s16_u8(vld1q_u8(p as *const u8)) }
}

/// # Safety
/// `p..p + 16` is writable.
#[inline(always)]
unsafe fn v128_store(p: *mut v128, v: v128) {
    unsafe { vst1q_u8(p as *mut u8, vreinterpretq_u8_s16(v)) }
}

/// Stores the low eight bytes of `v` at `p`.
///
/// # Safety
/// `p..p + 8` is writable.
#[inline(always)]
unsafe fn store_lo64(p: *mut u8, v: v128) {
    unsafe { vst1_u8(p, vget_low_u8(vreinterpretq_u8_s16(v))) }
}

#[inline(always)]
fn i16x8_add(a: v128, b: v128) -> v128 {
    unsafe { vaddq_s16(a, b) }
}

#[inline(always)]
fn i16x8_sub(a: v128, b: v128) -> v128 {
    unsafe { vsubq_s16(a, b) }
}

#[inline(always)]
fn i16x8_mul(a: v128, b: v128) -> v128 {
    unsafe { vmulq_s16(a, b) }
}

/// Shift left by `bits` (below 16, as every call's constant is).
#[inline(always)]
fn i16x8_shl(a: v128, bits: u32) -> v128 {
    unsafe { vshlq_s16(a, vdupq_n_s16(bits as i16)) }
}

/// Arithmetic shift right by `bits` (below 16): `sshl` by a negative count.
#[inline(always)]
fn i16x8_shr(a: v128, bits: u32) -> v128 {
    unsafe { vshlq_s16(a, vdupq_n_s16(-(bits as i16))) }
}

#[inline(always)]
fn i16x8_splat(v: i16) -> v128 {
    unsafe { vdupq_n_s16(v) }
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn i16x8(a: i16, b: i16, c: i16, d: i16, e: i16, f: i16, g: i16, h: i16) -> v128 {
    let lanes = [a, b, c, d, e, f, g, h];
    unsafe { vld1q_s16(lanes.as_ptr()) }
}

/// Signed `i16` to unsigned bytes, saturating (`sqxtun`), `a` then `b`.
#[inline(always)]
fn u8x16_narrow_i16x8(a: v128, b: v128) -> v128 {
    unsafe { vreinterpretq_s16_u8(vcombine_u8(vqmovun_s16(a), vqmovun_s16(b))) }
}

/// Signed `i32` to `i16`, saturating (`sqxtn`), `a` then `b`.
#[inline(always)]
fn i16x8_narrow_i32x4(a: v128, b: v128) -> v128 {
    unsafe { vcombine_s16(vqmovn_s32(vreinterpretq_s32_s16(a)), vqmovn_s32(vreinterpretq_s32_s16(b))) }
}

#[inline(always)]
fn i32x4_add(a: v128, b: v128) -> v128 {
    unsafe { vreinterpretq_s16_s32(vaddq_s32(vreinterpretq_s32_s16(a), vreinterpretq_s32_s16(b))) }
}

/// Arithmetic shift right by `bits` (below 32).
#[inline(always)]
fn i32x4_shr(a: v128, bits: u32) -> v128 {
    unsafe { vreinterpretq_s16_s32(vshlq_s32(vreinterpretq_s32_s16(a), vdupq_n_s32(-(bits as i32)))) }
}

/// Sums of adjacent `i16` products into `i32`, lane `k` from `i16` lanes
/// `2k` and `2k + 1` (`smull`, `smull2`, then the pairwise `addp`).
#[inline(always)]
fn i32x4_dot_i16x8(a: v128, b: v128) -> v128 {
    unsafe {
        let low = vmull_s16(vget_low_s16(a), vget_low_s16(b));
        let high = vmull_high_s16(a, b);
        vreinterpretq_s16_s32(vpaddq_s32(low, high))
    }
}

/// `(a + b + 1) >> 1` on bytes (`urhadd`).
#[inline(always)]
fn u8x16_avgr(a: v128, b: v128) -> v128 {
    unsafe { vreinterpretq_s16_u8(vrhaddq_u8(vreinterpretq_u8_s16(a), vreinterpretq_u8_s16(b))) }
}

/// Interleaves the low four `i16` lanes of `a` and `b`: `a0 b0 a1 b1 ..`.
#[inline(always)]
fn interleave_lo16(a: v128, b: v128) -> v128 {
    unsafe { vzip1q_s16(a, b) }
}

/// Interleaves the high four `i16` lanes of `a` and `b`: `a4 b4 a5 b5 ..`.
#[inline(always)]
fn interleave_hi16(a: v128, b: v128) -> v128 {
    unsafe { vzip2q_s16(a, b) }
}

include!("simd_body.rs");
