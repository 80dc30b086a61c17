//! `Decoder`: packets in, NumPy frames out, bit-exact with `asp-decode`.
//!
//! An adapter over asp-core's stream [`Player`]: the decode rules (join at
//! a keyframe or an intra-refresh start, wait for one after a loss,
//! C-packets stacked on the picture on show, colour facts from keyframes
//! and refresh starts) are the player's; this maps its events to a return
//! value or an exception.

use std::sync::Arc;

use asp_core::codec::decoder::DecodeError as RustDecodeError;
use asp_core::schema::{ColorMatrix, ColorRange};
use asp_core::{Event, Player, PlayerError, Settings, Waiting};
use asp_encoder::Rayon;
use pyo3::prelude::*;
use rayon::ThreadPool;

use crate::color::Conversion;
use crate::errors::{error, Kind};
use crate::formats::{frame_to_python, Format};
use crate::packets::{packet_bytes, packet_error};
use crate::pools::{run, Threads};

/// The video decoder: packets in, frames out.
///
/// ``Decoder(output="rgb", *, apply_corrections=True, threads=None)``. ``decode(packet)`` takes one
/// packet (bytes) and returns the frame it codes: (H, W, 3) RGB for
/// ``output="rgb"``, BGR for ``"bgr"``, (H, W) full-range luma for
/// ``"gray"`` (these three converted with the matrix and range the stream
/// signals), a ``(Y, U, V)`` tuple of planes for ``"yuv"``, or (H * 3 / 2, W)
/// I420 for ``"i420"``; None for S packets. A C-packet (ROI refinement)
/// returns the frame on show refined in its regions, as ``asp-decode``
/// shows it: C-packets for one frame stack, each on the picture the ones
/// before it made (``apply_corrections=False`` ignores them, as
/// ``--drop-c``). The planes are exactly what ``asp-decode`` writes. Raises
/// :class:`PacketError` for a damaged packet and :class:`DecodeError` when a
/// frame cannot be decoded or a C-packet not applied; after a loss, delta
/// frames raise :class:`DecodeError` until a keyframe or an intra-refresh
/// start decodes (``needs_keyframe`` says so).
#[pyclass(module = "libasp")]
pub struct Decoder {
    player: Player,
    output: Format,
    pool: Option<Arc<ThreadPool>>,
}

/// What one packet did.
enum Outcome {
    Nothing,
    Picture,
    Failed(Event),
}

#[pymethods]
impl Decoder {
    #[new]
    #[pyo3(signature = (output="rgb", *, apply_corrections=true, threads=None))]
    fn new(output: &str, apply_corrections: bool, threads: Option<i64>) -> PyResult<Decoder> {
        Ok(Decoder {
            player: Player::new(Settings {
                drop_c: !apply_corrections,
                ..Settings::default()
            }),
            output: Format::parse("output", output)?,
            pool: Threads::from_arg(threads)?.pool()?,
        })
    }

    /// Decodes one packet: the frame of an I or D packet; for a C-packet the
    /// frame on show refined in its regions (what to show instead; the
    /// reference is unchanged); None for S packets (and C-packets when
    /// ``apply_corrections=False``).
    fn decode<'py>(
        &mut self,
        py: Python<'py>,
        packet: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let bytes = packet_bytes("packet", packet)?;
        let Decoder { player, pool, .. } = self;
        let outcome = py.detach(|| {
            run(pool.as_deref(), || {
                let mut outcome = match player.push_packet(&bytes) {
                    Ok(()) => Outcome::Nothing,
                    Err(error) => Outcome::Failed(Event::Error(error)),
                };
                while let Some(event) = player.next_event(&Rayon) {
                    match event {
                        Event::Picture(_) | Event::Refined(_) => outcome = Outcome::Picture,
                        Event::Final(_) => {}
                        failed => outcome = Outcome::Failed(failed),
                    }
                }
                outcome
            })
        });
        match outcome {
            Outcome::Nothing => Ok(None),
            Outcome::Picture => {
                let Some(frame) = self.player.picture() else {
                    return Ok(None);
                };
                let conversion = self.player.facts().map_or_else(
                    || Conversion::new(ColorMatrix::Bt709, ColorRange::Limited),
                    |f| Conversion::new(f.color_matrix, f.color_range),
                );
                Ok(Some(frame_to_python(py, frame, self.output, &conversion)?))
            }
            Outcome::Failed(event) => Err(self.error(py, event)),
        }
    }

    /// Drops what waits and waits for the next keyframe (or intra-refresh
    /// start): delta frames until then raise :class:`DecodeError`.
    fn reset(&mut self) {
        self.player.reset();
        // The reset's only event makes the picture on show final.
        while self.player.next_event(&Rayon).is_some() {}
    }

    /// True until a keyframe (or an intra-refresh start) has decoded, and
    /// after any loss until the next one: delta frames are refused then,
    /// and a live receiver asks the sender for a keyframe.
    #[getter]
    fn needs_keyframe(&self) -> bool {
        self.player.needs_keyframe()
    }

    /// The output format: "rgb", "bgr", "gray", "yuv" or "i420".
    #[getter]
    fn output(&self) -> &'static str {
        self.output.name()
    }
}

impl Decoder {
    /// The exception for a failed packet.
    fn error(&self, py: Python<'_>, event: Event) -> PyErr {
        let message = match event {
            Event::Error(PlayerError::BadPacket(error)) => return packet_error(py, &error, 0),
            Event::Error(PlayerError::Decode { error, .. }) => error.to_string(),
            Event::Error(PlayerError::WrongFrame { on_show: None, .. })
                if self.player.meta().is_none() =>
            {
                "C-packet before any decoded frame".to_owned()
            }
            Event::Dropped {
                waiting: Waiting::Start,
                ..
            } => RustDecodeError::NoKeyframe.to_string(),
            Event::Dropped { sequence, .. } => {
                format!("delta frame {sequence} dropped: waiting for a keyframe or an intra-refresh start after a loss")
            }
            Event::Error(error) => error.to_string(),
            other => format!("{other:?}"),
        };
        error(Kind::Decode, message)
    }
}
