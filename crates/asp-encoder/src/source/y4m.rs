//! y4m input, with honest errors: 8-bit 4:2:0 is read as is; other
//! formats are refused with a message naming the format and the ffmpeg
//! option that converts it.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ::y4m::Colorspace;
use asp_core::codec::frame::Frame;
use asp_core::Limits;

use super::{FrameSource, SourceError, SourceRead};

/// Counts the bytes read through it: the y4m crate reports the end of the
/// input the same way whether it fell between frames or inside one, and
/// the count tells which.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A y4m stream of codec frames.
pub struct Y4mReader<R: Read> {
    decoder: ::y4m::Decoder<Counted<Replayed<R>>>,
    /// Bytes read so far, and at the end of the last whole frame.
    count: Arc<AtomicU64>,
    frame_end: u64,
    width: u32,
    height: u32,
    fps: (u32, u32),
}

/// The header line, read again, then the rest of the input.
type Replayed<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Longest header line looked at before the y4m crate parses it (the
/// crate's own cap on the parameters).
const MAX_HEADER_LEN: usize = 1024;

/// Reads the header line (up to and including its newline) and refuses a
/// width or height over `max` before the y4m crate sees it: the crate
/// multiplies them unchecked, so an absurd size would overflow there.
/// Returns the header to be read again, followed by the rest of `reader`.
fn check_header_size<R: Read>(mut reader: R, max: (u32, u32)) -> Result<Replayed<R>, SourceError> {
    let mut header = Vec::new();
    let mut byte = [0u8];
    while header.len() < MAX_HEADER_LEN && header.last() != Some(&b'\n') {
        match reader.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => header.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SourceError::Io(e)),
        }
    }
    // All digits but too many for a u64 is over any cap; anything else is the crate's to judge.
    let value = |token: &[u8]| {
        let digits = &token[1..];
        (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit))
            .then(|| core::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok()).unwrap_or(u64::MAX))
    };
    let (mut width, mut height) = (None, None);
    for token in header.split(|&b| b == b' ' || b == b'\n') {
        match token.first() {
            Some(b'W') => width = value(token),
            Some(b'H') => height = value(token),
            _ => {}
        }
    }
    let over = |v: Option<u64>, cap: u32| v.is_some_and(|v| v > u64::from(cap));
    if over(width, max.0) || over(height, max.1) {
        let size = |v: Option<u64>| usize::try_from(v.unwrap_or(0)).ok().filter(|&v| v != usize::MAX);
        return Err(match (size(width), size(height)) {
            (Some(width), Some(height)) => SourceError::Size { width, height, max },
            _ => SourceError::TooLarge { max },
        });
    }
    Ok(io::Cursor::new(header).chain(reader))
}

impl<R: Read> Y4mReader<R> {
    /// Reads the header from `reader`; frames over `limits` are refused.
    pub fn new(reader: R, limits: &Limits) -> Result<Y4mReader<R>, SourceError> {
        let max = (limits.max_width, limits.max_height);
        let reader = check_header_size(reader, max)?;
        // The y4m crate allocates one frame from the header's size: cap it
        // by our limits (4:4:4 16-bit at the largest size) before it does.
        let cap = limits.max_width as usize * limits.max_height as usize * 6;
        let count = Arc::new(AtomicU64::new(0));
        let reader = Counted { inner: reader, count: Arc::clone(&count) };
        let decoder = ::y4m::Decoder::new_with_limits(reader, ::y4m::Limits { bytes: cap }).map_err(|e| match e {
            ::y4m::Error::OutOfMemory => SourceError::TooLarge { max },
            ::y4m::Error::EOF => SourceError::Empty,
            other => SourceError::NotY4m(format!("{other:?}")),
        })?;
        let (w, h) = (decoder.get_width(), decoder.get_height());
        match decoder.get_colorspace() {
            Colorspace::C420 | Colorspace::C420jpeg | Colorspace::C420paldv | Colorspace::C420mpeg2 => {}
            other => return Err(SourceError::Colorspace(format!("{other:?}"))),
        }
        if w == 0 || h == 0 || w > limits.max_width as usize || h > limits.max_height as usize {
            return Err(SourceError::Size { width: w, height: h, max });
        }
        let rate = decoder.get_framerate();
        let fps = (u32::try_from(rate.num).unwrap_or(25).max(1), u32::try_from(rate.den).unwrap_or(1).max(1));
        let frame_end = count.load(Ordering::Relaxed);
        Ok(Y4mReader { decoder, count, frame_end, width: w as u32, height: h as u32, fps })
    }

    /// Frame width.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Frame height.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Frame rate as (numerator, denominator).
    pub fn fps(&self) -> (u32, u32) {
        self.fps
    }

    /// Reads the next frame into `frame` (of this stream's size).
    pub fn read_into(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        match self.decoder.read_frame() {
            Ok(f) => {
                frame.load_planes(f.get_y_plane(), f.get_u_plane(), f.get_v_plane())?;
                self.frame_end = self.count.load(Ordering::Relaxed);
                Ok(SourceRead::Frame)
            }
            Err(::y4m::Error::EOF) if self.count.load(Ordering::Relaxed) == self.frame_end => Ok(SourceRead::End),
            Err(::y4m::Error::EOF) => Ok(SourceRead::Truncated),
            Err(::y4m::Error::IoError(e)) => Err(SourceError::Io(e)),
            Err(e) => Err(SourceError::BadFrame(format!("{e:?}"))),
        }
    }
}

/// A y4m input as a [`FrameSource`]: a file plays at its own frame rate
/// and can be rewound; standard input is a live pipe, taken as it comes.
pub struct Y4mSource {
    reader: Y4mReader<Box<dyn Read + Send>>,
    /// The file, to reopen on rewind (`None`: standard input).
    path: Option<PathBuf>,
    limits: Limits,
}

impl Y4mSource {
    /// Opens `path` (`-` is standard input) and reads its header.
    pub fn open(path: &Path, limits: &Limits) -> Result<Y4mSource, SourceError> {
        let (input, path): (Box<dyn Read + Send>, _) = if path == Path::new("-") {
            (Box::new(io::stdin()), None)
        } else {
            (Box::new(open_file(path)?), Some(path.to_path_buf()))
        };
        Ok(Y4mSource { reader: Y4mReader::new(input, limits)?, path, limits: *limits })
    }
}

fn open_file(path: &Path) -> Result<File, SourceError> {
    File::open(path).map_err(|error| SourceError::Open { path: path.to_path_buf(), error })
}

impl FrameSource for Y4mSource {
    fn size(&self) -> (u32, u32) {
        (self.reader.width(), self.reader.height())
    }

    fn fps(&self) -> (u32, u32) {
        self.reader.fps()
    }

    fn paced(&self) -> bool {
        self.path.is_some()
    }

    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        self.reader.read_into(frame)
    }

    fn rewind(&mut self) -> Result<bool, SourceError> {
        let Some(path) = &self.path else { return Ok(false) };
        let file: Box<dyn Read + Send> = Box::new(open_file(path)?);
        self.reader = Y4mReader::new(file, &self.limits)?;
        Ok(true)
    }
}
