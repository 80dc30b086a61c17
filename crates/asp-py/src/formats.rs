//! Frames between NumPy and the codec's I420, in five formats:
//!
//! * `"rgb"`: (H, W, 3) uint8, R, G, B (PyAV's `rgb24`);
//! * `"bgr"`: (H, W, 3) uint8, B, G, R (OpenCV's order, PyAV's `bgr24`);
//! * `"gray"`: (H, W) uint8, the luma as full-range levels (PyAV's `gray`);
//! * `"yuv"`: a `(Y, U, V)` tuple of planes, chroma `ceil(H/2) x ceil(W/2)`
//!   (any size);
//! * `"i420"`: (H * 3 / 2, W) uint8, Y rows then U then V, as OpenCV's
//!   `COLOR_YUV2RGB_I420` expects (even sizes only; PyAV's `yuv420p`).
//!
//! RGB, BGR and gray are converted with the matrix and range the stream
//! signals ([`Conversion`]); YUV and I420 are the planes as coded.

use asp_core::codec::frame::{i420_len, Frame};
use numpy::PyUntypedArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::arrays::{to_numpy, type_name, u8_array, Input};
use crate::color::{Conversion, Order};

/// A frame format. See the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Rgb,
    Bgr,
    Gray,
    Yuv,
    I420,
}

/// The names `format=` accepts, for messages.
const NAMES: &str = "'rgb', 'bgr', 'gray', 'yuv' or 'i420'";

impl Format {
    /// Parses a `format=` value; `what` names the argument in the error.
    pub fn parse(what: &str, name: &str) -> PyResult<Format> {
        match name {
            "rgb" => Ok(Format::Rgb),
            "bgr" => Ok(Format::Bgr),
            "gray" => Ok(Format::Gray),
            "yuv" => Ok(Format::Yuv),
            "i420" => Ok(Format::I420),
            _ => Err(PyValueError::new_err(format!(
                "{what} must be {NAMES}, got {name:?}"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Rgb => "rgb",
            Format::Bgr => "bgr",
            Format::Gray => "gray",
            Format::Yuv => "yuv",
            Format::I420 => "i420",
        }
    }
}

/// A decoded (or reconstructed) frame as NumPy in `format`.
pub fn frame_to_python<'py>(
    py: Python<'py>,
    frame: &Frame,
    format: Format,
    conversion: &Conversion,
) -> PyResult<Bound<'py, PyAny>> {
    let (w, h) = (frame.width(), frame.height());
    let mut i420 = Vec::with_capacity(i420_len(w, h));
    frame.write_i420(&mut i420);
    i420_to_python(py, i420, w, h, format, conversion)
}

/// I420 samples of a `w` x `h` picture (`i420`, moved) as NumPy in
/// `format`; conversions run without the GIL.
pub fn i420_to_python<'py>(
    py: Python<'py>,
    mut i420: Vec<u8>,
    w: usize,
    h: usize,
    format: Format,
    conversion: &Conversion,
) -> PyResult<Bound<'py, PyAny>> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match format {
        Format::I420 => {
            if w % 2 != 0 || h % 2 != 0 {
                return Err(PyValueError::new_err(format!(
                    "format 'i420' needs an even frame size, this one is {w}x{h}; use 'yuv'"
                )));
            }
            Ok(to_numpy(py, &[h * 3 / 2, w], i420)?.into_any())
        }
        Format::Yuv => {
            let v = i420.split_off(w * h + cw * ch);
            let u = i420.split_off(w * h);
            let planes = [
                to_numpy(py, &[h, w], i420)?,
                to_numpy(py, &[ch, cw], u)?,
                to_numpy(py, &[ch, cw], v)?,
            ];
            Ok(PyTuple::new(py, planes)?.into_any())
        }
        Format::Gray => {
            let mut gray = vec![0u8; w * h];
            py.detach(|| conversion.luma_to_gray(&i420[..w * h], w, &mut gray));
            Ok(to_numpy(py, &[h, w], gray)?.into_any())
        }
        Format::Rgb | Format::Bgr => {
            let order = if format == Format::Bgr {
                Order::Bgr
            } else {
                Order::Rgb
            };
            let mut rgb = vec![0u8; w * h * 3];
            let (y, chroma) = i420.split_at(w * h);
            let (u, v) = chroma.split_at(cw * ch);
            py.detach(|| conversion.i420_to_rgb(y, u, v, order, w, &mut rgb));
            Ok(to_numpy(py, &[h, w, 3], rgb)?.into_any())
        }
    }
}

/// A checked input frame: its format and its arrays (one, or three planes).
pub struct InputFrame<'py> {
    pub format: Format,
    pub arrays: Vec<Input<'py, u8>>,
}

impl InputFrame<'_> {
    /// The arrays' samples, to hand to [`load_i420`] without the GIL.
    pub fn slices(&self) -> Vec<&[u8]> {
        self.arrays.iter().map(|a| a.as_slice()).collect()
    }
}

/// The shape a `w` x `h` frame has in `format`, for messages.
fn shape_of(format: Format, w: usize, h: usize) -> String {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match format {
        Format::Rgb | Format::Bgr => format!("({h}, {w}, 3)"),
        Format::Gray => format!("({h}, {w})"),
        Format::I420 => format!("({}, {w})", h * 3 / 2),
        Format::Yuv => format!("a (Y, U, V) tuple of ({h}, {w}), ({ch}, {cw}), ({ch}, {cw})"),
    }
}

/// `obj` as a `w` x `h` frame in `format`; with `None`, the format is told
/// by the shape: (H, W, 3) RGB, (H * 3 / 2, W) I420, (H, W) gray, or a
/// tuple of planes.
pub fn input_frame<'py>(
    obj: &Bound<'py, PyAny>,
    w: usize,
    h: usize,
    format: Option<Format>,
) -> PyResult<InputFrame<'py>> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let planes = obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>();
    if planes && matches!(format, None | Some(Format::Yuv)) {
        let items: Vec<Bound<'py, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        if items.len() != 3 {
            return Err(PyValueError::new_err(format!(
                "frame as planes must be (Y, U, V), got {} items",
                items.len()
            )));
        }
        let mut arrays = Vec::new();
        for (name, item, shape) in [
            ("Y", &items[0], [h, w]),
            ("U", &items[1], [ch, cw]),
            ("V", &items[2], [ch, cw]),
        ] {
            let a = u8_array(&format!("frame plane {name}"), item)?;
            if a.shape != shape {
                return Err(PyValueError::new_err(format!(
                    "frame plane {name} must have shape {shape:?} for a {w}x{h} encoder, got {:?}",
                    a.shape
                )));
            }
            arrays.push(a);
        }
        return Ok(InputFrame {
            format: Format::Yuv,
            arrays,
        });
    }
    if obj.cast::<PyUntypedArray>().is_err() {
        let wanted = match format {
            Some(Format::Yuv) => "a (Y, U, V) tuple of arrays",
            Some(_) => "a numpy.ndarray",
            None => "a numpy.ndarray or a (Y, U, V) tuple of arrays",
        };
        return Err(PyTypeError::new_err(format!(
            "frame must be {wanted}, got {}",
            type_name(obj)
        )));
    }
    let a = u8_array("frame", obj)?;
    let even = w % 2 == 0 && h % 2 == 0;
    let told = match a.shape[..] {
        [fh, fw, 3] if (fh, fw) == (h, w) => Some(Format::Rgb),
        [fh, fw] if even && (fh, fw) == (h * 3 / 2, w) => Some(Format::I420),
        [fh, fw] if (fh, fw) == (h, w) => Some(Format::Gray),
        _ => None,
    };
    let fits = match (format, told) {
        (None, Some(told)) => Some(told),
        (Some(Format::Bgr), Some(Format::Rgb)) => Some(Format::Bgr),
        (Some(f), Some(t)) if f == t => Some(f),
        _ => None,
    };
    if let Some(format) = fits {
        return Ok(InputFrame {
            format,
            arrays: vec![a],
        });
    }
    let expected = match format {
        Some(Format::I420) if !even => {
            return Err(PyValueError::new_err(format!(
                "format 'i420' needs an even frame size, this encoder's is {w}x{h}; use 'yuv'"
            )))
        }
        Some(f) => format!("shape {} for format {:?}", shape_of(f, w, h), f.name()),
        None => {
            let i420 = if even {
                format!(", {} I420", shape_of(Format::I420, w, h))
            } else {
                String::new()
            };
            format!(
                "shape {} RGB, {} gray{i420}, or be a (Y, U, V) tuple",
                shape_of(Format::Rgb, w, h),
                shape_of(Format::Gray, w, h)
            )
        }
    };
    Err(PyValueError::new_err(format!(
        "frame must have {expected} for a {w}x{h} encoder, got {:?}",
        a.shape
    )))
}

/// The I420 samples of a frame whose arrays are `slices` in `format`:
/// `slices[0]` itself for I420, else converted or gathered into `scratch`.
pub fn load_i420<'a>(
    format: Format,
    slices: &[&'a [u8]],
    w: usize,
    h: usize,
    conversion: &Conversion,
    scratch: &'a mut Vec<u8>,
) -> &'a [u8] {
    match format {
        Format::I420 => slices[0],
        Format::Rgb | Format::Bgr => {
            let order = if format == Format::Bgr {
                Order::Bgr
            } else {
                Order::Rgb
            };
            scratch.resize(i420_len(w, h), 0);
            conversion.rgb_to_i420(slices[0], order, w, h, scratch);
            scratch
        }
        Format::Gray => {
            scratch.resize(i420_len(w, h), 0);
            conversion.gray_to_i420(slices[0], w, h, scratch);
            scratch
        }
        Format::Yuv => {
            scratch.clear();
            slices.iter().for_each(|s| scratch.extend_from_slice(s));
            scratch
        }
    }
}
