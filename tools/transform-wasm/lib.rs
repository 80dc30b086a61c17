//! Exports for `run.js`: `check` holds the simd128 twins equal to the scalar
//! reference; `bench` runs one kernel many times for timing from JavaScript.

use asp_core::codec::transform::{scalar, wasm, COEFF_MAX};
use std::hint::black_box;

/// A small deterministic generator.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Coefficients of every kind: zero, any `i32` (wrapping), in range,
    /// extreme, realistic.
    fn coefficient(&mut self) -> i32 {
        let r = self.next();
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
    fn pixel(&mut self) -> u8 {
        let r = self.next();
        match r % 4 {
            0 => 0,
            1 => 255,
            _ => (r >> 8) as u8,
        }
    }
}

/// Number of blocks on which a simd128 twin differs from the scalar
/// reference, over `iterations` rounds of every kernel.
#[no_mangle]
pub extern "C" fn check(seed: u32, iterations: u32) -> u32 {
    let mut rng = XorShift(u64::from(seed) << 1 | 1);
    let mut mismatches = 0;
    for _ in 0..iterations {
        let stride = 8 + (rng.next() % 17) as usize;
        let len = stride * 7 + 8;
        let picture: Vec<u8> = (0..len).map(|_| rng.pixel()).collect();
        let prediction: Vec<u8> = (0..len).map(|_| rng.pixel()).collect();
        let coeffs4: [i32; 16] = core::array::from_fn(|_| rng.coefficient());
        let coeffs8: [i32; 64] = core::array::from_fn(|_| rng.coefficient());

        let (mut expected, mut actual) = (picture.clone(), picture.clone());
        scalar::inverse_add_4x4(&coeffs4, &mut expected, stride).unwrap();
        wasm::inverse_add_4x4_simd128(&coeffs4, &mut actual, stride).unwrap();
        mismatches += u32::from(expected != actual);

        let (mut expected, mut actual) = (picture.clone(), picture.clone());
        scalar::inverse_add_8x8(&coeffs8, &mut expected, stride).unwrap();
        wasm::inverse_add_8x8_simd128(&coeffs8, &mut actual, stride).unwrap();
        mismatches += u32::from(expected != actual);

        let satd4 = scalar::satd_4x4(&picture, stride, &prediction, stride);
        mismatches += u32::from(satd4 != wasm::satd_4x4_simd128(&picture, stride, &prediction, stride));
        let satd8 = scalar::satd_8x8(&picture, stride, &prediction, stride);
        mismatches += u32::from(satd8 != wasm::satd_8x8_simd128(&picture, stride, &prediction, stride));

        // One byte short: every twin must refuse.
        let mut short = picture[..len - 1].to_vec();
        mismatches += u32::from(wasm::inverse_add_8x8_simd128(&coeffs8, &mut short, stride).is_ok());
        mismatches += u32::from(wasm::satd_8x8_simd128(&short, stride, &prediction, stride).is_ok());
    }
    mismatches
}

/// Runs kernel `which` on `blocks` blocks: 0/1 inverse_add_4x4 scalar/simd128,
/// 2/3 inverse_add_8x8, 4/5 satd_8x8. The blocks are those of
/// `crates/asp-core/benches/transform.rs`.
#[no_mangle]
pub extern "C" fn bench(which: u32, blocks: u32) -> u32 {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    // Typical dequantised coefficients: low frequencies non-zero.
    let mut coefficient = |position: usize, size: usize| {
        if position / size + position % size < size / 2 {
            (rng.next() % 4001) as i32 - 2000
        } else {
            0
        }
    };
    let coeffs4: [i32; 16] = core::array::from_fn(|i| coefficient(i, 4));
    let coeffs8: [i32; 64] = core::array::from_fn(|i| coefficient(i, 8));
    const STRIDE: usize = 64;
    let mut picture: Vec<u8> = (0..64 * 8).map(|_| rng.next() as u8).collect();
    let prediction: Vec<u8> = (0..64 * 8).map(|_| rng.next() as u8).collect();
    let mut sum = 0u32;
    for _ in 0..blocks {
        match which {
            0 => scalar::inverse_add_4x4(black_box(&coeffs4), black_box(&mut picture), STRIDE).unwrap(),
            1 => wasm::inverse_add_4x4_simd128(black_box(&coeffs4), black_box(&mut picture), STRIDE).unwrap(),
            2 => scalar::inverse_add_8x8(black_box(&coeffs8), black_box(&mut picture), STRIDE).unwrap(),
            3 => wasm::inverse_add_8x8_simd128(black_box(&coeffs8), black_box(&mut picture), STRIDE).unwrap(),
            4 => sum = sum.wrapping_add(scalar::satd_8x8(black_box(&picture), STRIDE, &prediction, STRIDE).unwrap()),
            _ => {
                let satd = wasm::satd_8x8_simd128(black_box(&picture), STRIDE, &prediction, STRIDE).unwrap();
                sum = sum.wrapping_add(satd)
            }
        }
    }
    sum.wrapping_add(u32::from(picture[0]))
}
