//! `DctTransform`: the codec's own integer transform and quantiser on NumPy
//! blocks, so `inverse(forward(x))` is exactly what the decoder rebuilds
//! from those levels.
//!
//! A block is coded as the codec codes an intra block with no neighbours:
//! prediction mid-grey (128), residual `x - 128`, H.264's 8x8 (or 4x4)
//! integer transform, quantisation at the QP with the encoder's intra dead
//! zone (a third of a step). `inverse` dequantises and adds the inverse
//! transform to the 128 prediction with the decoder's own functions
//! (`add_residual_8x8` for 8x8 blocks, as every decoder calls it).

use asp_core::codec::quant::{scan_8x8, Qp, Quantiser, RoundingOffset, QP_MAX};
use asp_core::codec::recon::add_residual_8x8;
use asp_core::codec::transform::{forward_4x4, forward_8x8, inverse_add_4x4};
use numpy::PyArrayDyn;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rayon::prelude::*;

use crate::arrays::{array_of, to_numpy, u8_array};

/// What a block is predicted from before its residual is transformed.
const PREDICTION: u8 = 128;

/// The QP a JPEG-style quality stands for: 100 -> 0 (finest), 0 -> 51.
fn quality_to_qp(quality: i64) -> u8 {
    ((100 - quality) * i64::from(QP_MAX) + 50).div_euclid(100) as u8
}

/// The codec's integer DCT and quantiser on blocks of pixels.
///
/// ``DctTransform(block_size=8, quality=75)``: ``block_size`` 8 (the codec's
/// transform) or 4 (H.264's 4x4 core transform); ``quality`` 0..=100 maps to
/// the codec's QP as ``qp = round((100 - quality) * 51 / 100)`` (75 -> 13);
/// ``qp=`` sets the QP directly.
///
/// ``forward(block)`` takes uint8 pixels, (H, W) with H and W multiples of
/// ``block_size`` (one block or a whole plane), and returns int32 quantised
/// levels of the same shape, each block's levels in raster order (DC at the
/// block's top left). ``inverse(coefficients)`` takes such levels and returns
/// the uint8 pixels the decoder reconstructs from them. Blocks are predicted
/// from mid-grey (128), as an intra block without neighbours.
#[pyclass(module = "libasp", frozen)]
pub struct DctTransform {
    block_size: usize,
    quality: Option<i64>,
    qp: Qp,
}

#[pymethods]
impl DctTransform {
    #[new]
    #[pyo3(signature = (block_size=8, quality=75, *, qp=None))]
    fn new(block_size: i64, quality: i64, qp: Option<i64>) -> PyResult<Self> {
        if block_size != 8 && block_size != 4 {
            return Err(PyValueError::new_err(format!(
                "block_size must be 8 or 4, got {block_size}"
            )));
        }
        if !(0..=100).contains(&quality) {
            return Err(PyValueError::new_err(format!(
                "quality must be in 0..=100, got {quality}"
            )));
        }
        let (qp, quality) = match qp {
            Some(q) if (0..=i64::from(QP_MAX)).contains(&q) => (q as u8, None),
            Some(q) => {
                return Err(PyValueError::new_err(format!(
                    "qp must be in 0..={QP_MAX}, got {q}"
                )))
            }
            None => (quality_to_qp(quality), Some(quality)),
        };
        let qp = Qp::new(qp).ok_or_else(|| {
            PyValueError::new_err(format!("qp must be in 0..={QP_MAX}, got {qp}"))
        })?;
        Ok(DctTransform {
            block_size: block_size as usize,
            quality,
            qp,
        })
    }

    /// Block size: 8 or 4.
    #[getter]
    fn block_size(&self) -> usize {
        self.block_size
    }

    /// The quality given, or None when ``qp=`` was.
    #[getter]
    fn quality(&self) -> Option<i64> {
        self.quality
    }

    /// The codec QP in use (0..=51).
    #[getter]
    fn qp(&self) -> u8 {
        self.qp.get()
    }

    /// Quantised levels (int32, same shape) of uint8 pixel blocks.
    fn forward<'py>(
        &self,
        py: Python<'py>,
        block: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<i32>>> {
        let input = u8_array("block", block)?;
        let (h, w) = self.check_shape("block", &input.shape)?;
        let pixels = input.as_slice();
        let (n, qp) = (self.block_size, self.qp);
        let mut out = vec![0i32; w * h];
        py.detach(|| {
            out.par_chunks_mut(w * n)
                .enumerate()
                .for_each(|(by, rows)| {
                    for bx in 0..w / n {
                        let at = |r: usize, c: usize| by * n * w + r * w + bx * n + c;
                        let levels = if n == 8 {
                            let residual: [i16; 64] = core::array::from_fn(|i| {
                                i16::from(pixels[at(i / 8, i % 8)]) - i16::from(PREDICTION)
                            });
                            Quantiser::FLAT
                                .quantise_8x8(&forward_8x8(&residual), qp, RoundingOffset::INTRA)
                                .to_vec()
                        } else {
                            let residual: [i16; 16] = core::array::from_fn(|i| {
                                i16::from(pixels[at(i / 4, i % 4)]) - i16::from(PREDICTION)
                            });
                            Quantiser::FLAT
                                .quantise_4x4(&forward_4x4(&residual), qp, RoundingOffset::INTRA)
                                .to_vec()
                        };
                        for (i, level) in levels.into_iter().enumerate() {
                            rows[(i / n) * w + bx * n + i % n] = level;
                        }
                    }
                })
        });
        to_numpy(py, &[h, w], out)
    }

    /// The uint8 pixels the decoder reconstructs from int32 levels.
    fn inverse<'py>(
        &self,
        py: Python<'py>,
        coefficients: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<u8>>> {
        let input = array_of::<i32>("coefficients", coefficients, "int32")?;
        let (h, w) = self.check_shape("coefficients", &input.shape)?;
        let levels = input.as_slice();
        let (n, qp) = (self.block_size, self.qp);
        let mut out = vec![PREDICTION; w * h];
        py.detach(|| {
            out.par_chunks_mut(w * n)
                .enumerate()
                .for_each(|(by, rows)| {
                    for bx in 0..w / n {
                        let at = |i: usize| by * n * w + (i / n) * w + bx * n + i % n;
                        let dst = &mut rows[bx * n..];
                        // Both calls only fail for a block that does not fit
                        // `dst`, and every block fits: rows holds n full rows.
                        if n == 8 {
                            let raster: [i32; 64] = core::array::from_fn(|i| levels[at(i)]);
                            add_residual_8x8(&scan_8x8(&raster), qp, dst, w);
                        } else {
                            let raster: [i32; 16] = core::array::from_fn(|i| levels[at(i)]);
                            let _ = inverse_add_4x4(
                                &Quantiser::FLAT.dequantise_4x4(&raster, qp),
                                dst,
                                w,
                            );
                        }
                    }
                })
        });
        to_numpy(py, &[h, w], out)
    }

    fn __repr__(&self) -> String {
        match self.quality {
            Some(q) => format!(
                "DctTransform(block_size={}, quality={q})  # qp {}",
                self.block_size,
                self.qp.get()
            ),
            None => format!(
                "DctTransform(block_size={}, qp={})",
                self.block_size,
                self.qp.get()
            ),
        }
    }
}

impl DctTransform {
    /// `(H, W)`, both non-zero multiples of the block size.
    fn check_shape(&self, name: &str, shape: &[usize]) -> PyResult<(usize, usize)> {
        let n = self.block_size;
        match *shape {
            [h, w] if h > 0 && w > 0 && h % n == 0 && w % n == 0 => Ok((h, w)),
            _ => Err(PyValueError::new_err(format!(
                "{name} must be 2-D with both sides non-zero multiples of {n}, got shape {shape:?}"
            ))),
        }
    }
}
