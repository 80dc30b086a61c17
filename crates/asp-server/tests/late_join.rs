//! A viewer joining mid-stream decodes its first frame at once, bit-exactly.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use asp_core::codec::decoder::Decoder;
use asp_core::Packet;
use asp_encoder::source::TestPattern;
use asp_server::{stamp, LiveOptions, ViewerLimits};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_decodes_its_first_frame_bit_exactly() {
    const KEYINT: u32 = 20;
    const FRAMES: u64 = 70;
    let source = TestPattern::new(WIDTH, HEIGHT, 30, Some(FRAMES)).unwrap();
    let options = LiveOptions { stamp: true, wait_for_viewers: 1, ..LiveOptions::default() };
    let server = start(Box::new(source), encoder_config(KEYINT, 24), ViewerLimits::default(), options).await;

    // The reference: a viewer from the first frame, decoding everything.
    let mut first = connect(server.addr).await;
    let mut reference = Decoder::new();
    let mut reference_frames = HashMap::new();
    let limit = Duration::from_secs(10);
    // Join the second viewer mid-run: after frame 25, between keyframes 20 and 40.
    loop {
        let Got::Packet(bytes, _) = next(&mut first, limit).await else { panic!("stream ended early") };
        let packet = Packet::parse(&bytes).unwrap();
        let sequence = packet.sequence();
        let decoded = reference.decode(&packet).unwrap().expect("a picture");
        reference_frames.insert(sequence, decoded.frame.clone());
        if sequence == 25 {
            break;
        }
    }
    let mut late = connect(server.addr).await;

    let mut decoder = Decoder::new();
    let Got::Packet(bytes, _) = next(&mut late, limit).await else { panic!("nothing for the late joiner") };
    let packet = Packet::parse(&bytes).unwrap();
    assert_eq!(packet.sequence(), KEYINT, "the late joiner starts at the last keyframe");
    let capture = packet.capture_time_us().expect("capture time");
    let decoded = decoder.decode(&packet).expect("the first packet decodes").expect("a picture");
    assert!(decoded.keyframe);
    assert_eq!(Some(decoded.frame), reference_frames.get(&KEYINT), "first frame differs from the reference decode");
    assert_eq!(stamp::read(decoded.frame), Some(capture & stamp::CLOCK_MASK), "burnt-in timestamp");

    // And it follows the live stream without a gap, still bit-exact.
    let mut expected = KEYINT + 1;
    let mut compared = 1;
    while expected <= 45 {
        let Got::Packet(bytes, _) = next(&mut late, limit).await else { panic!("late joiner cut off") };
        let packet = Packet::parse(&bytes).unwrap();
        assert_eq!(packet.sequence(), expected);
        let frame = decoder.decode(&packet).unwrap().expect("a picture").frame.clone();
        while !reference_frames.contains_key(&expected) {
            let Got::Packet(bytes, _) = next(&mut first, limit).await else { panic!("reference ended") };
            let packet = Packet::parse(&bytes).unwrap();
            let decoded = reference.decode(&packet).unwrap().expect("a picture");
            reference_frames.insert(packet.sequence(), decoded.frame.clone());
        }
        assert_eq!(Some(&frame), reference_frames.get(&expected), "frame {expected}");
        expected += 1;
        compared += 1;
    }
    assert!(compared > 20);
}

/// With intra refresh there is one keyframe at the start; a late joiner
/// starts at the latest refresh start, is `recovering` while the sweep
/// passes, and from then on decodes bit-exactly like a viewer that saw
/// everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_joiner_with_intra_refresh_starts_at_a_refresh_start() {
    const CYCLE: u32 = 10;
    const FRAMES: u64 = 80;
    let source = TestPattern::new(WIDTH, HEIGHT, 30, Some(FRAMES)).unwrap();
    let options = LiveOptions { stamp: true, wait_for_viewers: 1, ..LiveOptions::default() };
    let mut config = encoder_config(CYCLE, 24);
    config.intra_refresh = true;
    let server = start(Box::new(source), config, ViewerLimits::default(), options).await;

    let mut first = connect(server.addr).await;
    let mut reference = Decoder::new();
    let mut reference_frames = HashMap::new();
    let limit = Duration::from_secs(10);
    let mut keyframes = 0;
    // Join well after the only keyframe, in the middle of a cycle.
    loop {
        let Got::Packet(bytes, _) = next(&mut first, limit).await else { panic!("stream ended early") };
        let packet = Packet::parse(&bytes).unwrap();
        let decoded = reference.decode(&packet).unwrap().expect("a picture");
        keyframes += usize::from(decoded.keyframe);
        reference_frames.insert(packet.sequence(), decoded.frame.clone());
        if packet.sequence() == 35 {
            break;
        }
    }
    assert_eq!(keyframes, 1, "intra refresh: one keyframe");
    let mut late = connect(server.addr).await;

    let mut decoder = Decoder::new();
    let mut exact = 0;
    let mut recovering = 0;
    let mut first_sequence = None;
    let mut expected = None;
    while exact < 15 {
        let Got::Packet(bytes, _) = next(&mut late, limit).await else { panic!("late joiner cut off") };
        let packet = Packet::parse(&bytes).unwrap();
        let sequence = packet.sequence();
        if let Some(e) = expected {
            assert_eq!(sequence, e, "a gap");
        }
        expected = Some(sequence + 1);
        first_sequence.get_or_insert(sequence);
        let decoded = decoder.decode(&packet).expect("decodes").expect("a picture");
        assert!(!decoded.keyframe, "the late joiner gets no keyframe");
        if decoded.recovering {
            assert_eq!(exact, 0, "recovering again after an exact frame");
            recovering += 1;
            continue;
        }
        let frame = decoded.frame.clone();
        while !reference_frames.contains_key(&sequence) {
            let Got::Packet(bytes, _) = next(&mut first, limit).await else { panic!("reference ended") };
            let packet = Packet::parse(&bytes).unwrap();
            let decoded = reference.decode(&packet).unwrap().expect("a picture");
            reference_frames.insert(packet.sequence(), decoded.frame.clone());
        }
        assert_eq!(Some(&frame), reference_frames.get(&sequence), "frame {sequence} after the sweep");
        exact += 1;
    }
    let start = first_sequence.unwrap();
    assert!(start > 0 && start <= 35, "the backlog starts at a refresh start before the join, not at {start}");
    assert!(recovering > 0 && recovering <= CYCLE as usize + 1, "{recovering} recovering frames");
}
