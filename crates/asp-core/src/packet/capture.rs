//! `CaptureClock`: capture times over a stream.
//!
//! Keyframes carry their capture time whole; most D-packets carry it as a
//! 32-bit delta from the last time the stream carried whole (see
//! `capture_delta_us` in `schemas/asp.fbs`). A reader that wants absolute
//! times feeds every packet it reads, in stream order, through one clock.

use crate::packet::{Packet, Payload};

/// Resolves each packet's capture time, in microseconds since the Unix
/// epoch, from the times carried whole and the deltas after them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaptureClock {
    base_us: Option<u64>,
}

impl CaptureClock {
    pub fn new() -> CaptureClock {
        CaptureClock::default()
    }

    /// The capture time of `packet`, read in stream order; `None` when it
    /// is unknown (not carried, or a delta before any whole time, as for a
    /// reader that joined between keyframes and refresh starts).
    pub fn observe(&mut self, packet: &Packet<'_>) -> Option<u64> {
        match packet.payload() {
            // A keyframe is always a base, even at 0 ("unknown", as in a
            // file whose clock starts at its first frame): the deltas after
            // it count from there.
            Payload::I(p) => {
                self.base_us = Some(p.capture_time_us());
                packet.capture_time_us()
            }
            Payload::D(p) => match (p.capture_time_us(), p.capture_delta_us()) {
                (Some(whole), _) => {
                    self.base_us = Some(whole);
                    (whole != 0).then_some(whole)
                }
                (None, Some(delta)) => self.base_us?.checked_add(u64::from(delta)).filter(|&t| t != 0),
                (None, None) => None,
            },
            // A C-packet repeats its frame's time.
            Payload::C(_) | Payload::S(_) => packet.capture_time_us(),
        }
    }

    /// Forgets the base, as after a seek or a gap in the stream.
    pub fn reset(&mut self) {
        self.base_us = None;
    }
}
