//! Writes a small, deterministic packet stream: one I-packet, D-packets with
//! motion-vector side data, a C-packet, a Ping and an EndOfStream.
//!
//! `cargo run -p asp-core --example synthetic_stream -- OUT.asp [FRAMES]`
//!
//! The values are a pure function of the frame index so that readers in
//! other languages (tests/interop) can check every field they read.

use std::io::Write;

use asp_core::packet::{flags, Correction, DFrame, IFrame, PacketWriter, StreamInfo, Sync, TileSet, ATTRIBUTION};
use asp_core::schema::{MotionVector, Rect, RoiRegion, RoiType, SyncCommand};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: synthetic_stream OUT.asp [FRAMES]")?;
    let frames: u32 = args.next().map_or(Ok(10), |s| s.parse())?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut writer = PacketWriter::new();
    let (width, height, block) = (320u32, 240u32, 16u32);
    let (cols, rows) = (width / block, height / block);

    let tile: Vec<u8> = (0..64u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut stream = StreamInfo::new(width, height, 25);
    stream.fps_den = 1;
    let key = IFrame {
        capture_time_us: 1_000_000,
        qp: 26,
        tiles: TileSet { columns: 1, rows: 1, sizes: &[tile.len() as u32], data: &tile },
        // As an encoder writes the stream's first keyframe.
        attribution: Some(ATTRIBUTION),
        ..IFrame::new(stream)
    };
    out.write_all(writer.write_i(0, 0, &key)?)?;

    let mut mvs = Vec::with_capacity((cols * rows) as usize);
    for seq in 1..frames {
        mvs.clear();
        for by in 0..rows {
            for bx in 0..cols {
                let dx = ((bx + seq) % 9) as i16 - 4;
                let dy = ((by * 3 + seq) % 7) as i16 - 3;
                let sad = bx * 100 + by + seq;
                mvs.push(MotionVector::new(bx as u16, by as u16, dx, dy, sad));
            }
        }
        let frame = DFrame {
            ref_sequence: seq - 1,
            capture_time_us: 1_000_000 + u64::from(seq) * 40_000,
            qp: 28,
            motion_vectors: &mvs,
            ..DFrame::default()
        };
        out.write_all(writer.write_d(seq, 0, &frame)?)?;
    }

    let face = RoiRegion::new(&Rect::new(96, 64, 48, 48), 0.9, RoiType::Face, 3);
    let correction = Correction {
        ref_sequence: frames - 1,
        capture_time_us: 1_000_000 + u64::from(frames - 1) * 40_000,
        qp: 20,
        regions: &[face],
        sizes: &[3],
        data: &[1, 2, 3],
    };
    out.write_all(writer.write_c(frames, flags::DISCARDABLE, &correction)?)?;
    let ping = Sync { timestamp_us: 123_456_789, ..Sync::command(SyncCommand::Ping) };
    out.write_all(writer.write_s(frames + 1, 0, &ping)?)?;
    let end = Sync { reason: Some("end of input"), ..Sync::command(SyncCommand::EndOfStream) };
    out.write_all(writer.write_s(frames + 2, 0, &end)?)?;
    out.flush()?;
    Ok(())
}
