//! One source frame through several encoders at once: the renditions of
//! `asp-encode --rendition` (the same settings at different bitrates), in
//! the file loop and in the live loop.

use asp_core::codec::frame::Frame;
use asp_encoder::{Session, SessionError};
use rayon::prelude::*;

/// One rendition's packets for one frame, owned (the encoders run at once).
#[derive(Debug)]
pub struct EncodedRendition {
    /// The I or D packet.
    pub packet: Vec<u8>,
    /// The C-packet after it (ROI layer).
    pub c_packet: Option<Vec<u8>>,
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
            packet: encoded.packet.to_vec(),
            c_packet: encoded.c_packet.map(<[u8]>::to_vec),
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
