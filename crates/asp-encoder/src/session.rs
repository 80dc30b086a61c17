//! An encode session: the whole per-frame sequence every front end runs.
//!
//! [`Session`] owns the [`Encoder`], the optional [`RoiAnalyser`] (regions
//! of interest and palettes) and the optional [`Corrector`] (C-packets), and
//! runs them in the one order that makes asp-encode's streams:
//!
//! 1. analyse the frame: regions and, when asked, a palette;
//! 2. steer the encoder: per-macroblock QP offsets from the coded regions
//!    (faces, text, small motion), those regions and the palette as side data;
//! 3. encode the I or D packet;
//! 4. with the ROI layer, refine the coded regions of what the decoder
//!    shows in a C-packet, at QP `frame_qp + roi_qp - roi_layer_delta`
//!    (clamped to 0..=51; see [`correction_qp`]).
//!
//! asp-encode (files and `--serve`) and Python's `Encoder` all encode
//! through it, so the same settings and frames give the same bytes.

use std::fmt;

use asp_core::codec::frame::Frame;
use asp_core::codec::quant::Qp;
use asp_core::schema::RoiRegion;

use crate::analysis::{AnalysisError, Palette, RoiMethod};
use crate::encoder::{RateControl, Corrector, RoiAnalyser, RoiSettings};
use crate::{EncodeError, Encoder, EncoderConfig};

/// What a session does around the encoder (see the [module docs](self)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSettings {
    /// Region detectors run on every frame (empty: none).
    pub roi: Vec<RoiMethod>,
    /// QP offset of the macroblocks in a coded region, -12..=0.
    pub roi_qp: i8,
    /// A C-packet after each frame, refining its coded regions (needs `roi`).
    pub roi_layer: bool,
    /// How much finer than the regions' QP the C-packets are, 0..=24.
    pub roi_layer_delta: u8,
    /// Colours of a k-means palette put in every packet, 1..=256.
    pub palette: Option<u16>,
}

impl Default for SessionSettings {
    /// No analysis: the plain encoder. ROI QP offset -3 once regions are asked for.
    fn default() -> Self {
        SessionSettings { roi: Vec::new(), roi_qp: -3, roi_layer: false, roi_layer_delta: 0, palette: None }
    }
}

/// Why a session refused its settings or a frame.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The session settings are out of range or contradict each other.
    Settings(&'static str),
    /// The region analysis refused its settings or a frame.
    Analysis(AnalysisError),
    /// The encoder (or the corrector) refused its settings or a frame.
    Encode(EncodeError),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Settings(why) => f.write_str(why),
            SessionError::Analysis(e) => write!(f, "ROI analysis: {e}"),
            SessionError::Encode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Settings(_) => None,
            SessionError::Analysis(e) => Some(e),
            SessionError::Encode(e) => Some(e),
        }
    }
}

impl From<EncodeError> for SessionError {
    fn from(e: EncodeError) -> Self {
        SessionError::Encode(e)
    }
}

impl From<AnalysisError> for SessionError {
    fn from(e: AnalysisError) -> Self {
        SessionError::Analysis(e)
    }
}

/// The packets of one frame.
#[derive(Debug)]
pub struct SessionFrame<'a> {
    /// The I or D packet.
    pub packet: &'a [u8],
    /// The C-packet refining this frame's regions, to send after `packet`
    /// (ROI layer only; `None` when no region needed refining). Nothing
    /// predicts from it: dropping it is harmless.
    pub c_packet: Option<&'a [u8]>,
    /// The frame's sequence number (the C-packet carries the same one).
    pub sequence: u32,
    /// Whether `packet` is a keyframe (I-packet).
    pub keyframe: bool,
    /// The frame QP used.
    pub qp: Qp,
    /// Regions coded in this frame (QP offsets, side data, refinement).
    pub regions: usize,
}

/// The QP of a C-packet refining a frame coded at `frame_qp`: the regions'
/// own QP (`frame_qp + roi_qp`), `roi_layer_delta` finer, clamped to the
/// valid QPs.
pub fn correction_qp(frame_qp: Qp, roi_qp: i8, roi_layer_delta: u8) -> Qp {
    Qp::saturating(i32::from(frame_qp.get()) + i32::from(roi_qp) - i32::from(roi_layer_delta))
}

/// An encoder with its region analysis and ROI layer. See the [module docs](self).
pub struct Session {
    encoder: Encoder,
    analyser: Option<RoiAnalyser>,
    corrector: Option<Corrector>,
    settings: SessionSettings,
    /// The coded regions of the frame being encoded.
    regions: Vec<RoiRegion>,
    /// The last I/D packet (the encoder's buffer is needed again by the corrector).
    packet: Vec<u8>,
}

impl Session {
    /// A session for `config` and `settings`, both checked up front.
    pub fn new(config: EncoderConfig, settings: SessionSettings) -> Result<Session, SessionError> {
        if !(-12..=0).contains(&settings.roi_qp) {
            return Err(SessionError::Settings("roi_qp must be in -12..=0"));
        }
        if settings.roi_layer_delta > 24 {
            return Err(SessionError::Settings("roi_layer_delta must be in 0..=24"));
        }
        if settings.palette.is_some_and(|n| !(1..=256).contains(&n)) {
            return Err(SessionError::Settings("palette must be 1..=256 colours"));
        }
        if settings.roi_layer && settings.roi.is_empty() {
            return Err(SessionError::Settings("the ROI layer needs ROI methods (the regions to refine)"));
        }
        let encoder = Encoder::new(config)?;
        let analyser = if settings.roi.is_empty() && settings.palette.is_none() {
            None
        } else {
            let mut roi = RoiSettings::new(settings.roi.clone());
            roi.roi_qp_offset = settings.roi_qp;
            roi.palette_colors = settings.palette.map_or(0, usize::from);
            Some(RoiAnalyser::new(roi)?)
        };
        let corrector = settings.roi_layer.then(Corrector::new);
        Ok(Session { encoder, analyser, corrector, settings, regions: Vec::new(), packet: Vec::new() })
    }

    /// Encodes `frame` (of the configured size), captured at `capture_time_us`.
    pub fn encode(&mut self, frame: &Frame, capture_time_us: u64) -> Result<SessionFrame<'_>, SessionError> {
        self.regions.clear();
        if let Some(analyser) = &mut self.analyser {
            let plan = analyser.analyse(frame)?;
            // Plain edge regions (dozens a frame in natural video) would cost
            // more side data than they are worth: only coded regions go out.
            self.regions = plan.coded_regions();
            self.encoder.set_qp_offsets(&plan.qp_offsets);
            self.encoder.set_side_data(&self.regions, plan.palette.as_ref());
        }
        let encoded = self.encoder.encode(frame, capture_time_us)?;
        let (sequence, keyframe, qp) = (encoded.sequence, encoded.keyframe, encoded.qp);
        self.packet.clear();
        self.packet.extend_from_slice(encoded.packet);
        let c_packet = match (&mut self.corrector, self.encoder.reconstruction()) {
            (Some(corrector), Some(shown)) => {
                let c_qp = correction_qp(qp, self.settings.roi_qp, self.settings.roi_layer_delta);
                corrector.correct(frame, shown, &self.regions, sequence, capture_time_us, c_qp)?
            }
            _ => None,
        };
        Ok(SessionFrame { packet: &self.packet, c_packet, sequence, keyframe, qp, regions: self.regions.len() })
    }

    /// The session settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// The encoder settings.
    pub fn config(&self) -> &EncoderConfig {
        self.encoder.config()
    }

    /// Whether frames are analysed (ROI methods or a palette).
    pub fn analyses(&self) -> bool {
        self.analyser.is_some()
    }

    /// The decoder's view of the last encoded frame (without its C-packet).
    pub fn reconstruction(&self) -> Option<&Frame> {
        self.encoder.reconstruction()
    }

    /// Makes the next frame a keyframe.
    pub fn request_keyframe(&mut self) {
        self.encoder.request_keyframe();
    }

    /// Changes the target bitrate (constant bitrate mode only).
    pub fn set_bitrate(&mut self, bits_per_second: u64) {
        self.encoder.set_bitrate(bits_per_second);
    }

    /// The rate controller, in constant bitrate mode.
    pub fn rate_control(&self) -> Option<&RateControl> {
        self.encoder.rate_control()
    }

    /// Per-macroblock QP offsets for the following frames (see
    /// [`Encoder::set_qp_offsets`]); the analysis replaces them on every
    /// frame when it runs.
    pub fn set_qp_offsets(&mut self, offsets: &[i8]) {
        self.encoder.set_qp_offsets(offsets);
    }

    /// Side data for the following packets (see [`Encoder::set_side_data`]);
    /// the analysis replaces it on every frame when it runs.
    pub fn set_side_data(&mut self, regions: &[RoiRegion], palette: Option<&Palette>) {
        self.encoder.set_side_data(regions, palette);
    }
}

#[cfg(test)]
mod tests;
