//! Connection-level attacks on the HTTP + WebSocket listener: idle
//! sockets, slowloris, oversized headers, a connection flood and a
//! viewer-slot grab from one address, never-reading viewers. A healthy
//! viewer keeps every frame throughout.

use std::time::{Duration, Instant};

use asp_hostile_tests::*;
use asp_server::{ServerConfig, StreamPolicy, TransportLimits, ViewerLimits};
use tokio::io::AsyncWriteExt;

const MAX_GAP: Duration = Duration::from_millis(700);

fn config(transport: TransportLimits, viewer: ViewerLimits) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.webtransport = false;
    config.transport = transport;
    config.viewer = viewer;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slowloris_connections_are_closed_at_the_header_deadline() {
    let transport = TransportLimits { header_read_timeout: Duration::from_secs(1), ..TransportLimits::default() };
    let server = start(config(transport, ViewerLimits::default()), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;

    let mut idle = tcp_from(ATTACKER, server.addr).await.unwrap();
    let mut slow = tcp_from(ATTACKER, server.addr).await.unwrap();
    let started = Instant::now();
    // Slowloris: a request head that never ends, one header every 200 ms.
    let dripper = tokio::spawn(async move {
        let _ = slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
        for i in 0..40 {
            if slow.write_all(format!("X-{i}: y\r\n").as_bytes()).await.is_err() {
                return (slow, true);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        (slow, false)
    });
    assert!(closed_within(&mut idle, Duration::from_secs(4)).await, "an idle connection was kept");
    let (mut slow, cut_while_writing) = dripper.await.unwrap();
    assert!(cut_while_writing || closed_within(&mut slow, Duration::from_secs(1)).await, "slowloris was kept");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A keep-alive connection that goes quiet after a request is closed too.
    let mut quiet = tcp_from(ATTACKER, server.addr).await.unwrap();
    quiet.write_all(b"GET /asp/session HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(closed_within(&mut quiet, Duration::from_secs(4)).await, "an idle keep-alive was kept");
    assert!(eventually(Duration::from_secs(2), || server.connections.open() == 1).await);
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_request_head_is_refused() {
    let server = start(config(TransportLimits::default(), ViewerLimits::default()), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let mut tcp = tcp_from(ATTACKER, server.addr).await.unwrap();
    let mut head = b"GET /asp/session HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..2000 {
        head.extend_from_slice(format!("X-Padding-{i}: {}\r\n", "a".repeat(40)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    // The server may close before the whole head is written.
    let _ = tcp.write_all(&head).await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut response))
        .await;
    let status = String::from_utf8_lossy(&response);
    assert!(
        status.is_empty() || status.starts_with("HTTP/1.1 431"),
        "a {} KiB head was answered: {}",
        head.len() >> 10,
        status.lines().next().unwrap_or("")
    );
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_from_one_address_is_capped_and_others_still_get_in() {
    let transport = TransportLimits { max_connections_per_address: 20, ..TransportLimits::default() };
    let server = start(config(transport, ViewerLimits::default()), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let mut flood = Vec::new();
    for _ in 0..60 {
        flood.push(tcp_from(ATTACKER, server.addr).await.unwrap());
    }
    assert!(eventually(Duration::from_secs(2), || server.connections.open() == 21).await, "{}", server.connections.open());
    let mut cut = 0;
    for tcp in &mut flood {
        if closed_within(tcp, Duration::from_millis(20)).await {
            cut += 1;
        }
    }
    assert_eq!(cut, 40, "all but 20 of the flood are closed at once");
    // Someone else still gets in and watches.
    let mut newcomer = websocket_from("127.0.0.3".parse().unwrap(), server.addr).await;
    first_frame(&mut newcomer, Duration::from_secs(3)).await;
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_take_every_viewer_slot() {
    let viewer = ViewerLimits { max_viewers: 6, max_viewers_per_address: 3, ..ViewerLimits::default() };
    let server = start(config(TransportLimits::default(), viewer), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let mut hoard = Vec::new();
    for _ in 0..3 {
        let mut ws = websocket_from(ATTACKER, server.addr).await;
        first_frame(&mut ws, Duration::from_secs(3)).await;
        hoard.push(ws);
    }
    let mut fourth = websocket_from(ATTACKER, server.addr).await;
    match next(&mut fourth, Duration::from_secs(3)).await {
        Some(Got::Closed(Some((1013, reason)))) => assert!(reason.contains("this address"), "{reason}"),
        other => panic!("a fourth viewer from one address got {other:?}"),
    }
    // Another address still finds a slot.
    let mut other = websocket_from("127.0.0.3".parse().unwrap(), server.addr).await;
    first_frame(&mut other, Duration::from_secs(3)).await;
    assert_eq!(server.hub.stats().viewers, 5);
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_cut_off_for_slowness_frees_its_socket_at_once() {
    let viewer = ViewerLimits {
        queue_len: 4,
        max_skip_time: Duration::from_millis(500),
        socket_send_buffer: Some(8 << 10),
        ..ViewerLimits::default()
    };
    // A low QP: frames of kilobytes, so the stalled viewer's buffers fill fast.
    let mut encoder = constant_qp();
    encoder.rate = asp_encoder::RateMode::ConstantQp(asp_encoder::Qp::new(4).expect("4 is a QP"));
    let server = start_with(config(TransportLimits::default(), viewer), StreamPolicy::default(), encoder).await;
    let healthy = Healthy::start(&server).await;
    let tcp = stalling_tcp_from(ATTACKER, server.addr).await.unwrap();
    let _stalled = websocket_on(tcp, server.addr, &[]).await.unwrap();
    assert!(eventually(Duration::from_secs(3), || server.connections.open() == 2).await);
    assert!(eventually(Duration::from_secs(8), || server.hub.stats().kicked == 1).await, "{:?}", server.hub.stats());
    let kicked_at = Instant::now();
    assert!(
        eventually(Duration::from_secs(3), || server.connections.open() == 1).await,
        "the stalled viewer's socket is still open {:?} after it was cut off",
        kicked_at.elapsed()
    );
    assert_eq!(server.hub.stats().viewers, 1);
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_file_limit_is_raised_at_start() {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    // Where a shell usually leaves it.
    rlimit::setrlimit(rlimit::Resource::NOFILE, hard.min(1024), hard).unwrap();
    let server = start(config(TransportLimits::default(), ViewerLimits::default()), StreamPolicy::default()).await;
    let (soft, _) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    assert_eq!(soft, hard);
    drop(server);
}
