//! `extract_colors`, `extract_colors_with_weights` and `detect_roi`: the
//! seed's analysis calls, over `asp_encoder::analysis`.

use asp_encoder::analysis::{
    self, AnalysisError, Image, Palette, PaletteMethod, RoiMethod, MAX_COLORS,
};
use numpy::PyArrayDyn;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::arrays::{to_numpy, type_name, u8_array, Input};

fn analysis_error(e: AnalysisError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `(width, height)` of `pixels` read as RGB: (H, W, 3) an image, (N, 3) N pixels.
fn rgb_pixels(input: &Input<'_, u8>) -> PyResult<(usize, usize)> {
    let (w, h) = match input.shape[..] {
        [h, w, 3] => (w, h),
        [n, 3] => (1, n),
        _ => {
            return Err(PyValueError::new_err(format!(
                "pixels must be an (H, W, 3) RGB image or (N, 3) RGB pixels, got shape {:?}",
                input.shape
            )))
        }
    };
    if w == 0 || h == 0 {
        return Err(PyValueError::new_err(format!(
            "pixels is empty (shape {:?})",
            input.shape
        )));
    }
    Ok((w, h))
}

fn palette(
    py: Python<'_>,
    pixels: &Bound<'_, PyAny>,
    num_colors: i64,
    method: &str,
) -> PyResult<Palette> {
    let input = u8_array("pixels", pixels)?;
    let (w, h) = rgb_pixels(&input)?;
    if !(1..=MAX_COLORS as i64).contains(&num_colors) {
        return Err(PyValueError::new_err(format!(
            "num_colors must be in 1..={MAX_COLORS}, got {num_colors}"
        )));
    }
    let method: PaletteMethod = method.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "method must be 'kmeans' or 'median_cut', got {method:?}"
        ))
    })?;
    let data = input.as_slice();
    py.detach(|| {
        let image = Image::rgb(data, w, h)?;
        analysis::extract_palette(&image, num_colors as usize, method)
    })
    .map_err(analysis_error)
}

/// The dominant colours of an image (the seed's ``extract_colors``).
///
/// ``pixels``: uint8 (H, W, 3) RGB image or (N, 3) RGB pixels.
/// ``num_colors``: 1..=256. ``method``: "kmeans" (k-means++ seeding, fixed
/// seed, deterministic; large images are sampled) or "median_cut".
/// Returns (N, 3) uint8 colours, most frequent first (N may be less than
/// ``num_colors`` when the image has fewer distinct colours). Releases the GIL.
#[pyfunction]
#[pyo3(signature = (pixels, num_colors=5, method="kmeans"))]
pub fn extract_colors<'py>(
    py: Python<'py>,
    pixels: &Bound<'py, PyAny>,
    num_colors: i64,
    method: &str,
) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
    let p = palette(py, pixels, num_colors, method)?;
    to_numpy(py, &[p.colors.len(), 3], p.colors.concat())
}

/// Colours (N, 3) and their weights (N,).
type ColorsAndWeights<'py> = (Bound<'py, PyArrayDyn<u8>>, Bound<'py, PyArrayDyn<f32>>);

/// As :func:`extract_colors`, with each colour's share of the pixels:
/// ``(colors (N, 3) uint8, weights (N,) float32)``; the weights sum to 1.
#[pyfunction]
#[pyo3(signature = (pixels, num_colors=5, method="kmeans"))]
pub fn extract_colors_with_weights<'py>(
    py: Python<'py>,
    pixels: &Bound<'py, PyAny>,
    num_colors: i64,
    method: &str,
) -> PyResult<ColorsAndWeights<'py>> {
    let p = palette(py, pixels, num_colors, method)?;
    let n = p.colors.len();
    Ok((
        to_numpy(py, &[n, 3], p.colors.concat())?,
        to_numpy(py, &[n], p.weights)?,
    ))
}

/// The layout of a frame for the detectors.
#[derive(Clone, Copy)]
enum Layout {
    Gray,
    Rgb,
    I420,
}

/// `(width, height, layout)` of a frame: (H, W) gray, (H, W, 3) RGB, or a
/// flat 1-D buffer whose layout `width` and `height` tell (gray, RGB or
/// I420 by its length).
fn frame_layout(
    name: &str,
    input: &Input<'_, u8>,
    width: Option<i64>,
    height: Option<i64>,
) -> PyResult<(usize, usize, Layout)> {
    let given = |v: Option<i64>, what: &str| -> PyResult<Option<usize>> {
        match v {
            None => Ok(None),
            Some(v) if v > 0 && v <= 1 << 16 => Ok(Some(v as usize)),
            Some(v) => Err(PyValueError::new_err(format!(
                "{what} must be in 1..=65536, got {v}"
            ))),
        }
    };
    let (gw, gh) = (given(width, "width")?, given(height, "height")?);
    let (w, h, layout) = match input.shape[..] {
        [h, w] => (w, h, Layout::Gray),
        [h, w, 3] => (w, h, Layout::Rgb),
        [n] => {
            let (Some(w), Some(h)) = (gw, gh) else {
                return Err(PyValueError::new_err(format!(
                    "{name} is a flat buffer of {n} bytes: give width= and height="
                )));
            };
            let layout = if n == w * h {
                Layout::Gray
            } else if n == w * h * 3 {
                Layout::Rgb
            } else if n == asp_core::codec::frame::i420_len(w, h) {
                Layout::I420
            } else {
                return Err(PyValueError::new_err(format!(
                    "{name} has {n} bytes, which is not {w}x{h} gray ({}), RGB ({}) or I420 ({})",
                    w * h,
                    w * h * 3,
                    asp_core::codec::frame::i420_len(w, h)
                )));
            };
            (w, h, layout)
        }
        _ => {
            return Err(PyValueError::new_err(format!(
                "{name} must be (H, W) gray, (H, W, 3) RGB or a flat buffer with width= and height=, got shape {:?}",
                input.shape
            )))
        }
    };
    if gw.is_some_and(|g| g != w) || gh.is_some_and(|g| g != h) {
        return Err(PyValueError::new_err(format!(
            "width={} height={} do not match {name} of shape {:?}",
            width.map_or("None".into(), |v| v.to_string()),
            height.map_or("None".into(), |v| v.to_string()),
            input.shape
        )));
    }
    if w == 0 || h == 0 {
        return Err(PyValueError::new_err(format!(
            "{name} is empty (shape {:?})",
            input.shape
        )));
    }
    Ok((w, h, layout))
}

fn image<'a>(
    data: &'a [u8],
    w: usize,
    h: usize,
    layout: Layout,
) -> Result<Image<'a>, AnalysisError> {
    match layout {
        Layout::Gray => Image::gray(data, w, h),
        Layout::Rgb => Image::rgb(data, w, h),
        Layout::I420 => Image::i420(data, w, h),
    }
}

/// The detector names of `methods`: a sequence of names or one
/// comma-separated string.
fn roi_methods(methods: &Bound<'_, PyAny>) -> PyResult<Vec<RoiMethod>> {
    let names: Vec<String> = if let Ok(s) = methods.cast::<PyString>() {
        s.extract::<String>()?
            .split(',')
            .map(str::to_owned)
            .collect()
    } else {
        methods.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "methods must be a sequence of names such as (\"edge\", \"motion\", \"face\"), got {}",
                type_name(methods)
            ))
        })?
    };
    let mut out = Vec::new();
    for name in names.iter().filter(|n| !n.trim().is_empty()) {
        let m: RoiMethod = name.parse().map_err(|_| {
            PyValueError::new_err(format!(
                "methods: unknown detector {name:?} (edge, text, motion or face)"
            ))
        })?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

/// Regions of interest in a frame (the seed's ``detect_roi``).
///
/// ``frame``: uint8 (H, W) gray, (H, W, 3) RGB, or a flat buffer (gray, RGB
/// or I420) with ``width`` and ``height``. ``previous_frame`` (same layout
/// and size) enables the motion detector. ``methods``: any of "edge" (edges
/// and text lines), "text" (the same detector), "motion" and "face" (a
/// Viola-Jones detector over OpenCV's frontal-face cascade).
///
/// Returns (N, 6) float32 rows ``[x, y, w, h, type, confidence]``, in
/// pixels; ``type`` is the schema's RoiType (1 face, 2 text, 3 edge,
/// 4 motion), confidence in 0..=1. Releases the GIL.
#[pyfunction]
#[pyo3(signature = (frame, previous_frame=None, width=None, height=None, methods=None))]
pub fn detect_roi<'py>(
    py: Python<'py>,
    frame: &Bound<'py, PyAny>,
    previous_frame: Option<&Bound<'py, PyAny>>,
    width: Option<i64>,
    height: Option<i64>,
    methods: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
    let methods = match methods.filter(|m| !m.is_none()) {
        Some(m) => roi_methods(m)?,
        None => vec![RoiMethod::Text, RoiMethod::Motion, RoiMethod::Face],
    };
    let current = u8_array("frame", frame)?;
    let (w, h, layout) = frame_layout("frame", &current, width, height)?;
    let previous = match previous_frame.filter(|p| !p.is_none()) {
        Some(p) => {
            let input = u8_array("previous_frame", p)?;
            if input.shape != current.shape {
                return Err(PyValueError::new_err(format!(
                    "previous_frame has shape {:?} but frame has shape {:?}: they must match",
                    input.shape, current.shape
                )));
            }
            Some(input)
        }
        None => None,
    };
    let (cur, prev) = (current.as_slice(), previous.as_ref().map(|p| p.as_slice()));
    let regions = py
        .detach(|| {
            let frame = image(cur, w, h, layout)?;
            let previous = prev.map(|p| image(p, w, h, layout)).transpose()?;
            analysis::detect_roi(&frame, previous.as_ref(), &methods, None)
        })
        .map_err(analysis_error)?;
    let rows: Vec<f32> = regions
        .iter()
        .flat_map(|r| r.row().map(|v| v as f32))
        .collect();
    to_numpy(py, &[regions.len(), 6], rows)
}
