//! What the window title shows, as the browser player's overlay does:
//! frames drawn a second, glass-to-glass latency (live streams whose
//! capture times are wall-clock), the transport, and the state.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Capture times further than this from the wall clock are a file's own
/// timeline (from 0), not a live encoder's clock: no latency for them.
const WALL_CLOCK_WINDOW: Duration = Duration::from_secs(600);

/// The latency of a picture captured at `capture_us` (µs since the Unix
/// epoch), drawn at `now_us`; `None` when the capture time is not
/// wall-clock or is in the future.
pub fn latency(capture_us: Option<u64>, now_us: u64) -> Option<Duration> {
    let age = now_us.checked_sub(capture_us?)?;
    let age = Duration::from_micros(age);
    (age < WALL_CLOCK_WINDOW).then_some(age)
}

/// Microseconds since the Unix epoch, now.
pub fn now_unix_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Frames drawn a second (over the last second or so) and the last latency.
#[derive(Debug)]
pub struct DrawStats {
    window_start: Instant,
    in_window: u32,
    fps: Option<f64>,
    latency: Option<Duration>,
    /// Every picture drawn.
    pub drawn: u64,
}

impl DrawStats {
    pub fn new(now: Instant) -> DrawStats {
        DrawStats {
            window_start: now,
            in_window: 0,
            fps: None,
            latency: None,
            drawn: 0,
        }
    }

    /// One picture drawn at `now`; true when the title should change (a
    /// new fps figure, twice a second).
    pub fn on_draw(&mut self, now: Instant, latency: Option<Duration>) -> bool {
        self.drawn += 1;
        self.in_window += 1;
        self.latency = latency.or(self.latency);
        let elapsed = now.duration_since(self.window_start);
        if elapsed >= Duration::from_millis(500) {
            self.fps = Some(f64::from(self.in_window) / elapsed.as_secs_f64());
            self.window_start = now;
            self.in_window = 0;
            return true;
        }
        self.drawn == 1
    }

    /// The window title.
    pub fn title(
        &self,
        name: &str,
        transport: &str,
        size: Option<(u32, u32)>,
        state: &str,
    ) -> String {
        let mut title = format!("{name} - asp-play");
        if let Some((w, h)) = size {
            title += &format!(" - {w}x{h}");
        }
        if let Some(fps) = self.fps {
            title += &format!(" - {fps:.1} fps");
        }
        if let Some(latency) = self.latency {
            title += &format!(" - latency {} ms", latency.as_millis());
        }
        title += &format!(" - {transport}");
        if !state.is_empty() {
            title += &format!(" - {state}");
        }
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_only_for_wall_clock_capture_times() {
        let now = 1_800_000_000_000_000;
        assert_eq!(
            latency(Some(now - 35_000), now),
            Some(Duration::from_millis(35))
        );
        assert_eq!(latency(Some(80_000), now), None, "a file's timeline");
        assert_eq!(latency(Some(now + 1), now), None, "a clock ahead of ours");
        assert_eq!(latency(None, now), None);
    }

    #[test]
    fn fps_over_half_a_second_and_the_title() {
        let t0 = Instant::now();
        let mut stats = DrawStats::new(t0);
        assert!(stats.on_draw(t0, None), "the first picture sets the title");
        for n in 1..25 {
            assert!(!stats.on_draw(t0 + Duration::from_millis(20 * n), None));
        }
        assert!(stats.on_draw(
            t0 + Duration::from_millis(500),
            Some(Duration::from_millis(42))
        ));
        assert_eq!(stats.drawn, 26);
        assert_eq!(
            stats.title("live", "ws", Some((320, 240)), "paused"),
            "live - asp-play - 320x240 - 52.0 fps - latency 42 ms - ws - paused"
        );
        assert_eq!(
            DrawStats::new(t0).title("a.asp", "file", None, ""),
            "a.asp - asp-play - file"
        );
    }
}
