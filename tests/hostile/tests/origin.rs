//! Pages of other origins: WebSocket upgrades, WebTransport sessions and
//! `/asp/session` are refused unless the origin is the server's own or is
//! allowed, and DNS rebinding (a foreign name that resolves here) does not
//! pass for the server's own origin. A healthy viewer keeps every frame.

use std::time::Duration;

use asp_hostile_tests::*;
use asp_server::{AllowedOrigins, ServerConfig, StreamPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAX_GAP: Duration = Duration::from_millis(700);

fn config(allowed: &[&str], webtransport: bool) -> ServerConfig {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.webtransport = webtransport;
    config.allowed_origins = AllowedOrigins::parse(allowed).unwrap();
    config
}

/// The status line and headers of a GET of `path` with `headers`.
async fn get(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> String {
    let mut tcp = tcp_from(ATTACKER, server.addr).await.unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request += &format!("Host: {}\r\n", server.addr);
    }
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    request += "\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), tcp.read_to_end(&mut response)).await.unwrap().unwrap();
    let text = String::from_utf8_lossy(&response).to_string();
    text.split("\r\n\r\n").next().unwrap_or_default().to_ascii_lowercase()
}

/// The HTTP status of a WebSocket upgrade with `headers` (101: accepted).
async fn upgrade_status(server: &TestServer, headers: &[(&str, &str)]) -> u16 {
    let tcp = tcp_from(ATTACKER, server.addr).await.unwrap();
    match websocket_on(tcp, server.addr, headers).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("handshake failed oddly: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_upgrades_from_foreign_pages_are_refused() {
    let server = start(config(&[], false), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let own = format!("http://127.0.0.1:{}", server.addr.port());
    assert_eq!(upgrade_status(&server, &[("Origin", "https://evil.example")]).await, 403);
    assert_eq!(upgrade_status(&server, &[("Origin", "null")]).await, 403);
    assert_eq!(upgrade_status(&server, &[("Origin", "http://127.0.0.1:1")]).await, 403, "another port");
    // DNS rebinding: the page's name resolves here, and it looks same-origin.
    let rebound = format!("evil.example:{}", server.addr.port());
    let rebound_origin = format!("http://{rebound}");
    assert_eq!(upgrade_status(&server, &[("Origin", &rebound_origin), ("Host", &rebound)]).await, 403);
    assert_eq!(upgrade_status(&server, &[("Origin", &own)]).await, 101, "the server's own page");
    assert_eq!(upgrade_status(&server, &[]).await, 101, "not a browser");
    assert_eq!(server.hub.stats().joined, 3, "refused upgrades never took a slot");
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_description_is_not_readable_by_any_page() {
    let server = start(config(&[], false), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let foreign = get(&server, "/asp/session", &[("Origin", "https://evil.example")]).await;
    assert!(foreign.starts_with("http/1.1 403"), "{foreign}");
    assert!(!foreign.contains("access-control-allow-origin"), "{foreign}");
    let own = format!("http://127.0.0.1:{}", server.addr.port());
    let same = get(&server, "/asp/session", &[("Origin", &own)]).await;
    assert!(same.starts_with("http/1.1 200"), "{same}");
    assert!(same.contains(&format!("access-control-allow-origin: {own}")), "{same}");
    let plain = get(&server, "/asp/session", &[]).await;
    assert!(plain.starts_with("http/1.1 200") && !plain.contains("access-control-allow-origin"), "{plain}");
    healthy.check(MAX_GAP).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_origins_and_the_explicit_wildcard() {
    let listed = start(config(&["https://player.example"], false), StreamPolicy::default()).await;
    let healthy = Healthy::start(&listed).await;
    assert_eq!(upgrade_status(&listed, &[("Origin", "https://player.example")]).await, 101);
    assert_eq!(upgrade_status(&listed, &[("Origin", "https://other.example")]).await, 403);
    let session = get(&listed, "/asp/session", &[("Origin", "https://player.example")]).await;
    assert!(session.contains("access-control-allow-origin: https://player.example"), "{session}");
    healthy.check(MAX_GAP).await;

    let any = start(config(&["*"], false), StreamPolicy::default()).await;
    assert_eq!(upgrade_status(&any, &[("Origin", "https://other.example")]).await, 101);
    let session = get(&any, "/asp/session", &[("Origin", "https://other.example")]).await;
    assert!(session.contains("access-control-allow-origin: *"), "{session}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webtransport_sessions_from_foreign_pages_are_refused() {
    use wtransport::endpoint::ConnectOptions;
    use wtransport::tls::Sha256Digest;
    use wtransport::{ClientConfig, Endpoint};
    let server = start(config(&[], true), StreamPolicy::default()).await;
    let healthy = Healthy::start(&server).await;
    let port = server.wt_addr.expect("WebTransport is on").port();
    let connect = |origin: Option<String>| {
        let hash = Sha256Digest::new(server.certificate_hash.unwrap());
        async move {
            let config = ClientConfig::builder().with_bind_default().with_server_certificate_hashes([hash]).build();
            let mut options = ConnectOptions::builder(format!("https://127.0.0.1:{port}/asp/wt"));
            if let Some(origin) = origin {
                options = options.add_header("origin", origin);
            }
            Endpoint::client(config).unwrap().connect(options.build()).await
        }
    };
    let refused = connect(Some("https://evil.example".to_string())).await;
    assert!(refused.is_err(), "a foreign page's WebTransport session was accepted");
    let own = format!("http://127.0.0.1:{}", server.addr.port());
    let accepted = connect(Some(own)).await.expect("the server's own page");
    let mut stream = tokio::time::timeout(Duration::from_secs(3), accepted.accept_uni()).await.unwrap().unwrap();
    let mut first = [0u8; 16];
    stream.read_exact(&mut first).await.unwrap();
    assert_eq!(first[5], asp_core::PacketType::I as u8, "a viewer's stream starts with a keyframe");
    healthy.check(MAX_GAP).await;
}
