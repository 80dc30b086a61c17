//! Feedback one viewer cannot abuse: a BitrateAdjust flood at the floor,
//! keyframe requests (RequestKeyframe and Nack) many times a second, a
//! flood of valid Pings. A healthy viewer keeps every frame, and the
//! stream's rate and keyframe cadence stay as they were.

use std::time::{Duration, Instant};

use asp_core::packet::Sync as SyncPacket;
use asp_core::schema::SyncCommand;
use asp_core::PacketWriter;
use asp_encoder::RateMode;
use asp_hostile_tests::*;
use asp_server::{ServerConfig, StreamPolicy};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

const MAX_GAP: Duration = Duration::from_millis(700);
const BITRATE: u64 = 800_000;

fn config() -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.webtransport = false;
    config
}

fn s_packet(command: SyncCommand, bitrate_kbps: u32, sequences: &[u32]) -> Vec<u8> {
    let s = SyncPacket { bitrate_kbps, sequences, ..SyncPacket::command(command) };
    PacketWriter::new().write_s(0, 0, &s).expect("S-packet").to_vec()
}

async fn send(ws: &mut Ws, packet: &[u8]) -> bool {
    ws.send(Message::Binary(packet.to_vec().into())).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_viewer_cannot_drag_everyones_bitrate_down() {
    let mut encoder = constant_qp();
    encoder.rate = RateMode::Bitrate { bits_per_second: BITRATE, buffer_seconds: 1.0 };
    let server = start_with(config(), StreamPolicy::for_bitrate(BITRATE), encoder).await;
    let healthy = Healthy::start(&server).await;
    let mut attacker = websocket_from(ATTACKER, server.addr).await;
    let floor = s_packet(SyncCommand::BitrateAdjust, 1, &[]);
    let until = Instant::now() + Duration::from_millis(2500);
    while Instant::now() < until {
        assert!(send(&mut attacker, &floor).await, "the attacker was cut off for a few reports a second");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(server.hub.stats().bitrate_target, BITRATE, "one viewer's report set everyone's bitrate");
    }
    assert_eq!(server.hub.control().bitrate(), BITRATE);
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_viewer_cannot_raise_everyones_keyframe_rate() {
    let server = start(config(), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let mut attacker = websocket_from(ATTACKER, server.addr).await;
    first_frame(&mut attacker, Duration::from_secs(3)).await;
    let before = server.hub.stats();
    let keyframe = s_packet(SyncCommand::RequestKeyframe, 0, &[]);
    let nack = s_packet(SyncCommand::Nack, 0, &[1, 2, 3]);
    let until = Instant::now() + Duration::from_secs(3);
    let mut sent = 0;
    while Instant::now() < until {
        let packet = if sent % 2 == 0 { &keyframe } else { &nack };
        assert!(send(&mut attacker, packet).await);
        sent += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = server.hub.stats();
    let forced = after.forced_keyframes - before.forced_keyframes;
    assert!(forced <= 1, "{sent} requests in 3 s from one viewer forced {forced} keyframes");
    // The regular cadence (one a second) plus at most the one it forced.
    let keyframes = after.keyframes - before.keyframes;
    assert!(keyframes <= 5, "{keyframes} keyframes in 3 s");
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_valid_messages_is_cut_down_then_cut_off() {
    let server = start(config(), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let mut attacker = websocket_from(ATTACKER, server.addr).await;
    let ping = s_packet(SyncCommand::Ping, 0, &[]);
    let started = Instant::now();
    let mut sent = 0;
    // 2000 pings, as fast as the socket takes them; the server may close
    // the connection before they are all written.
    while sent < 2000 && send(&mut attacker, &ping).await {
        sent += 1;
    }
    let mut pongs = 0;
    let close = loop {
        match next(&mut attacker, Duration::from_secs(3)).await {
            Some(Got::Notice) => pongs += 1,
            Some(Got::Frame(_)) => {}
            Some(Got::Closed(close)) => break close,
            None => panic!("a viewer flooding {sent} pings was not cut off ({pongs} answered)"),
        }
    };
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("too many messages"), "{reason}");
    // A burst's worth answered, plus what the rate refilled meanwhile.
    let refilled = (started.elapsed().as_secs_f64() * 50.0) as u32;
    assert!(pongs <= 100 + refilled + 1, "{pongs} pings answered");
    assert!(server.hub.stats().throttled_messages > 0);
    healthy.check(MAX_GAP).await;
}
