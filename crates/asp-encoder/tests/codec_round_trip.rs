//! The encoder's reconstruction and the decoder's output agree bit for bit,
//! at several sizes, QPs, presets and tile grids, serial and parallel.

use asp_core::codec::parallel::Serial;
use asp_core::Decoder;
use asp_core::codec::frame::Frame;
use asp_core::packet::Packet;
use asp_core::Limits;
use asp_encoder::{Encoder, EncoderConfig, Preset, Qp, RateMode, Rayon};

/// A moving test picture: a textured background sliding right, a flat
/// square moving down, a gradient band. Deterministic.
fn picture(width: u32, height: u32, t: u32) -> Frame {
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut data = vec![0u8; w * h + 2 * cw * ch];
    for y in 0..h {
        for x in 0..w {
            let sx = x + 2 * t as usize;
            let texture = ((sx * 7 + y * 13) % 32) as u8 + ((sx / 8 + y / 8) % 2) as u8 * 60;
            let mut v = 40 + texture;
            if y > h / 2 {
                v = (x * 255 / w.max(1)) as u8;
            }
            let (qx, qy) = (w / 4, (h / 8 + 3 * t as usize) % h.max(1));
            if x >= qx && x < qx + w / 5 + 1 && y >= qy && y < qy + h / 5 + 1 {
                v = 200;
            }
            data[y * w + x] = v;
        }
    }
    for i in 0..cw * ch {
        data[w * h + i] = (100 + (i % cw) * 50 / cw.max(1)) as u8;
        data[w * h + cw * ch + i] = (150 - (i / cw.max(1)) * 40 / ch.max(1)) as u8;
    }
    Frame::from_i420(width, height, &data, &Limits::DEFAULT).unwrap()
}

fn psnr(a: &Frame, b: &Frame) -> f64 {
    let mse: f64 = a.y.iter().zip(&b.y).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum::<f64>() / a.y.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse.max(1e-9)).log10()
}

fn check(width: u32, height: u32, qp: u8, preset: Preset, tiles: Option<(u8, u8)>, frames: u32, parallel: bool) -> f64 {
    let mut config = EncoderConfig::new(width, height, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(qp).unwrap());
    config.preset = preset;
    config.tiles = tiles;
    config.keyint = 5;
    let mut encoder = Encoder::new(config).unwrap();
    let mut decoder = Decoder::new();
    let mut worst = f64::INFINITY;
    for t in 0..frames {
        let source = picture(width, height, t);
        let packet = encoder.encode(&source, u64::from(t) * 40_000).unwrap().packet.to_vec();
        let packet = Packet::parse(&packet).unwrap();
        let decoded = if parallel { decoder.decode_with(&packet, &Rayon) } else { decoder.decode_with(&packet, &Serial) };
        let decoded = decoded.unwrap().expect("a picture");
        let recon = encoder.reconstruction().unwrap();
        assert!(decoded.frame == recon, "{width}x{height} qp {qp} {preset} frame {t}: decoder != encoder");
        worst = worst.min(psnr(&source, recon));
    }
    worst
}

#[test]
fn decoder_matches_encoder_reconstruction() {
    for (w, h) in [(64, 48), (17, 9), (1, 1), (96, 80)] {
        for qp in [10, 30, 51] {
            check(w, h, qp, Preset::Realtime, None, 7, false);
        }
    }
}

#[test]
fn every_preset_and_tile_grid_matches() {
    for preset in Preset::ALL {
        for tiles in [None, Some((2, 2)), Some((3, 1))] {
            check(128, 96, 26, preset, tiles, 6, true);
        }
    }
}

#[test]
fn quality_is_sane() {
    let psnr_low_qp = check(128, 96, 12, Preset::Realtime, None, 6, false);
    let psnr_high_qp = check(128, 96, 40, Preset::Realtime, None, 6, false);
    assert!(psnr_low_qp > 40.0, "qp 12: {psnr_low_qp:.1} dB");
    assert!(psnr_high_qp > 22.0, "qp 40: {psnr_high_qp:.1} dB");
    assert!(psnr_low_qp > psnr_high_qp + 8.0);
}

/// A delta frame without its reference is refused with a typed error, and
/// the next keyframe brings the decoder back, bit-exact again.
#[test]
fn lost_frames_wait_for_the_next_keyframe() {
    use asp_core::DecodeError;
    let mut config = EncoderConfig::new(64, 48, 25, 1);
    config.keyint = 4;
    let mut encoder = Encoder::new(config).unwrap();
    let packets: Vec<(Vec<u8>, Frame)> = (0..8)
        .map(|t| {
            let p = encoder.encode(&picture(64, 48, t), 0).unwrap().packet.to_vec();
            (p, encoder.reconstruction().unwrap().clone())
        })
        .collect();
    let mut decoder = Decoder::new();
    // A delta frame first: no keyframe yet.
    let err = decoder.decode(&Packet::parse(&packets[1].0).unwrap()).unwrap_err();
    assert_eq!(err, DecodeError::NoKeyframe);
    decoder.decode(&Packet::parse(&packets[0].0).unwrap()).unwrap();
    // Frame 1 is lost: frame 2 predicts from a frame this decoder lacks.
    let err = decoder.decode(&Packet::parse(&packets[2].0).unwrap()).unwrap_err();
    assert_eq!(err, DecodeError::MissingReference { wanted: 1, have: 0 });
    // So is frame 3; the keyframe at 4 recovers, and 5.. follow exactly.
    assert!(decoder.decode(&Packet::parse(&packets[3].0).unwrap()).is_err());
    for (packet, recon) in &packets[4..] {
        let decoded = decoder.decode(&Packet::parse(packet).unwrap()).unwrap().unwrap();
        assert!(decoded.frame == recon);
    }
}

/// Packets and reconstructions of `frames` frames of the moving picture.
fn coded_stream(config: EncoderConfig, frames: u32) -> Vec<(Vec<u8>, Frame)> {
    let (width, height) = (config.width, config.height);
    let mut encoder = Encoder::new(config).unwrap();
    (0..frames)
        .map(|t| {
            let p = encoder.encode(&picture(width, height, t), 0).unwrap().packet.to_vec();
            (p, encoder.reconstruction().unwrap().clone())
        })
        .collect()
}

/// `packet` with other header flags (and its CRC made right again).
fn with_flags(packet: &[u8], flags: u16) -> Vec<u8> {
    let mut p = packet.to_vec();
    p[6..8].copy_from_slice(&flags.to_be_bytes());
    let body = p.len() - 4;
    let crc = asp_core::packet::crc32(&p[..body]);
    p[body..].copy_from_slice(&crc.to_be_bytes());
    p
}

#[test]
fn delta_frames_continue_their_references_models() {
    use asp_core::packet::flags::MODELS_FROM_REFERENCE;
    let mut config = EncoderConfig::new(96, 64, 25, 1);
    config.keyint = 4;
    config.tiles = Some((1, 2));
    let packets = coded_stream(config, 9);
    let mut decoder = Decoder::new();
    for (i, (packet, recon)) in packets.iter().enumerate() {
        let packet = Packet::parse(packet).unwrap();
        // Keyframes start fresh; every delta frame continues.
        assert_eq!(packet.flags() & MODELS_FROM_REFERENCE != 0, i % 4 != 0, "frame {i}");
        let decoded = decoder.decode(&packet).unwrap().unwrap();
        assert!(decoded.frame == recon, "frame {i}");
    }
}

#[test]
fn the_models_flag_changes_the_decode() {
    // A decoder that ignored the flag would decode the frame without it
    // the same way: it must not.
    let packets = coded_stream(EncoderConfig::new(96, 64, 25, 1), 3);
    let mut decoder = Decoder::new();
    decoder.decode(&Packet::parse(&packets[0].0).unwrap()).unwrap();
    let stripped = with_flags(&packets[1].0, 0);
    match decoder.decode(&Packet::parse(&stripped).unwrap()) {
        Ok(Some(decoded)) => assert!(decoded.frame != &packets[1].1),
        Ok(None) => panic!("a D frame without a picture"),
        Err(_) => {}
    }
}

#[test]
fn models_of_another_tile_grid_are_refused() {
    use asp_core::DecodeError;
    let one = coded_stream(EncoderConfig::new(96, 64, 25, 1), 1);
    let mut two_tiles = EncoderConfig::new(96, 64, 25, 1);
    two_tiles.tiles = Some((1, 2));
    let two = coded_stream(two_tiles, 2);
    let mut decoder = Decoder::new();
    decoder.decode(&Packet::parse(&one[0].0).unwrap()).unwrap();
    // Frame 1 of the two-tile stream predicts from a frame 0 this decoder
    // has, but its models were the one-tile frame's.
    let err = decoder.decode(&Packet::parse(&two[1].0).unwrap()).unwrap_err();
    assert_eq!(err, DecodeError::MissingModels);
    // A keyframe of the right grid restores them.
    decoder.decode(&Packet::parse(&two[0].0).unwrap()).unwrap();
    let decoded = decoder.decode(&Packet::parse(&two[1].0).unwrap()).unwrap().unwrap();
    assert!(decoded.frame == &two[1].1);
}

#[test]
fn a_refresh_start_that_continues_models_cannot_be_joined() {
    use asp_core::packet::flags::MODELS_FROM_REFERENCE;
    use asp_core::packet::Payload;
    use asp_core::DecodeError;
    let mut config = EncoderConfig::new(96, 64, 25, 1);
    config.keyint = 6;
    config.intra_refresh = true;
    let packets = coded_stream(config, 12);
    let start = packets
        .iter()
        .position(|(p, _)| matches!(Packet::parse(p).unwrap().payload(), Payload::D(d) if d.refresh_frames() != 0))
        .expect("a refresh start");
    assert_eq!(Packet::parse(&packets[start].0).unwrap().flags() & MODELS_FROM_REFERENCE, 0);
    // Joined there, the stream decodes; with the flag forged on, it is refused.
    let forged = with_flags(&packets[start].0, MODELS_FROM_REFERENCE);
    assert_eq!(Decoder::new().decode(&Packet::parse(&forged).unwrap()).unwrap_err(), DecodeError::MissingModels);
    let mut decoder = Decoder::new();
    for (packet, _) in &packets[start..] {
        decoder.decode(&Packet::parse(packet).unwrap()).unwrap().unwrap();
    }
}
