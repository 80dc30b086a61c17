//! The live test picture with its burnt-in capture timestamp, as y4m on
//! standard output at real time: the input of the jsmpeg anchor in the
//! latency benchmark (`ffmpeg -f yuv4mpegpipe -i - ... mpeg1video`), so both
//! pipelines show the same picture with the same stamp.
//!
//! ```sh
//! cargo run --release -p asp-server --example stamped_testsrc -- 1280 720 30 | ffmpeg -f yuv4mpegpipe -i - ...
//! ```

use std::io::{self, Write};
use std::time::{Duration, Instant};

use asp_core::codec::frame::Frame;
use asp_core::Limits;
use asp_encoder::testsrc::TestSource;
use asp_server::live::unix_time_us;
use asp_server::stamp;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<u32> = std::env::args().skip(1).map(|a| a.parse()).collect::<Result<_, _>>()?;
    let (w, h, fps) = match args[..] {
        [w, h, fps] => (w, h, fps.max(1)),
        _ => (1280, 720, 30),
    };
    let mut source = TestSource::new(w, h)?;
    let mut frame = Frame::new(w, h, &Limits::DEFAULT)?;
    let mut out = io::stdout().lock();
    writeln!(out, "YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg")?;
    let interval = Duration::from_secs_f64(1.0 / f64::from(fps));
    let mut deadline = Instant::now();
    let mut bytes = Vec::new();
    for n in 0.. {
        if let Some(wait) = deadline.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        deadline += interval;
        source.frame_into(n, &mut frame)?;
        stamp::burn(&mut frame, unix_time_us());
        bytes.clear();
        frame.write_i420(&mut bytes);
        out.write_all(b"FRAME\n")?;
        out.write_all(&bytes)?;
        out.flush()?;
    }
    Ok(())
}
