//! `PacketReader`: packets out of a byte stream that arrives in chunks,
//! over asp-core's [`RustPacketReader`] (the one the stream player reads
//! with): push whatever the transport delivers, iterate the whole packets
//! found so far. Unlike `split_packets`, it never needs the whole stream.

use asp_core::packet::{PacketReader as RustPacketReader, ReadEvent};
use asp_core::Limits;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::{error, Kind};
use crate::packets::{packet_bytes, packet_error};

/// Packets from a stream given in chunks.
///
/// ``PacketReader(*, skip_damaged=False)``. ``push(data)`` appends bytes
/// (bytes, bytearray or a 1-D uint8 array; packets may span pushes);
/// iterating yields each whole, verified packet found so far as ``bytes``
/// (wrap one in :class:`Packet` to read its fields) and stops when more
/// bytes are needed. ``finish()`` marks the end of the stream: what is
/// left is then reported as truncated. Damaged bytes raise
/// :class:`PacketError` (``offset``: where in the stream), or, with
/// ``skip_damaged=True``, are skipped up to the next valid packet and
/// counted in ``skipped_bytes``. Memory is bounded by one packet (at most
/// the limits' largest payload), whatever is pushed.
#[pyclass(module = "libasp")]
pub struct PacketReader {
    inner: RustPacketReader,
    skip_damaged: bool,
    finished: bool,
}

#[pymethods]
impl PacketReader {
    #[new]
    #[pyo3(signature = (*, skip_damaged=false))]
    fn new(skip_damaged: bool) -> PacketReader {
        PacketReader {
            inner: RustPacketReader::with_limits(Limits::DEFAULT),
            skip_damaged,
            finished: false,
        }
    }

    /// Appends bytes from the stream.
    fn push(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.finished {
            return Err(error(
                Kind::Stream,
                "push after finish(): the stream was marked as ended",
            ));
        }
        let bytes = packet_bytes("data", data)?;
        let inner = &mut self.inner;
        py.detach(|| inner.push(&bytes));
        Ok(())
    }

    /// Marks the end of the stream: bytes still buffered are reported as a
    /// truncated packet by the next iteration.
    fn finish(&mut self) {
        self.inner.finish();
        self.finished = true;
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        loop {
            match self.inner.next_event() {
                None => return Ok(None),
                Some(ReadEvent::Packet { packet, .. }) => {
                    return Ok(Some(PyBytes::new(py, packet.as_bytes())))
                }
                Some(ReadEvent::Skipped { .. }) if self.skip_damaged => continue,
                Some(ReadEvent::Skipped { offset, len, error }) => {
                    let err = packet_error(py, &error, offset as usize);
                    let _ = err.value(py).setattr("skipped", len);
                    return Err(err);
                }
            }
        }
    }

    /// Bytes buffered and not yet read as packets.
    #[getter]
    fn buffered(&self) -> usize {
        self.inner.buffered()
    }

    /// Damaged bytes skipped (or raised about) so far.
    #[getter]
    fn skipped_bytes(&self) -> u64 {
        self.inner.skipped_bytes()
    }

    /// Whether ``finish()`` was called.
    #[getter]
    fn finished(&self) -> bool {
        self.finished
    }
}
