//! Y'CbCr 4:2:0 to RGBA on the CPU, for the Canvas2D renderer (the
//! player's last resort when neither WebGPU nor WebGL2 works): the
//! picture's cropped rows, 4 bytes a pixel, alpha 255, ready for
//! `putImageData`.
//!
//! The numbers are asp-core's Q14 conversion ([`YuvToRgbQ14`] in
//! `asp_core::colour`: BT.601, BT.709 or BT.2020, limited or full range),
//! the fixed-point form of the renderers' shaders (web/src/render/
//! colour.js), so the Canvas2D picture matches the GPU ones to within a
//! level. Chroma is upsampled nearest-neighbour (each
//! chroma sample covers 2x2 pixels), as jsmpeg's Canvas2D path does.
//!
//! A scalar reference and a simd128 twin (16 pixels at a time, in i32
//! lanes, so nothing saturates before the final clamp) that is tested equal
//! to it. Rows are independent, so a caller may convert bands of rows on
//! several threads ([`YuvToRgba::convert_rows`]).

use core::ops::Range;

use asp_core::codec::frame::Frame;
use asp_core::colour::YuvToRgbQ14;
use asp_core::schema::{ColorMatrix, ColorRange};

/// One stream's conversion: asp-core's [`YuvToRgbQ14`], a row at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YuvToRgba(YuvToRgbQ14);

impl YuvToRgba {
    /// `matrix`: 0 BT.601, 1 BT.709 (also for unknown values), 2 BT.2020;
    /// `range`: 0 limited (Y 16..235, C 16..240), 1 full.
    pub fn new(matrix: u8, range: u8) -> YuvToRgba {
        YuvToRgba(YuvToRgbQ14::new(ColorMatrix(matrix), ColorRange(range)))
    }

    /// One pixel, the reference arithmetic.
    #[inline(always)]
    fn pixel(&self, y: u8, u: u8, v: u8) -> [u8; 4] {
        let [r, g, b] = self.0.pixel(y, u, v);
        [r, g, b, 255]
    }

    /// One row: `y` has the row's `w` samples, `u` and `v` at least
    /// `ceil(w / 2)`, `out` at least `4 * w` bytes. The scalar reference.
    pub fn row_scalar(&self, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
        for (x, (px, &luma)) in out.chunks_exact_mut(4).zip(y).enumerate() {
            if let (Some(&cb), Some(&cr)) = (u.get(x / 2), v.get(x / 2)) {
                px.copy_from_slice(&self.pixel(luma, cb, cr));
            }
        }
    }

    /// One row, as [`YuvToRgba::row_scalar`], with the fastest kernel of this build.
    pub fn row(&self, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            let done = simd128::row(self, y, u, v, out);
            let (y, out) = (&y[done..], out.get_mut(done * 4..).unwrap_or_default());
            let (u, v) = (u.get(done / 2..).unwrap_or_default(), v.get(done / 2..).unwrap_or_default());
            self.row_scalar(y, u, v, out);
        }
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        self.row_scalar(y, u, v, out);
    }

    /// Converts the picture rows `rows` of `frame` (cropped to its display
    /// width) into `out`, `4 * width` bytes a row from `out[0]`; rows that
    /// do not fit in `out` or the picture are left out.
    pub fn convert_rows(&self, frame: &Frame, rows: Range<usize>, out: &mut [u8]) {
        let w = frame.width();
        let (ls, cs) = (frame.luma_stride(), frame.chroma_stride());
        let rows = rows.start..rows.end.min(frame.height());
        for (row, dst) in rows.zip(out.chunks_exact_mut(4 * w)) {
            let (c0, c1) = (row / 2 * cs, row / 2 * cs + w.div_ceil(2));
            if let (Some(y), Some(u), Some(v)) = (frame.y.get(row * ls..row * ls + w), frame.u.get(c0..c1), frame.v.get(c0..c1)) {
                self.row(y, u, v, dst);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::*;

    use asp_core::colour::YuvToRgbQ14;

    use super::YuvToRgba;

    const SHIFT: u32 = YuvToRgbQ14::SHIFT;

    /// Sixteen bytes of `data` from `at` (the caller checks the bounds).
    #[inline(always)]
    fn load16(data: &[u8], at: usize) -> v128 {
        let bytes: [u8; 16] = data.get(at..at + 16).and_then(|b| b.try_into().ok()).unwrap_or_default();
        u8x16(
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
            bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
        )
    }

    /// Eight bytes of `data` from `at`, each twice (the 16 pixels' chroma).
    #[inline(always)]
    fn load8_doubled(data: &[u8], at: usize) -> v128 {
        let bytes: [u8; 8] = data.get(at..at + 8).and_then(|b| b.try_into().ok()).unwrap_or_default();
        let v = u64x2_splat(u64::from_le_bytes(bytes));
        i8x16_shuffle::<0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7>(v, v)
    }

    #[inline(always)]
    fn store16(out: &mut [u8], at: usize, v: v128) {
        if let Some(dst) = out.get_mut(at..at + 16) {
            let lo = u64x2_extract_lane::<0>(v).to_le_bytes();
            let hi = u64x2_extract_lane::<1>(v).to_le_bytes();
            dst[..8].copy_from_slice(&lo);
            dst[8..].copy_from_slice(&hi);
        }
    }

    /// The 16 bytes of `v` as four i32x4 (bytes 0-3, 4-7, 8-11, 12-15).
    #[inline(always)]
    fn widen(v: v128) -> [v128; 4] {
        let (lo, hi) = (u16x8_extend_low_u8x16(v), u16x8_extend_high_u8x16(v));
        [u32x4_extend_low_u16x8(lo), u32x4_extend_high_u16x8(lo), u32x4_extend_low_u16x8(hi), u32x4_extend_high_u16x8(hi)]
    }

    /// `(x >> SHIFT)` of four i32x4, clamped to bytes.
    #[inline(always)]
    fn to_bytes(x: [v128; 4]) -> v128 {
        let s = |v: v128| i32x4_shr(v, SHIFT);
        u8x16_narrow_i16x8(i16x8_narrow_i32x4(s(x[0]), s(x[1])), i16x8_narrow_i32x4(s(x[2]), s(x[3])))
    }

    /// Converts the row's first `16 * k` pixels (as many whole groups of 16
    /// as `y`, `u`, `v` and `out` hold); returns how many pixels it did.
    pub(super) fn row(YuvToRgba(c): &YuvToRgba, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
        let groups = (y.len() / 16).min(u.len() / 8).min(v.len() / 8).min(out.len() / 64);
        let (cy, rv, gu, gv, bu) = (i32x4_splat(c.y), i32x4_splat(c.rv), i32x4_splat(c.gu), i32x4_splat(c.gv), i32x4_splat(c.bu));
        let bias = c.bias.map(|b| i32x4_splat(b));
        let alpha = u8x16_splat(255);
        for g in 0..groups {
            let (ys, us, vs) = (widen(load16(y, g * 16)), widen(load8_doubled(u, g * 8)), widen(load8_doubled(v, g * 8)));
            let yt: [v128; 4] = core::array::from_fn(|k| i32x4_mul(ys[k], cy));
            let r = to_bytes(core::array::from_fn(|k| i32x4_add(i32x4_add(yt[k], i32x4_mul(vs[k], rv)), bias[0])));
            let g_ = to_bytes(core::array::from_fn(|k| {
                i32x4_add(i32x4_add(yt[k], i32x4_add(i32x4_mul(us[k], gu), i32x4_mul(vs[k], gv))), bias[1])
            }));
            let b = to_bytes(core::array::from_fn(|k| i32x4_add(i32x4_add(yt[k], i32x4_mul(us[k], bu)), bias[2])));
            let rg_lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(r, g_);
            let rg_hi = i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(r, g_);
            let ba_lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(b, alpha);
            let ba_hi = i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(b, alpha);
            let at = g * 64;
            store16(out, at, i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(rg_lo, ba_lo));
            store16(out, at + 16, i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(rg_lo, ba_lo));
            store16(out, at + 32, i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(rg_hi, ba_hi));
            store16(out, at + 48, i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(rg_hi, ba_hi));
        }
        groups * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::Limits;

    #[test]
    fn pixels_are_opaque() {
        let c = YuvToRgba::new(1, 0);
        assert_eq!(c.pixel(16, 128, 128), [0, 0, 0, 255]);
        assert_eq!(c.pixel(235, 200, 10)[3], 255);
    }

    /// Every row length from 1 to 70 (groups of 16 and the scalar tail),
    /// every matrix and range, random samples: the kernel of this build
    /// equals the scalar reference (on wasm32 with simd128, that is the
    /// simd128 twin; tests/wasm/run.sh runs these there).
    #[test]
    fn row_kernel_equals_the_scalar_reference() {
        let mut rng = asp_testkit::Rng::new(0x1234_5678_9abc_def0);
        let mut next = || rng.byte();
        for (matrix, range) in [(0, 0), (1, 0), (2, 1), (1, 1)] {
            let c = YuvToRgba::new(matrix, range);
            for w in 1..=70usize {
                let y: Vec<u8> = (0..w).map(|_| next()).collect();
                let u: Vec<u8> = (0..w.div_ceil(2)).map(|_| next()).collect();
                let v: Vec<u8> = (0..w.div_ceil(2)).map(|_| next()).collect();
                let (mut a, mut b) = (vec![0u8; 4 * w], vec![1u8; 4 * w]);
                c.row_scalar(&y, &u, &v, &mut a);
                c.row(&y, &u, &v, &mut b);
                assert_eq!(a, b, "{matrix}/{range} width {w}");
            }
        }
    }

    #[test]
    fn frame_rows_are_cropped_and_bands_add_up() {
        let (w, h) = (37u32, 11u32);
        let n = asp_core::codec::frame::i420_len(w as usize, h as usize);
        let data: Vec<u8> = (0..n).map(|i| (i * 131 % 251) as u8).collect();
        let frame = Frame::from_i420(w, h, &data, &Limits::DEFAULT).unwrap();
        let c = YuvToRgba::new(1, 0);
        let mut whole = vec![0u8; 4 * 37 * 11];
        c.convert_rows(&frame, 0..11, &mut whole);
        let mut bands = vec![0u8; 4 * 37 * 11];
        let (top, bottom) = bands.split_at_mut(4 * 37 * 4);
        c.convert_rows(&frame, 0..4, top);
        c.convert_rows(&frame, 4..11, bottom);
        assert_eq!(whole, bands);
        // Pixel (36, 10): luma from row 10, chroma (18, 5).
        let cw = 19;
        let (y, u, v) = (data[10 * 37 + 36], data[37 * 11 + 5 * cw + 18], data[37 * 11 + 19 * 6 + 5 * cw + 18]);
        assert_eq!(&whole[(10 * 37 + 36) * 4..][..4], &c.pixel(y, u, v));
    }
}
