//! The seed's Rust names behave as the real crates do.

use libasp::asp_core::packet::{Correction, PacketWriter};
use libasp::codec::{estimate_motion_parallel, SearchAlgorithm};
use libasp::{
    AspPacket, AspPayload, MotionVector, PacketError, PacketType, ParseError, Rect, RoiRegion,
    RoiType,
};

#[test]
fn keyframe_round_trip_with_regions() {
    let mut key = AspPacket::create_i_packet(9, 640, 360, 25);
    if let AspPayload::I(i) = &mut key.payload {
        i.capture_time_us = 1_234;
        i.regions.push(RoiRegion::new(
            &Rect::new(1, 2, 3, 4),
            0.5,
            RoiType::Face,
            2,
        ));
    }
    let bytes = key.write_to_buffer().unwrap();
    assert_eq!(
        libasp::asp_core::Packet::parse(&bytes)
            .unwrap()
            .packet_type(),
        PacketType::I
    );
    assert_eq!(AspPacket::parse(&bytes).unwrap(), key);
}

#[test]
fn vectors_from_the_search_travel_in_a_d_packet() {
    let (w, h) = (64, 48);
    let tex = |x: usize, y: usize| ((x * x + 3 * y * y + x * y) / 7 % 256) as u8;
    let previous: Vec<u8> = (0..w * h).map(|i| tex(i % w, i / w)).collect();
    let current: Vec<u8> = (0..w * h).map(|i| tex(i % w + 2, i / w)).collect();
    let mvs = estimate_motion_parallel(&current, &previous, w, h, 16, 16, SearchAlgorithm::Full, 0)
        .unwrap();
    assert_eq!(mvs.len(), 12);
    assert_eq!((mvs[5].dx(), mvs[5].dy(), mvs[5].sad()), (2, 0, 0));
    let packet = AspPacket::create_d_packet(1, 0, mvs.clone());
    let mut buffer = vec![0xAA];
    let n = packet.serialize_into(&mut buffer).unwrap();
    assert_eq!(n + 1, buffer.len());
    let parsed = AspPacket::parse(&buffer[1..]).unwrap();
    assert_eq!(parsed.motion_vectors(), &mvs[..]);
    assert_eq!(parsed.packet_type(), PacketType::D);
}

#[test]
fn bad_bytes_and_other_kinds_are_typed_errors() {
    let good = AspPacket::create_d_packet(1, 0, vec![MotionVector::new(0, 0, 1, -1, 9)])
        .write_to_buffer()
        .unwrap();
    let mut bad = good.clone();
    bad[20] ^= 1;
    assert!(matches!(
        AspPacket::parse(&bad),
        Err(ParseError::Packet(PacketError::CrcMismatch { .. }))
    ));
    assert!(matches!(
        AspPacket::parse(&good[..10]),
        Err(ParseError::Packet(PacketError::TooShort { len: 10 }))
    ));
    let mut writer = PacketWriter::new();
    let c = writer
        .write_c(3, 1, &Correction::default())
        .unwrap()
        .to_vec();
    assert_eq!(
        AspPacket::parse(&c),
        Err(ParseError::Unsupported(PacketType::C))
    );
}
