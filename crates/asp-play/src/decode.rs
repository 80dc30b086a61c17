//! The decode thread: reads the input into asp-core's stream player, and
//! puts each picture in a one-slot mailbox for the window as soon as it is
//! decoded (a newer picture replaces one the window has not drawn yet, so
//! a slow window never falls behind a live stream). Files and pipes are
//! paced at the stream's frame rate; live streams are shown as they come.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asp_core::codec::frame::Frame;
use asp_core::codec::parallel::Serial;
use asp_core::{Event, FrameMeta, Player, Settings, Stats};
use asp_render::ColourRows;

use crate::input::{InputError, Source};

/// A decoded picture on its way to the window.
pub struct Shown {
    /// The picture (padded planes; the renderer crops).
    pub frame: Frame,
    /// The stream's colour conversion at this picture.
    pub rows: ColourRows,
    /// What its packet said (capture time, for the latency).
    pub meta: FrameMeta,
}

/// The latest picture not yet drawn.
#[derive(Default)]
pub struct Mailbox(Mutex<Option<Shown>>);

impl Mailbox {
    /// Puts `shown` in, replacing a picture not drawn yet.
    pub fn put(&self, shown: Shown) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(shown);
    }

    /// Takes the picture out, if there is one.
    pub fn take(&self) -> Option<Shown> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
    }
}

/// What the decode thread tells the window.
#[derive(Debug)]
pub enum Wake {
    /// A picture is in the mailbox.
    Picture,
    /// The input ended (cleanly, or with the error that ended it).
    Ended { stats: Stats, error: Option<String> },
}

/// The frame rate's interval, from the stream facts (25 fps when unset).
pub fn frame_interval(fps_num: u32, fps_den: u32) -> Duration {
    if fps_num == 0 || fps_den == 0 {
        return Duration::from_millis(40);
    }
    Duration::from_secs_f64(f64::from(fps_den) / f64::from(fps_num))
}

/// When each picture is due on a paced input: the n-th picture at
/// `start + n * interval`, with `start` pushed back by time spent paused.
#[derive(Debug)]
pub struct Pacer {
    start: Option<Instant>,
    shown: u32,
}

impl Pacer {
    pub fn new() -> Pacer {
        Pacer {
            start: None,
            shown: 0,
        }
    }

    /// When the next picture is due (the first one: now), counting it.
    pub fn next_due(&mut self, now: Instant, interval: Duration) -> Instant {
        let start = *self.start.get_or_insert(now);
        let due = start + interval * self.shown;
        self.shown += 1;
        due
    }

    /// Time spent paused moves every later picture back by as much.
    pub fn paused_for(&mut self, paused: Duration) {
        if let Some(start) = &mut self.start {
            *start += paused;
        }
    }
}

/// What the decode thread shares with the window.
pub struct Controls {
    pub paused: Arc<AtomicBool>,
    pub quit: Arc<AtomicBool>,
}

/// Waits until `due`, longer while paused; false if the window quit.
fn wait_until(due: Instant, pacer: &mut Pacer, controls: &Controls) -> bool {
    const STEP: Duration = Duration::from_millis(5);
    loop {
        if controls.quit.load(Ordering::Relaxed) {
            return false;
        }
        if controls.paused.load(Ordering::Relaxed) {
            let paused_at = Instant::now();
            while controls.paused.load(Ordering::Relaxed) && !controls.quit.load(Ordering::Relaxed)
            {
                std::thread::sleep(STEP);
            }
            let paused = paused_at.elapsed();
            pacer.paused_for(paused);
            return wait_until(due + paused, pacer, controls);
        }
        let now = Instant::now();
        if now >= due {
            return true;
        }
        std::thread::sleep((due - now).min(STEP));
    }
}

/// Reads `source` to its end, decoding; each picture goes to `mailbox`
/// and `wake(Wake::Picture)`, the end to `wake(Wake::Ended)`.
pub fn run(
    mut source: Source,
    settings: Settings,
    paced: bool,
    mailbox: &Mailbox,
    controls: &Controls,
    wake: &dyn Fn(Wake),
) {
    let mut player = Player::new(settings);
    let mut pacer = Pacer::new();
    let mut ended = false;
    let error = loop {
        while let Some(event) = player.next_event(&Serial) {
            let meta = match event {
                Event::Picture(meta) | Event::Refined(meta) => meta,
                Event::Error(e) => {
                    eprintln!("asp-play: {e}");
                    continue;
                }
                Event::Final(_) | Event::Dropped { .. } => continue,
            };
            let (Some(frame), Some(facts)) = (player.picture(), player.facts()) else {
                continue;
            };
            if paced && matches!(event, Event::Picture(_)) {
                let due =
                    pacer.next_due(Instant::now(), frame_interval(facts.fps_num, facts.fps_den));
                if !wait_until(due, &mut pacer, controls) {
                    return;
                }
            }
            mailbox.put(Shown {
                frame: frame.clone(),
                rows: ColourRows::new(facts.color_matrix, facts.color_range),
                meta,
            });
            wake(Wake::Picture);
        }
        if ended || controls.quit.load(Ordering::Relaxed) {
            break None;
        }
        match source.feed(&mut player) {
            Ok(true) => {}
            Ok(false) => {
                player.finish();
                ended = true;
            }
            Err(e @ InputError::Player(_)) => eprintln!("asp-play: {e}"),
            Err(e) => break Some(e.to_string()),
        }
    };
    wake(Wake::Ended {
        stats: player.stats(),
        error,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::schema::{ColorMatrix, ColorRange};

    #[test]
    fn intervals_follow_the_frame_rate() {
        assert_eq!(frame_interval(25, 1), Duration::from_millis(40));
        assert_eq!(
            frame_interval(30000, 1001),
            Duration::from_secs_f64(1001.0 / 30000.0)
        );
        assert_eq!(frame_interval(0, 1), Duration::from_millis(40));
        assert_eq!(frame_interval(25, 0), Duration::from_millis(40));
    }

    #[test]
    fn pictures_are_due_a_frame_apart_and_pauses_shift_them() {
        let t0 = Instant::now();
        let interval = Duration::from_millis(40);
        let mut pacer = Pacer::new();
        assert_eq!(pacer.next_due(t0, interval), t0);
        assert_eq!(
            pacer.next_due(t0 + Duration::from_millis(90), interval),
            t0 + interval
        );
        pacer.paused_for(Duration::from_secs(1));
        assert_eq!(
            pacer.next_due(t0, interval),
            t0 + Duration::from_secs(1) + 2 * interval
        );
    }

    #[test]
    fn the_mailbox_keeps_only_the_latest_picture() {
        let limits = asp_core::Limits::DEFAULT;
        let mailbox = Mailbox::default();
        let shown = |sequence| Shown {
            frame: Frame::new(16, 16, &limits).unwrap(),
            rows: ColourRows::new(ColorMatrix::Bt709, ColorRange::Limited),
            meta: FrameMeta {
                sequence,
                ..Default::default()
            },
        };
        assert!(mailbox.take().is_none());
        mailbox.put(shown(1));
        mailbox.put(shown(2));
        assert_eq!(mailbox.take().map(|s| s.meta.sequence), Some(2));
        assert!(mailbox.take().is_none());
    }
}
