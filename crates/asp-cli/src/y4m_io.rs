//! y4m out (8-bit 4:2:0): asp-decode's output and asp-encode's `--recon`.
//! Reading y4m is asp-encoder's ([`asp_encoder::source`]).
//!
//! The writer formats; the caller owns the output and passes it to each
//! call, so an output can be opened (and checked) before the first frame
//! says how large the pictures are.

use std::io::{self, Write};

use asp_core::codec::frame::Frame;
use y4m::Colorspace;

/// What starts each frame (no per-frame parameters).
const FRAME_HEADER: &[u8] = b"FRAME\n";

/// A y4m formatter (8-bit 4:2:0).
pub struct Y4mWriter {
    buffer: Vec<u8>,
}

impl Y4mWriter {
    /// Writes the stream header (the y4m crate's, C420jpeg) to `out`.
    pub fn new(out: &mut impl Write, width: u32, height: u32, fps: (u32, u32)) -> io::Result<Y4mWriter> {
        let rate = y4m::Ratio::new(fps.0 as usize, fps.1.max(1) as usize);
        let mut header = Vec::new();
        y4m::encode(width as usize, height as usize, rate)
            .with_colorspace(Colorspace::C420jpeg)
            .write_header(&mut header)
            .map_err(|e| io::Error::other(format!("y4m header: {e:?}")))?;
        out.write_all(&header)?;
        Ok(Y4mWriter { buffer: Vec::new() })
    }

    /// Writes one frame (its display size must be the header's) to `out`
    /// in one write.
    pub fn write(&mut self, out: &mut impl Write, frame: &Frame) -> io::Result<()> {
        self.buffer.clear();
        self.buffer.extend_from_slice(FRAME_HEADER);
        frame.write_i420(&mut self.buffer);
        out.write_all(&self.buffer)
    }
}
