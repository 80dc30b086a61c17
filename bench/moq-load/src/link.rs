//! A model of one direction of a bottleneck link, for `throttle`: a token
//! bucket draining a bounded drop-tail queue, then a fixed propagation
//! delay, with the rate following a [`Schedule`]. Pure: time is passed in
//! (a [`Duration`] since the schedule started), so the tests drive it
//! exactly.
//!
//! The queue holds at most `queue_time` worth of bytes at the current rate
//! (what a router's buffer sized to a bandwidth-delay product holds); a
//! datagram that does not fit is dropped, as a full buffer drops the tail.

use std::collections::VecDeque;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// The smallest queue, whatever the rate: two full-size datagrams, so that
/// a very low rate still passes traffic in steady state.
const MIN_QUEUE_BYTES: u64 = 3000;
/// Datagrams on their way through the propagation delay are bounded too:
/// at this many bytes the link drops (only reached at rates far beyond a
/// loopback bench's, or with absurd delays).
const MAX_IN_FLIGHT_BYTES: u64 = 64 << 20;

/// A rate in bits per second as the tools spell it: `3M`, `400k`,
/// `2.5M`, `1500000`; `off` (or `unlimited`) for no limit (None).
pub fn parse_rate(text: &str) -> Result<Option<u64>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") || text.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    let (number, scale) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 1e3),
        Some((at, 'm' | 'M')) => (&text[..at], 1e6),
        Some((at, 'g' | 'G')) => (&text[..at], 1e9),
        _ => (text, 1.0),
    };
    let value: f64 = number
        .parse()
        .with_context(|| format!("{text:?} is not a rate (3M, 400k, 1500000 or off)"))?;
    let bits = value * scale;
    if !(bits.is_finite() && (1000.0..=1e12).contains(&bits)) {
        bail!("rate {text:?} out of range (1k to 1000G bit/s)");
    }
    Ok(Some(bits.round() as u64))
}

/// A duration as `10s`, `1.5s` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        bail!("{text:?} is not a duration (10s, 250ms)");
    };
    let seconds = number
        .trim()
        .parse::<f64>()
        .with_context(|| format!("{text:?} is not a duration (10s, 250ms)"))?
        * scale;
    if !(seconds.is_finite() && (0.0..=86_400.0).contains(&seconds)) {
        bail!("duration {text:?} out of range (0 to a day)");
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// One step of a schedule: a rate (None: unlimited) held for a while.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub rate_bps: Option<u64>,
    pub lasts: Duration,
}

/// Rates over time: `3M for 10s, 400k for 15s, 3M`. Each step holds its
/// rate for its duration; the last one's rate holds from then on (its
/// `for` may be left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    steps: Vec<Step>,
}

/// More steps than any bench needs: the text comes from a command line.
const MAX_STEPS: usize = 1000;

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule> {
        let parts: Vec<&str> = text.split(',').collect();
        if parts.len() > MAX_STEPS {
            bail!("a schedule of more than {MAX_STEPS} steps");
        }
        let mut steps = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let part = part.trim();
            let (rate, lasts) = match part.split_once(" for ") {
                Some((rate, lasts)) => (rate, Some(parse_duration(lasts)?)),
                None => (part, None),
            };
            let lasts = match lasts {
                Some(lasts) => lasts,
                None if i + 1 == parts.len() => Duration::ZERO,
                None => bail!(
                    "step {part:?} of {text:?} needs `for DURATION` (only the last may omit it)"
                ),
            };
            steps.push(Step {
                rate_bps: parse_rate(rate)?,
                lasts,
            });
        }
        Ok(Schedule { steps })
    }

    /// The step in force `elapsed` after the start (the last one after the end).
    pub fn step_at(&self, elapsed: Duration) -> usize {
        let mut end = Duration::ZERO;
        for (i, step) in self.steps.iter().enumerate() {
            end += step.lasts;
            if elapsed < end {
                return i;
            }
        }
        self.steps.len() - 1
    }

    pub fn rate_at(&self, elapsed: Duration) -> Option<u64> {
        self.steps[self.step_at(elapsed)].rate_bps
    }

    /// When the step after the one in force at `elapsed` starts, if any does.
    pub fn next_change(&self, elapsed: Duration) -> Option<Duration> {
        let mut end = Duration::ZERO;
        for step in &self.steps[..self.steps.len() - 1] {
            end += step.lasts;
            if elapsed < end {
                return Some(end);
            }
        }
        None
    }
}

/// Tokens are bytes; they accrue at the rate up to `burst_bytes`. A
/// datagram leaves once the bucket holds its size (or is full, for one
/// larger than the bucket), and takes its size out, which may leave the
/// bucket in debt for a datagram larger than it.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    rate_bps: u64,
    burst_bytes: f64,
    tokens: f64,
    at: Duration,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn new(rate_bps: u64, burst_bytes: u64, now: Duration) -> TokenBucket {
        TokenBucket {
            rate_bps,
            burst_bytes: burst_bytes as f64,
            tokens: burst_bytes as f64,
            at: now,
        }
    }

    fn refill(&mut self, now: Duration) {
        let since = now.saturating_sub(self.at).as_secs_f64();
        self.tokens = (self.tokens + since * self.rate_bps as f64 / 8.0).min(self.burst_bytes);
        self.at = self.at.max(now);
    }

    /// A new rate from `now` on (what accrued until then at the old one is kept).
    pub fn set_rate(&mut self, rate_bps: u64, now: Duration) {
        self.refill(now);
        self.rate_bps = rate_bps;
    }

    /// How long until a datagram of `bytes` may leave (zero: now).
    pub fn wait(&mut self, bytes: usize, now: Duration) -> Duration {
        self.refill(now);
        let needed = (bytes as f64).min(self.burst_bytes) - self.tokens;
        if needed <= 0.0 {
            return Duration::ZERO;
        }
        // Rounded up to whole microseconds, so that waiting that long is enough.
        let micros = (needed * 8e6 / self.rate_bps as f64).ceil();
        Duration::from_micros(micros as u64)
    }

    /// Takes a datagram of `bytes` out (after `wait` said zero).
    pub fn take(&mut self, bytes: usize, now: Duration) {
        self.refill(now);
        self.tokens -= bytes as f64;
    }
}

/// What a link passed and dropped so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkCounts {
    pub passed_bytes: u64,
    pub passed: u64,
    pub dropped_bytes: u64,
    pub dropped: u64,
}

/// One direction of a throttled link carrying items of type `T` (datagrams
/// and where they go), each with its size in bytes.
pub struct Link<T> {
    schedule: Schedule,
    /// The bucket of the current step (None while the rate is unlimited).
    bucket: Option<TokenBucket>,
    burst_bytes: u64,
    queue_time: Duration,
    delay: Duration,
    queue: VecDeque<(usize, T)>,
    queued_bytes: u64,
    /// Past the bottleneck, each with the time it arrives.
    in_flight: VecDeque<(Duration, usize, T)>,
    in_flight_bytes: u64,
    step: usize,
    pub counts: LinkCounts,
}

impl<T> Link<T> {
    /// A link at the schedule's first rate; `queue_time` of bytes at the
    /// current rate fit in its queue, `delay` is added after it.
    pub fn new(
        schedule: Schedule,
        burst_bytes: u64,
        queue_time: Duration,
        delay: Duration,
    ) -> Link<T> {
        let mut link = Link {
            schedule,
            bucket: None,
            burst_bytes,
            queue_time,
            delay,
            queue: VecDeque::new(),
            queued_bytes: 0,
            in_flight: VecDeque::new(),
            in_flight_bytes: 0,
            step: usize::MAX,
            counts: LinkCounts::default(),
        };
        link.follow_schedule(Duration::ZERO);
        link
    }

    /// The rate in force (None: unlimited).
    pub fn rate_bps(&self) -> Option<u64> {
        self.bucket.as_ref().map(|b| b.rate_bps)
    }

    /// The schedule's step in force.
    pub fn step(&self) -> usize {
        self.step
    }

    pub fn queued_bytes(&self) -> u64 {
        self.queued_bytes
    }

    /// Moves to the step in force at `now`; whether it changed.
    pub fn follow_schedule(&mut self, now: Duration) -> bool {
        let step = self.schedule.step_at(now);
        if step == self.step {
            return false;
        }
        self.step = step;
        self.bucket = match (self.schedule.rate_at(now), self.bucket.take()) {
            (None, _) => None,
            (Some(rate), Some(mut bucket)) => {
                bucket.set_rate(rate, now);
                Some(bucket)
            }
            (Some(rate), None) => Some(TokenBucket::new(rate, self.burst_bytes, now)),
        };
        true
    }

    /// The queue's capacity at the current rate.
    fn queue_limit(&self) -> u64 {
        match self.rate_bps() {
            None => u64::MAX,
            Some(rate) => {
                let bytes = rate as f64 / 8.0 * self.queue_time.as_secs_f64();
                (bytes as u64).max(MIN_QUEUE_BYTES)
            }
        }
    }

    /// A datagram arrives at `now`: queued, or dropped (false) when the
    /// queue is full.
    pub fn offer(&mut self, bytes: usize, item: T, now: Duration) -> bool {
        self.follow_schedule(now);
        if self.queued_bytes + bytes as u64 > self.queue_limit() {
            self.counts.dropped += 1;
            self.counts.dropped_bytes += bytes as u64;
            return false;
        }
        self.queue.push_back((bytes, item));
        self.queued_bytes += bytes as u64;
        self.release(now);
        true
    }

    /// Moves what the bucket lets through at `now` past the bottleneck.
    fn release(&mut self, now: Duration) {
        while let Some(&(bytes, _)) = self.queue.front() {
            if let Some(bucket) = self.bucket.as_mut() {
                if bucket.wait(bytes, now) > Duration::ZERO {
                    return;
                }
                bucket.take(bytes, now);
            }
            let Some((bytes, item)) = self.queue.pop_front() else {
                return;
            };
            self.queued_bytes -= bytes as u64;
            if self.in_flight_bytes + bytes as u64 > MAX_IN_FLIGHT_BYTES {
                self.counts.dropped += 1;
                self.counts.dropped_bytes += bytes as u64;
                continue;
            }
            self.in_flight_bytes += bytes as u64;
            self.in_flight.push_back((now + self.delay, bytes, item));
        }
    }

    /// The datagrams that have crossed the link by `now`, in order.
    pub fn arrived(&mut self, now: Duration) -> Vec<T> {
        self.follow_schedule(now);
        self.release(now);
        let mut out = Vec::new();
        while self
            .in_flight
            .front()
            .is_some_and(|&(due, _, _)| due <= now)
        {
            if let Some((_, bytes, item)) = self.in_flight.pop_front() {
                self.in_flight_bytes -= bytes as u64;
                self.counts.passed += 1;
                self.counts.passed_bytes += bytes as u64;
                out.push(item);
            }
        }
        out
    }

    /// When something next happens (a datagram may leave the queue or
    /// arrive, or the rate changes), if anything is pending.
    pub fn next_event(&mut self, now: Duration) -> Option<Duration> {
        let mut next = self.schedule.next_change(now);
        let mut sooner = |at: Duration| next = Some(next.map_or(at, |n: Duration| n.min(at)));
        if let Some(&(due, _, _)) = self.in_flight.front() {
            sooner(due);
        }
        if let (Some(&(bytes, _)), Some(bucket)) = (self.queue.front(), self.bucket.as_mut()) {
            sooner(now + bucket.wait(bytes, now));
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn rates_and_durations_parse_as_the_flags_spell_them() {
        assert_eq!(parse_rate("3M").unwrap(), Some(3_000_000));
        assert_eq!(parse_rate("400k").unwrap(), Some(400_000));
        assert_eq!(parse_rate("2.5M").unwrap(), Some(2_500_000));
        assert_eq!(parse_rate("1500000").unwrap(), Some(1_500_000));
        assert_eq!(parse_rate("off").unwrap(), None);
        for bad in ["", "fast", "-3M", "0", "3X", "nanM", "1e30"] {
            assert!(parse_rate(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_duration("10s").unwrap(), ms(10_000));
        assert_eq!(parse_duration("1.5s").unwrap(), ms(1500));
        assert_eq!(parse_duration("250ms").unwrap(), ms(250));
        for bad in ["10", "s", "-1s", "2d", "1e9s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_schedule_holds_each_rate_for_its_time_then_the_last_one() {
        let schedule = Schedule::parse("3M for 10s, 400k for 15s, off for 1s, 3M").unwrap();
        let rates: Vec<_> = [0, 9_999, 10_000, 24_999, 25_000, 26_000, 100_000]
            .iter()
            .map(|&t| schedule.rate_at(ms(t)))
            .collect();
        assert_eq!(
            rates,
            [
                Some(3_000_000),
                Some(3_000_000),
                Some(400_000),
                Some(400_000),
                None,
                Some(3_000_000),
                Some(3_000_000)
            ]
        );
        assert_eq!(schedule.next_change(ms(0)), Some(ms(10_000)));
        assert_eq!(schedule.next_change(ms(10_000)), Some(ms(25_000)));
        assert_eq!(schedule.next_change(ms(26_000)), None);
        // A last step with a duration: its rate holds after it too.
        let timed = Schedule::parse("1M for 1s, 2M for 1s").unwrap();
        assert_eq!(timed.rate_at(ms(5000)), Some(2_000_000));
        assert_eq!(timed.next_change(ms(1500)), None);
        assert_eq!(
            Schedule::parse("600k").unwrap().rate_at(ms(0)),
            Some(600_000)
        );
        for bad in ["", "3M, 1M", "3M for, 1M", "3M for 10, 1M", "fast for 1s"] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Schedule::parse(&"1M for 1s,".repeat(1001)).is_err());
    }

    #[test]
    fn the_bucket_lets_a_burst_through_then_the_rate() {
        // 80 kbit/s = 10 bytes per ms, 1000-byte bucket.
        let mut bucket = TokenBucket::new(80_000, 1000, ms(0));
        assert_eq!(bucket.wait(1000, ms(0)), Duration::ZERO);
        bucket.take(1000, ms(0));
        assert_eq!(bucket.wait(500, ms(0)), ms(50));
        assert_eq!(bucket.wait(500, ms(20)), ms(30));
        assert_eq!(bucket.wait(500, ms(50)), Duration::ZERO);
        bucket.take(500, ms(50));
        // Idle time fills it to the burst, no further.
        assert_eq!(bucket.wait(1000, ms(10_000)), Duration::ZERO);
        bucket.take(1000, ms(10_000));
        assert_eq!(bucket.wait(1000, ms(10_000)), ms(100));
        // A datagram larger than the bucket leaves when it is full, in debt.
        assert_eq!(bucket.wait(1500, ms(10_100)), Duration::ZERO);
        bucket.take(1500, ms(10_100));
        assert_eq!(bucket.wait(1000, ms(10_100)), ms(150));
        // A new rate applies from its time on.
        bucket.set_rate(160_000, ms(10_200));
        assert_eq!(bucket.wait(1000, ms(10_200)), ms(25));
    }

    /// Runs `link` from `from` to `to` in 1 ms steps, collecting what
    /// arrives with its time.
    fn drain(link: &mut Link<u32>, from: u64, to: u64) -> Vec<(u64, u32)> {
        let mut out = Vec::new();
        for t in from..=to {
            out.extend(link.arrived(ms(t)).into_iter().map(|item| (t, item)));
        }
        out
    }

    #[test]
    fn a_link_paces_to_its_rate_drops_the_tail_of_a_full_queue_and_delays() {
        // 800 kbit/s = 100 bytes per ms; a 1000-byte bucket; a 50 ms queue
        // (5000 bytes); 20 ms of delay.
        let schedule = Schedule::parse("800k").unwrap();
        let mut link: Link<u32> = Link::new(schedule, 1000, ms(50), ms(20));
        // Ten 1000-byte datagrams at once: the first passes on the bucket,
        // five wait in the queue, the rest find it full.
        let accepted: Vec<bool> = (0..10).map(|i| link.offer(1000, i, ms(0))).collect();
        assert_eq!(
            accepted,
            [true, true, true, true, true, true, false, false, false, false]
        );
        assert_eq!(link.counts.dropped, 4);
        assert_eq!(link.counts.dropped_bytes, 4000);
        let arrived = drain(&mut link, 0, 200);
        assert_eq!(
            arrived,
            [(20, 0), (30, 1), (40, 2), (50, 3), (60, 4), (70, 5)]
        );
        assert_eq!(link.counts.passed_bytes, 6000);
        assert_eq!(link.next_event(ms(200)), None, "nothing pending");
    }

    #[test]
    fn a_link_follows_its_schedule_and_says_when_to_look_again() {
        // 80 kbit/s (10 bytes/ms) for 1 s, then unlimited.
        let schedule = Schedule::parse("80k for 1s, off").unwrap();
        let mut link: Link<u32> = Link::new(schedule, 100, ms(1000), Duration::ZERO);
        assert_eq!(link.rate_bps(), Some(80_000));
        for i in 0..5 {
            assert!(link.offer(100, i, ms(0)));
        }
        assert_eq!(link.arrived(ms(0)), [0]);
        assert_eq!(link.next_event(ms(0)), Some(ms(10)));
        assert_eq!(
            drain(&mut link, 1, 40),
            [(10, 1), (20, 2), (30, 3), (40, 4)]
        );
        assert_eq!(link.next_event(ms(40)), Some(ms(1000)), "the rate change");
        // Unlimited: no queue, no pacing.
        assert!(link.follow_schedule(ms(1000)));
        assert_eq!(link.rate_bps(), None);
        for i in 5..105 {
            assert!(link.offer(1000, i, ms(1000)));
        }
        assert_eq!(link.arrived(ms(1000)).len(), 100);
        assert_eq!(link.step(), 1);
    }
}
