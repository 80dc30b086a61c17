//! Property tests: arbitrary valid packets survive write → read; arbitrary
//! bytes never panic; chunking and garbage never lose a valid packet.

mod common;

use asp_core::packet::{
    CaptureClock, DFrame, IFrame, Packet, PacketReader, PacketWriter, Payload, ReadEvent, StreamInfo, Sync, TileSet,
};
use asp_core::schema::{MotionVector, SyncCommand};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Spec {
    I { width: u32, height: u32, fps: u32, qp: u8, capture: u64, tiles: Vec<Vec<u8>>, columns: u8 },
    D { reference: u32, capture: u64, mvs: Vec<(u16, u16, i16, i16, u32)> },
    S { command: u8, sequence: u32, bitrate: u32, sequences: Vec<u32>, reason: Option<String> },
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        (1u32..=8192, 1u32..=8192, 1u32..240, 0u8..=51, any::<u64>(), prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..8))
            .prop_map(|(width, height, fps, qp, capture, tiles)| {
                let columns = tiles.len() as u8;
                Spec::I { width, height, fps, qp, capture, tiles, columns }
            }),
        (any::<u32>(), any::<u64>(), prop::collection::vec(any::<(u16, u16, i16, i16, u32)>(), 0..100))
            .prop_map(|(reference, capture, mvs)| Spec::D { reference, capture, mvs }),
        (1u8..=8, any::<u32>(), any::<u32>(), prop::collection::vec(any::<u32>(), 0..20), prop::option::of("[a-z ]{0,30}"))
            .prop_map(|(command, sequence, bitrate, sequences, reason)| Spec::S { command, sequence, bitrate, sequences, reason }),
    ]
}

fn write(writer: &mut PacketWriter, seq: u32, spec: &Spec) -> Vec<u8> {
    match spec {
        Spec::I { width, height, fps, qp, capture, tiles, columns } => {
            let sizes: Vec<u32> = tiles.iter().map(|t| t.len() as u32).collect();
            let data: Vec<u8> = tiles.concat();
            let frame = IFrame {
                capture_time_us: *capture,
                qp: *qp,
                tiles: TileSet { columns: *columns, rows: 1, sizes: &sizes, data: &data },
                ..IFrame::new(StreamInfo::new(*width, *height, *fps))
            };
            writer.write_i(seq, 0, &frame).unwrap().to_vec()
        }
        Spec::D { reference, capture, mvs } => {
            let mvs: Vec<MotionVector> = mvs.iter().map(|&(x, y, dx, dy, sad)| MotionVector::new(x, y, dx, dy, sad)).collect();
            let frame = DFrame { ref_sequence: *reference, capture_time_us: *capture, motion_vectors: &mvs, ..DFrame::default() };
            writer.write_d(seq, 0, &frame).unwrap().to_vec()
        }
        Spec::S { command, sequence, bitrate, sequences, reason } => {
            let s = Sync {
                command: SyncCommand(*command),
                sequence: *sequence,
                sequences,
                bitrate_kbps: *bitrate,
                quality: 0,
                timestamp_us: 0,
                reason: reason.as_deref(),
            };
            writer.write_s(seq, 0, &s).unwrap().to_vec()
        }
    }
}

/// `clock` has seen the packets before this one, as a reader would.
fn check(packet: &Packet<'_>, spec: &Spec, clock: &mut CaptureClock) {
    let captured = clock.observe(packet);
    match (packet.payload(), spec) {
        (Payload::I(p), Spec::I { width, height, fps, qp, capture, tiles, columns }) => {
            let s = p.stream().unwrap();
            assert_eq!((u32::from(s.width()), u32::from(s.height()), s.fps_num()), (*width, *height, *fps));
            assert_eq!((p.qp(), p.tile_columns()), (*qp, *columns));
            assert_eq!(captured, (*capture != 0).then_some(*capture));
            let got: Vec<&[u8]> = packet.tiles().collect();
            let want: Vec<&[u8]> = tiles.iter().map(Vec::as_slice).collect();
            assert_eq!(got, want);
        }
        (Payload::D(p), Spec::D { reference, capture, mvs }) => {
            assert_eq!((packet.ref_sequence(), captured), (Some(*reference), (*capture != 0).then_some(*capture)));
            let got: Vec<_> = p
                .motion_vectors()
                .map(|v| v.iter().map(|m| (m.block_x(), m.block_y(), m.dx(), m.dy(), m.sad())).collect())
                .unwrap_or_default();
            assert_eq!(&got, mvs);
        }
        (Payload::S(p), Spec::S { command, sequence, bitrate, sequences, reason }) => {
            assert_eq!((p.command().0, p.sequence(), p.bitrate_kbps()), (*command, *sequence, *bitrate));
            let got: Vec<u32> = p.sequences().map(|v| v.iter().collect()).unwrap_or_default();
            assert_eq!(&got, sequences);
            assert_eq!(p.reason(), reason.as_deref());
        }
        (payload, spec) => panic!("kind changed: wrote {spec:?}, read {payload:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_packets_survive_write_then_read(specs in prop::collection::vec(spec(), 1..6)) {
        let mut writer = PacketWriter::new();
        let mut clock = CaptureClock::new();
        for (seq, spec) in specs.iter().enumerate() {
            let bytes = write(&mut writer, seq as u32, spec);
            let packet = Packet::parse(&bytes).unwrap();
            prop_assert_eq!(packet.sequence(), seq as u32);
            check(&packet, spec, &mut clock);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Packet::parse(&bytes);
        let mut reader = PacketReader::new();
        reader.push(&bytes);
        reader.finish();
        let mut consumed = 0u64;
        while let Some(event) = reader.next_event() {
            consumed += match event {
                ReadEvent::Packet { packet, .. } => packet.len() as u64,
                ReadEvent::Skipped { len, .. } => len,
            };
        }
        prop_assert_eq!(consumed, bytes.len() as u64);
    }

    #[test]
    fn corrupted_valid_packets_never_panic(spec in spec(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = write(&mut PacketWriter::new(), 1, &spec);
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        // Re-seal so the CRC passes and the verifier and later checks see the damage.
        common::reseal(&mut bytes);
        if let Ok(packet) = Packet::parse(&bytes) {
            let _ = packet.tiles().count();
            let _ = packet.capture_time_us();
        }
    }

    #[test]
    fn chunking_and_garbage_lose_no_packet(
        specs in prop::collection::vec(spec(), 1..6),
        garbage in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 6),
        chunk in 1usize..200,
        in_place in any::<bool>(),
    ) {
        let mut writer = PacketWriter::new();
        let mut stream = Vec::new();
        let mut garbage_len = 0u64;
        for (seq, spec) in specs.iter().enumerate() {
            stream.extend_from_slice(&garbage[seq]);
            garbage_len += garbage[seq].len() as u64;
            stream.extend_from_slice(&write(&mut writer, seq as u32, spec));
        }
        let mut reader = PacketReader::new();
        let mut seen = Vec::new();
        let mut skipped = 0u64;
        let mut drain = |reader: &mut PacketReader| {
            while let Some(event) = reader.next_event() {
                match event {
                    ReadEvent::Packet { packet, .. } => seen.push(packet.sequence()),
                    ReadEvent::Skipped { len, .. } => skipped += len,
                }
            }
        };
        for piece in stream.chunks(chunk) {
            if in_place {
                reader.push_with(piece.len(), |dst| dst.copy_from_slice(piece)).unwrap();
            } else {
                reader.push(piece);
            }
            drain(&mut reader);
        }
        reader.finish();
        drain(&mut reader);
        prop_assert_eq!(seen, (0..specs.len() as u32).collect::<Vec<_>>());
        prop_assert_eq!(skipped, garbage_len);
    }
}
