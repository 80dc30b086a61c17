//! WebTransport viewers: a real QUIC + HTTP/3 endpoint (the `wtransport`
//! crate) with the operator's certificate, or a self-signed ECDSA P-256 one
//! valid for 13 days and renewed before it expires, which a page trusts
//! through `serverCertificateHashes` (see [`crate::certificate`]).
//!
//! Session URL: `https://HOST:PORT/asp/wt`. Server -> viewer: one
//! unidirectional stream per keyframe run (a keyframe opens a new stream;
//! the delta frames that depend on it follow on the same stream), whole ASP
//! packets back to back; server S-packets travel on the current stream in
//! order. This is the shape of a Media over QUIC group (see
//! docs/scaling.md). A viewer reads the streams in the order they open.
//! Viewer -> server: S-packets back to back on any unidirectional stream(s)
//! the viewer opens, or one or more whole S-packets per datagram.
//!
//! A viewer may stop reading a stream (STOP_SENDING, e.g. cancelling its
//! reader to skip a keyframe run it is too late for): the session goes on,
//! delta frames are skipped, a keyframe is requested (rate-limited as all
//! requests are), and the next keyframe opens a new stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use asp_core::{PacketReader, PacketType, ReadEvent};
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tracing::{info, warn};
use wtransport::endpoint::IncomingSession;
use std::future::IntoFuture;

use wtransport::config::QuicTransportConfig;
use wtransport::quinn::{VarInt as QuicVarInt, WriteError as QuicWriteError};
use wtransport::{Connection, Endpoint, SendStream, ServerConfig, VarInt};

use crate::certificate::CertificateStore;
use crate::config::{AllowedOrigins, WebTransportLimits};
use crate::listen::{ConnectionGuard, Connections};
use crate::budget::{MessageBudget, Verdict, TOO_MANY_MESSAGES};
use crate::hub::{ClientOutcome, Hub};
use crate::sync::{client_limits, ClientMessageError};

/// The path of the WebTransport session.
pub const PATH: &str = "/asp/wt";

/// A bound WebTransport endpoint.
pub struct WtEndpoint {
    endpoint: Endpoint<wtransport::endpoint::endpoint_side::Server>,
    pub addr: SocketAddr,
}

/// Why the WebTransport endpoint could not start.
#[derive(Debug)]
pub enum WtError {
    Certificate(crate::certificate::CertificateError),
    Bind(std::io::Error),
    Config(String),
}

impl std::fmt::Display for WtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WtError::Certificate(e) => write!(f, "certificate: {e}"),
            WtError::Bind(e) => write!(f, "binding the UDP socket: {e}"),
            WtError::Config(e) => write!(f, "QUIC settings: {e}"),
        }
    }
}

impl std::error::Error for WtError {}

impl WtEndpoint {
    /// Binds UDP `addr`; every handshake gets the certificate `certificates`
    /// holds at the time (so a rotated or reloaded one applies to new
    /// sessions). The QUIC transport is sized by `limits`; `idle` and
    /// `keep_alive` are the viewer's.
    pub fn bind(
        addr: SocketAddr,
        certificates: &Arc<CertificateStore>,
        idle: Duration,
        keep_alive: Duration,
        limits: &WebTransportLimits,
    ) -> Result<WtEndpoint, WtError> {
        let tls = certificates.webtransport_config().map_err(WtError::Certificate)?;
        let mut transport = QuicTransportConfig::default();
        transport
            .max_concurrent_bidi_streams(QuicVarInt::from_u32(limits.max_bidi_streams))
            .max_concurrent_uni_streams(QuicVarInt::from_u32(limits.max_uni_streams))
            .stream_receive_window(QuicVarInt::from_u32(limits.stream_receive_window))
            .receive_window(QuicVarInt::from_u32(limits.connection_receive_window))
            .datagram_receive_buffer_size(Some(limits.datagram_receive_buffer))
            .send_window(limits.send_window);
        let config = ServerConfig::builder()
            .with_bind_address(addr)
            .with_custom_tls_and_transport(tls, transport)
            .keep_alive_interval(Some(keep_alive))
            .max_idle_timeout(Some(idle))
            .map_err(|e| WtError::Config(e.to_string()))?
            .build();
        let endpoint = Endpoint::server(config).map_err(WtError::Bind)?;
        let addr = endpoint.local_addr().map_err(WtError::Bind)?;
        Ok(WtEndpoint { endpoint, addr })
    }

    /// Accepts sessions forever, as `admission` allows.
    pub async fn serve(self, hub: Arc<Hub>, admission: Admission) {
        let admission = Arc::new(admission);
        loop {
            let incoming = self.endpoint.accept().await;
            // Counted before the handshake: a flood of connection attempts
            // from one address costs no more than its cap.
            let Some(place) = admission.connections.admit(incoming.remote_address().ip()) else {
                incoming.refuse();
                continue;
            };
            tokio::spawn(accept(incoming, Arc::clone(&hub), Arc::clone(&admission), place));
        }
    }
}

/// Who may open a WebTransport session, and how fast.
pub struct Admission {
    /// Pages allowed besides the server's own (those of `http_port`).
    pub origins: Arc<AllowedOrigins>,
    pub http_port: u16,
    /// Open QUIC connections, capped in total and per address.
    pub connections: Arc<Connections>,
    /// The handshake and the session request must be done within this.
    pub session_request_timeout: Duration,
    /// Tokens a viewer must present (`?token=` on the session URL, or an
    /// `authorization: Bearer` header).
    pub tokens: Arc<crate::token::ViewTokens>,
}

async fn accept(incoming: IncomingSession, hub: Arc<Hub>, admission: Arc<Admission>, _place: ConnectionGuard) {
    let (origins, http_port) = (&admission.origins, admission.http_port);
    let request = match timeout(admission.session_request_timeout, incoming.into_future()).await {
        Ok(Ok(request)) => request,
        Ok(Err(e)) => {
            info!(error = %e, "WebTransport handshake failed");
            return;
        }
        Err(_) => {
            // Dropping the connection closes it.
            info!("WebTransport connection without a session request in time; dropped");
            return;
        }
    };
    let (path, query) = match request.path().split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (request.path(), None),
    };
    if path != PATH {
        request.not_found().await;
        return;
    }
    let authorization = request.headers().get("authorization").map(String::as_str);
    let presented = crate::token::presented(query, authorization);
    if let Err(refusal) = admission.tokens.check(presented.as_deref(), std::time::SystemTime::now()) {
        info!(?refusal, "refused a WebTransport session without a valid view token");
        request.forbidden().await;
        return;
    }
    if !origins.allows(request.origin(), Some(request.authority()), http_port) {
        info!(origin = request.origin().unwrap_or_default(), "refused a WebTransport session of another origin");
        request.forbidden().await;
        return;
    }
    let connection = match request.accept().await {
        Ok(c) => c,
        Err(e) => {
            info!(error = %e, "WebTransport session refused");
            return;
        }
    };
    let viewer = match hub.join_from(Some(connection.remote_address().ip())) {
        Ok(v) => v,
        Err(e) => {
            connection.close(VarInt::from_u32(1), e.to_string().as_bytes());
            return;
        }
    };
    session(connection, hub, viewer).await;
}

/// Why a session ended.
struct Ending {
    code: u32,
    reason: String,
}

async fn session(connection: Connection, hub: Arc<Hub>, mut viewer: crate::hub::ViewerHandle) {
    let id = viewer.id;
    let limits = hub.limits().clone();
    let (reply_tx, mut replies) = mpsc::channel::<Bytes>(16);
    let budget = SharedBudget::new(MessageBudget::new(limits.max_messages_per_second, limits.message_burst));
    let mut reader = tokio::spawn(read_loop(connection.clone(), Arc::clone(&hub), id, reply_tx, budget));
    let mut stream: Option<SendStream> = None;
    let send_timeout = limits.idle_timeout;
    let evicted = viewer.eviction();

    let ending = 'session: {
        let mut skipping = false;
        let backlog = std::mem::take(&mut viewer.backlog);
        let mut backlog = backlog.into_iter();
        loop {
            let packet = match backlog.next() {
                Some(packet) => packet,
                None => tokio::select! {
                    biased;
                    end = &mut reader => break 'session end.unwrap_or_else(|e| Ending { code: 2, reason: format!("reader failed: {e}") }),
                    Some(reply) = replies.recv() => reply,
                    packet = viewer.queue.recv() => match packet {
                        Some(packet) => packet,
                        None => {
                            let reason = viewer.close_reason().unwrap_or("closed by the server").to_string();
                            let code = if reason.starts_with("end of stream") { 0 } else { 1 };
                            break 'session Ending { code, reason };
                        }
                    },
                },
            };
            if skipping {
                // After a stopped stream: nothing that depends on the
                // abandoned keyframe run; S-packets still go.
                match packet.get(5).copied() {
                    Some(t) if t == PacketType::I as u8 => skipping = false,
                    Some(t) if t == PacketType::S as u8 => {}
                    _ => continue,
                }
            }
            let written = tokio::select! {
                written = write(&connection, &mut stream, &packet, send_timeout) => written,
                // Evicted while a write to a viewer that does not read was
                // under way: close now, not after the write's timeout.
                _ = evicted.notified() => {
                    let reason = viewer.close_reason().unwrap_or("too slow: disconnected by the server").to_string();
                    break 'session Ending { code: 1, reason };
                }
            };
            match written {
                Ok(()) => {}
                Err(WriteError::Stopped) => {
                    // The viewer stopped reading this keyframe run (it fell
                    // behind, or wants to start afresh): not an error. The
                    // next keyframe starts a new stream; ask for one soon.
                    info!(viewer = id, "WebTransport viewer stopped a stream; resuming at the next keyframe");
                    stream = None;
                    skipping = true;
                    hub.request_keyframe_for(id);
                }
                Err(WriteError::End(e)) => break 'session e,
            }
        }
    };
    reader.abort();
    if let Some(mut s) = stream.take() {
        let _ = s.quic_stream_mut().finish();
    }
    if ending.code == 0 {
        // Let the last stream drain before closing the session.
        let _ = timeout(Duration::from_secs(1), connection.closed()).await;
    }
    connection.close(VarInt::from_u32(ending.code), crate::sync::truncate(&ending.reason, 120).as_bytes());
    hub.leave(id, &ending.reason);
}

/// Why a packet could not be written.
enum WriteError {
    /// The viewer stopped the current stream (STOP_SENDING): the session
    /// goes on, from the next keyframe on a new stream.
    Stopped,
    /// The session is over.
    End(Ending),
}

/// Writes one packet; a keyframe starts a new stream.
async fn write(
    connection: &Connection,
    stream: &mut Option<SendStream>,
    packet: &Bytes,
    limit: Duration,
) -> Result<(), WriteError> {
    let keyframe = packet.get(5) == Some(&(PacketType::I as u8));
    let result = timeout(limit, async {
        if keyframe || stream.is_none() {
            if let Some(mut old) = stream.take() {
                let _ = old.quic_stream_mut().finish();
            }
            let opened = connection.open_uni().await.map_err(|e| WriteError::failed(e.to_string()))?;
            *stream = Some(opened.await.map_err(|e| WriteError::failed(e.to_string()))?);
        }
        // The packet's shared buffer goes to QUIC as it is (a reference,
        // not a copy per viewer); the stream's WebTransport header was
        // written when it opened.
        match stream.as_mut() {
            Some(s) => s.quic_stream_mut().write_chunk(packet.clone()).await.map_err(|e| match e {
                QuicWriteError::Stopped(_) => WriteError::Stopped,
                e => WriteError::failed(e.to_string()),
            }),
            None => Ok(()),
        }
    })
    .await;
    match result {
        Ok(written) => written,
        Err(_) => Err(WriteError::End(Ending { code: 1, reason: "timeout: the viewer stopped reading".into() })),
    }
}

impl WriteError {
    fn failed(error: String) -> WriteError {
        WriteError::End(Ending { code: 2, reason: format!("send failed: {error}") })
    }
}

/// Sends the replies of a client message; `Some` when the viewer must go.
fn answer(outcome: ClientOutcome, id: u64, replies: &mpsc::Sender<Bytes>) -> Option<Ending> {
    match outcome {
        ClientOutcome::Replies(list) => {
            for reply in list {
                let _ = replies.try_send(reply);
            }
            None
        }
        ClientOutcome::Refused(_) => None,
        ClientOutcome::Disconnect(reason) => {
            warn!(viewer = id, reason, "closing a WebTransport viewer");
            Some(Ending { code: 1, reason })
        }
    }
}

/// Accepts the viewer's streams and datagrams and reads S-packets from them.
/// One viewer's message budget, shared by its datagrams and its streams.
#[derive(Clone)]
struct SharedBudget(Arc<std::sync::Mutex<MessageBudget>>);

impl SharedBudget {
    fn new(budget: MessageBudget) -> SharedBudget {
        SharedBudget(Arc::new(std::sync::Mutex::new(budget)))
    }

    /// Charges one message: `Ok(true)` handle it, `Ok(false)` drop it,
    /// `Err` the viewer must go.
    fn charge(&self, hub: &Hub) -> Result<bool, Ending> {
        let verdict = self.0.lock().unwrap_or_else(|p| p.into_inner()).charge(std::time::Instant::now());
        match verdict {
            Verdict::Handle => Ok(true),
            Verdict::Drop => {
                hub.count_throttled_message();
                Ok(false)
            }
            Verdict::Disconnect => Err(Ending { code: 1, reason: TOO_MANY_MESSAGES.to_string() }),
        }
    }
}

async fn read_loop(
    connection: Connection,
    hub: Arc<Hub>,
    id: u64,
    replies: mpsc::Sender<Bytes>,
    budget: SharedBudget,
) -> Ending {
    let (end_tx, mut end_rx) = mpsc::channel::<Ending>(1);
    loop {
        tokio::select! {
            end = end_rx.recv() => {
                if let Some(end) = end {
                    return end;
                }
            }
            datagram = connection.receive_datagram() => match datagram {
                Ok(datagram) => {
                    match budget.charge(&hub) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(end) => return end,
                    }
                    // One datagram: one or more whole S-packets.
                    if let Some(end) = answer(hub.client_message(id, &datagram), id, &replies) {
                        return end;
                    }
                }
                Err(wtransport::error::ConnectionError::TimedOut) => {
                    return Ending { code: 1, reason: "timeout: nothing heard from the viewer".into() };
                }
                Err(e) => return Ending { code: 0, reason: format!("the viewer went away: {e}") },
            },
            accepted = connection.accept_uni() => match accepted {
                Ok(recv) => {
                    tokio::spawn(read_stream(recv, Arc::clone(&hub), id, replies.clone(), end_tx.clone(), budget.clone()));
                }
                Err(wtransport::error::ConnectionError::TimedOut) => {
                    return Ending { code: 1, reason: "timeout: nothing heard from the viewer".into() };
                }
                Err(e) => return Ending { code: 0, reason: format!("the viewer went away: {e}") },
            },
        }
    }
}

/// Reads S-packets from a stream the viewer opened. Damage counts as bad
/// messages by the chunk: the packet reader merges a run of junk into one
/// span that it reports only when a valid packet follows, so junk is found
/// by arithmetic instead (bytes received minus valid packets minus what is
/// still buffered), and a viewer streaming garbage is cut off quickly.
async fn read_stream(
    mut recv: wtransport::RecvStream,
    hub: Arc<Hub>,
    id: u64,
    replies: mpsc::Sender<Bytes>,
    end: mpsc::Sender<Ending>,
    budget: SharedBudget,
) {
    let limits = hub.limits().clone();
    let mut reader = PacketReader::with_limits(client_limits(limits.max_client_message));
    let mut buf = vec![0u8; 4096];
    let (mut received, mut valid, mut junk_seen) = (0u64, 0u64, 0u64);
    loop {
        let n = match recv.read(&mut buf).await {
            Ok(Some(n)) => n,
            Ok(None) | Err(_) => return,
        };
        received += n as u64;
        reader.push(&buf[..n]);
        let mut outcomes = Vec::new();
        while let Some(event) = reader.next_event() {
            // Skipped spans are counted below, as junk bytes.
            if let ReadEvent::Packet { packet, .. } = event {
                valid += packet.as_bytes().len() as u64;
                match budget.charge(&hub) {
                    Ok(true) => outcomes.push(hub.client_message(id, packet.as_bytes())),
                    Ok(false) => {}
                    Err(ending) => {
                        let _ = end.send(ending).await;
                        return;
                    }
                }
            }
        }
        let junk = received.saturating_sub(valid + reader.buffered() as u64);
        if junk > junk_seen {
            let error = ClientMessageError::Other(format!("{} bytes that are no S-packet", junk - junk_seen));
            junk_seen = junk;
            outcomes.push(hub.bad_message(id, &error));
        }
        for outcome in outcomes {
            if let Some(ending) = answer(outcome, id, &replies) {
                let _ = end.send(ending).await;
                return;
            }
        }
    }
}
