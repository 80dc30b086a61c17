//! The shader's inputs that are not pixels: the Y'CbCr -> R'G'B' matrix of
//! the stream and the letterbox scale.
//!
//! [`ColourRows`] is asp-core's conversion ([`asp_core::colour`]: the luma
//! weights of [`luma_weights`] and the limited-range levels) in the form
//! the shader takes, floats for samples normalised to 0..1; the same
//! arithmetic as the player's `yuvToRgb` (web/src/render/colour.js), so the
//! native and browser pictures agree. Its tests hold it to
//! [`YuvToRgbQ14`](asp_core::colour::YuvToRgbQ14), the fixed-point
//! reference.

use asp_core::colour::{
    is_full, luma_weights, LIMITED_BLACK, LIMITED_CHROMA_LEVELS, LIMITED_LUMA_LEVELS,
};
use asp_core::schema::{ColorMatrix, ColorRange};

/// Y'CbCr -> R'G'B' as three rows R, G, B of `[cY, cCb, cCr, offset]`, for
/// samples normalised to 0..1 (`R = cY*Y + cCb*Cb + cCr*Cr + offset`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourRows(pub [[f32; 4]; 3]);

impl ColourRows {
    /// The conversion of `matrix` (unknown values are BT.709) and `range`
    /// (anything but full is limited).
    pub fn new(matrix: ColorMatrix, range: ColorRange) -> ColourRows {
        let rows = rows_f64(matrix, range);
        ColourRows(rows.map(|row| row.map(|c| c as f32)))
    }

    /// The rows in double precision, for a CPU reference of the shader.
    pub fn exact(matrix: ColorMatrix, range: ColorRange) -> [[f64; 4]; 3] {
        rows_f64(matrix, range)
    }
}

fn rows_f64(matrix: ColorMatrix, range: ColorRange) -> [[f64; 4]; 3] {
    let (kr, kb) = luma_weights(matrix);
    let kg = 1.0 - kr - kb;
    let full = is_full(range);
    let (ys, cs, y0) = if full {
        (1.0, 1.0, 0.0)
    } else {
        (
            255.0 / LIMITED_LUMA_LEVELS,
            255.0 / LIMITED_CHROMA_LEVELS,
            f64::from(LIMITED_BLACK) / 255.0,
        )
    };
    let c0 = 128.0 / 255.0;
    // R = Y + 2(1-Kr) Cr;  B = Y + 2(1-Kb) Cb;  G = (Y - Kr R - Kb B) / Kg.
    let r_cr = 2.0 * (1.0 - kr) * cs;
    let b_cb = 2.0 * (1.0 - kb) * cs;
    let g_cb = -2.0 * kb * (1.0 - kb) / kg * cs;
    let g_cr = -2.0 * kr * (1.0 - kr) / kg * cs;
    let row = |cy: f64, ccb: f64, ccr: f64| [cy, ccb, ccr, -(cy * y0 + ccb * c0 + ccr * c0)];
    [row(ys, 0.0, r_cr), row(ys, g_cb, g_cr), row(ys, b_cb, 0.0)]
}

/// Where a `width` x `height` picture goes in a `target_width` x
/// `target_height` surface: the largest centred rectangle of the picture's
/// aspect ratio (letterbox or pillarbox), as the clip-space scale `[sx, sy]`
/// of a full-surface quad. `[1, 1]` when any size is zero. The player's
/// `fitScale` (web/src/render/colour.js).
pub fn fit_scale(width: u32, height: u32, target_width: u32, target_height: u32) -> [f32; 2] {
    if width == 0 || height == 0 || target_width == 0 || target_height == 0 {
        return [1.0, 1.0];
    }
    let picture = f64::from(width) / f64::from(height);
    let target = f64::from(target_width) / f64::from(target_height);
    if picture > target {
        [1.0, (target / picture) as f32]
    } else {
        [(picture / target) as f32, 1.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::colour::YuvToRgbQ14;

    const MATRICES: [ColorMatrix; 3] =
        [ColorMatrix::Bt601, ColorMatrix::Bt709, ColorMatrix::Bt2020];
    const RANGES: [ColorRange; 2] = [ColorRange::Limited, ColorRange::Full];

    /// The float rows are the Q14 reference's coefficients before rounding:
    /// in 8-bit units, each coefficient within half a Q14 step of it.
    #[test]
    fn rows_are_the_q14_reference_unrounded() {
        let one = f64::from(1u32 << YuvToRgbQ14::SHIFT);
        for matrix in MATRICES {
            for range in RANGES {
                let q = YuvToRgbQ14::new(matrix, range);
                let r = ColourRows::exact(matrix, range);
                let pairs = [
                    (r[0][0], q.y),
                    (r[1][0], q.y),
                    (r[2][0], q.y),
                    (r[0][2], q.rv),
                    (r[1][1], q.gu),
                    (r[1][2], q.gv),
                    (r[2][1], q.bu),
                ];
                for (float, fixed) in pairs {
                    assert!(
                        (float * one - f64::from(fixed)).abs() <= 0.5,
                        "{matrix:?} {range:?}: {float} vs {fixed}"
                    );
                }
                assert_eq!((r[0][1], r[2][2]), (0.0, 0.0));
                // Offsets: the Q14 bias less its rounding half, per 255 levels.
                for (c, row) in r.iter().enumerate() {
                    let bias = f64::from(q.bias[c] - (1 << (YuvToRgbQ14::SHIFT - 1))) / one / 255.0;
                    assert!(
                        (row[3] - bias).abs() < 2e-4,
                        "{matrix:?} {range:?} row {c}: {} vs {bias}",
                        row[3]
                    );
                }
            }
        }
    }

    #[test]
    fn grey_is_grey_and_black_is_black() {
        for matrix in MATRICES {
            let full = ColourRows::exact(matrix, ColorRange::Full);
            let limited = ColourRows::exact(matrix, ColorRange::Limited);
            let apply = |rows: &[[f64; 4]; 3], y: f64, c: f64| {
                rows.map(|r| r[0] * y + (r[1] + r[2]) * c + r[3])
            };
            for v in apply(&full, 0.5, 128.0 / 255.0) {
                assert!((v - 0.5).abs() < 1e-12);
            }
            for v in apply(&limited, 16.0 / 255.0, 128.0 / 255.0) {
                assert!(v.abs() < 1e-12);
            }
            for v in apply(&limited, 235.0 / 255.0, 128.0 / 255.0) {
                assert!((v - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn fit_scale_letterboxes_and_pillarboxes() {
        assert_eq!(fit_scale(320, 240, 320, 240), [1.0, 1.0]);
        assert_eq!(fit_scale(320, 240, 640, 240), [0.5, 1.0]);
        assert_eq!(fit_scale(320, 240, 320, 480), [1.0, 0.5]);
        assert_eq!(fit_scale(0, 240, 320, 480), [1.0, 1.0]);
        assert_eq!(fit_scale(320, 240, 320, 0), [1.0, 1.0]);
    }
}
