//! The speed of each kernel family's best twin on this machine against its
//! scalar reference: best-of-N timings, the two alternating, outputs
//! compared. Prints a Markdown table of the ratios (scalar time / twin
//! time).
//!
//! It exists for the NEON twins, which are measured under qemu-user on a
//! machine without an Arm CPU: emulated time means nothing in absolute
//! terms, so only the ratio is reported. Natively it gives the same table
//! for the x86 twins.
//!
//! ```sh
//! cargo run --release -p asp-encoder --example kernel_ratio [RUNS]
//! tests/arm/run.sh --bench   # the same, built for aarch64, under qemu
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use asp_core::codec::chroma_mc::predict_chroma_with;
use asp_core::codec::deblock::{DeblockParams, Deblocker};
use asp_core::codec::plane_mut::{FramePlanes, PlaneMut};
use asp_core::codec::quant::{Qp, Quantiser, RoundingOffset};
use asp_core::codec::transform::Kernels;
use asp_core::codec::{LumaWindow, PlaneRef};
use asp_core::CpuFeatures;
use asp_encoder::motion::{HalfpelPlanes, Sad};
use asp_testkit::Rng;

// The deblocking workload of asp-core's deblocking bench (one 1280x720
// frame, every edge kind and strength), shared rather than re-made.
#[path = "../../asp-core/benches/support/deblock_content.rs"]
#[allow(dead_code)] // its histogram is for asp-core's deblocking bench
mod deblock_content;

/// Times `work` on the scalar reference and on `twin`, alternating, best of
/// `runs` each; returns (scalar, twin) and checks both give the same output.
fn compare<T: PartialEq + std::fmt::Debug>(runs: usize, twin: CpuFeatures, mut work: impl FnMut(CpuFeatures) -> T) -> (Duration, Duration) {
    let mut best = [Duration::MAX; 2];
    let mut outputs: [Option<T>; 2] = [None, None];
    for _ in 0..runs {
        for (k, cpu) in [CpuFeatures::SCALAR, twin].into_iter().enumerate() {
            let start = Instant::now();
            let output = black_box(work(cpu));
            best[k] = best[k].min(start.elapsed());
            outputs[k].get_or_insert(output);
        }
    }
    assert_eq!(outputs[0], outputs[1], "{twin} gave a different output from the scalar reference");
    (best[0], best[1])
}

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(20);
    // One thread: the half-pel planes are filled by rayon's workers, and a
    // ratio of one core against one core is what the other rows measure.
    rayon::ThreadPoolBuilder::new().num_threads(1).build_global().expect("the first rayon pool");
    let twin = CpuFeatures::host();
    let mut rng = Rng::new(0x5eed_1234_abcd_0001);
    const W: usize = 320;
    const H: usize = 192;
    let picture: Vec<u8> = (0..W * H).map(|_| rng.byte()).collect();
    let other: Vec<u8> = (0..W * H).map(|_| rng.byte()).collect();
    let plane = PlaneRef::packed(&picture, W, H).expect("a plane");
    // Blocks on a grid inside the picture (away from the edges, where
    // motion compensation takes the clamped path).
    let blocks: Vec<(usize, usize)> = (1..H / 16 - 1).flat_map(|by| (1..W / 16 - 1).map(move |bx| (16 * bx, 16 * by))).collect();
    let coeffs8: Vec<[i32; 64]> = (0..blocks.len())
        .map(|_| core::array::from_fn(|i| if i % 8 + i / 8 < 4 { rng.range(-2000, 2000) } else { 0 }))
        .collect();
    let coeffs4: Vec<[i32; 16]> = (0..blocks.len())
        .map(|_| core::array::from_fn(|i| if i % 4 + i / 4 < 2 { rng.range(-2000, 2000) } else { 0 }))
        .collect();
    let forward: Vec<[i32; 64]> = (0..blocks.len()).map(|_| core::array::from_fn(|_| rng.range(-3000, 3000))).collect();

    let mut rows: Vec<(&str, (Duration, Duration))> = Vec::new();
    let per_block = |d: Duration, n: usize| d / n as u32;
    let mut timed = |name: &'static str, n: usize, (scalar, simd): (Duration, Duration)| {
        rows.push((name, (per_block(scalar, n), per_block(simd, n))));
    };

    let n = blocks.len();
    let mut work = picture.clone();
    timed("inverse transform + add, 4x4", n * 4, compare(runs, twin, |cpu| {
        work.copy_from_slice(&picture);
        let kernels = Kernels::new(cpu);
        for (k, &(x, y)) in blocks.iter().enumerate() {
            for (dx, dy) in [(0, 0), (4, 0), (0, 4), (4, 4)] {
                kernels.inverse_add_4x4(&coeffs4[k], &mut work[(y + dy) * W + x + dx..], W).expect("fits");
            }
        }
        work.clone()
    }));
    timed("inverse transform + add, 8x8", n, compare(runs, twin, |cpu| {
        work.copy_from_slice(&picture);
        let kernels = Kernels::new(cpu);
        for (k, &(x, y)) in blocks.iter().enumerate() {
            kernels.inverse_add_8x8(&coeffs8[k], &mut work[y * W + x..], W).expect("fits");
        }
        work.clone()
    }));
    timed("DC-only add, 8x8", n, compare(runs, twin, |cpu| {
        work.copy_from_slice(&picture);
        let kernels = Kernels::new(cpu);
        for (k, &(x, y)) in blocks.iter().enumerate() {
            kernels.inverse_add_dc_8x8(coeffs8[k][0], &mut work[y * W + x..], W).expect("fits");
        }
        work.clone()
    }));
    let residuals: Vec<[i16; 64]> = (0..blocks.len()).map(|_| core::array::from_fn(|_| rng.range(-255, 255))).collect();
    timed("forward transform, 8x8", n, compare(runs, twin, |cpu| {
        let kernels = Kernels::new(cpu);
        residuals.iter().map(|r| kernels.forward_8x8(r)).collect::<Vec<_>>()
    }));
    timed("SATD, 8x8", n, compare(runs, twin, |cpu| {
        let kernels = Kernels::new(cpu);
        blocks.iter().map(|&(x, y)| kernels.satd_8x8(&picture[y * W + x..], W, &other[y * W + x + 1..], W).expect("fits")).sum::<u32>()
    }));
    let qp = Qp::new(28).expect("a QP");
    timed("quantise, 8x8", n, compare(runs, twin, |cpu| {
        forward.iter().map(|c| Quantiser::FLAT.quantise_8x8_with(cpu, c, qp, RoundingOffset::INTER)).collect::<Vec<_>>()
    }));
    let mut out = vec![0u8; 16 * 16];
    timed("luma interpolation, 16x16 (centre and quarter phases)", n * 2, compare(runs, twin, |cpu| {
        let mut window = LumaWindow::with_cpu(cpu);
        let mut sum = 0u64;
        for &(x, y) in &blocks {
            for (fx, fy) in [(2, 2), (1, 3)] {
                window.predict_block(&plane, 4 * x as i32 + fx, 4 * y as i32 + fy, 16, 16, &mut out, 16).expect("fits");
                sum = out.iter().fold(sum, |s, &v| s.wrapping_mul(31).wrapping_add(u64::from(v)));
            }
        }
        sum
    }));
    timed("chroma motion compensation, 8x8", n, compare(runs, twin, |cpu| {
        let mut sum = 0u64;
        for &(x, y) in &blocks {
            predict_chroma_with(cpu, &plane, x, y, 13, -11, 8, 8, &mut out, 8);
            sum = out[..64].iter().fold(sum, |s, &v| s.wrapping_mul(31).wrapping_add(u64::from(v)));
        }
        sum
    }));
    {
        use deblock_content::{content, H as DH, W as DW};
        let (frame, edges) = content();
        let mut work = frame.clone();
        timed("deblocking, 1280x720 frame", 1, compare(runs.div_ceil(4), twin, |cpu| {
            let deblocker = Deblocker::new(&edges, DW, DH, DeblockParams::default()).expect("valid frame").with_cpu(cpu);
            work.y.copy_from_slice(&frame.y);
            work.u.copy_from_slice(&frame.u);
            work.v.copy_from_slice(&frame.v);
            let mut planes = FramePlanes {
                y: PlaneMut::packed(&mut work.y, DW, DH).expect("luma"),
                u: PlaneMut::packed(&mut work.u, DW / 2, DH / 2).expect("cb"),
                v: PlaneMut::packed(&mut work.v, DW / 2, DH / 2).expect("cr"),
            };
            deblocker.deblock(&mut planes).expect("deblock");
            (work.y.clone(), work.u.clone(), work.v.clone())
        }));
    }
    timed("SAD, 16x16", n * 9, compare(runs, twin, |cpu| {
        let sad = Sad::new(cpu);
        let mut sum = 0u32;
        for &(x, y) in &blocks {
            for (dx, dy) in [(-1i32, -1i32), (0, -1), (1, -1), (-1, 0), (0, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                let r = (y as i32 + dy) as usize * W + (x as i32 + dx) as usize;
                sum = sum.wrapping_add(sad.sad(&picture[y * W + x..], W, &other[r..], W, 16, 16).expect("fits"));
            }
        }
        sum
    }));
    let mut planes = HalfpelPlanes::new(plane, 24);
    timed("half-pel planes, 320x192 frame", 1, compare(runs.div_ceil(4), twin, |cpu| {
        planes.fill_with(plane, cpu);
        let mut prediction = vec![0u8; 16 * 16];
        // The planes themselves are private: a prediction at each phase
        // and the SAD of one show they are the same.
        [(1, 0), (0, 2), (2, 2), (3, 1)].map(|(fx, fy)| {
            planes.predict(64 + fx, 64 + fy, 16, 16, &mut prediction, 16);
            prediction.clone()
        })
    }));

    println!("Kernel twins against the scalar reference: {twin} vs scalar, best of {runs} runs (deblocking and half-pel planes: {}).", runs.div_ceil(4));
    println!();
    println!("| kernel | scalar per call | {twin} per call | ratio (scalar / {twin}) |");
    println!("|---|---|---|---|");
    let time = |d: Duration| match d.as_secs_f64() * 1e9 {
        ns if ns < 1e4 => format!("{ns:.0} ns"),
        ns if ns < 1e7 => format!("{:.1} µs", ns / 1e3),
        ns => format!("{:.2} ms", ns / 1e6),
    };
    for (name, (scalar, simd)) in rows {
        println!("| {name} | {} | {} | {:.2}x |", time(scalar), time(simd), scalar.as_secs_f64() / simd.as_secs_f64());
    }
}
