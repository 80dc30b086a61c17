//! The sender's clock as seen from the viewer.
//!
//! Capture times are stamped by the sender's wall clock; a viewer on
//! another machine subtracts them from its own, which is only a latency
//! when the two clocks agree. A viewer pings (S-packet `Ping` carrying its
//! clock as `timestamp_us`); the sender's `Pong` echoes that and adds its
//! own clock as `reply_time_us`. With the time the Pong arrived, that is
//! NTP's on-wire calculation (RFC 5905, section 8) with the server's
//! receive and transmit times taken as one:
//!
//! * round trip `δ = received − sent`
//! * offset `θ = reply − (sent + received) / 2`, the sender's clock minus
//!   the viewer's, wrong by at most `δ / 2` if the two directions differ.
//!
//! Of the last [`ClockOffset::WINDOW`] samples the one with the shortest
//! round trip is kept: queueing only ever adds delay, so the fastest
//! exchange bounds the error tightest (NTP's clock filter picks the same).

/// One Ping/Pong exchange, every time in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pong {
    /// The Ping's sequence number, echoed.
    pub ping_sequence: u32,
    /// The viewer's clock when it sent the Ping, echoed.
    pub ping_time_us: u64,
    /// The sender's clock when it answered (0: it did not say).
    pub reply_time_us: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    offset_us: i64,
    round_trip_us: u64,
}

/// The estimated offset of the sender's clock from the viewer's.
#[derive(Clone, Debug, Default)]
pub struct ClockOffset {
    samples: [Option<Sample>; ClockOffset::WINDOW],
    next: usize,
}

impl ClockOffset {
    /// How many recent exchanges the estimate chooses from.
    pub const WINDOW: usize = 8;

    pub fn new() -> ClockOffset {
        ClockOffset::default()
    }

    /// Takes the answer to a Ping that arrived at `received_us` (viewer's
    /// clock). Returns `false`, and keeps nothing, for an answer that
    /// cannot be one of our exchanges: no reply time, or arriving before it
    /// was sent.
    pub fn observe(&mut self, pong: &Pong, received_us: u64) -> bool {
        if pong.reply_time_us == 0 || received_us < pong.ping_time_us {
            return false;
        }
        let round_trip_us = received_us - pong.ping_time_us;
        // (sent + received) / 2 without overflow: sent + δ/2.
        let midpoint_us = pong.ping_time_us + round_trip_us / 2;
        let offset = i128::from(pong.reply_time_us) - i128::from(midpoint_us);
        let Ok(offset_us) = i64::try_from(offset) else { return false };
        self.samples[self.next] = Some(Sample { offset_us, round_trip_us });
        self.next = (self.next + 1) % Self::WINDOW;
        true
    }

    fn best(&self) -> Option<Sample> {
        self.samples.iter().flatten().copied().min_by_key(|s| s.round_trip_us)
    }

    /// The sender's clock minus the viewer's, from the exchange with the
    /// shortest round trip; `None` before any.
    pub fn offset_us(&self) -> Option<i64> {
        self.best().map(|s| s.offset_us)
    }

    /// The round trip of the exchange the offset comes from: the offset is
    /// right to within half of it.
    pub fn round_trip_us(&self) -> Option<u64> {
        self.best().map(|s| s.round_trip_us)
    }

    /// Forgets every sample (a new connection, perhaps to another sender).
    pub fn reset(&mut self) {
        *self = ClockOffset::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A viewer whose clock is `skew_us` behind the sender's, with the
    /// given one-way delays.
    fn exchange(clock: &mut ClockOffset, sent_us: u64, skew_us: u64, up_us: u64, down_us: u64) -> bool {
        let pong = Pong { ping_sequence: 1, ping_time_us: sent_us, reply_time_us: sent_us + skew_us + up_us };
        clock.observe(&pong, sent_us + up_us + down_us)
    }

    #[test]
    fn symmetric_paths_give_the_exact_offset() {
        let mut clock = ClockOffset::new();
        assert_eq!(clock.offset_us(), None);
        assert!(exchange(&mut clock, 1_000_000, 250_000_000, 3_000, 3_000));
        assert_eq!(clock.offset_us(), Some(250_000_000));
        assert_eq!(clock.round_trip_us(), Some(6_000));
    }

    #[test]
    fn a_sender_behind_the_viewer_has_a_negative_offset() {
        let mut clock = ClockOffset::new();
        let pong = Pong { ping_sequence: 0, ping_time_us: 5_000_000, reply_time_us: 2_000_500 };
        assert!(clock.observe(&pong, 5_001_000));
        assert_eq!(clock.offset_us(), Some(-3_000_000));
    }

    #[test]
    fn the_fastest_exchange_wins_and_bounds_the_error() {
        let mut clock = ClockOffset::new();
        // Queued exchanges: the delay sits on one side, skewing θ by half.
        exchange(&mut clock, 0, 40_000, 90_000, 2_000);
        exchange(&mut clock, 1_000_000, 40_000, 2_000, 60_000);
        exchange(&mut clock, 2_000_000, 40_000, 1_000, 1_200);
        let (offset, round_trip) = (clock.offset_us().unwrap(), clock.round_trip_us().unwrap());
        assert_eq!(round_trip, 2_200);
        assert!((offset - 40_000).unsigned_abs() <= round_trip / 2, "offset {offset}");
    }

    #[test]
    fn old_samples_leave_the_window() {
        let mut clock = ClockOffset::new();
        exchange(&mut clock, 0, 7_000, 100, 100);
        for n in 1..=ClockOffset::WINDOW as u64 {
            exchange(&mut clock, n * 1_000_000, 9_000, 5_000, 5_000);
        }
        // The old, fast exchange is gone: the clock moved (9 ms now).
        assert_eq!(clock.offset_us(), Some(9_000));
        clock.reset();
        assert_eq!(clock.offset_us(), None);
    }

    #[test]
    fn answers_that_cannot_be_ours_are_refused() {
        let mut clock = ClockOffset::new();
        let no_reply = Pong { ping_sequence: 0, ping_time_us: 10, reply_time_us: 0 };
        assert!(!clock.observe(&no_reply, 20));
        let from_the_future = Pong { ping_sequence: 0, ping_time_us: 10, reply_time_us: 15 };
        assert!(!clock.observe(&from_the_future, 5));
        let extreme = Pong { ping_sequence: 0, ping_time_us: 0, reply_time_us: u64::MAX };
        assert!(!clock.observe(&extreme, 0));
        assert_eq!(clock.offset_us(), None);
    }
}
