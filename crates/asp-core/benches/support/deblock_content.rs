//! The 1280x720 deblocking workload shared by `benches/deblock.rs` and
//! `examples/deblock_timing.rs`: blocky content and block info with a
//! typical mix of boundary strengths, reproducible (fixed seed).

use asp_core::codec::deblock::{boundary_strength, BlockInfo};
use asp_core::codec::mv::QpelMv;

pub const W: usize = 1280;
pub const H: usize = 720;

use asp_testkit::Rng;

#[derive(Clone)]
pub struct Frame {
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

/// A smooth picture (gradients) reconstructed with per-block DC errors and
/// a little noise, as a mid-QP reconstruction looks; blocks: 8% intra, 35%
/// coded, the rest inter with motion differing by >= 1 sample in about a
/// third of the neighbour pairs; QP 26..34.
pub fn content() -> (Frame, Vec<BlockInfo>) {
    let mut rng = Rng::new(2024);
    let (bw, bh) = (W / 8, H / 8);
    let dc: Vec<i32> = (0..bw * bh).map(|_| rng.range(-4, 4)).collect();
    let sample = |x: usize, y: usize, rng: &mut Rng, scale: usize| -> u8 {
        let (xf, yf) = (x * scale, y * scale);
        let base = 40 + (xf * 150 / W) as i32 + (yf * 50 / H) as i32;
        let block = dc[(yf / 8) * bw + xf / 8];
        (base + block + rng.range(-2, 2)).clamp(0, 255) as u8
    };
    let y = (0..W * H)
        .map(|i| sample(i % W, i / W, &mut rng, 1))
        .collect();
    let u = (0..W * H / 4)
        .map(|i| sample(i % (W / 2), i / (W / 2), &mut rng, 2))
        .collect();
    let v = (0..W * H / 4)
        .map(|i| 255 - sample(i % (W / 2), i / (W / 2), &mut rng, 2))
        .collect();
    let mut blocks = Vec::with_capacity(bw * bh);
    for _ in 0..bw * bh {
        blocks.push(BlockInfo {
            intra: rng.coin(8),
            coded: rng.coin(35),
            mv: if rng.coin(70) {
                QpelMv::new(4, -2)
            } else {
                QpelMv::new(rng.range(-12, 12) as i16, rng.range(-12, 12) as i16)
            },
            qp: rng.range(26, 34) as u8,
        });
    }
    (Frame { y, u, v }, blocks)
}

/// Fractions of luma edge segments by bS, for the record.
pub fn bs_histogram(blocks: &[BlockInfo]) -> [usize; 5] {
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
