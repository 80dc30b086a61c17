//! The harness of the hostile tests: a real asp-server on 127.0.0.1
//! (ephemeral port, the live loop encoding a test pattern forever), a
//! healthy viewer that must keep getting every frame while an attack runs,
//! and attackers that connect from another loopback address (127.0.0.2,
//! ...), so per-address limits tell them apart from the healthy viewer.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asp_core::packet::Payload;
use asp_core::Packet;
use asp_encoder::source::TestPattern;
use asp_encoder::{EncoderConfig, Qp, RateMode};
use asp_server::live::{self, LiveOptions};
use asp_server::listen::Connections;
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy};
use futures_util::StreamExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WIDTH: u32 = 256;
pub const HEIGHT: u32 = 144;
pub const FPS: u32 = 30;

/// The address attackers connect from (Linux routes all of 127/8 to lo).
pub const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));

/// A running server; the live loop stops when it is dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    pub wt_addr: Option<SocketAddr>,
    pub certificate_hash: Option<[u8; 32]>,
    pub hub: Arc<Hub>,
    pub connections: Arc<Connections>,
    stop: Arc<AtomicBool>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts a server with `config` (bind address ignored: 127.0.0.1:0) and a
/// live test pattern (keyframe every second) that never ends.
pub async fn start(config: ServerConfig, policy: StreamPolicy) -> TestServer {
    start_with(config, policy, constant_qp()).await
}

/// Encoder settings for the small test picture at a constant QP.
pub fn constant_qp() -> EncoderConfig {
    let mut encoder = EncoderConfig::new(WIDTH, HEIGHT, FPS, 1);
    encoder.keyint = FPS;
    encoder.rate = RateMode::ConstantQp(Qp::new(30).expect("30 is a QP"));
    encoder
}

pub async fn start_with(mut config: ServerConfig, policy: StreamPolicy, encoder: EncoderConfig) -> TestServer {
    config.bind = "127.0.0.1:0".parse().expect("address");
    let hub = Arc::new(Hub::new(config.viewer.clone(), policy));
    let facts = StreamFacts { width: WIDTH, height: HEIGHT, fps_num: FPS, fps_den: 1 };
    let server = Server::bind(config, Arc::clone(&hub), facts).await.expect("bind");
    let (addr, wt_addr, certificate_hash) = (server.http_addr, server.wt_addr, server.certificate_hash);
    let connections = Arc::clone(&server.connections);
    tokio::spawn(server.run());
    let stop = Arc::new(AtomicBool::new(false));
    let source = TestPattern::new(WIDTH, HEIGHT, FPS, None).expect("test pattern");
    live::spawn(Box::new(source), encoder, Arc::clone(&hub), LiveOptions::default(), Arc::clone(&stop))
        .expect("live thread");
    TestServer { addr, wt_addr, certificate_hash, hub, connections, stop }
}

/// A TCP connection to `server` from `from` (a loopback address).
pub async fn tcp_from(from: IpAddr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(server).await
}

/// A TCP connection with a tiny receive window, for a viewer that stalls.
pub async fn stalling_tcp_from(from: IpAddr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_recv_buffer_size(4096)?;
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(server).await
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket viewer on `tcp`, with extra request headers.
pub async fn websocket_on(
    tcp: TcpStream,
    server: SocketAddr,
    headers: &[(&str, &str)],
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{server}/asp/ws").into_client_request()?;
    for (name, value) in headers {
        let name = tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("header name");
        request.headers_mut().insert(name, value.parse().expect("header value"));
    }
    let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await?;
    Ok(ws)
}

/// A WebSocket viewer from `from`.
pub async fn websocket_from(from: IpAddr, server: SocketAddr) -> Ws {
    let tcp = tcp_from(from, server).await.expect("connect");
    websocket_on(tcp, server, &[]).await.expect("WebSocket handshake")
}

/// What a viewer got next.
#[derive(Debug)]
pub enum Got {
    /// A frame (I or D packet) with this sequence number.
    Frame(u32),
    /// A server S-packet.
    Notice,
    /// The close (code and reason), or the connection's end.
    Closed(Option<(u16, String)>),
}

/// The next packet or the close; `None` after `limit` with nothing.
pub async fn next(ws: &mut Ws, limit: Duration) -> Option<Got> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next()).await.ok()?;
        return Some(match message {
            Some(Ok(Message::Binary(bytes))) => match Packet::parse(&bytes).map(|p| (p.sequence(), p.payload())) {
                Ok((_, Payload::S(_))) => Got::Notice,
                Ok((sequence, _)) => Got::Frame(sequence),
                Err(e) => panic!("the server sent a damaged packet: {e}"),
            },
            Some(Ok(Message::Close(frame))) => Got::Closed(frame.map(|f| (u16::from(f.code), f.reason.to_string()))),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => Got::Closed(None),
        });
    }
}

/// Waits for the first frame; panics on a close or after `limit`.
pub async fn first_frame(ws: &mut Ws, limit: Duration) -> u32 {
    loop {
        match next(ws, limit).await {
            Some(Got::Frame(sequence)) => return sequence,
            Some(Got::Notice) => continue,
            other => panic!("no frame: {other:?}"),
        }
    }
}

/// A viewer from 127.0.0.1 that reads every frame on its own task and
/// fails the test if it sees a gap, a close, or a pause.
pub struct Healthy {
    frames: Arc<AtomicU32>,
    worst_gap_ms: Arc<AtomicU64>,
    failure: Arc<std::sync::Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Healthy {
    /// Connects and waits for its first frame.
    pub async fn start(server: &TestServer) -> Healthy {
        let mut ws = websocket_from(IpAddr::V4(Ipv4Addr::LOCALHOST), server.addr).await;
        let mut last = first_frame(&mut ws, Duration::from_secs(5)).await;
        let frames = Arc::new(AtomicU32::new(1));
        let worst_gap_ms = Arc::new(AtomicU64::new(0));
        let failure = Arc::new(std::sync::Mutex::new(None));
        let (count, worst, failed) = (Arc::clone(&frames), Arc::clone(&worst_gap_ms), Arc::clone(&failure));
        let task = tokio::spawn(async move {
            let mut at = Instant::now();
            let problem = loop {
                match next(&mut ws, Duration::from_secs(2)).await {
                    Some(Got::Frame(sequence)) => {
                        if sequence != last.wrapping_add(1) {
                            break format!("gap: frame {sequence} after {last}");
                        }
                        last = sequence;
                        let gap = u64::try_from(at.elapsed().as_millis()).unwrap_or(u64::MAX);
                        worst.fetch_max(gap, Ordering::Relaxed);
                        at = Instant::now();
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(Got::Notice) => {}
                    Some(Got::Closed(close)) => break format!("closed: {close:?}"),
                    None => break "no frame for 2 s".to_string(),
                }
            };
            *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(problem);
        });
        Healthy { frames, worst_gap_ms, failure, task }
    }

    /// Frames received so far.
    pub fn frames(&self) -> u32 {
        self.frames.load(Ordering::Relaxed)
    }

    /// Checks it is still getting every frame: 10 more within a second,
    /// and no gap between frames over `max_gap`. Returns frames received.
    pub async fn check(&self, max_gap: Duration) -> u32 {
        let target = self.frames() + 10;
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.frames() < target && Instant::now() < deadline {
            if let Some(problem) = self.failure.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                panic!("the healthy viewer failed: {problem}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(self.frames() >= target, "the healthy viewer stopped getting frames");
        let worst = Duration::from_millis(self.worst_gap_ms.load(Ordering::Relaxed));
        assert!(worst <= max_gap, "the healthy viewer waited {worst:?} between two frames");
        self.frames()
    }
}

impl Drop for Healthy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Polls `condition` every 10 ms until it holds; false after `limit`.
pub async fn eventually(limit: Duration, condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    condition()
}

/// Whether the server closed `tcp` (EOF or reset) within `limit`, reading
/// and discarding whatever it sent before.
pub async fn closed_within(tcp: &mut TcpStream, limit: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// A WebTransport session from `from` with the server at `wt`, its
/// self-signed certificate trusted by `certificate_hash`.
pub async fn wt_connect_from(from: IpAddr, wt: SocketAddr, certificate_hash: [u8; 32]) -> Result<wtransport::Connection, String> {
    let config = wtransport::ClientConfig::builder()
        .with_bind_address(SocketAddr::new(from, 0))
        .with_server_certificate_hashes([wtransport::tls::Sha256Digest::new(certificate_hash)])
        .build();
    let endpoint = wtransport::Endpoint::client(config).map_err(|e| e.to_string())?;
    endpoint.connect(format!("https://{wt}/asp/wt")).await.map_err(|e| e.to_string())
}

/// A QUIC connection from `from` (HTTP/3's ALPN, the server's certificate
/// trusted by its hash) that completes the handshake and then never sends
/// a request.
pub async fn quic_without_session_from(
    from: IpAddr,
    wt: SocketAddr,
    certificate_hash: [u8; 32],
) -> Result<wtransport::quinn::Connection, String> {
    use wtransport::quinn;
    use wtransport::tls::client::{build_default_tls_config, ServerHashVerification};
    let hash = wtransport::tls::Sha256Digest::new(certificate_hash);
    let verifier = Arc::new(ServerHashVerification::new([hash]));
    let tls = build_default_tls_config(Arc::new(wtransport::tls::rustls::RootCertStore::empty()), Some(verifier));
    let quic = quinn::crypto::rustls::QuicClientConfig::try_from(tls).map_err(|e| e.to_string())?;
    let mut endpoint = quinn::Endpoint::client(SocketAddr::new(from, 0)).map_err(|e| e.to_string())?;
    endpoint.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));
    let connecting = endpoint.connect(wt, "localhost").map_err(|e| e.to_string())?;
    connecting.await.map_err(|e| e.to_string())
}

/// A UDP relay on `from` between a client and `server` that can drop
/// everything the client sends (its acknowledgements and keep-alives) from
/// some moment on, while still passing the server's packets to it. Returns
/// the relay's address and the switch; the relay stops when both are gone.
pub async fn blackholing_relay(from: IpAddr, server: SocketAddr) -> std::io::Result<(SocketAddr, Arc<AtomicBool>)> {
    use tokio::net::UdpSocket;
    let front = Arc::new(UdpSocket::bind(SocketAddr::new(from, 0)).await?);
    let back = Arc::new(UdpSocket::bind(SocketAddr::new(from, 0)).await?);
    back.connect(server).await?;
    let addr = front.local_addr()?;
    let blackhole = Arc::new(AtomicBool::new(false));
    let client = Arc::new(std::sync::Mutex::new(None::<SocketAddr>));
    let (front_in, back_out, drop_acks, seen) =
        (Arc::clone(&front), Arc::clone(&back), Arc::downgrade(&blackhole), Arc::clone(&client));
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = front_in.recv_from(&mut buf).await {
            *seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(from);
            let Some(drop_acks) = drop_acks.upgrade() else { return };
            if !drop_acks.load(Ordering::Relaxed) {
                let _ = back_out.send(&buf[..n]).await;
            }
        }
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = back.recv(&mut buf).await {
            let to = *client.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(to) = to {
                let _ = front.send_to(&buf[..n], to).await;
            }
        }
    });
    Ok((addr, blackhole))
}
