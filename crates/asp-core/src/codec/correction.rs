//! C-packets (corrections): finer residual for the regions of interest of
//! a displayed frame, applied to the picture shown and never to the
//! reference.
//!
//! A C-packet follows the I or D packet it refines (`ref_sequence`). Its
//! `regions` are rectangles in luma pixels; each covers the macroblocks it
//! touches, and entry `i` of `tile_sizes`/`tile_data` codes region `i`'s
//! macroblocks in raster order (a macroblock already refined by an earlier
//! region is skipped, so overlaps cost nothing). Per macroblock: a
//! coded-block flag for each of its six 8x8 blocks (four luma, Cb, Cr),
//! then the levels of each coded block with the codec's residual coding
//! ([`code_block`]), dequantised at the packet's `qp` (chroma at
//! [`chroma_qp`]) and added to the displayed picture with the codec's
//! inverse transform. Each region is an independent range-coder stream
//! with fresh models.
//!
//! Because the decoder's reference is never touched, a receiver that
//! drops C-packets shows exactly the base stream: no drift.

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::bins::Bins;
use super::frame::{Frame, MB_SIZE};
use super::quant::Qp;
use super::range_coder::{BitModel, RangeDecoder};
use super::recon::{add_residual_8x8, chroma_qp};
use super::residual::{code_block, ResidualError, ResidualModels};
use crate::packet::Tiles;
use crate::schema::{CPacketPayload, Rect};

/// Most regions one C-packet may refine; more is treated as damage.
pub const MAX_CORRECTED_REGIONS: usize = 256;

/// Why a C-packet was not applied (the picture is then left as it was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorrectionError {
    /// The packet refines a different frame than the one given.
    WrongFrame {
        /// The frame the packet refines.
        wanted: u32,
        /// The frame given.
        have: u32,
    },
    /// The QP is over 51.
    QpOutOfRange(u8),
    /// More regions than [`MAX_CORRECTED_REGIONS`].
    RegionCount {
        /// Regions listed.
        regions: usize,
        /// The cap.
        max: usize,
    },
    /// A region lies (partly) outside the frame or is empty.
    RegionOutside(usize),
    /// A region's coded data ends early or holds an impossible level.
    Damaged(usize),
}

impl fmt::Display for CorrectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CorrectionError::WrongFrame { wanted, have } => write!(f, "refines frame {wanted}, the frame shown is {have}"),
            CorrectionError::QpOutOfRange(qp) => write!(f, "refinement QP {qp} is over {}", Qp::MAX),
            CorrectionError::RegionCount { regions, max } => write!(f, "{regions} regions, at most {max}"),
            CorrectionError::RegionOutside(i) => write!(f, "region {i} is empty or outside the frame"),
            CorrectionError::Damaged(i) => write!(f, "region {i}'s coded data is damaged"),
        }
    }
}

impl core::error::Error for CorrectionError {}

/// The macroblocks `(x0, y0, x1, y1)` (inclusive) a rectangle touches, or
/// `None` if it is empty or not inside a `mb_cols` x `mb_rows` frame.
pub fn region_macroblocks(bounds: &Rect, mb_cols: usize, mb_rows: usize) -> Option<(usize, usize, usize, usize)> {
    let (x, y) = (bounds.x() as usize, bounds.y() as usize);
    let (w, h) = (bounds.width() as usize, bounds.height() as usize);
    if w == 0 || h == 0 {
        return None;
    }
    let (x1, y1) = ((x.checked_add(w)? - 1) / MB_SIZE, (y.checked_add(h)? - 1) / MB_SIZE);
    (x1 < mb_cols && y1 < mb_rows).then_some((x / MB_SIZE, y / MB_SIZE, x1, y1))
}

/// Adaptive models of one region's stream.
#[derive(Clone, Debug, Default)]
pub struct CorrectionModels {
    coded: [BitModel; 2],
    luma: ResidualModels,
    chroma: ResidualModels,
}

/// Levels of one macroblock's six 8x8 blocks, in scan order: four luma
/// (raster), then Cb, then Cr.
pub type MbCorrection = [[i32; 64]; 6];

/// Codes one macroblock's refinement (both directions, see [`Bins`]).
pub fn code_correction_mb<B: Bins>(
    bins: &mut B,
    models: &mut CorrectionModels,
    levels: &mut MbCorrection,
) -> Result<(), ResidualError> {
    for (i, block) in levels.iter_mut().enumerate() {
        let plane = usize::from(i >= 4);
        if bins.bin(&mut models.coded[plane], block.iter().any(|&l| l != 0)) {
            let block_models = if plane == 0 { &mut models.luma } else { &mut models.chroma };
            code_block(bins, block_models, block)?;
        } else {
            block.fill(0);
        }
    }
    Ok(())
}

/// Marks, region after region, which macroblocks each region refines:
/// the ones it touches that no earlier region did. Shared by the encoder
/// and the decoder so both skip the same overlaps.
pub struct RegionWalk {
    mb_cols: usize,
    mb_rows: usize,
    done: Vec<bool>,
}

impl RegionWalk {
    /// A walk over a frame of `mb_cols` x `mb_rows` macroblocks.
    pub fn new(mb_cols: usize, mb_rows: usize) -> RegionWalk {
        RegionWalk { mb_cols, mb_rows, done: vec![false; mb_cols * mb_rows] }
    }

    /// The macroblocks `(mb_x, mb_y)` region `bounds` refines, in raster
    /// order, now marked done; `None` if the region is not inside the frame.
    pub fn next_region(&mut self, bounds: &Rect) -> Option<Vec<(usize, usize)>> {
        let (x0, y0, x1, y1) = region_macroblocks(bounds, self.mb_cols, self.mb_rows)?;
        let mut mbs = Vec::new();
        for y in y0..=y1 {
            for x in x0..=x1 {
                let seen = &mut self.done[y * self.mb_cols + x];
                if !*seen {
                    *seen = true;
                    mbs.push((x, y));
                }
            }
        }
        Some(mbs)
    }
}

/// Adds one macroblock's refinement to `frame`.
pub fn add_correction_mb(frame: &mut Frame, mb_x: usize, mb_y: usize, qp: Qp, levels: &MbCorrection) {
    let (ls, cs) = (frame.luma_stride(), frame.chroma_stride());
    for (q, block) in levels[..4].iter().enumerate() {
        let (x, y) = (mb_x * MB_SIZE + (q % 2) * 8, mb_y * MB_SIZE + (q / 2) * 8);
        add_residual_8x8(block, qp, &mut frame.y[y * ls + x..], ls);
    }
    let offset = mb_y * 8 * cs + mb_x * 8;
    let cqp = chroma_qp(qp);
    add_residual_8x8(&levels[4], cqp, &mut frame.u[offset..], cs);
    add_residual_8x8(&levels[5], cqp, &mut frame.v[offset..], cs);
}

/// Applies a C-packet to the displayed frame `frame` (sequence
/// `sequence`). On error the frame may be partly refined (whole regions
/// before the damaged one), never corrupted; callers that must show all
/// or nothing refine a copy.
pub fn apply_correction(frame: &mut Frame, sequence: u32, payload: &CPacketPayload<'_>) -> Result<(), CorrectionError> {
    if payload.ref_sequence() != sequence {
        return Err(CorrectionError::WrongFrame { wanted: payload.ref_sequence(), have: sequence });
    }
    let qp = Qp::new(payload.qp()).ok_or(CorrectionError::QpOutOfRange(payload.qp()))?;
    let regions = payload.regions().map_or(0, |r| r.len());
    if regions > MAX_CORRECTED_REGIONS {
        return Err(CorrectionError::RegionCount { regions, max: MAX_CORRECTED_REGIONS });
    }
    let Some(list) = payload.regions() else { return Ok(()) };
    // One coded entry per region; the packet verifier checked the sizes.
    let mut entries = Tiles::of_correction(payload);
    let mut walk = RegionWalk::new(frame.mb_cols(), frame.mb_rows());
    let mut levels: MbCorrection = [[0; 64]; 6];
    for (i, region) in list.iter().enumerate() {
        let entry = entries.next().ok_or(CorrectionError::Damaged(i))?;
        let mbs = walk.next_region(region.bounds()).ok_or(CorrectionError::RegionOutside(i))?;
        let mut bins = RangeDecoder::new(entry);
        let mut models = CorrectionModels::default();
        for (mb_x, mb_y) in mbs {
            code_correction_mb(&mut bins, &mut models, &mut levels).map_err(|_| CorrectionError::Damaged(i))?;
            if bins.overrun() {
                return Err(CorrectionError::Damaged(i));
            }
            add_correction_mb(frame, mb_x, mb_y, qp, &levels);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::range_coder::RangeEncoder;

    #[test]
    fn regions_touch_the_right_macroblocks_and_overlaps_are_skipped() {
        let r = |x, y, w, h| Rect::new(x, y, w, h);
        assert_eq!(region_macroblocks(&r(10, 0, 30, 16), 4, 4), Some((0, 0, 2, 0)));
        assert_eq!(region_macroblocks(&r(0, 0, 0, 16), 4, 4), None);
        assert_eq!(region_macroblocks(&r(60, 0, 5, 1), 4, 4), None, "past the right edge");
        assert_eq!(region_macroblocks(&r(u32::MAX, 0, 5, 1), 4, 4), None);
        let mut walk = RegionWalk::new(4, 4);
        assert_eq!(walk.next_region(&r(0, 0, 32, 16)).unwrap(), vec![(0, 0), (1, 0)]);
        assert_eq!(walk.next_region(&r(16, 0, 32, 32)).unwrap(), vec![(2, 0), (1, 1), (2, 1)]);
    }

    #[test]
    fn a_macroblock_round_trips_through_the_coder() {
        let mut levels: MbCorrection = [[0; 64]; 6];
        levels[0][0] = 5;
        levels[0][3] = -2;
        levels[3][10] = 1;
        levels[5][0] = -7;
        let mut enc = RangeEncoder::new();
        let mut models = CorrectionModels::default();
        let mut copy = levels;
        code_correction_mb(&mut enc, &mut models, &mut copy).unwrap();
        let data = enc.finish();
        let mut dec = RangeDecoder::new(&data);
        let mut out: MbCorrection = [[9; 64]; 6];
        code_correction_mb(&mut dec, &mut CorrectionModels::default(), &mut out).unwrap();
        assert_eq!(out, levels);
    }
}
