use super::*;
use crate::testsrc::TestSource;

const TEST: TestSettings = TestSettings { width: 48, height: 32, fps: 25, frames: Some(3) };

/// A y4m stream of `frames` frames of the test picture, colour format `colour`.
fn y4m_bytes(frames: u64, colour: &str) -> Vec<u8> {
    let mut bytes = format!("YUV4MPEG2 W48 H32 F30000:1001 Ip A1:1 C{colour}\n").into_bytes();
    let mut pattern = TestSource::new(48, 32).unwrap();
    for n in 0..frames {
        bytes.extend_from_slice(b"FRAME\n");
        bytes.extend_from_slice(pattern.i420(n));
    }
    bytes
}

fn frame() -> Frame {
    Frame::new(48, 32, &Limits::DEFAULT).unwrap()
}

#[test]
fn the_test_pattern_ends_after_its_frames_and_rewinds() {
    let mut source = open("testsrc", TEST, &Limits::DEFAULT).unwrap();
    assert_eq!((source.size(), source.fps(), source.paced()), ((48, 32), (25, 1), true));
    let mut frame = frame();
    let want = TestSource::new(48, 32).unwrap().frame(2).unwrap();
    for _ in 0..3 {
        assert_eq!(source.read(&mut frame).unwrap(), SourceRead::Frame);
    }
    assert_eq!(frame, want);
    assert_eq!(source.read(&mut frame).unwrap(), SourceRead::End);
    assert!(source.rewind().unwrap());
    assert_eq!(source.read(&mut frame).unwrap(), SourceRead::Frame);
    assert!(matches!(
        open("testsrc", TestSettings { width: 0, ..TEST }, &Limits::DEFAULT),
        Err(SourceError::TestSize { width: 0, .. })
    ));
}

#[test]
fn y4m_frames_then_the_end_or_a_truncated_frame() {
    let bytes = y4m_bytes(2, "420jpeg");
    let mut reader = Y4mReader::new(bytes.as_slice(), &Limits::DEFAULT).unwrap();
    assert_eq!((reader.width(), reader.height(), reader.fps()), (48, 32, (30000, 1001)));
    let mut frame = frame();
    assert_eq!(reader.read_into(&mut frame).unwrap(), SourceRead::Frame);
    assert_eq!(reader.read_into(&mut frame).unwrap(), SourceRead::Frame);
    assert_eq!(frame, TestSource::new(48, 32).unwrap().frame(1).unwrap());
    assert_eq!(reader.read_into(&mut frame).unwrap(), SourceRead::End);

    let cut = &bytes[..bytes.len() - 100];
    let mut reader = Y4mReader::new(cut, &Limits::DEFAULT).unwrap();
    assert_eq!(reader.read_into(&mut frame).unwrap(), SourceRead::Frame);
    assert_eq!(reader.read_into(&mut frame).unwrap(), SourceRead::Truncated);
}

#[test]
fn y4m_it_cannot_take_is_refused_with_a_reason() {
    let refused = |bytes: &[u8], limits: &Limits| Y4mReader::new(bytes, limits).err().map(|e| e.to_string());
    let message = refused(&y4m_bytes(1, "444"), &Limits::DEFAULT).unwrap();
    assert!(message.contains("C444") && message.contains("yuv420p"), "{message}");
    assert_eq!(refused(b"", &Limits::DEFAULT).unwrap(), "empty input: no y4m header");
    assert!(refused(b"not a y4m file\n", &Limits::DEFAULT).unwrap().starts_with("not a y4m stream"));
    let small = Limits { max_width: 32, max_height: 32, ..Limits::DEFAULT };
    assert!(refused(&y4m_bytes(1, "420jpeg"), &small).unwrap().contains("y4m frame size"));
    // A size whose area overflows a usize (the y4m crate multiplies unchecked).
    let absurd = b"YUV4MPEG2 W100000000000000 H100100000000000 C420jpeg\nFRAME\n";
    assert!(refused(absurd, &Limits::DEFAULT).unwrap().contains("is outside 1x1..=8192x8192"));
    let too_many_digits = b"YUV4MPEG2 W99999999999999999999999 H2 C420jpeg\nFRAME\n";
    assert!(refused(too_many_digits, &Limits::DEFAULT).unwrap().contains("over the limit"));
}

#[test]
fn a_y4m_file_is_paced_and_rewinds() {
    let path = std::env::temp_dir().join(format!("asp-encoder-source-{}.y4m", std::process::id()));
    std::fs::write(&path, y4m_bytes(2, "420")).unwrap();
    let mut source = open(path.to_str().unwrap(), TEST, &Limits::DEFAULT).unwrap();
    assert_eq!((source.size(), source.fps(), source.paced()), ((48, 32), (30000, 1001), true));
    let mut frame = frame();
    for _ in 0..2 {
        assert_eq!(source.read(&mut frame).unwrap(), SourceRead::Frame);
    }
    assert_eq!(source.read(&mut frame).unwrap(), SourceRead::End);
    assert!(source.rewind().unwrap());
    assert_eq!(source.read(&mut frame).unwrap(), SourceRead::Frame);
    assert_eq!(frame, TestSource::new(48, 32).unwrap().frame(0).unwrap());
    std::fs::remove_file(&path).unwrap();
    assert!(source.rewind().is_err(), "the file is gone");
    let missing = open("/nonexistent/in.y4m", TEST, &Limits::DEFAULT).err().unwrap();
    assert!(missing.to_string().starts_with("cannot open /nonexistent/in.y4m"), "{missing}");
}

/// A y4m stream in memory as a source, with an error after its frames
/// when `fail` is set.
struct Bytes {
    reader: Y4mReader<std::io::Cursor<Vec<u8>>>,
    fail: bool,
}

impl FrameSource for Bytes {
    fn size(&self) -> (u32, u32) {
        (self.reader.width(), self.reader.height())
    }
    fn fps(&self) -> (u32, u32) {
        self.reader.fps()
    }
    fn paced(&self) -> bool {
        false
    }
    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        match self.reader.read_into(frame)? {
            SourceRead::End if self.fail => Err(SourceError::BadFrame("after the frames".into())),
            read => Ok(read),
        }
    }
}

fn bytes_source(bytes: Vec<u8>, fail: bool) -> Box<dyn FrameSource + Send> {
    Box::new(Bytes { reader: Y4mReader::new(std::io::Cursor::new(bytes), &Limits::DEFAULT).unwrap(), fail })
}

#[test]
fn read_ahead_gives_the_sources_frames_in_order_then_its_end() {
    let want: Vec<Frame> = (0..5).map(|n| TestSource::new(48, 32).unwrap().frame(n).unwrap()).collect();
    for depth in [0, 1, 2, 8] {
        let source = open("testsrc", TestSettings { frames: Some(5), ..TEST }, &Limits::DEFAULT).unwrap();
        let mut ahead = ReadAhead::new(source, depth, &Limits::DEFAULT).unwrap();
        assert_eq!((ahead.size(), ahead.fps(), ahead.paced()), ((48, 32), (25, 1), true));
        assert!(!ahead.rewind().unwrap(), "frames already read would race a rewind");
        let mut frame = frame();
        for (n, want) in want.iter().enumerate() {
            assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::Frame, "depth {depth}, frame {n}");
            assert_eq!(&frame, want, "depth {depth}, frame {n}");
        }
        for _ in 0..3 {
            assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::End, "depth {depth}");
        }
    }
}

#[test]
fn read_ahead_passes_on_a_truncated_frame_and_an_error_after_the_good_frames() {
    let bytes = y4m_bytes(3, "420jpeg");
    let mut frame = frame();
    let mut ahead = ReadAhead::new(bytes_source(bytes[..bytes.len() - 100].to_vec(), false), 2, &Limits::DEFAULT).unwrap();
    for _ in 0..2 {
        assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::Frame);
    }
    assert_eq!(frame, TestSource::new(48, 32).unwrap().frame(1).unwrap());
    assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::Truncated);
    assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::End);

    let mut ahead = ReadAhead::new(bytes_source(bytes, true), 1, &Limits::DEFAULT).unwrap();
    for _ in 0..3 {
        assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::Frame);
    }
    let error = ahead.read(&mut frame).unwrap_err();
    assert!(error.to_string().contains("after the frames"), "{error}");
    assert_eq!(ahead.read(&mut frame).unwrap(), SourceRead::End);
    assert_eq!(frame, TestSource::new(48, 32).unwrap().frame(2).unwrap(), "the last good frame is kept");
}

#[test]
fn read_ahead_refuses_a_size_over_the_limits_and_stops_when_dropped() {
    let small = Limits { max_width: 32, max_height: 32, ..Limits::DEFAULT };
    let source = open("testsrc", TEST, &Limits::DEFAULT).unwrap();
    assert!(matches!(ReadAhead::new(source, 2, &small), Err(SourceError::Frame(_))));
    // An endless source, read once and dropped: the thread ends (its send
    // fails) and drops the source, instead of reading for ever.
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let endless = open("testsrc", TestSettings { frames: None, ..TEST }, &Limits::DEFAULT).unwrap();
    let watched = Box::new(Watched { inner: endless, dropped: dropped.clone() });
    let mut ahead = ReadAhead::new(watched, 2, &Limits::DEFAULT).unwrap();
    assert_eq!(ahead.read(&mut frame()).unwrap(), SourceRead::Frame);
    drop(ahead);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !dropped.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(std::time::Instant::now() < deadline, "the reading thread outlived its consumer");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// A source that says when it is dropped.
struct Watched {
    inner: Box<dyn FrameSource + Send>,
    dropped: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.dropped.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl FrameSource for Watched {
    fn size(&self) -> (u32, u32) {
        self.inner.size()
    }
    fn fps(&self) -> (u32, u32) {
        self.inner.fps()
    }
    fn paced(&self) -> bool {
        self.inner.paced()
    }
    fn read(&mut self, frame: &mut Frame) -> Result<SourceRead, SourceError> {
        self.inner.read(frame)
    }
}
