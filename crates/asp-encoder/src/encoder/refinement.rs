//! C-packets: the refinement layer over the regions of interest.
//!
//! After a frame is encoded, [`Refiner::refine`] codes the difference
//! between the source and what the decoder shows, inside the regions only,
//! at a finer QP, with asp-core's refinement syntax
//! ([`asp_core::codec::refinement`]). The packet is flagged DISCARDABLE and
//! carries the refined frame's sequence number: nothing ever predicts from
//! it, so a viewer short of bandwidth drops it and sees the base stream,
//! bit for bit.

use asp_core::codec::frame::{Frame, MB_SIZE};
use asp_core::codec::quant::{Qp, Quantiser, RoundingOffset, ZIGZAG_8X8};
use asp_core::codec::range_coder::RangeEncoder;
use asp_core::codec::recon::chroma_qp;
use asp_core::codec::refinement::{code_refinement_mb, MbRefinement, RefineModels, RegionWalk, MAX_REFINED_REGIONS};
use asp_core::codec::transform::forward_diff_8x8;
use asp_core::packet::{flags, Correction, PacketWriter};
use asp_core::schema::RoiRegion;

use super::EncodeError;

/// Writes C-packets. Keep one per stream: its buffers are reused.
pub struct Refiner {
    writer: PacketWriter,
    regions: Vec<RoiRegion>,
    sizes: Vec<u32>,
    data: Vec<u8>,
}

impl Default for Refiner {
    fn default() -> Self {
        Refiner::new()
    }
}

impl Refiner {
    /// A refiner with empty buffers.
    pub fn new() -> Refiner {
        Refiner { writer: PacketWriter::new(), regions: Vec::new(), sizes: Vec::new(), data: Vec::new() }
    }

    /// The C-packet refining `displayed` (the decoder's picture of frame
    /// `sequence`) towards `source` inside `regions`, at `qp`; `None` when
    /// no region lies inside the frame or nothing needs refining. Regions
    /// past [`MAX_REFINED_REGIONS`] are left out.
    pub fn refine(
        &mut self,
        source: &Frame,
        displayed: &Frame,
        regions: &[RoiRegion],
        sequence: u32,
        capture_time_us: u64,
        qp: u8,
    ) -> Result<Option<&[u8]>, EncodeError> {
        if qp > 51 {
            return Err(EncodeError::BadQp(qp));
        }
        let (found, expected) = ((source.width(), source.height()), (displayed.width(), displayed.height()));
        if found != expected {
            return Err(EncodeError::SizeMismatch { expected, found });
        }
        self.regions.clear();
        self.sizes.clear();
        self.data.clear();
        let mut walk = RegionWalk::new(source.mb_cols(), source.mb_rows());
        let mut any_level = false;
        for region in regions.iter().take(MAX_REFINED_REGIONS) {
            let Some(mbs) = walk.next_region(region.bounds()) else { continue };
            let mut bins = RangeEncoder::new();
            let mut models = RefineModels::default();
            for (mb_x, mb_y) in mbs {
                let mut levels = quantised_difference(source, displayed, mb_x, mb_y, qp);
                any_level |= levels.iter().flatten().any(|&l| l != 0);
                // Levels come from the quantiser, within the coder's range.
                let _ = code_refinement_mb(&mut bins, &mut models, &mut levels);
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
            qp,
            regions: &self.regions,
            sizes: &self.sizes,
            data: &self.data,
        };
        let packet = self.writer.write_c(sequence, flags::DISCARDABLE, &correction).map_err(EncodeError::Packet)?;
        Ok(Some(packet))
    }
}

/// The six blocks' quantised `source - displayed`, in scan order.
fn quantised_difference(source: &Frame, displayed: &Frame, mb_x: usize, mb_y: usize, qp: u8) -> MbRefinement {
    let mut levels: MbRefinement = [[0; 64]; 6];
    let (ls, cs) = (source.luma_stride(), source.chroma_stride());
    let luma_qp = Qp::saturating(i32::from(qp));
    for (q, out) in levels[..4].iter_mut().enumerate() {
        let at = (mb_y * MB_SIZE + (q / 2) * 8) * ls + mb_x * MB_SIZE + (q % 2) * 8;
        quantise_block(&source.y[at..], &displayed.y[at..], ls, luma_qp, out);
    }
    let at = mb_y * 8 * cs + mb_x * 8;
    let cqp = Qp::saturating(i32::from(chroma_qp(qp)));
    quantise_block(&source.u[at..], &displayed.u[at..], cs, cqp, &mut levels[4]);
    quantise_block(&source.v[at..], &displayed.v[at..], cs, cqp, &mut levels[5]);
    levels
}

fn quantise_block(src: &[u8], shown: &[u8], stride: usize, qp: Qp, out: &mut [i32; 64]) {
    let Ok(coeffs) = forward_diff_8x8(src, stride, shown, stride) else { return };
    // Intra-style rounding: a refinement is worth sending only where it corrects.
    let raster = Quantiser::FLAT.quantise_8x8(&coeffs, qp, RoundingOffset::INTRA);
    for (scan, &pos) in ZIGZAG_8X8.iter().enumerate() {
        out[scan] = raster[usize::from(pos)];
    }
}
