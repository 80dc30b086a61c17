//! y4m in and out, with honest errors: 8-bit 4:2:0 is read as is; other
//! formats are refused with a message naming the format and the ffmpeg
//! option that converts it.

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::rc::Rc;

use anyhow::{bail, Context, Result};
use asp_core::codec::frame::Frame;
use asp_core::Limits;
use y4m::Colorspace;

/// Counts the bytes read through it: the y4m crate reports the end of the
/// input the same way whether it fell between frames or inside one, and
/// the count tells which.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// A y4m source of codec frames.
pub struct Y4mReader<R: Read> {
    decoder: y4m::Decoder<Counted<R>>,
    /// Bytes read so far, and at the end of the last whole frame.
    count: Rc<Cell<u64>>,
    frame_end: u64,
    width: u32,
    height: u32,
    fps: (u32, u32),
    buffer: Vec<u8>,
}

/// The outcome of reading one frame.
pub enum ReadFrame {
    Frame,
    End,
    /// The input ended inside a frame: the frames before it are good.
    Truncated,
}

impl<R: Read> Y4mReader<R> {
    pub fn new(reader: R, limits: &Limits) -> Result<Y4mReader<R>> {
        // The y4m crate allocates one frame from the header's size: cap it
        // by our limits (4:4:4 16-bit at the largest size) before it does.
        let cap = limits.max_width as usize * limits.max_height as usize * 6;
        let count = Rc::new(Cell::new(0));
        let reader = Counted { inner: reader, count: Rc::clone(&count) };
        let decoder = y4m::Decoder::new_with_limits(reader, y4m::Limits { bytes: cap }).map_err(|e| match e {
            y4m::Error::OutOfMemory => anyhow::anyhow!(
                "y4m frame size is over the limit of {}x{}",
                limits.max_width,
                limits.max_height
            ),
            y4m::Error::EOF => anyhow::anyhow!("empty input: no y4m header"),
            other => anyhow::anyhow!("not a y4m stream: {other:?}"),
        })?;
        let (w, h) = (decoder.get_width(), decoder.get_height());
        match decoder.get_colorspace() {
            Colorspace::C420 | Colorspace::C420jpeg | Colorspace::C420paldv | Colorspace::C420mpeg2 => {}
            other => bail!(
                "unsupported y4m colour format {other:?}: ASP encodes 8-bit 4:2:0; convert with ffmpeg's `-pix_fmt yuv420p`"
            ),
        }
        if w == 0 || h == 0 || w > limits.max_width as usize || h > limits.max_height as usize {
            bail!("y4m frame size {w}x{h} is outside 1x1..={}x{}", limits.max_width, limits.max_height);
        }
        let rate = decoder.get_framerate();
        let fps = (u32::try_from(rate.num).unwrap_or(25).max(1), u32::try_from(rate.den).unwrap_or(1).max(1));
        let frame_end = count.get();
        Ok(Y4mReader { decoder, count, frame_end, width: w as u32, height: h as u32, fps, buffer: Vec::new() })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// Frame rate as (numerator, denominator).
    pub fn fps(&self) -> (u32, u32) {
        self.fps
    }

    /// Reads the next frame into `frame` (of this stream's size).
    pub fn read_into(&mut self, frame: &mut Frame) -> Result<ReadFrame> {
        match self.decoder.read_frame() {
            Ok(f) => {
                self.buffer.clear();
                self.buffer.extend_from_slice(f.get_y_plane());
                self.buffer.extend_from_slice(f.get_u_plane());
                self.buffer.extend_from_slice(f.get_v_plane());
                frame.load_i420(&self.buffer).context("y4m frame")?;
                self.frame_end = self.count.get();
                Ok(ReadFrame::Frame)
            }
            Err(y4m::Error::EOF) if self.count.get() == self.frame_end => Ok(ReadFrame::End),
            Err(y4m::Error::EOF) => Ok(ReadFrame::Truncated),
            Err(y4m::Error::IoError(e)) => Err(e).context("reading y4m"),
            Err(e) => bail!("bad y4m frame: {e:?}"),
        }
    }
}

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
