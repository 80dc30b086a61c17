//! `PacketReader` on an arbitrary stream cut into arbitrary chunks.
//!
//! Input: byte 0 (mod 8) = how many chunk-size bytes follow; the stream is
//! the rest. Chunk sizes cycle through those bytes, 0 meaning "all the
//! rest"; with none, the stream arrives in one piece.
//!
//! Checks: events tile the stream exactly (offsets contiguous, lengths sum
//! to the input), damaged spans are maximal, every packet re-parses alone to
//! the same bytes, only a plausible packet start is ever left buffered, and
//! the events do not depend on the chunking.
#![no_main]

use asp_core::packet::{Header, Packet, PacketReader, ReadEvent, HEADER_LEN, MAGIC};
use asp_core::Limits;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Packet { offset: u64, len: u64 },
    Skipped { offset: u64, len: u64, kind: &'static str },
}

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n % 8) as usize;
    if rest.len() < n {
        return;
    }
    let (sizes, stream) = rest.split_at(n);
    let chunked = read(stream, sizes);
    if !sizes.is_empty() {
        assert_eq!(chunked, read(stream, &[]), "events depend on the chunking {sizes:?}");
    }
});

fn read(stream: &[u8], sizes: &[u8]) -> Vec<Event> {
    let mut reader = PacketReader::new();
    let mut events = Vec::new();
    let mut pos = 0;
    for &size in sizes.iter().cycle().chain(std::iter::once(&0)) {
        if pos == stream.len() {
            break;
        }
        let end = if size == 0 { stream.len() } else { (pos + usize::from(size)).min(stream.len()) };
        reader.push(&stream[pos..end]);
        pos = end;
        drain(&mut reader, stream, &mut events);
        check_buffered(&stream[pos - reader.buffered()..pos]);
    }
    reader.finish();
    drain(&mut reader, stream, &mut events);
    assert!(reader.next_event().is_none(), "an event after the stream was exhausted");
    assert_eq!(reader.buffered(), 0);

    let mut next_offset = 0;
    let mut skipped = 0;
    for (i, e) in events.iter().enumerate() {
        let (offset, len) = match *e {
            Event::Packet { offset, len } => (offset, len),
            Event::Skipped { offset, len, .. } => {
                skipped += len;
                let previous_skip = i > 0 && matches!(events[i - 1], Event::Skipped { .. });
                assert!(!previous_skip, "two damaged spans in a row: {:?}", &events[i - 1..=i]);
                (offset, len)
            }
        };
        assert_eq!(offset, next_offset, "events do not tile the stream: {events:?}");
        assert!(len > 0, "empty event {e:?}");
        next_offset += len;
    }
    assert_eq!(next_offset, stream.len() as u64, "packets + skipped != input length");
    assert_eq!(reader.skipped_bytes(), skipped);
    events
}

fn drain(reader: &mut PacketReader, stream: &[u8], events: &mut Vec<Event>) {
    while let Some(event) = reader.next_event() {
        events.push(match event {
            ReadEvent::Packet { offset, packet } => {
                let at = offset as usize;
                assert_eq!(packet.as_bytes(), &stream[at..at + packet.len()]);
                let again = Packet::parse(packet.as_bytes()).expect("a yielded packet re-parses");
                assert_eq!(again.as_bytes(), packet.as_bytes());
                std::hint::black_box(asp_fuzz::touch(&packet));
                Event::Packet { offset, len: packet.len() as u64 }
            }
            ReadEvent::Skipped { offset, len, error } => Event::Skipped { offset, len, kind: error.kind() },
        });
    }
}

/// What the reader holds back while waiting for more bytes must be the
/// start of a packet: a piece of the magic, or a valid header whose packet
/// is not complete yet.
fn check_buffered(held: &[u8]) {
    if held.len() >= HEADER_LEN {
        let header = Header::decode(held, &Limits::DEFAULT).expect("buffered bytes start with a valid header");
        assert!(held.len() < header.packet_len(), "a complete packet left buffered");
    } else {
        let n = held.len().min(MAGIC.len());
        assert_eq!(held[..n], MAGIC[..n], "buffered bytes {held:02x?} cannot start a packet");
    }
}
