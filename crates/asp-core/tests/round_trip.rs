//! Write → read round trips: every field a writer puts in comes back out.

mod common;

use asp_core::packet::{
    flags, Correction, DFrame, IFrame, Packet, PacketWriter, Palette, Payload, StreamInfo, Sync, TileSet,
    WriteError, ATTRIBUTION,
};
use asp_core::schema::{Color, ColorMatrix, ColorRange, MotionVector, Rect, RoiRegion, RoiType, SyncCommand};
use asp_core::PacketError;

#[test]
fn keyframe_round_trip() {
    let data: Vec<u8> = (0..100).collect();
    let sizes = [10, 0, 60, 30];
    let colors = [Color::new(1, 2, 3), Color::new(200, 100, 50)];
    let weights = [0.25, 0.75];
    let regions = [RoiRegion::new(&Rect::new(1, 2, 3, 4), 0.5, RoiType::Text, 2)];
    let stream = StreamInfo {
        width: 1918,
        height: 1082,
        fps_num: 30000,
        fps_den: 1001,
        color_range: ColorRange::Full,
        color_matrix: ColorMatrix::Bt601,
    };
    let frame = IFrame {
        stream,
        capture_time_us: 42,
        qp: 51,
        tiles: TileSet { columns: 2, rows: 2, sizes: &sizes, data: &data },
        palette: Some(Palette { colors: &colors, weights: &weights }),
        regions: &regions,
        attribution: Some(ATTRIBUTION),
    };
    let mut writer = PacketWriter::new();
    let bytes = writer.write_i(77, 0x8001, &frame).unwrap();
    let packet = Packet::parse(bytes).unwrap();
    assert_eq!(packet.sequence(), 77);
    assert_eq!(packet.flags(), 0x8001);
    assert_eq!(packet.capture_time_us(), Some(42));
    let tiles: Vec<&[u8]> = packet.tiles().collect();
    assert_eq!(tiles, vec![&data[0..10], &data[10..10], &data[10..70], &data[70..100]]);
    let Payload::I(i) = packet.payload() else { panic!("not an I payload") };
    let s = i.stream().unwrap();
    assert_eq!((s.width(), s.height(), s.fps_num(), s.fps_den()), (1918, 1082, 30000, 1001));
    assert_eq!((s.color_range(), s.color_matrix()), (ColorRange::Full, ColorMatrix::Bt601));
    assert_eq!(s.attribution(), Some("Streamed via ALICE Protocol (ASP)"));
    assert_eq!((i.qp(), i.tile_columns(), i.tile_rows()), (51, 2, 2));
    let palette = i.palette().unwrap();
    assert_eq!(palette.colors().unwrap().iter().copied().collect::<Vec<_>>(), colors);
    assert_eq!(palette.weights().unwrap().iter().collect::<Vec<_>>(), weights);
    assert_eq!(i.regions().unwrap().iter().copied().collect::<Vec<_>>(), regions);
}

#[test]
fn delta_correction_and_sync_round_trip() {
    let mvs: Vec<_> = (0..50u16).map(|i| MotionVector::new(i % 10, i / 10, i as i16 - 25, -(i as i16), u32::from(i) * 3)).collect();
    let mut writer = PacketWriter::new();
    let d = DFrame { ref_sequence: 4, qp: 30, motion_vectors: &mvs, motion_vector_precision: 4, ..DFrame::default() };
    let packet = Packet::parse(writer.write_d(9, 0, &d).unwrap()).unwrap();
    let Payload::D(p) = packet.payload() else { panic!() };
    assert_eq!(packet.ref_sequence(), Some(4));
    assert_eq!(p.ref_sequence(), Some(4), "a reference other than the previous frame is written out");
    assert_eq!(p.motion_vector_precision(), 4);
    assert_eq!(p.motion_vectors().unwrap().iter().copied().collect::<Vec<_>>(), mvs);

    let regions = [RoiRegion::new(&Rect::new(8, 8, 16, 16), 1.0, RoiType::Face, 9)];
    let c = Correction { ref_sequence: 5, regions: &regions, sizes: &[2], data: &[9, 9], ..Correction::default() };
    let packet = Packet::parse(writer.write_c(6, flags::DISCARDABLE, &c).unwrap()).unwrap();
    assert_eq!(packet.tiles().collect::<Vec<_>>(), vec![&[9u8, 9][..]]);
    assert_eq!(packet.flags() & flags::DISCARDABLE, flags::DISCARDABLE);

    let nack = Sync { sequences: &[3, 4, 9], reason: Some("loss"), ..Sync::command(SyncCommand::Nack) };
    let packet = Packet::parse(writer.write_s(7, 0, &nack).unwrap()).unwrap();
    let Payload::S(s) = packet.payload() else { panic!() };
    assert_eq!(s.command(), SyncCommand::Nack);
    assert_eq!(s.sequences().unwrap().iter().collect::<Vec<_>>(), vec![3, 4, 9]);
    assert_eq!(s.reason(), Some("loss"));
}

#[test]
fn writer_refuses_what_a_reader_would_refuse() {
    let mut writer = PacketWriter::new();
    let bad_sizes = IFrame {
        tiles: TileSet { columns: 1, rows: 1, sizes: &[5], data: &[0; 4] },
        ..IFrame::new(StreamInfo::new(16, 16, 30))
    };
    assert!(matches!(
        writer.write_i(0, 0, &bad_sizes),
        Err(WriteError::Invalid(PacketError::TileSizesMismatch { .. }))
    ));
    let zero = IFrame::new(StreamInfo::new(0, 16, 30));
    assert!(matches!(writer.write_i(0, 0, &zero), Err(WriteError::Invalid(PacketError::BadDimensions { .. }))));
    let grid = IFrame {
        tiles: TileSet { columns: 0, rows: 1, sizes: &[], data: &[] },
        ..IFrame::new(StreamInfo::new(16, 16, 30))
    };
    assert!(matches!(writer.write_i(0, 0, &grid), Err(WriteError::Invalid(PacketError::BadTileGrid { .. }))));
    // The writer still works after refusing.
    assert!(writer.write_i(0, 0, &IFrame::new(StreamInfo::new(16, 16, 30))).is_ok());
}

#[test]
fn header_encode_decode() {
    use asp_core::packet::{Header, PacketType};
    let h = Header { packet_type: PacketType::C, flags: 0xBEEF, sequence: 0x0102_0304, payload_len: 0x0506 };
    let bytes = h.encode();
    assert_eq!(&bytes[..], &[b'A', b'S', b'P', b'1', 3, 3, 0xBE, 0xEF, 1, 2, 3, 4, 0, 0, 5, 6]);
    assert_eq!(Header::decode(&bytes, &asp_core::Limits::DEFAULT).unwrap(), h);
}

#[test]
fn version_2_headers_are_still_read() {
    use asp_core::packet::{Header, PacketError, PacketType};
    let h = Header { packet_type: PacketType::D, flags: 0, sequence: 7, payload_len: 9 };
    let mut bytes = h.encode();
    bytes[4] = 2;
    assert_eq!(Header::decode(&bytes, &asp_core::Limits::DEFAULT).unwrap(), h);
    bytes[4] = 4;
    assert_eq!(Header::decode(&bytes, &asp_core::Limits::DEFAULT).unwrap_err(), PacketError::UnsupportedVersion { found: 4 });
}
