//! `Reader`: what `libasp.open(source)` returns for reading, an iterator
//! (and context manager) of decoded [`VideoFrame`]s.
//!
//! An I/O adapter over asp-core's stream [`Player`], as `asp-decode` is:
//! bytes go in as they come (file reads, a file object's chunks, WebSocket
//! messages), the player joins the stream, resolves capture times and
//! stacks C-packets, and each picture is handed over when it is final (its
//! C-packets applied), so the frames are exactly those `asp-decode` writes.
//! Input is read one chunk at a time and decoded one packet at a time:
//! memory stays bounded by the player's limits, never by the stream.
//!
//! Errors follow `asp-decode`: damaged data, a delta frame first, or a
//! frame that fails raise (:class:`PacketError`, :class:`DecodeError`)
//! unless `keep_going=True`; iterating on after one resumes at the next
//! keyframe or intra-refresh start. On a live stream the reader asks the
//! server for a keyframe after a loss.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asp_core::codec::decoder::DecodeError as RustDecodeError;
use asp_core::packet::{PacketError as RustPacketError, PacketWriter, Sync};
use asp_core::schema::SyncCommand;
use asp_core::{Event, Player, PlayerError, Waiting};
use asp_encoder::Rayon;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict};
use rayon::ThreadPool;

use crate::arrays::type_name;
use crate::errors::{error, Kind};
use crate::formats::Format;
use crate::frame::{Decoded, VideoFrame};
use asp_live::{Live, Polled};
use crate::pools::run;

/// How long one wait for live bytes lasts before Python gets the
/// GIL back to see Ctrl-C.
const POLL: Duration = Duration::from_millis(200);

/// Where the bytes come from.
pub enum Source {
    /// A file opened by path (read without the GIL).
    File(File),
    /// A Python binary file object: `read1` when it has one (returns what
    /// a pipe has without waiting for a whole chunk), else `read`.
    Object {
        file: Py<PyAny>,
        read1: bool,
    },
    /// A live stream of `asp-encode --serve` (WebSocket or WebTransport).
    Live(Box<dyn Live>),
    Closed,
}

/// What draining the player found.
enum Step {
    Frame(Decoded),
    /// `len` damaged bytes at stream offset `offset` (strict mode).
    Damaged {
        error: RustPacketError,
        offset: u64,
        len: u64,
    },
    /// A frame that could not be decoded (strict mode).
    Failed(String),
    /// More input is needed.
    NeedInput,
}

/// Runs the player until a picture is final, a strict-mode error, or it
/// needs input. Warnings (C-packets that did not apply, as `asp-decode`
/// prints them) are collected in `warnings`.
fn step(player: &mut Player, keep_going: bool, warnings: &mut Vec<String>) -> Step {
    while let Some(event) = player.next_event(&Rayon) {
        match event {
            Event::Final(_) => {
                let (Some(picture), Some(meta)) = (player.picture(), player.meta()) else {
                    continue;
                };
                let mut i420 = Vec::new();
                picture.write_i420(&mut i420);
                return Step::Frame(Decoded {
                    i420,
                    width: picture.width(),
                    height: picture.height(),
                    meta,
                    facts: player.facts(),
                });
            }
            Event::Picture(_) | Event::Refined(_) | Event::Dropped { .. } if keep_going => {}
            Event::Picture(_) | Event::Refined(_) => {}
            Event::Dropped {
                sequence,
                waiting: Waiting::Start,
            } => {
                return Step::Failed(format!(
                    "packet {sequence}: {} (keep_going=True skips it)",
                    RustDecodeError::NoKeyframe
                ))
            }
            Event::Dropped { .. } => {}
            Event::Error(PlayerError::Damaged { offset, len, error }) if !keep_going => {
                return Step::Damaged { error, offset, len }
            }
            Event::Error(PlayerError::Decode { sequence, error }) if !keep_going => {
                return Step::Failed(format!(
                    "packet {sequence}: {error} (keep_going=True skips it)"
                ))
            }
            Event::Error(e @ (PlayerError::WrongFrame { .. } | PlayerError::Refine { .. })) => {
                warnings.push(e.to_string())
            }
            Event::Error(_) => {}
        }
    }
    Step::NeedInput
}

/// A `PacketError` for `len` damaged bytes at stream offset `offset`:
/// `kind` the first failed check, `offset` the byte at fault, `skipped`
/// the span's length.
fn damaged(py: Python<'_>, name: &str, e: &RustPacketError, offset: u64, len: u64) -> PyErr {
    let err = error(
        Kind::Packet,
        format!(
            "{name}: damaged data at byte {offset} ({len} bytes): {e} (keep_going=True skips it)"
        ),
    );
    let value = err.value(py);
    let _ = value.setattr("kind", e.kind());
    let _ = value.setattr("offset", offset + e.offset().unwrap_or(0) as u64);
    let _ = value.setattr("skipped", len);
    err
}

/// Frames decoded from an ASP stream: ``for frame in reader``, or
/// ``next(reader)``; use it in a ``with`` block (or call ``close()``).
/// Made by :func:`open`.
#[pyclass(module = "libasp")]
pub struct Reader {
    source: Source,
    name: String,
    player: Player,
    format: Format,
    keep_going: bool,
    pool: Option<Arc<ThreadPool>>,
    chunk: Vec<u8>,
    /// Most time to wait for live bytes (None: forever).
    timeout: Option<Duration>,
    /// The source is exhausted and the player told so.
    ended: bool,
    /// Bytes read from the source.
    bytes_read: u64,
    frames: u64,
    /// A transport failure, raised once the frames before it are out.
    pending: Option<PyErr>,
    /// A keyframe was asked for since the last loss.
    asked_keyframe: bool,
    /// `close()` was called.
    closed: bool,
}

impl Reader {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: Source,
        name: String,
        player: Player,
        format: Format,
        keep_going: bool,
        pool: Option<Arc<ThreadPool>>,
        chunk_size: usize,
        timeout: Option<Duration>,
    ) -> Reader {
        Reader {
            source,
            name,
            player,
            format,
            keep_going,
            pool,
            chunk: vec![0; chunk_size],
            timeout,
            ended: false,
            bytes_read: 0,
            frames: 0,
            pending: None,
            asked_keyframe: false,
            closed: false,
        }
    }

    /// Reads the next bytes into the player; false at the end of the source.
    fn fill(&mut self, py: Python<'_>) -> PyResult<bool> {
        let chunk_size = self.chunk.len();
        let got = match &mut self.source {
            Source::Closed => return Err(error(Kind::Stream, "the reader is closed")),
            Source::File(file) => {
                let chunk = &mut self.chunk;
                let n = loop {
                    match py.detach(|| file.read(chunk)) {
                        // A signal (a FIFO that blocks): Python's handler
                        // runs, Ctrl-C raises.
                        Err(e) if e.kind() == ErrorKind::Interrupted => py.check_signals()?,
                        other => break other,
                    }
                };
                let n = n.map_err(|e| error(Kind::Stream, format!("{}: {e}", self.name)))?;
                self.push(py, None, n)?;
                n
            }
            Source::Object { file, read1 } => {
                let method = if *read1 { "read1" } else { "read" };
                let data = file.bind(py).call_method1(method, (chunk_size,))?;
                if let Ok(b) = data.cast::<PyBytes>() {
                    self.push(py, Some(b.as_bytes()), b.as_bytes().len())?
                } else if let Ok(b) = data.cast::<PyByteArray>() {
                    let owned = b.to_vec();
                    self.push(py, Some(&owned), owned.len())?
                } else if data.is_none() {
                    return Err(error(
                        Kind::Stream,
                        format!("{}: {method}() returned None (a non-blocking file); pass a blocking binary file object", self.name),
                    ));
                } else {
                    return Err(error(
                        Kind::Stream,
                        format!(
                            "{}: {method}() returned {}, not bytes; open the file in binary mode ('rb')",
                            self.name,
                            type_name(&data)
                        ),
                    ));
                }
            }
            Source::Live(_) => return self.fill_live(py),
        };
        Ok(got > 0)
    }

    /// Hands `n` bytes (from `data`, else from the chunk buffer) to the player.
    fn push(&mut self, py: Python<'_>, data: Option<&[u8]>, n: usize) -> PyResult<usize> {
        if n == 0 {
            return Ok(0);
        }
        self.bytes_read += n as u64;
        let bytes = data.unwrap_or(&self.chunk[..n]);
        let player = &mut self.player;
        // Pushing never fails here: the player is drained before each read,
        // so it never holds more than one packet's worth.
        let pushed = py.detach(|| player.push(bytes));
        pushed.map_err(|e| error(Kind::Stream, format!("{}: {e}", self.name)))?;
        Ok(n)
    }

    /// Waits for the next live bytes, seeing Ctrl-C between waits.
    fn fill_live(&mut self, py: Python<'_>) -> PyResult<bool> {
        let Source::Live(live) = &mut self.source else {
            return Ok(false);
        };
        if self.player.waiting() == Some(Waiting::Loss) && !self.asked_keyframe {
            let mut writer = PacketWriter::new();
            let request = writer
                .write_s(0, 0, &Sync::command(SyncCommand::RequestKeyframe))
                .map(<[u8]>::to_vec)
                .map_err(|e| error(Kind::Stream, e.to_string()))?;
            py.detach(|| live.send(&request))
                .map_err(|e| error(Kind::Stream, e))?;
            self.asked_keyframe = true;
        }
        let started = Instant::now();
        loop {
            let polled = py
                .detach(|| live.poll(POLL))
                .map_err(|e| error(Kind::Stream, e));
            match polled {
                Ok(Polled::Bytes(bytes)) => {
                    self.push(py, Some(&bytes), bytes.len())?;
                    return Ok(true);
                }
                Ok(Polled::Idle) => {
                    py.check_signals()?;
                    if let Some(limit) = self.timeout.filter(|t| started.elapsed() >= *t) {
                        self.pending = Some(error(
                            Kind::Stream,
                            format!(
                                "{}: no packet for {:.1} s (timeout=)",
                                self.name,
                                limit.as_secs_f64()
                            ),
                        ));
                        return Ok(false);
                    }
                }
                Ok(Polled::Closed { normal: true, .. }) => return Ok(false),
                Ok(Polled::Closed { normal: false, why }) => {
                    self.pending = Some(error(Kind::Stream, format!("{}: {why}", self.name)));
                    return Ok(false);
                }
                Err(e) => {
                    self.pending = Some(e);
                    return Ok(false);
                }
            }
        }
    }

    fn next_frame(&mut self, py: Python<'_>) -> PyResult<Option<VideoFrame>> {
        loop {
            let (player, keep_going, pool) = (&mut self.player, self.keep_going, &self.pool);
            let mut warnings = Vec::new();
            let found =
                py.detach(|| run(pool.as_deref(), || step(player, keep_going, &mut warnings)));
            for warning in warnings {
                let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
                PyErr::warn(
                    py,
                    &category,
                    &std::ffi::CString::new(warning).unwrap_or_default(),
                    1,
                )?;
            }
            if !self.player.needs_keyframe() {
                self.asked_keyframe = false;
            }
            match found {
                Step::Frame(decoded) => {
                    self.frames += 1;
                    return Ok(Some(VideoFrame::new(decoded, self.format)));
                }
                Step::Damaged {
                    error: e,
                    offset,
                    len,
                } => return Err(damaged(py, &self.name, &e, offset, len)),
                Step::Failed(message) => return Err(error(Kind::Decode, message)),
                Step::NeedInput => {}
            }
            if self.ended {
                if let Some(e) = self.pending.take() {
                    return Err(e);
                }
                if self.frames == 0 && !self.keep_going && !matches!(self.source, Source::Closed) {
                    self.close_source();
                    return Err(error(
                        Kind::Decode,
                        format!("{}: no keyframe in the input: nothing to decode", self.name),
                    ));
                }
                return Ok(None);
            }
            if !self.fill(py)? {
                self.player.finish();
                self.ended = true;
            }
        }
    }

    fn close_source(&mut self) {
        if let Source::Live(live) = &mut self.source {
            live.close();
        }
        self.source = Source::Closed;
        if !self.ended {
            self.player.finish();
            self.ended = true;
        }
    }
}

#[pymethods]
impl Reader {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Option<VideoFrame>> {
        if self.closed {
            return Err(error(
                Kind::Stream,
                format!("{}: the reader is closed", self.name),
            ));
        }
        self.next_frame(py)
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    /// Stops reading: closes a file opened by path and a WebSocket
    /// connection (a file object given to :func:`open` stays open).
    fn close(&mut self) {
        self.close_source();
        self.closed = true;
    }

    /// Whether ``close()`` was called or the ``with`` block ended.
    #[getter]
    fn closed(&self) -> bool {
        self.closed
    }

    /// The path, URL or file object read.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The format of each frame's ``picture``.
    #[getter]
    fn format(&self) -> &'static str {
        self.format.name()
    }

    /// Frames handed out so far.
    #[getter]
    fn frames(&self) -> u64 {
        self.frames
    }

    /// True while delta frames are skipped: until the first keyframe or
    /// intra-refresh start, and after any loss until the next one.
    #[getter]
    fn needs_keyframe(&self) -> bool {
        self.player.needs_keyframe()
    }

    /// Counters: ``decoded``, ``dropped`` (delta frames skipped waiting for
    /// a keyframe), ``refined`` (C-packets applied), ``damaged`` (bad
    /// spans and packets), ``failed`` (frames that did not decode),
    /// ``errors``, ``bytes_read``, ``damaged_bytes``.
    #[getter]
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.player.stats();
        let d = PyDict::new(py);
        d.set_item("decoded", s.decoded)?;
        d.set_item("dropped", s.dropped)?;
        d.set_item("refined", s.refined)?;
        d.set_item("damaged", s.damaged)?;
        d.set_item("failed", s.failed)?;
        d.set_item("errors", s.errors)?;
        d.set_item("bytes_read", self.bytes_read)?;
        d.set_item("damaged_bytes", self.player.damaged_bytes())?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<libasp.Reader {:?} format={:?} frames={}{}>",
            self.name,
            self.format.name(),
            self.frames,
            if self.closed() { " closed" } else { "" }
        )
    }
}
