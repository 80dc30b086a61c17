//! A viewer that stops reading does not delay anyone else, and is told
//! what it missed when it reads again.

mod support;

use std::time::Duration;

use asp_core::packet::{CaptureClock, Payload};
use asp_core::schema::SyncCommand;
use asp_core::Packet;
use asp_encoder::source::TestPattern;
use asp_server::{LiveOptions, ViewerLimits};
use support::*;
use tokio::net::TcpSocket;

/// A WebSocket viewer with a tiny receive window, which then reads nothing.
async fn stalled_viewer(addr: std::net::SocketAddr) -> Ws {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(addr).await.unwrap();
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/asp/ws"), stream).await.unwrap();
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_viewer_does_not_delay_a_fast_one() {
    const FRAMES: u64 = 120;
    let source = TestPattern::new(WIDTH, HEIGHT, 30, Some(FRAMES)).unwrap();
    let limits = ViewerLimits {
        queue_len: 4,
        socket_send_buffer: Some(8 << 10),
        max_skip_time: Duration::from_secs(60),
        max_skip_episodes: 100,
        ..ViewerLimits::default()
    };
    let options = LiveOptions { stamp: true, wait_for_viewers: 2, ..LiveOptions::default() };
    // A low QP: frames of several kilobytes, so the stalled viewer's buffers fill fast.
    let server = start(Box::new(source), encoder_config(15, 8), limits, options).await;
    let mut stalled = stalled_viewer(server.addr).await;
    let mut fast = connect(server.addr).await;

    // The stalled viewer reads nothing until the fast one has seen frame 60.
    let (wake, woken) = tokio::sync::oneshot::channel::<()>();
    let stalled_reader = tokio::spawn(async move {
        let _ = woken.await;
        read_to_end(&mut stalled, Duration::from_secs(10)).await
    });
    let mut packets = Vec::new();
    let mut wake = Some(wake);
    let close = loop {
        match next(&mut fast, Duration::from_secs(10)).await {
            Got::Packet(bytes, at) => {
                if Packet::parse(&bytes).unwrap().sequence() >= 60 && sync_command(&bytes).is_none() {
                    if let Some(w) = wake.take() {
                        let _ = w.send(());
                    }
                }
                packets.push((bytes, at));
            }
            Got::Closed(close) => break close,
        }
    };
    assert_eq!(close.map(|c| c.0), Some(1000), "normal close after the end of stream");
    let frames: Vec<_> = packets.iter().filter(|(b, _)| sync_command(b).is_none()).collect();
    let sequences: Vec<u32> = frames.iter().map(|(b, _)| Packet::parse(b).unwrap().sequence()).collect();
    assert_eq!(sequences, (0..FRAMES as u32).collect::<Vec<_>>(), "the fast viewer got every frame in order");
    // Lag: arrival time minus capture time, per frame (both on this machine's clock).
    let mut clock = CaptureClock::new();
    let mut lags: Vec<u64> = frames
        .iter()
        .map(|(b, at)| at.saturating_sub(clock.observe(&Packet::parse(b).unwrap()).expect("capture time")))
        .collect();
    lags.sort_unstable();
    let stats = server.hub.stats();
    assert!(stats.skip_episodes >= 1, "the stalled viewer never fell behind, so the test proved nothing: {stats:?}");
    let worst = *lags.last().unwrap();
    let median = lags[lags.len() / 2];
    // The stalled viewer held nothing up: the fast one got each frame about
    // as soon as it was encoded (generous bounds for a loaded 2-core machine;
    // a blocked publisher would add the 4 s of the whole stream).
    assert!(median < 100_000, "median lag {median} us");
    assert!(worst < 1_000_000, "worst lag {worst} us");

    // The stalled viewer, reading at last: a skip notice covers its gap.
    let (packets, _) = stalled_reader.await.unwrap();
    let mut expected: Option<u32> = None;
    let mut notices = 0;
    for (bytes, _) in &packets {
        let packet = Packet::parse(bytes).unwrap();
        match packet.payload() {
            Payload::S(s) if s.command() == SyncCommand::Nack => {
                let missed: Vec<u32> = s.sequences().unwrap().iter().collect();
                assert_eq!(Some(missed[0]), expected, "the notice starts where delivery stopped");
                expected = Some(missed[missed.len() - 1] + 1);
                notices += 1;
            }
            Payload::S(_) => {}
            Payload::I(_) => {
                if let Some(e) = expected {
                    assert_eq!(packet.sequence(), e);
                }
                expected = Some(packet.sequence() + 1);
            }
            _ => {
                assert_eq!(Some(packet.sequence()), expected.or(Some(0)), "a delta frame after a gap");
                expected = Some(packet.sequence() + 1);
            }
        }
    }
    assert!(notices >= 1, "the stalled viewer was never told what it missed");
}
