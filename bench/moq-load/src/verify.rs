//! Checks every object one subscriber receives, as it arrives: each is one
//! whole ASP packet (header, CRC, payload verified by `Packet::parse`), a
//! group opens at a frame a decoder can join at, and inside a group the
//! frames' sequence numbers go up by exactly one (a C-packet repeats its
//! frame's number). Frames missing between groups (whole keyframe runs a
//! relay dropped, the MoQ way of shedding a slow subscriber) are counted
//! apart: they are loss, not corruption.

use asp_core::packet::{CaptureClock, Packet, Payload};

/// The measurement window, in capture time (µs since the Unix epoch): a
/// frame counts when it was captured inside it, whenever it arrived.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub start_us: u64,
    pub end_us: u64,
}

impl Window {
    fn contains(&self, capture_us: u64) -> bool {
        (self.start_us..self.end_us).contains(&capture_us)
    }
}

/// What one subscriber received.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub objects: u64,
    pub bytes: u64,
    /// Objects that are not one valid ASP packet (bad CRC, truncated, ...).
    pub invalid: u64,
    /// Objects out of place: a group not opening at a keyframe or refresh
    /// start, a frame number not one more than the last inside a group, a
    /// C-packet not after its frame, an S-packet (never published).
    pub broken: u64,
    pub groups: u64,
    /// Frames skipped between groups (the numbers a new group jumped over).
    pub missed_between_groups: u64,
    /// Frames captured inside the window.
    pub frames_in_window: u64,
    last_frame: Option<u32>,
    group: Option<u64>,
    clock: CaptureClock,
}

impl Tally {
    /// Checks one object of group `group`; returns the frame's capture time
    /// when it is a frame captured inside `window` (its latency is then
    /// worth recording).
    pub fn observe(&mut self, group: u64, bytes: &[u8], window: Window) -> Option<u64> {
        self.objects += 1;
        self.bytes += bytes.len() as u64;
        let Ok(packet) = Packet::parse(bytes) else {
            self.invalid += 1;
            return None;
        };
        let opens_group = self.group != Some(group);
        if opens_group {
            self.groups += 1;
            self.group = Some(group);
        }
        let sequence = packet.sequence();
        let capture_us = self.clock.observe(&packet);
        match packet.payload() {
            Payload::I(_) | Payload::D(_) => {
                if opens_group {
                    if !is_entry(&packet) {
                        self.broken += 1;
                    }
                    if let Some(last) = self.last_frame {
                        match sequence.checked_sub(last) {
                            Some(step) if step >= 1 => {
                                self.missed_between_groups += u64::from(step - 1)
                            }
                            _ => self.broken += 1,
                        }
                    }
                } else if self.last_frame.map(|last| last.wrapping_add(1)) != Some(sequence) {
                    self.broken += 1;
                }
                self.last_frame = Some(sequence);
                let in_window = capture_us.filter(|&t| window.contains(t));
                if in_window.is_some() {
                    self.frames_in_window += 1;
                }
                in_window
            }
            Payload::C(_) => {
                if opens_group || self.last_frame != Some(sequence) {
                    self.broken += 1;
                }
                None
            }
            Payload::S(_) => {
                self.broken += 1;
                None
            }
        }
    }
}

/// Whether a decoder can start at this frame: a keyframe, or a delta frame
/// that opens an intra-refresh sweep and carries the stream facts (what
/// asp-moq's publisher opens a group at).
fn is_entry(packet: &Packet<'_>) -> bool {
    match packet.payload() {
        Payload::I(_) => true,
        Payload::D(d) => d.refresh_frames() != 0 && d.stream().is_some(),
        Payload::C(_) | Payload::S(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::packet::PacketType;
    use asp_core::Limits;

    /// A real stream: a keyframe, delta frames 1..=7, most followed by their
    /// C-packet; its fifth packet repeats frame 1's C-packet after frame 2
    /// (what the decoder's tests stack), which a publisher never sends.
    const STREAM: &[u8] = include_bytes!("../../../crates/asp-core/tests/data/c-stacked.asp");
    const RESTACKED: usize = 4;
    const ALL: Window = Window {
        start_us: 0,
        end_us: u64::MAX,
    };

    fn all_packets() -> Vec<&'static [u8]> {
        let mut rest = STREAM;
        let mut packets = Vec::new();
        while !rest.is_empty() {
            let len = Packet::parse_prefix(rest, &Limits::DEFAULT).unwrap().len();
            packets.push(&rest[..len]);
            rest = &rest[len..];
        }
        packets
    }

    /// The stream as a publisher sends it: without the restacked C-packet.
    fn packets() -> Vec<&'static [u8]> {
        let mut packets = all_packets();
        packets.remove(RESTACKED);
        packets
    }

    #[test]
    fn a_c_packet_not_after_its_frame_is_out_of_place() {
        let mut tally = Tally::default();
        for p in all_packets() {
            tally.observe(1, p, ALL);
        }
        assert_eq!((tally.invalid, tally.broken), (0, 1));
    }

    fn frames(packets: &[&[u8]]) -> u64 {
        packets
            .iter()
            .filter(|p| Packet::parse(p).unwrap().packet_type() != PacketType::C)
            .count() as u64
    }

    #[test]
    fn a_whole_group_is_clean() {
        let packets = packets();
        assert!(packets.len() > 3);
        let mut tally = Tally::default();
        for p in &packets {
            tally.observe(7, p, ALL);
        }
        assert_eq!(
            (
                tally.invalid,
                tally.broken,
                tally.missed_between_groups,
                tally.groups
            ),
            (0, 0, 0, 1)
        );
        assert_eq!(tally.objects, packets.len() as u64);
        assert_eq!(
            tally.bytes,
            packets.iter().map(|p| p.len() as u64).sum::<u64>()
        );
        // The keyframe's capture time is 0 (unknown, as in a file): every
        // frame but it has a time, and so counts.
        assert_eq!(tally.frames_in_window, frames(&packets) - 1);
    }

    #[test]
    fn a_corrupt_object_is_invalid() {
        let packets = packets();
        let mut damaged = packets[1].to_vec();
        damaged[30] ^= 0x40;
        let mut tally = Tally::default();
        tally.observe(1, packets[0], ALL);
        tally.observe(1, &damaged, ALL);
        assert_eq!((tally.invalid, tally.objects), (1, 2));
    }

    #[test]
    fn a_frame_missing_inside_a_group_is_out_of_place() {
        let packets = packets();
        let second_frame = packets
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, p)| Packet::parse(p).unwrap().packet_type() == PacketType::D)
            .map(|(i, _)| i)
            .unwrap();
        let mut tally = Tally::default();
        for (i, p) in packets.iter().enumerate() {
            if i != second_frame {
                tally.observe(1, p, ALL);
            }
        }
        assert!(tally.broken >= 1, "{tally:?}");
        assert_eq!(tally.invalid, 0);
    }

    #[test]
    fn a_group_must_open_at_a_keyframe_and_runs_dropped_between_groups_are_missed_frames() {
        let packets = packets();
        let d_frames: Vec<&[u8]> = packets
            .iter()
            .copied()
            .filter(|p| Packet::parse(p).unwrap().packet_type() == PacketType::D)
            .collect();
        assert!(d_frames.len() >= 3);
        // Group 1: the keyframe; group 2 opens at a delta frame two numbers on.
        let mut tally = Tally::default();
        tally.observe(1, packets[0], ALL);
        tally.observe(2, d_frames[1], ALL);
        assert_eq!(tally.groups, 2);
        assert_eq!(tally.broken, 1, "a group opening at a plain delta frame");
        assert_eq!(tally.missed_between_groups, 1);
    }

    #[test]
    fn only_frames_captured_inside_the_window_count() {
        let packets = packets();
        let mut tally = Tally::default();
        let none = Window {
            start_us: u64::MAX - 1,
            end_us: u64::MAX,
        };
        for p in &packets {
            assert_eq!(tally.observe(1, p, none), None);
        }
        assert_eq!(tally.frames_in_window, 0);
        assert_eq!(tally.broken, 0);
    }
}
