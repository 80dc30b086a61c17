//! Writes seeds for the `decode` fuzz target (fuzz/fuzz_targets/decode.rs):
//! real keyframe + delta frame tile data from the encoder, in the target's
//! input format, so fuzzing starts from valid syntax.
//!
//! `cargo run -p asp-encoder --example fuzz_seeds -- fuzz/seeds/decode`

use asp_core::packet::Packet;
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig, Qp, RateMode};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: fuzz_seeds DIR")?;
    std::fs::create_dir_all(&dir)?;
    for (width, height, qp) in [(48u32, 32u32, 30u8), (17, 9, 12), (64, 64, 45)] {
        let mut source = TestSource::new(width, height)?;
        let mut config = EncoderConfig::new(width, height, 25, 1);
        config.rate = RateMode::ConstantQp(Qp::new(qp).ok_or("QP over 51")?);
        config.tiles = Some((1, 1));
        let mut encoder = Encoder::new(config)?;
        let mut tiles = Vec::new();
        for n in 0..2 {
            let packet = encoder.encode(&source.frame(n * 4)?, 0)?.packet.to_vec();
            let data: Vec<u8> = Packet::parse(&packet)?.tiles().flatten().copied().collect();
            tiles.push(data);
        }
        let half = tiles.iter().map(Vec::len).max().unwrap_or(0);
        let mut seed = vec![(width - 1) as u8, (height - 1) as u8, qp, 0x00];
        for t in &tiles {
            seed.extend_from_slice(t);
            seed.resize(seed.len() + half - t.len(), 0);
        }
        std::fs::write(format!("{dir}/encoder_{width}x{height}_qp{qp}.bin"), seed)?;
    }
    Ok(())
}
