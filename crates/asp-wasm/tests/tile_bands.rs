//! Row tiles (a one-column tile grid, the encoder's default) are deblocked
//! inside the decoder's tile jobs and only their seams afterwards. The
//! result must be the encoder's reconstruction (which deblocks the whole
//! frame at once) to the bit: with one and with several threads, with
//! tiles one macroblock row high, odd sizes, and QPs where the filter is
//! off, moderate and strong.

use asp_core::codec::decoder::Decoder;
use asp_core::codec::parallel::{Parallel, Serial};
use asp_core::packet::Packet;
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig, Qp, RateMode, Rayon};

fn check(width: u32, height: u32, tiles: (u8, u8), qp: u8, parallel: &impl Parallel) {
    let mut config = EncoderConfig::new(width, height, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(qp).unwrap());
    config.keyint = 4;
    config.tiles = Some(tiles);
    let mut encoder = Encoder::new(config).unwrap();
    let mut source = TestSource::new(width, height).unwrap();
    let mut decoder = Decoder::new();
    for n in 0..7 {
        let frame = source.frame(n * 3).unwrap();
        let packet = encoder.encode(&frame, n * 40_000).unwrap().packet.to_vec();
        let packet = Packet::parse(&packet).unwrap();
        let decoded = decoder.decode_with(&packet, parallel).unwrap().expect("a picture");
        assert!(
            decoded.frame == encoder.reconstruction().unwrap(),
            "{width}x{height} tiles {tiles:?} qp {qp} frame {n}: decoder != encoder"
        );
    }
}

#[test]
fn row_tiles_match_the_encoder_serially() {
    for (width, height, tiles) in [(64, 80, (1, 5)), (64, 80, (1, 2)), (200, 120, (1, 3)), (17, 40, (1, 3)), (48, 16, (1, 1))] {
        for qp in [10, 30, 44, 51] {
            check(width, height, tiles, qp, &Serial);
        }
    }
}

#[test]
fn row_tiles_match_the_encoder_on_threads() {
    for (width, height, tiles) in [(64, 80, (1, 5)), (208, 144, (1, 4)), (200, 120, (1, 3))] {
        for qp in [30, 51] {
            check(width, height, tiles, qp, &Rayon);
        }
    }
}

#[test]
fn column_tiles_still_match() {
    for tiles in [(2, 1), (2, 3)] {
        check(96, 64, tiles, 36, &Serial);
        check(96, 64, tiles, 36, &Rayon);
    }
}
