//! Y'CbCr <-> R'G'B': the one table of luma weights, keyed by
//! [`ColorMatrix`], the limited/full scales of [`ColorRange`], and the
//! fixed-point and float forms that the decoders and the encoder use.
//!
//! * [`luma_weights`]: Kr, Kb of ITU-R BT.601, BT.709 and BT.2020 (unknown
//!   matrices are BT.709, the encoder's default).
//! * [`YuvToRgbQ14`]: Y'CbCr to R'G'B' in Q14, for the browser's Canvas2D
//!   path (asp-wasm), which must match the renderers' shaders within a level.
//! * [`RgbYuvQ16`]: both ways in Q16, for frames that come from or go to
//!   NumPy as RGB (asp-py) and the analysers' BT.709 full-range luma
//!   (asp-encoder).
//! * [`yuv_to_rgb_bt709_limited_f32`]: the analysers' RGB view of a frame.
//!
//! The renderers' shaders take their matrix from web/src/render/colour.js,
//! a JavaScript copy of [`LUMA_WEIGHTS`] and of the equations of
//! [`YuvToRgbQ14`] in floating point (asp-wasm's tests check that its table
//! equals this one).
//!
//! The equations: R = Y + 2(1-Kr) Cr, B = Y + 2(1-Kb) Cb,
//! G = (Y - Kr R - Kb B) / Kg with Kg = 1 - Kr - Kb; limited range has Y in
//! 16..=235 and Cb, Cr in 16..=240, full range 0..=255.

use crate::schema::{ColorMatrix, ColorRange};

/// Kr, Kb of `Alice.Asp.ColorMatrix`, indexed by its wire value:
/// 0 BT.601, 1 BT.709, 2 BT.2020.
pub const LUMA_WEIGHTS: [(f64, f64); 3] = [(0.299, 0.114), (0.2126, 0.0722), (0.2627, 0.0593)];

/// Kr, Kb of `matrix`; unknown values are BT.709.
pub const fn luma_weights(matrix: ColorMatrix) -> (f64, f64) {
    match matrix {
        ColorMatrix::Bt601 => LUMA_WEIGHTS[0],
        ColorMatrix::Bt2020 => LUMA_WEIGHTS[2],
        _ => LUMA_WEIGHTS[1],
    }
}

/// Whether `range` is full (0..=255); anything else is limited.
pub const fn is_full(range: ColorRange) -> bool {
    range.0 == ColorRange::Full.0
}

/// Luma levels of limited range (16..=235).
pub const LIMITED_LUMA_LEVELS: f64 = 219.0;
/// Chroma levels of limited range (16..=240).
pub const LIMITED_CHROMA_LEVELS: f64 = 224.0;
/// Limited range's black level (and chroma's lowest code).
pub const LIMITED_BLACK: i32 = 16;

/// `x` rounded to the nearest integer, halves away from zero (as
/// `f64::round`, which `core` does not have).
const fn round(x: f64) -> i32 {
    let t = x as i32;
    let frac = x - t as f64;
    if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    }
}

/// Y'CbCr to R'G'B' in Q14 fixed point, rounded to nearest:
/// `R = (y*Y + rv*V + bias[0]) >> 14`, `G = (y*Y + gu*U + gv*V + bias[1]) >> 14`,
/// `B = (y*Y + bu*U + bias[2]) >> 14`, each clamped to 0..=255 (the biases
/// hold the black level, the chroma zero and the rounding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YuvToRgbQ14 {
    /// Luma scale.
    pub y: i32,
    /// Cr to R.
    pub rv: i32,
    /// Cb to G.
    pub gu: i32,
    /// Cr to G.
    pub gv: i32,
    /// Cb to B.
    pub bu: i32,
    /// R, G, B offsets.
    pub bias: [i32; 3],
}

impl YuvToRgbQ14 {
    /// Fractional bits of the coefficients.
    pub const SHIFT: u32 = 14;

    /// The conversion of `matrix` (unknown values are BT.709) and `range`.
    pub const fn new(matrix: ColorMatrix, range: ColorRange) -> YuvToRgbQ14 {
        let one = (1 << Self::SHIFT) as f64;
        let (kr, kb) = luma_weights(matrix);
        let kg = 1.0 - kr - kb;
        let (ys, cs, black) = if is_full(range) {
            (1.0, 1.0, 0.0)
        } else {
            (
                255.0 / LIMITED_LUMA_LEVELS,
                255.0 / LIMITED_CHROMA_LEVELS,
                LIMITED_BLACK as f64,
            )
        };
        let rv = 2.0 * (1.0 - kr) * cs;
        let bu = 2.0 * (1.0 - kb) * cs;
        let gu = -2.0 * kb * (1.0 - kb) / kg * cs;
        let gv = -2.0 * kr * (1.0 - kr) / kg * cs;
        let (y, rv, gu, gv, bu) = (
            round(ys * one),
            round(rv * one),
            round(gu * one),
            round(gv * one),
            round(bu * one),
        );
        let base = (1 << (Self::SHIFT - 1)) - (y as f64 * black) as i32;
        YuvToRgbQ14 {
            y,
            rv,
            gu,
            gv,
            bu,
            bias: [base - 128 * rv, base - 128 * (gu + gv), base - 128 * bu],
        }
    }

    /// One pixel's R, G, B.
    #[inline(always)]
    pub fn pixel(&self, y: u8, u: u8, v: u8) -> [u8; 3] {
        let (y, u, v) = (self.y * i32::from(y), i32::from(u), i32::from(v));
        let clamp = |x: i32| (x >> Self::SHIFT).clamp(0, 255) as u8;
        [
            clamp(y + self.rv * v + self.bias[0]),
            clamp(y + self.gu * u + self.gv * v + self.bias[1]),
            clamp(y + self.bu * u + self.bias[2]),
        ]
    }
}

/// R'G'B' <-> Y'CbCr in Q16 fixed point, rounded to nearest, both ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RgbYuvQ16 {
    /// RGB -> Y row.
    y: [i32; 3],
    /// RGB -> Cb row.
    cb: [i32; 3],
    /// RGB -> Cr row.
    cr: [i32; 3],
    /// Black level: 16 limited, 0 full.
    y_offset: i32,
    /// Y'CbCr -> RGB: luma scale, Cr->R, Cb->G, Cr->G, Cb->B.
    luma_scale: i32,
    cr_r: i32,
    cb_g: i32,
    cr_g: i32,
    cb_b: i32,
}

/// `v` in Q16, rounded.
const fn q16(v: f64) -> i32 {
    round(v * (1u32 << RgbYuvQ16::SHIFT) as f64)
}

impl RgbYuvQ16 {
    /// Fractional bits of the coefficients.
    pub const SHIFT: u32 = 16;

    /// BT.709 full range: the analysers' luma of RGB pictures.
    pub const BT709_FULL: RgbYuvQ16 = RgbYuvQ16::new(ColorMatrix::Bt709, ColorRange::Full);

    /// The conversion of `matrix` (unknown values are BT.709) and `range`.
    pub const fn new(matrix: ColorMatrix, range: ColorRange) -> RgbYuvQ16 {
        let (kr, kb) = luma_weights(matrix);
        let kg = 1.0 - kr - kb;
        let (ys, cs, y_offset) = if is_full(range) {
            (1.0, 1.0, 0)
        } else {
            (
                LIMITED_LUMA_LEVELS / 255.0,
                LIMITED_CHROMA_LEVELS / 255.0,
                LIMITED_BLACK,
            )
        };
        let (db, dr) = (2.0 * (1.0 - kb), 2.0 * (1.0 - kr));
        RgbYuvQ16 {
            y: [q16(ys * kr), q16(ys * kg), q16(ys * kb)],
            cb: [q16(-cs * kr / db), q16(-cs * kg / db), q16(cs / 2.0)],
            cr: [q16(cs / 2.0), q16(-cs * kg / dr), q16(-cs * kb / dr)],
            y_offset,
            luma_scale: q16(1.0 / ys),
            cr_r: q16(dr / cs),
            cb_g: q16(db * kb / kg / cs),
            cr_g: q16(dr * kr / kg / cs),
            cb_b: q16(db / cs),
        }
    }

    /// Y of one pixel.
    #[inline]
    pub fn luma(&self, r: u8, g: u8, b: u8) -> u8 {
        let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
        let v = (self.y[0] * r + self.y[1] * g + self.y[2] * b + (1 << (Self::SHIFT - 1)))
            >> Self::SHIFT;
        (v + self.y_offset).clamp(0, 255) as u8
    }

    /// Cb and Cr of `sums`, the sum of `1 << log2n` pixels' R, G, B
    /// (`log2n` at most 2: a 2x2 block).
    #[inline]
    pub fn chroma(&self, sums: [i32; 3], log2n: u32) -> (u8, u8) {
        let shift = Self::SHIFT + log2n;
        let round = (128 << shift) + (1 << (shift - 1));
        let dot = |c: &[i32; 3]| {
            ((c[0] * sums[0] + c[1] * sums[1] + c[2] * sums[2] + round) >> shift).clamp(0, 255)
                as u8
        };
        (dot(&self.cb), dot(&self.cr))
    }

    /// R, G, B of luma `y` and chroma `cb`, `cr` less 128.
    #[inline]
    pub fn rgb(&self, y: u8, cb: i32, cr: i32) -> [u8; 3] {
        let l = (i32::from(y) - self.y_offset) * self.luma_scale + (1 << (Self::SHIFT - 1));
        let clip = |v: i32| (v >> Self::SHIFT).clamp(0, 255) as u8;
        [
            clip(l + self.cr_r * cr),
            clip(l - self.cb_g * cb - self.cr_g * cr),
            clip(l + self.cb_b * cb),
        ]
    }
}

/// BT.709 limited-range Y'CbCr to full-range R'G'B' in `f32`, rounded to
/// nearest: the analysers' RGB view of a frame. The coefficients are the
/// published seven-digit ones (within 5e-7 of what [`LUMA_WEIGHTS`] gives;
/// tested), kept as they are because the analysers' outputs depend on
/// them.
pub fn yuv_to_rgb_bt709_limited_f32(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = BT709_LIMITED_F32[0] * (f32::from(y) - 16.0);
    let d = f32::from(u) - 128.0;
    let e = f32::from(v) - 128.0;
    let [_, rv, gu, gv, bu] = BT709_LIMITED_F32;
    [
        round_to_u8(c + rv * e),
        round_to_u8(c - gu * d - gv * e),
        round_to_u8(c + bu * d),
    ]
}

/// Luma scale, Cr->R, Cb->G (negated), Cr->G (negated), Cb->B of BT.709
/// limited range.
const BT709_LIMITED_F32: [f32; 5] = [1.164_383_6, 1.792_741, 0.213_249, 0.532_909, 2.112_402];

/// `x` rounded to nearest (halves away from zero, as `f32::round`), then
/// clamped to 0..=255.
fn round_to_u8(x: f32) -> u8 {
    let clamped = x.clamp(-1.0, 256.0);
    let t = clamped as i32;
    let frac = clamped - t as f32;
    let r = if frac >= 0.5 {
        t + 1
    } else if frac <= -0.5 {
        t - 1
    } else {
        t
    };
    r.clamp(0, 255) as u8
}

#[cfg(test)]
mod tests;
