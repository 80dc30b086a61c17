//! A viewer's message budget: a token bucket kept by its transport session,
//! so a flood of valid messages is cut down before it reaches the hub (and
//! its lock), and a viewer that keeps flooding is disconnected.

use std::time::Instant;

/// The close reason of a viewer disconnected for flooding.
pub const TOO_MANY_MESSAGES: &str = "protocol error: too many messages";

/// What to do with one message from the viewer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within the budget: handle it.
    Handle,
    /// Over the budget: drop it unread.
    Drop,
    /// So far over the budget, for so long, that the viewer must go.
    Disconnect,
}

/// Up to `burst` messages at once, `per_second` on average. Each message
/// over the budget is also owed: a viewer that owes another `burst` is
/// flooding on purpose, not bursting.
#[derive(Debug)]
pub struct MessageBudget {
    per_second: f64,
    burst: f64,
    /// Messages that may still be sent now; below zero, messages owed.
    tokens: f64,
    refilled: Instant,
}

impl MessageBudget {
    pub fn new(per_second: u32, burst: u32) -> MessageBudget {
        let burst = f64::from(burst.max(1));
        MessageBudget { per_second: f64::from(per_second), burst, tokens: burst, refilled: Instant::now() }
    }

    /// Charges one message received at `now`.
    pub fn charge(&mut self, now: Instant) -> Verdict {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.refilled = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        let verdict = if self.tokens >= 1.0 { Verdict::Handle } else { Verdict::Drop };
        self.tokens -= 1.0;
        if self.tokens < -self.burst {
            return Verdict::Disconnect;
        }
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_a_flood_is_dropped_then_disconnected() {
        let start = Instant::now();
        let mut budget = MessageBudget::new(10, 20);
        for _ in 0..20 {
            assert_eq!(budget.charge(start), Verdict::Handle);
        }
        assert_eq!(budget.charge(start), Verdict::Drop);
        // A second later, ten more are allowed again (the debt of one is repaid first).
        let later = start + Duration::from_secs(1);
        let handled = (0..10).filter(|_| budget.charge(later) == Verdict::Handle).count();
        assert_eq!(handled, 9);
        let verdicts: Vec<Verdict> = (0..30).map(|_| budget.charge(later)).collect();
        assert_eq!(verdicts.last(), Some(&Verdict::Disconnect));
    }

    #[test]
    fn a_steady_viewer_within_the_rate_is_never_dropped() {
        let start = Instant::now();
        let mut budget = MessageBudget::new(10, 5);
        for i in 0..1000u64 {
            assert_eq!(budget.charge(start + Duration::from_millis(i * 100)), Verdict::Handle);
        }
    }
}
