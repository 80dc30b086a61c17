//! Unit tests of the scalar reference: the overflow proof, known answers,
//! the forward/inverse round trip; and every twin at each level of
//! [`CpuFeatures::levels`] against the scalar reference on random and
//! extreme blocks, here so that the simd128 twins run too (as wasm32-wasip1
//! under Node, `tests/wasm-simd/run.sh`). `crates/asp-core/tests/transform.rs`
//! adds property tests of the native twins.

extern crate std;

use super::scalar::{inverse_4x4_generic, inverse_8x8_generic};
use super::*;
use crate::codec::quant::{Qp, Quantiser, RoundingOffset};
use core::sync::atomic::{AtomicI64, Ordering};

use asp_testkit::Rng;

/// Largest magnitude any [`Interval`] operation produced (for the report).
static LARGEST_INTERMEDIATE: AtomicI64 = AtomicI64::new(0);

/// A set of possible values, `low..=high`, for the overflow proof: the
/// butterflies run on intervals, and every operation asserts that its result
/// interval fits in `i32`, i.e. that no input in range can make it wrap.
#[derive(Clone, Copy, Debug)]
struct Interval {
    low: i64,
    high: i64,
}

impl Interval {
    fn checked(self) -> Self {
        assert!(self.low >= i64::from(i32::MIN) && self.high <= i64::from(i32::MAX), "{self:?} overflows i32");
        LARGEST_INTERMEDIATE.fetch_max(self.low.abs().max(self.high.abs()), Ordering::Relaxed);
        self
    }
}

impl Lane for Interval {
    fn splat(value: i32) -> Self {
        Interval { low: value.into(), high: value.into() }
    }
    fn add(self, other: Self) -> Self {
        Interval { low: self.low + other.low, high: self.high + other.high }.checked()
    }
    fn sub(self, other: Self) -> Self {
        Interval { low: self.low - other.high, high: self.high - other.low }.checked()
    }
    fn shr<const BITS: i32>(self) -> Self {
        // Flooring shifts are monotonic: the bounds map to the bounds.
        Interval { low: self.low >> BITS, high: self.high >> BITS }
    }
}

/// Plain `i64` arithmetic: never wraps on these inputs, so agreement with the
/// wrapping `i32` kernels shows those did not wrap either.
impl Lane for i64 {
    fn splat(value: i32) -> Self {
        value.into()
    }
    fn add(self, other: Self) -> Self {
        self + other
    }
    fn sub(self, other: Self) -> Self {
        self - other
    }
    fn shr<const BITS: i32>(self) -> Self {
        self >> BITS
    }
}

#[test]
fn no_intermediate_overflows_at_coeff_max() {
    let full_range = Interval { low: -i64::from(COEFF_MAX), high: i64::from(COEFF_MAX) };
    LARGEST_INTERMEDIATE.store(0, Ordering::Relaxed);
    let residual = inverse_4x4_generic(&[full_range; 16]);
    let largest_4x4 = LARGEST_INTERMEDIATE.swap(0, Ordering::Relaxed);
    // The rounded residual plus a pixel must fit too (it does, by far).
    assert!(residual.iter().all(|r| r.high + 255 <= i64::from(i32::MAX)));
    let residual = inverse_8x8_generic(&[full_range; 64]);
    let largest_8x8 = LARGEST_INTERMEDIATE.swap(0, Ordering::Relaxed);
    assert!(residual.iter().all(|r| r.high + 255 <= i64::from(i32::MAX)));
    std::println!(
        "largest intermediate at COEFF_MAX = {COEFF_MAX}: 4x4 {largest_4x4} ({:.2} x), 8x8 {largest_8x8} ({:.2} x), i32::MAX {}",
        largest_4x4 as f64 / f64::from(COEFF_MAX),
        largest_8x8 as f64 / f64::from(COEFF_MAX),
        i32::MAX
    );
    // And the claim of the module docs.
    assert!(largest_8x8 <= 1_050_000_000 && largest_4x4 < largest_8x8);
}

/// Sign patterns that drive each output towards its largest magnitude: the
/// signs of the inverse basis products for that output.
fn worst_case_blocks<const AREA: usize>(size: usize, basis_sign: fn(usize, usize) -> i32) -> std::vec::Vec<[i32; AREA]> {
    let mut blocks = std::vec::Vec::new();
    for y in 0..size {
        for x in 0..size {
            let block: [i32; AREA] =
                core::array::from_fn(|i| COEFF_MAX * basis_sign(i / size, y) * basis_sign(i % size, x));
            blocks.push(block);
            blocks.push(block.map(|c| -c));
        }
    }
    blocks.push([COEFF_MAX; AREA]);
    blocks.push([-COEFF_MAX; AREA]);
    blocks
}

/// Sign of the 4x4 inverse basis: frequency `k` at position `n`.
fn basis_sign_4(k: usize, n: usize) -> i32 {
    const SIGNS: [[i32; 4]; 4] = [[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]];
    SIGNS[k][n]
}

/// Sign of the 8x8 inverse basis (the rows of `T`).
fn basis_sign_8(k: usize, n: usize) -> i32 {
    const T: [[i32; 8]; 8] = [
        [8, 8, 8, 8, 8, 8, 8, 8],
        [12, 10, 6, 3, -3, -6, -10, -12],
        [8, 4, -4, -8, -8, -4, 4, 8],
        [10, -3, -12, -6, 6, 12, 3, -10],
        [8, -8, -8, 8, 8, -8, -8, 8],
        [6, -12, 3, 10, -10, -3, 12, -6],
        [4, -8, 8, -4, -4, 8, -8, 4],
        [3, -6, 10, -12, 12, -10, 6, -3],
    ];
    T[k][n].signum()
}

#[test]
fn extreme_blocks_do_not_wrap() {
    for block in worst_case_blocks::<16>(4, basis_sign_4) {
        let exact = inverse_4x4_generic(&block.map(i64::from));
        let wrapping = inverse_4x4(&block);
        assert_eq!(exact, wrapping.map(i64::from));
    }
    for block in worst_case_blocks::<64>(8, basis_sign_8) {
        let exact = inverse_8x8_generic(&block.map(i64::from));
        let wrapping = inverse_8x8(&block);
        assert_eq!(exact, wrapping.map(i64::from));
    }
}

#[test]
fn any_coefficients_are_accepted() {
    // Out of range, results are wrapped (deterministically), never a panic.
    let mut pixels = [128u8; 64];
    for value in [i32::MIN, i32::MAX, -1, COEFF_MAX + 1] {
        inverse_add_4x4(&[value; 16], &mut pixels, 8).unwrap();
        inverse_add_8x8(&[value; 64], &mut pixels, 8).unwrap();
        inverse_add_dc_4x4(value, &mut pixels, 8).unwrap();
        inverse_add_dc_8x8(value, &mut pixels, 8).unwrap();
    }
}

#[test]
fn dc_only_known_answer() {
    // DC passes both stages unchanged: every residual is (dc + 32) >> 6.
    for (dc, expected) in [(640, 10), (100, 2), (95, 1), (-32, 0), (-33, -1), (16320, 255), (-640, -10)] {
        let mut block = [0; 16];
        block[0] = dc;
        assert_eq!(inverse_4x4(&block), [expected; 16], "4x4 dc {dc}");
        let mut block = [0; 64];
        block[0] = dc;
        assert_eq!(inverse_8x8(&block), [expected; 64], "8x8 dc {dc}");
        // The fast path agrees with the full transform on pixels.
        let mut full = [100u8; 64];
        let mut fast = full;
        inverse_add_8x8(&block, &mut full, 8).unwrap();
        inverse_add_dc_8x8(dc, &mut fast, 8).unwrap();
        assert_eq!(full, fast);
        let (mut full, mut fast) = ([200u8; 20], [200u8; 20]);
        let mut block4 = [0; 16];
        block4[0] = dc;
        inverse_add_4x4(&block4, &mut full, 5).unwrap();
        inverse_add_dc_4x4(dc, &mut fast, 5).unwrap();
        assert_eq!(full, fast);
    }
}

#[test]
fn single_coefficient_known_answer() {
    // 4x4, first horizontal frequency = 64: the row pass gives
    // (64, 32, -32, -64), the column pass copies it down, the rounding gives
    // (1, 1, 0, -1) in every row.
    let mut block = [0; 16];
    block[1] = 64;
    let row = [1, 1, 0, -1];
    assert_eq!(inverse_4x4(&block)[..], [row, row, row, row].concat()[..]);
    // Its transpose gives the transposed answer.
    let mut block = [0; 16];
    block[4] = 64;
    assert_eq!(inverse_4x4(&block)[..], [[1; 4], [1; 4], [0; 4], [-1; 4]].concat()[..]);
    // 8x8, first horizontal frequency = 512: the row of T, 12 10 6 3 ...
    let mut block = [0; 64];
    block[1] = 512;
    let t1 = [12, 10, 6, 3, -3, -6, -10, -12];
    assert_eq!(inverse_8x8(&block)[..], [t1; 8].concat()[..]);
    // 8x8, second vertical frequency = 512: column of T row 2 in every column.
    let mut block = [0; 64];
    block[16] = 512;
    let t2 = [8, 4, -4, -8, -8, -4, 4, 8];
    let expected: [i32; 64] = core::array::from_fn(|i| t2[i / 8]);
    assert_eq!(inverse_8x8(&block), expected);
}

#[test]
fn forward_known_answers() {
    // A flat residual has only DC: 16 v (4x4) and 64 v (8x8).
    let mut expected = [0; 16];
    expected[0] = 16 * -37;
    assert_eq!(forward_4x4(&[-37; 16]), expected);
    let mut expected = [0; 64];
    expected[0] = 64 * 99;
    assert_eq!(forward_8x8(&[99; 64]), expected);
    // A horizontal ramp: the first row of C (4x4) and T (8x8), times the
    // column sums.
    let ramp4: [i16; 16] = core::array::from_fn(|i| (i % 4) as i16);
    let c = forward_4x4(&ramp4);
    // Rows are (0,1,2,3): C row 1 gives 2*(0-3) + (1-2) = -7, row 3 gives (0-3) - 2(1-2) = -1.
    assert_eq!(&c[..4], &[4 * 6, 4 * -7, 0, -4]);
    assert!(c[4..].iter().all(|&v| v == 0));
    // 8x8 impulse at (0, 0): W = T[k][0] T[l][0] / 64, rounded.
    let mut impulse = [0i16; 64];
    impulse[0] = 64;
    let w = forward_8x8(&impulse);
    let column0 = [8, 12, 8, 10, 8, 6, 4, 3];
    let expected: [i32; 64] = core::array::from_fn(|i| column0[i / 8] * column0[i % 8]);
    assert_eq!(w, expected);
}

/// Coefficients of every kind: zero, any `i32` (wrapping), in range,
/// extreme, realistic.
fn coefficient(rng: &mut Rng) -> i32 {
    let r = rng.next_u64();
    let pick = (r >> 8) as usize;
    match r % 6 {
        0 => 0,
        1 => (r >> 16) as i32,
        2 => (pick % (2 * COEFF_MAX as usize + 1)) as i32 - COEFF_MAX,
        3 => [i32::MIN, i32::MAX, COEFF_MAX, -COEFF_MAX, 16320, -16320][pick % 6],
        _ => (pick % 4001) as i32 - 2000,
    }
}

/// Pixels biased towards the clipping ends.
fn pixel(rng: &mut Rng) -> u8 {
    let r = rng.next_u64();
    match r % 4 {
        0 => 0,
        1 => 255,
        _ => (r >> 8) as u8,
    }
}

/// Every twin this build and CPU run, level by level, gives the scalar
/// result on the same random blocks, and refuses a buffer one byte short.
#[test]
fn every_twin_equals_scalar() {
    let levels: std::vec::Vec<Kernels> = CpuFeatures::host().levels().map(Kernels::new).collect();
    #[cfg(target_arch = "x86_64")]
    assert!(levels.iter().any(|k| k.cpu().contains(CpuFeatures::SSE2)), "the SSE2 twins must be tested");
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    assert!(levels.iter().any(|k| k.cpu().contains(CpuFeatures::SIMD128)), "the simd128 twins must be tested");
    #[cfg(target_arch = "aarch64")]
    assert!(levels.iter().any(|k| k.cpu().contains(CpuFeatures::NEON)), "the NEON twins must be tested");
    let mut rng = Rng::new(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let stride = 8 + rng.index(17);
        let len = stride * 7 + 8;
        let picture: std::vec::Vec<u8> = (0..len).map(|_| pixel(&mut rng)).collect();
        let prediction: std::vec::Vec<u8> = (0..len).map(|_| pixel(&mut rng)).collect();
        let coeffs4: [i32; 16] = core::array::from_fn(|_| coefficient(&mut rng));
        let coeffs8: [i32; 64] = core::array::from_fn(|_| coefficient(&mut rng));
        let residual: [i16; 64] = core::array::from_fn(|_| if rng.coin(12) { rng.next_u64() as i16 } else { residual(&mut rng) });

        let mut expected4 = picture.clone();
        scalar::inverse_add_4x4(&coeffs4, &mut expected4, stride).unwrap();
        let mut expected8 = picture.clone();
        scalar::inverse_add_8x8(&coeffs8, &mut expected8, stride).unwrap();
        let forward = scalar::forward_8x8(&residual);
        let satd4 = scalar::satd_4x4(&picture, stride, &prediction, stride).unwrap();
        let satd8 = scalar::satd_8x8(&picture, stride, &prediction, stride).unwrap();
        let residual8 = scalar::residual_8x8(&picture, stride, &prediction, stride).unwrap();
        let forward_diff8 = scalar::forward_8x8(&residual8);
        let ssd8 = scalar::ssd(&picture, stride, &prediction, stride, 8).unwrap();
        let dc = coefficient(&mut rng);
        let mut expected_dc4 = picture.clone();
        scalar::inverse_add_dc(dc, &mut expected_dc4, stride, 4).unwrap();
        let mut expected_dc8 = picture.clone();
        scalar::inverse_add_dc(dc, &mut expected_dc8, stride, 8).unwrap();
        for kernels in &levels {
            let cpu = kernels.cpu();
            let mut actual = picture.clone();
            kernels.inverse_add_4x4(&coeffs4, &mut actual, stride).unwrap();
            assert_eq!(actual, expected4, "inverse_add_4x4 {cpu}");
            let mut actual = picture.clone();
            kernels.inverse_add_8x8(&coeffs8, &mut actual, stride).unwrap();
            assert_eq!(actual, expected8, "inverse_add_8x8 {cpu}");
            let mut actual = picture.clone();
            kernels.inverse_add_dc_4x4(dc, &mut actual, stride).unwrap();
            assert_eq!(actual, expected_dc4, "inverse_add_dc_4x4 {cpu} dc {dc}");
            let mut actual = picture.clone();
            kernels.inverse_add_dc_8x8(dc, &mut actual, stride).unwrap();
            assert_eq!(actual, expected_dc8, "inverse_add_dc_8x8 {cpu} dc {dc}");
            assert_eq!(kernels.forward_8x8(&residual), forward, "forward_8x8 {cpu}");
            assert_eq!(kernels.satd_4x4(&picture, stride, &prediction, stride), Ok(satd4), "satd_4x4 {cpu}");
            assert_eq!(kernels.satd_8x8(&picture, stride, &prediction, stride), Ok(satd8), "satd_8x8 {cpu}");
            assert_eq!(kernels.residual_8x8(&picture, stride, &prediction, stride), Ok(residual8), "residual_8x8 {cpu}");
            assert_eq!(kernels.forward_diff_8x8(&picture, stride, &prediction, stride), Ok(forward_diff8), "forward_diff_8x8 {cpu}");
            let mut short = picture[..len - 1].to_vec();
            assert!(kernels.inverse_add_8x8(&coeffs8, &mut short, stride).is_err(), "{cpu}");
            assert!(kernels.inverse_add_dc_8x8(dc, &mut short, stride).is_err(), "{cpu}");
            assert!(kernels.satd_8x8(&short, stride, &prediction, stride).is_err(), "{cpu}");
            assert!(kernels.residual_8x8(&short, stride, &prediction, stride).is_err(), "{cpu}");
            assert!(kernels.residual_8x8(&picture, stride, &short, stride).is_err(), "{cpu}");
            let mut untouched = [7i32; 64];
            assert!(kernels.forward_diff_8x8_into(&short, stride, &prediction, stride, &mut untouched).is_err(), "{cpu}");
            assert!(kernels.forward_diff_8x8_into(&picture, stride, &short, stride, &mut untouched).is_err(), "{cpu}");
            assert_eq!(untouched, [7; 64], "forward_diff_8x8_into writes nothing on error {cpu}");
            assert_eq!(kernels.ssd_8x8(&picture, stride, &prediction, stride), Ok(ssd8), "ssd_8x8 {cpu}");
            assert!(kernels.ssd_8x8(&short, stride, &prediction, stride).is_err(), "{cpu}");
            assert!(kernels.ssd_8x8(&picture, stride, &short, stride).is_err(), "{cpu}");
        }
    }
}

/// The 16x16 SSD twins give the scalar sum on random blocks (extremes
/// included: the largest sum, 256 · 255², must not wrap) and refuse a
/// buffer one byte short.
#[test]
fn ssd_16x16_twins_equal_scalar() {
    let levels: std::vec::Vec<Kernels> = CpuFeatures::host().levels().map(Kernels::new).collect();
    let mut rng = Rng::new(0x0055_D016);
    for n in 0..500 {
        let stride = 16 + rng.index(17);
        let len = stride * 15 + 16;
        let extreme = n % 10 == 0;
        let picture: std::vec::Vec<u8> = (0..len).map(|_| if extreme { 255 } else { pixel(&mut rng) }).collect();
        let prediction: std::vec::Vec<u8> = (0..len).map(|_| if extreme { 0 } else { pixel(&mut rng) }).collect();
        let expected = scalar::ssd(&picture, stride, &prediction, stride, 16).unwrap();
        if extreme {
            assert_eq!(expected, 256 * 255 * 255);
        }
        for kernels in &levels {
            let cpu = kernels.cpu();
            assert_eq!(kernels.ssd_16x16(&picture, stride, &prediction, stride), Ok(expected), "ssd_16x16 {cpu}");
            assert!(kernels.ssd_16x16(&picture[..len - 1], stride, &prediction, stride).is_err(), "{cpu}");
            assert!(kernels.ssd_16x16(&picture, stride, &prediction[..len - 1], stride).is_err(), "{cpu}");
        }
    }
}

/// A residual in -255..=255.
fn residual(rng: &mut Rng) -> i16 {
    rng.range(-255, 255)
}

#[test]
fn forward_is_antisymmetric() {
    let mut rng = Rng::new(7);
    for _ in 0..1000 {
        let x4: [i16; 16] = core::array::from_fn(|_| residual(&mut rng));
        assert_eq!(forward_4x4(&x4.map(|v| -v)), forward_4x4(&x4).map(|v| -v));
        let x8: [i16; 64] = core::array::from_fn(|_| residual(&mut rng));
        assert_eq!(forward_8x8(&x8.map(|v| -v)), forward_8x8(&x8).map(|v| -v));
    }
    // Extreme i16 inputs stay in range (debug builds would panic otherwise).
    for v in [i16::MIN, i16::MAX] {
        forward_4x4(&[v; 16]);
        forward_8x8(&[v; 64]);
        let checker: [i16; 64] = core::array::from_fn(|i| if (i / 8 + i % 8) % 2 == 0 { v } else { -(v.max(-i16::MAX)) });
        forward_8x8(&checker);
    }
}

/// Largest per-pixel error of forward -> quantise -> dequantise -> inverse,
/// over `blocks` random residual blocks at `qp`.
fn round_trip_error(qp: Qp, blocks: usize, seed: u64) -> (i32, i32) {
    let q = &Quantiser::FLAT;
    let mut rng = Rng::new(seed);
    let (mut worst4, mut worst8) = (0, 0);
    for _ in 0..blocks {
        let x4: [i16; 16] = core::array::from_fn(|_| residual(&mut rng));
        let levels = q.quantise_4x4(&forward_4x4(&x4), qp, RoundingOffset::NEAREST);
        let back = inverse_4x4(&q.dequantise_4x4(&levels, qp));
        for i in 0..16 {
            worst4 = worst4.max((back[i] - i32::from(x4[i])).abs());
        }
        let x8: [i16; 64] = core::array::from_fn(|_| residual(&mut rng));
        let levels = q.quantise_8x8(&forward_8x8(&x8), qp, RoundingOffset::NEAREST);
        let back = inverse_8x8(&q.dequantise_8x8(&levels, qp));
        for i in 0..64 {
            worst8 = worst8.max((back[i] - i32::from(x8[i])).abs());
        }
    }
    (worst4, worst8)
}

#[test]
fn round_trip_at_qp_0_is_near_lossless() {
    let (worst4, worst8) = round_trip_error(Qp::MIN, 20_000, 0x9e37_79b9_7f4a_7c15);
    std::println!("QP 0 round trip, max abs error per pixel: 4x4 {worst4}, 8x8 {worst8}");
    assert!(worst4 <= 1, "4x4 worst error {worst4}");
    assert!(worst8 <= 1, "8x8 worst error {worst8}");
}

#[test]
fn round_trip_error_grows_with_qp() {
    // Smooth sanity check: the error bound roughly follows the step.
    let mut previous = (0, 0);
    for qp in [0u8, 12, 24, 36] {
        let error = round_trip_error(Qp::new(qp).unwrap(), 500, u64::from(qp) + 1);
        std::println!("QP {qp}: max abs error 4x4 {}, 8x8 {}", error.0, error.1);
        assert!(error.0 >= previous.0 && error.1 >= previous.1);
        previous = error;
    }
}

/// SATD by its definition: `H D H^T` with the 4x4 Hadamard matrix.
fn satd_by_definition(difference: &[i32; 16]) -> u32 {
    const H: [[i32; 4]; 4] = [[1, 1, 1, 1], [1, 1, -1, -1], [1, -1, -1, 1], [1, -1, 1, -1]];
    let mut sum = 0;
    for h_row in &H {
        for h_column in &H {
            let mut coefficient = 0;
            for y in 0..4 {
                for x in 0..4 {
                    coefficient += h_row[y] * h_column[x] * difference[y * 4 + x];
                }
            }
            sum += coefficient.unsigned_abs();
        }
    }
    assert_eq!(sum % 2, 0, "Hadamard sums are even");
    sum / 2
}

#[test]
fn satd_matches_its_definition() {
    let mut rng = Rng::new(42);
    for _ in 0..2000 {
        let source: [u8; 64] = core::array::from_fn(|_| rng.byte());
        let prediction: [u8; 64] = core::array::from_fn(|_| rng.byte());
        let mut total = 0;
        for (x0, y0) in [(0, 0), (4, 0), (0, 4), (4, 4)] {
            let difference = core::array::from_fn(|i| {
                let p = (y0 + i / 4) * 8 + x0 + i % 4;
                i32::from(source[p]) - i32::from(prediction[p])
            });
            let offset = y0 * 8 + x0;
            let satd = scalar::satd_4x4(&source[offset..], 8, &prediction[offset..], 8).unwrap();
            assert_eq!(satd, satd_by_definition(&difference));
            total += satd;
        }
        assert_eq!(scalar::satd_8x8(&source, 8, &prediction, 8).unwrap(), total);
    }
    // Extremes: the documented maxima.
    let (white, black) = ([255u8; 64], [0u8; 64]);
    assert_eq!(scalar::satd_4x4(&white, 8, &black, 8).unwrap(), 16 * 255 / 2);
    let checker: [u8; 64] = core::array::from_fn(|i| if (i / 8 + i % 8) % 2 == 0 { 255 } else { 0 });
    let inverse_checker = checker.map(|p| 255 - p);
    assert_eq!(scalar::satd_4x4(&checker, 8, &inverse_checker, 8).unwrap(), 16 * 255 / 2);
    assert_eq!(scalar::satd_8x8(&white, 8, &white, 8).unwrap(), 0);
}

#[test]
fn block_checks() {
    assert_eq!(check_block(16, 4, 4), Ok(()));
    assert_eq!(check_block(15, 4, 4), Err(BlockError::BufferTooShort { needed: 16, len: 15 }));
    assert_eq!(check_block(100, 3, 4), Err(BlockError::StrideTooSmall { stride: 3, width: 4 }));
    assert_eq!(check_block(8 * 7 + 8, 8, 8), Ok(()));
    assert!(matches!(check_block(1 << 20, usize::MAX / 4, 8), Err(BlockError::BufferTooShort { .. })));
    let mut short = [0u8; 15];
    assert!(inverse_add_4x4(&[0; 16], &mut short, 4).is_err());
    assert!(inverse_add_8x8(&[0; 64], &mut short, 8).is_err());
    assert!(satd_4x4(&short, 4, &[0; 16], 4).is_err());
    assert!(satd_8x8(&[0; 64], 8, &short, 8).is_err());
    assert!(forward_diff_4x4(&[0; 16], 4, &short, 4).is_err());
    assert!(residual_8x8(&[0; 64], 7, &[0; 64], 8).is_err());
}
