//! The live loop: frames from a source, paced to real time, stamped,
//! encoded (an asp-encoder [`Session`]: ROI analysis and C-packets as
//! asp-encode does them) and published to the hub; the viewers' feedback
//! steers the encoder between frames.
//!
//! It runs on its own OS thread (the encoder is CPU-bound and uses rayon);
//! a source that blocks (a stalled pipe) blocks only this thread, and the
//! viewers stay connected meanwhile.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asp_core::codec::frame::{Frame, FrameError};
use asp_core::Limits;
use asp_encoder::{EncoderConfig, FrameSource, Session, SessionError, SessionSettings, SourceError, SourceRead};
use tracing::{info, warn};

use crate::hub::Hub;
use crate::renditions::{encode_all, EncodedRendition};
use crate::stamp;

/// Options of the live loop.
#[derive(Clone, Debug, Default)]
pub struct LiveOptions {
    /// Repeat the source when it ends.
    pub repeat: bool,
    /// Wait until this many viewers are connected before the first frame
    /// (tests and benchmarks: everyone sees the stream from its start).
    pub wait_for_viewers: usize,
    /// Burn the capture time into the picture ([`stamp`]), for latency
    /// measured on the rendered canvas.
    pub stamp: bool,
    /// What the encode session does around the encoder: regions of
    /// interest, palettes, C-packets (published after their frame).
    pub session: SessionSettings,
    /// More encoders on the same frames (`asp-encode --rendition`): the
    /// settings of the renditions after the first (the loop's `config`).
    /// The hub serves the first; every frame's packets of all of them go
    /// to the [`RenditionSink`]. A viewer's keyframe request makes a
    /// keyframe on all of them, so their keyframe runs stay aligned (a
    /// player switches renditions at any run's start); the viewers'
    /// bitrate requests are not applied, each rendition keeps its rate
    /// (players choose among renditions instead).
    pub renditions: Vec<EncoderConfig>,
}

/// Why the live loop stopped with an error.
#[derive(Debug)]
pub enum LiveError {
    Encode(SessionError),
    Source(SourceError),
    Frame(FrameError),
    /// The [`Recorder`] could not take a packet.
    Record(std::io::Error),
    /// The [`RenditionSink`] could not take a frame.
    Renditions(std::io::Error),
}

/// Receives every packet the live loop publishes, in publishing order
/// (`asp-encode --serve -o` records the served stream with it). An error
/// stops the loop.
pub type Recorder<'a> = dyn FnMut(&[u8]) -> std::io::Result<()> + 'a;

/// Receives each frame's packets of every rendition (the loop's encoder
/// first, then [`LiveOptions::renditions`]' in order). An error stops the
/// loop.
pub type RenditionSink<'a> = dyn FnMut(&[EncodedRendition]) -> std::io::Result<()> + 'a;

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::Encode(e) => write!(f, "encoder: {e}"),
            LiveError::Source(e) => write!(f, "input: {e}"),
            LiveError::Frame(e) => write!(f, "frame: {e}"),
            LiveError::Record(e) => write!(f, "recording: {e}"),
            LiveError::Renditions(e) => write!(f, "renditions: {e}"),
        }
    }
}

impl std::error::Error for LiveError {}

/// Microseconds since the Unix epoch.
pub fn unix_time_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// What one run of the live loop encodes and where it publishes.
pub struct LiveRun<'a> {
    pub source: Box<dyn FrameSource + 'a>,
    /// The first encoder's settings (the one the hub serves).
    pub config: EncoderConfig,
    pub hub: &'a Hub,
    pub options: &'a LiveOptions,
    /// Set from outside to stop the loop between frames.
    pub stop: &'a AtomicBool,
}

impl LiveRun<'_> {
    /// Runs the live loop until the source ends (then the hub sends
    /// EndOfStream) or `stop` is set. Returns the number of frames encoded.
    pub fn run(self) -> Result<u64, LiveError> {
        self.run_into(&mut |_| Ok(()), &mut |_| Ok(()))
    }

    /// [`LiveRun::run`], handing each packet the hub publishes to `record`
    /// and each frame's packets of every rendition to `renditions` as well.
    pub fn run_into(self, record: &mut Recorder<'_>, renditions: &mut RenditionSink<'_>) -> Result<u64, LiveError> {
        let hub = self.hub;
        let result = self.encode(record, renditions);
        if let Err(e) = &result {
            tracing::error!(error = %e, "live encoding stopped");
            hub.end(&format!("encoder error: {e}"));
        }
        result
    }

    fn encode(self, record: &mut Recorder<'_>, renditions: &mut RenditionSink<'_>) -> Result<u64, LiveError> {
        let LiveRun { mut source, config, hub, options, stop } = self;
        let (width, height) = source.size();
        let (fps_num, fps_den) = source.fps();
        let frame_interval = Duration::from_secs_f64(f64::from(fps_den.max(1)) / f64::from(fps_num.max(1)));
        let mut sessions = std::iter::once(config)
            .chain(options.renditions.iter().cloned())
            .map(|config| Session::new(config, options.session.clone()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(LiveError::Encode)?;
        let mut frame = Frame::new(width, height, &Limits::DEFAULT).map_err(LiveError::Frame)?;
        let control = hub.control();
        let mut applied_bitrate = control.bitrate();

        while hub.stats().viewers < options.wait_for_viewers && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut deadline = Instant::now();
        let mut frames = 0u64;
        let end_reason = loop {
            if stop.load(Ordering::Relaxed) {
                break "server stopped";
            }
            if source.paced() {
                pace(&mut deadline, frame_interval);
            }
            match source.read(&mut frame).map_err(LiveError::Source)? {
                SourceRead::Frame => {}
                end => {
                    if end == SourceRead::Truncated {
                        warn!("the input ended inside a frame");
                    }
                    if options.repeat {
                        match source.rewind() {
                            Ok(true) => {
                                info!(frames, "input ended; starting it again (--loop)");
                                continue;
                            }
                            Ok(false) => {}
                            Err(e) => warn!(error = %e, "cannot reopen the input to loop it"),
                        }
                    }
                    break "input ended";
                }
            }
            let capture_us = unix_time_us();
            if options.stamp {
                stamp::burn(&mut frame, capture_us);
            }
            if control.take_keyframe_request() {
                sessions.iter_mut().for_each(Session::request_keyframe);
            }
            let bitrate = control.bitrate();
            if bitrate != applied_bitrate && bitrate > 0 && sessions.len() == 1 {
                sessions[0].set_bitrate(bitrate);
                applied_bitrate = bitrate;
            }
            let encoded = encode_all(&mut sessions, &frame, capture_us).map_err(LiveError::Encode)?;
            hub.record_capture_to_publish(unix_time_us().saturating_sub(capture_us));
            let served = &encoded[0];
            hub.publish(served.packet.clone(), served.sequence, served.keyframe);
            record(&served.packet).map_err(LiveError::Record)?;
            if let Some(c_packet) = &served.c_packet {
                hub.publish_c_packet(c_packet.clone(), served.sequence);
                record(c_packet).map_err(LiveError::Record)?;
            }
            renditions(&encoded).map_err(LiveError::Renditions)?;
            frames += 1;
        };
        hub.end(end_reason);
        Ok(frames)
    }
}

/// Sleeps until the next frame is due. A loop that fell more than a frame
/// behind (a slow encode) starts counting again from now instead of
/// bursting to catch up.
fn pace(deadline: &mut Instant, interval: Duration) {
    let now = Instant::now();
    if *deadline > now {
        std::thread::sleep(*deadline - now);
        *deadline += interval;
    } else if now - *deadline > interval {
        *deadline = now + interval;
    } else {
        *deadline += interval;
    }
}

/// Starts the live loop on its own thread; the hub's viewers get the frames.
pub fn spawn(
    source: Box<dyn FrameSource + Send>,
    config: EncoderConfig,
    hub: Arc<Hub>,
    options: LiveOptions,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<Result<u64, LiveError>>> {
    std::thread::Builder::new()
        .name("asp-live".into())
        .spawn(move || LiveRun { source, config, hub: &hub, options: &options, stop: &stop }.run())
}
