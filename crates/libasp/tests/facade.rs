//! The seed's Rust names behave as the real crates do.

use libasp::asp_core::packet::{Correction, PacketWriter};
use libasp::codec::{estimate_motion_parallel, try_estimate_motion_parallel, MotionError, SearchAlgorithm};
use libasp::{
    AspPacket, AspPayload, DPacketPayload, IPacketPayload, MotionVector, PacketError, PacketType, ParseError, Rect,
    RoiRegion, RoiType, WireMotionVector,
};

#[test]
fn keyframe_round_trip_with_regions() {
    let mut facts = IPacketPayload::new(640, 360, 29.97);
    facts.capture_time_us = 1_234;
    facts.regions.push(RoiRegion::new(&Rect::new(1, 2, 3, 4), 0.5, RoiType::Face, 2));
    let key = AspPacket::create_i_packet(9, facts).unwrap();
    let bytes = key.to_bytes().unwrap();
    let packet = libasp::asp_core::Packet::parse(&bytes).unwrap();
    assert_eq!(packet.packet_type(), PacketType::I);
    let libasp::asp_core::packet::Payload::I(i) = packet.payload() else { panic!("not an I payload") };
    let stream = i.stream().unwrap();
    assert_eq!((stream.fps_num(), stream.fps_den()), (30000, 1001));
    assert_eq!(AspPacket::parse(&bytes).unwrap(), key);
}

#[test]
fn vectors_from_the_search_travel_in_a_d_packet() {
    let (w, h) = (64, 48);
    let tex = |x: usize, y: usize| ((x * x + 3 * y * y + x * y) / 7 % 256) as u8;
    let previous: Vec<u8> = (0..w * h).map(|i| tex(i % w, i / w)).collect();
    let current: Vec<u8> = (0..w * h).map(|i| tex(i % w + 2, i / w)).collect();
    let mvs = estimate_motion_parallel(&current, &previous, w, h, 16, 16, SearchAlgorithm::FullSearch, 0);
    assert_eq!(mvs.len(), 12);
    assert_eq!((mvs[5].dx, mvs[5].dy, mvs[5].sad), (2, 0, 0));
    // The same search as the wire-typed one in asp-encoder, field for field.
    let wire = libasp::asp_encoder::motion::estimate_motion_parallel(&current, &previous, w, h, 16, 16, SearchAlgorithm::Full, 0)
        .unwrap();
    assert_eq!(mvs.iter().map(|&v| WireMotionVector::from(v)).collect::<Vec<_>>(), wire);

    let mut payload = DPacketPayload::new(0);
    for &mv in &mvs {
        payload.add_motion_vector(mv);
    }
    let packet = AspPacket::create_d_packet(1, payload).unwrap();
    let mut buffer = vec![0xAA; 3];
    let n = packet.write_to_buffer(&mut buffer).unwrap();
    assert_eq!(n, buffer.len(), "the buffer is replaced, not appended to");
    let parsed = AspPacket::parse(&buffer).unwrap();
    assert_eq!(parsed.motion_vectors(), &mvs[..]);
    assert_eq!(parsed.packet_type(), PacketType::D);
}

#[test]
fn a_search_that_refuses_its_input_says_why() {
    let frame = vec![0u8; 64 * 48];
    let refused = estimate_motion_parallel(&frame, &frame[..100], 64, 48, 16, 16, SearchAlgorithm::DiamondSearch, 0);
    assert!(refused.is_empty());
    let error = refused.error().cloned().expect("an error");
    assert!(matches!(error, MotionError::BadFrame { .. }), "{error:?}");
    assert_eq!(refused.into_result(), Err(error.clone()));
    assert_eq!(try_estimate_motion_parallel(&frame, &frame[..100], 64, 48, 16, 16, SearchAlgorithm::Diamond, 0), Err(error));
    assert!(estimate_motion_parallel(&frame, &frame, 64, 48, 15, 16, SearchAlgorithm::Full, 0).error().is_some());
}

#[test]
fn every_seed_algorithm_name_is_one_of_the_four_searches() {
    assert_eq!(
        [SearchAlgorithm::DiamondSearch, SearchAlgorithm::HexagonSearch, SearchAlgorithm::ThreeStepSearch, SearchAlgorithm::FullSearch],
        SearchAlgorithm::ALL
    );
}

#[test]
fn bad_bytes_and_other_kinds_are_typed_errors() {
    let mut payload = DPacketPayload::new(0);
    payload.add_motion_vector(MotionVector::new(0, 0, 1, -1, 9));
    let good = AspPacket::create_d_packet(1, payload).unwrap().to_bytes().unwrap();
    let mut bad = good.clone();
    bad[20] ^= 1;
    assert!(matches!(AspPacket::parse(&bad), Err(ParseError::Packet(PacketError::CrcMismatch { .. }))));
    assert!(matches!(AspPacket::parse(&good[..10]), Err(ParseError::Packet(PacketError::TooShort { len: 10 }))));
    let mut writer = PacketWriter::new();
    let c = writer.write_c(3, 1, &Correction::default()).unwrap().to_vec();
    assert_eq!(AspPacket::parse(&c), Err(ParseError::Unsupported(PacketType::C)));
}

#[test]
fn a_keyframe_without_a_size_or_rate_is_refused() {
    assert!(AspPacket::create_i_packet(1, IPacketPayload::new(1920, 0, 30.0)).is_err());
    assert!(AspPacket::create_i_packet(1, IPacketPayload::new(1920, 1080, 0.0)).is_err());
    let any = AspPacket::create_i_packet(1, IPacketPayload::new(1920, 1080, 30.0)).unwrap();
    let AspPayload::I(i) = &any.payload else { panic!("not a keyframe") };
    assert_eq!((i.fps_num, i.fps_den, i.fps()), (30, 1, 30.0));
}

#[test]
fn the_simd_feature_picks_the_sad_kernels_not_the_vectors() {
    use libasp::asp_core::CpuFeatures;
    use libasp::codec::{sad_kernels, Sad};
    let expected = if cfg!(feature = "simd") { Sad::detect() } else { Sad::scalar() };
    assert_eq!(sad_kernels().features(), expected.features());
    if !cfg!(feature = "simd") {
        assert_eq!(sad_kernels().features(), CpuFeatures::SCALAR);
    }
    let (w, h) = (96, 64);
    let tex = |x: usize, y: usize| ((x * x + 5 * y * y + 3 * x * y) / 11 % 256) as u8;
    let previous: Vec<u8> = (0..w * h).map(|i| tex(i % w, i / w)).collect();
    let current: Vec<u8> = (0..w * h).map(|i| tex(i % w + 3, i / w + 1)).collect();
    for algorithm in SearchAlgorithm::ALL {
        let ours = try_estimate_motion_parallel(&current, &previous, w, h, 16, 16, algorithm, 128).unwrap();
        let scalar = libasp::codec::MotionEstimator::new(16, 16, algorithm, 128)
            .unwrap()
            .with_sad(Sad::scalar())
            .estimate(
                libasp::asp_encoder::motion::PlaneRef::packed(&current, w, h).unwrap(),
                libasp::asp_encoder::motion::PlaneRef::packed(&previous, w, h).unwrap(),
            )
            .unwrap();
        let scalar: Vec<MotionVector> = scalar.vectors.iter().map(MotionVector::from).collect();
        assert_eq!(ours, scalar, "{algorithm}");
    }
}
