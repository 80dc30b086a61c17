//! Packet builders shared by the asp-core integration tests.
#![allow(dead_code)]

use asp_core::packet::{crc32, DFrame, IFrame, PacketWriter, StreamInfo, Sync, TileSet};
use asp_core::schema::{MotionVector, SyncCommand};

pub fn keyframe(sequence: u32) -> Vec<u8> {
    let tile = [7u8; 40];
    let frame = IFrame {
        qp: 22,
        tiles: TileSet { columns: 1, rows: 1, sizes: &[40], data: &tile },
        ..IFrame::new(StreamInfo::new(640, 360, 30))
    };
    PacketWriter::new().write_i(sequence, 0, &frame).unwrap().to_vec()
}

pub fn delta(sequence: u32) -> Vec<u8> {
    let mvs = [MotionVector::new(0, 0, 1, -1, 10), MotionVector::new(1, 0, -2, 3, 20)];
    let frame = DFrame { ref_sequence: sequence.wrapping_sub(1), motion_vectors: &mvs, ..DFrame::default() };
    PacketWriter::new().write_d(sequence, 0, &frame).unwrap().to_vec()
}

pub fn sync(sequence: u32, command: SyncCommand) -> Vec<u8> {
    PacketWriter::new().write_s(sequence, 0, &Sync::command(command)).unwrap().to_vec()
}

/// Recomputes the CRC trailer after a test has edited the packet.
pub fn reseal(packet: &mut [u8]) {
    let n = packet.len() - 4;
    let crc = crc32(&packet[..n]);
    packet[n..].copy_from_slice(&crc.to_be_bytes());
}

/// A packet with the given header type around an arbitrary payload.
pub fn frame_payload(packet_type: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(b"ASP1");
    p.push(asp_core::packet::VERSION);
    p.push(packet_type);
    p.extend_from_slice(&0u16.to_be_bytes());
    p.extend_from_slice(&9u32.to_be_bytes());
    p.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    p.extend_from_slice(payload);
    p.extend_from_slice(&[0; 4]);
    reseal(&mut p);
    p
}
