//! One source frame through several encoders at once: the renditions of
//! `asp-encode --rendition` (the same settings at different bitrates), in
//! the file loop and in the live loop.

use asp_core::codec::frame::Frame;
use asp_encoder::{Session, SessionError};
use bytes::Bytes;
use rayon::prelude::*;

/// One rendition's packets for one frame, owned (the encoders run at once)
/// and shared: the hub's viewers, the recorder and the relay take clones
/// of the one copy made here, not copies of their own.
#[derive(Debug)]
pub struct EncodedRendition {
    /// The I or D packet.
    pub packet: Bytes,
    /// The C-packet after it (ROI layer).
    pub c_packet: Option<Bytes>,
    /// The frame's sequence number.
    pub sequence: u32,
    pub keyframe: bool,
    /// Regions coded in this frame.
    pub regions: usize,
}

/// Encodes `frame` on every session, in parallel when there are several
/// (each encoder is one frame's work; tiles inside it share the same
/// worker pool). In the sessions' order.
pub fn encode_all(
    sessions: &mut [Session],
    frame: &Frame,
    capture_time_us: u64,
) -> Result<Vec<EncodedRendition>, SessionError> {
    let encode = |session: &mut Session| -> Result<EncodedRendition, SessionError> {
        let encoded = session.encode(frame, capture_time_us)?;
        Ok(EncodedRendition {
            packet: Bytes::copy_from_slice(encoded.packet),
            c_packet: encoded.c_packet.map(Bytes::copy_from_slice),
            sequence: encoded.sequence,
            keyframe: encoded.keyframe,
            regions: encoded.regions,
        })
    };
    if sessions.len() == 1 {
        return sessions.iter_mut().map(encode).collect();
    }
    sessions.par_iter_mut().map(encode).collect()
}
