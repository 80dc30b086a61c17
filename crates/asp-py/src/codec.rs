//! `Encoder`: the codec on NumPy frames, bit-exact with `asp-encode`; the
//! frame output shared with the `Decoder` (in [`crate::decoder`]), and
//! `DecodeError`.
//!
//! Frames are (H, W, 3) RGB, (H * 3 / 2, W) I420 (Y rows, then U, then V,
//! as OpenCV's `COLOR_YUV2RGB_I420` expects; even sizes only), or a tuple
//! of planes `(Y, U, V)` with chroma `ceil(H/2) x ceil(W/2)` (any size).

use std::sync::Arc;

use asp_core::codec::frame::{i420_len, Frame};
use asp_core::Limits;
use asp_encoder::analysis::RoiMethod;
use asp_encoder::{
    Bitrate, BitrateError, EncoderConfig, Preset, Qp, RateMode, Session, SessionError,
    SessionSettings,
};
use numpy::PyUntypedArray;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use rayon::ThreadPool;

use crate::arrays::array_of;
use crate::arrays::{to_numpy, type_name, u8_array, Input};
use crate::color::Conversion;
use crate::packets::{frame_rate, palette_arg, regions_arg};
use crate::pools::{run, Threads};

pyo3::create_exception!(
    libasp,
    DecodeError,
    PyValueError,
    "A packet parsed but produced no frame: a delta frame before any keyframe or after a lost one, or damaged tile data. Decode the next keyframe to recover."
);

/// How a frame's samples are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Rgb,
    I420,
    Planes,
}

/// A checked input frame: its arrays (one, or three planes).
struct InputFrame<'py> {
    layout: Layout,
    arrays: Vec<Input<'py, u8>>,
}

/// `obj` as a frame of `w` x `h`, in any of the three layouts.
fn input_frame<'py>(obj: &Bound<'py, PyAny>, w: usize, h: usize) -> PyResult<InputFrame<'py>> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    if obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>() {
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
            layout: Layout::Planes,
            arrays,
        });
    }
    if obj.cast::<PyUntypedArray>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "frame must be a numpy.ndarray or a (Y, U, V) tuple of arrays, got {}",
            type_name(obj)
        )));
    }
    let a = u8_array("frame", obj)?;
    let layout = match a.shape[..] {
        [fh, fw, 3] if (fh, fw) == (h, w) => Layout::Rgb,
        [fh, fw] if w % 2 == 0 && h % 2 == 0 && (fh, fw) == (h * 3 / 2, w) => Layout::I420,
        _ => {
            let i420 = if w % 2 == 0 && h % 2 == 0 {
                format!(", ({}, {w}) I420", h * 3 / 2)
            } else {
                String::new()
            };
            return Err(PyValueError::new_err(format!(
                "frame must have shape ({h}, {w}, 3) RGB{i420} or be a (Y, U, V) tuple for a {w}x{h} encoder, got {:?}",
                a.shape
            )));
        }
    };
    Ok(InputFrame {
        layout,
        arrays: vec![a],
    })
}

/// Parses a bitrate: bits per second as an int, or a string like "1500k" / "2M"
/// (asp-encode's `--bitrate` forms and range).
fn bitrate_arg(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    let parsed = if let Ok(s) = obj.cast::<PyString>() {
        s.extract::<String>()?.parse::<Bitrate>()
    } else if let Ok(v) = obj.extract::<f64>() {
        Bitrate::from_bits(v)
    } else {
        return Err(PyTypeError::new_err(format!(
            "bitrate must be an int or a string like '1500k', got {}",
            type_name(obj)
        )));
    };
    parsed.map(Bitrate::bits_per_second).map_err(|e| match e {
        BitrateError::Syntax(_) => PyValueError::new_err(format!(
            "bitrate must be bits per second or like '1500k' / '2M', got {obj}"
        )),
        BitrateError::OutOfRange(_) => PyValueError::new_err(format!(
            "bitrate must be in 1k..=10G bits per second, got {obj}"
        )),
    })
}

/// The video encoder: frames in, packets out.
///
/// ``Encoder(width, height, fps, bitrate=None, qp=None, *, keyint=None,
/// preset="realtime", tiles=None, side_data=False, intra_refresh=False,
/// roi=None, roi_qp=-3, roi_layer=False, roi_layer_delta=0, palette=None,
/// threads=None)``, the options of ``asp-encode``:
/// ``bitrate`` (bits per second, or "1500k" / "2M": constant bitrate with a
/// 1 s buffer) or ``qp`` (constant quantiser, 0..=51; the default is qp 26).
/// ``keyint``: frames between keyframes (default 2 seconds; 0: only the
/// first). ``tiles``: ``(columns, rows)``. ``side_data``: put the motion
/// vectors in D-packets for other readers. ``intra_refresh``: a band of
/// intra columns sweeps the picture every ``keyint`` frames instead of
/// keyframes. ``roi``: detectors run on every frame ("face", "text",
/// "motion"); their macroblocks get ``roi_qp`` (-12..=0) finer in D frames
/// and the regions ride in the packets. ``roi_layer``: also a C-packet per
/// frame refining the regions, ``roi_layer_delta`` QP finer (0: the same QP,
/// which still corrects what prediction and skips left behind). ``palette``: a
/// k-means palette of that many colours in every packet.
///
/// ``encode(frame)`` returns the packets of that frame as a list of bytes
/// (the I or D packet, then the C-packet with ``roi_layer``). With the same
/// settings and frames, the packets are byte for byte those ``asp-encode``
/// writes (capture times default to ``n * 1e6 / fps`` microseconds, as the
/// CLI's).
#[pyclass(module = "libasp")]
pub struct Encoder {
    /// The encoder with asp-encode's region analysis and C-packets.
    inner: Session,
    frame: Frame,
    i420: Vec<u8>,
    conversion: Conversion,
    frames: u64,
    frame_us: u64,
    pool: Option<Arc<ThreadPool>>,
}

/// The detector names of an `roi=` argument: a sequence or a comma-separated string.
fn roi_list(obj: &Bound<'_, PyAny>) -> PyResult<Vec<RoiMethod>> {
    let names: Vec<String> = if let Ok(s) = obj.cast::<PyString>() {
        s.extract::<String>()?
            .split(',')
            .map(str::to_owned)
            .collect()
    } else {
        obj.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "roi must be a sequence of names such as (\"face\", \"text\"), got {}",
                type_name(obj)
            ))
        })?
    };
    let list = names.join(",");
    let methods = RoiMethod::parse_list(&list).map_err(|_| {
        PyValueError::new_err(format!(
            "roi: unknown detector in {list:?} (face, text, edge or motion)"
        ))
    })?;
    if methods.is_empty() {
        return Err(PyValueError::new_err(
            "roi names no detector; use face, text, edge or motion",
        ));
    }
    Ok(methods)
}

fn encode_error(e: SessionError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

#[pymethods]
impl Encoder {
    #[new]
    #[pyo3(signature = (width, height, fps, bitrate=None, qp=None, *, keyint=None, preset="realtime", tiles=None, side_data=false, intra_refresh=false, roi=None, roi_qp=-3, roi_layer=false, roi_layer_delta=0, palette=None, threads=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        width: i64,
        height: i64,
        fps: &Bound<'_, PyAny>,
        bitrate: Option<&Bound<'_, PyAny>>,
        qp: Option<i64>,
        keyint: Option<i64>,
        preset: &str,
        tiles: Option<(i64, i64)>,
        side_data: bool,
        intra_refresh: bool,
        roi: Option<&Bound<'_, PyAny>>,
        roi_qp: i64,
        roi_layer: bool,
        roi_layer_delta: i64,
        palette: Option<i64>,
        threads: Option<i64>,
    ) -> PyResult<Encoder> {
        let limits = Limits::DEFAULT;
        crate::arrays::int_in("width", width, 1, i64::from(limits.max_width))?;
        crate::arrays::int_in("height", height, 1, i64::from(limits.max_height))?;
        let (fps_num, fps_den) = frame_rate(fps)?;
        let mut config = EncoderConfig::new(width as u32, height as u32, fps_num, fps_den);
        config.rate = match (bitrate.filter(|b| !b.is_none()), qp) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err("give bitrate or qp, not both"))
            }
            (Some(b), None) => RateMode::Bitrate {
                bits_per_second: bitrate_arg(b)?,
                buffer_seconds: 1.0,
            },
            (None, Some(q)) => RateMode::ConstantQp(
                Qp::try_from(q).map_err(|_| PyValueError::new_err(format!("qp must be in 0..={}, got {q}", Qp::MAX)))?,
            ),
            (None, None) => RateMode::ConstantQp(Qp::saturating(26)),
        };
        if let Some(k) = keyint {
            crate::arrays::int_in("keyint", k, 0, i64::from(u32::MAX))?;
            config.keyint = k as u32;
        }
        config.preset = preset.parse::<Preset>().map_err(|_| {
            PyValueError::new_err(format!(
                "preset must be 'ultrafast', 'realtime' or 'medium', got {preset:?}"
            ))
        })?;
        if let Some((c, r)) = tiles {
            crate::arrays::int_in("tiles columns", c, 1, 255)?;
            crate::arrays::int_in("tiles rows", r, 1, 255)?;
            config.tiles = Some((c as u8, r as u8));
        }
        config.side_data = side_data;
        config.intra_refresh = intra_refresh;
        crate::arrays::int_in("roi_qp", roi_qp, -12, 0)?;
        crate::arrays::int_in("roi_layer_delta", roi_layer_delta, 0, 24)?;
        let methods = roi.filter(|r| !r.is_none()).map(roi_list).transpose()?;
        if roi_layer && methods.is_none() {
            return Err(PyValueError::new_err(
                "roi_layer=True needs roi= (the regions to refine)",
            ));
        }
        if let Some(n) = palette {
            crate::arrays::int_in("palette", n, 1, 256)?;
        }
        let settings = SessionSettings {
            roi: methods.unwrap_or_default(),
            roi_qp: roi_qp as i8,
            roi_layer,
            roi_layer_delta: roi_layer_delta as u8,
            palette: palette.map(|n| n as u16),
        };
        let conversion = Conversion::new(config.color_matrix, config.color_range);
        let inner = Session::new(config, settings).map_err(encode_error)?;
        let frame = Frame::new(width as u32, height as u32, &limits)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Encoder {
            inner,
            frame,
            i420: Vec::new(),
            conversion,
            frames: 0,
            frame_us: 1_000_000 * u64::from(fps_den) / u64::from(fps_num),
            pool: Threads::from_arg(threads)?.pool()?,
        })
    }

    /// Encodes one frame; returns its packets (a list of bytes).
    ///
    /// ``frame``: (H, W, 3) RGB, (H * 3 / 2, W) I420, or a (Y, U, V) tuple of
    /// planes, uint8. ``capture_time_us`` defaults to ``n * 1e6 / fps``.
    /// The GIL is released while encoding.
    #[pyo3(signature = (frame, *, capture_time_us=None))]
    fn encode<'py>(
        &mut self,
        py: Python<'py>,
        frame: &Bound<'py, PyAny>,
        capture_time_us: Option<u64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let (w, h) = (self.frame.width(), self.frame.height());
        let input = input_frame(frame, w, h)?;
        let slices: Vec<&[u8]> = input.arrays.iter().map(|a| a.as_slice()).collect();
        let capture = capture_time_us.unwrap_or(self.frames.saturating_mul(self.frame_us));
        let Encoder {
            inner,
            frame,
            i420,
            conversion,
            pool,
            ..
        } = self;
        let packets = py.detach(|| {
            run(pool.as_deref(), || {
                let data: &[u8] = match input.layout {
                    Layout::I420 => slices[0],
                    Layout::Rgb => {
                        i420.resize(i420_len(w, h), 0);
                        conversion.rgb_to_i420(slices[0], w, h, i420);
                        i420
                    }
                    Layout::Planes => {
                        i420.clear();
                        slices.iter().for_each(|s| i420.extend_from_slice(s));
                        i420
                    }
                };
                frame
                    .load_i420(data)
                    .map_err(|e| PyValueError::new_err(e.to_string()))?;
                // The session runs asp-encode's sequence: analyse, steer
                // the QP and the side data, encode, refine in a C-packet.
                let encoded = inner.encode(frame, capture).map_err(encode_error)?;
                let mut packets = vec![encoded.packet.to_vec()];
                packets.extend(encoded.c_packet.map(<[u8]>::to_vec));
                Ok::<_, PyErr>(packets)
            })
        })?;
        self.frames += 1;
        PyList::new(py, packets.iter().map(|p| PyBytes::new(py, p)))
    }

    /// Packets still held back (none today: every frame is coded at once).
    fn flush<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyList> {
        PyList::empty(py)
    }

    /// Makes the next frame a keyframe.
    fn request_keyframe(&mut self) {
        self.inner.request_keyframe();
    }

    /// Changes the target bitrate (bits per second or "1500k"; constant
    /// bitrate mode only).
    fn set_bitrate(&mut self, bitrate: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.inner.rate_control().is_none() {
            return Err(PyValueError::new_err(
                "set_bitrate needs an encoder made with bitrate=, this one has a constant qp",
            ));
        }
        self.inner.set_bitrate(bitrate_arg(bitrate)?);
        Ok(())
    }

    /// What decoders show for the last encoded frame (same ``output``
    /// choices as :class:`Decoder`), or None before the first frame.
    #[pyo3(signature = (output="yuv"))]
    fn reconstruction<'py>(
        &self,
        py: Python<'py>,
        output: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let output = Output::parse(output)?;
        match self.inner.reconstruction() {
            Some(f) => Ok(Some(frame_to_python(py, f, output, &self.conversion)?)),
            None => Ok(None),
        }
    }

    /// Side data for the following packets (until changed): ``regions`` as
    /// :func:`detect_roi` returns them ((N, 6) float32), ``palette`` as
    /// :func:`extract_colors` returns it ((N, 3) uint8) with optional
    /// ``weights`` ((N,) float32). None clears each. Readers see them as
    /// ``Packet.regions`` and ``Packet.palette``.
    #[pyo3(signature = (regions=None, palette=None, weights=None))]
    fn set_side_data(
        &mut self,
        regions: Option<&Bound<'_, PyAny>>,
        palette: Option<&Bound<'_, PyAny>>,
        weights: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let regions = regions_arg(regions)?;
        let colors = palette_arg(palette)?;
        let weights = match weights.filter(|w| !w.is_none()) {
            None => Vec::new(),
            Some(w) => {
                let a = array_of::<f32>("weights", w, "float32")?;
                if a.shape != [colors.len()] {
                    return Err(PyValueError::new_err(format!(
                        "weights must have shape ({},) like the palette, got {:?}",
                        colors.len(),
                        a.shape
                    )));
                }
                a.as_slice().to_vec()
            }
        };
        let palette = (!colors.is_empty()).then(|| asp_encoder::analysis::Palette {
            colors: colors.iter().map(|c| [c.r(), c.g(), c.b()]).collect(),
            weights,
        });
        self.inner.set_side_data(&regions, palette.as_ref());
        Ok(())
    }

    /// Per-macroblock QP offsets for the following frames: an int8 array of
    /// ``ceil(H/16) * ceil(W/16)`` values in raster order (any shape of that
    /// size, e.g. (rows, columns)); negative is sharper. None clears them.
    #[pyo3(signature = (offsets=None))]
    fn set_qp_offsets(&mut self, offsets: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let Some(offsets) = offsets.filter(|o| !o.is_none()) else {
            self.inner.set_qp_offsets(&[]);
            return Ok(());
        };
        let a = array_of::<i8>("offsets", offsets, "int8")?;
        let (cols, rows) = (self.frame.mb_cols(), self.frame.mb_rows());
        if a.as_slice().len() != cols * rows {
            return Err(PyValueError::new_err(format!(
                "offsets must hold {rows}x{cols} = {} values (one per 16x16 macroblock), got shape {:?}",
                cols * rows,
                a.shape
            )));
        }
        self.inner.set_qp_offsets(a.as_slice());
        Ok(())
    }

    /// Frame width.
    #[getter]
    fn width(&self) -> usize {
        self.frame.width()
    }

    /// Frame height.
    #[getter]
    fn height(&self) -> usize {
        self.frame.height()
    }

    /// Frames encoded so far.
    #[getter]
    fn frames(&self) -> u64 {
        self.frames
    }
}

/// What `Decoder.decode` returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    Rgb,
    Yuv,
    I420,
}

impl Output {
    pub(crate) fn parse(s: &str) -> PyResult<Output> {
        match s {
            "rgb" => Ok(Output::Rgb),
            "yuv" => Ok(Output::Yuv),
            "i420" => Ok(Output::I420),
            _ => Err(PyValueError::new_err(format!(
                "output must be 'rgb', 'yuv' or 'i420', got {s:?}"
            ))),
        }
    }
}

/// A decoded (or reconstructed) frame as NumPy, cropped to its display size.
pub(crate) fn frame_to_python<'py>(
    py: Python<'py>,
    frame: &Frame,
    output: Output,
    conversion: &Conversion,
) -> PyResult<Bound<'py, PyAny>> {
    let (w, h) = (frame.width(), frame.height());
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut i420 = Vec::with_capacity(i420_len(w, h));
    frame.write_i420(&mut i420);
    match output {
        Output::I420 => {
            if w % 2 != 0 || h % 2 != 0 {
                return Err(PyValueError::new_err(format!(
                    "output='i420' needs an even frame size, this one is {w}x{h}; use output='yuv'"
                )));
            }
            Ok(to_numpy(py, &[h * 3 / 2, w], i420)?.into_any())
        }
        Output::Yuv => {
            let v = i420.split_off(w * h + cw * ch);
            let u = i420.split_off(w * h);
            let planes = [
                to_numpy(py, &[h, w], i420)?,
                to_numpy(py, &[ch, cw], u)?,
                to_numpy(py, &[ch, cw], v)?,
            ];
            Ok(PyTuple::new(py, planes)?.into_any())
        }
        Output::Rgb => {
            let mut rgb = vec![0u8; w * h * 3];
            let (y, chroma) = i420.split_at(w * h);
            let (u, v) = chroma.split_at(cw * ch);
            py.detach(|| conversion.i420_to_rgb(y, u, v, w, &mut rgb));
            Ok(to_numpy(py, &[h, w, 3], rgb)?.into_any())
        }
    }
}
