//! TLS with the operator's certificate (`ServerConfig::tls`, `asp-encode
//! --serve --tls-cert --tls-key`): a test CA made here signs the server's
//! certificate; a client that trusts the CA plays over WSS and over
//! WebTransport (no certificate hash) and gets the same bytes on both; a
//! client that does not trust it is refused at the handshake while the
//! server goes on serving.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use asp_core::packet::Payload;
use asp_core::Packet;
use asp_encoder::source::TestPattern;
use asp_server::config::{TlsFiles, TLS_CHECK_INTERVAL};
use asp_server::live::{self, LiveOptions};
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy};
use futures_util::StreamExt;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::RootCertStore;
use support::{encoder_config, init_logging, wt_read, HEIGHT, WIDTH};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

/// A CA and a server certificate it signed for localhost and 127.0.0.1,
/// written as PEM files into a fresh directory.
struct TestCa {
    ca: CertificateDer<'static>,
    files: TlsFiles,
    dir: PathBuf,
}

impl Drop for TestCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn test_ca(name: &str) -> TestCa {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, format!("ASP test CA {name}"));
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let server = server_params.signed_by(&server_key, &ca, &ca_key).unwrap();
    let dir = std::env::temp_dir().join(format!("asp-tls-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files = TlsFiles { certificate_chain: dir.join("server.pem"), private_key: dir.join("server.key") };
    std::fs::write(&files.certificate_chain, server.pem()).unwrap();
    std::fs::write(&files.private_key, server_key.serialize_pem()).unwrap();
    TestCa { ca: ca.der().clone(), files, dir }
}

fn roots(trusted: &[CertificateDer<'static>]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for certificate in trusted {
        roots.add(certificate.clone()).unwrap();
    }
    roots
}

fn client_tls(trusted: &[CertificateDer<'static>], alpn: &[u8]) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(trusted))
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    config
}

struct Running {
    addr: SocketAddr,
    wt_addr: Option<SocketAddr>,
    certificate_hash: Option<[u8; 32]>,
    stop: Arc<AtomicBool>,
}

async fn start_tls(files: TlsFiles, frames: Option<u64>, wait_for_viewers: usize) -> Running {
    start_tls_checking_every(files, frames, wait_for_viewers, TLS_CHECK_INTERVAL).await
}

/// [`start_tls`], checking the certificate files for a change every `interval`.
async fn start_tls_checking_every(
    files: TlsFiles,
    frames: Option<u64>,
    wait_for_viewers: usize,
    interval: Duration,
) -> Running {
    init_logging();
    let hub = Arc::new(Hub::new(Default::default(), StreamPolicy::default()));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.tls = Some(files);
    config.tls_check_interval = interval;
    let facts = StreamFacts { width: WIDTH, height: HEIGHT, fps_num: 30, fps_den: 1 };
    let server = Server::bind(config, Arc::clone(&hub), facts).await.expect("bind with the certificate");
    assert!(server.is_https());
    let running = Running {
        addr: server.http_addr,
        wt_addr: server.wt_addr,
        certificate_hash: server.certificate_hash,
        stop: Arc::new(AtomicBool::new(false)),
    };
    tokio::spawn(server.run());
    let source = TestPattern::new(WIDTH, HEIGHT, 30, frames).unwrap();
    let options = LiveOptions { stamp: true, wait_for_viewers, ..LiveOptions::default() };
    live::spawn(Box::new(source), encoder_config(15, 28), hub, options, Arc::clone(&running.stop)).unwrap();
    running
}

type Wss = tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

async fn wss_connect(addr: SocketAddr, trusted: &[CertificateDer<'static>]) -> Result<Wss, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let connector = TlsConnector::from(Arc::new(client_tls(trusted, b"http/1.1")));
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    let url = format!("wss://localhost:{}/asp/ws", addr.port());
    let (ws, _) = tokio_tungstenite::client_async(url, tls).await.map_err(|e| format!("WebSocket: {e}"))?;
    Ok(ws)
}

/// Every packet until the end of stream, as one byte string.
async fn wss_read_to_end(ws: &mut Wss) -> (Vec<u8>, usize) {
    let (mut all, mut count) = (Vec::new(), 0);
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a packet in time");
        match message {
            Some(Ok(Message::Binary(bytes))) => {
                Packet::parse(&bytes).expect("a whole, undamaged packet per message");
                all.extend_from_slice(&bytes);
                count += 1;
            }
            Some(Ok(Message::Close(_))) | None => return (all, count),
            Some(Ok(_)) => {}
            Some(Err(e)) => panic!("WSS failed: {e}"),
        }
    }
}

async fn wt_connect(addr: SocketAddr, trusted: &[CertificateDer<'static>]) -> Result<wtransport::Connection, String> {
    let tls = client_tls(trusted, wtransport::tls::WEBTRANSPORT_ALPN);
    let config = wtransport::ClientConfig::builder().with_bind_default().with_custom_tls(tls).build();
    let endpoint = wtransport::Endpoint::client(config).map_err(|e| e.to_string())?;
    endpoint.connect(format!("https://localhost:{}/asp/wt", addr.port())).await.map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trusting_the_ca_plays_over_wss_and_webtransport_the_same_bytes() {
    let ca = test_ca("plays");
    let server = start_tls(ca.files.clone(), Some(40), 2).await;
    let trusted = [ca.ca.clone()];
    let wt_addr = server.wt_addr.expect("WebTransport on, with the same certificate");
    let connection = wt_connect(wt_addr, &trusted).await.expect("WebTransport with the CA, no hash");
    let mut wss = wss_connect(server.addr, &trusted).await.expect("WSS with the CA");
    let (wt_bytes, (wss_bytes, wss_packets)) = tokio::join!(wt_read(&connection, false), wss_read_to_end(&mut wss));
    assert_eq!(wss_packets, 41, "40 frames and the end of stream");
    assert_eq!(wt_bytes.len(), wss_bytes.len());
    assert!(wt_bytes == wss_bytes, "WebTransport and WSS bytes differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_description_is_https_and_names_no_certificate_hash() {
    let ca = test_ca("session");
    let server = start_tls(ca.files.clone(), None, 0).await;
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let connector = TlsConnector::from(Arc::new(client_tls(std::slice::from_ref(&ca.ca), b"http/1.1")));
    let mut tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.expect("HTTPS");
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(b"GET /asp/session HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = &response[response.find("\r\n\r\n").unwrap() + 4..];
    let session: serde_json::Value = serde_json::from_str(body).unwrap();
    let wt = &session["webtransport"];
    assert_eq!(wt["port"].as_u64(), server.wt_addr.map(|a| u64::from(a.port())));
    assert!(wt.get("certificateHash").is_none(), "a CA-signed certificate needs no hash: {session}");
    assert!(server.certificate_hash.is_some(), "the server still knows its certificate's hash");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_not_trusting_the_ca_is_refused_and_others_still_play() {
    let ca = test_ca("untrusted");
    let other = test_ca("other");
    let server = start_tls(ca.files.clone(), None, 0).await;
    let Err(refused) = wss_connect(server.addr, std::slice::from_ref(&other.ca)).await else {
        panic!("an unknown issuer is refused")
    };
    assert!(refused.starts_with("TLS:") && refused.contains("UnknownIssuer"), "{refused}");
    let Err(refused) = wt_connect(server.wt_addr.unwrap(), std::slice::from_ref(&other.ca)).await else {
        panic!("refused over QUIC too")
    };
    assert!(refused.to_lowercase().contains("unknownissuer") || refused.contains("certificate"), "{refused}");
    // Plain HTTP to the TLS port gets no stream.
    let mut plain = TcpStream::connect(server.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    plain.write_all(b"GET /asp/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut answer)).await;
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "plain HTTP served on the TLS port");
    // The server is unharmed: a trusting viewer plays.
    let mut wss = wss_connect(server.addr, std::slice::from_ref(&ca.ca)).await.expect("WSS with the CA");
    let first = tokio::time::timeout(Duration::from_secs(10), wss.next()).await.expect("a packet").unwrap().unwrap();
    let Message::Binary(bytes) = first else { panic!("not a packet: {first:?}") };
    assert!(matches!(Packet::parse(&bytes).unwrap().payload(), Payload::I(_)), "a joiner starts at a keyframe");
}

#[tokio::test]
async fn an_unreadable_certificate_is_an_error_naming_the_file() {
    let ca = test_ca("broken");
    std::fs::write(&ca.files.private_key, "not a key").unwrap();
    let hub = Arc::new(Hub::new(Default::default(), StreamPolicy::default()));
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.tls = Some(ca.files.clone());
    let facts = StreamFacts { width: WIDTH, height: HEIGHT, fps_num: 30, fps_den: 1 };
    let error = Server::bind(config, hub, facts).await.err().expect("no server without its key");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("server.key"), "{error}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_files() {
    let first = test_ca("reload-first");
    let server = start_tls(first.files.clone(), None, 0).await;
    wss_connect(server.addr, std::slice::from_ref(&first.ca)).await.expect("WSS with the first CA");
    // A renewed certificate, from another CA, written over the files.
    let second = test_ca("reload-second");
    std::fs::copy(&second.files.certificate_chain, &first.files.certificate_chain).unwrap();
    std::fs::copy(&second.files.private_key, &first.files.private_key).unwrap();
    let kill = std::process::Command::new("kill").args(["-HUP", &std::process::id().to_string()]).status().unwrap();
    assert!(kill.success());
    let mut reloaded = false;
    for _ in 0..100 {
        if wss_connect(server.addr, std::slice::from_ref(&second.ca)).await.is_ok() {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reloaded, "new handshakes get the reloaded certificate");
    assert!(wss_connect(server.addr, std::slice::from_ref(&first.ca)).await.is_err(), "the old one is gone");
    let connection = wt_connect(server.wt_addr.unwrap(), std::slice::from_ref(&second.ca)).await;
    assert!(connection.is_ok(), "WebTransport too: {:?}", connection.err());
}

/// Waits (up to ~4 s) until a WSS handshake trusting only `ca` succeeds.
async fn handshakes_with(addr: SocketAddr, ca: &CertificateDer<'static>) -> bool {
    for _ in 0..200 {
        if wss_connect(addr, std::slice::from_ref(ca)).await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_files_that_change_are_reloaded_without_a_signal() {
    let first = test_ca("change-first");
    let server = start_tls_checking_every(first.files.clone(), None, 0, Duration::from_millis(50)).await;
    wss_connect(server.addr, std::slice::from_ref(&first.ca)).await.expect("WSS with the first CA");

    // A half-written renewal (a chain that is not PEM) keeps the current certificate.
    std::fs::write(&first.files.certificate_chain, b"-----BEGIN CERT").unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    wss_connect(server.addr, std::slice::from_ref(&first.ca)).await.expect("still the first certificate");

    // The renewal completes: the key first, then the chain, as a renewing
    // client may write them; the mismatched pair in between is not taken.
    let second = test_ca("change-second");
    std::fs::copy(&second.files.private_key, &first.files.private_key).unwrap();
    std::fs::copy(&second.files.certificate_chain, &first.files.certificate_chain).unwrap();
    assert!(handshakes_with(server.addr, &second.ca).await, "new handshakes get the renewed certificate");
    assert!(wss_connect(server.addr, std::slice::from_ref(&first.ca)).await.is_err(), "the old one is gone");
    let connection = wt_connect(server.wt_addr.unwrap(), std::slice::from_ref(&second.ca)).await;
    assert!(connection.is_ok(), "WebTransport too: {:?}", connection.err());
}
