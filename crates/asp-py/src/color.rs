//! RGB <-> Y'CbCr 4:2:0 for frames that come from or go to NumPy as RGB.
//!
//! The matrix (BT.601, BT.709, BT.2020) and range (limited or full) are the
//! ones the stream signals (`StreamInfo.color_matrix`, `color_range`); the
//! encoder defaults to BT.709 limited, as the CLI does. Fixed point with 16
//! fractional bits, rounded to nearest. Chroma is computed from the average
//! RGB of each 2x2 block (fewer at an odd right or bottom edge); on the way
//! back each chroma sample covers its 2x2 block.

use asp_core::schema::{ColorMatrix, ColorRange};
use rayon::prelude::*;

const SHIFT: u32 = 16;
const ONE: f64 = (1u32 << SHIFT) as f64;

/// Integer coefficients of one matrix and range, both ways.
#[derive(Clone, Copy, Debug)]
pub struct Conversion {
    /// RGB -> Y, Cb, Cr rows.
    y: [i32; 3],
    cb: [i32; 3],
    cr: [i32; 3],
    y_offset: i32,
    /// Y'CbCr -> RGB: luma scale, Cr->R, Cb->G, Cr->G, Cb->B.
    luma_scale: i32,
    cr_r: i32,
    cb_g: i32,
    cr_g: i32,
    cb_b: i32,
}

fn fixed(v: f64) -> i32 {
    (v * ONE).round() as i32
}

impl Conversion {
    pub fn new(matrix: ColorMatrix, range: ColorRange) -> Conversion {
        let (kr, kb) = match matrix {
            ColorMatrix::Bt601 => (0.299, 0.114),
            ColorMatrix::Bt2020 => (0.2627, 0.0593),
            _ => (0.2126, 0.0722),
        };
        let kg = 1.0 - kr - kb;
        let (ys, cs, y_offset) = if range == ColorRange::Full {
            (1.0, 1.0, 0)
        } else {
            (219.0 / 255.0, 224.0 / 255.0, 16)
        };
        let (db, dr) = (2.0 * (1.0 - kb), 2.0 * (1.0 - kr));
        Conversion {
            y: [fixed(ys * kr), fixed(ys * kg), fixed(ys * kb)],
            cb: [fixed(-cs * kr / db), fixed(-cs * kg / db), fixed(cs / 2.0)],
            cr: [fixed(cs / 2.0), fixed(-cs * kg / dr), fixed(-cs * kb / dr)],
            y_offset,
            luma_scale: fixed(1.0 / ys),
            cr_r: fixed(dr / cs),
            cb_g: fixed(db * kb / kg / cs),
            cr_g: fixed(dr * kr / kg / cs),
            cb_b: fixed(db / cs),
        }
    }

    #[inline]
    fn luma(&self, r: i32, g: i32, b: i32) -> u8 {
        let v = (self.y[0] * r + self.y[1] * g + self.y[2] * b + (1 << (SHIFT - 1))) >> SHIFT;
        (v + self.y_offset).clamp(0, 255) as u8
    }

    /// Cb and Cr of the sum of `1 << log2n` pixels' R, G, B.
    #[inline]
    fn chroma(&self, sums: [i32; 3], log2n: u32) -> (u8, u8) {
        let shift = SHIFT + log2n;
        let round = (128 << shift) + (1 << (shift - 1));
        let dot = |c: &[i32; 3]| {
            ((c[0] * sums[0] + c[1] * sums[1] + c[2] * sums[2] + round) >> shift).clamp(0, 255)
                as u8
        };
        (dot(&self.cb), dot(&self.cr))
    }

    #[inline]
    fn rgb(&self, y: u8, cb: i32, cr: i32) -> [u8; 3] {
        let l = (i32::from(y) - self.y_offset) * self.luma_scale + (1 << (SHIFT - 1));
        let clip = |v: i32| (v >> SHIFT).clamp(0, 255) as u8;
        [
            clip(l + self.cr_r * cr),
            clip(l - self.cb_g * cb - self.cr_g * cr),
            clip(l + self.cb_b * cb),
        ]
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
                        *dst = self.luma(px[0].into(), px[1].into(), px[2].into());
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
                    *d = self.luma(px[0].into(), px[1].into(), px[2].into());
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
