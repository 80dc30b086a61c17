//! The decode rules, tested once, on the fixture streams in `tests/data`
//! (made by asp-encode; see `crates/asp-cli/tests/player_fixtures.rs`).
//! `expected.txt` there, written from these tests with
//! `ASP_WRITE_FIXTURES=1`, is what every front end must show.

extern crate std;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use std::format;

use super::*;
use crate::codec::parallel::Serial;
use crate::packet::PacketError;

const C_STACKED: &[u8] = include_bytes!("../../tests/data/c-stacked.asp");
const DAMAGED: &[u8] = include_bytes!("../../tests/data/damaged.asp");
const DELTA_FIRST: &[u8] = include_bytes!("../../tests/data/delta-first.asp");
const REFRESH_JOINED: &[u8] = include_bytes!("../../tests/data/refresh-joined.asp");

const FIXTURES: [(&str, &[u8]); 4] =
    [("c-stacked", C_STACKED), ("damaged", DAMAGED), ("delta-first", DELTA_FIRST), ("refresh-joined", REFRESH_JOINED)];

/// CRC-32 of the cropped I420 bytes (what asp-decode writes for a frame).
fn crc(frame: &Frame) -> u32 {
    let mut bytes = Vec::new();
    frame.write_i420(&mut bytes);
    crc32fast::hash(&bytes)
}

/// The packets of a stream, cut at the lengths their headers declare.
fn packets(stream: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER_LEN <= stream.len() {
        let len = HEADER_LEN + u32::from_be_bytes(stream[at + 12..at + 16].try_into().unwrap()) as usize + TRAILER_LEN;
        out.push(&stream[at..at + len]);
        at += len;
    }
    out
}

/// Every event, with the CRC of the picture on show after it.
fn drain(player: &mut Player, out: &mut Vec<(Event, Option<u32>)>) {
    while let Some(event) = player.next_event(&Serial) {
        out.push((event, player.picture().map(crc)));
    }
}

/// The stream in chunks of `chunk` bytes.
fn play_chunks(stream: &[u8], settings: Settings, chunk: usize) -> (Vec<(Event, Option<u32>)>, Player) {
    let mut player = Player::new(settings);
    let mut out = Vec::new();
    for piece in stream.chunks(chunk) {
        player.push(piece).unwrap();
        drain(&mut player, &mut out);
    }
    player.finish();
    drain(&mut player, &mut out);
    (out, player)
}

/// The stream one whole packet at a time.
fn play_packets(stream: &[u8], settings: Settings) -> (Vec<(Event, Option<u32>)>, Player) {
    let mut player = Player::new(settings);
    let mut out = Vec::new();
    for packet in packets(stream) {
        player.push_packet(packet).unwrap();
        drain(&mut player, &mut out);
    }
    player.finish();
    drain(&mut player, &mut out);
    (out, player)
}

/// The final pictures: `(sequence, crc)` at each `Final`.
fn finals(events: &[(Event, Option<u32>)]) -> Vec<(u32, u32)> {
    events
        .iter()
        .filter_map(|(e, crc)| match e {
            Event::Final(meta) => Some((meta.sequence, crc.unwrap())),
            _ => None,
        })
        .collect()
}

/// Every `Picture` is followed by `Refined`s only, then one `Final`,
/// before the next `Picture`.
fn assert_one_final_per_picture(events: &[(Event, Option<u32>)]) {
    let mut open = None;
    for (event, _) in events {
        match event {
            Event::Picture(meta) => {
                assert_eq!(open, None, "picture {} before the previous was final", meta.sequence);
                open = Some(meta.sequence);
            }
            Event::Refined(meta) => assert_eq!(open, Some(meta.sequence)),
            Event::Final(meta) => assert_eq!(open.take(), Some(meta.sequence)),
            _ => {}
        }
    }
    assert_eq!(open, None, "the last picture was not made final");
}

/// Frames as asp-core's decoder makes them, by sequence, for I/D packets.
fn base_frames(stream: &[u8]) -> Vec<(u32, Frame)> {
    let mut decoder = Decoder::new();
    let mut out = Vec::new();
    for bytes in packets(stream) {
        let Ok(packet) = Packet::parse(bytes) else { continue };
        if let Ok(Some(d)) = decoder.decode(&packet) {
            out.push((d.sequence, d.frame.clone()));
        }
    }
    out
}

#[test]
fn c_packets_stack_on_the_picture_on_show_and_never_touch_the_reference() {
    let (events, player) = play_chunks(C_STACKED, Settings::default(), 100);
    assert_one_final_per_picture(&events);
    let base = base_frames(C_STACKED);
    let c: Vec<Packet<'_>> =
        packets(C_STACKED).into_iter().map(|p| Packet::parse(p).unwrap()).filter(|p| p.packet_type() == PacketType::C).collect();
    let c_payload = |i: usize| match c[i].payload() {
        Payload::C(p) => p,
        _ => unreachable!(),
    };
    // The C-packets by hand: frame 1 once, frame 4 twice in a row (stacked),
    // 5 and 7 once; the second copy of frame 1's comes after frame 2.
    let mut want = Vec::new();
    for (sequence, frame) in &base {
        let mut frame = frame.clone();
        let applied: &[usize] = match sequence {
            1 => &[0],
            4 => &[2, 3],
            5 => &[4],
            7 => &[5],
            _ => &[],
        };
        for &i in applied {
            apply_correction(&mut frame, *sequence, &c_payload(i)).unwrap();
        }
        want.push((*sequence, crc(&frame)));
    }
    assert_eq!(finals(&events), want);
    let once = {
        let mut f = base[4].1.clone();
        apply_correction(&mut f, 4, &c_payload(2)).unwrap();
        crc(&f)
    };
    assert_ne!(want[4].1, once, "the second C-packet changed the picture");
    // The stale C-packet is refused, typed; nothing waits for a keyframe.
    let refused: Vec<&Event> = events.iter().map(|(e, _)| e).filter(|e| matches!(e, Event::Error(_))).collect();
    assert_eq!(refused, [&Event::Error(Error::WrongFrame { sequence: 1, wanted: 1, on_show: Some(2) })]);
    let stats = player.stats();
    assert_eq!((stats.decoded, stats.refined, stats.errors, stats.dropped), (8, 5, 1, 0));
    assert!(!player.needs_keyframe());
    let refined: Vec<u32> = events
        .iter()
        .filter_map(|(e, _)| if let Event::Refined(m) = e { Some(m.sequence * 10 + m.refinements) } else { None })
        .collect();
    assert_eq!(refined, [11, 41, 42, 51, 71]);

    // Dropping C-packets shows the decoder's frames exactly.
    let settings = Settings { drop_c: true, ..Settings::default() };
    let (events, player) = play_packets(C_STACKED, settings);
    let plain: Vec<(u32, u32)> = base.iter().map(|(s, f)| (*s, crc(f))).collect();
    assert_eq!(finals(&events), plain);
    assert_eq!(player.stats().errors, 0);
    assert!(!events.iter().any(|(e, _)| matches!(e, Event::Refined(_))));
}

#[test]
fn a_c_packet_with_nothing_on_show_is_refused() {
    let c = packets(C_STACKED)[2];
    let mut player = Player::default();
    player.push_packet(c).unwrap();
    assert_eq!(
        player.next_event(&Serial),
        Some(Event::Error(Error::WrongFrame { sequence: 1, wanted: 1, on_show: None }))
    );
    assert_eq!(player.next_event(&Serial), None);
    assert_eq!(player.picture(), None);
}

#[test]
fn damage_waits_for_the_next_keyframe() {
    let (events, player) = play_chunks(DAMAGED, Settings::default(), 64);
    assert_one_final_per_picture(&events);
    let kinds: Vec<String> = events
        .iter()
        .map(|(e, _)| match e {
            Event::Picture(m) => format!("P{}", m.sequence),
            Event::Final(m) => format!("F{}", m.sequence),
            Event::Dropped { sequence, waiting } => format!("D{sequence}{waiting:?}"),
            Event::Error(Error::Damaged { offset, .. }) => format!("damaged@{offset}"),
            other => format!("{other:?}"),
        })
        .collect();
    let want = [
        "P0", "F0", "P1", "F1", "damaged@812", "D3Loss", "P4", "F4", "P5", "F5", "P6", "F6", "P7", "F7", "P8", "F8", "P9", "F9",
    ];
    assert_eq!(kinds, want);
    let stats = player.stats();
    assert_eq!((stats.decoded, stats.dropped, stats.damaged, stats.failed, stats.errors), (8, 1, 1, 0, 1));
    assert_eq!(player.damaged_bytes(), 212);
    // Whole packets: the damaged one is a bad packet, the pictures the same.
    let (whole, _) = play_packets(DAMAGED, Settings::default());
    assert_eq!(finals(&whole), finals(&events));
    assert!(whole.iter().any(|(e, _)| matches!(e, Event::Error(Error::BadPacket(PacketError::CrcMismatch { .. })))));
    // The pictures are the decoder's, from keyframe 4 on.
    let base = base_frames(DAMAGED);
    let want: Vec<(u32, u32)> = base.iter().filter(|(s, _)| *s != 2 && *s != 3).map(|(s, f)| (*s, crc(f))).collect();
    assert_eq!(&finals(&events)[2..], &want[2..]);
}

#[test]
fn delta_frames_before_the_first_keyframe_are_dropped() {
    let (events, player) = play_packets(DELTA_FIRST, Settings::default());
    let dropped: Vec<&Event> = events.iter().map(|(e, _)| e).take(3).collect();
    let d = |sequence| Event::Dropped { sequence, waiting: Waiting::Start };
    assert_eq!(dropped, [&d(1), &d(2), &d(3)]);
    assert!(matches!(events[3].0, Event::Picture(FrameMeta { sequence: 4, keyframe: true, .. })));
    assert_eq!(finals(&events).iter().map(|f| f.0).collect::<Vec<_>>(), [4, 5, 6, 7, 8, 9]);
    assert_eq!(player.stats().dropped, 3);
    assert_eq!(player.stats().errors, 0);
    let facts = player.facts().unwrap();
    assert_eq!((facts.fps_num, facts.fps_den), (25, 1));
    assert_eq!((facts.color_range, facts.color_matrix), (ColorRange::Limited, ColorMatrix::Bt709));
}

#[test]
fn an_intra_refresh_stream_is_joined_at_a_refresh_start() {
    let (events, player) = play_chunks(REFRESH_JOINED, Settings::default(), 1000);
    assert_one_final_per_picture(&events);
    let d = |sequence| Event::Dropped { sequence, waiting: Waiting::Start };
    assert_eq!(events[0].0, d(2));
    assert_eq!(events[1].0, d(3));
    let pictures: Vec<FrameMeta> =
        events.iter().filter_map(|(e, _)| if let Event::Picture(m) = e { Some(*m) } else { None }).collect();
    assert_eq!(pictures.iter().map(|m| m.sequence).collect::<Vec<_>>(), (4..12).collect::<Vec<_>>());
    assert!(pictures[0].recovering && !pictures[0].keyframe, "joined from grey at refresh start 4");
    assert!(!pictures.last().unwrap().recovering, "exact once the cycle completes");
    // The colour facts come from the refresh start: there is no keyframe.
    assert_eq!(player.facts().map(|f| (f.fps_num, f.color_matrix)), Some((25, ColorMatrix::Bt709)));
}

#[test]
fn chunking_changes_nothing() {
    for (name, stream) in FIXTURES {
        let (want, _) = play_chunks(stream, Settings::default(), stream.len());
        for chunk in [1, 7, 300] {
            let (got, _) = play_chunks(stream, Settings::default(), chunk);
            assert_eq!(got, want, "{name} in chunks of {chunk}");
        }
    }
}

#[test]
fn reset_and_discard_make_the_picture_final_and_wait() {
    let p = packets(DELTA_FIRST);
    let mut player = Player::default();
    let mut events = Vec::new();
    player.push(&p[3..6].concat()).unwrap();
    drain(&mut player, &mut events);
    assert_eq!(player.meta().unwrap().sequence, 6, "frames 4, 5, 6 decoded; 6 may still be refined");
    assert!(!matches!(events.last(), Some((Event::Final(_), _))));
    player.push(&p[6][..10]).unwrap();
    player.reset();
    assert_eq!(player.waiting(), Some(Waiting::Reset));
    assert!(matches!(player.next_event(&Serial), Some(Event::Final(FrameMeta { sequence: 6, .. }))));
    assert_eq!(player.next_event(&Serial), None);
    assert_eq!(player.buffered_bytes(), 0, "the reset dropped the start of frame 7");
    assert!(player.picture().is_some(), "the last picture stays readable");
    player.push(&p[6..].concat()).unwrap();
    assert_eq!(player.discard(), 3);
    assert_eq!(player.stats().dropped, 3);
    player.push(p[6]).unwrap();
    assert_eq!(player.next_event(&Serial), Some(Event::Dropped { sequence: 7, waiting: Waiting::Reset }));
}

#[test]
fn input_past_the_buffer_bound_is_dropped_and_reported() {
    let settings = Settings::default();
    let mut player = Player::new(settings);
    let big = vec![0u8; settings.max_buffered];
    player.push(&big).unwrap();
    assert_eq!(player.push(b"ASP1"), Err(Error::FellBehind { dropped: settings.max_buffered }));
    assert_eq!(player.buffered_bytes(), 4);
    assert_eq!(player.stats().errors, 1);
}

/// `tests/data/expected.txt`: the final pictures of each fixture, which
/// every front end must show.
#[test]
fn expected_pictures() {
    let fixtures: Vec<(&str, Vec<(u32, u32)>)> =
        FIXTURES.iter().map(|(name, stream)| (*name, finals(&play_chunks(stream, Settings::default(), 4096).0))).collect();
    let text = asp_testkit::fixtures::format_expected(&fixtures);
    let path = asp_testkit::fixtures::data_dir().join("expected.txt");
    if std::env::var_os("ASP_WRITE_FIXTURES").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn a_pong_between_pictures_is_kept_for_the_viewer_and_changes_nothing_else() {
    use crate::packet::{PacketWriter, Sync};
    use crate::schema::SyncCommand;
    let mut writer = PacketWriter::new();
    let pong = Sync { sequence: 5, timestamp_us: 1_000, reply_time_us: 9_000, ..Sync::command(SyncCommand::Pong) };
    let pong = writer.write_s(0, 0, &pong).unwrap().to_vec();
    let ping = Sync { sequence: 6, timestamp_us: 2_000, ..Sync::command(SyncCommand::Ping) };
    let ping = writer.write_s(0, 0, &ping).unwrap().to_vec();

    let stream = packets(C_STACKED);
    let (expected, _) = play_packets(C_STACKED, Settings::default());
    let mut player = Player::default();
    let mut events = Vec::new();
    for (n, packet) in stream.iter().enumerate() {
        player.push_packet(packet).unwrap();
        drain(&mut player, &mut events);
        if n == 1 {
            for s_packet in [&ping, &pong] {
                player.push_packet(s_packet).unwrap();
                drain(&mut player, &mut events);
            }
            let want = Pong { ping_sequence: 5, ping_time_us: 1_000, reply_time_us: 9_000 };
            assert_eq!(player.take_pong(), Some(want));
            assert_eq!(player.take_pong(), None, "taken once");
        }
    }
    player.finish();
    drain(&mut player, &mut events);
    assert_eq!(events, expected);
}
