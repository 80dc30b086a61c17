//! Packets: the seed's `create_i_packet`, `create_d_packet_numpy` and
//! `parse_packet`, the richer `Packet` object, and `split_packets` for
//! streams (`.asp` files are packets back to back).

use std::borrow::Cow;

use asp_core::packet::{
    DFrame, IFrame, Packet as RustPacket, PacketError as RustPacketError, PacketWriter, Palette,
    Payload, StreamInfo,
};
use asp_core::schema::{Color, ColorMatrix, ColorRange, MotionVector, Rect, RoiRegion, RoiType};
use asp_core::codec::quant::QP_MAX;
use asp_core::Limits;
use numpy::{PyArrayDyn, PyUntypedArray};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyList};

use crate::arrays::{array_of, int_in, to_numpy, type_name, u8_array};
use crate::motion::vectors_to_numpy;

pyo3::create_exception!(
    libasp,
    PacketError,
    PyValueError,
    "A packet was refused: bad magic, version, type, length, CRC, payload, or limits. `kind` names the check, `offset` the byte at fault (or None)."
);

/// A `PacketError` carrying the Rust error's kind and offset.
pub fn packet_error(py: Python<'_>, e: &RustPacketError, at: usize) -> PyErr {
    let offset = e.offset().map(|o| o + at);
    let message = if at > 0 {
        format!("packet at byte {at}: {e}")
    } else {
        e.to_string()
    };
    let err = PacketError::new_err(message);
    let value = err.value(py);
    let _ = value.setattr("kind", e.kind());
    let _ = value.setattr("offset", offset);
    err
}

/// The structured dtype of the schema's `MotionVector` (12 bytes, little-endian).
pub fn motion_vector_dtype<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
    let fields = vec![
        ("block_x", "<u2"),
        ("block_y", "<u2"),
        ("dx", "<i2"),
        ("dy", "<i2"),
        ("sad", "<u4"),
    ];
    py.import("numpy")?.getattr("dtype")?.call1((fields,))
}

/// Bytes of a packet or stream: `bytes` (read in place), `bytearray`, or a
/// 1-D uint8 array.
pub fn packet_bytes<'a>(name: &str, obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(Cow::Owned(b.to_vec()));
    }
    if obj.cast::<PyUntypedArray>().is_ok() {
        let a = u8_array(name, obj)?;
        if a.shape.len() != 1 {
            return Err(PyValueError::new_err(format!(
                "{name} must be a 1-D uint8 array, got shape {:?}",
                a.shape
            )));
        }
        return Ok(Cow::Owned(a.as_slice().to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be bytes, bytearray or a 1-D uint8 array, got {}",
        type_name(obj)
    )))
}

fn u32_arg(name: &str, v: i64) -> PyResult<u32> {
    int_in(name, v, 0, i64::from(u32::MAX))?;
    Ok(v as u32)
}

/// A frame rate: an int, a (num, den) tuple, or a float (NTSC rates such as
/// 29.97 as 30000/1001, others as the nearest fraction over 1..=1000).
pub fn frame_rate(obj: &Bound<'_, PyAny>) -> PyResult<(u32, u32)> {
    let bad = || PyValueError::new_err(format!("fps must be positive, got {obj}"));
    if let Ok((num, den)) = obj.extract::<(i64, i64)>() {
        if num <= 0 || den <= 0 || num > i64::from(u32::MAX) || den > i64::from(u32::MAX) {
            return Err(PyValueError::new_err(format!(
                "fps must be (num, den) with both in 1..={}, got {obj}",
                u32::MAX
            )));
        }
        return Ok((num as u32, den as u32));
    }
    if obj.is_instance_of::<pyo3::types::PyInt>() {
        let n: i64 = obj.extract()?;
        if n <= 0 || n > 1000 {
            return Err(PyValueError::new_err(format!(
                "fps must be in 1..=1000, got {n}"
            )));
        }
        return Ok((n as u32, 1));
    }
    if let Ok(f) = obj.extract::<f64>() {
        if !(f.is_finite() && f > 0.0 && f <= 1000.0) {
            return Err(bad());
        }
        // NTSC rates: 29.97 is 30000/1001, 23.976 is 24000/1001.
        let ntsc = f * 1.001;
        if f.fract() != 0.0 && (ntsc - ntsc.round()).abs() < 1e-3 {
            return Ok((ntsc.round() as u32 * 1000, 1001));
        }
        let (mut best, mut best_err) = ((f.round().max(1.0) as u32, 1u32), f64::INFINITY);
        for den in [1u32, 2, 4, 5, 8, 10, 25, 50, 100, 1000] {
            let num = (f * f64::from(den)).round();
            let err = (num / f64::from(den) - f).abs();
            if num >= 1.0 && err < best_err - 1e-12 {
                (best, best_err) = ((num as u32, den), err);
            }
        }
        return Ok(best);
    }
    Err(PyTypeError::new_err(format!(
        "fps must be an int, a float or a (num, den) tuple, got {}",
        type_name(obj)
    )))
}

/// `(N, 6)` float32 rows `[x, y, w, h, type, confidence]` (what `detect_roi`
/// returns) as schema regions; priority 1.
pub fn regions_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<RoiRegion>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let a = array_of::<f32>("regions", obj, "float32")?;
    let n = match a.shape[..] {
        [n, 6] => n,
        _ => {
            return Err(PyValueError::new_err(format!(
                "regions must have shape (N, 6), got {:?}",
                a.shape
            )))
        }
    };
    let rows = a.as_slice();
    (0..n)
        .map(|i| {
            let r = &rows[i * 6..][..6];
            let coord = |c: usize, label: &str| -> PyResult<u32> {
                let v = r[c];
                if !(v.is_finite() && v >= 0.0 && v <= u32::MAX as f32) {
                    return Err(PyValueError::new_err(format!(
                        "regions[{i}] {label} must be a non-negative number, got {v}"
                    )));
                }
                Ok(v.round() as u32)
            };
            let bounds = Rect::new(
                coord(0, "x")?,
                coord(1, "y")?,
                coord(2, "w")?,
                coord(3, "h")?,
            );
            let t = r[4];
            if !(0.0..=5.0).contains(&t) || t.fract() != 0.0 {
                return Err(PyValueError::new_err(format!(
                    "regions[{i}] type must be 0..=5, got {t}"
                )));
            }
            if !(0.0..=1.0).contains(&r[5]) {
                return Err(PyValueError::new_err(format!(
                    "regions[{i}] confidence must be in 0..=1, got {}",
                    r[5]
                )));
            }
            Ok(RoiRegion::new(&bounds, r[5], RoiType(t as u8), 1))
        })
        .collect()
}

/// A keyframe announcing a stream (no coded picture): the seed's
/// ``create_i_packet(sequence, width, height, fps)``.
///
/// ``fps`` is an int, a float or a ``(num, den)`` tuple. Optional ``regions``
/// ((N, 6) float32, as :func:`detect_roi` returns) and ``palette`` ((N, 3)
/// uint8 colours, as :func:`extract_colors` returns) travel as side data.
/// Returns the packet as bytes.
#[pyfunction]
#[pyo3(signature = (sequence, width, height, fps, *, flags=0, capture_time_us=0, regions=None, palette=None))]
#[allow(clippy::too_many_arguments)]
pub fn create_i_packet<'py>(
    py: Python<'py>,
    sequence: i64,
    width: i64,
    height: i64,
    fps: &Bound<'py, PyAny>,
    flags: i64,
    capture_time_us: u64,
    regions: Option<&Bound<'py, PyAny>>,
    palette: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let sequence = u32_arg("sequence", sequence)?;
    let limits = Limits::DEFAULT;
    int_in("width", width, 1, i64::from(limits.max_width))?;
    int_in("height", height, 1, i64::from(limits.max_height))?;
    int_in("flags", flags, 0, i64::from(u16::MAX))?;
    let (fps_num, fps_den) = frame_rate(fps)?;
    let regions = regions_arg(regions)?;
    let colors = palette_arg(palette)?;
    let stream = StreamInfo {
        width: width as u32,
        height: height as u32,
        fps_num,
        fps_den,
        color_range: ColorRange::Limited,
        color_matrix: ColorMatrix::Bt709,
    };
    let frame = IFrame {
        capture_time_us,
        regions: &regions,
        palette: (!colors.is_empty()).then_some(Palette {
            colors: &colors,
            weights: &[],
        }),
        ..IFrame::new(stream)
    };
    let mut writer = PacketWriter::new();
    let bytes = writer
        .write_i(sequence, flags as u16, &frame)
        .map_err(|e| PacketError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, bytes))
}

pub fn palette_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Color>> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Vec::new());
    };
    let a = u8_array("palette", obj)?;
    match a.shape[..] {
        [_, 3] => Ok(a
            .as_slice()
            .chunks_exact(3)
            .map(|c| Color::new(c[0], c[1], c[2]))
            .collect()),
        _ => Err(PyValueError::new_err(format!(
            "palette must have shape (N, 3), got {:?}",
            a.shape
        ))),
    }
}

/// A delta packet carrying block motion vectors as side data: the seed's
/// ``create_d_packet_numpy(sequence, ref_sequence, motion_vectors)``.
///
/// ``motion_vectors``: (N, 5) integer array ``[block_x, block_y, dx, dy,
/// sad]`` as :func:`estimate_motion_numpy` returns (any integer dtype; each
/// value must fit the schema: block indices 0..=65535, dx/dy -32768..=32767,
/// sad 0..=4294967295). ``block_size`` and ``precision`` (1, 2 or 4: whole,
/// half or quarter pixels) describe them. Returns the packet as bytes.
#[pyfunction]
#[pyo3(signature = (sequence, ref_sequence, motion_vectors, *, block_size=16, precision=1, flags=0, capture_time_us=0, qp=0, regions=None))]
#[allow(clippy::too_many_arguments)]
pub fn create_d_packet_numpy<'py>(
    py: Python<'py>,
    sequence: i64,
    ref_sequence: i64,
    motion_vectors: &Bound<'py, PyAny>,
    block_size: i64,
    precision: i64,
    flags: i64,
    capture_time_us: u64,
    qp: i64,
    regions: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let sequence = u32_arg("sequence", sequence)?;
    let ref_sequence = u32_arg("ref_sequence", ref_sequence)?;
    int_in("block_size", block_size, 1, 255)?;
    if ![1, 2, 4].contains(&precision) {
        return Err(PyValueError::new_err(format!(
            "precision must be 1, 2 or 4, got {precision}"
        )));
    }
    int_in("flags", flags, 0, i64::from(u16::MAX))?;
    int_in("qp", qp, 0, i64::from(QP_MAX))?;
    let vectors = motion_vectors_arg(py, motion_vectors)?;
    let regions = regions_arg(regions)?;
    let frame = DFrame {
        ref_sequence,
        capture_time_us,
        qp: qp as u8,
        motion_vectors: &vectors,
        motion_block_size: block_size as u8,
        motion_vector_precision: precision as u8,
        regions: &regions,
        ..DFrame::default()
    };
    let mut writer = PacketWriter::new();
    let bytes = writer
        .write_d(sequence, flags as u16, &frame)
        .map_err(|e| PacketError::new_err(e.to_string()))?;
    Ok(PyBytes::new(py, bytes))
}

/// (N, 5) integer rows as schema vectors, every value range-checked.
fn motion_vectors_arg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<MotionVector>> {
    let Ok(untyped) = obj.cast::<PyUntypedArray>() else {
        return Err(PyTypeError::new_err(format!(
            "motion_vectors must be a numpy.ndarray of shape (N, 5), got {}",
            type_name(obj)
        )));
    };
    let kind = untyped
        .getattr("dtype")?
        .getattr("kind")?
        .extract::<String>()?;
    if kind != "i" && kind != "u" {
        return Err(PyTypeError::new_err(format!(
            "motion_vectors must have an integer dtype, got {}",
            untyped.getattr("dtype")?
        )));
    }
    // Any integer dtype: converted to int64 (a copy only when it is not int64 already).
    let as_i64 = py
        .import("numpy")?
        .getattr("asarray")?
        .call1((obj, "int64"))?;
    let a = array_of::<i64>("motion_vectors", &as_i64, "int64")?;
    let n = match a.shape[..] {
        [n, 5] => n,
        _ => {
            return Err(PyValueError::new_err(format!(
                "motion_vectors must have shape (N, 5), got {:?}",
                a.shape
            )))
        }
    };
    const COLUMNS: [(&str, i64, i64); 5] = [
        ("block_x", 0, u16::MAX as i64),
        ("block_y", 0, u16::MAX as i64),
        ("dx", i16::MIN as i64, i16::MAX as i64),
        ("dy", i16::MIN as i64, i16::MAX as i64),
        ("sad", 0, u32::MAX as i64),
    ];
    let rows = a.as_slice();
    (0..n)
        .map(|i| {
            let r = &rows[i * 5..][..5];
            for (c, (label, lo, hi)) in COLUMNS.iter().enumerate() {
                if r[c] < *lo || r[c] > *hi {
                    return Err(PyValueError::new_err(format!(
                        "motion_vectors[{i}] {label} must be in {lo}..={hi}, got {}",
                        r[c]
                    )));
                }
            }
            Ok(MotionVector::new(
                r[0] as u16,
                r[1] as u16,
                r[2] as i16,
                r[3] as i16,
                r[4] as u32,
            ))
        })
        .collect()
}

/// The seed's ``parse_packet(data)``: checks the packet end to end (header,
/// length, CRC-32, FlatBuffers payload) and returns ``(packet_type,
/// sequence, payload_size)``; packet_type is 1 (I), 2 (D), 3 (C) or 4 (S).
/// Raises :class:`PacketError` for anything wrong. See :class:`Packet` for
/// everything else.
#[pyfunction]
pub fn parse_packet(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<(u8, u32, u32)> {
    let bytes = packet_bytes("data", data)?;
    let p = RustPacket::parse(&bytes).map_err(|e| packet_error(py, &e, 0))?;
    Ok((p.packet_type() as u8, p.sequence(), p.header().payload_len))
}

/// Splits a stream (packets back to back, as in an ``.asp`` file) into
/// packets, checking each; raises :class:`PacketError` naming the byte
/// offset of the first bad one.
#[pyfunction]
pub fn split_packets<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let bytes = packet_bytes("data", data)?;
    let out = PyList::empty(py);
    let mut at = 0;
    while at < bytes.len() {
        let p = RustPacket::parse_prefix(&bytes[at..], &Limits::DEFAULT)
            .map_err(|e| packet_error(py, &e, at))?;
        out.append(PyBytes::new(py, p.as_bytes()))?;
        at += p.len();
    }
    Ok(out)
}

/// Colours (N, 3) and, when present, weights (N,).
type PaletteArrays<'py> = (
    Bound<'py, PyArrayDyn<u8>>,
    Option<Bound<'py, PyArrayDyn<f32>>>,
);

/// A region of interest carried by a packet.
#[pyclass(module = "libasp", frozen, get_all, eq)]
#[derive(Clone, Debug, PartialEq)]
pub struct Region {
    /// Left edge in luma pixels.
    pub x: u32,
    /// Top edge in luma pixels.
    pub y: u32,
    /// Width in luma pixels.
    pub width: u32,
    /// Height in luma pixels.
    pub height: u32,
    /// "general", "face", "text", "edge", "motion" or "custom".
    pub roi_type: String,
    /// The schema's RoiType value (0..=5).
    pub type_id: u8,
    /// Detector confidence, 0..=1.
    pub confidence: f32,
    /// Coding priority (higher: more important).
    pub priority: u8,
}

#[pymethods]
impl Region {
    fn __repr__(&self) -> String {
        format!(
            "Region(x={}, y={}, width={}, height={}, roi_type={:?}, confidence={}, priority={})",
            self.x, self.y, self.width, self.height, self.roi_type, self.confidence, self.priority
        )
    }
}

impl Region {
    fn of(r: &RoiRegion) -> Region {
        let b = r.bounds();
        let t = r.roi_type();
        Region {
            x: b.x(),
            y: b.y(),
            width: b.width(),
            height: b.height(),
            roi_type: t
                .variant_name()
                .map_or_else(|| format!("unknown({})", t.0), str::to_ascii_lowercase),
            type_id: t.0,
            confidence: r.confidence(),
            priority: r.priority(),
        }
    }
}

/// One parsed packet: ``Packet(data)``, checked end to end as
/// :func:`parse_packet` does (raises :class:`PacketError`).
///
/// Header fields (``packet_type``, ``kind``, ``flags``, ``sequence``,
/// ``payload_size``, ``crc``), the payload kind (``payload_kind``:
/// "IPacketPayload", ...), frame facts where the kind has them (``qp``,
/// ``ref_sequence``, ``capture_time_us``, ``width``/``height``/``fps``,
/// tile grid), side data: ``motion_vectors`` (a read-only NumPy view into
/// the packet's bytes, structured dtype ``MOTION_VECTOR_DTYPE``),
/// ``regions`` (list of :class:`Region`) and ``palette``.
#[pyclass(module = "libasp", frozen)]
pub struct Packet {
    data: Py<PyBytes>,
    /// Packet type byte: 1 (I), 2 (D), 3 (C) or 4 (S).
    #[pyo3(get)]
    packet_type: u8,
    /// Header flags (bit 0: discardable).
    #[pyo3(get)]
    flags: u16,
    /// Sequence number.
    #[pyo3(get)]
    sequence: u32,
    /// FlatBuffers payload length in bytes.
    #[pyo3(get)]
    payload_size: u32,
    /// The stored (and verified) CRC-32.
    #[pyo3(get)]
    crc: u32,
    /// Capture time, microseconds since the Unix epoch, when the packet
    /// carries it whole; None when unknown or carried as a delta.
    #[pyo3(get)]
    capture_time_us: Option<u64>,
    /// A D-packet's capture time as microseconds after the last packet of
    /// its stream that carried ``capture_time_us``, else None.
    #[pyo3(get)]
    capture_delta_us: Option<u32>,
    /// Frame QP (I, D, C), else None.
    #[pyo3(get)]
    qp: Option<u8>,
    /// The frame this one predicts from or refines (D, C), else None.
    #[pyo3(get)]
    ref_sequence: Option<u32>,
    /// Frame width (I), else None.
    #[pyo3(get)]
    width: Option<u32>,
    /// Frame height (I), else None.
    #[pyo3(get)]
    height: Option<u32>,
    fps: Option<(u32, u32)>,
    /// "limited" or "full" (I), else None.
    #[pyo3(get)]
    color_range: Option<String>,
    /// "bt601", "bt709" or "bt2020" (I), else None.
    #[pyo3(get)]
    color_matrix: Option<String>,
    /// Tile grid columns (I, D), else None.
    #[pyo3(get)]
    tile_columns: Option<u8>,
    /// Tile grid rows (I, D), else None.
    #[pyo3(get)]
    tile_rows: Option<u8>,
    /// Bytes of coded data per tile (or per region for C), raster order.
    #[pyo3(get)]
    tile_sizes: Vec<u32>,
    /// Block size in pixels of the motion vectors (D), else None.
    #[pyo3(get)]
    motion_block_size: Option<u8>,
    /// Unit of dx/dy: 1, 2 or 4 (whole, half, quarter pixels) (D), else None.
    #[pyo3(get)]
    motion_vector_precision: Option<u8>,
    /// Byte offset and count of the motion vector structs in `data`.
    vectors_at: (usize, usize),
    regions: Vec<Region>,
    palette: Option<(Vec<u8>, Vec<f32>)>,
    /// The sync command, e.g. "request_keyframe" (S), else None.
    #[pyo3(get)]
    command: Option<String>,
}

/// A schema enum value's name in snake case ("RequestKeyframe" -> "request_keyframe").
fn variant<T: Copy>(v: T, name: fn(T) -> Option<&'static str>) -> Option<String> {
    name(v).map(|n| {
        let mut out = String::with_capacity(n.len() + 4);
        for (i, c) in n.chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    })
}

#[pymethods]
impl Packet {
    #[new]
    fn new(py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<Packet> {
        let data: Bound<'_, PyBytes> = match data.cast::<PyBytes>() {
            Ok(b) => b.clone(),
            Err(_) => PyBytes::new(py, &packet_bytes("data", data)?),
        };
        let bytes = data.as_bytes();
        let p = RustPacket::parse(bytes).map_err(|e| packet_error(py, &e, 0))?;
        let base = bytes.as_ptr() as usize;
        let mut out = Packet {
            data: data.clone().unbind(),
            packet_type: p.packet_type() as u8,
            flags: p.flags(),
            sequence: p.sequence(),
            payload_size: p.header().payload_len,
            crc: p.crc(),
            capture_time_us: p.capture_time_us(),
            capture_delta_us: p.capture_delta_us(),
            qp: None,
            ref_sequence: None,
            width: None,
            height: None,
            fps: None,
            color_range: None,
            color_matrix: None,
            tile_columns: None,
            tile_rows: None,
            tile_sizes: Vec::new(),
            motion_block_size: None,
            motion_vector_precision: None,
            vectors_at: (0, 0),
            regions: Vec::new(),
            palette: None,
            command: None,
        };
        // Every entry's size, the last one included (the wire omits it).
        out.tile_sizes = p.tiles().map(|t| t.len() as u32).collect();
        let (regions, palette) = match p.payload() {
            Payload::I(i) => {
                if let Some(s) = i.stream() {
                    out.width = Some(u32::from(s.width()));
                    out.height = Some(u32::from(s.height()));
                    out.fps = Some((s.fps_num(), s.fps_den()));
                    out.color_range = variant(s.color_range(), ColorRange::variant_name);
                    out.color_matrix = variant(s.color_matrix(), ColorMatrix::variant_name);
                }
                out.qp = Some(i.qp());
                (out.tile_columns, out.tile_rows) = (Some(i.tile_columns()), Some(i.tile_rows()));
                (i.regions(), i.palette())
            }
            Payload::D(d) => {
                out.qp = Some(d.qp());
                out.ref_sequence = p.ref_sequence();
                (out.tile_columns, out.tile_rows) = (Some(d.tile_columns()), Some(d.tile_rows()));
                out.motion_block_size = Some(d.motion_block_size());
                out.motion_vector_precision = Some(d.motion_vector_precision());
                if let Some(v) = d.motion_vectors() {
                    out.vectors_at = (v.bytes().as_ptr() as usize - base, v.len());
                }
                (d.regions(), d.palette())
            }
            Payload::C(c) => {
                out.qp = Some(c.qp());
                out.ref_sequence = Some(c.ref_sequence());
                (c.regions(), None)
            }
            Payload::S(s) => {
                out.command = variant(s.command(), asp_core::schema::SyncCommand::variant_name);
                (None, None)
            }
        };
        out.regions = regions
            .map(|r| r.iter().map(Region::of).collect())
            .unwrap_or_default();
        out.palette = palette.map(|p| {
            let colors = p
                .colors()
                .map(|c| c.iter().flat_map(|c| [c.r(), c.g(), c.b()]).collect())
                .unwrap_or_default();
            (
                colors,
                p.weights().map(|w| w.iter().collect()).unwrap_or_default(),
            )
        });
        Ok(out)
    }

    /// "I", "D", "C" or "S".
    #[getter]
    fn kind(&self) -> &'static str {
        ["?", "I", "D", "C", "S"][usize::from(self.packet_type).min(4)]
    }

    /// "IPacketPayload", "DPacketPayload", "CPacketPayload" or "SPacketPayload".
    #[getter]
    fn payload_kind(&self) -> String {
        format!("{}PacketPayload", self.kind())
    }

    /// Whether this is a keyframe (I-packet).
    #[getter]
    fn keyframe(&self) -> bool {
        self.packet_type == 1
    }

    /// The frame rate as a float (I-packets), else None.
    #[getter]
    fn fps(&self) -> Option<f64> {
        self.fps.map(|(n, d)| f64::from(n) / f64::from(d.max(1)))
    }

    /// The frame rate as ``(num, den)`` (I-packets), else None.
    #[getter]
    fn fps_fraction(&self) -> Option<(u32, u32)> {
        self.fps
    }

    /// The whole packet (header, payload, CRC) as bytes.
    #[getter]
    fn data(&self, py: Python<'_>) -> Py<PyBytes> {
        self.data.clone_ref(py)
    }

    /// The FlatBuffers payload bytes (a copy), for a flatc-generated reader.
    #[getter]
    fn payload<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let b = self.data.bind(py).as_bytes();
        PyBytes::new(py, &b[16..b.len() - 4])
    }

    /// Motion vectors side data: a read-only NumPy view into the packet's
    /// bytes with dtype ``MOTION_VECTOR_DTYPE`` (fields block_x, block_y, dx,
    /// dy, sad); empty when the packet carries none.
    #[getter]
    fn motion_vectors<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (offset, count) = self.vectors_at;
        let numpy = py.import("numpy")?;
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("dtype", motion_vector_dtype(py)?)?;
        kwargs.set_item("count", count)?;
        kwargs.set_item("offset", offset)?;
        numpy
            .getattr("frombuffer")?
            .call((self.data.bind(py),), Some(&kwargs))
    }

    /// The motion vectors as (N, 5) int32 ``[block_x, block_y, dx, dy, sad]``
    /// (a copy), the layout :func:`estimate_motion_numpy` returns.
    fn motion_field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<i32>>> {
        let (offset, count) = self.vectors_at;
        let b = self.data.bind(py).as_bytes();
        let raw = &b[offset..offset + 12 * count];
        let vectors: Vec<MotionVector> = raw
            .chunks_exact(12)
            .map(|c| {
                let u16at = |i: usize| u16::from_le_bytes([c[i], c[i + 1]]);
                MotionVector::new(
                    u16at(0),
                    u16at(2),
                    u16at(4) as i16,
                    u16at(6) as i16,
                    u32::from_le_bytes([c[8], c[9], c[10], c[11]]),
                )
            })
            .collect();
        vectors_to_numpy(py, &vectors)
    }

    /// Regions of interest side data, a list of :class:`Region`.
    #[getter]
    fn regions(&self) -> Vec<Region> {
        self.regions.clone()
    }

    /// Palette side data: ``(colors (N, 3) uint8, weights (N,) float32 or
    /// None)``, or None when the packet carries none.
    #[getter]
    fn palette<'py>(&self, py: Python<'py>) -> PyResult<Option<PaletteArrays<'py>>> {
        let Some((colors, weights)) = &self.palette else {
            return Ok(None);
        };
        let c = to_numpy(py, &[colors.len() / 3, 3], colors.clone())?;
        let w = if weights.is_empty() {
            None
        } else {
            Some(to_numpy(py, &[weights.len()], weights.clone())?)
        };
        Ok(Some((c, w)))
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.data.bind(py).as_bytes().len()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let mut s = format!(
            "Packet({}, sequence={}, {} bytes",
            self.kind(),
            self.sequence,
            self.__len__(py)
        );
        if let (Some(w), Some(h)) = (self.width, self.height) {
            s.push_str(&format!(", {w}x{h}"));
        }
        if let Some(r) = self.ref_sequence {
            s.push_str(&format!(", ref_sequence={r}"));
        }
        if self.vectors_at.1 > 0 {
            s.push_str(&format!(", {} motion vectors", self.vectors_at.1));
        }
        s.push(')');
        s
    }
}
