//! y4m out (8-bit 4:2:0): asp-decode's output and asp-encode's `--recon`.
//! Reading y4m is asp-encoder's ([`asp_encoder::source`]).

use std::io::Write;

use anyhow::Result;
use asp_core::codec::frame::Frame;
use y4m::Colorspace;

/// A y4m sink (8-bit 4:2:0).
pub struct Y4mWriter<W: Write> {
    encoder: y4m::Encoder<W>,
    buffer: Vec<u8>,
}

impl<W: Write> Y4mWriter<W> {
    pub fn new(writer: W, width: u32, height: u32, fps: (u32, u32)) -> Result<Y4mWriter<W>> {
        let rate = y4m::Ratio::new(fps.0 as usize, fps.1.max(1) as usize);
        let encoder = y4m::encode(width as usize, height as usize, rate)
            .with_colorspace(Colorspace::C420jpeg)
            .write_header(writer)
            .map_err(|e| anyhow::anyhow!("writing y4m header: {e:?}"))?;
        Ok(Y4mWriter { encoder, buffer: Vec::new() })
    }

    pub fn write(&mut self, frame: &Frame) -> Result<()> {
        self.buffer.clear();
        frame.write_i420(&mut self.buffer);
        let (w, h) = (frame.width(), frame.height());
        let chroma = w.div_ceil(2) * h.div_ceil(2);
        let (y, rest) = self.buffer.split_at(w * h);
        let (u, v) = rest.split_at(chroma);
        self.encoder
            .write_frame(&y4m::Frame::new([y, u, v], None))
            .map_err(|e| anyhow::anyhow!("writing y4m frame: {e:?}"))
    }
}
