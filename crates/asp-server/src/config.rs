//! Every knob of the server, with the defaults a live stream wants.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::origin::AllowedOrigins;
pub use crate::token::ViewTokens;

/// How much a viewer may lag and misbehave before it is cut off.
#[derive(Clone, Debug)]
pub struct ViewerLimits {
    /// Messages (packets) waiting for one viewer's socket. When full, the
    /// viewer's delta frames are dropped until the next keyframe.
    pub queue_len: usize,
    /// A viewer skipping frames without a break for this long is disconnected.
    pub max_skip_time: Duration,
    /// A viewer that starts this many skip episodes within
    /// `skip_episode_window` is disconnected.
    pub max_skip_episodes: usize,
    pub skip_episode_window: Duration,
    /// Nothing heard from the viewer (no message, no WebSocket pong) for this
    /// long: the connection is half-open or dead, close it.
    pub idle_timeout: Duration,
    /// How often the server pings a WebSocket viewer (browsers answer pings
    /// by themselves), so a healthy but quiet viewer is never idle.
    pub ping_interval: Duration,
    /// Largest client message accepted, in bytes. S-packets are tiny; anything
    /// larger closes the connection.
    pub max_client_message: usize,
    /// Unparsable client messages tolerated before the viewer is disconnected.
    pub max_bad_messages: u32,
    /// Messages (WebSocket messages, WebTransport datagrams, S-packets on a
    /// stream) a viewer may send per second on average, and at once. More
    /// are dropped unread; a viewer over by another `message_burst` is
    /// disconnected. Players send a few a second at most.
    pub max_messages_per_second: u32,
    pub message_burst: u32,
    /// Kernel send buffer of each viewer's TCP socket (None: the OS default).
    /// Bounds the bytes the kernel holds for one viewer, and makes a stalled
    /// viewer show up as a full queue quickly.
    pub socket_send_buffer: Option<usize>,
    /// Most viewers at once; more are refused with a reason.
    pub max_viewers: usize,
    /// Most viewers at once from one address (an IPv4 address, or an IPv6
    /// /64, which one host usually has whole), so one client cannot take
    /// every slot.
    pub max_viewers_per_address: usize,
}

impl Default for ViewerLimits {
    fn default() -> Self {
        ViewerLimits {
            queue_len: 32,
            max_skip_time: Duration::from_secs(10),
            max_skip_episodes: 5,
            skip_episode_window: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(15),
            ping_interval: Duration::from_secs(5),
            max_client_message: 4096,
            max_bad_messages: 8,
            max_messages_per_second: 50,
            message_burst: 100,
            socket_send_buffer: Some(256 << 10),
            max_viewers: 4096,
            max_viewers_per_address: 64,
        }
    }
}

/// What the HTTP + WebSocket listener lets a TCP connection hold, whatever
/// it turns out to be (a page load, a viewer, an idle or hostile socket).
/// Viewer slots are limited separately ([`ViewerLimits`]); these bound the
/// sockets and the time spent on them before and outside a viewer session.
#[derive(Clone, Debug)]
pub struct TransportLimits {
    /// Open TCP connections at once; more are closed as soon as accepted.
    /// Clamped at start to what the open-file limit leaves room for.
    pub max_connections: usize,
    /// Open TCP connections at once from one address (IPv4 address, or IPv6
    /// /64).
    pub max_connections_per_address: usize,
    /// A request's head (request line and headers) must arrive within this
    /// long of the connection opening or of the previous response: a
    /// connection that sends nothing, or a header a byte at a time
    /// (slowloris), or keeps an idle keep-alive open, is closed.
    pub header_read_timeout: Duration,
    /// Largest request head, in bytes (the read buffer of a connection);
    /// a larger one is answered 431 and closed.
    pub max_header_bytes: usize,
    /// An HTTP exchange in which no byte moves either way for this long is
    /// closed (a client that stops reading a response, or a body). Viewer
    /// sessions have their own timeouts ([`ViewerLimits::idle_timeout`]).
    pub idle_timeout: Duration,
    pub webtransport: WebTransportLimits,
}

/// What a WebTransport (QUIC) connection may hold. A viewer gets one
/// unidirectional stream per keyframe run from the server, and sends only
/// tiny S-packets (on a unidirectional stream or in datagrams), so the
/// windows it may fill on the server are small; the connection caps of
/// [`TransportLimits`] count QUIC connections separately from TCP ones.
#[derive(Clone, Debug)]
pub struct WebTransportLimits {
    /// The QUIC handshake and the HTTP/3 session request must be done within
    /// this long of the first packet; a connection that never asks for a
    /// session is dropped.
    pub session_request_timeout: Duration,
    /// Bidirectional streams a client may have open at once (HTTP/3 uses
    /// one for the session request; viewers need no others).
    pub max_bidi_streams: u32,
    /// Unidirectional streams a client may have open at once (HTTP/3's
    /// three control streams, and the viewer's S-packet streams).
    pub max_uni_streams: u32,
    /// Bytes the server buffers for one client stream, and for the whole
    /// connection, before the client must wait.
    pub stream_receive_window: u32,
    pub connection_receive_window: u32,
    /// Bytes of datagrams the server buffers from one client.
    pub datagram_receive_buffer: usize,
    /// Bytes sent and not yet acknowledged, at most, per connection: a
    /// client that stops acknowledging holds no more than this.
    pub send_window: u64,
}

impl Default for WebTransportLimits {
    fn default() -> Self {
        WebTransportLimits {
            session_request_timeout: Duration::from_secs(5),
            max_bidi_streams: 4,
            max_uni_streams: 16,
            stream_receive_window: 64 << 10,
            connection_receive_window: 256 << 10,
            datagram_receive_buffer: 64 << 10,
            send_window: 4 << 20,
        }
    }
}

impl Default for TransportLimits {
    fn default() -> Self {
        TransportLimits {
            max_connections: 8192,
            max_connections_per_address: 256,
            header_read_timeout: Duration::from_secs(10),
            max_header_bytes: 16 << 10,
            idle_timeout: Duration::from_secs(30),
            webtransport: WebTransportLimits::default(),
        }
    }
}

/// How the stream as a whole reacts to its viewers.
#[derive(Clone, Debug)]
pub struct StreamPolicy {
    /// At most one keyframe forced by viewers per this interval; requests in
    /// between are merged into the next allowed one.
    pub keyframe_min_interval: Duration,
    /// One viewer's keyframe requests (RequestKeyframe, Nack, a stopped
    /// WebTransport stream) count at most once per this interval, and so do
    /// one address's (an IPv4 address or an IPv6 /64, across its viewers
    /// and reconnections); the rest are ignored, so one viewer cannot raise
    /// everyone's keyframe rate.
    pub viewer_keyframe_min_interval: Duration,
    /// The keyframe-to-keyframe run kept for late joiners is capped at this
    /// many bytes; past it the run is dropped and a keyframe requested.
    pub max_group_bytes: usize,
    /// Bitrate limits for viewer feedback (bits per second). `max` is the
    /// configured rate; viewers can only lower it, never below `min`, and
    /// only together: the target is the median of the healthy viewers'
    /// rates (see the crate docs).
    pub min_bitrate: u64,
    pub max_bitrate: u64,
    /// A viewer's BitrateAdjust counts for this long after it was sent.
    pub bitrate_report_ttl: Duration,
}

impl StreamPolicy {
    /// Defaults around a configured bitrate (0: constant QP, no rate feedback).
    pub fn for_bitrate(bits_per_second: u64) -> StreamPolicy {
        StreamPolicy {
            keyframe_min_interval: Duration::from_secs(1),
            viewer_keyframe_min_interval: Duration::from_secs(5),
            max_group_bytes: 32 << 20,
            min_bitrate: bits_per_second / 8,
            max_bitrate: bits_per_second,
            bitrate_report_ttl: Duration::from_secs(10),
        }
    }
}

impl Default for StreamPolicy {
    fn default() -> Self {
        StreamPolicy::for_bitrate(0)
    }
}

/// Where and what to serve.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// TCP address of the HTTP + WebSocket server; WebTransport listens on
    /// UDP at the same address (or, if that port is taken, another one).
    pub bind: SocketAddr,
    /// The demo page directory (`www/`), served at `/`.
    pub www_dir: Option<PathBuf>,
    /// The player package directory (`web/`), served at `/web/`.
    pub web_dir: Option<PathBuf>,
    /// Start the WebTransport endpoint.
    pub webtransport: bool,
    pub viewer: ViewerLimits,
    pub transport: TransportLimits,
    /// Pages of other origins allowed to use the stream (WebSocket,
    /// WebTransport, `/asp/session`); the server's own pages always may.
    pub allowed_origins: AllowedOrigins,
    /// The stream's attribution, given in the session description so that
    /// viewers who join after the first keyframe (the only one carrying it
    /// in its stream facts) have it too. `None`: not given.
    pub attribution: Option<String>,
    /// The operator's certificate: with it, HTTP is HTTPS, WebSocket is WSS
    /// and WebTransport uses it too (no certificate hash needed). Without
    /// it, plain HTTP/WS and a self-signed WebTransport certificate.
    pub tls: Option<TlsFiles>,
    /// How often the operator's certificate files are checked for a change
    /// (size or modification time); a changed pair that loads replaces the
    /// certificate for new handshakes, as SIGHUP does.
    pub tls_check_interval: Duration,
    /// How long a self-signed WebTransport certificate is valid; a new one
    /// replaces it a fifth of this before it expires. Browsers accept at
    /// most 14 days for `serverCertificateHashes`.
    pub self_signed_validity: Duration,
    /// Tokens a viewer must present (none: no token needed); see
    /// [`crate::token`].
    pub view_tokens: ViewTokens,
}

/// The validity of the self-signed WebTransport certificate by default:
/// under the browsers' 14-day cap with a day to spare for clock skew.
pub const SELF_SIGNED_VALIDITY: Duration = Duration::from_secs(13 * 24 * 3600);

/// How often the operator's certificate files are checked by default: a
/// renewal (certbot runs twice a day) is picked up within seconds, at the
/// cost of two `stat` calls.
pub const TLS_CHECK_INTERVAL: Duration = Duration::from_secs(5);

impl ServerConfig {
    pub fn new(bind: SocketAddr) -> ServerConfig {
        ServerConfig {
            bind,
            www_dir: None,
            web_dir: None,
            webtransport: true,
            viewer: ViewerLimits::default(),
            transport: TransportLimits::default(),
            allowed_origins: AllowedOrigins::default(),
            attribution: None,
            tls: None,
            tls_check_interval: TLS_CHECK_INTERVAL,
            self_signed_validity: SELF_SIGNED_VALIDITY,
            view_tokens: ViewTokens::default(),
        }
    }
}

/// The operator's certificate: PEM files of the chain (leaf first) and of
/// its private key (PKCS#8, PKCS#1 or SEC1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub certificate_chain: PathBuf,
    pub private_key: PathBuf,
}
