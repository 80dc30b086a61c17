//! WebTransport delivers the same bytes as WebSocket; Ping gets Pong on both.

mod support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use asp_core::packet::{Payload, Sync};
use asp_core::schema::SyncCommand;
use asp_core::{Packet, PacketReader, PacketWriter, ReadEvent};
use asp_encoder::source::TestPattern;
use asp_server::{LiveOptions, ViewerLimits};
use support::*;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint};

async fn wt_connect(server: &TestServer) -> Connection {
    let hash = Sha256Digest::new(server.certificate_hash.expect("WebTransport is on"));
    let config = ClientConfig::builder().with_bind_default().with_server_certificate_hashes([hash]).build();
    let url = format!("https://127.0.0.1:{}/asp/wt", server.wt_addr.unwrap().port());
    Endpoint::client(config).unwrap().connect(url).await.expect("WebTransport connect")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webtransport_delivers_the_same_bytes_as_websocket() {
    let source = TestPattern::new(WIDTH, HEIGHT, 30, Some(50)).unwrap();
    let options = LiveOptions { stamp: true, wait_for_viewers: 2, ..LiveOptions::default() };
    let server = start(Box::new(source), encoder_config(15, 26), ViewerLimits::default(), options).await;
    let connection = wt_connect(&server).await;
    let mut ws = connect(server.addr).await;
    let (wt_bytes, (ws_packets, _)) =
        tokio::join!(wt_read(&connection, false), read_to_end(&mut ws, Duration::from_secs(10)));
    let ws_bytes: Vec<u8> = ws_packets.iter().flat_map(|(b, _)| b.iter().copied()).collect();
    assert_eq!(ws_packets.len(), 51, "50 frames and the end of stream");
    assert_eq!(wt_bytes.len(), ws_bytes.len());
    assert!(wt_bytes == ws_bytes, "WebTransport and WebSocket bytes differ");
}

fn ping(timestamp_us: u64) -> Vec<u8> {
    let mut s = Sync::command(SyncCommand::Ping);
    s.sequence = 77;
    s.timestamp_us = timestamp_us;
    PacketWriter::new().write_s(0, 0, &s).unwrap().to_vec()
}

fn assert_pong(bytes: &[u8], timestamp_us: u64) {
    let packet = Packet::parse(bytes).unwrap();
    let Payload::S(s) = packet.payload() else { panic!("not an S-packet") };
    assert_eq!((s.command(), s.sequence(), s.timestamp_us()), (SyncCommand::Pong, 77, timestamp_us));
    // The server's clock, the one capture times are stamped with.
    let now_us = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
    assert!(now_us.abs_diff(s.reply_time_us()) < 10_000_000, "reply time {} vs now {now_us}", s.reply_time_us());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_gets_pong_on_both_transports() {
    let source = TestPattern::new(WIDTH, HEIGHT, 30, None).unwrap();
    let server = start(Box::new(source), encoder_config(30, 30), ViewerLimits::default(), LiveOptions { stamp: true, ..LiveOptions::default() }).await;

    let mut ws = connect(server.addr).await;
    send_packet(&mut ws, &ping(123_456)).await;
    loop {
        let Got::Packet(bytes, _) = next(&mut ws, Duration::from_secs(5)).await else { panic!("closed") };
        if sync_command(&bytes) == Some(SyncCommand::Pong) {
            assert_pong(&bytes, 123_456);
            break;
        }
    }

    let connection = wt_connect(&server).await;
    let mut control = connection.open_uni().await.unwrap().await.unwrap();
    control.write_all(&ping(654_321)).await.unwrap();
    let bytes = wt_read(&connection, true).await;
    let mut reader = PacketReader::new();
    reader.push(&bytes);
    let mut last = None;
    while let Some(ReadEvent::Packet { packet, .. }) = reader.next_event() {
        last = Some(packet.as_bytes().to_vec());
    }
    assert_pong(&last.expect("a pong"), 654_321);

    // A Ping as a datagram (how <asp-player>'s WebTransport source talks
    // back), on a new session: the first one's stream was dropped half-read
    // above, which the server takes as the viewer leaving.
    let connection = wt_connect(&server).await;
    connection.send_datagram(ping(111_111)).unwrap();
    let bytes = wt_read(&connection, true).await;
    let mut reader = PacketReader::new();
    reader.push(&bytes);
    let mut last = None;
    while let Some(ReadEvent::Packet { packet, .. }) = reader.next_event() {
        last = Some(packet.as_bytes().to_vec());
    }
    assert_pong(&last.expect("a pong"), 111_111);
}
