//! S-packets both ways: what viewers may say, and what the server tells them.

use std::fmt;

use asp_core::packet::{Payload, Sync};
use asp_core::schema::SyncCommand;
use asp_core::{Limits, Packet, PacketError, PacketType, PacketWriter};
use bytes::Bytes;

/// Longest list of skipped sequences put in one notice (a viewer skips at
/// most `max_skip_time` worth of frames before it is cut off anyway).
pub const MAX_NOTICE_SEQUENCES: usize = 1024;

/// Longest reason string the server puts in an S-packet.
pub const MAX_REASON_LEN: usize = 256;

/// `text` cut to at most `max` bytes at a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// What a viewer asked for, parsed and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewerRequest {
    /// RequestKeyframe, or a Nack (we keep no retransmission buffer: a lost
    /// delta frame is repaired by the next keyframe, rate-limited).
    Keyframe,
    /// BitrateAdjust: the viewer can sustain this many bits per second.
    Bitrate(u64),
    /// Ping: answer with a Pong echoing these.
    Ping { sequence: u32, timestamp_us: u64 },
    /// Ack, Pong, QualityChange: noted, nothing to do.
    Ignored(SyncCommand),
}

/// Why a client message was refused.
#[derive(Debug)]
pub enum ClientMessageError {
    /// Not a valid ASP packet.
    Packet(PacketError),
    /// A valid packet, but not an S-packet.
    NotSync(PacketType),
    /// An S-packet command the server does not know.
    UnknownCommand(u8),
    /// Found by a transport (e.g. an undecodable stream span).
    Other(String),
}

impl fmt::Display for ClientMessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientMessageError::Packet(e) => write!(f, "not an ASP packet: {e}"),
            ClientMessageError::NotSync(t) => write!(f, "viewers may only send S-packets, not {}", t.letter()),
            ClientMessageError::UnknownCommand(c) => write!(f, "unknown S-packet command {c}"),
            ClientMessageError::Other(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ClientMessageError {}

/// The limits for client messages: S-packets are tiny.
pub fn client_limits(max_message: usize) -> Limits {
    Limits { max_payload_len: u32::try_from(max_message).unwrap_or(u32::MAX), ..Limits::DEFAULT }
}

/// Parses one client message: one or more whole S-packets back to back.
pub fn parse_client_message(bytes: &[u8], limits: &Limits) -> Result<Vec<ViewerRequest>, ClientMessageError> {
    let mut requests = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let packet = Packet::parse_prefix(rest, limits).map_err(ClientMessageError::Packet)?;
        requests.push(request_of(&packet)?);
        rest = &rest[packet.len()..];
    }
    if requests.is_empty() {
        return Err(ClientMessageError::Packet(PacketError::TooShort { len: 0 }));
    }
    Ok(requests)
}

/// The request one parsed packet carries.
pub fn request_of(packet: &Packet<'_>) -> Result<ViewerRequest, ClientMessageError> {
    let Payload::S(s) = packet.payload() else { return Err(ClientMessageError::NotSync(packet.packet_type())) };
    Ok(match s.command() {
        SyncCommand::RequestKeyframe | SyncCommand::Nack => ViewerRequest::Keyframe,
        SyncCommand::BitrateAdjust => ViewerRequest::Bitrate(u64::from(s.bitrate_kbps()) * 1000),
        SyncCommand::Ping => ViewerRequest::Ping { sequence: s.sequence(), timestamp_us: s.timestamp_us() },
        c @ (SyncCommand::Ack | SyncCommand::Pong | SyncCommand::QualityChange | SyncCommand::EndOfStream) => {
            ViewerRequest::Ignored(c)
        }
        other => return Err(ClientMessageError::UnknownCommand(other.0)),
    })
}

/// Builds the server's S-packets. The header sequence of a server S-packet
/// is the sequence of the last frame published before it.
#[derive(Default)]
pub struct Notices {
    writer: PacketWriter,
}

impl Notices {
    /// Sent in place of the frames a slow viewer missed: a Nack from the
    /// server listing them; the next frame the viewer gets is a keyframe.
    pub fn skipped(&mut self, last_sequence: u32, first: u32, last: u32) -> Bytes {
        let count = (last.wrapping_sub(first) as usize + 1).min(MAX_NOTICE_SEQUENCES);
        let sequences: Vec<u32> = (0..count as u32).map(|i| first.wrapping_add(i)).collect();
        let mut s = Sync::command(SyncCommand::Nack);
        s.sequences = &sequences;
        s.reason = Some("skipped: this viewer fell behind; the next frame is a keyframe");
        self.write(last_sequence, &s)
    }

    /// The stream has ended.
    pub fn end_of_stream(&mut self, last_sequence: u32, reason: &str) -> Bytes {
        let mut s = Sync::command(SyncCommand::EndOfStream);
        s.reason = Some(truncate(reason, MAX_REASON_LEN));
        self.write(last_sequence, &s)
    }

    /// The answer to a Ping: its sequence and timestamp echoed, and the
    /// server's wall clock (`reply_time_us`, the clock capture times are
    /// stamped with) so the viewer can estimate the offset of its own.
    pub fn pong(&mut self, last_sequence: u32, sequence: u32, timestamp_us: u64, reply_time_us: u64) -> Bytes {
        let mut s = Sync::command(SyncCommand::Pong);
        s.sequence = sequence;
        s.timestamp_us = timestamp_us;
        s.reply_time_us = reply_time_us;
        self.write(last_sequence, &s)
    }

    fn write(&mut self, header_sequence: u32, s: &Sync<'_>) -> Bytes {
        match self.writer.write_s(header_sequence, 0, s) {
            Ok(bytes) => Bytes::copy_from_slice(bytes),
            // Only a list or reason over the 16 MiB payload cap fails; the
            // callers cap both far below it. Should it ever happen, the
            // viewer gets the bare command rather than nothing.
            Err(e) => {
                tracing::error!(error = ?e, "server S-packet over the limits; sending it without arguments");
                let bare = Sync::command(s.command);
                self.writer.write_s(header_sequence, 0, &bare).map(Bytes::copy_from_slice).unwrap_or_default()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_packet(s: &Sync<'_>) -> Vec<u8> {
        PacketWriter::new().write_s(7, 0, s).unwrap().to_vec()
    }

    #[test]
    fn requests_are_parsed_back_to_back() {
        let mut message = client_packet(&Sync::command(SyncCommand::RequestKeyframe));
        let mut ping = Sync::command(SyncCommand::Ping);
        ping.sequence = 3;
        ping.timestamp_us = 99;
        message.extend(client_packet(&ping));
        let mut rate = Sync::command(SyncCommand::BitrateAdjust);
        rate.bitrate_kbps = 800;
        message.extend(client_packet(&rate));
        let limits = client_limits(4096);
        assert_eq!(
            parse_client_message(&message, &limits).unwrap(),
            vec![
                ViewerRequest::Keyframe,
                ViewerRequest::Ping { sequence: 3, timestamp_us: 99 },
                ViewerRequest::Bitrate(800_000)
            ]
        );
    }

    #[test]
    fn garbage_and_trailing_bytes_are_refused() {
        let limits = client_limits(4096);
        assert!(matches!(parse_client_message(b"hello there, server", &limits), Err(ClientMessageError::Packet(_))));
        assert!(matches!(parse_client_message(&[], &limits), Err(ClientMessageError::Packet(_))));
        let mut message = client_packet(&Sync::command(SyncCommand::Ping));
        message.push(0);
        assert!(parse_client_message(&message, &limits).is_err());
    }

    #[test]
    fn oversized_declared_payloads_are_refused_before_reading() {
        let mut reason = String::new();
        reason.extend(std::iter::repeat_n('x', 5000));
        let mut s = Sync::command(SyncCommand::EndOfStream);
        s.reason = Some(&reason);
        let message = client_packet(&s);
        let err = parse_client_message(&message, &client_limits(4096)).unwrap_err();
        assert!(matches!(err, ClientMessageError::Packet(PacketError::PayloadTooLarge { .. })), "{err}");
    }

    #[test]
    fn the_skip_notice_lists_the_missed_sequences() {
        let bytes = Notices::default().skipped(12, 10, 12);
        let packet = Packet::parse(&bytes).unwrap();
        let Payload::S(s) = packet.payload() else { panic!() };
        assert_eq!(s.command(), SyncCommand::Nack);
        assert_eq!(s.sequences().unwrap().iter().collect::<Vec<_>>(), vec![10, 11, 12]);
    }
}
