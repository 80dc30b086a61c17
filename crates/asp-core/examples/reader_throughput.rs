//! `PacketReader` throughput on a stream file, fed in 64 KiB chunks as a
//! socket delivers it: the median of 9 passes, against one bulk CRC-32 of
//! the same bytes (the floor: every byte must be hashed once).
//!
//! cargo run --release -p asp-core --example reader_throughput -- STREAM.asp

use std::time::Instant;

use asp_core::packet::{PacketReader, ReadEvent};

fn median(mut runs: Vec<f64>) -> f64 {
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: reader_throughput STREAM.asp")?;
    let bytes = std::fs::read(path)?;
    let mib = bytes.len() as f64 / f64::from(1 << 20);
    let reader_ms = median(
        (0..9)
            .map(|_| {
                let started = Instant::now();
                let mut reader = PacketReader::new();
                let (mut packets, mut skipped) = (0u64, 0u64);
                for chunk in bytes.chunks(64 << 10) {
                    reader.push(chunk);
                    while let Some(event) = reader.next_event() {
                        match event {
                            ReadEvent::Packet { .. } => packets += 1,
                            ReadEvent::Skipped { len, .. } => skipped += len,
                        }
                    }
                }
                reader.finish();
                while reader.next_event().is_some() {}
                std::hint::black_box((packets, skipped));
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    let crc_ms = median(
        (0..9)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(crc32fast::hash(&bytes));
                started.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    );
    println!("{mib:.1} MiB: PacketReader {reader_ms:.2} ms ({:.2} GiB/s), bulk CRC-32 {crc_ms:.2} ms ({:.2} GiB/s)", mib / 1024.0 / (reader_ms / 1e3), mib / 1024.0 / (crc_ms / 1e3));
    Ok(())
}
