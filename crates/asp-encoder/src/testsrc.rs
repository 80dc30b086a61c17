//! `testsrc`: the built-in moving test picture.
//!
//! Something of everything a codec meets: a flat sky and a flat panel (where
//! procedural patterns shine), a smooth gradient, fine texture that scrolls
//! (motion search and residual coding), a bouncing disc (an object moving
//! against its background), and a row of text-like bars. Deterministic:
//! frame `n` is always the same picture.

use asp_core::codec::frame::{i420_len, Frame, FrameError};
use asp_core::Limits;

/// Generates the frames of the test picture.
#[derive(Clone, Debug)]
pub struct TestSource {
    width: u32,
    height: u32,
    buffer: Vec<u8>,
}

impl TestSource {
    /// A source of `width` x `height` frames.
    pub fn new(width: u32, height: u32) -> Result<TestSource, FrameError> {
        // Validates the size the same way a frame does.
        Frame::new(width, height, &Limits::DEFAULT)?;
        let buffer = vec![0; i420_len(width as usize, height as usize)];
        Ok(TestSource { width, height, buffer })
    }

    /// Frame width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Frame height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Frame `n` as packed I420.
    pub fn i420(&mut self, n: u64) -> &[u8] {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (luma, chroma) = self.buffer.split_at_mut(w * h);
        let (cb, cr) = chroma.split_at_mut(cw * ch);
        // The disc bounces around the lower half.
        let radius = (h.min(w) / 8).max(2) as i64;
        let span_x = (w as i64 - 2 * radius).max(1);
        let span_y = (h as i64 / 2 - 2 * radius).max(1);
        let bounce = |t: i64, span: i64| {
            let p = t.rem_euclid(2 * span);
            if p < span { p } else { 2 * span - p }
        };
        let disc_x = radius + bounce(n as i64 * 5, span_x);
        let disc_y = h as i64 / 2 + radius + bounce(n as i64 * 3, span_y);
        let scroll = (n as usize * 3) % w.max(1);
        for y in 0..h {
            for x in 0..w {
                let (xi, yi) = (x as i64, y as i64);
                let v = if (xi - disc_x).pow(2) + (yi - disc_y).pow(2) <= radius * radius {
                    235
                } else if y < h / 4 {
                    // Flat sky.
                    180
                } else if y < h / 2 {
                    if x < w / 3 {
                        // Flat panel with text-like bars.
                        let bar = (y / 6) % 3 == 0 && (x / 4) % 5 != 4 && x > w / 24;
                        if bar { 30 } else { 220 }
                    } else {
                        // Horizontal gradient.
                        (16 + (x - w / 3) * 219 / (w - w / 3).max(1)) as u8
                    }
                } else {
                    // Scrolling texture.
                    let sx = x + scroll;
                    let hash = (sx as u32).wrapping_mul(2_654_435_761) ^ (y as u32).wrapping_mul(40_503);
                    let noise = (hash >> 27) as u8;
                    let stripes = if (sx / 12 + y / 12) % 2 == 0 { 90 } else { 140 };
                    stripes + noise
                };
                luma[y * w + x] = v;
            }
        }
        for y in 0..ch {
            for x in 0..cw {
                let (u, v) = if y < ch / 4 {
                    (150, 110)
                } else if y < ch / 2 {
                    (128 - (x * 40 / cw.max(1)) as u8, 128 + (x * 30 / cw.max(1)) as u8)
                } else {
                    (110 + ((x + scroll / 2) % 16) as u8, 140)
                };
                cb[y * cw + x] = u;
                cr[y * cw + x] = v;
            }
        }
        &self.buffer
    }

    /// Frame `n` into `frame`, which must have the source's size.
    pub fn frame_into(&mut self, n: u64, frame: &mut Frame) -> Result<(), FrameError> {
        if (frame.width(), frame.height()) != (self.width as usize, self.height as usize) {
            return Err(FrameError::BadDimensions { width: frame.width() as u32, height: frame.height() as u32 });
        }
        frame.load_i420(self.i420(n))
    }

    /// Frame `n` as a new codec frame.
    pub fn frame(&mut self, n: u64) -> Result<Frame, FrameError> {
        let (w, h) = (self.width, self.height);
        Frame::from_i420(w, h, self.i420(n), &Limits::DEFAULT)
    }
}
