//! Every SIMD twin against the scalar reference, on hostile tile data: the
//! decoder with this CPU's kernels and the decoder with the scalar ones
//! (`set_mask(CpuFeatures::SCALAR)`) must agree on every packet, the
//! pictures byte for byte and the errors by kind. The unit tests compare
//! the twins kernel by kernel on chosen inputs; this compares them where
//! the bitstream drives them (odd sizes, clipped vectors, edge blocks). The
//! input's layout is [`asp_fuzz::tile_packets`]'s.
#![no_main]

use asp_core::codec::decoder::Decoder;
use asp_core::codec::frame::Frame;
use asp_core::packet::Packet;
use asp_core::{cpu, CpuFeatures};
use asp_fuzz::tile_packets;
use libfuzzer_sys::fuzz_target;

/// The three planes, row by row without the padding.
fn pixels(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    for plane in [frame.luma(), frame.cb(), frame.cr()] {
        for y in 0..plane.height() {
            out.extend_from_slice(plane.row(y).unwrap_or_default());
        }
    }
    out
}

/// What decoding one packet gave: the picture, or the error's text.
fn outcome(decoder: &mut Decoder, packet: &Packet<'_>, features: CpuFeatures) -> Result<Option<Vec<u8>>, String> {
    // Kernels are chosen from the mask at each decode (single-threaded here).
    cpu::set_mask(features);
    let result = decoder.decode(packet).map(|d| d.map(|d| pixels(d.frame))).map_err(|e| e.to_string());
    cpu::set_mask(CpuFeatures::ALL);
    result
}

fuzz_target!(|data: &[u8]| {
    let Some(packets) = tile_packets(data) else { return };
    let (mut host, mut scalar) = (Decoder::new(), Decoder::new());
    for bytes in [&packets.key, &packets.delta].into_iter().flatten() {
        let Ok(packet) = Packet::parse(bytes) else { continue };
        let fast = outcome(&mut host, &packet, CpuFeatures::ALL);
        let reference = outcome(&mut scalar, &packet, CpuFeatures::SCALAR);
        assert_eq!(fast, reference, "the host's twins and the scalar reference disagree");
    }
});
