//! [`ReadAhead`]: a source read on a thread of its own, a few frames ahead.
//!
//! Reading a frame (parsing y4m, copying 1.4 MB at 720p out of the
//! kernel's page cache) is serial work between two frames' encodes, while
//! the encoder's workers wait. On its own thread it overlaps the encode of
//! the frame before, the way ffmpeg's threaded demuxer feeds x264. Frames
//! travel by value: the consumer swaps the read frame into its own buffer
//! and sends its old buffer back, so no frame is copied or allocated per
//! read once the pipeline is full.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use asp_core::codec::frame::Frame;
use asp_core::Limits;

use super::{FrameSource, SourceError, SourceRead};

/// What the reading thread sends: a filled frame with its read's outcome,
/// or the error that ended the source.
type Read = Result<(Frame, SourceRead), SourceError>;

/// A [`FrameSource`] read `depth` frames ahead on a thread of its own.
///
/// The results are those of the wrapped source, in order: frames, then its
/// [`SourceRead::End`] or [`SourceRead::Truncated`] or its error, after
/// which every read says [`SourceRead::End`]. It cannot rewind (a rewind
/// would race the frames already read). Dropping it stops the thread at
/// its next frame; a thread blocked inside the source's own read (a silent
/// pipe) ends with the process.
pub struct ReadAhead {
    size: (u32, u32),
    fps: (u32, u32),
    paced: bool,
    frames: Receiver<Read>,
    /// Buffers going back to the reading thread for reuse.
    spare: SyncSender<Frame>,
    finished: bool,
}

impl ReadAhead {
    /// Starts reading `source` on a new thread, at most `depth` frames
    /// (at least one) ahead of the consumer, into frames of its size made
    /// with `limits`.
    pub fn new(source: Box<dyn FrameSource + Send>, depth: usize, limits: &Limits) -> Result<ReadAhead, SourceError> {
        let (size, fps, paced) = (source.size(), source.fps(), source.paced());
        // The first frame up front: a size the limits refuse is an error here,
        // not on the thread.
        let first = Frame::new(size.0, size.1, limits)?;
        let depth = depth.max(1);
        let (sender, frames) = mpsc::sync_channel(depth);
        // Room for every buffer in flight: the reader never blocks returning one.
        let (spare, returned) = mpsc::sync_channel(depth + 2);
        let limits = *limits;
        thread::Builder::new()
            .name("asp-read-ahead".into())
            .spawn(move || read_frames(source, first, &limits, &sender, &returned))
            .map_err(SourceError::Io)?;
        Ok(ReadAhead {
            size,
            fps,
            paced,
            frames,
            spare,
            finished: false,
        })
    }
}

/// The reading thread: fills a recycled (or, until the pipeline is full, a
/// new) frame per read and sends it on, until the source ends or fails or
/// the consumer is gone.
fn read_frames(
    mut source: Box<dyn FrameSource + Send>,
    first: Frame,
    limits: &Limits,
    sender: &SyncSender<Read>,
    returned: &Receiver<Frame>,
) {
    let mut next = Some(first);
    loop {
        let mut frame = match next.take().or_else(|| returned.try_recv().ok()) {
            Some(frame) => frame,
            None => match Frame::new(source.size().0, source.size().1, limits) {
                Ok(frame) => frame,
                Err(error) => {
                    let _ = sender.send(Err(error.into()));
                    return;
                }
            },
        };
        let read = source.read(&mut frame);
        let last = !matches!(read, Ok(SourceRead::Frame));
        if sender.send(read.map(|outcome| (frame, outcome))).is_err() || last {
            return;
        }
    }
}

impl FrameSource for ReadAhead {
    fn size(&self) -> (u32, u32) {
        self.size
    }

    fn fps(&self) -> (u32, u32) {
        self.fps
    }

    fn paced(&self) -> bool {
        self.paced
    }

    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        if self.finished {
            return Ok(SourceRead::End);
        }
        // A closed channel without a last word: the thread panicked.
        let read = self
            .frames
            .recv()
            .unwrap_or_else(|_| Err(SourceError::Io(std::io::Error::other("the reading thread stopped"))));
        match read {
            Ok((mut filled, SourceRead::Frame)) => {
                std::mem::swap(frame, &mut filled);
                // Full only if the thread is gone; the buffer is then dropped.
                let _ = self.spare.try_send(filled);
                Ok(SourceRead::Frame)
            }
            Ok((_, outcome)) => {
                self.finished = true;
                Ok(outcome)
            }
            Err(error) => {
                self.finished = true;
                Err(error)
            }
        }
    }
}
