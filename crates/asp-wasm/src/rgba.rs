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
//! A scalar reference and a simd128 twin (16 pixels at a time, exact
//! widening products into i32 lanes, so nothing saturates before the final
//! clamp) that is tested equal to it. Rows are independent, so a caller may convert bands of rows on
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

    /// `(x >> SHIFT)` of four i32x4, clamped to bytes.
    #[inline(always)]
    fn to_bytes(x: [v128; 4]) -> v128 {
        let s = |v: v128| i32x4_shr(v, SHIFT);
        u8x16_narrow_i16x8(i16x8_narrow_i32x4(s(x[0]), s(x[1])), i16x8_narrow_i32x4(s(x[2]), s(x[3])))
    }

    /// The 16 u16 products of the bytes of `v` and `k`, as four i32x4
    /// (bytes 0-3, 4-7, 8-11, 12-15).
    #[inline(always)]
    fn times(v: v128, k: v128) -> [v128; 4] {
        let (lo, hi) = (u16x8_extend_low_u8x16(v), u16x8_extend_high_u8x16(v));
        [u32x4_extmul_low_u16x8(lo, k), u32x4_extmul_high_u16x8(lo, k), u32x4_extmul_low_u16x8(hi, k), u32x4_extmul_high_u16x8(hi, k)]
    }

    /// Converts the row's first `16 * k` pixels (as many whole groups of 16
    /// as `y`, `u`, `v` and `out` hold); returns how many pixels it did.
    ///
    /// Every product is exact in i32 lanes, as in the scalar code: the
    /// luma, Cr-to-R and Cb-to-B coefficients are positive and taken as u16
    /// (Cb to B is above 32767 for limited range), multiplied by widening
    /// u16 products; the two green terms, negative and small, are one i16
    /// dot product of (Cb, Cr) pairs with (gu, gv). Coefficients outside
    /// those ranges (none of the matrices has them) are left to the scalar
    /// code.
    pub(super) fn row(YuvToRgba(c): &YuvToRgba, y: &[u8], u: &[u8], v: &[u8], out: &mut [u8]) -> usize {
        let as_u16 = |k: i32| u16::try_from(k).ok();
        let as_i16 = |k: i32| i16::try_from(k).ok();
        let (Some(cy), Some(rv), Some(bu), Some(gu), Some(gv)) = (as_u16(c.y), as_u16(c.rv), as_u16(c.bu), as_i16(c.gu), as_i16(c.gv))
        else {
            return 0;
        };
        let groups = (y.len() / 16).min(u.len() / 8).min(v.len() / 8).min(out.len() / 64);
        let (cy, rv, bu) = (u16x8_splat(cy), u16x8_splat(rv), u16x8_splat(bu));
        let guv = i16x8(gu, gv, gu, gv, gu, gv, gu, gv);
        let bias = c.bias.map(|b| i32x4_splat(b));
        let alpha = u8x16_splat(255);
        let (y, u, v, out) = (y.as_ptr(), u.as_ptr(), v.as_ptr(), out.as_mut_ptr());
        for g in 0..groups {
            // SAFETY: `groups` keeps every access inside its slice: 16 bytes
            // of `y` and 8 of `u` and `v` from group `g`'s start, 64 of
            // `out`; all loads and stores are unaligned-safe.
            let (ys, chroma) = unsafe {
                let ys = v128_load(y.add(g * 16) as *const v128);
                let cb = core::ptr::read_unaligned(u.add(g * 8) as *const u64);
                let cr = core::ptr::read_unaligned(v.add(g * 8) as *const u64);
                (ys, u64x2(cb, cr))
            };
            // Cb in bytes 0-7 of `chroma`, Cr in bytes 8-15; each covers two pixels.
            let cb = i8x16_shuffle::<0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7>(chroma, chroma);
            let cr = i8x16_shuffle::<8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15>(chroma, chroma);
            // Pixel by pixel (Cb, Cr) byte pairs: pixels 0-7, then 8-15.
            let pairs_lo = i8x16_shuffle::<0, 8, 0, 8, 1, 9, 1, 9, 2, 10, 2, 10, 3, 11, 3, 11>(chroma, chroma);
            let pairs_hi = i8x16_shuffle::<4, 12, 4, 12, 5, 13, 5, 13, 6, 14, 6, 14, 7, 15, 7, 15>(chroma, chroma);
            let green = [
                i32x4_dot_i16x8(u16x8_extend_low_u8x16(pairs_lo), guv),
                i32x4_dot_i16x8(u16x8_extend_high_u8x16(pairs_lo), guv),
                i32x4_dot_i16x8(u16x8_extend_low_u8x16(pairs_hi), guv),
                i32x4_dot_i16x8(u16x8_extend_high_u8x16(pairs_hi), guv),
            ];
            let (yt, red, blue) = (times(ys, cy), times(cr, rv), times(cb, bu));
            let sum = |chroma: &[v128; 4], bias: v128| -> [v128; 4] {
                core::array::from_fn(|k| i32x4_add(i32x4_add(yt[k], chroma[k]), bias))
            };
            let (r, g_, b) = (to_bytes(sum(&red, bias[0])), to_bytes(sum(&green, bias[1])), to_bytes(sum(&blue, bias[2])));
            let rg_lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(r, g_);
            let rg_hi = i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(r, g_);
            let ba_lo = i8x16_shuffle::<0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23>(b, alpha);
            let ba_hi = i8x16_shuffle::<8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31>(b, alpha);
            // SAFETY: as above.
            unsafe {
                let at = out.add(g * 64) as *mut v128;
                v128_store(at, i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(rg_lo, ba_lo));
                v128_store(at.add(1), i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(rg_lo, ba_lo));
                v128_store(at.add(2), i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(rg_hi, ba_hi));
                v128_store(at.add(3), i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(rg_hi, ba_hi));
            }
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
        for (matrix, range) in [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)] {
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
