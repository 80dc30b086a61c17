//! `VideoFrame`: one decoded picture with what its packet said about it.
//!
//! What `libasp.open` yields. The picture is kept as the decoder wrote it
//! (I420, cropped to the display size); `picture` is it in the reader's
//! format, made on first access and then kept, and `to_ndarray(format)`
//! makes a new array in any format, as PyAV's `VideoFrame.to_ndarray`.

use asp_core::schema::{ColorMatrix, ColorRange};
use asp_core::{FrameMeta, StreamFacts};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::color::Conversion;
use crate::formats::{i420_to_python, Format};

/// What a reader hands over for one picture (made without the GIL).
pub struct Decoded {
    pub i420: Vec<u8>,
    pub width: usize,
    pub height: usize,
    pub meta: FrameMeta,
    pub facts: Option<StreamFacts>,
}

/// A decoded frame: ``picture`` (a NumPy array, or a (Y, U, V) tuple for
/// ``format="yuv"``) and what its packet said: ``sequence``, ``keyframe``,
/// ``capture_time_us``, ``width``, ``height``, the colour facts
/// ``color_matrix`` and ``color_range`` the conversion used, ``fps``.
#[pyclass(module = "libasp", frozen)]
pub struct VideoFrame {
    i420: Vec<u8>,
    /// Width in pixels.
    #[pyo3(get)]
    width: usize,
    /// Height in pixels.
    #[pyo3(get)]
    height: usize,
    /// Sequence number of the I or D packet that coded the picture.
    #[pyo3(get)]
    sequence: u32,
    /// Whether it was a keyframe (an I-packet).
    #[pyo3(get)]
    keyframe: bool,
    /// Capture time, microseconds since the Unix epoch (a file's clock may
    /// start at 0), resolved from the packets' whole times and deltas; None
    /// when the stream does not say.
    #[pyo3(get)]
    capture_time_us: Option<u64>,
    /// Joined at an intra-refresh start and not yet fully refreshed: the
    /// picture still converges to the encoder's.
    #[pyo3(get)]
    recovering: bool,
    /// C-packets (ROI refinements) applied to the picture.
    #[pyo3(get)]
    refinements: u32,
    matrix: ColorMatrix,
    range: ColorRange,
    fps: Option<(u32, u32)>,
    format: Format,
    picture: PyOnceLock<Py<PyAny>>,
}

impl VideoFrame {
    pub fn new(decoded: Decoded, format: Format) -> VideoFrame {
        let Decoded {
            i420,
            width,
            height,
            meta,
            facts,
        } = decoded;
        VideoFrame {
            i420,
            width,
            height,
            sequence: meta.sequence,
            keyframe: meta.keyframe,
            capture_time_us: meta.capture_time_us,
            recovering: meta.recovering,
            refinements: meta.refinements,
            // A stream always starts with facts (a keyframe or a refresh
            // start); BT.709 limited is the encoder's default otherwise.
            matrix: facts.map_or(ColorMatrix::Bt709, |f| f.color_matrix),
            range: facts.map_or(ColorRange::Limited, |f| f.color_range),
            fps: facts.map(|f| (f.fps_num, f.fps_den)),
            format,
            picture: PyOnceLock::new(),
        }
    }

    fn convert<'py>(&self, py: Python<'py>, format: Format) -> PyResult<Bound<'py, PyAny>> {
        let conversion = Conversion::new(self.matrix, self.range);
        i420_to_python(
            py,
            self.i420.clone(),
            self.width,
            self.height,
            format,
            &conversion,
        )
    }
}

/// A schema enum's name in lower case ("Bt709" -> "bt709").
fn lower(name: Option<&'static str>, value: u8) -> String {
    name.map_or_else(|| format!("unknown({value})"), str::to_ascii_lowercase)
}

#[pymethods]
impl VideoFrame {
    /// The picture in the reader's format (the same array on every access).
    #[getter]
    fn picture(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.picture
            .get_or_try_init(py, || Ok(self.convert(py, self.format)?.unbind()))
            .map(|p| p.clone_ref(py))
    }

    /// A new array of the picture in ``format`` ("rgb", "bgr", "gray",
    /// "yuv" or "i420"; default: the reader's).
    #[pyo3(signature = (format=None))]
    fn to_ndarray<'py>(
        &self,
        py: Python<'py>,
        format: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let format = match format {
            Some(f) => Format::parse("format", f)?,
            None => self.format,
        };
        self.convert(py, format)
    }

    /// The format of ``picture``.
    #[getter]
    fn format(&self) -> &'static str {
        self.format.name()
    }

    /// "bt601", "bt709" or "bt2020": the matrix RGB, BGR and gray use.
    #[getter]
    fn color_matrix(&self) -> String {
        lower(self.matrix.variant_name(), self.matrix.0)
    }

    /// "limited" or "full": the range RGB, BGR and gray use.
    #[getter]
    fn color_range(&self) -> String {
        lower(self.range.variant_name(), self.range.0)
    }

    /// The stream's frame rate as a float, or None if not signalled.
    #[getter]
    fn fps(&self) -> Option<f64> {
        self.fps.map(|(n, d)| f64::from(n) / f64::from(d.max(1)))
    }

    /// The stream's frame rate as ``(num, den)``, or None.
    #[getter]
    fn fps_fraction(&self) -> Option<(u32, u32)> {
        self.fps
    }

    fn __repr__(&self) -> String {
        format!(
            "VideoFrame(sequence={}, {}x{}, {}{}, format={:?})",
            self.sequence,
            self.width,
            self.height,
            if self.keyframe { "keyframe" } else { "delta" },
            self.capture_time_us
                .map_or_else(String::new, |t| format!(", capture_time_us={t}")),
            self.format.name()
        )
    }
}
