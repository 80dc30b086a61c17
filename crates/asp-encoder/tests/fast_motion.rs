//! Fast motion over fine texture (a camera panning 28 pixels a frame):
//! the realtime search must find the vectors, so delta frames cost a
//! fraction of a keyframe, and the decoder still shows exactly the
//! encoder's reconstruction.

use asp_core::codec::frame::Frame;
use asp_core::packet::Packet;
use asp_core::{Decoder, Limits};
use asp_encoder::{Encoder, EncoderConfig, Preset, Qp, RateMode};
// The texture the pictures pan over.
use asp_testkit::textured as texel;

const WIDTH: u32 = 256;
const HEIGHT: u32 = 160;
/// Whole pixels the picture moves per frame, right and down.
const PAN: (usize, usize) = (28, 6);

/// Frame `t` of the pan: the window onto the texture at `t * PAN`.
fn picture(t: usize) -> Frame {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut data = vec![128u8; w * h * 3 / 2];
    for y in 0..h {
        for x in 0..w {
            data[y * w + x] = texel(x + t * PAN.0, y + t * PAN.1);
        }
    }
    Frame::from_i420(WIDTH, HEIGHT, &data, &Limits::DEFAULT).unwrap()
}

#[test]
fn a_fast_textured_pan_is_coded_as_motion() {
    let mut config = EncoderConfig::new(WIDTH, HEIGHT, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(30).unwrap());
    config.preset = Preset::Realtime;
    config.keyint = 250;
    let mut encoder = Encoder::new(config).unwrap();
    let mut decoder = Decoder::new();
    let mut sizes = Vec::new();
    for t in 0..6 {
        let packet = encoder.encode(&picture(t), t as u64 * 40_000).unwrap().packet.to_vec();
        sizes.push(packet.len());
        let decoded = decoder.decode(&Packet::parse(&packet).unwrap()).unwrap().expect("a picture");
        assert!(decoded.frame == encoder.reconstruction().unwrap(), "frame {t}: decoder != encoder");
    }
    let keyframe = sizes[0];
    // Each delta frame brings in a 28-pixel strip of new texture (11 % of
    // the picture) and a 6-row one: about a sixth of a keyframe's worth.
    // A search that cannot reach 28 pixels codes most of the picture anew.
    for (t, &size) in sizes.iter().enumerate().skip(2) {
        assert!(size * 3 < keyframe, "frame {t}: {size} bytes against a {keyframe}-byte keyframe: {sizes:?}");
    }
}

/// A hand-held pan: 24 pixels a frame to the right, and a vertical shake
/// that jumps up to 26 rows and changes direction every frame, so neither
/// the previous frame's vectors nor a tile's first blocks know where the
/// picture went; the frame's dominant motion does.
const SHAKE: [usize; 8] = [40, 60, 36, 62, 38, 14, 40, 20];

fn shaken_picture(t: usize, (w, h): (usize, usize)) -> Frame {
    let mut data = vec![128u8; w * h * 3 / 2];
    for y in 0..h {
        for x in 0..w {
            data[y * w + x] = texel(x + t * 24, y + SHAKE[t]);
        }
    }
    Frame::from_i420(w as u32, h as u32, &data, &Limits::DEFAULT).unwrap()
}

#[test]
fn a_shaking_pan_is_coded_as_motion() {
    let (w, h) = (320, 192);
    let mut config = EncoderConfig::new(w as u32, h as u32, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(30).unwrap());
    config.preset = Preset::Realtime;
    config.keyint = 250;
    let mut encoder = Encoder::new(config).unwrap();
    let mut decoder = Decoder::new();
    let mut sizes = Vec::new();
    for t in 0..SHAKE.len() {
        let packet = encoder.encode(&shaken_picture(t, (w, h)), t as u64 * 40_000).unwrap().packet.to_vec();
        sizes.push(packet.len());
        let decoded = decoder.decode(&Packet::parse(&packet).unwrap()).unwrap().expect("a picture");
        assert!(decoded.frame == encoder.reconstruction().unwrap(), "frame {t}: decoder != encoder");
    }
    // Each delta frame brings in a 24-pixel strip (8 % of the picture)
    // and up to 26 rows (14 %): under a third of a keyframe's worth when
    // every block finds the motion.
    let keyframe = sizes[0];
    for (t, &size) in sizes.iter().enumerate().skip(1) {
        assert!(size * 3 < keyframe, "frame {t}: {size} bytes against a {keyframe}-byte keyframe: {sizes:?}");
    }
}
