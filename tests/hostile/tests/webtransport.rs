//! WebTransport abuse with a Rust client (wtransport): hoarding
//! bidirectional streams and filling them, a datagram flood, a flood of
//! QUIC connections from one address, a QUIC connection that never asks for
//! a session (raw quinn), a viewer whose acknowledgements stop arriving
//! (a UDP relay that drops what it sends). A healthy WebSocket viewer keeps
//! every frame throughout.

use std::net::SocketAddr;
use std::time::Duration;

use asp_core::packet::Sync as SyncPacket;
use asp_core::schema::SyncCommand;
use asp_core::PacketWriter;
use asp_hostile_tests::*;
use asp_server::{ServerConfig, StreamPolicy, TransportLimits};
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint};

const MAX_GAP: Duration = Duration::from_millis(700);

fn config(transport: TransportLimits) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.transport = transport;
    config
}

async fn wt_connect(server: &TestServer) -> Result<Connection, String> {
    let (wt, hash) = (server.wt_addr.expect("WebTransport is on"), server.certificate_hash.expect("WebTransport is on"));
    wt_connect_from(ATTACKER, wt, hash).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_hoard_bidirectional_streams_or_fill_them() {
    let limits = TransportLimits::default().webtransport;
    let server = start(config(TransportLimits::default()), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let connection = wt_connect(&server).await.expect("a session");
    let mut streams = Vec::new();
    while streams.len() < 100 {
        let opening = async {
            match connection.open_bi().await {
                Ok(opening) => opening.await.ok(),
                Err(_) => None,
            }
        };
        match tokio::time::timeout(Duration::from_millis(300), opening).await {
            Ok(Some(stream)) => streams.push(stream),
            _ => break,
        }
    }
    // HTTP/3's session request holds one of them.
    assert!(streams.len() < limits.max_bidi_streams as usize, "{} bidirectional streams opened", streams.len());
    let chunk = vec![0u8; 16 << 10];
    let mut written = 0usize;
    for (send, _) in &mut streams {
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            while let Ok(n) = send.write(&chunk).await {
                written += n;
            }
        })
        .await;
    }
    // What the server buffers unread: one connection's receive window.
    let window = limits.connection_receive_window as usize;
    assert!(written <= window + chunk.len(), "the server took {} KiB it never reads", written >> 10);
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_datagram_flood_is_cut_off() {
    let server = start(config(TransportLimits::default()), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let connection = wt_connect(&server).await.expect("a session");
    let ping = PacketWriter::new().write_s(0, 0, &SyncPacket::command(SyncCommand::Ping)).unwrap().to_vec();
    let flood = async {
        for i in 0..5000 {
            if connection.send_datagram(ping.clone()).is_err() {
                return;
            }
            if i % 50 == 0 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = flood => {}
        _ = connection.closed() => {}
        _ = tokio::time::sleep(Duration::from_secs(5)) => panic!("a datagram flood was not cut off: {:?}", server.hub.stats()),
    }
    assert!(server.hub.stats().throttled_messages > 0);
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quic_connections_from_one_address_are_capped() {
    let transport = TransportLimits { max_connections_per_address: 3, ..TransportLimits::default() };
    let server = start(config(transport), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..6 {
        match tokio::time::timeout(Duration::from_secs(3), wt_connect(&server)).await {
            Ok(Ok(connection)) => held.push(connection),
            _ => refused += 1,
        }
    }
    assert_eq!((held.len(), refused), (3, 3));
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_asks_for_a_session_is_dropped_at_the_deadline() {
    let deadline = TransportLimits::default().webtransport.session_request_timeout;
    let server = start(config(TransportLimits::default()), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let opened = tokio::time::Instant::now();
    let (wt, hash) = (server.wt_addr.expect("WebTransport is on"), server.certificate_hash.expect("WebTransport is on"));
    let connection = quic_without_session_from(ATTACKER, wt, hash).await.expect("the QUIC handshake");
    let closed = tokio::time::timeout(deadline + Duration::from_secs(3), connection.closed()).await;
    let after = opened.elapsed();
    assert!(closed.is_ok(), "a connection without a session request kept past {deadline:?}");
    assert!(after + Duration::from_millis(200) >= deadline, "dropped after {after:?}, before the deadline");
    assert_eq!(server.hub.stats().viewers, 1, "only the healthy viewer");
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_whose_acknowledgements_stop_is_dropped_at_the_idle_timeout() {
    let mut server_config = config(TransportLimits::default());
    server_config.viewer.idle_timeout = Duration::from_secs(3);
    server_config.viewer.ping_interval = Duration::from_secs(1);
    let idle = server_config.viewer.idle_timeout;
    let server = start(server_config, StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let (relay, blackhole) = blackholing_relay(ATTACKER, server.wt_addr.expect("WebTransport is on")).await.unwrap();
    let hash = Sha256Digest::new(server.certificate_hash.expect("WebTransport is on"));
    let client = ClientConfig::builder()
        .with_bind_address(SocketAddr::new(ATTACKER, 0))
        .with_server_certificate_hashes([hash])
        .build();
    let url = format!("https://127.0.0.2:{}/asp/wt", relay.port());
    let connection = Endpoint::client(client).unwrap().connect(url).await.expect("a session through the relay");
    let mut stream = tokio::time::timeout(Duration::from_secs(5), connection.accept_uni()).await.unwrap().unwrap();
    let mut buf = vec![0u8; 65536];
    assert!(stream.read(&mut buf).await.unwrap().unwrap_or(0) > 0, "frames through the relay");
    assert!(eventually(Duration::from_secs(2), || server.hub.stats().viewers == 2).await);
    blackhole.store(true, std::sync::atomic::Ordering::Relaxed);
    let since = tokio::time::Instant::now();
    // The client keeps reading what still arrives; the server hears nothing.
    let reading = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(Some(_)) => {}
                _ => match connection.accept_uni().await {
                    Ok(next) => stream = next,
                    Err(_) => std::future::pending::<()>().await,
                },
            }
        }
    };
    let gone = eventually(idle + Duration::from_secs(3), || server.hub.stats().viewers == 1);
    tokio::select! {
        gone = gone => assert!(gone, "a viewer that acknowledges nothing kept its slot for {:?} (idle timeout {idle:?}): {:?}", since.elapsed(), server.hub.stats()),
        _ = reading => unreachable!(),
    }
    healthy.check(MAX_GAP).await;
}
