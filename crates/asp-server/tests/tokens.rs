//! View tokens (`ServerConfig::view_tokens`, `asp-encode --serve --token`):
//! without a valid one, the WebSocket upgrade and `/asp/session` get 401 and
//! the WebTransport session 403, and no viewer slot is taken; with one (in
//! the query or a Bearer header), viewers play on both transports. Signed
//! tokens (`--token-key`) admit until they expire; expired or forged ones
//! are refused the same way.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use asp_core::Packet;
use asp_encoder::source::TestPattern;
use asp_server::config::ViewTokens;
use asp_server::token::TokenKey;
use asp_server::live::{self, LiveOptions};
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy};
use futures_util::StreamExt;
use support::{encoder_config, init_logging, HEIGHT, WIDTH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use wtransport::tls::Sha256Digest;
use wtransport::{ClientConfig, Endpoint};

const TOKEN: &str = "viewer-5ecret";

struct Running {
    addr: SocketAddr,
    wt_addr: SocketAddr,
    hash: [u8; 32],
    hub: Arc<Hub>,
    _stop: Arc<AtomicBool>,
}

async fn start_with_token() -> Running {
    start_with(ViewTokens::new(&[TOKEN, "another"]).unwrap()).await
}

async fn start_with(tokens: ViewTokens) -> Running {
    init_logging();
    let hub = Arc::new(Hub::new(Default::default(), StreamPolicy::default()));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.view_tokens = tokens;
    let facts = StreamFacts { width: WIDTH, height: HEIGHT, fps_num: 30, fps_den: 1 };
    let server = Server::bind(config, Arc::clone(&hub), facts).await.unwrap();
    let running = Running {
        addr: server.http_addr,
        wt_addr: server.wt_addr.unwrap(),
        hash: server.certificate_hash.unwrap(),
        hub: Arc::clone(&hub),
        _stop: Arc::new(AtomicBool::new(false)),
    };
    tokio::spawn(server.run());
    let source = TestPattern::new(WIDTH, HEIGHT, 30, None).unwrap();
    live::spawn(Box::new(source), encoder_config(15, 30), hub, LiveOptions::default(), Arc::clone(&running._stop))
        .unwrap();
    running
}

/// A WebSocket viewer's first packet, or the HTTP status it was refused with.
async fn websocket(addr: SocketAddr, query: &str, bearer: Option<&str>) -> Result<(), u16> {
    let mut request = format!("ws://{addr}/asp/ws{query}").into_client_request().unwrap();
    if let Some(token) = bearer {
        request.headers_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut ws, _)) => loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a packet in time") {
                Some(Ok(Message::Binary(bytes))) => {
                    Packet::parse(&bytes).expect("a packet");
                    return Ok(());
                }
                Some(Ok(_)) => {}
                other => panic!("no packet: {other:?}"),
            }
        },
        Err(WsError::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("handshake failed: {e}"),
    }
}

async fn session_status(addr: SocketAddr, query: &str) -> u16 {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /asp/session{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

/// Whether a WebTransport session to `path` opens and delivers a stream.
async fn webtransport_plays(server: &Running, path: &str) -> bool {
    let config =
        ClientConfig::builder().with_bind_default().with_server_certificate_hashes([Sha256Digest::new(server.hash)]).build();
    let endpoint = Endpoint::client(config).unwrap();
    let Ok(connection) = endpoint.connect(format!("https://127.0.0.1:{}{path}", server.wt_addr.port())).await else {
        return false;
    };
    let stream = tokio::time::timeout(Duration::from_secs(10), connection.accept_uni()).await;
    matches!(stream, Ok(Ok(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_need_a_valid_token_on_every_transport() {
    let server = start_with_token().await;
    let addr = server.addr;
    for (query, bearer) in [("", None), ("?token=wrong", None), ("?token=", None), ("", Some("wrong"))] {
        assert_eq!(websocket(addr, query, bearer).await, Err(401), "{query} {bearer:?}");
    }
    assert_eq!(server.hub.stats().viewers, 0, "refused before a slot is taken");
    assert_eq!(websocket(addr, &format!("?token={TOKEN}"), None).await, Ok(()));
    assert_eq!(websocket(addr, "?token=another", None).await, Ok(()));
    assert_eq!(websocket(addr, "", Some(TOKEN)).await, Ok(()), "a Bearer header");

    assert_eq!(session_status(addr, "").await, 401);
    assert_eq!(session_status(addr, "?token=nope").await, 401);
    assert_eq!(session_status(addr, &format!("?token={TOKEN}")).await, 200);

    assert!(!webtransport_plays(&server, "/asp/wt").await, "no token");
    assert!(!webtransport_plays(&server, "/asp/wt?token=nope").await, "a wrong token");
    assert!(webtransport_plays(&server, &format!("/asp/wt?token={TOKEN}")).await, "the token in the query");
}

/// The status line and `WWW-Authenticate` of a refused `/asp/session`.
async fn session_refusal(addr: SocketAddr, query: &str) -> (u16, String) {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /asp/session{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let challenge = response
        .lines()
        .find_map(|l| l.strip_prefix("www-authenticate: ").or_else(|| l.strip_prefix("WWW-Authenticate: ")))
        .unwrap_or_default()
        .to_string();
    (response[9..12].parse().unwrap(), challenge)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_tokens_admit_until_they_expire_and_forged_ones_never() {
    let key = TokenKey::from_file_content(b"a key of at least thirty-two bytes, for the test").unwrap();
    let server = start_with(ViewTokens::new(&[TOKEN]).unwrap().with_key(key.clone())).await;
    let addr = server.addr;
    let now = std::time::SystemTime::now();
    let valid = key.mint(now + Duration::from_secs(600));
    let expired = key.mint(now - Duration::from_secs(1));
    let forged = TokenKey::from_file_content(&[b'x'; 32]).unwrap().mint(now + Duration::from_secs(600));
    let (_, tag) = valid.rsplit_once('.').unwrap();
    let stretched = format!("view.{}.{tag}", u32::MAX);

    for bad in [&expired, &forged, &stretched] {
        assert_eq!(websocket(addr, &format!("?token={bad}"), None).await, Err(401), "{bad}");
        assert_eq!(websocket(addr, "", Some(bad)).await, Err(401), "{bad} as Bearer");
        assert!(!webtransport_plays(&server, &format!("/asp/wt?token={bad}")).await, "{bad}");
    }
    assert_eq!(server.hub.stats().viewers, 0, "refused before a slot is taken");
    let (status, challenge) = session_refusal(addr, &format!("?token={expired}")).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token") && challenge.contains("expired"), "{challenge}");
    let (status, challenge) = session_refusal(addr, &format!("?token={forged}")).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token") && !challenge.contains("expired"), "{challenge}");
    assert_eq!(session_refusal(addr, "").await, (401, "Bearer".to_string()));

    assert_eq!(websocket(addr, &format!("?token={valid}"), None).await, Ok(()));
    assert_eq!(websocket(addr, "", Some(&valid)).await, Ok(()), "a Bearer header");
    assert_eq!(session_status(addr, &format!("?token={valid}")).await, 200);
    assert!(webtransport_plays(&server, &format!("/asp/wt?token={valid}")).await);
    assert_eq!(websocket(addr, &format!("?token={TOKEN}"), None).await, Ok(()), "plain tokens still admit");
}
