//! Every malformed input named in the foundation issue gets its own error
//! variant, and none of them panics.

mod common;

use asp_core::packet::{Packet, PacketError, PacketReader, PacketType, ReadEvent};
use asp_core::schema::SyncCommand;
use asp_core::Limits;
use common::{delta, frame_payload, keyframe, reseal, sync};

#[test]
fn empty_input_is_too_short() {
    assert_eq!(Packet::parse(&[]).unwrap_err(), PacketError::TooShort { len: 0 });
}

#[test]
fn nineteen_bytes_is_too_short() {
    let p = keyframe(0);
    assert_eq!(Packet::parse(&p[..19]).unwrap_err(), PacketError::TooShort { len: 19 });
}

#[test]
fn wrong_magic() {
    let mut p = keyframe(0);
    p[0..4].copy_from_slice(b"MP4V");
    let err = Packet::parse(&p).unwrap_err();
    assert_eq!(err, PacketError::BadMagic { found: *b"MP4V" });
    assert_eq!(err.offset(), Some(0));
}

#[test]
fn unknown_version() {
    let mut p = keyframe(0);
    p[4] = 9;
    reseal(&mut p);
    assert_eq!(Packet::parse(&p).unwrap_err(), PacketError::UnsupportedVersion { found: 9 });
}

#[test]
fn unknown_type() {
    for t in [0u8, 5, 255] {
        let mut p = keyframe(0);
        p[5] = t;
        reseal(&mut p);
        assert_eq!(Packet::parse(&p).unwrap_err(), PacketError::UnknownPacketType { found: t });
    }
}

#[test]
fn payload_length_all_ones_is_refused_before_anything_is_read() {
    let mut p = keyframe(0);
    p[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
    let err = Packet::parse(&p).unwrap_err();
    assert_eq!(err, PacketError::PayloadTooLarge { declared: u32::MAX, max: Limits::DEFAULT.max_payload_len });
    assert_eq!(err.offset(), Some(12));
}

#[test]
fn payload_length_past_the_buffer_is_truncated() {
    let p = keyframe(0);
    let err = Packet::parse(&p[..p.len() - 1]).unwrap_err();
    assert_eq!(err, PacketError::Truncated { needed: p.len(), available: p.len() - 1 });
}

#[test]
fn crc_mismatch() {
    let mut p = keyframe(0);
    let n = p.len();
    p[n / 2] ^= 0x40;
    match Packet::parse(&p).unwrap_err() {
        PacketError::CrcMismatch { offset, stored, computed } => {
            assert_eq!(offset, n - 4);
            assert_ne!(stored, computed);
        }
        other => panic!("expected CrcMismatch, got {other:?}"),
    }
}

#[test]
fn valid_crc_over_a_flatbuffer_that_fails_verification() {
    // A root offset pointing far past the end of the payload.
    let mut payload = vec![0u8; 32];
    payload[0..4].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let p = frame_payload(1, &payload);
    assert!(matches!(Packet::parse(&p).unwrap_err(), PacketError::InvalidFlatbuffer(_)));
}

#[test]
fn payloads_too_short_for_a_root_table_or_without_a_payload() {
    for payload in [&[1u8, 2, 3][..], &[]] {
        let p = frame_payload(1, payload);
        assert!(matches!(Packet::parse(&p).unwrap_err(), PacketError::InvalidFlatbuffer(_)), "{payload:?}");
    }
    // Zeros read as a root table whose vtable lists no fields.
    assert_eq!(Packet::parse(&frame_payload(1, &[0u8; 12])).unwrap_err(), PacketError::MissingPayload);
}

#[test]
fn a_version_1_packet_is_refused_by_name() {
    // Version 1 laid the payload out differently (the seed's field order, a
    // file identifier, full size tables): refused before its payload is read.
    let mut p = frame_payload(1, &[0u8; 12]);
    p[4] = 1;
    reseal(&mut p);
    let error = Packet::parse(&p).unwrap_err();
    assert_eq!(error, PacketError::UnsupportedVersion { found: 1 });
    assert!(error.to_string().contains("version 1"), "{error}");
}

#[test]
fn union_type_that_does_not_match_the_header() {
    // A valid D payload under an I header.
    let d = delta(3);
    let payload = &d[16..d.len() - 4];
    let p = frame_payload(1, payload);
    assert_eq!(
        Packet::parse(&p).unwrap_err(),
        PacketError::PayloadTypeMismatch { header: PacketType::I, payload: 2 }
    );
}

#[test]
fn trailing_bytes_after_one_packet() {
    let mut p = sync(1, SyncCommand::Ping);
    let len = p.len();
    p.push(0);
    assert_eq!(Packet::parse(&p).unwrap_err(), PacketError::TrailingBytes { packet_len: len, buffer_len: len + 1 });
    // parse_prefix accepts it and says where the packet ends.
    assert_eq!(Packet::parse_prefix(&p, &Limits::DEFAULT).unwrap().len(), len);
}

#[test]
fn keyframe_dimensions_over_the_caps() {
    let limits = Limits { max_width: 320, ..Limits::DEFAULT };
    let p = keyframe(0); // 640x360
    assert_eq!(
        Packet::parse_with(&p, &limits).unwrap_err(),
        PacketError::BadDimensions { width: 640, height: 360, max_width: 320, max_height: 8192 }
    );
}

#[test]
fn truncated_last_packet_in_a_stream() {
    let mut stream = keyframe(0);
    stream.extend_from_slice(&delta(1));
    let cut = delta(2);
    stream.extend_from_slice(&cut[..cut.len() - 3]);
    let mut reader = PacketReader::new();
    reader.push(&stream);
    reader.finish();
    let mut kinds = Vec::new();
    while let Some(event) = reader.next_event() {
        kinds.push(match event {
            ReadEvent::Packet { packet, .. } => format!("{:?}", packet.packet_type()),
            ReadEvent::Skipped { len, error, .. } => format!("skip {len} {}", error.kind()),
        });
    }
    assert_eq!(kinds, vec!["I".to_string(), "D".into(), format!("skip {} truncated", cut.len() - 3)]);
}

#[test]
fn every_error_has_a_distinct_name_and_a_message() {
    let errors = [
        PacketError::TooShort { len: 0 },
        PacketError::BadMagic { found: [0; 4] },
        PacketError::UnsupportedVersion { found: 9 },
        PacketError::UnknownPacketType { found: 9 },
        PacketError::PayloadTooLarge { declared: 1, max: 0 },
        PacketError::Truncated { needed: 2, available: 1 },
        PacketError::TrailingBytes { packet_len: 1, buffer_len: 2 },
        PacketError::CrcMismatch { offset: 0, stored: 0, computed: 1 },
        PacketError::MissingPayload,
        PacketError::PayloadTypeMismatch { header: PacketType::S, payload: 1 },
        PacketError::MissingStreamInfo,
        PacketError::BadDimensions { width: 0, height: 0, max_width: 1, max_height: 1 },
        PacketError::BadTileGrid { columns: 0, rows: 0, max_tiles: 1 },
        PacketError::TileSizesMismatch { entries: 0, expected_entries: 1, sum: 0, data_len: 1 },
    ];
    let mut names: Vec<_> = errors.iter().map(|e| e.kind()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), errors.len());
    for e in &errors {
        assert!(!e.to_string().is_empty());
    }
}
