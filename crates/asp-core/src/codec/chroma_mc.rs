//! Chroma motion compensation: eighth-sample bilinear interpolation.
//!
//! In 4:2:0 a luma vector in quarter samples is, unchanged, a chroma vector
//! in eighth samples (the chroma plane is half the size). As in H.264, the
//! prediction at fraction (fx, fy) in eighths is the bilinear blend of the
//! four surrounding samples A (x, y), B (x+1, y), C (x, y+1), D (x+1, y+1):
//!
//! `((8-fx)(8-fy)A + fx(8-fy)B + (8-fx)fy C + fx fy D + 32) >> 6`
//!
//! Samples outside the plane take the nearest edge sample, as in luma.
//!
//! On `wasm32` built with `+simd128`, `chroma_mc/wasm.rs` holds a twin of
//! the interior 8- and 4-wide blend, tested equal to the scalar reference
//! here on random inputs (`tests/wasm-simd/run.sh` runs it under Node);
//! on aarch64, `chroma_mc/neon.rs` holds its NEON twin (`tests/arm/run.sh`
//! runs it under qemu-user); on x86-64, `chroma_mc/x86.rs` holds the SSE2
//! twin of the 8-wide blend.

use super::plane::PlaneRef;
use crate::cpu::CpuFeatures;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Side of the edge-clamped patch 8- and 4-wide blocks are blended from at
/// the picture's edges (blocks up to 16 rows: `height + 1` rows).
const PATCH: usize = 17;

/// Predicts the `width` x `height` chroma block whose top-left sample is at
/// (`x`, `y`) plus the vector (`mv_x`, `mv_y`) in eighth samples, into
/// `out` (row stride `out_stride`). Any position is valid. Blocks larger
/// than `out` allows are cut to fit (callers pass matching sizes).
#[allow(clippy::too_many_arguments)]
#[inline]
pub fn predict_chroma(
    reference: &PlaneRef<'_>,
    x: usize,
    y: usize,
    mv_x: i32,
    mv_y: i32,
    width: usize,
    height: usize,
    out: &mut [u8],
    out_stride: usize,
) {
    predict_chroma_with(CpuFeatures::detect(), reference, x, y, mv_x, mv_y, width, height, out, out_stride)
}

/// [`predict_chroma`] by the twin `cpu` allows (the simd128 blend on wasm32
/// built with `+simd128`, the NEON blend on aarch64, the SSE2 8-wide blend
/// on x86-64, else the scalar code); every choice predicts the same samples.
#[allow(clippy::too_many_arguments)]
pub fn predict_chroma_with(
    cpu: CpuFeatures,
    reference: &PlaneRef<'_>,
    x: usize,
    y: usize,
    mv_x: i32,
    mv_y: i32,
    width: usize,
    height: usize,
    out: &mut [u8],
    out_stride: usize,
) {
    #[cfg(any(all(target_arch = "wasm32", target_feature = "simd128"), all(target_arch = "aarch64", target_feature = "neon")))]
    let simd = cpu.masked(CpuFeatures::host()).has_simd128_twins();
    #[cfg(target_arch = "x86_64")]
    let sse2 = cpu.masked(CpuFeatures::host()).contains(CpuFeatures::SSE2);
    #[cfg(not(any(
        all(target_arch = "wasm32", target_feature = "simd128"),
        all(target_arch = "aarch64", target_feature = "neon"),
        target_arch = "x86_64"
    )))]
    let _ = cpu;
    let base_x = x as i64 + i64::from(mv_x >> 3);
    let base_y = y as i64 + i64::from(mv_y >> 3);
    let (fx, fy) = ((mv_x & 7) as u32, (mv_y & 7) as u32);
    let (w_a, w_b, w_c, w_d) = ((8 - fx) * (8 - fy), fx * (8 - fy), (8 - fx) * fy, fx * fy);
    let inside = base_x >= 0
        && base_y >= 0
        && (base_x as usize + width) < reference.width()
        && (base_y as usize + height) < reference.height();
    // A whole-sample vector (fx = fy = 0: the blend is `(64 A + 32) >> 6`,
    // i.e. A) with the block inside the plane is a plain copy: the common
    // case of still content.
    if fx == 0
        && fy == 0
        && base_x >= 0
        && base_y >= 0
        && base_x as usize + width <= reference.width()
        && base_y as usize + height <= reference.height()
    {
        match width {
            8 => copy_rows::<8>(reference, base_x as usize, base_y as usize, height, out, out_stride),
            4 => copy_rows::<4>(reference, base_x as usize, base_y as usize, height, out, out_stride),
            _ => {
                let (stride, data) = (reference.stride(), reference.data());
                let start = base_y as usize * stride + base_x as usize;
                let rows = data.get(start..).unwrap_or(&[]).chunks(stride.max(1));
                for (src, dst) in rows.zip(out.chunks_mut(out_stride.max(1))).take(height) {
                    let n = width.min(src.len()).min(dst.len());
                    dst[..n].copy_from_slice(&src[..n]);
                }
            }
        }
        return;
    }
    if width == 8 || width == 4 {
        // The rows and columns the blend reads: the plane itself when they
        // are inside it, else (at the picture's edges) an edge-clamped copy
        // of them, blended the same way.
        let patch: [u8; PATCH * PATCH];
        let source = if inside {
            Some((*reference, base_x as usize, base_y as usize))
        } else if height < PATCH {
            let mut copy = [0u8; PATCH * PATCH];
            reference.copy_clamped(base_x, base_y, width + 1, height + 1, &mut copy, PATCH);
            patch = copy;
            PlaneRef::new(&patch, width + 1, height + 1, PATCH).ok().map(|p| (p, 0, 0))
        } else {
            None
        };
        if let Some((plane, bx, by)) = source {
            let weights = [w_a, w_b, w_c, w_d].map(|w| w as u16);
            // On wasm32 with simd128, the twin of `blend_rows`.
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            if simd && match width {
                8 => wasm::blend_rows_simd128::<8>(&plane, bx, by, height, weights, out, out_stride),
                _ => wasm::blend_rows_simd128::<4>(&plane, bx, by, height, weights, out, out_stride),
            } {
                return;
            }
            // On aarch64, the NEON twin of `blend_rows`.
            #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
            if simd && match width {
                8 => neon::blend_rows_neon::<8>(&plane, bx, by, height, weights, out, out_stride),
                _ => neon::blend_rows_neon::<4>(&plane, bx, by, height, weights, out, out_stride),
            } {
                return;
            }
            // On x86-64, the SSE2 twin of `blend_rows::<8>`.
            #[cfg(target_arch = "x86_64")]
            if sse2 && width == 8 && x86::blend_rows_8_sse2(&plane, bx, by, height, weights, out, out_stride) {
                return;
            }
            // The block sizes of 16x16 and 8x8 luma partitions get loops of
            // constant length (vectorised); same arithmetic.
            match width {
                8 => blend_rows::<8>(&plane, bx, by, height, weights, out, out_stride),
                _ => blend_rows::<4>(&plane, bx, by, height, weights, out, out_stride),
            }
            return;
        }
    }
    for (row, out_row) in out.chunks_mut(out_stride.max(1)).take(height).enumerate() {
        let sy = base_y + row as i64;
        if inside {
            let (bx, by) = (base_x as usize, sy as usize);
            let stride = reference.stride();
            let data = reference.data();
            let top = &data[by * stride + bx..][..width + 1];
            let bottom = &data[(by + 1) * stride + bx..][..width + 1];
            for (i, o) in out_row.iter_mut().take(width).enumerate() {
                let v = w_a * u32::from(top[i])
                    + w_b * u32::from(top[i + 1])
                    + w_c * u32::from(bottom[i])
                    + w_d * u32::from(bottom[i + 1]);
                *o = ((v + 32) >> 6) as u8;
            }
        } else {
            for (i, o) in out_row.iter_mut().take(width).enumerate() {
                let sx = base_x + i as i64;
                let v = w_a * u32::from(reference.get_clamped(sx, sy))
                    + w_b * u32::from(reference.get_clamped(sx + 1, sy))
                    + w_c * u32::from(reference.get_clamped(sx, sy + 1))
                    + w_d * u32::from(reference.get_clamped(sx + 1, sy + 1));
                *o = ((v + 32) >> 6) as u8;
            }
        }
    }
}

/// The whole-sample interior case for a block `W` wide: rows
/// `by..by + height` and columns `bx..bx + W` are inside the plane.
#[inline(always)]
fn copy_rows<const W: usize>(reference: &PlaneRef<'_>, bx: usize, by: usize, height: usize, out: &mut [u8], out_stride: usize) {
    let (stride, data) = (reference.stride(), reference.data());
    for (row, out_row) in out.chunks_mut(out_stride.max(1)).take(height).enumerate() {
        let (Some(src), Some(dst)) = (data.get((by + row) * stride + bx..).and_then(|r| r.get(..W)), out_row.get_mut(..W)) else {
            return;
        };
        dst.copy_from_slice(src);
    }
}

/// The interior case for a block `W` wide: rows `by..by + height + 1` and
/// columns `bx..bx + W + 1` are inside the plane. In `u16`: a blend is at
/// most `64 * 255 + 32`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn blend_rows<const W: usize>(
    reference: &PlaneRef<'_>,
    bx: usize,
    by: usize,
    height: usize,
    [w_a, w_b, w_c, w_d]: [u16; 4],
    out: &mut [u8],
    out_stride: usize,
) {
    let (stride, data) = (reference.stride(), reference.data());
    for (row, out_row) in out.chunks_mut(out_stride.max(1)).take(height).enumerate() {
        let at = |y: usize| data.get((by + y) * stride + bx..).and_then(|r| r.get(..W + 1));
        let (Some(top), Some(bottom), Some(out_row)) = (at(row), at(row + 1), out_row.get_mut(..W)) else {
            return;
        };
        let mut blended = [0u16; W];
        for i in 0..W {
            blended[i] = w_a * u16::from(top[i]) + w_b * u16::from(top[i + 1]) + w_c * u16::from(bottom[i]) + w_d * u16::from(bottom[i + 1]);
        }
        for i in 0..W {
            out_row[i] = ((blended[i] + 32) >> 6) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn naive(p: &PlaneRef<'_>, x: i64, y: i64, mv: (i32, i32)) -> u8 {
        let (bx, by) = (x + i64::from(mv.0 >> 3), y + i64::from(mv.1 >> 3));
        let (fx, fy) = ((mv.0 & 7) as u32, (mv.1 & 7) as u32);
        let s = |dx: i64, dy: i64| u32::from(p.get_clamped(bx + dx, by + dy));
        let v = (8 - fx) * (8 - fy) * s(0, 0) + fx * (8 - fy) * s(1, 0) + (8 - fx) * fy * s(0, 1) + fx * fy * s(1, 1);
        ((v + 32) >> 6) as u8
    }

    #[test]
    fn interior_and_edge_paths_match_the_formula() {
        let (w, h) = (24usize, 20usize);
        let data: Vec<u8> = (0..w * h).map(|i| (i * 37 % 253) as u8).collect();
        let plane = PlaneRef::packed(&data, w, h).unwrap();
        let mut out = [0u8; 64];
        for &(x, y) in &[(0usize, 0usize), (8, 8), (16, 12), (4, 0)] {
            // 8 and 4 wide take the constant-length interior loops, 3 the general one.
            for (mv, size) in [(0, 0), (3, 5), (-17, 9), (70, -70), (-200, 13), (7, 7), (8, -16), (-24, 0), (0, 40), (-8, -8), (200, 64), (5, 0), (0, -3)].into_iter().flat_map(|mv| [(mv, 8), (mv, 4), (mv, 3)]) {
                for cpu in CpuFeatures::host().levels() {
                    predict_chroma_with(cpu, &plane, x, y, mv.0, mv.1, size, size, &mut out, 8);
                    for r in 0..size {
                        for c in 0..size {
                            let want = naive(&plane, (x + c) as i64, (y + r) as i64, mv);
                            assert_eq!(out[r * 8 + c], want, "{cpu} {x},{y} {mv:?}");
                        }
                    }
                }
            }
        }
    }
}
