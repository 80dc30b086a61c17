//! Rust reads packets that the flatc-generated Python builders wrote.
//!
//! `tests/interop/fixtures/python_written.asp` is
//! `tests/interop/write_packets.py FIXTURE 3`: field for field what
//! `examples/synthetic_stream.rs` writes for 3 frames, laid out by another
//! language's FlatBuffers builder. `tests/interop/test_interop.py` (run by
//! `make test-interop`) checks that the committed file is what the writer writes.

use asp_core::packet::{flags, CaptureClock, Packet, PacketReader, Payload, ReadEvent};
use asp_core::schema::{ColorMatrix, ColorRange, RoiType, SyncCommand};
use asp_core::PacketType;

const FIXTURE: &[u8] = include_bytes!("../../../tests/interop/fixtures/python_written.asp");
const FRAMES: u32 = 3;

fn capture_time_us(seq: u32) -> u64 {
    1_000_000 + u64::from(seq) * 40_000
}

/// Checks packet number `n` of the stream against synthetic_stream.rs;
/// `clock` has seen the packets before it.
fn check(n: u32, p: &Packet<'_>, clock: &mut CaptureClock) {
    assert_eq!(p.sequence(), n);
    let captured = clock.observe(p);
    let want_flags = if n == FRAMES { flags::DISCARDABLE } else { 0 };
    assert_eq!(p.flags(), want_flags, "packet {n}");
    match p.payload() {
        Payload::I(i) => {
            assert_eq!(n, 0);
            let s = i.stream().expect("stream info");
            assert_eq!((s.width(), s.height(), s.fps_num(), s.fps_den()), (320, 240, 25, 1));
            assert_eq!((s.color_range(), s.color_matrix()), (ColorRange::Limited, ColorMatrix::Bt709));
            assert_eq!(s.attribution(), Some(asp_core::packet::ATTRIBUTION));
            assert_eq!((i.qp(), i.capture_time_us(), captured), (26, capture_time_us(0), Some(capture_time_us(0))));
            assert!(i.tile_sizes().is_none(), "one tile: no size table");
            let tiles: Vec<&[u8]> = p.tiles().collect();
            let want: Vec<u8> = (0..64u32).map(|i| (i * 7 % 251) as u8).collect();
            assert_eq!(tiles, [&want[..]]);
        }
        Payload::D(d) => {
            assert!((1..FRAMES).contains(&n), "D-packet at {n}");
            // The usual reference and the delta capture time, as the Rust writer writes them.
            assert_eq!((d.ref_sequence(), p.ref_sequence()), (None, Some(n - 1)));
            assert_eq!((d.qp(), d.capture_time_us(), captured), (28, None, Some(capture_time_us(n))));
            assert_eq!((d.motion_block_size(), d.motion_vector_precision()), (16, 1));
            assert_eq!(p.tiles().len(), 0);
            let mvs = d.motion_vectors().expect("motion vectors");
            assert_eq!(mvs.len(), 20 * 15);
            for (k, mv) in mvs.iter().enumerate() {
                let (bx, by) = (k as u32 % 20, k as u32 / 20);
                assert_eq!((u32::from(mv.block_x()), u32::from(mv.block_y())), (bx, by));
                assert_eq!(i32::from(mv.dx()), ((bx + n) % 9) as i32 - 4, "dx of block ({bx}, {by}) in {n}");
                assert_eq!(i32::from(mv.dy()), ((by * 3 + n) % 7) as i32 - 3, "dy of block ({bx}, {by}) in {n}");
                assert_eq!(mv.sad(), bx * 100 + by + n, "sad of block ({bx}, {by}) in {n}");
            }
        }
        Payload::C(c) => {
            assert_eq!(n, FRAMES);
            assert!(c.tile_sizes().is_none(), "one region: no size table");
            assert_eq!((c.ref_sequence(), c.qp(), c.capture_time_us()), (FRAMES - 1, 20, capture_time_us(FRAMES - 1)));
            let regions = c.regions().expect("regions");
            assert_eq!(regions.len(), 1);
            let face = regions.get(0);
            let b = face.bounds();
            assert_eq!((b.x(), b.y(), b.width(), b.height()), (96, 64, 48, 48));
            assert_eq!((face.confidence(), face.roi_type(), face.priority()), (0.9, RoiType::Face, 3));
            assert_eq!(p.tiles().collect::<Vec<_>>(), [&[1u8, 2, 3][..]]);
        }
        Payload::S(s) if n == FRAMES + 1 => {
            assert_eq!((s.command(), s.timestamp_us(), s.reason()), (SyncCommand::Ping, 123_456_789, None));
        }
        Payload::S(s) => {
            assert_eq!(n, FRAMES + 2);
            assert_eq!((s.command(), s.reason()), (SyncCommand::EndOfStream, Some("end of input")));
        }
    }
}

/// Reads the fixture in `chunk`-byte pieces; returns the packet types seen.
fn read(chunk: usize) -> Vec<PacketType> {
    let mut reader = PacketReader::new();
    let mut types = Vec::new();
    let mut clock = CaptureClock::new();
    let mut expected_offset = 0u64;
    let mut drain = |reader: &mut PacketReader| {
        while let Some(event) = reader.next_event() {
            match event {
                ReadEvent::Packet { offset, packet } => {
                    assert_eq!(offset, expected_offset);
                    check(types.len() as u32, &packet, &mut clock);
                    expected_offset += packet.len() as u64;
                    types.push(packet.packet_type());
                }
                ReadEvent::Skipped { offset, len, error } => {
                    panic!("{len} damaged bytes at offset {offset}: {error}")
                }
            }
        }
    };
    for piece in FIXTURE.chunks(chunk) {
        reader.push(piece);
        drain(&mut reader);
    }
    reader.finish();
    drain(&mut reader);
    assert_eq!((reader.buffered(), reader.skipped_bytes()), (0, 0));
    assert_eq!(expected_offset, FIXTURE.len() as u64);
    types
}

#[test]
fn rust_reads_the_python_written_fixture() {
    use PacketType::{C, D, I, S};
    for chunk in [FIXTURE.len(), 1000, 7, 1] {
        assert_eq!(read(chunk), [I, D, D, C, S, S], "chunks of {chunk} bytes");
    }
}
