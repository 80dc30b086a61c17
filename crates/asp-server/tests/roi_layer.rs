//! The live loop with an ROI layer: each frame's C-packet follows it, a
//! late joiner starts on a keyframe (never a C-packet), and every
//! C-packet refines the frame it follows.

mod support;

use std::time::Duration;

use asp_core::codec::decoder::Decoder;
use asp_core::codec::correction::apply_correction;
use asp_core::packet::{PacketType, Payload};
use asp_core::Packet;
use asp_encoder::analysis::RoiMethod;
use asp_encoder::source::TestPattern;
use asp_encoder::SessionSettings;
use asp_server::{LiveOptions, ViewerLimits};
use support::*;

/// Decodes `packets` in order, applying each C-packet to the frame it
/// follows; returns (frames, C-packets applied).
fn check_stream(packets: &[Vec<u8>]) -> (usize, usize) {
    let mut decoder = Decoder::new();
    let (mut frames, mut applied) = (0, 0);
    let mut last: Option<u32> = None;
    for bytes in packets {
        let packet = Packet::parse(bytes).unwrap();
        match packet.payload() {
            Payload::C(c) => {
                assert_eq!(Some(packet.sequence()), last, "a C-packet follows its frame");
                let mut shown = decoder.last_frame().expect("a frame to refine").clone();
                apply_correction(&mut shown, packet.sequence(), &c).expect("the C-packet applies");
                applied += 1;
            }
            Payload::I(_) | Payload::D(_) => {
                decoder.decode(&packet).unwrap().expect("a picture");
                last = Some(packet.sequence());
                frames += 1;
            }
            _ => {}
        }
    }
    (frames, applied)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn c_packets_follow_their_frames_and_late_joiners_start_on_a_keyframe() {
    const KEYINT: u32 = 10;
    const FRAMES: u64 = 40;
    let source = TestPattern::new(WIDTH, HEIGHT, 30, Some(FRAMES)).unwrap();
    let session = SessionSettings {
        roi: vec![RoiMethod::Text, RoiMethod::Motion],
        roi_layer: true,
        palette: Some(4),
        ..SessionSettings::default()
    };
    let options = LiveOptions { wait_for_viewers: 1, session, ..LiveOptions::default() };
    let server = start(Box::new(source), encoder_config(KEYINT, 30), ViewerLimits::default(), options).await;
    let limit = Duration::from_secs(20);

    let mut first = connect(server.addr).await;
    let mut from_start = Vec::new();
    while let Got::Packet(bytes, _) = next(&mut first, limit).await {
        let sequence = Packet::parse(&bytes).unwrap().sequence();
        from_start.push(bytes);
        if sequence == 15 {
            break;
        }
    }
    let mut late = connect(server.addr).await;
    let (rest, _) = read_to_end(&mut first, limit).await;
    from_start.extend(rest.into_iter().map(|(b, _)| b));
    let (joined, _) = read_to_end(&mut late, limit).await;
    let joined: Vec<Vec<u8>> = joined.into_iter().map(|(b, _)| b).collect();

    let (frames, c_packets) = check_stream(&from_start);
    assert_eq!(frames as u64, FRAMES);
    assert!(c_packets > 0, "the test picture's text and disc are refined");
    let stats = server.hub.stats();
    assert_eq!((stats.frames, stats.c_packets), (FRAMES, c_packets as u64));

    let start = Packet::parse(&joined[0]).unwrap();
    assert_eq!(start.packet_type(), PacketType::I, "the late joiner starts on a keyframe");
    let (frames, c_packets) = check_stream(&joined);
    assert!(frames >= (FRAMES - 2 * u64::from(KEYINT)) as usize && c_packets > 0, "{frames} frames, {c_packets} C-packets");
}
