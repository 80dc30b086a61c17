//! The browser decoder, natively (through the Rust twins of its JS entry
//! points): same frames as asp-core's decoder whatever the chunking, damage
//! reported as values, recovery at the next keyframe, no panic on corrupted
//! streams, and the player fixtures' expected pictures.

use asp_core::codec::decoder::Decoder as CoreDecoder;
use asp_core::packet::Packet;
use asp_encoder::testsrc::TestSource;
use asp_encoder::{Encoder, EncoderConfig, Qp, RateMode};
use asp_wasm::checksum::i420_crc32;
use asp_wasm::Decoder as Player;

/// The frame on show's checksum.
fn shown(player: &Player) -> u32 {
    i420_crc32(player.player().picture().unwrap())
}

/// `frames` packets of the test picture, keyframe every `keyint`, 2x2 tiles.
fn stream(width: u32, height: u32, frames: u64, keyint: u32) -> Vec<Vec<u8>> {
    let mut config = EncoderConfig::new(width, height, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(30).unwrap());
    config.keyint = keyint;
    config.tiles = Some((2, 2));
    let mut encoder = Encoder::new(config).unwrap();
    let mut source = TestSource::new(width, height).unwrap();
    (0..frames)
        .map(|n| {
            let frame = source.frame(n).unwrap();
            encoder.encode(&frame, 1_700_000_000_000_000 + n * 40_000).unwrap().packet.to_vec()
        })
        .collect()
}

/// Checksums from asp-core's decoder, one per packet.
fn reference(packets: &[Vec<u8>]) -> Vec<u32> {
    let mut decoder = CoreDecoder::new();
    packets
        .iter()
        .map(|p| {
            let packet = Packet::parse(p).unwrap();
            i420_crc32(decoder.decode(&packet).unwrap().unwrap().frame)
        })
        .collect()
}

#[test]
fn push_in_any_chunks_gives_the_native_frames() {
    let packets = stream(72, 40, 12, 5);
    let want = reference(&packets);
    let all: Vec<u8> = packets.concat();
    for chunk in [1, 7, 100, 1000, all.len()] {
        let mut player = Player::default();
        assert!(player.needs_keyframe());
        let mut got = Vec::new();
        for piece in all.chunks(chunk) {
            player.push_bytes(piece);
            while player.next_frame() {
                got.push(shown(&player));
                assert_eq!(player.error(), None);
            }
        }
        assert_eq!(got, want, "chunk {chunk}");
        assert!(!player.needs_keyframe());
        assert_eq!(player.frames_decoded(), 12.0);
        assert_eq!(player.buffered_bytes(), 0);
    }
}

/// `start_next_frame` + `finish_next_frame` (with `--features threads`
/// the decode runs on the rayon pool in between) give the frames and the
/// errors of `next_frame`, the RGBA of the picture on show taken before
/// the start is still in its buffer after the finish (what a renderer draws
/// meanwhile), and the decoder shows nothing while the decode is away.
#[test]
fn a_frame_decoded_in_two_halves_is_the_native_frame() {
    let packets = stream(72, 40, 12, 5);
    let want = reference(&packets);
    let mut player = Player::default();
    let mut all = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let mut p = p.clone();
        if i == 7 {
            let n = p.len();
            p[n / 2] ^= 0x10;
        }
        all.extend_from_slice(&p);
    }
    player.push_bytes(&all);
    let mut got = Vec::new();
    let mut errors = 0;
    loop {
        let before = player.has_frame().then(|| {
            assert_ne!(player.rgba(), 0);
            player.rgba_buffer().to_vec()
        });
        player.start_next_frame();
        player.start_next_frame(); // a second start does nothing
        if cfg!(feature = "threads") {
            assert!(!player.has_frame() && player.rgba() == 0, "the picture is away with the decode");
        }
        let fresh = player.finish_next_frame();
        if let Some(before) = before {
            assert_eq!(player.rgba_buffer(), &before[..]);
        }
        errors += usize::from(player.error().is_some());
        if !fresh {
            break;
        }
        got.push((player.sequence(), shown(&player)));
    }
    // Packet 7 damaged: 8 and 9 wait for keyframe 10.
    let expected: Vec<(u32, u32)> = [0, 1, 2, 3, 4, 5, 6, 10, 11].iter().map(|&i| (i, want[i as usize])).collect();
    assert_eq!(got, expected);
    assert_eq!(errors, 1);
    // Without a start, the finish is next_frame.
    player.push_bytes(&packets[0]);
    assert!(player.finish_next_frame());
    assert_eq!(shown(&player), want[0]);
}

/// Bytes pushed while the next frame decodes (on the pool with `--features
/// threads`) wait for that decode and are all decoded afterwards.
#[test]
fn bytes_pushed_during_the_next_decode_are_kept() {
    let packets = stream(72, 40, 8, 5);
    let want = reference(&packets);
    let mut player = Player::default();
    player.push_bytes(&packets[0]);
    let mut got = Vec::new();
    // Frame n decodes while packet n + 1 arrives.
    for p in packets.iter().skip(1).map(Some).chain([None]) {
        player.start_next_frame();
        if let Some(p) = p {
            player.push_bytes(p);
        }
        assert!(player.finish_next_frame(), "{:?}", player.error());
        got.push(shown(&player));
    }
    assert!(!player.finish_next_frame());
    assert_eq!(got, want);
}

#[test]
fn a_keyframe_tells_the_stream_facts() {
    let packets = stream(40, 24, 4, 0);
    let mut player = Player::default();
    assert_eq!(player.fps(), 0.0);
    let all = packets.concat();
    player.push_bytes(&all);
    assert!(player.next_frame());
    assert!(player.keyframe());
    assert_eq!(player.capture_time_us(), Some(1_700_000_000_000_000.0));
    assert_eq!(player.fps(), 25.0);
    // The encoder's defaults: limited range, BT.709.
    assert_eq!((player.color_range(), player.color_matrix()), (0, 1));
}

#[test]
fn discard_drops_what_waits_and_waits_for_a_keyframe() {
    let packets = stream(40, 24, 9, 4);
    let want = reference(&packets);
    let mut player = Player::default();
    let head = packets[..3].concat();
    player.push_bytes(&head);
    assert!(player.next_frame());
    assert_eq!(player.discard(), 2);
    assert!(player.needs_keyframe());
    // Delta frames 3 and 5.. follow: 3 is dropped, keyframe 4 resumes.
    let tail = packets[3..].concat();
    player.push_bytes(&tail);
    let mut got = Vec::new();
    while player.next_frame() {
        got.push(player.sequence());
        assert_eq!(shown(&player), want[got[got.len() - 1] as usize]);
    }
    assert_eq!(got, [4, 5, 6, 7, 8]);
    assert_eq!(player.frames_dropped(), 3.0);
}

#[test]
fn whole_packets_give_the_native_frames() {
    let packets = stream(50, 34, 8, 4);
    let want = reference(&packets);
    let mut player = Player::default();
    let got: Vec<u32> = packets
        .iter()
        .map(|p| {
            assert!(player.decode_bytes(p), "{:?}", player.error());
            shown(&player)
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_damaged_packet_waits_for_the_next_keyframe() {
    let packets = stream(64, 48, 10, 5);
    let want = reference(&packets);
    let mut player = Player::default();
    for (i, p) in packets.iter().enumerate() {
        let mut p = p.clone();
        if i == 2 {
            let n = p.len();
            p[n / 2] ^= 0x10;
        }
        let fresh = player.decode_bytes(&p);
        match i {
            0 | 1 => assert!(fresh && player.error().is_none()),
            2 => {
                assert!(!fresh);
                assert!(player.error().unwrap().contains("damaged packet"), "{:?}", player.error());
                assert!(player.needs_keyframe());
            }
            3 | 4 => {
                assert!(!fresh && player.error().is_none() && player.needs_keyframe());
                // The last good frame stays on show.
                assert_eq!(shown(&player), want[1]);
                assert_eq!(player.sequence(), 1);
            }
            _ => {
                assert!(fresh && !player.needs_keyframe());
                assert_eq!(shown(&player), want[i]);
            }
        }
    }
    assert_eq!((player.frames_decoded(), player.frames_dropped(), player.errors()), (7.0, 2.0, 1.0));
}

#[test]
fn damage_in_a_pushed_stream_is_reported_and_skipped() {
    let packets = stream(64, 48, 10, 5);
    let want = reference(&packets);
    let mut all = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        all.extend_from_slice(p);
        if i == 1 {
            all.extend_from_slice(b"\x00garbage ASP1 not a packet");
        }
    }
    let mut player = Player::default();
    player.push_bytes(&all);
    let mut got = Vec::new();
    let mut errors = Vec::new();
    loop {
        let fresh = player.next_frame();
        if let Some(e) = player.error() {
            errors.push(e.to_owned());
        }
        if !fresh {
            break;
        }
        got.push((player.sequence(), shown(&player)));
    }
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("damaged data at byte"), "{errors:?}");
    // Frames 2..5 are dropped (the damage may have hidden a keyframe), 5.. decode.
    let want: Vec<(u32, u32)> = [0, 1, 5, 6, 7, 8, 9].iter().map(|&i| (i as u32, want[i])).collect();
    assert_eq!(got, want);
    assert_eq!(player.frames_dropped(), 3.0);
}

#[test]
fn corrupted_streams_never_panic() {
    let packets = stream(48, 32, 6, 3);
    let all = packets.concat();
    let mut rng = asp_testkit::Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut tile_errors = 0;
    // ASP_WASM_FUZZ_ROUNDS=20000 for a longer run.
    let rounds = std::env::var("ASP_WASM_FUZZ_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(200);
    for round in 0..rounds {
        let mut bytes = all.clone();
        for _ in 0..1 + round % 8 {
            let at = (rng.next_u64() % bytes.len() as u64) as usize;
            match rng.next_u64() % 3 {
                0 => bytes[at] ^= 1 << (rng.next_u64() % 8),
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, rng.next_u64() as u8),
            }
        }
        let chunk = 1 + (rng.next_u64() % 300) as usize;
        let mut player = Player::default();
        for piece in bytes.chunks(chunk) {
            player.push_bytes(piece);
            while player.next_frame() {}
        }
        // Damage that keeps the CRC right (a hostile sender): the payload is
        // verified, then tile data reaches the decoder. Errors, no panic.
        let mut player = Player::default();
        for (i, p) in packets.iter().enumerate() {
            let mut p = p.clone();
            if i % 2 == round % 2 {
                let n = p.len();
                // Damage the back half of the payload, where tile data lives.
                for _ in 0..1 + round % 4 {
                    let at = n / 2 + (rng.next_u64() as usize % (n / 2 - 4));
                    p[at] = rng.next_u64() as u8;
                }
                let crc = crc32fast::hash(&p[..n - 4]);
                p[n - 4..].copy_from_slice(&crc.to_be_bytes());
            }
            player.decode_bytes(&p);
            tile_errors += usize::from(player.error().is_some_and(|e| e.contains("not decoded")));
        }
        // Whole-packet path on the same bytes cut at the original lengths.
        let mut player = Player::default();
        let mut at = 0;
        for p in &packets {
            let end = (at + p.len()).min(bytes.len());
            player.decode_bytes(&bytes[at..end]);
            at = end;
        }
    }
    // The CRC-preserving damage did reach the tile decoder.
    assert!(tile_errors > 20, "{tile_errors}");
}

#[test]
fn a_player_joining_an_intra_refresh_stream_recovers_exactly() {
    let mut config = EncoderConfig::new(64, 48, 25, 1);
    config.rate = RateMode::ConstantQp(Qp::new(30).unwrap());
    config.keyint = 4;
    config.intra_refresh = true;
    let mut encoder = Encoder::new(config).unwrap();
    let mut source = TestSource::new(64, 48).unwrap();
    let packets: Vec<Vec<u8>> =
        (0..16).map(|n| encoder.encode(&source.frame(n).unwrap(), n * 40_000).unwrap().packet.to_vec()).collect();
    let want = reference(&packets);
    // Join after the first frame: no keyframe follows, only refresh starts.
    let mut player = Player::default();
    let tail = packets[1..].concat();
    player.push_bytes(&tail);
    let mut exact = Vec::new();
    let mut recovering = 0;
    while player.next_frame() {
        if player.recovering() {
            recovering += 1;
        } else {
            assert_eq!(shown(&player), want[player.sequence() as usize], "frame {}", player.sequence());
            exact.push(player.sequence());
        }
    }
    assert!(recovering > 0, "joined at a refresh start");
    assert!(!exact.is_empty() && *exact.last().unwrap() == 15, "{exact:?}");
    assert_eq!(player.fps(), 25.0);
}

/// The last picture shown for each sequence (a C-packet refines the
/// picture on show, so the last one is the final one).
fn keep_final(shown: &mut Vec<(u32, u32)>, sequence: u32, crc: u32) {
    match shown.last_mut() {
        Some(last) if last.0 == sequence => last.1 = crc,
        _ => shown.push((sequence, crc)),
    }
}

#[test]
fn the_player_fixtures_show_the_expected_pictures() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../asp-core/tests/data");
    for (name, want) in asp_testkit::fixtures::expected() {
        let stream = std::fs::read(format!("{dir}/{name}.asp")).unwrap();
        // Pushed in chunks, as the player page does.
        let mut player = Player::default();
        let mut got = Vec::new();
        for piece in stream.chunks(100) {
            player.push_bytes(piece);
            while player.next_frame() {
                keep_final(&mut got, player.sequence(), shown(&player));
            }
        }
        assert_eq!(got, want, "{name}, pushed");
        // One whole packet at a time (header: payload length at 12..16).
        let mut player = Player::default();
        let mut got = Vec::new();
        let mut at = 0;
        while at + 16 <= stream.len() {
            let end = at + 20 + u32::from_be_bytes(stream[at + 12..at + 16].try_into().unwrap()) as usize;
            if player.decode_bytes(&stream[at..end]) {
                keep_final(&mut got, player.sequence(), shown(&player));
            }
            at = end;
        }
        assert_eq!(got, want, "{name}, whole packets");
    }
}
