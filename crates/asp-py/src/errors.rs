//! The exceptions of `libasp`: one base, `libasp.Error`, and a subclass per
//! kind of failure, each also a subclass of the built-in exception a Python
//! user already catches for it (`ValueError` for bad data, `OSError` for a
//! transport that failed, `NotImplementedError` for a source libasp cannot
//! read or write), so `except libasp.Error` catches everything libasp raises about
//! a stream and `except ValueError` keeps working for bad packets.
//!
//! pyo3's `create_exception!` takes one base class; these need two, so the
//! classes are made once with Python's `type(name, bases, namespace)`.

use pyo3::exceptions::{PyException, PyNotImplementedError, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// Which libasp exception.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `libasp.PacketError`: a packet refused by its checks.
    Packet,
    /// `libasp.DecodeError`: a packet parsed but gave no frame.
    Decode,
    /// `libasp.StreamError`: the transport failed (connection, TLS, timeout).
    Stream,
    /// `libasp.UnsupportedError`: a source libasp cannot read or write.
    Unsupported,
}

const KINDS: [(Kind, &str, &str); 4] = [
    (
        Kind::Packet,
        "PacketError",
        "A packet was refused: bad magic, version, type, length, CRC, payload, or limits. `kind` names the check, `offset` the byte at fault (or None).",
    ),
    (
        Kind::Decode,
        "DecodeError",
        "A packet parsed but produced no frame: a delta frame before any keyframe or after a lost one, or damaged tile data. Decode the next keyframe to recover.",
    ),
    (
        Kind::Stream,
        "StreamError",
        "Reading or writing a stream failed: a connection refused or lost, a TLS certificate that did not verify, a timeout, a file object that is not binary.",
    ),
    (
        Kind::Unsupported,
        "UnsupportedError",
        "A source libasp cannot read or write (an http:// URL, an unknown scheme, a URL to write to): the message says what to use instead.",
    ),
];

/// The classes, made on first use: the base, then one per [`Kind`].
struct Classes {
    base: Py<PyType>,
    kinds: [Py<PyType>; 4],
}

static CLASSES: PyOnceLock<Classes> = PyOnceLock::new();

fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    doc: &str,
    bases: Bound<'py, PyTuple>,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__doc__", doc)?;
    namespace.set_item("__module__", "libasp")?;
    let class = py
        .get_type::<PyType>()
        .call1((name, bases, namespace))?
        .cast_into::<PyType>()?;
    Ok(class.unbind())
}

fn classes(py: Python<'_>) -> PyResult<&Classes> {
    CLASSES.get_or_try_init(py, || {
        let base = new_class(
            py,
            "Error",
            "Base of every exception libasp raises about packets, frames and streams.",
            PyTuple::new(py, [py.get_type::<PyException>()])?,
        )?;
        let also = |kind: Kind| match kind {
            Kind::Packet | Kind::Decode => py.get_type::<PyValueError>(),
            Kind::Stream => py.get_type::<PyOSError>(),
            Kind::Unsupported => py.get_type::<PyNotImplementedError>(),
        };
        let make = |i: usize| {
            let (kind, name, doc) = KINDS[i];
            new_class(
                py,
                name,
                doc,
                PyTuple::new(py, [base.bind(py).clone(), also(kind)])?,
            )
        };
        let kinds = [make(0)?, make(1)?, make(2)?, make(3)?];
        Ok(Classes { base, kinds })
    })
}

/// The class of `kind`.
pub fn class(py: Python<'_>, kind: Kind) -> PyResult<Bound<'_, PyType>> {
    let i = KINDS.iter().position(|(k, ..)| *k == kind).unwrap_or(0);
    Ok(classes(py)?.kinds[i].bind(py).clone())
}

/// A new exception of `kind` with `message`.
pub fn error(kind: Kind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    Python::attach(|py| match class(py, kind) {
        Ok(class) => PyErr::from_type(class, message),
        Err(e) => e,
    })
}

/// Adds `Error` and its subclasses to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes = classes(py)?;
    m.add("Error", classes.base.bind(py))?;
    for ((_, name, _), class) in KINDS.iter().zip(&classes.kinds) {
        m.add(*name, class.bind(py))?;
    }
    Ok(())
}
