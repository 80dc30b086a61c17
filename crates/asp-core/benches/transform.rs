//! Transform kernels, each twin this CPU runs (one per level of its
//! features, down to the scalar reference; `ASP_CPU_MASK` narrows them), and
//! 8x8 dequantisation: one block per iteration, so criterion's time per
//! iteration is the time per block.
//!
//! `cargo bench -p asp-core --bench transform`

use asp_core::codec::quant::{Qp, Quantiser, ZIGZAG_8X8};
use asp_core::codec::transform::Kernels;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

#[path = "support/cpu_levels.rs"]
mod cpu_levels;
use cpu_levels::cpu_levels;

use asp_testkit::Rng;

/// A typical dequantised coefficient: low frequencies non-zero.
fn coefficient(rng: &mut Rng, position: usize, size: usize) -> i32 {
    let (y, x) = (position / size, position % size);
    if x + y < size / 2 {
        rng.range(-2000, 2000)
    } else {
        0
    }
}

fn inverse_add(c: &mut Criterion) {
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    let coeffs4: [i32; 16] = core::array::from_fn(|i| coefficient(&mut rng, i, 4));
    let coeffs8: [i32; 64] = core::array::from_fn(|i| coefficient(&mut rng, i, 8));
    // A block inside a 64-pixel-wide picture.
    let mut picture: Vec<u8> = (0..64 * 8).map(|_| rng.byte()).collect();
    const STRIDE: usize = 64;

    let mut group = c.benchmark_group("inverse_add_4x4");
    for cpu in cpu_levels() {
        let kernels = Kernels::new(cpu);
        group.bench_function(cpu.to_string(), |b| {
            b.iter(|| kernels.inverse_add_4x4(black_box(&coeffs4), black_box(&mut picture), STRIDE))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("inverse_add_8x8");
    for cpu in cpu_levels() {
        let kernels = Kernels::new(cpu);
        group.bench_function(cpu.to_string(), |b| {
            b.iter(|| kernels.inverse_add_8x8(black_box(&coeffs8), black_box(&mut picture), STRIDE))
        });
    }
    group.finish();
}

fn satd(c: &mut Criterion) {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let source: Vec<u8> = (0..64 * 8).map(|_| rng.byte()).collect();
    let prediction: Vec<u8> = (0..64 * 8).map(|_| rng.byte()).collect();
    const STRIDE: usize = 64;

    let mut group = c.benchmark_group("satd_8x8");
    for cpu in cpu_levels() {
        let kernels = Kernels::new(cpu);
        group.bench_function(cpu.to_string(), |b| {
            b.iter(|| kernels.satd_8x8(black_box(&source), STRIDE, black_box(&prediction), STRIDE))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("satd_4x4");
    for cpu in cpu_levels() {
        let kernels = Kernels::new(cpu);
        group.bench_function(cpu.to_string(), |b| {
            b.iter(|| kernels.satd_4x4(black_box(&source), STRIDE, black_box(&prediction), STRIDE))
        });
    }
    group.finish();
}

/// Dequantisation of a typical 8x8 block (6 non-zero levels, the first in
/// zigzag order): the whole block, or only its non-zero levels one by one (as
/// a decoder that walks the coded levels can).
fn dequantise(c: &mut Criterion) {
    let quantiser = &Quantiser::FLAT;
    let mut levels = [0i32; 64];
    for (n, &position) in ZIGZAG_8X8.iter().take(6).enumerate() {
        levels[usize::from(position)] = [9, -4, 3, 2, -1, 1][n];
    }
    let mut group = c.benchmark_group("dequantise_8x8");
    for qp in [Qp::new(22).unwrap(), Qp::new(40).unwrap()] {
        group.bench_function(format!("block_qp{}", qp.get()), |b| {
            b.iter(|| quantiser.dequantise_8x8(black_box(&levels), qp))
        });
        group.bench_function(format!("nonzero_levels_qp{}", qp.get()), |b| {
            b.iter(|| {
                let mut coeffs = [0i32; 64];
                for &position in &ZIGZAG_8X8[..6] {
                    let position = usize::from(position);
                    coeffs[position] = quantiser.dequantise_level_8x8(black_box(levels[position]), position, qp);
                }
                coeffs
            })
        });
    }
    group.finish();
}

criterion_group!(benches, inverse_add, satd, dequantise);
criterion_main!(benches);
