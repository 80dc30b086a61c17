//! Best-of-N timing of the in-loop deblocking filter on the 1280x720
//! workload of `benches/deblock.rs`, scalar and SIMD kernels alternating.
//!
//! On a shared machine the mean (and criterion's median) follows the load;
//! the fastest of many runs is the figure least disturbed by other work.
//!
//! `cargo run --release -p asp-core --example deblock_timing [RUNS]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use asp_core::codec::deblock::{DeblockParams, Deblocker};
use asp_core::CpuFeatures;
use asp_core::codec::plane_mut::{FramePlanes, PlaneMut};

#[path = "../benches/support/deblock_content.rs"]
mod content;

use content::{bs_histogram, content, H, W};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let (frame, blocks) = content();
    println!("luma edge segments by bS 0..4: {:?}", bs_histogram(&blocks));
    // The scalar kernels, then those of this CPU.
    let backends = [CpuFeatures::SCALAR, CpuFeatures::host()];
    let mut best = [Duration::MAX; 2];
    let mut outputs = [None, None];
    let mut work = frame.clone();
    for _ in 0..runs {
        for (k, &backend) in backends.iter().enumerate() {
            let d = Deblocker::new(&blocks, W, H, DeblockParams::default())
                .expect("valid frame")
                .with_cpu(backend);
            work.y.copy_from_slice(&frame.y);
            work.u.copy_from_slice(&frame.u);
            work.v.copy_from_slice(&frame.v);
            let start = Instant::now();
            let mut planes = FramePlanes {
                y: PlaneMut::packed(&mut work.y, W, H).expect("luma"),
                u: PlaneMut::packed(&mut work.u, W / 2, H / 2).expect("cb"),
                v: PlaneMut::packed(&mut work.v, W / 2, H / 2).expect("cr"),
            };
            d.deblock(black_box(&mut planes)).expect("deblock");
            best[k] = best[k].min(start.elapsed());
            if outputs[k].is_none() {
                outputs[k] = Some(work.clone());
            }
        }
    }
    let same = outputs[0].as_ref().map(|f| (&f.y, &f.u, &f.v))
        == outputs[1].as_ref().map(|f| (&f.y, &f.u, &f.v));
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "best of {runs}: scalar {:.3} ms, {} {:.3} ms, ratio {:.2}x, identical output: {same}",
        ms(best[0]),
        backends[1],
        ms(best[1]),
        best[0].as_secs_f64() / best[1].as_secs_f64()
    );
}
