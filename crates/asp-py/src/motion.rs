//! `estimate_motion_numpy` and `MotionEstimator`: the seed's block motion
//! search on NumPy frames, over `asp_encoder::motion`.

use std::borrow::Cow;

use asp_core::schema::{ColorMatrix, ColorRange};
use asp_encoder::motion::{
    MotionEstimator as RustEstimator, PlaneRef, SearchAlgorithm, BLOCK_SIZES, MAX_SEARCH_RANGE,
};
use asp_encoder::MotionVector;
use numpy::PyArrayDyn;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{picture, to_numpy, Picture};
use crate::color::Conversion;
use crate::pools::{run, Threads};

/// Columns of the result: `[block_x, block_y, dx, dy, sad]`.
pub const COLUMNS: usize = 5;

/// A checked estimator.
fn estimator(
    block_size: i64,
    search_range: i64,
    algorithm: &str,
    early_exit_sad: i64,
) -> PyResult<RustEstimator> {
    if !BLOCK_SIZES.iter().any(|&b| b as i64 == block_size) {
        return Err(PyValueError::new_err(format!(
            "block_size must be 4, 8, 16 or 32, got {block_size}"
        )));
    }
    if !(0..=MAX_SEARCH_RANGE as i64).contains(&search_range) {
        return Err(PyValueError::new_err(format!(
            "search_range must be in 0..={MAX_SEARCH_RANGE}, got {search_range}"
        )));
    }
    let parsed: SearchAlgorithm = algorithm.parse().map_err(|_| {
        PyValueError::new_err(format!(
            "algorithm must be 'diamond', 'hexagon', 'three_step' or 'full', got {algorithm:?}"
        ))
    })?;
    if !(0..=i64::from(u32::MAX)).contains(&early_exit_sad) {
        return Err(PyValueError::new_err(format!(
            "early_exit_sad must be in 0..={}, got {early_exit_sad}",
            u32::MAX
        )));
    }
    RustEstimator::new(
        block_size as usize,
        search_range as usize,
        parsed,
        early_exit_sad as u32,
    )
    .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The samples of a checked picture, free of the GIL (a plain slice).
#[derive(Clone, Copy)]
struct Samples<'a> {
    data: &'a [u8],
    rgb: bool,
}

impl<'a> Samples<'a> {
    fn of(p: &'a Picture<'_>) -> Samples<'a> {
        Samples {
            data: p.input.as_slice(),
            rgb: p.rgb,
        }
    }

    /// The luma plane: the samples themselves when gray, luma (BT.709
    /// weights, full range) when RGB.
    fn luma(self, width: usize) -> Cow<'a, [u8]> {
        if !self.rgb {
            return Cow::Borrowed(self.data);
        }
        let mut y = vec![0u8; self.data.len() / 3];
        Conversion::new(ColorMatrix::Bt709, ColorRange::Full).rgb_to_luma(self.data, width, &mut y);
        Cow::Owned(y)
    }
}

/// Runs `est` on two NumPy frames with the GIL released; returns (N, 5) int32.
fn estimate<'py>(
    py: Python<'py>,
    est: &RustEstimator,
    threads: Threads,
    current: &Bound<'py, PyAny>,
    previous: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArrayDyn<i32>>> {
    let cur = picture("current", current)?;
    let prev = picture("previous", previous)?;
    if (cur.height, cur.width, cur.rgb) != (prev.height, prev.width, prev.rgb) {
        return Err(PyValueError::new_err(format!(
            "current has shape {:?} but previous has shape {:?}: the frames must have the same shape",
            cur.input.shape, prev.input.shape
        )));
    }
    let pool = threads.pool()?;
    let (w, h) = (cur.width, cur.height);
    let (c, p) = (Samples::of(&cur), Samples::of(&prev));
    let result = py.detach(|| {
        run(pool.as_deref(), || {
            let (c, p) = (c.luma(w), p.luma(w));
            let planes =
                PlaneRef::packed(&c, w, h).and_then(|c| Ok((c, PlaneRef::packed(&p, w, h)?)));
            planes.map(|(c, p)| est.estimate(c, p))
        })
    });
    let field = result
        .map_err(|e| PyValueError::new_err(format!("frames of {w}x{h}: {e}")))?
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    vectors_to_numpy(py, &field.vectors)
}

/// `(N, 5)` int32 rows `[block_x, block_y, dx, dy, sad]`.
pub fn vectors_to_numpy<'py>(
    py: Python<'py>,
    vectors: &[MotionVector],
) -> PyResult<Bound<'py, PyArrayDyn<i32>>> {
    // Filled in place (no per-row growth checks): this conversion is most
    // of the cost a Python call adds to the search.
    let mut rows = vec![0i32; vectors.len() * COLUMNS];
    for (row, v) in rows.chunks_exact_mut(COLUMNS).zip(vectors) {
        // A SAD of a 32x32 block is at most 261 120: it fits an i32.
        let sad = v.sad().min(i32::MAX as u32) as i32;
        row.copy_from_slice(&[
            i32::from(v.block_x()),
            i32::from(v.block_y()),
            i32::from(v.dx()),
            i32::from(v.dy()),
            sad,
        ]);
    }
    to_numpy(py, &[vectors.len(), COLUMNS], rows)
}

/// Block motion estimation between two frames (the seed's entry point).
///
/// Splits ``current`` into ``block_size`` x ``block_size`` blocks (narrower
/// at the right and bottom edges when the size is not a multiple) and finds,
/// for each, the displacement into ``previous`` with the least sum of
/// absolute differences (SAD) of luma.
///
/// Args:
///     current, previous: uint8 frames of the same shape, (H, W) gray or
///         (H, W, 3) RGB (motion is searched on luma). C-contiguous arrays
///         are read in place; other layouts are copied once.
///     block_size: 4, 8, 16 or 32.
///     search_range: 0..=64 whole pixels each way.
///     algorithm: "diamond", "hexagon", "three_step" or "full" (exact).
///     early_exit_sad: fast searches stop below this SAD (0: never).
///     threads: None for every core, or the number of worker threads.
///
/// Returns:
///     (N, 5) int32 array, one row per block in raster order:
///     ``[block_x, block_y, dx, dy, sad]``; ``block_x``/``block_y`` are block
///     indices, and the block's best match in ``previous`` is at its own
///     position plus ``(dx, dy)`` pixels.
///
/// The GIL is released while searching. Do not write to the input arrays
/// from another thread during the call.
#[pyfunction]
#[pyo3(signature = (current, previous, block_size=16, search_range=16, algorithm="diamond", *, early_exit_sad=0, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn estimate_motion_numpy<'py>(
    py: Python<'py>,
    current: &Bound<'py, PyAny>,
    previous: &Bound<'py, PyAny>,
    block_size: i64,
    search_range: i64,
    algorithm: &str,
    early_exit_sad: i64,
    threads: Option<i64>,
) -> PyResult<Bound<'py, PyArrayDyn<i32>>> {
    let est = estimator(block_size, search_range, algorithm, early_exit_sad)?;
    estimate(py, &est, Threads::from_arg(threads)?, current, previous)
}

/// A reusable motion estimator with fixed settings.
///
/// ``MotionEstimator(block_size=16, search_range=16, algorithm="diamond")``;
/// ``estimate_numpy(current, previous)`` returns what
/// :func:`estimate_motion_numpy` returns for the same settings.
#[pyclass(module = "libasp", frozen)]
pub struct MotionEstimator {
    inner: RustEstimator,
    threads: Threads,
}

#[pymethods]
impl MotionEstimator {
    #[new]
    #[pyo3(signature = (block_size=16, search_range=16, algorithm="diamond", *, early_exit_sad=0, threads=None))]
    fn new(
        block_size: i64,
        search_range: i64,
        algorithm: &str,
        early_exit_sad: i64,
        threads: Option<i64>,
    ) -> PyResult<Self> {
        Ok(MotionEstimator {
            inner: estimator(block_size, search_range, algorithm, early_exit_sad)?,
            threads: Threads::from_arg(threads)?,
        })
    }

    /// Motion of every block of ``current`` from ``previous``: (N, 5) int32
    /// ``[block_x, block_y, dx, dy, sad]``. See :func:`estimate_motion_numpy`.
    fn estimate_numpy<'py>(
        &self,
        py: Python<'py>,
        current: &Bound<'py, PyAny>,
        previous: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<i32>>> {
        estimate(py, &self.inner, self.threads, current, previous)
    }

    /// ``(blocks_x, blocks_y)`` for a frame of ``width`` x ``height``.
    fn grid(&self, width: usize, height: usize) -> (usize, usize) {
        self.inner.grid(width, height)
    }

    /// Block size in pixels.
    #[getter]
    fn block_size(&self) -> usize {
        self.inner.block_size()
    }

    /// Search range in whole pixels.
    #[getter]
    fn search_range(&self) -> usize {
        self.inner.search_range()
    }

    /// The search: "diamond", "hexagon", "three_step" or "full".
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().name()
    }

    /// Fast searches stop below this SAD (0: never).
    #[getter]
    fn early_exit_sad(&self) -> u32 {
        self.inner.early_exit_sad()
    }

    /// Worker threads (None: every core).
    #[getter]
    fn threads(&self) -> Option<usize> {
        self.threads.get()
    }

    fn __repr__(&self) -> String {
        format!(
            "MotionEstimator(block_size={}, search_range={}, algorithm={:?}, early_exit_sad={}, threads={})",
            self.inner.block_size(),
            self.inner.search_range(),
            self.inner.algorithm().name(),
            self.inner.early_exit_sad(),
            self.threads.get().map_or("None".to_string(), |n| n.to_string())
        )
    }
}
