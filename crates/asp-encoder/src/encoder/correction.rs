//! C-packets (corrections): a finer layer over the regions of interest.
//!
//! After a frame is encoded, [`Corrector::correct`] codes the difference
//! between the source and what the decoder shows, inside the regions only,
//! at a finer QP, with asp-core's correction syntax
//! ([`asp_core::codec::correction`]). The packet is flagged DISCARDABLE and
//! carries the refined frame's sequence number: nothing ever predicts from
//! it, so a viewer short of bandwidth drops it and sees the base stream,
//! bit for bit.
//!
//! Only the blocks that gain are refined: a block whose quantised
//! correction is a few scattered ±1 levels costs more bits than the
//! error it removes (x264's "decimation" rule), and a macroblock whose
//! luma blocks together score that low is left alone entirely. Those are
//! most blocks when the refinement QP is only a few steps finer than the
//! base picture's.

use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::quant::{Qp, Quantiser, RoundingOffset, ZIGZAG_8X8};
use asp_core::codec::range_coder::RangeEncoder;
use asp_core::codec::recon::chroma_qp;
use asp_core::codec::correction::{code_correction_mb, MbCorrection, CorrectionModels, RegionWalk, MAX_CORRECTED_REGIONS};
use asp_core::codec::transform::forward_diff_8x8;
use asp_core::packet::{flags, Correction, PacketWriter};
use asp_core::schema::RoiRegion;

use super::quantise::decimation_score;
use super::EncodeError;

/// Writes C-packets. Keep one per stream: its buffers are reused.
pub struct Corrector {
    writer: PacketWriter,
    regions: Vec<RoiRegion>,
    sizes: Vec<u32>,
    data: Vec<u8>,
}

impl Default for Corrector {
    fn default() -> Self {
        Corrector::new()
    }
}

impl Corrector {
    /// A corrector with empty buffers.
    pub fn new() -> Corrector {
        Corrector { writer: PacketWriter::new(), regions: Vec::new(), sizes: Vec::new(), data: Vec::new() }
    }

    /// The C-packet refining `displayed` (the decoder's picture of frame
    /// `sequence`) towards `source` inside `regions`, at `qp`; `None` when
    /// no region lies inside the frame or nothing needs refining. Regions
    /// past [`MAX_CORRECTED_REGIONS`] are left out.
    pub fn correct(
        &mut self,
        source: &Frame,
        displayed: &Frame,
        regions: &[RoiRegion],
        sequence: u32,
        capture_time_us: u64,
        qp: Qp,
    ) -> Result<Option<&[u8]>, EncodeError> {
        let (found, expected) = ((source.width(), source.height()), (displayed.width(), displayed.height()));
        if found != expected {
            return Err(EncodeError::SizeMismatch { expected, found });
        }
        self.regions.clear();
        self.sizes.clear();
        self.data.clear();
        let mut walk = RegionWalk::new(source.mb_cols(), source.mb_rows());
        let mut any_level = false;
        for region in regions.iter().take(MAX_CORRECTED_REGIONS) {
            let Some(mbs) = walk.next_region(region.bounds()) else { continue };
            let mut bins = RangeEncoder::new();
            let mut models = CorrectionModels::default();
            for (mb_x, mb_y) in mbs {
                let mut levels = quantised_difference(source, displayed, mb_x, mb_y, qp);
                any_level |= levels.iter().flatten().any(|&l| l != 0);
                // Levels come from the quantiser, within the coder's range.
                let _ = code_correction_mb(&mut bins, &mut models, &mut levels);
            }
            let coded = bins.finish();
            self.regions.push(*region);
            self.sizes.push(coded.len() as u32);
            self.data.extend_from_slice(&coded);
        }
        if !any_level {
            return Ok(None);
        }
        let correction = Correction {
            ref_sequence: sequence,
            capture_time_us,
            qp: qp.get(),
            regions: &self.regions,
            sizes: &self.sizes,
            data: &self.data,
        };
        let packet = self.writer.write_c(sequence, flags::DISCARDABLE, &correction).map_err(EncodeError::Packet)?;
        Ok(Some(packet))
    }
}

/// The six blocks' quantised `source - displayed`, in scan order, with
/// the blocks that would not pay for themselves zeroed.
fn quantised_difference(source: &Frame, displayed: &Frame, mb_x: usize, mb_y: usize, qp: Qp) -> MbCorrection {
    let mut levels: MbCorrection = [[0; 64]; 6];
    let (ls, cs) = (source.luma_stride(), source.chroma_stride());
    for (q, out) in levels[..4].iter_mut().enumerate() {
        let at = (mb_y * MB_SIZE + (q / 2) * 8) * ls + mb_x * MB_SIZE + (q % 2) * 8;
        quantise_block(&source.y[at..], &displayed.y[at..], ls, qp, out);
    }
    let at = mb_y * 8 * cs + mb_x * 8;
    let cqp = chroma_qp(qp);
    quantise_block(&source.u[at..], &displayed.u[at..], cs, cqp, &mut levels[4]);
    quantise_block(&source.v[at..], &displayed.v[at..], cs, cqp, &mut levels[5]);
    keep_what_gains(&mut levels);
    levels
}

/// Decimation scores below which a correction is not worth its bits
/// (x264's thresholds for inter macroblocks): a luma 8x8 block, the four
/// luma blocks together, a chroma block.
const LUMA_BLOCK_WORTH: u32 = 4;
const LUMA_MB_WORTH: u32 = 6;
const CHROMA_BLOCK_WORTH: u32 = 7;

/// Zeroes the blocks of `levels` that cost more than they correct: each
/// luma block scoring under [`LUMA_BLOCK_WORTH`], then the whole luma if
/// what is left scores under [`LUMA_MB_WORTH`], and each chroma block
/// under [`CHROMA_BLOCK_WORTH`].
fn keep_what_gains(levels: &mut MbCorrection) {
    let (luma, chroma) = levels.split_at_mut(4);
    let mut luma_score = 0u32;
    for block in luma.iter_mut() {
        let score = decimation_score(block);
        if score < LUMA_BLOCK_WORTH {
            block.fill(0);
        } else {
            luma_score = luma_score.saturating_add(score);
        }
    }
    if luma_score < LUMA_MB_WORTH {
        luma.iter_mut().for_each(|b| b.fill(0));
    }
    for block in chroma.iter_mut() {
        if decimation_score(block) < CHROMA_BLOCK_WORTH {
            block.fill(0);
        }
    }
}

fn quantise_block(src: &[u8], shown: &[u8], stride: usize, qp: Qp, out: &mut [i32; 64]) {
    let Ok(coeffs) = forward_diff_8x8(src, stride, shown, stride) else { return };
    // Intra-style rounding: a refinement is worth sending only where it corrects.
    let raster = Quantiser::FLAT.quantise_8x8(&coeffs, qp, RoundingOffset::INTRA);
    for (scan, &pos) in ZIGZAG_8X8.iter().enumerate() {
        out[scan] = raster[usize::from(pos)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scattered_ones_are_dropped_and_real_corrections_kept() {
        let mut levels: MbCorrection = [[0; 64]; 6];
        // Block 0: two far-apart ±1s (score 1: dropped). Block 1: a 2
        // (always kept). Block 4 (chroma): a dense run of ±1s (kept).
        levels[0][3] = 1;
        levels[0][40] = -1;
        assert_eq!(decimation_score(&levels[0]), 1);
        levels[1][0] = 2;
        levels[4][..6].copy_from_slice(&[1, -1, 1, 1, -1, 1]);
        keep_what_gains(&mut levels);
        assert!(levels[0].iter().all(|&l| l == 0));
        assert_eq!(levels[1][0], 2, "a level over 1 always pays");
        assert_eq!(levels[4][..6], [1, -1, 1, 1, -1, 1]);
        // Chroma ±1s that score under 7 go.
        let mut chroma: MbCorrection = [[0; 64]; 6];
        chroma[5][..2].copy_from_slice(&[1, 1]);
        keep_what_gains(&mut chroma);
        assert!(chroma[5].iter().all(|&l| l == 0));
    }

    #[test]
    fn a_macroblock_with_too_little_luma_left_drops_all_of_it() {
        // One luma block passes on its own (score 4 or 5) but the
        // macroblock's luma in total scores under 6: all luma goes.
        let mut thin: MbCorrection = [[0; 64]; 6];
        thin[2][0] = 1;
        thin[2][2] = 1;
        let score = decimation_score(&thin[2]);
        assert!((LUMA_BLOCK_WORTH..LUMA_MB_WORTH).contains(&score), "{score}");
        keep_what_gains(&mut thin);
        assert!(thin.iter().flatten().all(|&l| l == 0));
        // Two such blocks together are worth it.
        let mut two: MbCorrection = [[0; 64]; 6];
        for b in [1, 2] {
            two[b][0] = 1;
            two[b][2] = -1;
        }
        keep_what_gains(&mut two);
        assert_eq!((two[1][0], two[2][2]), (1, -1));
    }
}
