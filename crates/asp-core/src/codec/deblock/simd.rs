//! The kernel entry points: the SIMD body (`lanes.rs`, one generic kernel
//! per edge kind) on SSE2 (`x86.rs`, x86_64 baseline), simd128 (`wasm.rs`,
//! wasm32 built with `+simd128`) or NEON (`neon.rs`, aarch64) when `simd`
//! allows (the
//! [`Deblocker`](super::Deblocker)'s [`CpuFeatures`](crate::cpu::CpuFeatures)
//! do), the scalar reference otherwise. Each filters one segment at a given
//! sample index; the SIMD ones fall back to scalar if the tile does not fit
//! (never the case for calls from this module).

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128"),
    all(target_arch = "aarch64", target_feature = "neon")
))]
mod lanes;
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
#[allow(unused_unsafe)] // the intrinsics are safe to call on newer compilers
mod neon;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)] // the intrinsics are safe to call on newer compilers
mod x86;

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
use neon::Native;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use wasm::Native;
#[cfg(target_arch = "x86_64")]
use x86::Native;

use super::scalar::{chroma_segment_scalar, luma_segment_scalar};
use super::strength::EdgeParams;

/// The one dispatch: returns from the calling function when `simd` allows,
/// this build has the SIMD body `$kernel`, and the body filtered the tile;
/// otherwise falls through to the caller's scalar code.
macro_rules! try_simd {
    ($simd:expr, $kernel:ident($($arg:expr),* $(,)?)) => {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128"),
            all(target_arch = "aarch64", target_feature = "neon")
        ))]
        if $simd && lanes::$kernel::<Native>($($arg),*) {
            return;
        }
        let _ = $simd;
    };
}

#[inline]
pub(super) fn luma_vertical(simd: bool, data: &mut [u8], q0: usize, stride: usize, e: EdgeParams) {
    try_simd!(simd, luma_vertical(data, q0, stride, e));
    luma_segment_scalar(data, q0, 1, stride, 8, e);
}

#[inline]
pub(super) fn luma_horizontal(simd: bool, data: &mut [u8], q0: usize, stride: usize, e: EdgeParams) {
    try_simd!(simd, luma_horizontal(data, q0, stride, e));
    luma_segment_scalar(data, q0, stride, 1, 8, e);
}

#[inline]
pub(super) fn chroma_vertical(simd: bool, data: &mut [u8], q0: usize, stride: usize, h: [EdgeParams; 2]) {
    try_simd!(simd, chroma_vertical(data, q0, stride, h));
    chroma_segment_scalar(data, q0, 1, stride, 8, 0, h);
}

#[inline]
pub(super) fn chroma_horizontal(simd: bool, data: &mut [u8], q0: usize, stride: usize, h: [EdgeParams; 2]) {
    try_simd!(simd, chroma_horizontal(data, q0, stride, h));
    chroma_segment_scalar(data, q0, stride, 1, 8, 0, h);
}

/// Two luma segments side by side (16 columns from `q0`): the same as
/// [`luma_horizontal`] at `q0` with `e[0]` and at `q0 + 8` with `e[1]`
/// (an inactive one is skipped).
#[inline]
pub(super) fn luma_horizontal_pair(simd: bool, data: &mut [u8], q0: usize, stride: usize, e: [EdgeParams; 2]) {
    try_simd!(simd, luma_horizontal_pair(data, q0, stride, e));
    for (k, e) in e.into_iter().enumerate() {
        if e.active() {
            luma_horizontal(simd, data, q0.saturating_add(8 * k), stride, e);
        }
    }
}

/// Two chroma segments side by side: [`chroma_horizontal`] at `q0` with
/// `h[0]` and at `q0 + 8` with `h[1]`.
#[inline]
pub(super) fn chroma_horizontal_pair(
    simd: bool,
    data: &mut [u8],
    q0: usize,
    stride: usize,
    h: [[EdgeParams; 2]; 2],
) {
    try_simd!(simd, chroma_horizontal_pair(data, q0, stride, h));
    for (k, h) in h.into_iter().enumerate() {
        if h[0].active() || h[1].active() {
            chroma_horizontal(simd, data, q0.saturating_add(8 * k), stride, h);
        }
    }
}
