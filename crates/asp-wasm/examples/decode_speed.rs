//! Native twin of bench/wasm/bench.mjs: the same decode path as the browser
//! decoder (asp-core's `Player` on whole packets, one thread), timed the same
//! way (median of RUNS after a warm-up), so wasm and native figures compare
//! like for like.
//!
//! `cargo run --release -p asp-wasm --example decode_speed -- FILE.asp...`
//!
//! `THREADS=N` (N > 1) decodes the tiles on a rayon pool of N threads, as
//! the threaded wasm build does on its Web Workers.

use std::time::Instant;

use asp_core::codec::parallel::{Parallel, Rayon, Serial};
use asp_core::packet::{Header, HEADER_LEN};
use asp_core::{Event, Limits, Player};

/// Reads one whole packet: true if it made a new or refined picture.
fn decode(player: &mut Player, packet: &[u8], parallel: &impl Parallel) -> bool {
    let mut fresh = player.push_packet(packet).is_ok();
    while let Some(event) = player.next_event(parallel) {
        fresh &= !matches!(event, Event::Error(_));
        fresh |= matches!(event, Event::Picture(_) | Event::Refined(_));
    }
    fresh
}

fn main() {
    let threads: usize = std::env::var("THREADS").ok().and_then(|t| t.parse().ok()).unwrap_or(1).max(1);
    if threads > 1 {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().expect("a rayon pool");
    }
    let runs: usize = std::env::var("RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3).max(1);
    for file in std::env::args().skip(1) {
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut packets = Vec::new();
        let mut at = 0;
        while at + HEADER_LEN <= bytes.len() {
            let header = Header::decode(&bytes[at..], &Limits::DEFAULT).unwrap_or_else(|e| panic!("{file}: {e}"));
            let end = (at + header.packet_len()).min(bytes.len());
            packets.push(&bytes[at..end]);
            at = end;
        }
        let once = || {
            let mut player = Player::default();
            let start = Instant::now();
            let frames = if threads > 1 {
                packets.iter().filter(|p| decode(&mut player, p, &Rayon)).count()
            } else {
                packets.iter().filter(|p| decode(&mut player, p, &Serial)).count()
            };
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(frames, packets.len(), "{file}: {:?}", player.stats());
            ms
        };
        once();
        let mut times: Vec<f64> = (0..runs).map(|_| once()).collect();
        let runs_ms: Vec<String> = times.iter().map(|t| format!("{t:.1}")).collect();
        times.sort_by(f64::total_cmp);
        let ms = times[runs / 2];
        let name = std::path::Path::new(&file).file_name().map_or(file.clone(), |n| n.to_string_lossy().into_owned());
        println!(
            "{{\"build\":\"native Player\",\"threads\":{threads},\"file\":\"{name}\",\"frames\":{},\"median_ms\":{ms:.1},\"fps\":{:.1},\"runs_ms\":[{}]}}",
            packets.len(),
            packets.len() as f64 * 1000.0 / ms,
            runs_ms.join(",")
        );
    }
}
