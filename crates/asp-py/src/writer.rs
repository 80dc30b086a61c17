//! `Writer`: what `libasp.open(target, "w", ...)` returns, an [`Encoder`]
//! whose packets go to a file (by path, written without the GIL) or to a
//! binary file object (`sys.stdout.buffer`, a socket's `makefile("wb")`),
//! back to back as in an `.asp` file.

use std::fs::File;
use std::io::{BufWriter, Write};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::codec::Encoder;
use crate::errors::{error, Kind};

/// Where the packets go.
pub enum Sink {
    File(BufWriter<File>),
    Object(Py<PyAny>),
    Closed,
}

/// Frames in, an ASP stream out: ``write(frame)`` encodes one frame and
/// writes its packets. Use it in a ``with`` block (or call ``close()``).
/// ``encoder`` is the :class:`Encoder` underneath (``request_keyframe()``,
/// ``set_bitrate()``, ``reconstruction()``). Made by :func:`open` with
/// ``mode="w"``.
#[pyclass(module = "libasp")]
pub struct Writer {
    encoder: Py<Encoder>,
    sink: Sink,
    name: String,
    packets: u64,
    bytes: u64,
}

impl Writer {
    pub fn new(encoder: Py<Encoder>, sink: Sink, name: String) -> Writer {
        Writer {
            encoder,
            sink,
            name,
            packets: 0,
            bytes: 0,
        }
    }

    fn stream_error(&self, e: impl std::fmt::Display) -> PyErr {
        error(Kind::Stream, format!("{}: {e}", self.name))
    }

    fn write_packet(&mut self, py: Python<'_>, packet: &Bound<'_, PyBytes>) -> PyResult<()> {
        match &mut self.sink {
            Sink::File(file) => {
                let bytes = packet.as_bytes();
                let written = py.detach(|| file.write_all(bytes));
                written.map_err(|e| self.stream_error(e))?;
            }
            Sink::Object(file) => {
                // A raw file object may take part of it: write the rest.
                let mut at = 0;
                let all = packet.as_bytes();
                while at < all.len() {
                    let rest = PyBytes::new(py, &all[at..]);
                    let n = file.bind(py).call_method1("write", (rest,))?;
                    at += if n.is_none() {
                        all.len() - at
                    } else {
                        n.extract::<usize>()?
                    };
                }
            }
            Sink::Closed => return Err(self.stream_error("the writer is closed")),
        }
        self.packets += 1;
        self.bytes += packet.as_bytes().len() as u64;
        Ok(())
    }

    fn flush(&mut self, py: Python<'_>) -> PyResult<()> {
        match &mut self.sink {
            Sink::File(file) => {
                let flushed = py.detach(|| file.flush());
                flushed.map_err(|e| self.stream_error(e))
            }
            Sink::Object(file) => {
                if file.bind(py).hasattr("flush")? {
                    file.bind(py).call_method0("flush")?;
                }
                Ok(())
            }
            Sink::Closed => Ok(()),
        }
    }
}

#[pymethods]
impl Writer {
    /// Encodes ``frame`` (in the format given to :func:`open`) and writes
    /// its packets; returns how many bytes were written.
    /// ``capture_time_us`` defaults to ``n * 1e6 / fps``.
    #[pyo3(signature = (frame, *, capture_time_us=None))]
    fn write(
        &mut self,
        py: Python<'_>,
        frame: &Bound<'_, PyAny>,
        capture_time_us: Option<u64>,
    ) -> PyResult<u64> {
        if matches!(self.sink, Sink::Closed) {
            return Err(self.stream_error("the writer is closed"));
        }
        let kwargs = PyDict::new(py);
        kwargs.set_item("capture_time_us", capture_time_us)?;
        let packets = self
            .encoder
            .bind(py)
            .call_method("encode", (frame,), Some(&kwargs))?;
        let before = self.bytes;
        for packet in packets.cast::<PyList>()?.iter() {
            self.write_packet(py, packet.cast::<PyBytes>()?)?;
        }
        Ok(self.bytes - before)
    }

    /// Flushes what is written to the file or file object.
    #[pyo3(name = "flush")]
    fn py_flush(&mut self, py: Python<'_>) -> PyResult<()> {
        self.flush(py)
    }

    /// Flushes and closes a file opened by path (a file object given to
    /// :func:`open` is flushed and stays open).
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        let flushed = self.flush(py);
        self.sink = Sink::Closed;
        flushed
    }

    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(
        &mut self,
        py: Python<'_>,
        _args: &Bound<'_, pyo3::types::PyTuple>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    /// The :class:`Encoder` that codes the frames.
    #[getter]
    fn encoder(&self, py: Python<'_>) -> Py<Encoder> {
        self.encoder.clone_ref(py)
    }

    /// Whether ``close()`` was called or the ``with`` block ended.
    #[getter]
    fn closed(&self) -> bool {
        matches!(self.sink, Sink::Closed)
    }

    /// The path or file object written.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Packets written so far.
    #[getter]
    fn packets(&self) -> u64 {
        self.packets
    }

    /// Bytes written so far.
    #[getter]
    fn bytes_written(&self) -> u64 {
        self.bytes
    }

    fn __repr__(&self) -> String {
        format!(
            "<libasp.Writer {:?} packets={} bytes={}{}>",
            self.name,
            self.packets,
            self.bytes,
            if self.closed() { " closed" } else { "" }
        )
    }
}
