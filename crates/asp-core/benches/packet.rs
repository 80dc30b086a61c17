//! Packet write and parse+verify+CRC throughput, next to crc32fast alone over
//! the same bytes (the physical limit of parsing: every byte must be CRC'd).
//!
//! `cargo bench -p asp-core --bench packet`

use asp_core::packet::{crc32, IFrame, Packet, PacketWriter, StreamInfo, TileSet};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

fn keyframe_with_tile(tile: &[u8]) -> Vec<u8> {
    let sizes = [tile.len() as u32];
    let frame = IFrame {
        qp: 24,
        tiles: TileSet { columns: 1, rows: 1, sizes: &sizes, data: tile },
        ..IFrame::new(StreamInfo::new(1280, 720, 30))
    };
    PacketWriter::new().write_i(1, 0, &frame).unwrap().to_vec()
}

fn packet_throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("packet");
    for (label, size) in [("1KB", 1usize << 10), ("64KB", 64 << 10), ("1MB", 1 << 20)] {
        // Pseudo-random tile bytes, as coded video looks.
        let tile: Vec<u8> = (0..size as u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
        let packet = keyframe_with_tile(&tile);
        group.throughput(Throughput::Bytes(packet.len() as u64));

        group.bench_with_input(BenchmarkId::new("crc32fast", label), &packet, |b, p| {
            b.iter(|| crc32(black_box(&p[..p.len() - 4])))
        });
        group.bench_with_input(BenchmarkId::new("parse_verify", label), &packet, |b, p| {
            b.iter(|| Packet::parse(black_box(p)).unwrap().sequence())
        });
        let mut writer = PacketWriter::new();
        let sizes = [tile.len() as u32];
        group.bench_with_input(BenchmarkId::new("write", label), &tile, |b, t| {
            b.iter(|| {
                let frame = IFrame {
                    qp: 24,
                    tiles: TileSet { columns: 1, rows: 1, sizes: &sizes, data: black_box(t) },
                    ..IFrame::new(StreamInfo::new(1280, 720, 30))
                };
                writer.write_i(1, 0, &frame).unwrap().len()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, packet_throughput);
criterion_main!(benches);
