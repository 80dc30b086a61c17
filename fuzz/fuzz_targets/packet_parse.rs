//! `Packet::parse` and `Packet::parse_prefix` on arbitrary bytes: never
//! panic, agree with each other, and every accessor of a parsed packet works.
//!
//! Each input is parsed twice: as it is, and with its length field and CRC
//! trailer rewritten to fit, so that mutations of the payload reach the
//! FlatBuffers verifier and the frame checks instead of stopping at the CRC.
#![no_main]

use asp_core::packet::{crc32, Packet, MIN_PACKET_LEN};
use asp_core::Limits;
use libfuzzer_sys::fuzz_target;

/// Every cap well below the default, so a packet these accept, the
/// defaults accept too.
const TIGHT: Limits = Limits {
    max_payload_len: 4096,
    max_width: 64,
    max_height: 64,
    max_pixels: 64 * 64,
    max_tiles: 4,
    max_flatbuffer_depth: 4,
    max_flatbuffer_tables: 8,
};

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= MIN_PACKET_LEN {
        let mut fixed = data.to_vec();
        let crc_at = fixed.len() - 4;
        fixed[12..16].copy_from_slice(&((crc_at - 16) as u32).to_be_bytes());
        let crc = crc32(&fixed[..crc_at]);
        fixed[crc_at..].copy_from_slice(&crc.to_be_bytes());
        check(&fixed);
    }
});

fn check(data: &[u8]) {
    let prefix = Packet::parse_prefix(data, &Limits::DEFAULT);
    let whole = Packet::parse(data);
    match &prefix {
        Ok(p) => {
            std::hint::black_box(asp_fuzz::touch(p));
            assert!(p.len() <= data.len());
            assert_eq!(p.as_bytes(), &data[..p.len()]);
            // Exactly the packet's bytes parse as one packet; more do not.
            let again = Packet::parse(p.as_bytes()).expect("a parsed prefix parses alone");
            assert_eq!(again.as_bytes(), p.as_bytes());
            assert_eq!(whole.is_ok(), p.len() == data.len());
        }
        Err(e) => {
            assert!(whole.is_err(), "parse accepts what parse_prefix refuses: {e}");
            std::hint::black_box((e.kind(), e.to_string()));
            if let Some(offset) = e.offset() {
                assert!(offset <= data.len().max(20), "{e} points past the input");
            }
        }
    }
    if let Ok(p) = &whole {
        std::hint::black_box(asp_fuzz::touch(p));
    }
    if let Ok(tight) = Packet::parse_prefix(data, &TIGHT) {
        let p = prefix.as_ref().expect("tight limits accept what the defaults refuse");
        assert_eq!(tight.as_bytes(), p.as_bytes());
    }
}
