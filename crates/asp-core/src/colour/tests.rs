//! The fixed-point and float forms against the equations in `f64`.

extern crate std;

use super::*;

/// The equations of the module docs in `f64`, clamped to 0..=255 (what
/// the renderers' shaders compute, web/src/render/colour.js).
fn float_reference(matrix: ColorMatrix, range: ColorRange, y: u8, u: u8, v: u8) -> [f64; 3] {
    let (kr, kb) = luma_weights(matrix);
    let kg = 1.0 - kr - kb;
    let (ys, cs, black) = if is_full(range) {
        (1.0, 1.0, 0.0)
    } else {
        (255.0 / 219.0, 255.0 / 224.0, 16.0)
    };
    let (y, u, v) = (
        ys * (f64::from(y) - black),
        cs * (f64::from(u) - 128.0),
        cs * (f64::from(v) - 128.0),
    );
    let r = y + 2.0 * (1.0 - kr) * v;
    let b = y + 2.0 * (1.0 - kb) * u;
    let g = y - 2.0 * kb * (1.0 - kb) / kg * u - 2.0 * kr * (1.0 - kr) / kg * v;
    [r, g, b].map(|c| c.clamp(0.0, 255.0))
}

const CASES: [(ColorMatrix, ColorRange); 7] = [
    (ColorMatrix::Bt601, ColorRange::Limited),
    (ColorMatrix::Bt709, ColorRange::Limited),
    (ColorMatrix::Bt2020, ColorRange::Limited),
    (ColorMatrix::Bt601, ColorRange::Full),
    (ColorMatrix::Bt709, ColorRange::Full),
    (ColorMatrix::Bt2020, ColorRange::Full),
    (ColorMatrix(9), ColorRange::Limited),
];

#[test]
fn rounding_is_f64_round() {
    for i in -40_000..40_000 {
        let x = f64::from(i) / 64.0 + [0.0, 1e-9, -1e-9][(i & 1) as usize];
        assert_eq!(round(x), x.round() as i32, "{x}");
    }
    for i in -4_000..70_000 {
        let x = i as f32 / 256.0;
        assert_eq!(round_to_u8(x), x.round().clamp(0.0, 255.0) as u8, "{x}");
    }
}

#[test]
fn unknown_matrices_are_bt709_and_unknown_ranges_limited() {
    assert_eq!(
        luma_weights(ColorMatrix(9)),
        luma_weights(ColorMatrix::Bt709)
    );
    assert_eq!(
        YuvToRgbQ14::new(ColorMatrix(3), ColorRange(7)),
        YuvToRgbQ14::new(ColorMatrix::Bt709, ColorRange::Limited)
    );
    assert_eq!(
        RgbYuvQ16::new(ColorMatrix(3), ColorRange(7)),
        RgbYuvQ16::new(ColorMatrix::Bt709, ColorRange::Limited)
    );
}

#[test]
fn q14_is_within_a_level_of_the_equations() {
    for (matrix, range) in CASES {
        let c = YuvToRgbQ14::new(matrix, range);
        for y in (0..=255u8).step_by(3) {
            for u in (0..=255u8).step_by(5) {
                for v in (0..=255u8).step_by(7) {
                    let (got, want) = (c.pixel(y, u, v), float_reference(matrix, range, y, u, v));
                    for k in 0..3 {
                        assert!(
                            (f64::from(got[k]) - want[k]).abs() <= 0.55,
                            "{matrix:?}/{range:?} yuv {y},{u},{v}: {got:?} vs {want:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn q14_limited_range_black_white_and_grey() {
    let c = YuvToRgbQ14::new(ColorMatrix::Bt709, ColorRange::Limited);
    assert_eq!(c.pixel(16, 128, 128), [0, 0, 0]);
    assert_eq!(c.pixel(235, 128, 128), [255, 255, 255]);
    assert_eq!(c.pixel(126, 128, 128), [128, 128, 128]);
}

#[test]
fn q16_is_within_a_level_of_the_equations_and_round_trips_grey() {
    for (matrix, range) in CASES {
        let c = RgbYuvQ16::new(matrix, range);
        for y in (0..=255u8).step_by(3) {
            for u in (0..=255u8).step_by(5) {
                for v in (0..=255u8).step_by(7) {
                    let (got, want) = (
                        c.rgb(y, i32::from(u) - 128, i32::from(v) - 128),
                        float_reference(matrix, range, y, u, v),
                    );
                    for k in 0..3 {
                        assert!(
                            (f64::from(got[k]) - want[k]).abs() <= 0.55,
                            "{matrix:?}/{range:?} yuv {y},{u},{v}: {got:?} vs {want:?}"
                        );
                    }
                }
            }
        }
        for g in 0..=255u8 {
            let (y, (cb, cr)) = (c.luma(g, g, g), c.chroma([i32::from(g) * 4; 3], 2));
            assert_eq!((cb, cr), (128, 128), "{matrix:?}/{range:?} grey {g}");
            let back = c.rgb(y, 0, 0);
            assert!(
                back.iter().all(|&b| b.abs_diff(g) <= 1),
                "{matrix:?}/{range:?} grey {g}: {back:?}"
            );
        }
    }
}

#[test]
fn bt709_full_luma_weights_sum_to_one() {
    // So white is 255 and no sum overflows a byte before the clamp.
    assert_eq!(RgbYuvQ16::BT709_FULL.y, [13933, 46871, 4732]);
    assert_eq!(RgbYuvQ16::BT709_FULL.luma(255, 255, 255), 255);
}

#[test]
fn f32_coefficients_are_the_table_s_to_seven_digits() {
    let (kr, kb) = luma_weights(ColorMatrix::Bt709);
    let kg = 1.0 - kr - kb;
    let (ys, cs) = (255.0 / 219.0, 255.0 / 224.0);
    let derived = [
        ys,
        2.0 * (1.0 - kr) * cs,
        2.0 * kb * (1.0 - kb) / kg * cs,
        2.0 * kr * (1.0 - kr) / kg * cs,
        2.0 * (1.0 - kb) * cs,
    ];
    for (published, derived) in BT709_LIMITED_F32.iter().zip(derived) {
        assert!(
            (f64::from(*published) - derived).abs() < 5e-7,
            "{published} vs {derived}"
        );
    }
    assert_eq!(yuv_to_rgb_bt709_limited_f32(235, 128, 128), [255, 255, 255]);
    assert_eq!(yuv_to_rgb_bt709_limited_f32(16, 128, 128), [0, 0, 0]);
    // BT.709 limited red: Y 63, Cb 102, Cr 240.
    let red = yuv_to_rgb_bt709_limited_f32(63, 102, 240);
    assert!(red[0] > 250 && red[1] < 5 && red[2] < 5, "{red:?}");
}
