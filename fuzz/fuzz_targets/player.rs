//! The stream player (asp-decode's, Python's and the browser's decode
//! rules) over many packets: arbitrary bytes pushed in arbitrary chunks,
//! events read between pushes. Never panic, never hang, and what it
//! reports holds together.
//!
//! Input: byte 0 = settings (bit 0: drop C-packets; bit 1: read events
//! only after the whole input, so the reader's buffer fills); then the
//! packet_reader layout: a byte (mod 8) = how many chunk-size bytes follow,
//! the sizes (cycled, 0 = all the rest), the stream. Limits are small
//! (128x128, 64 KiB payloads) to keep each run's memory small.
#![no_main]

use asp_core::codec::parallel::Serial;
use asp_core::{Event, Limits, Player, Settings};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits { max_width: 128, max_height: 128, max_payload_len: 1 << 16, ..Limits::DEFAULT };

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let Some((&n, rest)) = rest.split_first() else { return };
    let n = usize::from(n % 8);
    if rest.len() < n {
        return;
    }
    let (sizes, stream) = rest.split_at(n);
    let settings = Settings { drop_c: flags & 1 != 0, ..Settings::with_limits(LIMITS) };
    let late = flags & 2 != 0;
    let mut player = Player::new(settings);
    let mut check = Check::default();
    let mut pos = 0;
    for &size in sizes.iter().cycle().chain(std::iter::once(&0)) {
        if pos == stream.len() {
            break;
        }
        let end = if size == 0 { stream.len() } else { (pos + usize::from(size)).min(stream.len()) };
        let _ = player.push(&stream[pos..end]);
        pos = end;
        if !late {
            check.drain(&mut player);
        }
    }
    player.finish();
    check.drain(&mut player);
    assert!(player.next_event(&Serial).is_none(), "an event after the stream was drained");
    assert_eq!(player.buffered_bytes(), 0, "bytes left buffered after finish");
    let stats = player.stats();
    assert_eq!(stats.decoded, check.pictures, "{stats:?}");
    assert_eq!(stats.refined, check.refined, "{stats:?}");
    assert!(check.finals <= check.pictures, "more Final than Picture events");
    assert!(check.pictures - check.finals <= 1, "a picture never made final after finish");
});

#[derive(Default)]
struct Check {
    pictures: u64,
    refined: u64,
    finals: u64,
}

impl Check {
    fn drain(&mut self, player: &mut Player) {
        while let Some(event) = player.next_event(&Serial) {
            match event {
                Event::Picture(meta) | Event::Refined(meta) | Event::Final(meta) => {
                    let picture = player.picture().expect("a picture event with no picture");
                    assert!(picture.width() <= 128 && picture.height() <= 128, "{picture:?} past the limits");
                    assert_eq!(player.meta().map(|m| m.sequence), Some(meta.sequence));
                    match event {
                        Event::Picture(_) => self.pictures += 1,
                        Event::Refined(_) => self.refined += 1,
                        _ => self.finals += 1,
                    }
                }
                Event::Dropped { .. } | Event::Error(_) => {}
            }
        }
    }
}
