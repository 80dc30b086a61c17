//! The framing overhead: what a packet costs besides its coded tiles
//! (header, FlatBuffers tables and CRC together). Paid on every frame, it
//! is what low-rate streams feel most (issue 16's targets: a one-tile D
//! packet at most 80 bytes, an I packet with its stream facts at most 120).

use asp_core::packet::{CaptureClock, DFrame, IFrame, Packet, PacketWriter, StreamInfo, TileSet};

const CAPTURE_US: u64 = 1_765_000_000_000_000;
const FRAME_US: u64 = 33_333;

fn one_tile(data: &[u8]) -> TileSet<'_> {
    TileSet { columns: 1, rows: 1, sizes: core::slice::from_ref(Box::leak(Box::new(data.len() as u32))), data }
}

fn keyframe<'a>(data: &'a [u8]) -> IFrame<'a> {
    IFrame { capture_time_us: CAPTURE_US, qp: 30, tiles: one_tile(data), ..IFrame::new(StreamInfo::new(176, 144, 30)) }
}

#[test]
fn a_one_tile_d_packet_costs_at_most_80_bytes_besides_its_tile() {
    let mut writer = PacketWriter::new();
    for tile_len in 1..=64usize {
        let tile = vec![0x5au8; tile_len];
        writer.write_i(0, 0, &keyframe(&tile)).unwrap();
        for n in 1..4u32 {
            let frame = DFrame {
                ref_sequence: n - 1,
                capture_time_us: CAPTURE_US + u64::from(n) * FRAME_US,
                qp: 38,
                tiles: one_tile(&tile),
                // As the encoder writes it: the vectors' unit, but no vectors.
                motion_vector_precision: 4,
                ..DFrame::default()
            };
            let overhead = writer.write_d(n, 0, &frame).unwrap().len() - tile_len;
            assert!(overhead <= 80, "tile of {tile_len} bytes: {overhead} bytes of framing");
        }
    }
}

#[test]
fn an_i_packet_with_its_stream_facts_costs_at_most_120_bytes_besides_its_tile() {
    let mut writer = PacketWriter::new();
    for tile_len in 1..=64usize {
        let tile = vec![0xa5u8; tile_len];
        let overhead = writer.write_i(0, 0, &keyframe(&tile)).unwrap().len() - tile_len;
        assert!(overhead <= 120, "tile of {tile_len} bytes: {overhead} bytes of framing");
    }
}

#[test]
fn capture_times_survive_as_deltas_and_rebase_when_they_would_not_fit() {
    let mut writer = PacketWriter::new();
    let mut clock = CaptureClock::new();
    let tile = [1u8, 2, 3];
    let mut times = vec![CAPTURE_US];
    let packet = writer.write_i(0, 0, &keyframe(&tile)).unwrap().to_vec();
    assert_eq!(clock.observe(&Packet::parse(&packet).unwrap()), Some(CAPTURE_US));
    // A frame more than 2^32 µs (71.6 min) after the keyframe is carried whole.
    let gaps = [FRAME_US, FRAME_US, u64::from(u32::MAX) + 1, FRAME_US, 0];
    for (n, gap) in gaps.into_iter().enumerate() {
        let t = *times.last().unwrap() + gap;
        times.push(t);
        let frame = DFrame { ref_sequence: n as u32, capture_time_us: t, qp: 30, tiles: one_tile(&tile), ..DFrame::default() };
        let bytes = writer.write_d(n as u32 + 1, 0, &frame).unwrap().to_vec();
        let packet = Packet::parse(&bytes).unwrap();
        let whole = gap > u64::from(u32::MAX);
        assert_eq!(packet.capture_time_us().is_some(), whole, "frame {n}");
        assert_eq!(packet.capture_delta_us().is_some(), !whole, "frame {n}");
        assert_eq!(clock.observe(&packet), Some(t), "frame {n}");
        assert_eq!(packet.ref_sequence(), Some(n as u32));
    }
}

#[test]
fn a_reader_that_joins_between_whole_times_knows_it_does_not_know() {
    let mut writer = PacketWriter::new();
    let tile = [9u8; 5];
    writer.write_i(0, 0, &keyframe(&tile)).unwrap();
    let frame = DFrame { capture_time_us: CAPTURE_US + FRAME_US, qp: 30, tiles: one_tile(&tile), ..DFrame::default() };
    let bytes = writer.write_d(1, 0, &frame).unwrap().to_vec();
    assert_eq!(CaptureClock::new().observe(&Packet::parse(&bytes).unwrap()), None);
}

#[test]
fn an_unusual_reference_is_written_out() {
    let mut writer = PacketWriter::new();
    let frame = DFrame { ref_sequence: 3, qp: 30, ..DFrame::default() };
    let bytes = writer.write_d(9, 0, &frame).unwrap().to_vec();
    assert_eq!(Packet::parse(&bytes).unwrap().ref_sequence(), Some(3));
}
