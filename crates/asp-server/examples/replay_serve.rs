//! The fan-out benchmark's server: the real `asp-server` (hub, WebSocket
//! sessions, limits) publishing a pre-encoded 720p stream at its frame rate,
//! so the measurement is the serving, not the encoder (which needs both of
//! this machine's cores for 720p30 by itself; `asp-encode --serve` figures
//! are in BENCHMARKS.md beside these).
//!
//! At start it encodes one keyframe run (`--keyint` frames of 1280x720
//! testsrc at `--bitrate`), then loops it forever. Each packet is re-issued
//! with a continuing sequence number and a fresh capture time (both patched
//! in place, CRC recomputed), so viewers see an ordinary live stream and
//! their lag measures the server alone. The bytes of the tiles are those of
//! the real encoder.
//!
//! ```sh
//! cargo run --release -p asp-server --example replay_serve -- --bind 127.0.0.1:8080
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use asp_core::codec::frame::Frame;
use asp_core::{Limits, Packet};
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig, Preset, RateMode};
use asp_server::live::unix_time_us;
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy, ViewerLimits};
use bytes::Bytes;
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    #[arg(long, default_value_t = 2_000_000)]
    bitrate: u64,
    #[arg(long, default_value_t = 60)]
    keyint: u32,
    #[arg(long, default_value_t = 30)]
    fps: u32,
}

/// One encoded frame, with where its capture time sits in the bytes.
struct Recorded {
    bytes: Vec<u8>,
    keyframe: bool,
    time_offset: usize,
}

fn record(args: &Args) -> Result<Vec<Recorded>> {
    let (w, h) = (1280, 720);
    let mut config = EncoderConfig::new(w, h, args.fps, 1);
    config.keyint = args.keyint;
    config.preset = Preset::Realtime;
    config.rate = RateMode::Bitrate { bits_per_second: args.bitrate, buffer_seconds: 1.0 };
    let mut encoder = Encoder::new(config)?;
    let mut source = TestSource::new(w, h)?;
    let mut frame = Frame::new(w, h, &Limits::DEFAULT)?;
    let mut out = Vec::new();
    // Encode two runs and keep the second: rate control has settled by then.
    for n in 0..u64::from(args.keyint) * 2 {
        source.frame_into(n, &mut frame)?;
        // A capture time whose 8 bytes occur nowhere else in the packet.
        let marker = 0x5AA5_0000_0000_0000u64 | n;
        let encoded = encoder.encode(&frame, marker)?;
        if n < u64::from(args.keyint) {
            continue;
        }
        let bytes = encoded.packet.to_vec();
        let needle = marker.to_le_bytes();
        let time_offset = bytes.windows(8).position(|w| w == needle).context("capture time not found")?;
        out.push(Recorded { bytes, keyframe: encoded.keyframe, time_offset });
    }
    anyhow::ensure!(out[0].keyframe, "the recorded run does not start with a keyframe");
    Ok(out)
}

/// The packet with a new sequence number and capture time, CRC recomputed.
fn reissue(r: &Recorded, sequence: u32, capture_us: u64) -> Bytes {
    let mut b = r.bytes.clone();
    b[8..12].copy_from_slice(&sequence.to_be_bytes());
    b[r.time_offset..r.time_offset + 8].copy_from_slice(&capture_us.to_le_bytes());
    let crc_at = b.len() - 4;
    let crc = asp_core::packet::crc32(&b[..crc_at]);
    b[crc_at..].copy_from_slice(&crc.to_be_bytes());
    debug_assert!(Packet::parse(&b).is_ok());
    Bytes::from(b)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let _ = tracing_subscriber::fmt().with_env_filter("asp_server=warn").with_ansi(false).try_init();
    eprintln!("replay_serve: encoding one {}-frame run of 720p testsrc at {} b/s ...", args.keyint, args.bitrate);
    let run = record(&args)?;
    let total: usize = run.iter().map(|r| r.bytes.len()).sum();
    eprintln!(
        "replay_serve: {} frames, {:.0} kb/s; serving on {}",
        run.len(),
        total as f64 * 8.0 / (run.len() as f64 / f64::from(args.fps)) / 1000.0,
        args.bind
    );
    let hub = Arc::new(Hub::new(ViewerLimits::default(), StreamPolicy::for_bitrate(args.bitrate)));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_name("asp-serve").build()?;
    let mut config = ServerConfig::new(args.bind);
    config.webtransport = false;
    let facts = StreamFacts { width: 1280, height: 720, fps_num: args.fps, fps_den: 1 };
    let server = runtime.block_on(Server::bind(config, Arc::clone(&hub), facts))?;
    runtime.spawn(server.run());

    let interval = Duration::from_secs_f64(1.0 / f64::from(args.fps));
    let mut deadline = Instant::now();
    let mut sequence = 0u32;
    loop {
        for r in &run {
            deadline += interval;
            if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            hub.publish(reissue(r, sequence, unix_time_us()), sequence, r.keyframe);
            sequence = sequence.wrapping_add(1);
        }
    }
}
