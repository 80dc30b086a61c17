//! The test picture as a [`FrameSource`].

use asp_core::codec::frame::Frame;

use super::{FrameSource, SourceError, SourceRead};
use crate::testsrc::TestSource;

/// The built-in test picture ([`TestSource`]) frame after frame: paced,
/// endless unless `frames` is given, rewindable.
pub struct TestPattern {
    source: TestSource,
    fps: u32,
    index: u64,
    frames: Option<u64>,
}

impl TestPattern {
    /// `width` x `height` at `fps` frames per second, `frames` of them (`None`: endless).
    pub fn new(width: u32, height: u32, fps: u32, frames: Option<u64>) -> Result<TestPattern, SourceError> {
        let source = TestSource::new(width, height).map_err(|error| SourceError::TestSize { width, height, error })?;
        Ok(TestPattern { source, fps: fps.max(1), index: 0, frames })
    }
}

impl FrameSource for TestPattern {
    fn size(&self) -> (u32, u32) {
        (self.source.width(), self.source.height())
    }

    fn fps(&self) -> (u32, u32) {
        (self.fps, 1)
    }

    fn paced(&self) -> bool {
        true
    }

    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        if self.frames.is_some_and(|n| self.index >= n) {
            return Ok(SourceRead::End);
        }
        self.source.frame_into(self.index, frame)?;
        self.index += 1;
        Ok(SourceRead::Frame)
    }

    fn rewind(&mut self) -> Result<bool, SourceError> {
        self.index = 0;
        Ok(true)
    }
}
