//! Checking NumPy inputs and making NumPy outputs.
//!
//! Every public function takes its arrays as plain Python objects and checks
//! them here, so a wrong type, dtype or shape is a `TypeError`/`ValueError`
//! that names the argument and what it got, never a panic.
//!
//! C-contiguous arrays are read in place (no copy). Any other layout (a
//! slice with a step, a transposed view, a Fortran-ordered array) is copied
//! once into C order; the result is the same.

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{
    dtype, IntoPyArray, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// Samples of an array, in C order: borrowed from NumPy when the array is
/// C-contiguous, copied once otherwise.
pub enum Samples<'py, T: numpy::Element> {
    Borrowed(PyReadonlyArrayDyn<'py, T>),
    Copied(Vec<T>),
}

impl<T: numpy::Element> Samples<'_, T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            // `Borrowed` is only made for C-contiguous arrays, whose slice always exists.
            Samples::Borrowed(a) => a.as_slice().unwrap_or(&[]),
            Samples::Copied(v) => v,
        }
    }
}

/// A checked input array: its samples and its shape.
pub struct Input<'py, T: numpy::Element> {
    pub samples: Samples<'py, T>,
    pub shape: Vec<usize>,
}

impl<T: numpy::Element> Input<'_, T> {
    pub fn as_slice(&self) -> &[T] {
        self.samples.as_slice()
    }
}

/// Type name of a Python object, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// `obj` as a NumPy array of `T` (`what` names the argument in errors).
pub fn array_of<'py, T: numpy::Element + Copy>(
    name: &str,
    obj: &Bound<'py, PyAny>,
    dtype_name: &str,
) -> PyResult<Input<'py, T>> {
    let py = obj.py();
    let Ok(untyped) = obj.cast::<PyUntypedArray>() else {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a numpy.ndarray of {dtype_name}, got {}",
            type_name(obj)
        )));
    };
    let found = untyped.dtype();
    if !found.is_equiv_to(&dtype::<T>(py)) {
        return Err(PyTypeError::new_err(format!(
            "{name} must have dtype {dtype_name}, got {found}"
        )));
    }
    let typed = untyped.cast::<PyArrayDyn<T>>().map_err(|_| {
        PyTypeError::new_err(format!("{name} must have dtype {dtype_name}, got {found}"))
    })?;
    let shape = typed.shape().to_vec();
    let readonly = typed
        .try_readonly()
        .map_err(|e| PyValueError::new_err(format!("{name} cannot be read: {e}")))?;
    let samples = if readonly.is_c_contiguous() {
        Samples::Borrowed(readonly)
    } else {
        Samples::Copied(readonly.as_array().iter().cloned().collect())
    };
    Ok(Input { samples, shape })
}

/// `obj` as a uint8 array.
pub fn u8_array<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Input<'py, u8>> {
    array_of::<u8>(name, obj, "uint8")
}

/// A picture: 2-D gray `(H, W)` or 3-D RGB `(H, W, 3)`.
pub struct Picture<'py> {
    pub input: Input<'py, u8>,
    pub width: usize,
    pub height: usize,
    pub rgb: bool,
}

/// `obj` as a gray `(H, W)` or RGB `(H, W, 3)` uint8 picture.
pub fn picture<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Picture<'py>> {
    let input = u8_array(name, obj)?;
    let (height, width, rgb) = match input.shape[..] {
        [h, w] => (h, w, false),
        [h, w, 3] => (h, w, true),
        [_, _, c] => {
            return Err(PyValueError::new_err(format!(
                "{name} must be (H, W) gray or (H, W, 3) RGB, got {c} channels (shape {:?})",
                input.shape
            )))
        }
        _ => {
            return Err(PyValueError::new_err(format!(
                "{name} must be a 2-D (H, W) gray or 3-D (H, W, 3) RGB array, got {} dimensions (shape {:?})",
                input.shape.len(),
                input.shape
            )))
        }
    };
    if width == 0 || height == 0 {
        return Err(PyValueError::new_err(format!(
            "{name} is empty (shape {:?})",
            input.shape
        )));
    }
    Ok(Picture {
        input,
        width,
        height,
        rgb,
    })
}

/// A new array of `shape` holding `data` (moved, not copied).
pub fn to_numpy<'py, T: numpy::Element>(
    py: Python<'py>,
    shape: &[usize],
    data: Vec<T>,
) -> PyResult<Bound<'py, PyArrayDyn<T>>> {
    let array = ArrayD::from_shape_vec(IxDyn(shape), data)
        .map_err(|e| PyValueError::new_err(format!("internal shape error: {e}")))?;
    Ok(array.into_pyarray(py))
}

/// Checks an integer argument against an inclusive range.
pub fn int_in(name: &str, value: i64, lo: i64, hi: i64) -> PyResult<()> {
    if value < lo || value > hi {
        return Err(PyValueError::new_err(format!(
            "{name} must be in {lo}..={hi}, got {value}"
        )));
    }
    Ok(())
}
