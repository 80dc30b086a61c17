//! One WebSocket viewer: the hub's packets out, S-packets in.
//!
//! Server -> viewer: each binary message is exactly one whole ASP packet
//! (I, D, or a server S-packet). Viewer -> server: each binary message is
//! one or more whole S-packets back to back. Text messages are refused.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, Notify};
use tokio::time::{timeout, MissedTickBehavior};


use crate::budget::{MessageBudget, Verdict, TOO_MANY_MESSAGES};
use crate::hub::{ClientOutcome, Hub, ViewerHandle};

/// Why a session ended: a close code and a reason for the viewer.
struct Ending {
    code: u16,
    reason: String,
}

impl Ending {
    fn new(code: u16, reason: impl Into<String>) -> Ending {
        Ending { code, reason: reason.into() }
    }
}

/// Joins the hub (or refuses with a reason) and runs the session.
pub async fn join_and_serve(mut socket: WebSocket, hub: Arc<Hub>, address: Option<IpAddr>) {
    match hub.join_from(address) {
        Ok(viewer) => session(socket, hub, viewer).await,
        Err(e) => {
            let close = CloseFrame { code: close_code::AGAIN, reason: Utf8Bytes::from(e.to_string()) };
            let _ = timeout(Duration::from_secs(1), socket.send(Message::Close(Some(close)))).await;
        }
    }
}

/// Runs a viewer's session until either side ends it.
pub async fn session(socket: WebSocket, hub: Arc<Hub>, mut viewer: ViewerHandle) {
    let id = viewer.id;
    let limits = hub.limits().clone();
    let (mut sink, stream) = socket.split();
    let (reply_tx, mut replies) = mpsc::channel::<Message>(16);
    let budget = MessageBudget::new(limits.max_messages_per_second, limits.message_burst);
    let mut reader = tokio::spawn(read_loop(stream, Arc::clone(&hub), id, reply_tx, limits.idle_timeout, budget));
    let send_timeout = limits.idle_timeout;
    let evicted = viewer.eviction();

    let ending = 'session: {
        for packet in std::mem::take(&mut viewer.backlog) {
            if let Err(e) = send(&mut sink, Message::Binary(packet), send_timeout, &evicted).await {
                break 'session e;
            }
        }
        let mut ping = tokio::time::interval(limits.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        ping.tick().await;
        loop {
            let message = tokio::select! {
                biased;
                end = &mut reader => break 'session end.unwrap_or_else(|e| Ending::new(close_code::ERROR, format!("reader failed: {e}"))),
                Some(reply) = replies.recv() => reply,
                packet = viewer.queue.recv() => match packet {
                    Some(packet) => Message::Binary(packet),
                    None => {
                        let reason = viewer.close_reason().unwrap_or("closed by the server").to_string();
                        let code = if reason.starts_with("end of stream") { close_code::NORMAL } else { close_code::POLICY };
                        break 'session Ending::new(code, reason);
                    }
                },
                _ = ping.tick() => Message::Ping(bytes::Bytes::new()),
            };
            if let Err(e) = send(&mut sink, message, send_timeout, &evicted).await {
                break 'session e;
            }
        }
    };
    reader.abort();
    let ending = match viewer.close_reason() {
        Some(reason) if ending.reason == EVICTED => Ending::new(close_code::POLICY, reason),
        _ => ending,
    };
    let reason = crate::sync::truncate(&ending.reason, 120).to_string();
    let close = Message::Close(Some(CloseFrame { code: ending.code, reason: Utf8Bytes::from(reason) }));
    // The viewer may be gone or stalled: do not wait long to say goodbye.
    let _ = timeout(Duration::from_secs(1), sink.send(close)).await;
    hub.leave(id, &ending.reason);
}

/// The reason of a session the hub ended while a send was under way (the
/// hub's own reason replaces it when there is one).
const EVICTED: &str = "too slow: disconnected by the server";

/// Sends one message, unless the viewer is evicted first (then what it is
/// not reading is abandoned: the close comes at once).
async fn send(
    sink: &mut SplitSink<WebSocket, Message>,
    message: Message,
    limit: Duration,
    evicted: &Notify,
) -> Result<(), Ending> {
    let sent = tokio::select! {
        sent = timeout(limit, sink.send(message)) => sent,
        _ = evicted.notified() => return Err(Ending::new(close_code::POLICY, EVICTED)),
    };
    match sent {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(Ending::new(close_code::ERROR, format!("send failed: {e}"))),
        Err(_) => Err(Ending::new(close_code::AWAY, "timeout: the viewer stopped reading")),
    }
}

/// Reads the viewer's messages until it closes, goes silent or misbehaves.
async fn read_loop(
    mut stream: SplitStream<WebSocket>,
    hub: Arc<Hub>,
    id: u64,
    replies: mpsc::Sender<Message>,
    idle_timeout: Duration,
    mut budget: MessageBudget,
) -> Ending {
    loop {
        let message = match timeout(idle_timeout, stream.next()).await {
            Err(_) => return Ending::new(close_code::AWAY, "timeout: nothing heard from the viewer"),
            Ok(None) => return Ending::new(close_code::NORMAL, "the viewer went away"),
            Ok(Some(Err(e))) => {
                // axum hides the tungstenite error type; its capacity error
                // (a message over max_message_size) reads "Space limit exceeded".
                let text = e.to_string();
                let code = if text.contains("Space limit") { close_code::SIZE } else { close_code::PROTOCOL };
                return Ending::new(code, format!("connection error: {text}"));
            }
            Ok(Some(Ok(message))) => message,
        };
        let bytes = match message {
            Message::Binary(bytes) => bytes,
            Message::Text(_) => bytes::Bytes::from_static(b"text"),
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => return Ending::new(close_code::NORMAL, "the viewer closed the connection"),
        };
        match budget.charge(std::time::Instant::now()) {
            Verdict::Handle => {}
            Verdict::Drop => {
                hub.count_throttled_message();
                continue;
            }
            Verdict::Disconnect => return Ending::new(close_code::POLICY, TOO_MANY_MESSAGES),
        }
        match hub.client_message(id, &bytes) {
            ClientOutcome::Replies(list) => {
                for reply in list {
                    // A viewer flooding pings loses pongs, nothing else.
                    let _ = replies.try_send(Message::Binary(reply));
                }
            }
            ClientOutcome::Refused(_) => {} // counted and logged once by the hub
            ClientOutcome::Disconnect(reason) => return Ending::new(close_code::POLICY, reason),
        }
    }
}
