//! WebTransport faults, as the WebSocket ones in faults.rs: viewers
//! vanishing mid-frame (closing, or going silent behind a dead network),
//! garbage and oversized client messages, and a viewer that stops reading
//! one stream. In every case a healthy viewer keeps getting every frame.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asp_core::packet::Sync as SyncPacket;
use asp_core::schema::SyncCommand;
use asp_core::{PacketReader, PacketType, PacketWriter, ReadEvent};
use asp_encoder::source::TestPattern;
use asp_server::{LiveOptions, ViewerLimits};
use support::*;
use tokio::net::UdpSocket;
use wtransport::error::ConnectionError;
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint, RecvStream, VarInt};

fn limits() -> ViewerLimits {
    ViewerLimits {
        idle_timeout: Duration::from_millis(1500),
        ping_interval: Duration::from_millis(300),
        ..ViewerLimits::default()
    }
}

async fn endless_server() -> TestServer {
    let source = TestPattern::new(WIDTH, HEIGHT, 30, None).unwrap();
    start(Box::new(source), encoder_config(30, 30), limits(), LiveOptions { stamp: true, ..LiveOptions::default() }).await
}

/// A WebTransport session to `addr` (the server's, or a relay in front of it).
async fn wt_connect(server: &TestServer, addr: SocketAddr) -> Connection {
    let hash = Sha256Digest::new(server.certificate_hash.expect("WebTransport is on"));
    let config = ClientConfig::builder()
        .with_bind_default()
        .with_server_certificate_hashes([hash])
        .max_idle_timeout(Some(Duration::from_secs(30)))
        .unwrap()
        .build();
    let url = format!("https://127.0.0.1:{}/asp/wt", addr.port());
    Endpoint::client(config).unwrap().connect(url).await.expect("WebTransport connect")
}

async fn next_stream(connection: &Connection) -> RecvStream {
    tokio::time::timeout(Duration::from_secs(5), connection.accept_uni())
        .await
        .expect("a stream in time")
        .expect("a stream")
}

/// Reads `stream` until its first whole packet; returns the packet type.
async fn first_packet_type(stream: &mut RecvStream) -> PacketType {
    let mut reader = PacketReader::new();
    let mut buf = vec![0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("bytes in time")
            .expect("read")
            .expect("the stream ended before a packet");
        reader.push(&buf[..n]);
        if let Some(event) = reader.next_event() {
            let ReadEvent::Packet { packet, .. } = event else { panic!("damaged WebTransport stream") };
            return packet.packet_type();
        }
    }
}

/// How the server ended a session (code, reason), waiting up to `limit`.
async fn closed_by_server(connection: &Connection, limit: Duration) -> (u32, String) {
    match tokio::time::timeout(limit, connection.closed()).await.expect("the server did not close the session") {
        ConnectionError::ApplicationClosed(close) => {
            (close.code().into_inner() as u32, String::from_utf8_lossy(close.reason()).into_owned())
        }
        other => panic!("the session ended otherwise: {other}"),
    }
}

/// A UDP relay between one client and the server that can be cut: after
/// `cut`, nothing passes either way, as when a viewer's network dies.
struct Relay {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
}

impl Relay {
    async fn start(server: SocketAddr) -> Relay {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let back = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        back.connect(server).await.unwrap();
        let addr = front.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let (client_tx, mut client_rx) = tokio::sync::watch::channel(None::<SocketAddr>);
        {
            let (front, back, cut) = (Arc::clone(&front), Arc::clone(&back), Arc::clone(&cut));
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok((n, from)) = front.recv_from(&mut buf).await {
                    let _ = client_tx.send(Some(from));
                    if !cut.load(Ordering::Relaxed) {
                        let _ = back.send(&buf[..n]).await;
                    }
                }
            });
        }
        {
            let cut = Arc::clone(&cut);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = back.recv(&mut buf).await {
                    let client = *client_rx.borrow_and_update();
                    if let (Some(client), false) = (client, cut.load(Ordering::Relaxed)) {
                        let _ = front.send_to(&buf[..n], client).await;
                    }
                }
            });
        }
        Relay { addr, cut }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webtransport_viewers_vanishing_mid_frame_do_not_disturb_the_others() {
    let server = endless_server().await;
    let wt = server.wt_addr.expect("WebTransport is on");
    let healthy = Healthy::start(server.addr).await;

    // Closing the session in the middle of a packet.
    for _ in 0..5 {
        let connection = wt_connect(&server, wt).await;
        let mut stream = next_stream(&connection).await;
        let mut part = [0u8; 100];
        let _ = stream.read(&mut part).await.expect("the first bytes");
        connection.close(VarInt::from_u32(7), b"gone");
    }
    wait_for(&server.hub, Duration::from_secs(5), "the closed viewers to be gone", |s| s.viewers == 1).await;

    // Going silent in the middle of a packet: the network between viewer
    // and server dies (half-open); QUIC's idle timeout ends the session.
    let relay = Relay::start(wt).await;
    let connection = wt_connect(&server, relay.addr).await;
    let mut stream = next_stream(&connection).await;
    let mut part = [0u8; 100];
    let _ = stream.read(&mut part).await.expect("the first bytes");
    wait_for(&server.hub, Duration::from_secs(5), "the relayed viewer to join", |s| s.viewers == 2).await;
    relay.cut();
    wait_for(&server.hub, Duration::from_secs(10), "the silent viewer to time out", |s| s.viewers == 1).await;
    assert!(healthy.finish(&server.hub).await >= 20);
}

fn s_packet(command: SyncCommand) -> Vec<u8> {
    PacketWriter::new().write_s(0, 0, &SyncPacket::command(command)).unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_webtransport_messages_close_only_their_sender() {
    let server = endless_server().await;
    let wt = server.wt_addr.expect("WebTransport is on");
    let healthy = Healthy::start(server.addr).await;

    // Damaged S-packets and a header announcing a payload far over the
    // 4 KiB limit, on a stream the viewer opens, after a megabyte of junk:
    // refused, then the session is closed with "protocol error".
    let bad = wt_connect(&server, wt).await;
    let mut out = bad.open_uni().await.unwrap().await.unwrap();
    let mut damaged = s_packet(SyncCommand::Ping);
    let last = damaged.len() - 1;
    damaged[last] ^= 0xFF;
    let mut oversized = s_packet(SyncCommand::Ping);
    oversized[12..16].copy_from_slice(&1_000_000u32.to_be_bytes());
    let mut messages = vec![vec![0x41; 1 << 20]];
    for _ in 0..4 {
        messages.push(damaged.clone());
        messages.push(oversized.clone());
    }
    // The junk alone may already get the session closed: a write failing
    // then is the outcome under test, not an error.
    for message in &messages {
        if out.write_all(message).await.is_err() {
            break;
        }
    }
    let (code, reason) = closed_by_server(&bad, Duration::from_secs(10)).await;
    assert_eq!(code, 1);
    assert!(reason.contains("protocol error"), "{reason}");

    // Garbage datagrams: the same.
    let bad = wt_connect(&server, wt).await;
    for i in 0..8u8 {
        bad.send_datagram([0xEE, i, 1, 2, 3]).unwrap();
    }
    let (code, reason) = closed_by_server(&bad, Duration::from_secs(10)).await;
    assert_eq!(code, 1);
    assert!(reason.contains("protocol error"), "{reason}");

    // A good S-packet on a good session is still fine.
    let good = wt_connect(&server, wt).await;
    good.send_datagram(s_packet(SyncCommand::RequestKeyframe)).unwrap();
    wait_for(&server.hub, Duration::from_secs(5), "the bad viewers to be gone", |s| s.viewers == 2).await;
    assert!(server.hub.stats().bad_messages >= 16);
    assert!(healthy.finish(&server.hub).await >= 20);
    drop(good);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_stopping_a_stream_resumes_at_the_next_keyframe() {
    // Keyframes only every 10 s by themselves: the new run after the stop
    // comes from the keyframe the server asks for.
    let source = TestPattern::new(WIDTH, HEIGHT, 30, None).unwrap();
    let server = start(Box::new(source), encoder_config(300, 30), limits(), LiveOptions { stamp: true, ..LiveOptions::default() }).await;
    let wt = server.wt_addr.expect("WebTransport is on");
    let healthy = Healthy::start(server.addr).await;

    let connection = wt_connect(&server, wt).await;
    let mut stream = next_stream(&connection).await;
    assert_eq!(first_packet_type(&mut stream).await, PacketType::I);
    let forced_before = server.hub.stats().forced_keyframes;
    stream.stop(VarInt::from_u32(0));

    // The session lives on, and the next stream starts with a keyframe.
    let mut stream = next_stream(&connection).await;
    let first = first_packet_type(&mut stream).await;
    assert_eq!(first, PacketType::I, "the stream after the stopped one starts with a keyframe");
    assert!(server.hub.stats().forced_keyframes > forced_before, "no keyframe was asked for");
    assert_eq!(server.hub.stats().viewers, 2);
    assert!(healthy.finish(&server.hub).await >= 20);
}
