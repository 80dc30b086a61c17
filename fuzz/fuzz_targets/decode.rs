//! The codec decoder on hostile tile data: never panic, never hang, never
//! allocate by a number from the wire.
//!
//! Input: byte 0-1 = width/height (1..=96), byte 2 = frame QP, byte 3 =
//! tile grid (columns, rows: low/high nibble, 1..=4 each), then the data,
//! split in two: a keyframe's tiles and a delta frame's tiles (each split
//! evenly over its tiles). Both packets are framed correctly, so every
//! mutation reaches the entropy decoder, the syntax checks and the
//! reconstruction.
#![no_main]

use asp_core::codec::decoder::Decoder;
use asp_core::packet::{DFrame, IFrame, Packet, PacketWriter, StreamInfo, TileSet};
use libfuzzer_sys::fuzz_target;

fn split(data: &[u8], tiles: usize) -> Vec<u32> {
    let base = data.len() / tiles;
    let mut sizes = vec![base as u32; tiles];
    if let Some(last) = sizes.last_mut() {
        *last += (data.len() - base * tiles) as u32;
    }
    sizes
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<4>() else { return };
    let width = u32::from(head[0] % 96) + 1;
    let height = u32::from(head[1] % 96) + 1;
    let qp = head[2] % 60; // over 51 too: must be refused, not trusted
    let columns = head[3] % 4 + 1;
    let rows = (head[3] >> 4) % 4 + 1;
    let (key_data, delta_data) = body.split_at(body.len() / 2);
    let tiles = usize::from(columns) * usize::from(rows);

    let mut writer = PacketWriter::new();
    let mut decoder = Decoder::new();
    let key_sizes = split(key_data, tiles);
    let key = IFrame {
        qp,
        tiles: TileSet { columns, rows, sizes: &key_sizes, data: key_data },
        ..IFrame::new(StreamInfo::new(width, height, 25))
    };
    if let Ok(bytes) = writer.write_i(0, 0, &key) {
        let bytes = bytes.to_vec();
        if let Ok(packet) = Packet::parse(&bytes) {
            let _ = decoder.decode(&packet);
        }
    }
    let delta_sizes = split(delta_data, tiles);
    let delta = DFrame {
        ref_sequence: 0,
        qp,
        tiles: TileSet { columns, rows, sizes: &delta_sizes, data: delta_data },
        ..DFrame::default()
    };
    if let Ok(bytes) = writer.write_d(1, 0, &delta) {
        let bytes = bytes.to_vec();
        if let Ok(packet) = Packet::parse(&bytes) {
            if let Ok(Some(frame)) = decoder.decode(&packet) {
                assert_eq!((frame.frame.width(), frame.frame.height()), (width as usize, height as usize));
            }
        }
    }
});
