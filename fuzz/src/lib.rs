//! What the fuzz targets share: [`touch`], what the packet targets do with
//! a packet that parsed (read every field through the public accessors and
//! check what must hold for any packet), and [`tile_packets`], the framed
//! keyframe and delta frame the decoder targets feed hostile tile data in.

mod tile_packets;

pub use tile_packets::{tile_packets, TilePackets};

use asp_core::packet::{crc32, Packet, Payload, HEADER_LEN, MIN_PACKET_LEN, MIN_READ_VERSION, VERSION};
use asp_core::schema::{ColorPalette, RoiRegion};
use flatbuffers::Vector;

/// Reads every accessor of `p` (header, payload, tiles, every vector of the
/// union) and asserts the invariants a parsed packet promises. Returns a
/// value derived from everything read, so none of it is optimised away.
pub fn touch(p: &Packet<'_>) -> u64 {
    let bytes = p.as_bytes();
    let h = p.header();
    // The header re-encodes to the same bytes but for the version, which
    // the reader accepts from MIN_READ_VERSION and the writer writes as
    // VERSION.
    let mut encoded = h.encode();
    assert!((MIN_READ_VERSION..=VERSION).contains(&bytes[4]));
    encoded[4] = bytes[4];
    assert_eq!(encoded[..], bytes[..HEADER_LEN]);
    assert_eq!(p.len(), h.packet_len());
    assert!(p.len() >= MIN_PACKET_LEN && !p.is_empty());
    assert_eq!(p.payload_bytes().len(), h.payload_len as usize);
    assert_eq!(p.crc(), crc32(&bytes[..bytes.len() - 4]));
    assert_eq!(p.packet_type(), h.packet_type);
    let mut acc = u64::from(p.sequence()) ^ u64::from(p.flags()) ^ u64::from(p.packet_type().letter());
    acc ^= p.capture_time_us().unwrap_or(0);

    // Tiles: exactly len() of them, and together they are the tile data.
    let tiles = p.tiles();
    let n = tiles.len();
    let joined: Vec<u8> = tiles.clone().flatten().copied().collect();
    assert_eq!(tiles.count(), n, "Tiles yields fewer items than its len()");
    let (data, sizes) = match p.payload() {
        Payload::I(x) => (x.tile_data(), x.tile_sizes()),
        Payload::D(x) => (x.tile_data(), x.tile_sizes()),
        Payload::C(x) => (x.tile_data(), x.tile_sizes()),
        Payload::S(_) => (None, None),
    };
    assert_eq!(joined, data.map_or(&[][..], |d| d.bytes()));
    // Wire version 2: the size table lists every tile but the last.
    assert_eq!(n.saturating_sub(1), sizes.map_or(0, |s| s.len()));
    acc = acc.wrapping_add(joined.len() as u64);

    match p.payload() {
        Payload::I(x) => {
            let s = x.stream().expect("a parsed keyframe has stream info");
            assert!(s.width() > 0 && s.height() > 0);
            acc ^= u64::from(s.width()) ^ u64::from(s.height()) ^ u64::from(s.fps_num()) ^ u64::from(s.fps_den());
            acc ^= u64::from(s.color_range().0) ^ u64::from(s.color_matrix().0);
            acc ^= u64::from(x.qp()) ^ u64::from(x.tile_columns()) ^ u64::from(x.tile_rows());
            acc ^= palette(x.palette()) ^ regions(x.regions());
        }
        Payload::D(x) => {
            acc ^= u64::from(x.ref_sequence().unwrap_or(0)) ^ u64::from(x.qp()) ^ u64::from(x.tile_columns());
            acc ^= u64::from(x.tile_rows()) ^ u64::from(x.motion_block_size()) ^ u64::from(x.motion_vector_precision());
            for mv in x.motion_vectors().iter().flatten() {
                acc = acc.wrapping_add(u64::from(mv.block_x()) ^ u64::from(mv.block_y()) << 16);
                acc = acc.wrapping_add((mv.dx() as u64) ^ (mv.dy() as u64) << 16 ^ u64::from(mv.sad()) << 32);
            }
            acc ^= palette(x.palette()) ^ regions(x.regions());
        }
        Payload::C(x) => {
            acc ^= u64::from(x.ref_sequence()) ^ u64::from(x.qp()) ^ regions(x.regions());
        }
        Payload::S(x) => {
            acc ^= u64::from(x.command().0) ^ x.command().variant_name().map_or(0, |s| s.len() as u64);
            acc ^= u64::from(x.sequence()) ^ u64::from(x.bitrate_kbps()) ^ u64::from(x.quality()) ^ x.timestamp_us();
            acc = x.sequences().iter().flatten().fold(acc, |a, s| a.wrapping_add(u64::from(s)));
            acc ^= x.reason().map_or(0, |r| r.chars().count() as u64);
        }
    }
    acc
}

fn regions(regions: Option<Vector<'_, RoiRegion>>) -> u64 {
    regions.iter().flatten().fold(0, |a: u64, r| {
        let b = r.bounds();
        let v = u64::from(b.x()) ^ u64::from(b.y()) ^ u64::from(b.width()) ^ u64::from(b.height());
        a.wrapping_add(v ^ u64::from(r.confidence().to_bits()) ^ u64::from(r.roi_type().0) ^ u64::from(r.priority()))
    })
}

fn palette(palette: Option<ColorPalette<'_>>) -> u64 {
    let Some(p) = palette else { return 0 };
    let colors = p.colors().iter().flatten().fold(0, |a: u64, c| {
        a.wrapping_add(u64::from(c.r()) ^ u64::from(c.g()) << 8 ^ u64::from(c.b()) << 16)
    });
    p.weights().iter().flatten().fold(colors, |a, w| a ^ u64::from(w.to_bits()))
}
