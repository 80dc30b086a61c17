//! asp-encoder's y4m reader (what `asp-encode` reads from files and pipes)
//! on arbitrary bytes: never panic, never allocate past the limits, never
//! produce more frames than the bytes hold.
//!
//! Input: the y4m stream itself. The limits are small (256x256), so a
//! header claiming a huge frame must be refused before anything is
//! allocated for it.
#![no_main]

use asp_core::codec::frame::{i420_len, Frame};
use asp_core::Limits;
use asp_encoder::source::Y4mReader;
use asp_encoder::SourceRead;
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits { max_width: 256, max_height: 256, ..Limits::DEFAULT };

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = Y4mReader::new(data, &LIMITS) else { return };
    let (width, height) = (reader.width(), reader.height());
    assert!((1..=256).contains(&width) && (1..=256).contains(&height), "{width}x{height} past the limits");
    let (num, den) = reader.fps();
    assert!(num > 0 && den > 0, "frame rate {num}/{den}");
    let mut frame = Frame::new(width, height, &LIMITS).expect("the reader's size is within the limits");
    let frame_len = i420_len(width as usize, height as usize);
    let mut frames = 0usize;
    let ended = loop {
        match reader.read_into(&mut frame) {
            Ok(SourceRead::Frame) => {
                frames += 1;
                assert!(frames * frame_len <= data.len(), "{frames} frames of {frame_len} bytes from {} bytes", data.len());
            }
            Ok(end) => break Some(end),
            Err(_) => break None,
        }
    };
    // Reading past the end stays at the end (a live source is polled again).
    if ended == Some(SourceRead::End) {
        assert!(matches!(reader.read_into(&mut frame), Ok(SourceRead::End)));
    }
});
