//! In-loop deblocking of a 1280x720 4:2:0 frame (luma + both chroma planes,
//! both passes), scalar reference kernels next to the SIMD ones (SSE2 on
//! x86_64), on blocky content with a typical mix of boundary strengths.
//!
//! `cargo bench -p asp-core --bench deblock`

use asp_core::codec::deblock::{boundary_strength, Backend, BlockInfo, DeblockParams, Deblocker};
use asp_core::codec::plane_mut::{FramePlanes, PlaneMut};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};

const W: usize = 1280;
const H: usize = 720;

/// SplitMix64, for reproducible content.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo + 1) as u64) as i32
    }
    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

#[derive(Clone)]
struct Frame {
    y: Vec<u8>,
    u: Vec<u8>,
    v: Vec<u8>,
}

/// A smooth picture (gradients) reconstructed with per-block DC errors and
/// a little noise, as a mid-QP reconstruction looks; blocks: 8% intra, 35%
/// coded, the rest inter with motion differing by >= 1 sample in about a
/// third of the neighbour pairs; QP 26..34.
fn content() -> (Frame, Vec<BlockInfo>) {
    let mut rng = Rng(2024);
    let (bw, bh) = (W / 8, H / 8);
    let dc: Vec<i32> = (0..bw * bh).map(|_| rng.range(-4, 4)).collect();
    let sample = |x: usize, y: usize, rng: &mut Rng, scale: usize| -> u8 {
        let (xf, yf) = (x * scale, y * scale);
        let base = 40 + (xf * 150 / W) as i32 + (yf * 50 / H) as i32;
        let block = dc[(yf / 8) * bw + xf / 8];
        (base + block + rng.range(-2, 2)).clamp(0, 255) as u8
    };
    let y = (0..W * H).map(|i| sample(i % W, i / W, &mut rng, 1)).collect();
    let u = (0..W * H / 4).map(|i| sample(i % (W / 2), i / (W / 2), &mut rng, 2)).collect();
    let v = (0..W * H / 4).map(|i| 255 - sample(i % (W / 2), i / (W / 2), &mut rng, 2)).collect();
    let mut blocks = Vec::with_capacity(bw * bh);
    for _ in 0..bw * bh {
        blocks.push(BlockInfo {
            intra: rng.percent(8),
            coded: rng.percent(35),
            mv: if rng.percent(70) { [4, -2] } else { [rng.range(-12, 12) as i16, rng.range(-12, 12) as i16] },
            qp: rng.range(26, 34) as u8,
        });
    }
    (Frame { y, u, v }, blocks)
}

/// Fractions of luma edge segments by bS, for the record.
fn bs_histogram(blocks: &[BlockInfo]) -> [usize; 5] {
    let (bw, bh) = (W / 8, H / 8);
    let mut h = [0usize; 5];
    for by in 0..bh {
        for bx in 0..bw {
            let q = &blocks[by * bw + bx];
            if bx > 0 {
                h[boundary_strength(&blocks[by * bw + bx - 1], q, bx % 2 == 0) as usize] += 1;
            }
            if by > 0 {
                h[boundary_strength(&blocks[(by - 1) * bw + bx], q, by % 2 == 0) as usize] += 1;
            }
        }
    }
    h
}

fn deblock(c: &mut Criterion) {
    let (frame, blocks) = content();
    let hist = bs_histogram(&blocks);
    let total: usize = hist.iter().sum();
    eprintln!(
        "luma edge segments by bS 0..4: {:?} ({})",
        hist,
        hist.iter().map(|&n| format!("{:.0}%", 100.0 * n as f64 / total as f64)).collect::<Vec<_>>().join(" ")
    );
    let mut group = c.benchmark_group("deblock_1280x720");
    group.throughput(Throughput::Elements((W * H) as u64));
    let simd_name = if cfg!(target_arch = "x86_64") { "sse2" } else { "simd" };
    for (name, backend) in [("scalar", Backend::Scalar), (simd_name, Backend::Simd)] {
        let d = Deblocker::new(&blocks, W, H, DeblockParams::default()).unwrap().with_backend(backend);
        group.bench_function(name, |b| {
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
