//! `libasp.open`: a path, a binary file object or a live stream URL, for
//! reading frames ([`Reader`]) or writing a stream ([`Writer`]), the way
//! `av.open` and the built-in `open` are used.

use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Duration;

use asp_core::packet::{HEADER_LEN, TRAILER_LEN};
use asp_core::{Player, Settings};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::arrays::type_name;
use crate::codec::Encoder;
use crate::errors::{error, Kind};
use crate::formats::Format;
use crate::pools::Threads;
use crate::stream::{Reader, Source};
use crate::writer::{Sink, Writer};

/// Largest `chunk_size`.
const MAX_CHUNK: i64 = 64 << 20;

/// What `file` names.
enum Target {
    Path(PathBuf),
    Url(String),
    Object(Py<PyAny>),
}

fn target(file: &Bound<'_, PyAny>, method: &str) -> PyResult<Target> {
    let py = file.py();
    if let Ok(s) = file.cast::<PyString>() {
        let s: String = s.extract()?;
        let s = s.as_str();
        if let Some((scheme, _)) = s.split_once("://") {
            return match scheme.to_ascii_lowercase().as_str() {
                "ws" | "wss" => Ok(Target::Url(s.to_string())),
                "https" => Ok(Target::Url(s.to_string())),
                "http" => Err(error(
                    Kind::Unsupported,
                    format!("{s}: libasp reads live streams over WebSocket (ws://HOST:PORT/asp/ws) or WebTransport (https://HOST:PORT/asp/wt#sha256=...)"),
                )),
                _ => Err(error(
                    Kind::Unsupported,
                    format!("{s}: unknown scheme {scheme:?}; libasp reads paths, file objects, ws://, wss:// and https:// (WebTransport) URLs"),
                )),
            };
        }
        return Ok(Target::Path(PathBuf::from(s)));
    }
    if file.hasattr("__fspath__")? {
        let path = py.import("os")?.getattr("fspath")?.call1((file,))?;
        return Ok(Target::Path(path.extract()?));
    }
    if file.hasattr(method)? {
        return Ok(Target::Object(file.clone().unbind()));
    }
    Err(PyTypeError::new_err(format!(
        "file must be a path, a ws://, wss:// or https:// URL, or a binary file object with {method}(), got {} \
         (wrap bytes in io.BytesIO)",
        type_name(file)
    )))
}

/// Opens an ASP stream.
///
/// Reading (``mode="r"``): ``file`` is a path, a binary file object
/// (``sys.stdin.buffer``, ``io.BytesIO``, a pipe; read in chunks of
/// ``chunk_size`` bytes, never whole) or the URL of a live ``asp-encode
/// --serve`` stream: WebSocket, ``ws://HOST:PORT/asp/ws`` (the path
/// defaults to ``/asp/ws``) or ``wss://`` (verified against the system's
/// roots, or the PEM file ``ca``), or WebTransport,
/// ``https://HOST:PORT/asp/wt#sha256=HEX`` as ``asp-encode --serve``
/// prints it (the certificate checked against that hash; without one,
/// against ``ca`` or the system's roots). Returns a :class:`Reader` yielding
/// :class:`VideoFrame` s whose ``picture`` is in ``format`` ("rgb", "bgr",
/// "gray", "yuv" or "i420"), exactly the frames ``asp-decode`` writes.
/// ``keep_going``: skip damage and wait for the next keyframe instead of
/// raising; ``apply_corrections=False`` ignores C-packets (``--drop-c``);
/// ``timeout``: seconds to wait for a connection or a live packet (None:
/// forever).
///
/// Writing (``mode="w"``): ``file`` is a path or a binary file object;
/// ``width``, ``height`` and ``fps`` are required, ``format`` is what
/// ``write`` takes, and every other keyword is an :class:`Encoder` option
/// (``qp``, ``bitrate``, ``keyint``, ``preset``, ``roi``, ...). Returns a
/// :class:`Writer`.
#[pyfunction]
#[pyo3(signature = (file, mode="r", *, format="rgb", keep_going=false, apply_corrections=true, ca=None, timeout=Some(30.0), chunk_size=262144, threads=None, width=None, height=None, fps=None, **options))]
#[allow(clippy::too_many_arguments)]
pub fn open<'py>(
    py: Python<'py>,
    file: &Bound<'py, PyAny>,
    mode: &str,
    format: &str,
    keep_going: bool,
    apply_corrections: bool,
    ca: Option<PathBuf>,
    timeout: Option<f64>,
    chunk_size: i64,
    threads: Option<i64>,
    width: Option<i64>,
    height: Option<i64>,
    fps: Option<&Bound<'py, PyAny>>,
    options: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let format = Format::parse("format", format)?;
    let timeout = match timeout {
        None => None,
        Some(t) if t.is_finite() && t > 0.0 && t <= 1e9 => Some(Duration::from_secs_f64(t)),
        Some(t) => {
            return Err(PyValueError::new_err(format!(
                "timeout must be positive seconds or None, got {t}"
            )))
        }
    };
    match mode {
        "r" | "rb" => {
            for (name, given) in [
                ("width", width.is_some()),
                ("height", height.is_some()),
                ("fps", fps.is_some()),
            ] {
                if given {
                    return Err(PyTypeError::new_err(format!("{name}= is for mode='w'")));
                }
            }
            if let Some(key) = options.and_then(|o| o.keys().iter().next()) {
                return Err(PyTypeError::new_err(format!(
                    "open() got an unexpected keyword argument {} for mode='r'",
                    key.repr()?
                )));
            }
            crate::arrays::int_in("chunk_size", chunk_size, 1, MAX_CHUNK)?;
            let target = target(file, "read")?;
            let secure = |u: &str| {
                let u = u.to_ascii_lowercase();
                u.starts_with("wss://") || u.starts_with("https://")
            };
            if ca.is_some() && !matches!(&target, Target::Url(u) if secure(u)) {
                return Err(PyValueError::new_err("ca= is for wss:// and https:// URLs"));
            }
            let settings = Settings {
                drop_c: !apply_corrections,
                ..Settings::default()
            };
            let max_packet = HEADER_LEN + TRAILER_LEN + settings.limits.max_payload_len as usize;
            let (source, name) = match target {
                Target::Path(path) => {
                    let opened = File::open(&path)
                        .map_err(|e| error(Kind::Stream, format!("{}: {e}", path.display())))?;
                    (Source::File(opened), path.display().to_string())
                }
                Target::Object(object) => {
                    let read1 = object.bind(py).hasattr("read1")?;
                    let name = object
                        .bind(py)
                        .getattr("name")
                        .and_then(|n| n.str().map(|s| s.to_string()))
                        .unwrap_or_else(|_| type_name(object.bind(py)));
                    (
                        Source::Object {
                            file: object,
                            read1,
                        },
                        name,
                    )
                }
                Target::Url(url) => {
                    let (live, url) = py
                        .detach(|| asp_live::connect(&url, ca.as_deref(), timeout, max_packet))
                        .map_err(|e| error(Kind::Stream, e))?;
                    (Source::Live(live), url)
                }
            };
            let reader = Reader::new(
                source,
                name,
                Player::new(settings),
                format,
                keep_going,
                Threads::from_arg(threads)?.pool()?,
                chunk_size as usize,
                timeout,
            );
            Ok(Bound::new(py, reader)?.into_any())
        }
        "w" | "wb" => {
            let (Some(width), Some(height), Some(fps)) = (width, height, fps) else {
                return Err(PyTypeError::new_err(
                    "mode='w' needs width=, height= and fps=",
                ));
            };
            if ca.is_some() {
                return Err(PyValueError::new_err(
                    "ca= is for reading wss:// and https:// URLs",
                ));
            }
            let kwargs = PyDict::new(py);
            if let Some(options) = options {
                kwargs.update(options.as_mapping())?;
            }
            kwargs.set_item("format", format.name())?;
            kwargs.set_item("threads", threads)?;
            let encoder = py
                .get_type::<Encoder>()
                .call((width, height, fps), Some(&kwargs))?
                .cast_into::<Encoder>()?
                .unbind();
            let (sink, name) = match target(file, "write")? {
                Target::Path(path) => {
                    let created = File::create(&path)
                        .map_err(|e| error(Kind::Stream, format!("{}: {e}", path.display())))?;
                    (Sink::File(BufWriter::new(created)), path.display().to_string())
                }
                Target::Object(object) => {
                    let name = object
                        .bind(py)
                        .getattr("name")
                        .and_then(|n| n.str().map(|s| s.to_string()))
                        .unwrap_or_else(|_| type_name(object.bind(py)));
                    (Sink::Object(object), name)
                }
                Target::Url(url) => {
                    return Err(error(
                        Kind::Unsupported,
                        format!("{url}: libasp writes files and file objects; serve live with asp-encode --serve"),
                    ))
                }
            };
            Ok(Bound::new(py, Writer::new(encoder, sink, name))?.into_any())
        }
        _ => Err(PyValueError::new_err(format!(
            "mode must be 'r' or 'w', got {mode:?}"
        ))),
    }
}
