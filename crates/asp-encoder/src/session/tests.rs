use asp_core::packet::{flags, Packet, PacketType};

use super::*;
use crate::testsrc::TestSource;

const W: u32 = 160;
const H: u32 = 96;

fn config() -> EncoderConfig {
    let mut config = EncoderConfig::new(W, H, 30, 1);
    config.keyint = 5;
    config
}

fn roi_settings() -> SessionSettings {
    SessionSettings {
        roi: vec![RoiMethod::Text, RoiMethod::Motion],
        roi_layer: true,
        roi_layer_delta: 2,
        palette: Some(8),
        ..SessionSettings::default()
    }
}

/// Frames 0..n of the test picture.
fn frames(n: u64) -> Vec<Frame> {
    let mut source = TestSource::new(W, H).unwrap();
    (0..n).map(|i| source.frame(i).unwrap()).collect()
}

#[test]
fn without_analysis_a_session_is_the_plain_encoder() {
    let mut session = Session::new(config(), SessionSettings::default()).unwrap();
    let mut encoder = Encoder::new(config()).unwrap();
    assert!(!session.analyses());
    for (i, frame) in frames(8).iter().enumerate() {
        let ours = session.encode(frame, i as u64 * 1000).unwrap();
        assert!(ours.c_packet.is_none());
        assert_eq!(ours.regions, 0);
        let (packet, sequence, keyframe, qp) = (ours.packet.to_vec(), ours.sequence, ours.keyframe, ours.qp);
        let plain = encoder.encode(frame, i as u64 * 1000).unwrap();
        assert_eq!((packet.as_slice(), sequence, keyframe, qp), (plain.packet, plain.sequence, plain.keyframe, plain.qp));
        assert_eq!(session.reconstruction(), encoder.reconstruction());
    }
}

#[test]
fn with_the_roi_layer_it_runs_analyse_steer_encode_refine_in_that_order() {
    let settings = roi_settings();
    let mut session = Session::new(config(), settings.clone()).unwrap();
    // The sequence written out by hand, as asp-encode did before the session.
    let mut encoder = Encoder::new(config()).unwrap();
    let mut roi = RoiSettings::new(settings.roi.clone());
    roi.palette_colors = 8;
    let mut analyser = RoiAnalyser::new(roi).unwrap();
    let mut corrector = Corrector::new();
    let mut c_packets = 0;
    for (i, frame) in frames(10).iter().enumerate() {
        let capture = i as u64 * 33_333;
        let ours = session.encode(frame, capture).unwrap();
        let plan = analyser.analyse(frame).unwrap();
        let regions = plan.coded_regions();
        encoder.set_qp_offsets(&plan.qp_offsets);
        encoder.set_side_data(&regions, plan.palette.as_ref());
        let plain = encoder.encode(frame, capture).unwrap();
        assert_eq!(ours.packet, plain.packet, "frame {i}");
        assert_eq!(ours.regions, regions.len());
        let qp = correction_qp(plain.qp, -3, 2);
        let sequence = plain.sequence;
        let want = corrector.correct(frame, encoder.reconstruction().unwrap(), &regions, sequence, capture, qp).unwrap();
        assert_eq!(ours.c_packet, want, "frame {i}");
        if let Some(c) = ours.c_packet {
            c_packets += 1;
            let parsed = Packet::parse(c).unwrap();
            assert_eq!(parsed.packet_type(), PacketType::C);
            assert_eq!(parsed.sequence(), ours.sequence, "a C-packet carries its frame's sequence");
            assert_ne!(parsed.flags() & flags::DISCARDABLE, 0);
        }
    }
    assert!(c_packets > 0, "the test picture's text and disc get refined");
}

#[test]
fn the_c_packet_qp_is_the_regions_qp_made_finer_within_range() {
    let qp = |q: u8| Qp::new(q).unwrap();
    assert_eq!(correction_qp(qp(26), -3, 0), qp(23));
    assert_eq!(correction_qp(qp(26), -3, 4), qp(19));
    assert_eq!(correction_qp(qp(2), -12, 24), Qp::MIN);
    assert_eq!(correction_qp(Qp::MAX, 0, 0), Qp::MAX);
}

#[test]
fn refuses_settings_out_of_range_or_contradicting() {
    let refused = |settings: SessionSettings| matches!(Session::new(config(), settings), Err(SessionError::Settings(_)));
    assert!(refused(SessionSettings { roi_qp: 1, ..roi_settings() }));
    assert!(refused(SessionSettings { roi_qp: -13, ..roi_settings() }));
    assert!(refused(SessionSettings { roi_layer_delta: 25, ..roi_settings() }));
    assert!(refused(SessionSettings { palette: Some(0), ..roi_settings() }));
    assert!(refused(SessionSettings { palette: Some(257), ..roi_settings() }));
    assert!(refused(SessionSettings { roi: Vec::new(), ..roi_settings() }));
}

#[test]
fn a_frame_of_another_size_is_an_error_not_a_panic() {
    let mut session = Session::new(config(), roi_settings()).unwrap();
    let other = TestSource::new(W + 16, H).unwrap().frame(0).unwrap();
    assert!(session.encode(&other, 0).is_err());
    let frame = &frames(1)[0];
    assert!(session.encode(frame, 0).is_ok(), "the session goes on after a refused frame");
}

#[test]
fn palette_alone_analyses_without_regions() {
    let settings = SessionSettings { palette: Some(4), ..SessionSettings::default() };
    let mut session = Session::new(config(), settings).unwrap();
    assert!(session.analyses());
    let out = session.encode(&frames(1)[0], 0).unwrap();
    assert_eq!(out.regions, 0);
    assert!(out.c_packet.is_none());
    let parsed = Packet::parse(out.packet).unwrap();
    assert_eq!(parsed.packet_type(), PacketType::I);
}
