use super::*;

#[test]
fn flat_multipliers_are_the_classic_tables() {
    // (m, class 0, class 1, class 2) of the JM / x264 4x4 tables.
    let classic_4x4 = [
        [13107, 5243, 8066],
        [11916, 4660, 7490],
        [10082, 4194, 6554],
        [9362, 3647, 5825],
        [8192, 3355, 5243],
        [7282, 2893, 4559],
    ];
    // Positions 0 (class 0), 5 (class 1), 1 (class 2).
    for (m, row) in classic_4x4.iter().enumerate() {
        let qp = Qp::new(m as u8).unwrap();
        assert_eq!(Quantiser::FLAT.multiplier_4x4(qp, 0), row[0]);
        assert_eq!(Quantiser::FLAT.multiplier_4x4(qp, 5), row[1]);
        assert_eq!(Quantiser::FLAT.multiplier_4x4(qp, 1), row[2]);
    }
    // 8x8 at m = 0, classes 0..6 at positions 0, 9, 18, 1, 2, 10.
    let classic_8x8_m0 = [13107, 11428, 20972, 12222, 16777, 15481];
    for (class, (&position, &expected)) in [0, 9, 18, 1, 2, 10].iter().zip(&classic_8x8_m0).enumerate() {
        assert_eq!(class_8x8(position), class);
        assert_eq!(Quantiser::FLAT.multiplier_8x8(Qp::MIN, position), expected);
    }
}

#[test]
fn position_classes() {
    let expected_4x4 = [0, 2, 0, 2, 2, 1, 2, 1, 0, 2, 0, 2, 2, 1, 2, 1];
    for (position, &class) in expected_4x4.iter().enumerate() {
        assert_eq!(class_4x4(position), class, "position {position}");
    }
    // Symmetric in row and column, and as H.264 lists it for row 0.
    for position in 0..64 {
        assert_eq!(class_8x8(position), class_8x8((position % 8) * 8 + position / 8));
    }
    let row0: [usize; 8] = core::array::from_fn(class_8x8);
    assert_eq!(row0, [0, 3, 4, 3, 0, 3, 4, 3]);
    let row1: [usize; 8] = core::array::from_fn(|x| class_8x8(8 + x));
    assert_eq!(row1, [3, 1, 5, 1, 3, 1, 5, 1]);
    let row2: [usize; 8] = core::array::from_fn(|x| class_8x8(16 + x));
    assert_eq!(row2, [4, 5, 2, 5, 4, 5, 2, 5]);
}

/// The normAdjust tables follow from the basis norms: a step is inversely
/// proportional to the norm of its basis function, relative to class 0.
#[test]
fn norm_adjust_tables_follow_basis_norms() {
    // 2-D squared norms of the inverse bases, class by class.
    let norms_4x4: [f64; 3] = [16.0, 6.25, 10.0];
    let n = |k: usize| basis_norm_8(k) as f64 / 64.0;
    let norms_8x8 = [n(0) * n(0), n(1) * n(1), n(2) * n(2), n(0) * n(1), n(0) * n(2), n(1) * n(2)];
    // `value` is within 1 of `base * sqrt(ratio)` (squared, as core has
    // no square root); the 4x4 integers are coarse (20 for 13 * 1.6).
    let close = |value: i32, base: i32, ratio: f64| {
        let ideal_squared = f64::from(base) * f64::from(base) * ratio;
        let (low, high) = (f64::from(value) - 1.0, f64::from(value) + 1.0);
        low * low <= ideal_squared && ideal_squared <= high * high
    };
    for m in 0..6 {
        for class in 0..3 {
            let (value, base) = (NORM_ADJUST_4X4[m][class], NORM_ADJUST_4X4[m][0]);
            assert!(close(value, base, norms_4x4[0] / norms_4x4[class]), "4x4 m {m} class {class}");
        }
        for class in 0..6 {
            let (value, base) = (NORM_ADJUST_8X8[m][class], NORM_ADJUST_8X8[m][0]);
            assert!(close(value, base, norms_8x8[0] / norms_8x8[class]), "8x8 m {m} class {class}");
        }
    }
}

#[test]
fn step_doubles_every_6_qp_and_grows_monotonically() {
    assert_eq!(quant_step_q4(Qp::MIN), 10);
    assert_eq!(quant_step_q4(Qp::MAX), 224 * 16);
    for qp in 0..QP_MAX {
        let (this, next) = (Qp::new(qp).unwrap(), Qp::new(qp + 1).unwrap());
        assert!(quant_step_q4(next) > quant_step_q4(this), "qp {qp}");
        if qp + 6 <= QP_MAX {
            assert_eq!(quant_step_q4(Qp::new(qp + 6).unwrap()), 2 * quant_step_q4(this), "qp {qp}");
        }
        // The dequantised value of a level follows the same law, in every
        // position class (exactly for 4x4; for 8x8 below QP 12 up to
        // the spec's rounding).
        let level = [1000; 16];
        let level8 = [1000; 64];
        if qp + 6 <= QP_MAX {
            let later = Qp::new(qp + 6).unwrap();
            let q = &Quantiser::FLAT;
            let (a, b) = (q.dequantise_4x4(&level, this), q.dequantise_4x4(&level, later));
            for i in 0..16 {
                assert_eq!(b[i], 2 * a[i], "4x4 qp {qp} position {i}");
            }
            let (a, b) = (q.dequantise_8x8(&level8, this), q.dequantise_8x8(&level8, later));
            for i in 0..64 {
                assert!((b[i] - 2 * a[i]).abs() <= 1, "8x8 qp {qp} position {i}");
            }
            let (a, b) = (q.dequantise_4x4(&level, this), q.dequantise_4x4(&level, next));
            for i in 0..16 {
                assert!(b[i] > a[i], "4x4 qp {qp} position {i}");
            }
        }
    }
}

#[test]
fn flat_dequantisation_is_level_times_step() {
    let q = &Quantiser::FLAT;
    for qp in 0..=QP_MAX {
        let qp = Qp::new(qp).unwrap();
        let levels: [i32; 16] = core::array::from_fn(|i| i as i32 * 37 - 300);
        let out = q.dequantise_4x4(&levels, qp);
        for i in 0..16 {
            let v = NORM_ADJUST_4X4[qp.phase()][class_4x4(i)];
            assert_eq!(out[i], (levels[i] * v) << qp.octave());
        }
        // 8x8 flat: level * v * 2^(qp/6) / 4, rounded half up below QP 12.
        let levels: [i32; 64] = core::array::from_fn(|i| i as i32 * 13 - 400);
        let out = q.dequantise_8x8(&levels, qp);
        for i in 0..64 {
            let v = NORM_ADJUST_8X8[qp.phase()][class_8x8(i)];
            let exact4 = (levels[i] * v) << qp.octave(); // 4 times the value
            assert_eq!(out[i], (exact4 + 2).div_euclid(4), "qp {} position {i}", qp.get());
        }
    }
}

/// `dequantise(quantise(W))` lies within `(1 - offset)` of a step of the
/// value `W` stands for: half a step from rounding, plus the dead zone
/// `1/2 - offset`. Checked exactly, in integers.
#[test]
fn dequantise_quantise_error_is_within_half_a_step_plus_dead_zone() {
    let q = &Quantiser::FLAT;
    let mut rng = asp_testkit::Rng::new(0x1234_5678_9abc_def0);
    let mut random = move || rng.next_u64();
    for rounding in [RoundingOffset::NEAREST, RoundingOffset::INTRA, RoundingOffset::INTER, RoundingOffset::from_q15(0)] {
        let o = i128::from(rounding.q15());
        for qp in 0..=QP_MAX {
            let qp = Qp::new(qp).unwrap();
            for _ in 0..40 {
                // Magnitudes up to what a ±255 residual produces, and a bit.
                let w4: [i32; 16] = core::array::from_fn(|_| (random() % 20001) as i32 - 10000);
                let levels = q.quantise_4x4(&w4, qp, rounding);
                let d = q.dequantise_4x4(&levels, qp);
                for i in 0..16 {
                    // Value of W in dequantised units: W * MF * step / 2^qbits,
                    // step = LevelScale * 2^(qp/6) / 16. Scale all by
                    // 2^(qbits + 4 + 15) to stay in integers.
                    let qbits = 15 + qp.octave();
                    let step16 = i128::from(q.level_scale_4x4(qp, i)) << qp.octave();
                    let ideal = i128::from(w4[i]) * i128::from(q.multiplier_4x4(qp, i)) * step16;
                    let actual = i128::from(d[i]) << (qbits + 4);
                    let bound = ((((1 << 15) - o) * step16) << qbits) >> 15;
                    assert!((actual - ideal).abs() <= bound, "4x4 qp {} i {i} W {} level {}", qp.get(), w4[i], levels[i]);
                }
                let w8: [i32; 64] = core::array::from_fn(|_| (random() % 40001) as i32 - 20000);
                let levels = q.quantise_8x8(&w8, qp, rounding);
                let d = q.dequantise_8x8(&levels, qp);
                for i in 0..64 {
                    let qbits = 16 + qp.octave();
                    let step64 = i128::from(q.level_scale_8x8(qp, i)) << qp.octave();
                    let ideal = i128::from(w8[i]) * i128::from(q.multiplier_8x8(qp, i)) * step64;
                    let actual = i128::from(d[i]) << (qbits + 6);
                    // Plus the spec's rounding of half a unit below QP 36.
                    let bound = (((((1 << 15) - o) * step64) << qbits) >> 15) + (1 << (qbits + 5));
                    assert!((actual - ideal).abs() <= bound, "8x8 qp {} i {i} W {} level {}", qp.get(), w8[i], levels[i]);
                }
            }
        }
    }
}

/// The dequantisation formula in `i64`, plainly: what the `i32` block
/// code must equal.
fn dequantise_reference(level: i32, level_scale: i32, shift: i32) -> i32 {
    let product = i64::from(level.clamp(-LEVEL_MAX, LEVEL_MAX)) * i64::from(level_scale);
    let scaled = if shift >= 0 { product << shift } else { (product + (1 << (-shift - 1))) >> -shift };
    scaled.clamp(-i64::from(COEFF_MAX), i64::from(COEFF_MAX)) as i32
}

#[test]
fn dequantisation_matches_the_i64_formula() {
    // Largest weights, so the largest level scales.
    let heavy = Quantiser::with_weights(&[255; 16], &[255; 64]).unwrap();
    let mut rng = asp_testkit::Rng::new(0x0123_4567_89ab_cdef);
    let mut random = move || rng.next_u64();
    let special = [0, 1, -1, 2, -2, 100, -100, LEVEL_MAX, -LEVEL_MAX, LEVEL_MAX + 1, i32::MAX, i32::MIN, 4095, -4096];
    for q in [&Quantiser::FLAT, &heavy] {
        for qp in 0..=QP_MAX {
            let qp = Qp::new(qp).unwrap();
            for round in 0..50 {
                let mut level = |i: usize| match round % 3 {
                    0 => special[(i + round) % special.len()],
                    1 => (random() % 2001) as i32 - 1000,
                    _ => random() as i32,
                };
                let levels4: [i32; 16] = core::array::from_fn(&mut level);
                let out = q.dequantise_4x4(&levels4, qp);
                for i in 0..16 {
                    let expected = dequantise_reference(levels4[i], q.level_scale_4x4(qp, i), qp.octave() as i32 - 4);
                    assert_eq!(out[i], expected, "4x4 qp {} level {}", qp.get(), levels4[i]);
                    assert_eq!(q.dequantise_level_4x4(levels4[i], i, qp), expected);
                }
                let levels8: [i32; 64] = core::array::from_fn(&mut level);
                let out = q.dequantise_8x8(&levels8, qp);
                for i in 0..64 {
                    let expected = dequantise_reference(levels8[i], q.level_scale_8x8(qp, i), qp.octave() as i32 - 6);
                    assert_eq!(out[i], expected, "8x8 qp {} level {}", qp.get(), levels8[i]);
                    assert_eq!(q.dequantise_level_8x8(levels8[i], i, qp), expected);
                }
            }
        }
    }
}

#[test]
fn dead_zone_zeroes_small_coefficients() {
    let q = &Quantiser::FLAT;
    let qp = Qp::new(28).unwrap();
    // Step in W units at (0,0): 2^qbits / MF.
    let step = (1u64 << (15 + 4)) as f64 / f64::from(q.multiplier_4x4(qp, 0));
    let just_below = |fraction: f64| ((step * fraction) - 0.5) as i32;
    let mut w = [0; 16];
    w[0] = just_below(0.5);
    assert_eq!(q.quantise_4x4(&w, qp, RoundingOffset::NEAREST)[0], 0);
    w[0] = (step * 0.5 + 1.0) as i32;
    assert_eq!(q.quantise_4x4(&w, qp, RoundingOffset::NEAREST)[0], 1);
    assert_eq!(q.quantise_4x4(&w, qp, RoundingOffset::INTRA)[0], 0);
    w[0] = (step * (2.0 / 3.0) + 1.0) as i32;
    assert_eq!(q.quantise_4x4(&w, qp, RoundingOffset::INTRA)[0], 1);
    assert_eq!(q.quantise_4x4(&w, qp, RoundingOffset::INTER)[0], 0);
    w[0] = -w[0];
    assert_eq!(q.quantise_4x4(&w, qp, RoundingOffset::INTRA)[0], -1);
}

#[test]
fn extremes_clamp_without_overflow() {
    let q = &Quantiser::FLAT;
    for qp in [Qp::MIN, Qp::new(23).unwrap(), Qp::new(35).unwrap(), Qp::MAX] {
        for level in [i32::MIN, i32::MIN + 1, -LEVEL_MAX - 1, -LEVEL_MAX, -1, 0, 1, LEVEL_MAX, LEVEL_MAX + 1, i32::MAX] {
            for d in q.dequantise_4x4(&[level; 16], qp) {
                assert!(d.abs() <= COEFF_MAX);
                assert_eq!(d.signum(), level.signum());
            }
            for d in q.dequantise_8x8(&[level; 64], qp) {
                assert!(d.abs() <= COEFF_MAX);
                assert_eq!(d.signum(), level.signum());
            }
        }
        for coeff in [i32::MIN, i32::MIN + 1, -1, 0, 1, i32::MAX] {
            for rounding in [RoundingOffset::NEAREST, RoundingOffset::INTER] {
                for level in q.quantise_4x4(&[coeff; 16], qp, rounding) {
                    assert!(level.abs() <= LEVEL_MAX);
                }
                for level in q.quantise_8x8(&[coeff; 64], qp, rounding) {
                    assert!(level.abs() <= LEVEL_MAX);
                }
            }
        }
    }
    // Max levels at QP 51 are clamped; just below the clamp they are exact.
    let top = q.dequantise_4x4(&[LEVEL_MAX; 16], Qp::MAX);
    assert_eq!(top[0], COEFF_MAX);
    let fits = COEFF_MAX / (14 << 8); // QP 51: m = 3, step 14 * 2^8
    assert_eq!(q.dequantise_4x4(&[fits; 16], Qp::MAX)[0], fits * (14 << 8));
}

#[test]
fn weights_scale_steps_and_zero_weights_are_rejected() {
    let mut w4 = FLAT_WEIGHTS_4X4;
    let mut w8 = FLAT_WEIGHTS_8X8;
    w4[15] = 32;
    w8[63] = 8;
    let q = Quantiser::with_weights(&w4, &w8).unwrap();
    let qp = Qp::new(30).unwrap();
    let flat = &Quantiser::FLAT;
    assert_eq!(q.dequantise_4x4(&[3; 16], qp)[15], 2 * flat.dequantise_4x4(&[3; 16], qp)[15]);
    assert_eq!(q.dequantise_4x4(&[3; 16], qp)[14], flat.dequantise_4x4(&[3; 16], qp)[14]);
    assert_eq!(2 * q.dequantise_8x8(&[4; 64], Qp::MAX)[63], flat.dequantise_8x8(&[4; 64], Qp::MAX)[63]);
    assert!((i64::from(q.multiplier_4x4(qp, 15)) * 2 - i64::from(flat.multiplier_4x4(qp, 15))).abs() <= 1);
    w4[3] = 0;
    assert!(Quantiser::with_weights(&w4, &w8).is_none());
}

#[test]
fn qp_constructors() {
    assert_eq!(Qp::new(51).map(Qp::get), Some(51));
    assert_eq!(Qp::new(52), None);
    assert_eq!("51".parse::<Qp>().map(Qp::get), Ok(51));
    assert_eq!("52".parse::<Qp>(), Err(QpError::OutOfRange(52)));
    assert_eq!("-1".parse::<Qp>(), Err(QpError::OutOfRange(-1)));
    assert_eq!("x".parse::<Qp>(), Err(QpError::NotANumber));
    assert_eq!(Qp::try_from(300i64), Err(QpError::OutOfRange(300)));
    assert_eq!(Qp::saturating(-5), Qp::MIN);
    assert_eq!(Qp::saturating(99), Qp::MAX);
    assert_eq!(Qp::saturating(26).get(), 26);
    assert_eq!(RoundingOffset::from_q15(u16::MAX), RoundingOffset::NEAREST);
}

#[test]
fn zigzag_orders() {
    assert_eq!(ZIGZAG_4X4, [0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15]);
    assert_eq!(
        ZIGZAG_8X8,
        [
            0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,
            7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38,
            31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63
        ]
    );
    let raster: [i32; 64] = core::array::from_fn(|i| i as i32 * 3 - 7);
    assert_eq!(unscan_8x8(&scan_8x8(&raster)), raster);
    let raster: [i32; 16] = core::array::from_fn(|i| i as i32 * 5 - 9);
    assert_eq!(unscan_4x4(&scan_4x4(&raster)), raster);
    assert_eq!(scan_4x4(&raster)[2], raster[4]);
}
#[test]
fn the_32_bit_quantiser_path_equals_the_64_bit_one() {
    let q = Quantiser::FLAT;
    let mut rng = asp_testkit::Rng::new(0x9E37_79B9);
    for qp in 0..=QP_MAX {
        let qp = Qp::new(qp).unwrap();
        for rounding in [RoundingOffset::NEAREST, RoundingOffset::INTRA, RoundingOffset::INTER] {
            for n in 0..60 {
                // Ordinary residual (the 32-bit path) up to the largest
                // coefficients (the 64-bit one), and the edge between.
                let range = [1i64 << 8, 1 << 12, 1 << 15, 1 << 17][n % 4];
                let coeffs: [i32; 64] = core::array::from_fn(|_| rng.range(1 - range, range) as i32);
                let multipliers = &q.multiplier_8x8[qp.phase()];
                let slow: [i32; 64] = core::array::from_fn(|i| quantise(coeffs[i], multipliers[i], 16 + qp.octave(), rounding));
                // Every twin this CPU runs, and the scalar code.
                for cpu in CpuFeatures::host().levels() {
                    assert_eq!(q.quantise_8x8_with(cpu, &coeffs, qp, rounding), slow, "{cpu}");
                }
                assert_eq!(quantise_block(&coeffs, multipliers, 16 + qp.octave(), rounding), slow);
                let small: [i32; 16] = core::array::from_fn(|i| coeffs[i]);
                let multipliers = &q.multiplier_4x4[qp.phase()];
                let slow: [i32; 16] = core::array::from_fn(|i| quantise(small[i], multipliers[i], 15 + qp.octave(), rounding));
                for cpu in CpuFeatures::host().levels() {
                    assert_eq!(q.quantise_4x4_with(cpu, &small, qp, rounding), slow, "{cpu}");
                }
                assert_eq!(quantise_block(&small, multipliers, 15 + qp.octave(), rounding), slow);
            }
        }
    }
}

/// The largest-level class equals the class of the quantised levels, for
/// every twin this CPU runs and the scalar code: empty blocks, blocks of
/// ±1 levels, larger ones, and coefficients large enough for the 64-bit
/// path.
#[test]
fn largest_level_is_the_class_of_the_quantised_levels() {
    let q = Quantiser::FLAT;
    let mut rng = asp_testkit::Rng::new(0x5EED_1E7E);
    let mut seen = [0usize; 3];
    for qp in 0..=QP_MAX {
        let qp = Qp::new(qp).unwrap();
        for rounding in [RoundingOffset::from_q15(0), RoundingOffset::INTER, RoundingOffset::INTRA, RoundingOffset::NEAREST] {
            for n in 0..80 {
                // Mostly zero blocks with a few coefficients around one
                // step (of the DC position), and full blocks up to the
                // 64-bit path's range.
                let step = (1i64 << (16 + qp.octave())) / i64::from(q.multiplier_8x8[qp.phase()][0]);
                let range = [step, 3 * step / 2, 2 * step, 4 * step, 1 << 17][n % 5];
                let coeffs: [i32; 64] =
                    core::array::from_fn(|_| if n % 5 == 4 || rng.coin(4) { rng.range(-range, range) as i32 } else { 0 });
                let levels = q.quantise_8x8(&coeffs, qp, rounding);
                let largest = levels.iter().map(|l| l.unsigned_abs()).max().unwrap_or(0);
                let expected = match largest {
                    0 => LargestLevel::Zero,
                    1 => LargestLevel::One,
                    _ => LargestLevel::Beyond,
                };
                seen[expected as usize] += 1;
                for cpu in CpuFeatures::host().levels() {
                    assert_eq!(q.largest_level_8x8_with(cpu, &coeffs, qp, rounding), expected, "{cpu} qp {qp}");
                }
                let multipliers = &q.multiplier_8x8[qp.phase()];
                assert_eq!(largest_level(&coeffs, multipliers, 16 + qp.octave(), rounding), expected);
            }
        }
    }
    // Each class was exercised, often.
    assert!(seen.iter().all(|&count| count > 500), "{seen:?}");
}
