//! What a viewer sends back to the sender: S-packets, written by asp-core's
//! `PacketWriter` so that the server reads them with the same code as any
//! other packet. A WebSocket source sends each as one binary message.

use asp_core::packet::{PacketWriter, Sync, WriteError};
use asp_core::schema::SyncCommand;

/// Writes the viewer's S-packets, numbering them 0, 1, 2, ...
#[derive(Default)]
pub struct Feedback {
    writer: PacketWriter,
    next_sequence: u32,
}

impl Feedback {
    /// A RequestKeyframe S-packet; `have` is the sequence number of the
    /// last frame decoded (0 before any), so the sender knows where the
    /// viewer stands.
    pub fn request_keyframe(&mut self, have: u32) -> Result<Vec<u8>, WriteError> {
        let sync = Sync { sequence: have, ..Sync::command(SyncCommand::RequestKeyframe) };
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        Ok(self.writer.write_s(sequence, 0, &sync)?.to_vec())
    }

    /// A Ping carrying the viewer's clock (`now_us`, µs since the Unix
    /// epoch); the sender's Pong echoes it with its own clock beside it.
    pub fn ping(&mut self, now_us: u64) -> Result<Vec<u8>, WriteError> {
        let sequence = self.next_sequence;
        self.next_sequence = self.next_sequence.wrapping_add(1);
        let sync = Sync { sequence, timestamp_us: now_us, ..Sync::command(SyncCommand::Ping) };
        Ok(self.writer.write_s(sequence, 0, &sync)?.to_vec())
    }
}

impl core::fmt::Debug for Feedback {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Feedback").field("next_sequence", &self.next_sequence).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::packet::{Packet, PacketType, Payload};

    #[test]
    fn a_keyframe_request_is_a_valid_s_packet() {
        let mut feedback = Feedback::default();
        for n in 0..2 {
            let bytes = feedback.request_keyframe(41).unwrap();
            let packet = Packet::parse(&bytes).unwrap();
            assert_eq!((packet.packet_type(), packet.sequence()), (PacketType::S, n));
            let Payload::S(s) = packet.payload() else { panic!("not an S payload") };
            assert_eq!((s.command(), s.sequence()), (SyncCommand::RequestKeyframe, 41));
        }
    }

    #[test]
    fn a_ping_carries_the_viewers_clock() {
        let mut feedback = Feedback::default();
        let bytes = feedback.ping(1_765_000_000_123_456).unwrap();
        let packet = Packet::parse(&bytes).unwrap();
        let Payload::S(s) = packet.payload() else { panic!("not an S payload") };
        assert_eq!((s.command(), s.timestamp_us()), (SyncCommand::Ping, 1_765_000_000_123_456));
    }
}
