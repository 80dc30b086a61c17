//! The SIMD twins of the transform kernels against the scalar reference, on
//! random and extreme inputs, and the encode -> decode path through the
//! public API, on the twins this machine can run: one set of kernels per
//! level of [`CpuFeatures::levels`].

use asp_core::codec::quant::{Qp, Quantiser, RoundingOffset, LEVEL_MAX, QP_MAX};
use asp_core::codec::transform::{self, scalar, Kernels, COEFF_MAX};
use asp_core::CpuFeatures;
use proptest::prelude::*;

/// The kernels at every level of this machine's CPU features, best first,
/// down to scalar (the checkasm way: each level picks its own twins).
fn kernels() -> Vec<Kernels> {
    let levels: Vec<Kernels> = CpuFeatures::host().levels().map(Kernels::new).collect();
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        assert!(levels.iter().any(|k| k.avx2().is_some()), "the AVX2 twins must be tested");
    }
    levels
}

/// A prediction buffer holding exactly one `size` x `size` block at `stride`.
fn prediction_buffer(size: usize, stride: usize, bytes: &[u8]) -> Vec<u8> {
    let len = stride * (size - 1) + size;
    (0..len).map(|i| bytes[i % bytes.len()]).collect()
}

fn check_inverse_4x4(coeffs: &[i32; 16], stride: usize, bytes: &[u8]) {
    let mut expected = prediction_buffer(4, stride, bytes);
    let untouched = expected.clone();
    scalar::inverse_add_4x4(coeffs, &mut expected, stride).unwrap();
    for kernels in kernels() {
        let mut actual = untouched.clone();
        kernels.inverse_add_4x4(coeffs, &mut actual, stride).unwrap();
        assert_eq!(actual, expected, "{} != scalar for {coeffs:?}, stride {stride}", kernels.cpu());
    }
}

fn check_inverse_8x8(coeffs: &[i32; 64], stride: usize, bytes: &[u8]) {
    let mut expected = prediction_buffer(8, stride, bytes);
    let untouched = expected.clone();
    scalar::inverse_add_8x8(coeffs, &mut expected, stride).unwrap();
    for kernels in kernels() {
        let mut actual = untouched.clone();
        kernels.inverse_add_8x8(coeffs, &mut actual, stride).unwrap();
        assert_eq!(actual, expected, "{} != scalar for {coeffs:?}, stride {stride}", kernels.cpu());
    }
}

fn check_satd(size: usize, source: &[u8], source_stride: usize, prediction: &[u8], prediction_stride: usize) {
    let source = prediction_buffer(size, source_stride, source);
    let prediction = prediction_buffer(size, prediction_stride, prediction);
    let reference = if size == 4 { scalar::satd_4x4 } else { scalar::satd_8x8 };
    let expected = reference(&source, source_stride, &prediction, prediction_stride).unwrap();
    for kernels in kernels() {
        let actual = if size == 4 {
            kernels.satd_4x4(&source, source_stride, &prediction, prediction_stride)
        } else {
            kernels.satd_8x8(&source, source_stride, &prediction, prediction_stride)
        };
        assert_eq!(actual.unwrap(), expected, "{} satd {size}x{size} != scalar", kernels.cpu());
    }
}

/// Coefficients as the bitstream can make them: mostly zero, a few small.
fn realistic_coefficient() -> impl Strategy<Value = i32> {
    prop_oneof![6 => Just(0), 3 => -300..=300i32, 1 => -20_000..=20_000i32]
}

/// The values that stress overflow and saturation.
fn extreme_coefficient() -> impl Strategy<Value = i32> {
    prop_oneof![
        Just(0),
        Just(COEFF_MAX),
        Just(-COEFF_MAX),
        Just(i32::MAX),
        Just(i32::MIN),
        Just(16320),
        Just(-16320)
    ]
}

/// Pixel values biased towards the clipping ends.
fn pixel() -> impl Strategy<Value = u8> {
    prop_oneof![Just(0u8), Just(255u8), any::<u8>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn inverse_add_4x4_twins_equal_scalar_on_any_i32(
        coeffs in prop::array::uniform16(any::<i32>()),
        stride in 4usize..=20,
        bytes in prop::collection::vec(pixel(), 1..64),
    ) {
        check_inverse_4x4(&coeffs, stride, &bytes);
    }

    #[test]
    fn inverse_add_4x4_twins_equal_scalar_in_range(
        coeffs in prop::array::uniform16(-COEFF_MAX..=COEFF_MAX),
        realistic in prop::array::uniform16(realistic_coefficient()),
        extreme in prop::array::uniform16(extreme_coefficient()),
        stride in 4usize..=20,
        bytes in prop::collection::vec(pixel(), 1..64),
    ) {
        check_inverse_4x4(&coeffs, stride, &bytes);
        check_inverse_4x4(&realistic, stride, &bytes);
        check_inverse_4x4(&extreme, stride, &bytes);
    }

    #[test]
    fn inverse_add_8x8_twins_equal_scalar_on_any_i32(
        coeffs in prop::array::uniform32(any::<i32>()),
        more in prop::array::uniform32(any::<i32>()),
        stride in 8usize..=40,
        bytes in prop::collection::vec(pixel(), 1..128),
    ) {
        let block: [i32; 64] = core::array::from_fn(|i| if i < 32 { coeffs[i] } else { more[i - 32] });
        check_inverse_8x8(&block, stride, &bytes);
    }

    #[test]
    fn inverse_add_8x8_twins_equal_scalar_in_range(
        coeffs in prop::collection::vec(-COEFF_MAX..=COEFF_MAX, 64),
        realistic in prop::collection::vec(realistic_coefficient(), 64),
        extreme in prop::collection::vec(extreme_coefficient(), 64),
        stride in 8usize..=40,
        bytes in prop::collection::vec(pixel(), 1..128),
    ) {
        for block in [coeffs, realistic, extreme] {
            check_inverse_8x8(&block.try_into().unwrap(), stride, &bytes);
        }
    }

    #[test]
    fn forward_8x8_twins_equal_scalar(
        residual in prop::collection::vec(any::<i16>(), 64),
        pixels in prop::collection::vec(-255i16..=255, 64),
    ) {
        for block in [residual, pixels] {
            let block: [i16; 64] = block.try_into().unwrap();
            let expected = scalar::forward_8x8(&block);
            prop_assert_eq!(transform::forward_8x8(&block), expected, "detected");
            for kernels in kernels() {
                prop_assert_eq!(kernels.forward_8x8(&block), expected, "{}", kernels.cpu());
            }
        }
    }

    #[test]
    fn satd_twins_equal_scalar(
        source in prop::collection::vec(pixel(), 1..100),
        prediction in prop::collection::vec(pixel(), 1..100),
        source_stride in 8usize..=24,
        prediction_stride in 8usize..=24,
    ) {
        check_satd(4, &source, source_stride - 4, &prediction, prediction_stride - 4);
        check_satd(8, &source, source_stride, &prediction, prediction_stride);
    }
}

#[test]
fn twins_agree_on_extreme_blocks() {
    let patterns = [[0u8, 255].as_slice(), &[255], &[0], &[128, 0, 255, 7]];
    for bytes in patterns {
        for value in [COEFF_MAX, -COEFF_MAX, i32::MAX, i32::MIN, 16320, -16320, 8191, -8192] {
            check_inverse_4x4(&[value; 16], 4, bytes);
            check_inverse_8x8(&[value; 64], 8, bytes);
            let alternating4: [i32; 16] = core::array::from_fn(|i| if i % 3 == 0 { value } else { value.wrapping_neg() });
            check_inverse_4x4(&alternating4, 7, bytes);
            let alternating8: [i32; 64] = core::array::from_fn(|i| if i % 5 < 2 { value } else { value / 2 });
            check_inverse_8x8(&alternating8, 9, bytes);
        }
        for other in patterns {
            check_satd(4, bytes, 4, other, 4);
            check_satd(8, bytes, 8, other, 8);
        }
    }
}

/// Max levels at QP 51 through dequantisation and every inverse twin: no
/// overflow (debug builds would panic), identical pixels.
#[test]
fn max_levels_at_qp_51_decode_identically() {
    let quantiser = &Quantiser::FLAT;
    for qp in [Qp::MAX, Qp::new(QP_MAX - 5).unwrap(), Qp::MIN] {
        for pattern in 0..4 {
            let level = |i: usize| match pattern {
                0 => LEVEL_MAX,
                1 => -LEVEL_MAX,
                2 => if i % 2 == 0 { LEVEL_MAX } else { -LEVEL_MAX },
                _ => if (i * 7) % 3 == 0 { i32::MAX } else { i32::MIN },
            };
            let levels4: [i32; 16] = core::array::from_fn(level);
            let levels8: [i32; 64] = core::array::from_fn(level);
            let coeffs4 = quantiser.dequantise_4x4(&levels4, qp);
            let coeffs8 = quantiser.dequantise_8x8(&levels8, qp);
            assert!(coeffs4.iter().chain(&coeffs8).all(|c| c.abs() <= COEFF_MAX));
            check_inverse_4x4(&coeffs4, 4, &[128]);
            check_inverse_8x8(&coeffs8, 8, &[128]);
        }
    }
}

#[test]
fn every_twin_rejects_short_buffers() {
    let mut short = [0u8; 20];
    for kernels in kernels() {
        let name = kernels.cpu();
        assert!(kernels.inverse_add_4x4(&[0; 16], &mut short[..15], 4).is_err(), "{name}");
        assert!(kernels.inverse_add_4x4(&[0; 16], &mut short, 3).is_err(), "{name}");
        assert!(kernels.inverse_add_8x8(&[0; 64], &mut short, 8).is_err(), "{name}");
        assert!(kernels.satd_4x4(&short[..15], 4, &short, 4).is_err(), "{name}");
        assert!(kernels.satd_4x4(&short, 4, &short[..15], 4).is_err(), "{name}");
        assert!(kernels.satd_8x8(&short, 8, &[0; 64], 8).is_err(), "{name}");
        assert!(kernels.satd_8x8(&[0; 64], 8, &short, 2).is_err(), "{name}");
    }
}

/// Encoder and decoder through the public API: source -> residual ->
/// forward -> quantise -> dequantise -> inverse added to the prediction.
#[test]
fn encode_decode_round_trip_at_qp_0() {
    let quantiser = &Quantiser::FLAT;
    let mut rng = asp_testkit::Rng::new(0x2545_f491_4f6c_dd1d);
    let mut byte = move || rng.byte();
    let mut worst = 0;
    for _ in 0..5000 {
        let source: Vec<u8> = (0..16 * 8).map(|_| byte()).collect();
        let prediction: Vec<u8> = (0..16 * 8).map(|_| byte()).collect();
        // 4x4 at (0, 0) and 8x8 at (8, 0) of a 16-wide picture.
        let coeffs = transform::forward_diff_4x4(&source, 16, &prediction, 16).unwrap();
        let levels = quantiser.quantise_4x4(&coeffs, Qp::MIN, RoundingOffset::NEAREST);
        let mut decoded = prediction.clone();
        transform::inverse_add_4x4(&quantiser.dequantise_4x4(&levels, Qp::MIN), &mut decoded, 16).unwrap();
        let coeffs = transform::forward_diff_8x8(&source[8..], 16, &prediction[8..], 16).unwrap();
        let levels = quantiser.quantise_8x8(&coeffs, Qp::MIN, RoundingOffset::NEAREST);
        transform::inverse_add_8x8(&quantiser.dequantise_8x8(&levels, Qp::MIN), &mut decoded[8..], 16).unwrap();
        for y in 0..8 {
            for x in 0..16 {
                let i = y * 16 + x;
                let in_4x4 = x < 4 && y < 4;
                if in_4x4 || x >= 8 {
                    worst = worst.max((i32::from(decoded[i]) - i32::from(source[i])).abs());
                } else {
                    assert_eq!(decoded[i], prediction[i], "outside both blocks");
                }
            }
        }
    }
    assert!(worst <= 1, "worst error {worst}");
}
