//! Faults: viewers vanishing mid-frame, half-open connections, garbage and
//! oversized messages, the input stalling and closing, connection churn.
//! In every case the server keeps serving a healthy viewer, frame after
//! frame, without a gap.

mod support;

use std::net::SocketAddr;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use asp_core::codec::frame::Frame;
use asp_core::packet::{IFrame, StreamInfo, Sync as SyncPacket};
use asp_core::schema::SyncCommand;
use asp_core::{Packet, PacketWriter};
use asp_encoder::testsrc::TestSource;
use asp_encoder::{FrameSource, SourceError, SourceRead};
use asp_encoder::source::TestPattern;
use asp_server::{LiveOptions, ViewerLimits};
use futures_util::SinkExt;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

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

/// A WebSocket handshake by hand on a raw socket: what the server sends
/// after it is up to the test.
async fn raw_viewer(addr: SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /asp/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    tcp
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_vanishing_mid_frame_do_not_disturb_the_others() {
    let server = endless_server().await;
    let healthy = Healthy::start(server.addr).await;
    for _ in 0..20 {
        let mut tcp = raw_viewer(server.addr).await;
        // Read the response and part of the first frame, then vanish (RST).
        let mut buf = vec![0u8; 600];
        let mut got = 0;
        while got < buf.len() {
            let n = tcp.read(&mut buf[got..]).await.unwrap();
            assert!(n > 0, "the server closed first");
            got += n;
        }
        socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO)).unwrap();
        drop(tcp);
    }
    wait_for(&server.hub, Duration::from_secs(5), "the vanished viewers to be gone", |s| s.viewers == 1).await;
    let before = healthy.finish(&server.hub).await;
    assert!(before >= 20, "the healthy viewer got {before} frames");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_connection_times_out() {
    let server = endless_server().await;
    let healthy = Healthy::start(server.addr).await;
    // Handshake, then silence both ways: the peer is "there" but does not
    // read, write or answer pings.
    let mut tcp = raw_viewer(server.addr).await;
    wait_for(&server.hub, Duration::from_secs(5), "the silent viewer to join", |s| s.viewers == 2).await;
    wait_for(&server.hub, Duration::from_secs(10), "the silent viewer to time out", |s| s.viewers == 1).await;
    // The server closed its end: reading what is buffered ends in EOF.
    let mut sink = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut sink)).await;
    assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "the socket was not closed");
    assert!(healthy.finish(&server.hub).await > 20);
}

fn s_packet(command: SyncCommand) -> Vec<u8> {
    PacketWriter::new().write_s(0, 0, &SyncPacket::command(command)).unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_oversized_messages_close_only_their_sender() {
    let server = endless_server().await;
    let healthy = Healthy::start(server.addr).await;

    // Garbage, text, a non-S packet, a damaged S-packet: refused, then the
    // connection is closed with "protocol error".
    let mut bad = connect(server.addr).await;
    let keyframe = {
        let stream = StreamInfo::new(16, 16, 30);
        PacketWriter::new().write_i(1, 0, &IFrame::new(stream)).unwrap().to_vec()
    };
    let mut damaged = s_packet(SyncCommand::Ping);
    let last = damaged.len() - 1;
    damaged[last] ^= 0xFF;
    bad.send(Message::Binary(b"\x00\x01garbage".to_vec().into())).await.unwrap();
    bad.send(Message::Text("hello".into())).await.unwrap();
    bad.send(Message::Binary(keyframe.into())).await.unwrap();
    for _ in 0..6 {
        bad.send(Message::Binary(damaged.clone().into())).await.unwrap();
    }
    let (_, close) = read_to_end(&mut bad, Duration::from_secs(5)).await;
    let (code, reason) = close.expect("a close frame");
    assert_eq!(code, 1008);
    assert!(reason.contains("protocol error"), "{reason}");

    // A message over the 4 KiB limit: closed at once (1009, message too big).
    let mut big = connect(server.addr).await;
    let _ = big.send(Message::Binary(vec![0x41; 100_000].into())).await;
    let (_, close) = read_to_end(&mut big, Duration::from_secs(5)).await;
    assert_eq!(close.map(|c| c.0), Some(1009));

    // A good S-packet on a good connection is still fine.
    let mut good = connect(server.addr).await;
    send_packet(&mut good, &s_packet(SyncCommand::RequestKeyframe)).await;
    wait_for(&server.hub, Duration::from_secs(5), "the bad viewers to be gone", |s| s.viewers == 2).await;
    assert!(server.hub.stats().bad_messages >= 8);
    assert!(healthy.finish(&server.hub).await >= 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_connects_and_disconnects() {
    let server = endless_server().await;
    let healthy = Healthy::start(server.addr).await;
    for i in 0..1000 {
        let mut ws = connect(server.addr).await;
        if i % 2 == 0 {
            let _ = ws.close(None).await;
        }
        drop(ws);
    }
    wait_for(&server.hub, Duration::from_secs(10), "the churn to settle", |s| s.viewers == 1 && s.joined >= 1001).await;
    assert!(healthy.finish(&server.hub).await >= 20);
}

/// A source fed by the test: frames when the test sends them, a stall when
/// it does not, the end when it drops the sender. The live loop blocks on
/// it exactly as it blocks on a stalled pipe.
struct Fed {
    frames: std_mpsc::Receiver<u64>,
    pattern: TestSource,
}

impl FrameSource for Fed {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }
    fn fps(&self) -> (u32, u32) {
        (30, 1)
    }
    fn paced(&self) -> bool {
        false
    }
    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        match self.frames.recv() {
            Ok(n) => {
                self.pattern.frame_into(n, frame)?;
                Ok(SourceRead::Frame)
            }
            Err(_) => Ok(SourceRead::End),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_input_stalling_then_closing() {
    let (feed, frames) = std_mpsc::channel();
    let source = Fed { frames, pattern: TestSource::new(WIDTH, HEIGHT).unwrap() };
    let server = start(Box::new(source), encoder_config(10, 30), limits(), LiveOptions { stamp: true, ..LiveOptions::default() }).await;
    let mut first = connect(server.addr).await;
    wait_for(&server.hub, Duration::from_secs(5), "the viewer", |s| s.viewers == 1).await;
    for n in 0..15 {
        feed.send(n).unwrap();
    }
    for expected in 0..15 {
        let Got::Packet(bytes, _) = next(&mut first, Duration::from_secs(5)).await else { panic!("closed") };
        assert_eq!(Packet::parse(&bytes).unwrap().sequence(), expected);
    }

    // The input stalls for longer than the idle timeout: the viewer (whose
    // client answers the server's pings) stays, a Ping is answered, and a
    // viewer joining now still gets the keyframe run to start from.
    let quiet = tokio::time::timeout(Duration::from_secs(3), next(&mut first, Duration::from_secs(10))).await;
    assert!(quiet.is_err(), "something arrived while the input was stalled: {quiet:?}");
    send_packet(&mut first, &s_packet(SyncCommand::Ping)).await;
    let Got::Packet(bytes, _) = next(&mut first, Duration::from_secs(5)).await else { panic!("closed in the stall") };
    assert_eq!(sync_command(&bytes), Some(SyncCommand::Pong));
    let mut joiner = connect(server.addr).await;
    let Got::Packet(bytes, _) = next(&mut joiner, Duration::from_secs(5)).await else { panic!("closed") };
    assert_eq!(Packet::parse(&bytes).unwrap().sequence(), 10, "the joiner starts at the last keyframe");
    assert_eq!(server.hub.stats().viewers, 2);

    // The input closes: everyone gets EndOfStream and a normal close.
    drop(feed);
    for ws in [&mut first, &mut joiner] {
        let (packets, close) = read_to_end(ws, Duration::from_secs(5)).await;
        let last = packets.last().expect("an end of stream");
        assert_eq!(sync_command(&last.0), Some(SyncCommand::EndOfStream));
        assert_eq!(close.map(|c| c.0), Some(1000));
    }
    // A viewer arriving after the end learns it at once.
    let mut after = connect(server.addr).await;
    let (packets, _) = read_to_end(&mut after, Duration::from_secs(5)).await;
    assert_eq!(packets.len(), 1);
    assert_eq!(sync_command(&packets[0].0), Some(SyncCommand::EndOfStream));
}
