//! Hostile tile data in correctly framed packets, so that every mutation
//! reaches the entropy decoder, the syntax checks and the reconstruction
//! instead of stopping at the framing.

use asp_core::packet::{DFrame, IFrame, PacketWriter, StreamInfo, TileSet};

/// A keyframe and the delta frame after it, with the fuzzer's tile data.
pub struct TilePackets {
    pub width: u32,
    pub height: u32,
    /// The I-packet (sequence 0); `None` if the writer refused its fields.
    pub key: Option<Vec<u8>>,
    /// The D-packet (sequence 1, on the keyframe).
    pub delta: Option<Vec<u8>>,
}

/// `data` as: byte 0-1 = width/height (1..=96), byte 2 = frame QP (up to 59:
/// over 51 must be refused, not trusted), byte 3 = tile grid (columns, rows:
/// low/high nibble, 1..=4 each), then the tile data, split in two: the
/// keyframe's tiles and the delta frame's tiles (each split evenly over its
/// tiles). `None` for fewer than 4 bytes.
pub fn tile_packets(data: &[u8]) -> Option<TilePackets> {
    let (head, body) = data.split_first_chunk::<4>()?;
    let width = u32::from(head[0] % 96) + 1;
    let height = u32::from(head[1] % 96) + 1;
    let qp = head[2] % 60;
    let columns = head[3] % 4 + 1;
    let rows = (head[3] >> 4) % 4 + 1;
    let (key_data, delta_data) = body.split_at(body.len() / 2);
    let tiles = usize::from(columns) * usize::from(rows);

    let mut writer = PacketWriter::new();
    let key_sizes = split(key_data, tiles);
    let key = IFrame {
        qp,
        tiles: TileSet { columns, rows, sizes: &key_sizes, data: key_data },
        ..IFrame::new(StreamInfo::new(width, height, 25))
    };
    let key = writer.write_i(0, 0, &key).ok().map(<[u8]>::to_vec);
    let delta_sizes = split(delta_data, tiles);
    let delta = DFrame {
        ref_sequence: 0,
        qp,
        tiles: TileSet { columns, rows, sizes: &delta_sizes, data: delta_data },
        ..DFrame::default()
    };
    let delta = writer.write_d(1, 0, &delta).ok().map(<[u8]>::to_vec);
    Some(TilePackets { width, height, key, delta })
}

/// `data.len()` over `tiles` tiles: equal shares, the rest to the last.
fn split(data: &[u8], tiles: usize) -> Vec<u32> {
    let base = data.len() / tiles;
    let mut sizes = vec![base as u32; tiles];
    if let Some(last) = sizes.last_mut() {
        *last += (data.len() - base * tiles) as u32;
    }
    sizes
}
