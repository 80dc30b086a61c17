//! In-loop deblocking of a 1280x720 4:2:0 frame (luma + both chroma planes,
//! both passes) by the kernels of each level of this CPU's features (the
//! SIMD ones, SSE2 on x86_64, then the scalar reference; `ASP_CPU_MASK`
//! narrows them), on blocky content with a typical mix of boundary strengths.
//!
//! `cargo bench -p asp-core --bench deblock`

use asp_core::codec::deblock::{DeblockParams, Deblocker};
use asp_core::codec::plane_mut::{FramePlanes, PlaneMut};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

#[path = "support/cpu_levels.rs"]
mod cpu_levels;
use cpu_levels::cpu_levels;

#[path = "support/deblock_content.rs"]
mod content;

use content::{bs_histogram, content, H, W};

fn deblock(c: &mut Criterion) {
    let (frame, blocks) = content();
    let hist = bs_histogram(&blocks);
    let total: usize = hist.iter().sum();
    eprintln!(
        "luma edge segments by bS 0..4: {:?} ({})",
        hist,
        hist.iter()
            .map(|&n| format!("{:.0}%", 100.0 * n as f64 / total as f64))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut group = c.benchmark_group("deblock_1280x720");
    group.throughput(Throughput::Elements((W * H) as u64));
    for cpu in cpu_levels() {
        let d = Deblocker::new(&blocks, W, H, DeblockParams::default())
            .unwrap()
            .with_cpu(cpu);
        group.bench_function(cpu.to_string(), |b| {
            b.iter_batched_ref(
                || frame.clone(),
                |f| {
                    let mut planes = FramePlanes {
                        y: PlaneMut::packed(&mut f.y, W, H).unwrap(),
                        u: PlaneMut::packed(&mut f.u, W / 2, H / 2).unwrap(),
                        v: PlaneMut::packed(&mut f.v, W / 2, H / 2).unwrap(),
                    };
                    d.deblock(black_box(&mut planes)).unwrap();
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(40);
    targets = deblock
}
criterion_main!(benches);
