//! ASP live serving: one encoder, many viewers, over WebSocket and
//! WebTransport, with S-packet feedback from the viewers.
//!
//! ```text
//!  FrameSource ─▶ live loop ─▶ Hub ──▶ per-viewer bounded queue ─▶ ws / wt session ─▶ viewer
//!  (asp-encoder:  pace, stamp,  fan-out,   drop D frames when full,                  │
//!   testsrc, y4m) encode        late-join   notice, disconnect                        │
//!                   ▲           keyframe run                                          │
//!                   └──── EncoderControl ◀── keyframe requests, bitrate ◀── S-packets ┘
//! ```
//!
//! # Endpoints (one HTTP port; WebTransport on UDP, normally the same port number)
//!
//! | path | what |
//! |---|---|
//! | `GET /asp/session` | JSON: `{websocket, webtransport: {port, path, certificateHash, certificateHashBytes}, width, height, fpsNum, fpsDen}` (the hash of the current self-signed certificate; none with the operator's certificate); readable cross-origin (CORS) by allowed origins only |
//! | `GET /asp/ws` (also `/live`) | the WebSocket stream |
//! | `https://HOST:PORT/asp/wt` | the WebTransport session (the operator's certificate, or a self-signed ECDSA P-256 one valid 13 days and renewed a fifth of that before it expires; pass `certificateHashBytes` as `serverCertificateHashes: [{algorithm: "sha-256", value}]`; `<asp-player src="https://HOST:PORT/asp/wt#sha256=HEX">` does that from the URL) |
//! | `GET /asp/stats` | JSON counters of the hub |
//! | `/web/...` | the player package (`web/`) |
//! | `/...` | the demo page (`www/`) |
//!
//! Every HTTP response carries `Cross-Origin-Opener-Policy: same-origin`,
//! `Cross-Origin-Embedder-Policy: require-corp` and
//! `Cross-Origin-Resource-Policy: same-origin`, so the page is cross-origin
//! isolated and the threaded decoder can use `SharedArrayBuffer`.
//!
//! # Wire format
//!
//! **WebSocket, server → viewer:** every binary message is exactly one whole
//! ASP packet (`[16-byte header][FlatBuffers payload][CRC-32]`): I and D
//! frames, and the server's S-packets. A viewer can hand each message to
//! `Packet::parse` (or push them into a `PacketReader`, which also works).
//!
//! **WebTransport, server → viewer:** one unidirectional stream per keyframe
//! run: each keyframe opens a new stream, and the delta frames that depend on
//! it follow on that stream, whole packets back to back (self-delimiting by
//! their header's length). Read the streams in the order they arrive, each to
//! its end, through a `PacketReader`. Concatenated, the streams carry exactly
//! the bytes the WebSocket messages carry. A viewer may stop a stream it no
//! longer wants (STOP_SENDING, e.g. cancelling the reader of a run it is too
//! late for): the session goes on and resumes at the next keyframe, on a new
//! stream (a keyframe is requested).
//!
//! **Viewer → server (both transports):** S-packets. On WebSocket, each
//! binary message holds one or more whole S-packets; on WebTransport, write
//! them back to back on a unidirectional stream the viewer opens, or send
//! one or more whole S-packets per datagram. Payloads
//! over 4 KiB, text messages, non-S packets and damaged packets are refused;
//! eight refusals close the connection (WebSocket close 1008, reason
//! "protocol error"); a message over 4 KiB closes it at once (1009).
//! A viewer may send 50 messages a second on average, 100 at once (a
//! WebSocket message, a datagram, or an S-packet on a stream counts one);
//! more are dropped unread, and a viewer another 100 over is closed
//! (1008, "protocol error: too many messages").
//!
//! | command | direction | what happens |
//! |---|---|---|
//! | `RequestKeyframe` | viewer → server | a keyframe soon; viewer-forced keyframes are at most one per second for the whole stream (requests in between merge), and a viewer's requests count at most once per 5 s (the rest are ignored) |
//! | `Nack` (`sequences`) | viewer → server | treated as `RequestKeyframe` (no retransmission: the next keyframe repairs) |
//! | `Ping` (`sequence`, `timestamp_us`) | viewer → server | answered at once by `Pong` echoing both |
//! | `BitrateAdjust` (`bitrate_kbps`) | viewer → server | the viewer can sustain this rate; see the rate policy below |
//! | `Ack`, `Pong`, `QualityChange` | viewer → server | accepted, no action |
//! | `Nack` (`sequences`, `reason` "skipped: ...") | server → viewer | this viewer fell behind: the listed frames were not sent, and the next frame it gets is a keyframe (or, with intra refresh, a refresh start) |
//! | `EndOfStream` (`reason`) | server → viewer | the input ended; the connection closes after it (WebSocket 1000) |
//!
//! The header sequence number of a server S-packet is that of the latest
//! frame published when it was made (for a skip notice: the keyframe that
//! follows it); frame sequence numbers increase by one per frame, so a gap
//! not covered by a skip notice is a loss.
//!
//! # Late joiners
//!
//! The hub keeps the current keyframe run (the last keyframe and every frame
//! since, capped at 32 MiB). A new viewer gets it first, then the live
//! frames, with no gap and no duplicate: its first frame decodes at once.
//! Joiners do not force keyframes, so a crowd of them costs no bitrate.
//!
//! With intra refresh (`asp-encode --intra-refresh --serve`) there are no
//! periodic keyframes: the run kept for joiners starts at the latest
//! refresh start (a D frame that opens a refresh cycle), the decoder joins
//! there and its picture is exact once the cycle has swept it (frames
//! before are flagged `recovering`). Skipping viewers resume at a refresh
//! start too. WebTransport streams still begin only at keyframes.
//!
//! # C-packets
//!
//! With an ROI layer (`asp-encode --serve --roi face,text,motion
//! --roi-layer`, [`LiveOptions::session`]), each frame's C-packet follows
//! it, with the frame's sequence number. Nothing predicts from a C-packet,
//! so the hub treats it as an extra: it is not kept for late joiners (their
//! first packet is always a keyframe or refresh start), not sent to a
//! viewer that is skipping or has no frame yet, and dropped (counted in
//! `dropped_c_packets`, no skip notice) when a viewer's queue lacks room
//! for it and the next frame. On WebTransport it rides the stream of its
//! frame's keyframe run.
//!
//! # Slow viewers
//!
//! Each viewer has a bounded queue (32 packets). The encoder never waits: a
//! full queue makes the viewer skip delta frames until the next keyframe
//! that fits, preceded by the skip notice above. A viewer that skips for 10
//! s without a break, or falls behind more than 5 times in 30 s, is
//! disconnected (close 1008, "too slow: ..."). A viewer that sends nothing
//! (WebSocket pongs count; browsers answer the server's pings every 5 s by
//! themselves) for 15 s, or does not take a message for 15 s, is closed as
//! half-open ("timeout: ..."). TCP send buffers are capped at 256 KiB.
//!
//! # Rate policy
//!
//! With `--bitrate R`: the encoder's target is the median of the healthy
//! viewers' rates (viewers not currently skipping; a viewer's rate is its
//! last report if younger than 10 s, else `R`: one that says nothing is
//! doing fine; of an even count, the higher middle value), clamped to
//! `R/8 ..= R`. Evaluated at most once a second. So the rate drops only
//! when most viewers ask for less: one viewer, or a minority, cannot drag
//! everybody's quality down. A viewer whose link cannot carry the stream
//! falls behind instead: it skips to keyframes (keyframe-run granularity),
//! is excluded while skipping, and is cut off if it cannot keep up at all.
//!
//! # Limits and access
//!
//! Every cap is in [`config`]: [`TransportLimits`] for the TCP listener
//! (8192 connections, 256 per address, a request head within 10 s and at
//! most 16 KiB, HTTP exchanges idle 30 s closed; the open-file limit is
//! raised at start and caps the connections), [`ViewerLimits`] for viewer
//! slots (4096, 64 per address; an IPv6 address counts by its /64). A
//! viewer cut off for slowness is closed at once, freeing its socket with
//! its slot. WebTransport runs a QUIC transport sized for one viewer
//! ([`WebTransportLimits`]: 4 bidirectional and 16 unidirectional client
//! streams, 64 KiB per stream and 256 KiB per connection received, 4 MiB
//! sent unacknowledged, the session request within 5 s of the first
//! packet), and QUIC connections are capped like TCP ones. Pages of other origins are refused (HTTP 403) on the
//! WebSocket upgrade, the WebTransport session and `/asp/session`, unless
//! allowed ([`AllowedOrigins`], `asp-encode --serve --allow-origin`); see
//! [`origin`].
//!
//! # View tokens
//!
//! With tokens configured ([`ServerConfig::view_tokens`], `asp-encode
//! --serve --token SECRET` or `--tokens-file FILE`), a viewer presents one
//! as `?token=` or `Authorization: Bearer` on the WebSocket upgrade, the
//! WebTransport session and `/asp/session` (and `/asp/stats`); without a
//! valid one it gets 401 (WebTransport: 403) before a viewer slot is
//! taken. `<asp-player src=".../asp/session?token=SECRET">` passes the
//! token on to the transport it picks. With a signing key
//! ([`token::TokenKey`], `--token-key FILE`), tokens signed with it admit
//! until their expiry (`asp-encode token --expires 1h` mints one); an
//! expired or forged one is refused the same way. See [`token`].
//!
//! # TLS
//!
//! With the operator's certificate ([`ServerConfig::tls`], `asp-encode
//! --serve --tls-cert FILE --tls-key FILE`, PEM), the HTTP port speaks
//! only HTTPS and WSS (the handshake within the request head's 10 s), and
//! WebTransport uses the same certificate, so browsers trust both the
//! usual way and no hash is published. rustls with the `ring` provider
//! ([`certificate`]).
//!
//! # Capture timestamps
//!
//! Every I and D packet carries `capture_time_us` (microseconds since the
//! Unix epoch, taken when the frame was read). With [`LiveOptions::stamp`]
//! (`asp-encode --serve`: always for `testsrc`, `--stamp` for other inputs)
//! the loop also burns it into the picture ([`stamp`]), so latency can be
//! measured on the rendered canvas.
//!
//! # Modules
//!
//! The listeners (HTTP, WebSocket, WebTransport, TLS: [`Server`] and what it
//! needs) are the default feature `transports`; without it the crate is the
//! hub, the live loop and the S-packet handling alone (the `hub_messages`
//! fuzz target links that).
//!
//! * [`config`]: every knob of the server, with its default.
//! * [`live`]: the live loop (source, pacing, stamp, encode session,
//!   publish) and the viewers' feedback to the encoder.
//! * [`hub`]: the fan-out to many viewers, each with its bounded queue.
//! * [`sync`]: S-packets both ways, what viewers may say and what the
//!   server tells them.
//! * [`http`]: the WebSocket endpoint, `/asp/session`, stats and static
//!   files with the isolation headers.
//! * [`server`]: binding the sockets and running HTTP and WebTransport.
//! * [`certificate`]: the TLS certificate of both, loaded or self-signed
//!   and renewed.
//! * [`stamp`]: the timestamp burnt into the picture.
//! * `ws` and `wt` (private): one WebSocket viewer; the WebTransport
//!   endpoint and its viewers.

#[cfg(feature = "transports")]
mod budget;
#[cfg(feature = "transports")]
pub mod certificate;
pub mod config;
#[cfg(feature = "transports")]
pub mod http;
pub mod hub;
#[cfg(feature = "transports")]
pub mod listen;
pub mod live;
pub mod origin;
pub mod renditions;
#[cfg(feature = "transports")]
pub mod server;
pub mod stamp;
pub mod token;
pub mod sync;
#[cfg(feature = "transports")]
mod ws;
#[cfg(feature = "transports")]
mod wt;

pub use config::{AllowedOrigins, ServerConfig, StreamPolicy, TransportLimits, ViewerLimits, WebTransportLimits};
pub use hub::{EncoderControl, Hub, HubStats, JoinError, LagSummary, ViewerHandle};
pub use live::{LiveError, LiveOptions, LiveRun};
#[cfg(feature = "transports")]
pub use server::{Server, StreamFacts};
#[cfg(feature = "transports")]
pub use wt::PATH as WEBTRANSPORT_PATH;
