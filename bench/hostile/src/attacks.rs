//! The attacks, each a set of tasks that keep at it (reconnecting when the
//! server cuts them off) until they are aborted. Attackers connect from
//! 127.0.2.x, so the server's per-address limits apply to them and not to
//! the healthy audience.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use asp_core::packet::Sync as SyncPacket;
use asp_core::schema::SyncCommand;
use asp_core::PacketWriter;
use asp_hostile_tests::{
    blackholing_relay, quic_without_session_from, stalling_tcp_from, tcp_from, websocket_on, wt_connect_from,
};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

/// Where the server listens.
#[derive(Clone, Copy)]
pub struct Target {
    pub http: SocketAddr,
    pub wt: SocketAddr,
    pub certificate_hash: [u8; 32],
}

/// The attackers' tasks, on their own runtime.
pub struct Attackers {
    tasks: JoinSet<()>,
    runtime: tokio::runtime::Handle,
}

impl Attackers {
    pub fn new(runtime: tokio::runtime::Handle) -> Attackers {
        Attackers { tasks: JoinSet::new(), runtime }
    }

    fn spawn(&mut self, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.spawn_on(task, &self.runtime);
    }

    /// Stops every attacker (their sockets close).
    pub async fn stop(mut self) {
        self.tasks.shutdown().await;
    }
}

/// The runtime attackers run on: its threads at the lowest scheduling
/// priority, so that on a machine shared with the server and the healthy
/// viewers, the attackers' own work (TLS handshakes, tight send loops)
/// does not starve the viewers' reading and shows up as the server's
/// fault. On the internet an attacker's CPU is not the server's.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("attacker")
        .on_thread_start(|| {
            // SAFETY: setpriority on the calling thread (who = 0) only
            // changes its nice value; failure leaves it as it was.
            unsafe {
                libc::setpriority(libc::PRIO_PROCESS, 0, 19);
            }
        })
        .build()
}

/// One attack: its name in the table, what it does, and how it starts.
pub struct Attack {
    pub name: &'static str,
    pub what: &'static str,
    pub start: fn(Target, &mut Attackers),
}

/// The attacks, in the order they run.
pub const ALL: &[Attack] = &[
    Attack { name: "idle connections", what: "1000 TCP connections that send nothing, reopened when closed", start: idle_connections },
    Attack { name: "slowloris", what: "400 connections sending a request head one header every 500 ms", start: slowloris },
    Attack { name: "big headers", what: "16 connections sending 64 KiB request heads in a loop", start: big_headers },
    Attack { name: "WS idle", what: "240 WebSocket viewers that read but never send or answer a ping", start: websocket_idle },
    Attack { name: "slot exhaustion", what: "300 WebSocket viewers from one address, retrying when refused", start: slot_exhaustion },
    Attack { name: "never-reading viewers", what: "240 WebSocket viewers with a 4 KiB receive buffer that never read", start: never_reading },
    Attack { name: "S-packet floods", what: "32 viewers sending every S-packet kind (4 each) as fast as they can", start: s_packet_floods },
    Attack { name: "BitrateAdjust", what: "40 viewers from 40 addresses reporting 1 kbps 5 times a second", start: bitrate_adjust },
    Attack { name: "malformed WS", what: "16 connections cycling 8 kinds of malformed WebSocket frames", start: malformed_websocket },
    Attack { name: "WT bidi hoarding", what: "8 WebTransport sessions opening bidirectional streams and filling them", start: wt_bidi_hoarding },
    Attack { name: "WT pre-session", what: "100 QUIC connections that never ask for a session, reopened when dropped", start: wt_pre_session },
    Attack { name: "WT datagram flood", what: "8 WebTransport sessions sending Ping datagrams as fast as they can", start: wt_datagram_flood },
    Attack { name: "WT blackholed acks", what: "8 WebTransport viewers whose acknowledgements stop after the first bytes", start: wt_blackholed_acks },
    Attack { name: "resync bomb", what: "8 WT streams and 8 WebSocket viewers sending forged 16-byte headers", start: resync_bomb },
];

/// The `index`th attacker address: 127.0.2.1, 127.0.2.2, ...
fn attacker(index: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 2, 1 + (index % 250) as u8))
}

const PAUSE: Duration = Duration::from_millis(100);

fn upgrade_request(server: SocketAddr) -> String {
    format!(
        "GET /asp/ws HTTP/1.1\r\nHost: {server}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Reads and discards until the server closes `tcp`.
async fn drain(tcp: &mut TcpStream) {
    let mut buf = vec![0u8; 16 << 10];
    while matches!(tcp.read(&mut buf).await, Ok(n) if n > 0) {}
}

fn idle_connections(target: Target, set: &mut Attackers) {
    for i in 0..1000 {
        set.spawn(async move {
            loop {
                if let Ok(mut tcp) = tcp_from(attacker(i % 4), target.http).await {
                    drain(&mut tcp).await;
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn slowloris(target: Target, set: &mut Attackers) {
    for i in 0..400 {
        set.spawn(async move {
            loop {
                if let Ok(mut tcp) = tcp_from(attacker(i % 4), target.http).await {
                    let mut ok = tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.is_ok();
                    let mut header = 0u32;
                    while ok {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        header += 1;
                        ok = tcp.write_all(format!("X-{header}: y\r\n").as_bytes()).await.is_ok();
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn big_headers(target: Target, set: &mut Attackers) {
    let mut head = b"GET /asp/session HTTP/1.1\r\nHost: x\r\n".to_vec();
    while head.len() < 64 << 10 {
        head.extend_from_slice(format!("X-Padding-{}: {}\r\n", head.len(), "a".repeat(40)).as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    for i in 0..16 {
        let head = head.clone();
        set.spawn(async move {
            loop {
                if let Ok(mut tcp) = tcp_from(attacker(i % 4), target.http).await {
                    let _ = tcp.write_all(&head).await;
                    drain(&mut tcp).await;
                }
            }
        });
    }
}

fn websocket_idle(target: Target, set: &mut Attackers) {
    for i in 0..240 {
        set.spawn(async move {
            loop {
                if let Ok(mut tcp) = tcp_from(attacker(i % 4), target.http).await {
                    if tcp.write_all(upgrade_request(target.http).as_bytes()).await.is_ok() {
                        drain(&mut tcp).await;
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn slot_exhaustion(target: Target, set: &mut Attackers) {
    for _ in 0..300 {
        set.spawn(async move {
            loop {
                if let Ok(tcp) = tcp_from(attacker(0), target.http).await {
                    if let Ok(mut ws) = websocket_on(tcp, target.http, &[]).await {
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
    }
}

fn never_reading(target: Target, set: &mut Attackers) {
    for i in 0..240 {
        set.spawn(async move {
            loop {
                if let Ok(mut tcp) = stalling_tcp_from(attacker(i % 4), target.http).await {
                    if tcp.write_all(upgrade_request(target.http).as_bytes()).await.is_ok() {
                        // Never reads: the server must give up on it by itself.
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn s_packet(command: SyncCommand) -> Vec<u8> {
    let s = SyncPacket { bitrate_kbps: 1, sequence: 1, sequences: &[1, 2, 3], quality: 1, ..SyncPacket::command(command) };
    PacketWriter::new().write_s(0, 0, &s).map(|p| p.to_vec()).unwrap_or_default()
}

/// A viewer from `from` that sends `message` every `interval` (none: as
/// fast as the socket takes them) and reads what it is sent, reconnecting
/// when cut off.
async fn sender(from: IpAddr, target: Target, message: Vec<u8>, interval: Option<Duration>) {
    loop {
        if let Ok(tcp) = tcp_from(from, target.http).await {
            if let Ok(ws) = websocket_on(tcp, target.http, &[]).await {
                let (mut tx, mut rx) = ws.split();
                let reading = async { while let Some(Ok(_)) = rx.next().await {} };
                let sending = async {
                    while tx.send(Message::Binary(message.clone().into())).await.is_ok() {
                        match interval {
                            Some(interval) => tokio::time::sleep(interval).await,
                            None => tokio::task::yield_now().await,
                        }
                    }
                };
                tokio::select! { _ = reading => {}, _ = sending => {} }
            }
        }
        tokio::time::sleep(PAUSE).await;
    }
}

fn s_packet_floods(target: Target, set: &mut Attackers) {
    for (i, &command) in SyncCommand::ENUM_VALUES.iter().enumerate() {
        for j in 0..4 {
            set.spawn(sender(attacker(i * 4 + j), target, s_packet(command), None));
        }
    }
}

fn bitrate_adjust(target: Target, set: &mut Attackers) {
    for i in 0..40 {
        let report = s_packet(SyncCommand::BitrateAdjust);
        set.spawn(sender(attacker(i), target, report, Some(Duration::from_millis(200))));
    }
}

/// Client frames that break RFC 6455 each in its own way (masked with a
/// zero key where masking is due, so the payload is as written).
fn malformed_frames() -> Vec<Vec<u8>> {
    let masked = |first: u8, payload: &[u8]| {
        let mut frame = vec![first, 0x80 | payload.len() as u8, 0, 0, 0, 0];
        frame.extend_from_slice(payload);
        frame
    };
    let mut oversized = vec![0x82, 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0];
    oversized.extend(std::iter::repeat_n(0xAB, 64 << 10));
    let garbage: Vec<u8> = (0..20).flat_map(|i| masked(0x82, &[i as u8; 16])).collect();
    vec![
        vec![0x82, 0x05, 1, 2, 3, 4, 5],  // unmasked
        masked(0x83, b""),                // reserved opcode
        masked(0x81, b"hello"),           // text
        oversized,                        // a 1 GiB message
        masked(0xC2, b""),                // reserved bits
        masked(0x09, b""),                // a fragmented ping
        garbage,                          // messages that are no S-packet
        masked(0x88, &[0, 0]),            // close with code 0
    ]
}

fn malformed_websocket(target: Target, set: &mut Attackers) {
    for i in 0..16 {
        set.spawn(async move {
            let frames = malformed_frames();
            for round in 0usize.. {
                if let Ok(mut tcp) = tcp_from(attacker(i % 4), target.http).await {
                    if tcp.write_all(upgrade_request(target.http).as_bytes()).await.is_ok() {
                        let _ = tcp.write_all(&frames[(i + round) % frames.len()]).await;
                        drain(&mut tcp).await;
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn wt_bidi_hoarding(target: Target, set: &mut Attackers) {
    for i in 0..8 {
        set.spawn(async move {
            loop {
                if let Ok(connection) = wt_connect_from(attacker(i), target.wt, target.certificate_hash).await {
                    let mut streams = Vec::new();
                    while let Ok(Some(stream)) = tokio::time::timeout(Duration::from_millis(300), open_bi(&connection)).await {
                        streams.push(stream);
                    }
                    let chunk = vec![0u8; 16 << 10];
                    let fill = futures_util::future::join_all(streams.iter_mut().map(|(send, _)| {
                        let chunk = &chunk;
                        async move { while send.write(chunk).await.is_ok() {} }
                    }));
                    tokio::select! { _ = fill => {}, _ = connection.closed() => {} }
                    connection.closed().await;
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

/// A bidirectional stream, once the server gives credit for it.
async fn open_bi(connection: &wtransport::Connection) -> Option<(wtransport::SendStream, wtransport::RecvStream)> {
    connection.open_bi().await.ok()?.await.ok()
}

fn wt_pre_session(target: Target, set: &mut Attackers) {
    for i in 0..100 {
        set.spawn(async move {
            loop {
                if let Ok(connection) = quic_without_session_from(attacker(i % 4), target.wt, target.certificate_hash).await {
                    connection.closed().await;
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn wt_datagram_flood(target: Target, set: &mut Attackers) {
    let ping = s_packet(SyncCommand::Ping);
    for i in 0..8 {
        let ping = ping.clone();
        set.spawn(async move {
            loop {
                if let Ok(connection) = wt_connect_from(attacker(i), target.wt, target.certificate_hash).await {
                    let flood = async {
                        for sent in 0u64.. {
                            if connection.send_datagram(ping.clone()).is_err() {
                                break;
                            }
                            if sent % 50 == 0 {
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                        }
                    };
                    tokio::select! { _ = flood => {}, _ = connection.closed() => {} }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

fn wt_blackholed_acks(target: Target, set: &mut Attackers) {
    for i in 0..8 {
        set.spawn(async move {
            loop {
                let from = attacker(i);
                let Ok((relay, blackhole)) = blackholing_relay(from, target.wt).await else {
                    tokio::time::sleep(PAUSE).await;
                    continue;
                };
                if let Ok(connection) = wt_connect_from(from, relay, target.certificate_hash).await {
                    let mut buf = vec![0u8; 64 << 10];
                    if let Ok(mut stream) = connection.accept_uni().await {
                        let _ = stream.read(&mut buf).await;
                        blackhole.store(true, std::sync::atomic::Ordering::Relaxed);
                        // Keeps reading what still arrives; the server hears nothing.
                        loop {
                            match stream.read(&mut buf).await {
                                Ok(Some(_)) => {}
                                _ => match connection.accept_uni().await {
                                    Ok(next) => stream = next,
                                    Err(_) => break,
                                },
                            }
                        }
                    }
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
}

/// Forged S-packet headers, 16 bytes each, every one claiming a payload
/// of `claimed` bytes, so each is a candidate packet over those after it.
fn forged_headers(count: usize, claimed: u32) -> Vec<u8> {
    (0..count as u32)
        .flat_map(|sequence| {
            let mut header = b"ASP1".to_vec();
            header.extend_from_slice(&[2, 4, 0, 0]);
            header.extend_from_slice(&sequence.to_be_bytes());
            header.extend_from_slice(&claimed.to_be_bytes());
            header
        })
        .collect()
}

fn resync_bomb(target: Target, set: &mut Attackers) {
    let stream_bomb = forged_headers(4096, 4000);
    for i in 0..8 {
        let bomb = stream_bomb.clone();
        set.spawn(async move {
            loop {
                if let Ok(connection) = wt_connect_from(attacker(i), target.wt, target.certificate_hash).await {
                    if let Some(mut send) = open_uni(&connection).await {
                        while send.write_all(&bomb).await.is_ok() {}
                    }
                    connection.closed().await;
                }
                tokio::time::sleep(PAUSE).await;
            }
        });
    }
    // A WebSocket message is one packet or nothing; a bomb the largest
    // message the server takes.
    let message_bomb = forged_headers(4096 / 16, 4000);
    for i in 0..8 {
        set.spawn(sender(attacker(8 + i), target, message_bomb.clone(), None));
    }
}

/// A unidirectional stream, once the server gives credit for it.
async fn open_uni(connection: &wtransport::Connection) -> Option<wtransport::SendStream> {
    connection.open_uni().await.ok()?.await.ok()
}
