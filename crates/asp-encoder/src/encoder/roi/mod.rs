//! ROI-aware coding: the analysers ([`crate::analysis`]) decide which
//! macroblocks matter, and the encoder spends more bits there.
//!
//! [`RoiAnalyser::analyse`] runs the chosen detectors on each frame and
//! turns their regions into per-macroblock QP offsets: macroblocks that
//! touch a face, text or motion region get up to `roi_qp_offset`
//! (negative: finer; plain edge regions, which natural texture is full
//! of, are side data only), the others a positive offset sized so that the
//! frame's estimated bits stay the same ([`budget`]) — the same bitrate,
//! spent where the viewer looks, and a rate controller that sees no change
//! to undo. The regions, and a palette when asked for, also go into the
//! packets as side data.

mod budget;

use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::packet::Palette as PacketPalette;
use asp_core::schema::{Color, RoiRegion, RoiType};

pub use budget::{balanced_offsets, macroblock_costs};

use crate::analysis::{
    detect_edges, detect_motion, kmeans_palette, AnalysisError, EdgeParams, FaceDetector, FaceParams, Image,
    KMeansParams, MotionParams, Palette, Roi, RoiMethod,
};

/// What the analyser looks for and how hard the encoder leans on it.
#[derive(Clone, Debug, PartialEq)]
pub struct RoiSettings {
    /// Detectors to run on every frame.
    pub methods: Vec<RoiMethod>,
    /// QP offset of macroblocks inside a region (-12..=0).
    pub roi_qp_offset: i8,
    /// Run the face detector every this many frames (faces move slowly;
    /// the detector is the costly one), reusing its regions in between.
    pub face_interval: u32,
    /// Face detector settings.
    pub face: FaceParams,
    /// Colours of the palette side data (0: no palette).
    pub palette_colors: usize,
}

impl RoiSettings {
    /// `methods` with offset -3 (a 30 % finer quantiser step), faces
    /// every 3rd frame from 32 pixels up, no palette.
    pub fn new(methods: Vec<RoiMethod>) -> RoiSettings {
        RoiSettings {
            methods,
            roi_qp_offset: -3,
            face_interval: 3,
            face: FaceParams { min_size: 32, ..FaceParams::default() },
            palette_colors: 0,
        }
    }
}

/// The analysis of one frame.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoiPlan {
    /// Every region found.
    pub regions: Vec<Roi>,
    /// The regions the coding favours (see [`RoiPlan::coded_regions`]).
    pub coded: Vec<Roi>,
    /// Per-macroblock QP offsets, raster order (empty: no region).
    pub qp_offsets: Vec<i8>,
    /// The frame's palette, when settings ask for one.
    pub palette: Option<Palette>,
}

impl RoiPlan {
    /// The regions as the schema's structs (faces first in priority).
    pub fn schema_regions(&self) -> Vec<RoiRegion> {
        self.regions.iter().map(|r| r.to_schema(priority(r.kind))).collect()
    }

    /// The regions the coding favours (faces, text, motion; not plain
    /// edges, not motion over a large part of the picture), as the
    /// schema's structs: what the QP offsets cover and what a C-packet
    /// refines.
    pub fn coded_regions(&self) -> Vec<RoiRegion> {
        self.coded.iter().map(|r| r.to_schema(priority(r.kind))).collect()
    }
}

/// Motion regions covering more than this share of the picture are side
/// data only: that much of the frame cannot be made sharper at the same
/// bitrate, and it is the scene moving (a pan's residue, a cut), not an
/// object to look at.
const MAX_CODED_MOTION_SHARE: f64 = 1.0 / 8.0;

/// Whether the coding favours a region of a `picture`-pixel frame: plain
/// edge regions and very large motion regions are side data only.
fn is_coded(r: &Roi, picture: usize) -> bool {
    match r.kind {
        RoiType::Edge => false,
        RoiType::Motion => f64::from(r.width) * f64::from(r.height) <= MAX_CODED_MOTION_SHARE * picture as f64,
        _ => true,
    }
}

/// Coding priority of a region type in the side data.
fn priority(kind: RoiType) -> u8 {
    match kind {
        RoiType::Face => 3,
        RoiType::Text => 2,
        _ => 1,
    }
}

/// Runs the detectors frame after frame (the `encoder::roi` module docs
/// describe them).
pub struct RoiAnalyser {
    settings: RoiSettings,
    faces: Option<&'static FaceDetector>,
    previous_luma: Vec<u8>,
    face_regions: Vec<Roi>,
    frames: u64,
    plan: RoiPlan,
}

impl RoiAnalyser {
    /// An analyser; loads the bundled face cascade if faces are wanted.
    pub fn new(settings: RoiSettings) -> Result<RoiAnalyser, AnalysisError> {
        if !(-12..=0).contains(&settings.roi_qp_offset) {
            return Err(AnalysisError::BadParameter("ROI QP offset must be in -12..=0"));
        }
        let faces = if settings.methods.contains(&RoiMethod::Face) { Some(FaceDetector::bundled()?) } else { None };
        Ok(RoiAnalyser {
            settings,
            faces,
            previous_luma: Vec::new(),
            face_regions: Vec::new(),
            frames: 0,
            plan: RoiPlan::default(),
        })
    }

    /// Analyses the next frame of the video.
    pub fn analyse(&mut self, frame: &Frame) -> Result<&RoiPlan, AnalysisError> {
        let image = Image::frame(frame);
        let (w, h) = (frame.width(), frame.height());
        let mut regions = Vec::new();
        for method in &self.settings.methods {
            match method {
                RoiMethod::Face => {
                    if let Some(detector) = self.faces {
                        if self.frames % u64::from(self.settings.face_interval.max(1)) == 0 {
                            self.face_regions = detector.detect(&image, &self.settings.face)?;
                        }
                        regions.extend_from_slice(&self.face_regions);
                    }
                }
                RoiMethod::Text => regions.extend(detect_edges(&image, &EdgeParams::default())?),
                RoiMethod::Motion => {
                    if self.previous_luma.len() == w * h {
                        let previous = Image::gray(&self.previous_luma, w, h)?;
                        regions.extend(detect_motion(&image, &previous, &MotionParams::default())?);
                    }
                }
            }
        }
        let luma = image.luma();
        let previous = (self.previous_luma.len() == luma.len()).then_some(self.previous_luma.as_slice());
        let costs = macroblock_costs(&luma, previous, w, h, frame.mb_cols(), frame.mb_rows());
        self.plan.coded.clear();
        self.plan.coded.extend(regions.iter().copied().filter(|r| is_coded(r, w * h)));
        self.plan.qp_offsets =
            qp_offsets_for(&self.plan.coded, frame.mb_cols(), frame.mb_rows(), self.settings.roi_qp_offset, &costs);
        self.previous_luma = luma;
        self.plan.regions = regions;
        self.plan.palette = match self.settings.palette_colors {
            0 => None,
            n => Some(kmeans_palette(&image, &KMeansParams::new(n))?),
        };
        self.frames += 1;
        Ok(&self.plan)
    }
}

/// Per-macroblock QP offsets for `regions` over a `mb_cols` x `mb_rows`
/// frame: up to `roi_offset` where a macroblock touches a region, and
/// elsewhere the positive offset that keeps the estimated bits of `costs`
/// (per macroblock, raster order; empty: all alike) unchanged, see
/// `balanced_offsets`. Empty when no macroblock is in a region or the
/// offset is 0.
pub fn qp_offsets_for(regions: &[Roi], mb_cols: usize, mb_rows: usize, roi_offset: i8, costs: &[f32]) -> Vec<i8> {
    let total = mb_cols * mb_rows;
    if roi_offset == 0 || total == 0 {
        return Vec::new();
    }
    let inside = inside_mask(regions, mb_cols, mb_rows);
    if costs.len() == total {
        balanced_offsets(&inside, costs, roi_offset)
    } else {
        balanced_offsets(&inside, &vec![1.0; total], roi_offset)
    }
}

/// Which macroblocks touch a region (regions past the frame are clipped).
fn inside_mask(regions: &[Roi], mb_cols: usize, mb_rows: usize) -> Vec<bool> {
    let mut inside = vec![false; mb_cols * mb_rows];
    for r in regions {
        let (x0, y0) = (r.x as usize / MB_SIZE, r.y as usize / MB_SIZE);
        let x1 = ((r.x as usize + r.width.max(1) as usize - 1) / MB_SIZE).min(mb_cols - 1);
        let y1 = ((r.y as usize + r.height.max(1) as usize - 1) / MB_SIZE).min(mb_rows - 1);
        for y in y0..=y1.max(y0).min(mb_rows - 1) {
            for x in x0.min(mb_cols - 1)..=x1 {
                inside[y * mb_cols + x] = true;
            }
        }
    }
    inside
}

/// The side data the next packets carry, owned by the encoder.
#[derive(Debug, Default)]
pub(super) struct SideData {
    pub regions: Vec<RoiRegion>,
    colors: Vec<Color>,
    weights: Vec<f32>,
    has_palette: bool,
}

impl SideData {
    pub fn set(&mut self, regions: &[RoiRegion], palette: Option<&Palette>) {
        self.regions.clear();
        self.regions.extend_from_slice(regions);
        self.colors.clear();
        self.weights.clear();
        self.has_palette = palette.is_some();
        if let Some(p) = palette {
            self.colors.extend(p.schema_colors());
            self.weights.extend_from_slice(&p.weights);
        }
    }

    pub fn palette(&self) -> Option<PacketPalette<'_>> {
        self.has_palette.then_some(PacketPalette { colors: &self.colors, weights: &self.weights })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roi(x: u32, y: u32, w: u32, h: u32) -> Roi {
        Roi { x, y, width: w, height: h, kind: RoiType::Face, confidence: 1.0 }
    }

    #[test]
    fn offsets_mark_touched_macroblocks_and_balance() {
        // 4x4 macroblocks; a region covering pixels 10..40 x 0..16 touches
        // columns 0..=2 of row 0: 3 of 16 inside. All alike: 3 macroblocks
        // at -6 (twice the bits) are paid for by 13 at +2 (0.79x the bits).
        let offsets = qp_offsets_for(&[roi(10, 0, 30, 16)], 4, 4, -6, &[]);
        assert_eq!(&offsets[..4], &[-6, -6, -6, 2]);
        assert!(offsets[4..].iter().all(|&o| o == 2), "{offsets:?}");
        assert!(qp_offsets_for(&[], 4, 4, -6, &[]).is_empty());
        assert!(qp_offsets_for(&[roi(0, 0, 16, 16)], 4, 4, 0, &[]).is_empty());
        // Regions past the frame are clipped, never out of bounds.
        let edge = qp_offsets_for(&[roi(60, 60, 500, 500)], 4, 4, -4, &[]);
        assert_eq!(edge[15], -4);
        // Costly outside, cheap inside: the outside needs only a step.
        let costs: Vec<f32> = (0..16).map(|i| if i < 3 { 10.0 } else { 1000.0 }).collect();
        let cheap = qp_offsets_for(&[roi(10, 0, 30, 16)], 4, 4, -6, &costs);
        assert_eq!((cheap[0], cheap[15]), (-6, 0), "{cheap:?}");
    }

    #[test]
    fn edges_and_scene_sized_motion_are_side_data_only() {
        let picture = 1280 * 720;
        let kind = |kind, w, h| Roi { x: 0, y: 0, width: w, height: h, kind, confidence: 1.0 };
        assert!(is_coded(&kind(RoiType::Motion, 320, 180), picture), "1/16 of the picture");
        assert!(!is_coded(&kind(RoiType::Motion, 640, 360), picture), "1/4 of the picture");
        assert!(is_coded(&kind(RoiType::Face, 640, 360), picture), "a close-up face stays");
        assert!(!is_coded(&kind(RoiType::Edge, 32, 32), picture));
    }

    #[test]
    fn analyser_finds_motion_from_the_second_frame() {
        let mut analyser = RoiAnalyser::new(RoiSettings::new(vec![RoiMethod::Motion])).unwrap();
        let mut frame = Frame::new(128, 64, &asp_core::Limits::DEFAULT).unwrap();
        // A bright square moving over a background whose texture changes
        // a little (grain), so that the outside has bits to give.
        let paint = |frame: &mut Frame, x0: usize| {
            for (i, p) in frame.y.iter_mut().enumerate() {
                let (x, y) = (i % 128, i / 128);
                let grain = ((x * 7 + y * 13 + x0 * 5) % 9) as u8;
                *p = if (x0..x0 + 20).contains(&x) && (20..40).contains(&y) { 230 } else { 40 + (x as u8 / 4) + grain };
            }
        };
        paint(&mut frame, 20);
        assert!(analyser.analyse(&frame).unwrap().regions.is_empty());
        paint(&mut frame, 28);
        let plan = analyser.analyse(&frame).unwrap();
        assert_eq!(plan.regions.len(), 1, "{:?}", plan.regions);
        assert_eq!(plan.qp_offsets.len(), 8 * 4);
        // The square's macroblocks finer (as far as the grain can pay
        // for), the rest coarser or unchanged.
        let (min, max) = (plan.qp_offsets.iter().min().unwrap(), plan.qp_offsets.iter().max().unwrap());
        assert!((-3..0).contains(min) && (0..=budget::MAX_OUTSIDE_OFFSET).contains(max), "{:?}", plan.qp_offsets);
        assert_eq!(plan.schema_regions()[0].roi_type(), RoiType::Motion);
    }
}
