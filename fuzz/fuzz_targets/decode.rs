//! The codec decoder on hostile tile data: never panic, never hang, never
//! allocate by a number from the wire. The input's layout is
//! [`asp_fuzz::tile_packets`]'s.
#![no_main]

use asp_core::codec::decoder::Decoder;
use asp_core::packet::Packet;
use asp_fuzz::tile_packets;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(packets) = tile_packets(data) else { return };
    let mut decoder = Decoder::new();
    if let Some(Ok(packet)) = packets.key.as_deref().map(Packet::parse) {
        let _ = decoder.decode(&packet);
    }
    if let Some(Ok(packet)) = packets.delta.as_deref().map(Packet::parse) {
        if let Ok(Some(frame)) = decoder.decode(&packet) {
            let size = (packets.width as usize, packets.height as usize);
            assert_eq!((frame.frame.width(), frame.frame.height()), size);
        }
    }
});
