//! A real server on 127.0.0.1 (ephemeral ports) and Rust viewers for it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asp_core::packet::Payload;
use asp_core::schema::SyncCommand;
use asp_core::Packet;
use asp_encoder::{EncoderConfig, Qp, RateMode};
use asp_encoder::FrameSource;
use asp_server::live::{self, LiveOptions};
use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy, ViewerLimits};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WIDTH: u32 = 448;
pub const HEIGHT: u32 = 256;

pub struct TestServer {
    pub addr: SocketAddr,
    pub wt_addr: Option<SocketAddr>,
    pub certificate_hash: Option<[u8; 32]>,
    pub hub: Arc<Hub>,
    pub stop: Arc<AtomicBool>,
    pub live: Option<std::thread::JoinHandle<Result<u64, live::LiveError>>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Encoder settings for the tests' small picture.
pub fn encoder_config(keyint: u32, qp: u8) -> EncoderConfig {
    let mut config = EncoderConfig::new(WIDTH, HEIGHT, 30, 1);
    config.keyint = keyint;
    config.rate = RateMode::ConstantQp(Qp::new(qp).unwrap());
    config
}

pub fn init_logging() {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("asp_server=info").try_init();
}

/// Starts a server and the live loop on `source`.
pub async fn start(
    source: Box<dyn FrameSource + Send>,
    config: EncoderConfig,
    limits: ViewerLimits,
    options: LiveOptions,
) -> TestServer {
    init_logging();
    let hub = Arc::new(Hub::new(limits.clone(), StreamPolicy::default()));
    let mut server_config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    server_config.viewer = limits;
    let facts = StreamFacts { width: config.width, height: config.height, fps_num: 30, fps_den: 1 };
    let server = Server::bind(server_config, Arc::clone(&hub), facts).await.expect("bind");
    let (addr, wt_addr, certificate_hash) = (server.http_addr, server.wt_addr, server.certificate_hash);
    tokio::spawn(server.run());
    let stop = Arc::new(AtomicBool::new(false));
    let live = live::spawn(source, config, Arc::clone(&hub), options, Arc::clone(&stop)).expect("live thread");
    TestServer { addr, wt_addr, certificate_hash, hub, stop, live: Some(live) }
}

pub fn now_us() -> u64 {
    live::unix_time_us()
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect(addr: SocketAddr) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/asp/ws")).await.expect("connect");
    ws
}

/// What a viewer got: a packet (bytes, arrival time), or the close.
#[derive(Debug)]
pub enum Got {
    Packet(Vec<u8>, u64),
    Closed(Option<(u16, String)>),
}

/// The next packet or the close, failing the test after `limit`.
pub async fn next(ws: &mut Ws, limit: Duration) -> Got {
    loop {
        let message = tokio::time::timeout(limit, ws.next()).await.expect("nothing arrived in time");
        match message {
            Some(Ok(Message::Binary(b))) => return Got::Packet(b.to_vec(), now_us()),
            Some(Ok(Message::Close(frame))) => {
                return Got::Closed(frame.map(|f| (u16::from(f.code), f.reason.to_string())));
            }
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Got::Closed(None),
        }
    }
}

/// Reads until the stream ends; returns every packet in order.
pub async fn read_to_end(ws: &mut Ws, limit: Duration) -> (Vec<(Vec<u8>, u64)>, Option<(u16, String)>) {
    let mut packets = Vec::new();
    loop {
        match next(ws, limit).await {
            Got::Packet(bytes, at) => packets.push((bytes, at)),
            Got::Closed(close) => return (packets, close),
        }
    }
}

pub async fn send_packet(ws: &mut Ws, bytes: &[u8]) {
    ws.send(Message::Binary(bytes.to_vec().into())).await.expect("send");
}

/// The S-packet command of a packet, if it is one.
pub fn sync_command(bytes: &[u8]) -> Option<SyncCommand> {
    match Packet::parse(bytes).expect("valid packet").payload() {
        Payload::S(s) => Some(s.command()),
        _ => None,
    }
}

/// Polls `condition` on the hub's stats until true, failing after `limit`.
pub async fn wait_for(hub: &Hub, limit: Duration, what: &str, condition: impl Fn(&asp_server::HubStats) -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let stats = hub.stats();
        if condition(&stats) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {stats:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A healthy viewer that checks every frame arrives in order, on its own task.
pub struct Healthy {
    task: tokio::task::JoinHandle<u32>,
    stop: tokio::sync::oneshot::Sender<()>,
    received: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl Healthy {
    pub async fn start(addr: SocketAddr) -> Healthy {
        let mut ws = connect(addr).await;
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let received = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = std::sync::Arc::clone(&received);
        let task = tokio::spawn(async move {
            let mut last: Option<u32> = None;
            let mut frames = 0;
            loop {
                tokio::select! {
                    _ = &mut stopped => return frames,
                    got = next(&mut ws, Duration::from_secs(5)) => match got {
                        Got::Packet(bytes, _) => {
                            if sync_command(&bytes).is_some() {
                                continue;
                            }
                            let sequence = Packet::parse(&bytes).unwrap().sequence();
                            if let Some(l) = last {
                                assert_eq!(sequence, l + 1, "the healthy viewer saw a gap");
                            }
                            last = Some(sequence);
                            frames += 1;
                            counter.store(frames, std::sync::atomic::Ordering::Relaxed);
                        }
                        Got::Closed(close) => panic!("the healthy viewer was closed: {close:?}"),
                    },
                }
            }
        });
        Healthy { task, stop, received }
    }

    /// Waits until it has received 20 more frames (it is still being
    /// served), then stops it; the number of frames it got in order.
    pub async fn finish(self, hub: &asp_server::Hub) -> u32 {
        let target = self.received.load(std::sync::atomic::Ordering::Relaxed) + 20;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while self.received.load(std::sync::atomic::Ordering::Relaxed) < target {
            assert!(tokio::time::Instant::now() < deadline, "the healthy viewer stopped getting frames: {:?}", hub.stats());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = self.stop.send(());
        self.task.await.expect("the healthy viewer failed")
    }
}

/// Reads the server's streams in order until an EndOfStream (or a Pong when
/// `until_pong`); returns all the bytes.
pub async fn wt_read(connection: &wtransport::Connection, until_pong: bool) -> Vec<u8> {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let mut stream = tokio::time::timeout(Duration::from_secs(10), connection.accept_uni())
            .await
            .expect("a stream in time")
            .expect("a stream");
        let mut reader = asp_core::PacketReader::new();
        while let Some(n) = stream.read(&mut buf).await.expect("read") {
            all.extend_from_slice(&buf[..n]);
            reader.push(&buf[..n]);
            while let Some(event) = reader.next_event() {
                let asp_core::ReadEvent::Packet { packet, .. } = event else { panic!("damaged WebTransport stream") };
                if let Payload::S(s) = packet.payload() {
                    if s.command() == SyncCommand::EndOfStream || (until_pong && s.command() == SyncCommand::Pong) {
                        return all;
                    }
                }
            }
        }
    }
}
