//! The attribution: in the stream facts of the stream's first keyframe
//! only, by default the licence's text, settable and removable, and never
//! a change to a decoded picture.

use asp_core::codec::parallel::Serial;
use asp_core::packet::{Packet, Payload, ATTRIBUTION};
use asp_core::Decoder;
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig};

const W: u32 = 96;
const H: u32 = 64;

/// (attribution of each keyframe, in order; every decoded luma plane).
fn encode(attribution: Option<String>) -> (Vec<Option<String>>, Vec<Vec<u8>>) {
    let mut config = EncoderConfig::new(W, H, 30, 1);
    config.keyint = 4;
    config.attribution = attribution;
    let mut encoder = Encoder::new(config).unwrap();
    let mut decoder = Decoder::new();
    let mut source = TestSource::new(W, H).unwrap();
    let (mut texts, mut pictures) = (Vec::new(), Vec::new());
    for t in 0..10u64 {
        let frame = source.frame(t).unwrap();
        let bytes = encoder.encode(&frame, t * 33_333).unwrap().packet.to_vec();
        let packet = Packet::parse(&bytes).unwrap();
        if let Payload::I(i) = packet.payload() {
            texts.push(i.stream().and_then(|s| s.attribution()).map(str::to_string));
        }
        let decoded = decoder.decode_with(&packet, &Serial).unwrap().expect("a picture");
        pictures.push(decoded.frame.y.clone());
    }
    (texts, pictures)
}

#[test]
fn only_the_first_keyframe_carries_it_by_default() {
    assert_eq!(EncoderConfig::new(W, H, 30, 1).attribution.as_deref(), Some(ATTRIBUTION));
    let (texts, _) = encode(Some(ATTRIBUTION.to_string()));
    assert_eq!(texts, [Some(ATTRIBUTION.to_string()), None, None]);
}

#[test]
fn it_can_be_changed_or_left_out_without_changing_a_picture() {
    let (default_texts, default_pictures) = encode(Some(ATTRIBUTION.to_string()));
    let (own_texts, own_pictures) = encode(Some("Streamed by the Ü test".to_string()));
    let (none_texts, none_pictures) = encode(None);
    assert_eq!(default_texts.len(), 3);
    assert_eq!(own_texts, [Some("Streamed by the Ü test".to_string()), None, None]);
    assert_eq!(none_texts, [None, None, None]);
    assert_eq!(own_pictures, default_pictures);
    assert_eq!(none_pictures, default_pictures);
}
