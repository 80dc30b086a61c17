//! Capture-to-receive latency of many subscribers' frames, merged without
//! locks: fixed 0.1 ms buckets, each an atomic counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Bucket width.
const BUCKET_US: u64 = 100;
/// Buckets up to 5 s; later frames land in the last one (reported as ">= 5 s").
const BUCKETS: usize = 50_000;

pub struct Histogram {
    counts: Box<[AtomicU64]>,
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub fn record(&self, latency_us: u64) {
        let bucket = usize::try_from(latency_us / BUCKET_US)
            .unwrap_or(usize::MAX)
            .min(BUCKETS - 1);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The latency at quantile `q` (0..=1): the upper edge of its bucket.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64 * q).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(Duration::from_micros((bucket as u64 + 1) * BUCKET_US));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_bucket_upper_edges() {
        let h = Histogram::new();
        assert_eq!(h.quantile(0.5), None);
        for us in [50, 150, 150, 1_050, 9_999_999] {
            h.record(us);
        }
        assert_eq!(h.count(), 5);
        assert_eq!(h.quantile(0.2), Some(Duration::from_micros(100)));
        assert_eq!(h.quantile(0.5), Some(Duration::from_micros(200)));
        assert_eq!(h.quantile(0.8), Some(Duration::from_micros(1_100)));
        assert_eq!(h.quantile(1.0), Some(Duration::from_micros(5_000_000)));
    }
}
