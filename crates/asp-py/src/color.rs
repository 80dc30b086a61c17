//! RGB <-> Y'CbCr 4:2:0 for frames that come from or go to NumPy as RGB.
//!
//! The matrix (BT.601, BT.709, BT.2020) and range (limited or full) are the
//! ones the stream signals (`StreamInfo.color_matrix`, `color_range`); the
//! encoder defaults to BT.709 limited, as the CLI does. The arithmetic is
//! asp-core's (`asp_core::colour::RgbYuvQ16`: Q16, rounded to nearest).
//! Chroma is computed from the average RGB of each 2x2 block (fewer at an
//! odd right or bottom edge); on the way back each chroma sample covers its
//! 2x2 block. Packed pictures come in either channel order (RGB, or BGR as
//! OpenCV keeps them). Gray is the luma as full-range levels: what RGB
//! shows for a pixel of neutral chroma, so gray in and gray out agree with
//! RGB in and RGB out of the same grey picture.

use asp_core::colour::RgbYuvQ16;
use asp_core::schema::{ColorMatrix, ColorRange};
use rayon::prelude::*;

/// The channel order of packed 3-channel pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Rgb,
    Bgr,
}

impl Order {
    /// Indices of R and B in a pixel (G is always 1).
    #[inline]
    fn red_blue(self) -> (usize, usize) {
        match self {
            Order::Rgb => (0, 2),
            Order::Bgr => (2, 0),
        }
    }
}

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

    /// Packed RGB or BGR (`w * h * 3` bytes, channels in `order`) to I420
    /// (`out`: Y, then Cb, then Cr, chroma `ceil(w/2) x ceil(h/2)`).
    pub fn rgb_to_i420(&self, rgb: &[u8], order: Order, w: usize, h: usize, out: &mut [u8]) {
        let (ri, bi) = order.red_blue();
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
                        *dst = self.luma(px[ri], px[1], px[bi]);
                    }
                }
                for cx in 0..cw {
                    let cols = if 2 * cx + 1 < w { 2 } else { 1 };
                    let mut sums = [0i32; 3];
                    for r in 0..rows {
                        let src = &rgb[((2 * cy + r) * w + 2 * cx) * 3..][..cols * 3];
                        for px in src.chunks_exact(3) {
                            sums[0] += i32::from(px[ri]);
                            sums[1] += i32::from(px[1]);
                            sums[2] += i32::from(px[bi]);
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

    /// I420 planes (`y` w x h, `u`/`v` ceil(w/2) x ceil(h/2), packed) to
    /// packed RGB or BGR (channels in `order`).
    pub fn i420_to_rgb(
        &self,
        y: &[u8],
        u: &[u8],
        v: &[u8],
        order: Order,
        w: usize,
        out: &mut [u8],
    ) {
        let (ri, bi) = order.red_blue();
        let cw = w.div_ceil(2);
        out.par_chunks_mut(w * 3)
            .zip(y.par_chunks(w))
            .enumerate()
            .for_each(|(row, (dst, luma))| {
                let (urow, vrow) = (&u[row / 2 * cw..][..cw], &v[row / 2 * cw..][..cw]);
                for (x, (px, &l)) in dst.chunks_exact_mut(3).zip(luma).enumerate() {
                    let (cb, cr) = (i32::from(urow[x / 2]) - 128, i32::from(vrow[x / 2]) - 128);
                    let [r, g, b] = self.rgb(l, cb, cr);
                    (px[ri], px[1], px[bi]) = (r, g, b);
                }
            });
    }

    /// A gray picture (full-range levels) to I420: the luma of the grey
    /// pixel `(g, g, g)`, neutral chroma (what the RGB path gives a grey
    /// picture).
    pub fn gray_to_i420(&self, gray: &[u8], w: usize, h: usize, out: &mut [u8]) {
        let table: [u8; 256] = core::array::from_fn(|g| self.luma(g as u8, g as u8, g as u8));
        let (y, chroma) = out.split_at_mut(w * h);
        y.par_chunks_mut(w.max(1))
            .zip(gray.par_chunks(w.max(1)))
            .for_each(|(dst, src)| {
                for (d, &g) in dst.iter_mut().zip(src) {
                    *d = table[usize::from(g)];
                }
            });
        chroma.fill(128);
    }

    /// A luma plane to gray (full-range levels): what RGB shows for each
    /// luma sample with neutral chroma.
    pub fn luma_to_gray(&self, y: &[u8], w: usize, out: &mut [u8]) {
        let table: [u8; 256] = core::array::from_fn(|l| self.rgb(l as u8, 0, 0)[1]);
        out.par_chunks_mut(w.max(1))
            .zip(y.par_chunks(w.max(1)))
            .for_each(|(dst, src)| {
                for (d, &l) in dst.iter_mut().zip(src) {
                    *d = table[usize::from(l)];
                }
            });
    }
}
