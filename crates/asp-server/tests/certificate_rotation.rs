//! The self-signed WebTransport certificate is renewed while serving: the
//! session description publishes the new hash, new sessions are trusted by
//! it (and no longer by the old one), and a session opened before the
//! renewal plays on.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use asp_encoder::source::TestPattern;
use asp_server::live::{self, LiveOptions};
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy};
use support::{encoder_config, init_logging, HEIGHT, WIDTH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Connection, Endpoint};

/// The certificate hash `/asp/session` publishes now.
async fn published_hash(addr: SocketAddr) -> [u8; 32] {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET /asp/session HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let session: serde_json::Value = serde_json::from_str(body).unwrap();
    let bytes: Vec<u8> = session["webtransport"]["certificateHashBytes"]
        .as_array()
        .expect("a self-signed certificate's hash")
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    bytes.try_into().unwrap()
}

async fn wt_connect(addr: SocketAddr, hash: [u8; 32]) -> Result<Connection, String> {
    let config =
        ClientConfig::builder().with_bind_default().with_server_certificate_hashes([Sha256Digest::new(hash)]).build();
    let endpoint = Endpoint::client(config).map_err(|e| e.to_string())?;
    endpoint.connect(format!("https://127.0.0.1:{}/asp/wt", addr.port())).await.map_err(|e| e.to_string())
}

/// Reads from the session's streams for `duration`; the bytes read.
async fn read_for(connection: &Connection, duration: Duration) -> usize {
    let deadline = tokio::time::Instant::now() + duration;
    let mut total = 0;
    let mut buf = vec![0u8; 65536];
    while let Ok(Ok(mut stream)) = tokio::time::timeout_at(deadline, connection.accept_uni()).await {
        while let Ok(Ok(Some(n))) = tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            total += n;
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_certificate_is_published_and_used_for_new_sessions() {
    init_logging();
    let hub = Arc::new(Hub::new(Default::default(), StreamPolicy::default()));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    // Renewed at 4/5 of this: 2.4 s.
    config.self_signed_validity = Duration::from_secs(3);
    let facts = StreamFacts { width: WIDTH, height: HEIGHT, fps_num: 30, fps_den: 1 };
    let server = Server::bind(config, Arc::clone(&hub), facts).await.unwrap();
    let (addr, wt_addr) = (server.http_addr, server.wt_addr.expect("WebTransport on"));
    let first = server.certificate_hash.unwrap();
    tokio::spawn(server.run());
    let stop = Arc::new(AtomicBool::new(false));
    let source = TestPattern::new(WIDTH, HEIGHT, 30, None).unwrap();
    let options = LiveOptions { stamp: true, ..LiveOptions::default() };
    live::spawn(Box::new(source), encoder_config(15, 30), hub, options, Arc::clone(&stop)).unwrap();

    assert_eq!(published_hash(addr).await, first);
    let early = wt_connect(wt_addr, first).await.expect("the first certificate is trusted by its hash");
    assert!(read_for(&early, Duration::from_millis(500)).await > 0);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let second = published_hash(addr).await;
    assert_ne!(second, first, "a new certificate, published");
    let late = wt_connect(wt_addr, second).await.expect("new sessions get the new certificate");
    assert!(read_for(&late, Duration::from_millis(500)).await > 0);
    assert!(wt_connect(wt_addr, first).await.is_err(), "the old hash no longer matches");
    assert!(read_for(&early, Duration::from_millis(500)).await > 0, "a session from before plays on");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}
