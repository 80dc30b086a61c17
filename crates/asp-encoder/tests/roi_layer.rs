//! The C-packet refinement layer: droppable without drift, and closer to
//! the source inside its regions when kept.

use asp_core::Decoder;
use asp_core::codec::frame::Frame;
use asp_core::codec::correction::{apply_correction, CorrectionError};
use asp_core::packet::{flags, Packet, Payload};
use asp_core::schema::{Rect, RoiRegion, RoiType};
use asp_encoder::encoder::Corrector;
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig, Qp, RateMode};

const W: u32 = 320;
const H: u32 = 184;

/// The regions refined: a "face" box and a text line, overlapping.
fn regions() -> Vec<RoiRegion> {
    let face = RoiRegion::new(&Rect::new(40, 30, 70, 90), 0.9, RoiType::Face, 3);
    let text = RoiRegion::new(&Rect::new(90, 140, 200, 20), 0.7, RoiType::Text, 2);
    vec![face, text]
}

fn inside(x: usize, y: usize) -> bool {
    // The macroblocks the regions touch: 32..112 x 16..128, 80..304 x 128..160.
    ((32..112).contains(&x) && (16..128).contains(&y)) || ((80..304).contains(&x) && (128..160).contains(&y))
}

/// Luma squared error inside and outside the regions' macroblocks.
fn errors(a: &Frame, b: &Frame) -> (f64, f64) {
    let (mut roi, mut rest) = (0f64, 0f64);
    for y in 0..H as usize {
        for x in 0..W as usize {
            let i = y * a.luma_stride() + x;
            let d = f64::from(a.y[i]) - f64::from(b.y[i]);
            if inside(x, y) {
                roi += d * d;
            } else {
                rest += d * d;
            }
        }
    }
    (roi, rest)
}

struct Stream {
    sources: Vec<Frame>,
    /// Packets in order: each I/D packet followed by its C-packet.
    packets: Vec<Vec<u8>>,
    recon: Vec<Frame>,
}

fn encode(frames: u64) -> Stream {
    let mut config = EncoderConfig::new(W, H, 30, 1);
    config.rate = RateMode::ConstantQp(Qp::new(34).unwrap());
    let mut encoder = Encoder::new(config).unwrap();
    let mut corrector = Corrector::new();
    let mut source = TestSource::new(W, H).unwrap();
    let mut out = Stream { sources: Vec::new(), packets: Vec::new(), recon: Vec::new() };
    let regions = regions();
    for n in 0..frames {
        let frame = source.frame(n).unwrap();
        let encoded = encoder.encode(&frame, n * 33_333).unwrap();
        out.packets.push(encoded.packet.to_vec());
        let (sequence, qp) = (encoded.sequence, encoded.qp);
        let shown = encoder.reconstruction().unwrap();
        let c = corrector.correct(&frame, shown, &regions, sequence, n * 33_333, Qp::saturating(i32::from(qp.get()) - 8)).unwrap().expect("something to refine");
        out.packets.push(c.to_vec());
        out.recon.push(shown.clone());
        out.sources.push(frame);
    }
    out
}

#[test]
fn dropping_c_packets_gives_the_base_stream_and_keeping_them_sharpens_the_regions() {
    let stream = encode(8);
    let mut base = Decoder::new();
    let mut with_c = Decoder::new();
    let mut shown: Option<(u32, Frame)> = None;
    let mut frames = 0;
    let (mut roi_gain, mut roi_base) = (0f64, 0f64);
    for bytes in &stream.packets {
        let packet = Packet::parse(bytes).unwrap();
        if let Payload::C(c) = packet.payload() {
            assert_ne!(packet.flags() & flags::DISCARDABLE, 0);
            // The decoder itself ignores C-packets: its reference never changes.
            assert!(with_c.decode(&packet).unwrap().is_none());
            let (sequence, frame) = shown.take().unwrap();
            let mut refined = frame.clone();
            apply_correction(&mut refined, sequence, &c).unwrap();
            let source = &stream.sources[sequence as usize];
            let (roi_before, rest_before) = errors(source, &frame);
            let (roi_after, rest_after) = errors(source, &refined);
            assert_eq!(rest_after, rest_before, "frame {sequence}: only the regions change");
            assert!(roi_after < roi_before, "frame {sequence}: {roi_after} >= {roi_before}");
            roi_gain += roi_after;
            roi_base += roi_before;
            // A C-packet is for one frame only.
            let mut other = frame.clone();
            assert_eq!(apply_correction(&mut other, sequence + 1, &c), Err(CorrectionError::WrongFrame { wanted: sequence, have: sequence + 1 }));
            continue;
        }
        let a = base.decode(&packet).unwrap().unwrap();
        assert_eq!(a.frame, &stream.recon[frames], "base decode equals the encoder's reconstruction");
        let a = a.frame.clone();
        let b = with_c.decode(&packet).unwrap().unwrap();
        assert_eq!(b.frame, &a, "C-packets in the stream change nothing in the base decode");
        shown = Some((b.sequence, a));
        frames += 1;
    }
    assert_eq!(frames, 8);
    // Mean over the frames: the refinement is worth more than 1.5 dB in the regions.
    let gain_db = 10.0 * (roi_base / roi_gain).log10();
    assert!(gain_db > 1.5, "ROI PSNR gain {gain_db:.2} dB");
}

#[test]
fn damaged_and_misplaced_refinements_are_typed_errors() {
    let stream = encode(1);
    let (base, c) = (&stream.packets[0], &stream.packets[1]);
    let mut decoder = Decoder::new();
    let frame = decoder.decode(&Packet::parse(base).unwrap()).unwrap().unwrap().frame.clone();
    let packet = Packet::parse(c).unwrap();
    let Payload::C(payload) = packet.payload() else { panic!("not a C-packet") };
    // A frame too small for the regions.
    let mut small = Frame::new(64, 64, &asp_core::Limits::DEFAULT).unwrap();
    assert_eq!(apply_correction(&mut small, 0, &payload), Err(CorrectionError::RegionOutside(0)));
    // Truncated region data: rewrite the packet with the first entry cut short.
    let regions: Vec<RoiRegion> = payload.regions().unwrap().iter().copied().collect();
    let sizes: Vec<u32> = asp_core::packet::Tiles::of_correction(&payload).map(|t| t.len() as u32).collect();
    let data = payload.tile_data().unwrap().bytes();
    let cut = sizes[0] as usize / 4;
    let short: Vec<u8> = data[..cut].iter().chain(&data[sizes[0] as usize..]).copied().collect();
    let mut writer = asp_core::packet::PacketWriter::new();
    let correction = asp_core::packet::Correction {
        ref_sequence: 0,
        capture_time_us: 0,
        qp: payload.qp(),
        regions: &regions,
        sizes: &[cut as u32, sizes[1]],
        data: &short,
    };
    let bytes = writer.write_c(0, flags::DISCARDABLE, &correction).unwrap().to_vec();
    let damaged = Packet::parse(&bytes).unwrap();
    let Payload::C(damaged) = damaged.payload() else { panic!() };
    let mut copy = frame.clone();
    assert_eq!(apply_correction(&mut copy, 0, &damaged), Err(CorrectionError::Damaged(0)));
}
