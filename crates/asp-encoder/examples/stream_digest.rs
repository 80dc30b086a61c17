//! A digest (FNV-1a, 64-bit) of the streams the encoder writes for a few
//! settings, and of the pictures a decoder makes of them: one line per
//! setting. Its output is a function of the codec alone, so it must be the
//! same on every target and with every kernel twin; `tests/arm/run.sh`
//! runs it natively and for aarch64 under qemu, with the NEON twins and
//! with `ASP_CPU_MASK=scalar`, and compares the three.
//!
//! `[ASP_CPU_MASK=...] cargo run -p asp-encoder --example stream_digest`

use asp_core::codec::parallel::Serial;
use asp_core::packet::Packet;
use asp_core::Decoder;
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig, Preset, Qp, RateMode};

/// FNV-1a over `bytes`, continuing from `hash`.
fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn main() {
    // As the command-line tools do: the mask narrows every kernel family.
    if let Ok(text) = std::env::var("ASP_CPU_MASK") {
        asp_core::cpu::set_mask(text.parse().expect("ASP_CPU_MASK: a CPU feature mask"));
    }
    eprintln!("kernels: {}", asp_core::CpuFeatures::detect());
    let qp = |q| RateMode::ConstantQp(Qp::new(q).expect("a QP"));
    // Sizes that are not multiples of 16, every preset, constant QP and a
    // rate-controlled run, one and several tiles.
    let settings = [
        (320, 192, Preset::Realtime, qp(28), None),
        (176, 144, Preset::Ultrafast, qp(38), None),
        (200, 120, Preset::Medium, qp(22), Some((2, 2))),
        (320, 192, Preset::Realtime, RateMode::Bitrate { bits_per_second: 300_000, buffer_seconds: 0.5 }, None),
    ];
    for (width, height, preset, rate, tiles) in settings {
        let mut config = EncoderConfig::new(width, height, 30, 1);
        config.rate = rate;
        config.preset = preset;
        config.tiles = tiles;
        config.keyint = 12;
        let mut encoder = Encoder::new(config).expect("valid settings");
        let mut decoder = Decoder::new();
        let mut source = TestSource::new(width, height).expect("a test source");
        let (mut stream, mut pictures, mut bytes) = (0xcbf2_9ce4_8422_2325u64, 0xcbf2_9ce4_8422_2325u64, 0);
        for n in 0..20u64 {
            let frame = source.frame(n).expect("a test picture");
            let packet = encoder.encode(&frame, n * 33_333).expect("encoded").packet.to_vec();
            bytes += packet.len();
            stream = fnv1a(stream, &packet);
            let parsed = Packet::parse(&packet).expect("a valid packet");
            if let Some(decoded) = decoder.decode_with(&parsed, &Serial).expect("decoded") {
                let frame = &decoded.frame;
                pictures = fnv1a(fnv1a(fnv1a(pictures, &frame.y), &frame.u), &frame.v);
            }
        }
        println!("{width}x{height} {preset} {rate:?} tiles {tiles:?}: {bytes} bytes, stream {stream:016x}, pictures {pictures:016x}");
    }
}
