//! `libasp`: ASP on NumPy arrays (PyO3 + rust-numpy, built with maturin).
//!
//! The seed's Python API, same names, same arguments, same shapes, over the
//! real codec crates:
//!
//! * `motion`: `estimate_motion_numpy`, `MotionEstimator`;
//! * `dct`: `DctTransform`, the codec's integer transform and quantiser;
//! * `analysis`: `extract_colors`, `extract_colors_with_weights`, `detect_roi`;
//! * `packets`: `create_i_packet`, `create_d_packet_numpy`,
//!   `parse_packet`, `Packet`, `split_packets`;
//! * `codec`: `Encoder`, bit-exact with the CLI;
//! * `decoder`: `Decoder`, over asp-core's stream player, bit-exact with
//!   `asp-decode`;
//! * `open`: `open()`, a path, file object or live stream (`live`: over
//!   `websocket` or `webtransport`) read as `VideoFrame`s (`stream`,
//!   `frame`) or written (`writer`); `packet_reader`: `PacketReader`,
//!   packets from chunks;
//! * `formats`: frames in five formats (rgb, bgr, gray, yuv, i420);
//!   `errors`: `libasp.Error` and its subclasses.
//!
//! Inputs are checked in `arrays`; heavy calls release the GIL and run
//! on rayon (`pools`); RGB frames are converted in `color`.

use pyo3::prelude::*;

mod analysis;
mod arrays;
mod codec;
mod color;
mod decoder;
mod dct;
mod errors;
mod formats;
mod frame;
mod motion;
mod open;
mod packet_reader;
mod packets;
mod pools;
mod stream;
mod writer;

/// ASP (ALICE Streaming Protocol) on NumPy: motion estimation, colour
/// palettes, regions of interest, the codec's DCT, packets, and the encoder
/// and decoder.
#[pymodule]
fn libasp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(motion::estimate_motion_numpy, m)?)?;
    m.add_class::<motion::MotionEstimator>()?;
    m.add_class::<dct::DctTransform>()?;
    m.add_function(wrap_pyfunction!(analysis::extract_colors, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::extract_colors_with_weights, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::detect_roi, m)?)?;
    m.add_function(wrap_pyfunction!(packets::create_i_packet, m)?)?;
    m.add_function(wrap_pyfunction!(packets::create_d_packet_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(packets::parse_packet, m)?)?;
    m.add_function(wrap_pyfunction!(packets::split_packets, m)?)?;
    m.add_class::<packets::Packet>()?;
    m.add_class::<packets::Region>()?;
    m.add("MOTION_VECTOR_DTYPE", packets::motion_vector_dtype(py)?)?;
    m.add_class::<codec::Encoder>()?;
    m.add_class::<decoder::Decoder>()?;
    m.add_function(wrap_pyfunction!(open::open, m)?)?;
    m.add_class::<stream::Reader>()?;
    m.add_class::<writer::Writer>()?;
    m.add_class::<frame::VideoFrame>()?;
    m.add_class::<packet_reader::PacketReader>()?;
    errors::register(m)?;
    m.add("PACKET_I", 1)?;
    m.add("PACKET_D", 2)?;
    m.add("PACKET_C", 3)?;
    m.add("PACKET_S", 4)?;
    Ok(())
}
