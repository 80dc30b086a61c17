//! RGB <-> Y'CbCr 4:2:0 for frames that come from or go to NumPy as RGB.
//!
//! The matrix (BT.601, BT.709, BT.2020) and range (limited or full) are the
//! ones the stream signals (`StreamInfo.color_matrix`, `color_range`); the
//! encoder defaults to BT.709 limited, as the CLI does. The arithmetic is
//! asp-core's (`asp_core::colour::RgbYuvQ16`: Q16, rounded to nearest).
//! Chroma is computed from the average RGB of each 2x2 block (fewer at an
//! odd right or bottom edge); on the way back each chroma sample covers its
//! 2x2 block.

use asp_core::colour::RgbYuvQ16;
use asp_core::schema::{ColorMatrix, ColorRange};
use rayon::prelude::*;

/// One matrix and range, both ways: asp-core's [`RgbYuvQ16`] over whole
/// planes, rows in parallel.
#[derive(Clone, Copy, Debug)]
pub struct Conversion(RgbYuvQ16);

impl Conversion {
    pub fn new(matrix: ColorMatrix, range: ColorRange) -> Conversion {
        Conversion(RgbYuvQ16::new(matrix, range))
    }

    #[inline]
    fn luma(&self, r: u8, g: u8, b: u8) -> u8 {
        self.0.luma(r, g, b)
    }

    /// Cb and Cr of the sum of `1 << log2n` pixels' R, G, B.
    #[inline]
    fn chroma(&self, sums: [i32; 3], log2n: u32) -> (u8, u8) {
        self.0.chroma(sums, log2n)
    }

    #[inline]
    fn rgb(&self, y: u8, cb: i32, cr: i32) -> [u8; 3] {
        self.0.rgb(y, cb, cr)
    }

    /// Packed RGB (`w * h * 3` bytes) to I420 (`out`: Y, then Cb, then Cr,
    /// chroma `ceil(w/2) x ceil(h/2)`).
    pub fn rgb_to_i420(&self, rgb: &[u8], w: usize, h: usize, out: &mut [u8]) {
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (y, chroma) = out.split_at_mut(w * h);
        let (u, v) = chroma.split_at_mut(cw * ch);
        y.par_chunks_mut(2 * w)
            .zip(u.par_chunks_mut(cw))
            .zip(v.par_chunks_mut(cw))
            .enumerate()
            .for_each(|(cy, ((yrows, urow), vrow))| {
                let rows = yrows.len() / w;
                for r in 0..rows {
                    let src = &rgb[(2 * cy + r) * w * 3..][..w * 3];
                    for (dst, px) in yrows[r * w..][..w].iter_mut().zip(src.chunks_exact(3)) {
                        *dst = self.luma(px[0], px[1], px[2]);
                    }
                }
                for cx in 0..cw {
                    let cols = if 2 * cx + 1 < w { 2 } else { 1 };
                    let mut sums = [0i32; 3];
                    for r in 0..rows {
                        let src = &rgb[((2 * cy + r) * w + 2 * cx) * 3..][..cols * 3];
                        for px in src.chunks_exact(3) {
                            sums[0] += i32::from(px[0]);
                            sums[1] += i32::from(px[1]);
                            sums[2] += i32::from(px[2]);
                        }
                    }
                    let log2n = (rows * cols).trailing_zeros();
                    (urow[cx], vrow[cx]) = self.chroma(sums, log2n);
                }
            });
    }

    /// The luma plane of packed RGB.
    pub fn rgb_to_luma(&self, rgb: &[u8], w: usize, out: &mut [u8]) {
        out.par_chunks_mut(w)
            .zip(rgb.par_chunks(w * 3))
            .for_each(|(dst, src)| {
                for (d, px) in dst.iter_mut().zip(src.chunks_exact(3)) {
                    *d = self.luma(px[0], px[1], px[2]);
                }
            });
    }

    /// I420 planes (`y` w x h, `u`/`v` ceil(w/2) x ceil(h/2), packed) to packed RGB.
    pub fn i420_to_rgb(&self, y: &[u8], u: &[u8], v: &[u8], w: usize, out: &mut [u8]) {
        let cw = w.div_ceil(2);
        out.par_chunks_mut(w * 3)
            .zip(y.par_chunks(w))
            .enumerate()
            .for_each(|(row, (dst, luma))| {
                let (urow, vrow) = (&u[row / 2 * cw..][..cw], &v[row / 2 * cw..][..cw]);
                for (x, (px, &l)) in dst.chunks_exact_mut(3).zip(luma).enumerate() {
                    let (cb, cr) = (i32::from(urow[x / 2]) - 128, i32::from(vrow[x / 2]) - 128);
                    px.copy_from_slice(&self.rgb(l, cb, cr));
                }
            });
    }
}
