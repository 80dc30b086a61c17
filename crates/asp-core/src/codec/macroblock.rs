//! Macroblock syntax: modes, motion vectors, coded-block pattern and QP,
//! coded with context models that look at the already-coded neighbours.
//!
//! A macroblock is 16x16 luma samples and 8x8 in each chroma plane. Its
//! header says how it is predicted:
//!
//! * `Skip` (delta frames only): the predicted motion vector, no residual;
//! * `Inter16` / `Inter8`: one quarter-pel vector for the macroblock, or one
//!   per 8x8 quarter, each coded as a difference from its predictor (the
//!   median of the left, top and top-right neighbours, as in H.264);
//! * `Intra`: a spatial prediction mode for luma and for chroma;
//! * `Pattern`: a procedural fill (solid colour or gradient) with explicit
//!   parameters — the seed's idea: a flat or gradient region costs a handful
//!   of bytes.
//!
//! then which 8x8 blocks carry residual (the coded-block pattern: four luma
//! bits, one each for Cb and Cr), when luma does, the luma transform size
//! (one 8x8 or four 4x4 transforms per 8x8 block: small transforms keep
//! sharp edges such as text from ringing across the block), and when any
//! block does, the change of QP.
//!
//! Neighbours across a tile edge are unavailable: tiles decode
//! independently.

use super::bins::{signed, unary_exp_golomb, Bins};
use super::intra::{GradientLinear, GradientRadial, IntraMode, Pattern};
use super::range_coder::BitModel;
use super::residual::{code_block, ResidualError, ResidualModels};
use super::mv::QpelMv;
use super::quant::Qp;
use super::tiles::Tile;

/// Largest vector component accepted, in quarter samples (±1024 samples:
/// far beyond any search, small enough that positions never overflow).
pub const MV_LIMIT: i32 = 4096;

/// Whether a frame is intra-only or predicted from the previous frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Intra,
    Inter,
}

/// How a macroblock is predicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MbMode {
    Skip,
    Inter16(QpelMv),
    /// One vector per 8x8 quarter, raster order.
    Inter8([QpelMv; 4]),
    Intra { luma: IntraMode, chroma: IntraMode },
    /// Intra prediction per 8x8 luma quarter (raster order), each predicted
    /// from the reconstruction of the quarters before it; one chroma mode.
    Intra8 { luma: [IntraMode; 4], chroma: IntraMode },
    /// A procedural luma fill; chroma is solid.
    Pattern { luma: Pattern, cb: u8, cr: u8 },
}

impl MbMode {
    pub fn is_intra(&self) -> bool {
        matches!(self, MbMode::Intra { .. } | MbMode::Intra8 { .. } | MbMode::Pattern { .. })
    }

    /// The vector of each 8x8 quarter (zero for intra).
    pub fn block_mvs(&self) -> [QpelMv; 4] {
        match *self {
            MbMode::Inter16(mv) => [mv; 4],
            MbMode::Inter8(mvs) => mvs,
            _ => [QpelMv::ZERO; 4],
        }
    }
}

/// A macroblock header as coded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MbHeader {
    pub mode: MbMode,
    /// Bits 0..=3: luma 8x8 blocks (raster) with residual; bit 4: Cb; bit 5: Cr.
    pub cbp: u8,
    /// The macroblock's QP. Coded as a change from the previous
    /// macroblock's QP, only when `cbp != 0`; otherwise it inherits it.
    pub qp: Qp,
    /// Luma residual in 4x4 transforms (four per coded 8x8 block) instead
    /// of 8x8 ones. Coded only when luma has residual; false otherwise.
    pub transform_4x4: bool,
}

impl MbHeader {
    /// A header to decode into.
    pub fn empty(qp: Qp) -> MbHeader {
        MbHeader { mode: MbMode::Skip, cbp: 0, qp, transform_4x4: false }
    }
}

/// What later macroblocks need to know about a coded one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MbInfo {
    pub coded: bool,
    pub skip: bool,
    pub intra: bool,
    pub split: bool,
    pub pattern: bool,
    pub cbp: u8,
    pub qp: Qp,
    pub transform_4x4: bool,
    /// Vector of each 8x8 quarter.
    pub mvs: [QpelMv; 4],
    /// |mvd| of each quarter, per component, for the vector contexts.
    pub mvd_abs: [[u16; 2]; 4],
    /// Intra mode of each luma quarter (spatial intra macroblocks), for
    /// predicting the modes of the quarters that follow.
    pub quarter_modes: [IntraMode; 4],
}

/// Why a macroblock header could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyntaxError {
    /// A motion vector component beyond ±[`MV_LIMIT`].
    MvOutOfRange,
    /// A QP change leaving 0..=51.
    QpOutOfRange,
    /// A pattern parameter out of its range.
    PatternOutOfRange,
}

const MVD_TAIL: usize = 6;

/// The adaptive models of the macroblock layer (one set per tile).
#[derive(Clone, Debug)]
pub struct MbModels {
    skip: [BitModel; 3],
    intra: [BitModel; 3],
    pattern: [BitModel; 3],
    split: [BitModel; 3],
    luma_mode: [BitModel; 3],
    intra8: [BitModel; 3],
    /// Quarter modes: "same as the predicted mode?", then the mode.
    quarter_same: [BitModel; 2],
    quarter_mode: [BitModel; 3],
    chroma_mode: [BitModel; 3],
    mvd_zero: [[BitModel; 3]; 2],
    mvd_tail: [[BitModel; MVD_TAIL]; 2],
    cbp_luma: [BitModel; 4],
    cbp_chroma: [[BitModel; 4]; 2],
    qp_delta: [BitModel; 4],
    transform_4x4: [BitModel; 3],
    /// "Does this 4x4 block of a coded 8x8 block have residual?", by its
    /// position in the 8x8 block.
    coded_4x4: [BitModel; 4],
    pattern_kind: [BitModel; 2],
    pattern_value: [BitModel; 4],
    pattern_slope: [BitModel; 4],
}

impl Default for MbModels {
    fn default() -> Self {
        let m = BitModel::new();
        MbModels {
            skip: [m; 3],
            intra: [m; 3],
            pattern: [m; 3],
            split: [m; 3],
            luma_mode: [m; 3],
            intra8: [m; 3],
            quarter_same: [m; 2],
            quarter_mode: [m; 3],
            chroma_mode: [m; 3],
            mvd_zero: [[m; 3]; 2],
            mvd_tail: [[m; MVD_TAIL]; 2],
            cbp_luma: [m; 4],
            cbp_chroma: [[m; 4]; 2],
            qp_delta: [m; 4],
            transform_4x4: [m; 3],
            coded_4x4: [m; 4],
            pattern_kind: [m; 2],
            pattern_value: [m; 4],
            pattern_slope: [m; 4],
        }
    }
}

/// Every adaptive model of one tile: macroblock syntax and coefficients.
/// Each tile starts from fresh models (tiles are independent).
#[derive(Clone, Debug, Default)]
pub struct TileModels {
    pub mb: MbModels,
    pub luma: ResidualModels,
    /// Luma 4x4 blocks.
    pub luma_4x4: ResidualModels,
    pub chroma: ResidualModels,
}

/// A macroblock's quantised levels in scan order: four luma 8x8 blocks
/// (raster order), then Cb and Cr 8x8 blocks. With 4x4 luma transforms, a
/// luma block's 64 levels are its four 4x4 blocks (raster order within the
/// 8x8 block), 16 levels each in 4x4 scan order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MbLevels {
    pub luma: [[i32; 64]; 4],
    pub chroma: [[i32; 64]; 2],
}

impl Default for MbLevels {
    fn default() -> Self {
        MbLevels { luma: [[0; 64]; 4], chroma: [[0; 64]; 2] }
    }
}

/// Codes the residual blocks that the header's `cbp` says are present, in
/// its luma transform size. Encoding: the blocks of `levels` flagged in
/// `cbp` must each have a non-zero level.
pub fn code_residual<B: Bins>(
    bins: &mut B,
    models: &mut TileModels,
    header: &MbHeader,
    levels: &mut MbLevels,
) -> Result<(), ResidualError> {
    let cbp = header.cbp;
    for (q, block) in levels.luma.iter_mut().enumerate() {
        if cbp >> q & 1 == 0 {
            continue;
        }
        if !header.transform_4x4 {
            code_block(bins, &mut models.luma, block)?;
            continue;
        }
        let mut any = false;
        for (b, sub) in block.chunks_exact_mut(16).enumerate() {
            // A coded 8x8 block has a coded 4x4 block: the last flag is
            // implied when the first three are off.
            let coded = if b == 3 && !any {
                true
            } else {
                bins.bin(&mut models.mb.coded_4x4[b], sub.iter().any(|&l| l != 0))
            };
            if coded {
                code_block(bins, &mut models.luma_4x4, sub)?;
            } else {
                sub.fill(0);
            }
            any |= coded;
        }
    }
    for (plane, block) in levels.chroma.iter_mut().enumerate() {
        if cbp >> (4 + plane) & 1 == 1 {
            code_block(bins, &mut models.chroma, block)?;
        }
    }
    Ok(())
}

/// The macroblocks of one tile coded so far, for contexts and predictors.
#[derive(Clone, Debug)]
pub struct TileMbs {
    tile: Tile,
    info: alloc::vec::Vec<MbInfo>,
}

impl TileMbs {
    pub fn new(tile: Tile) -> TileMbs {
        let n = tile.mb_count();
        TileMbs { tile, info: alloc::vec![MbInfo::default(); n] }
    }

    /// Starts over for `tile`, keeping the allocation.
    pub fn reset(&mut self, tile: Tile) {
        self.info.clear();
        self.info.resize(tile.mb_count(), MbInfo::default());
        self.tile = tile;
    }

    pub fn tile(&self) -> &Tile {
        &self.tile
    }

    /// Info of the macroblock at frame position (mb_x, mb_y), if it is in
    /// this tile and already coded.
    #[inline]
    pub fn get(&self, mb_x: isize, mb_y: isize) -> Option<&MbInfo> {
        let t = &self.tile;
        if mb_x < t.mb_x.start as isize || mb_y < t.mb_y.start as isize {
            return None;
        }
        let (x, y) = (mb_x as usize, mb_y as usize);
        if x >= t.mb_x.end || y >= t.mb_y.end {
            return None;
        }
        let i = (y - t.mb_y.start) * t.mb_x.len() + (x - t.mb_x.start);
        self.info.get(i).filter(|info| info.coded)
    }

    /// Records a coded macroblock.
    pub fn set(&mut self, mb_x: usize, mb_y: usize, info: MbInfo) {
        let t = &self.tile;
        if !(t.mb_x.contains(&mb_x) && t.mb_y.contains(&mb_y)) {
            return;
        }
        let i = (mb_y - t.mb_y.start) * t.mb_x.len() + (mb_x - t.mb_x.start);
        if let Some(slot) = self.info.get_mut(i) {
            *slot = MbInfo { coded: true, ..info };
        }
    }

    /// Info of every macroblock of the tile, raster order (for deblocking).
    pub fn infos(&self) -> &[MbInfo] {
        &self.info
    }

    /// Number of the left and top neighbours for which `test` holds (0..=2).
    fn count(&self, mb_x: usize, mb_y: usize, test: impl Fn(&MbInfo) -> bool) -> usize {
        let (x, y) = (mb_x as isize, mb_y as isize);
        usize::from(self.get(x - 1, y).is_some_and(&test)) + usize::from(self.get(x, y - 1).is_some_and(&test))
    }

    /// The vector of the 8x8 block at (bx, by) in 8x8 units (frame
    /// coordinates), if it is coded; `current` supplies the blocks of the
    /// macroblock being coded that precede `upto` in raster order.
    fn block_mv(&self, bx: isize, by: isize, here: (usize, usize), current: &[QpelMv; 4], upto: usize) -> Option<(QpelMv, [u16; 2])> {
        let (mb_x, mb_y) = (bx.div_euclid(2), by.div_euclid(2));
        let quarter = (by.rem_euclid(2) * 2 + bx.rem_euclid(2)) as usize;
        if (mb_x, mb_y) == (here.0 as isize, here.1 as isize) {
            return (quarter < upto).then(|| (current[quarter], [0, 0]));
        }
        let info = self.get(mb_x, mb_y)?;
        Some((info.mvs[quarter], info.mvd_abs[quarter]))
    }

    /// The H.264-style median predictor for 8x8 quarter `quarter` of the
    /// macroblock at (mb_x, mb_y), or for the whole macroblock when
    /// `quarter` is 0 and `whole` is set (then the top-right neighbour is
    /// the one right of the macroblock). Unavailable neighbours count as
    /// zero vectors, except that when only the left one exists it is used
    /// as is.
    pub fn predict_mv(&self, mb_x: usize, mb_y: usize, quarter: usize, whole: bool, current: &[QpelMv; 4]) -> QpelMv {
        let bx = (mb_x * 2 + quarter % 2) as isize;
        let by = (mb_y * 2 + quarter / 2) as isize;
        let width = if whole { 2 } else { 1 };
        let here = (mb_x, mb_y);
        let a = self.block_mv(bx - 1, by, here, current, quarter);
        let b = self.block_mv(bx, by - 1, here, current, quarter);
        let c = self
            .block_mv(bx + width, by - 1, here, current, quarter)
            .or_else(|| self.block_mv(bx - 1, by - 1, here, current, quarter));
        match (a, b, c) {
            (Some((a, _)), None, None) => a,
            _ => {
                let v = |n: Option<(QpelMv, [u16; 2])>| n.map_or(QpelMv::ZERO, |(mv, _)| mv);
                let (a, b, c) = (v(a), v(b), v(c));
                QpelMv { x: median(a.x, b.x, c.x), y: median(a.y, b.y, c.y) }
            }
        }
    }

    /// Context (0..=2) for the first bin of a vector difference component:
    /// the sum of the neighbours' |mvd|, small, medium or large.
    fn mvd_context(&self, mb_x: usize, mb_y: usize, quarter: usize, current_mvd: &[[u16; 2]; 4], component: usize) -> usize {
        let bx = (mb_x * 2 + quarter % 2) as isize;
        let by = (mb_y * 2 + quarter / 2) as isize;
        let here = (mb_x, mb_y);
        let abs = |bx: isize, by: isize| -> u32 {
            let (mb, q) = ((bx.div_euclid(2), by.div_euclid(2)), (by.rem_euclid(2) * 2 + bx.rem_euclid(2)) as usize);
            if mb == (here.0 as isize, here.1 as isize) {
                return if q < quarter { u32::from(current_mvd[q][component]) } else { 0 };
            }
            self.get(mb.0, mb.1).map_or(0, |i| u32::from(i.mvd_abs[q][component]))
        };
        let sum = abs(bx - 1, by) + abs(bx, by - 1);
        match sum {
            0..=2 => 0,
            3..=32 => 1,
            _ => 2,
        }
    }
}

/// The predicted intra mode of luma quarter `q`: the mode of the quarter to
/// its left (in this macroblock or the left neighbour), else the one above.
fn quarter_mode(mbs: &TileMbs, mb_x: usize, mb_y: usize, q: usize, current: &[IntraMode; 4]) -> Option<IntraMode> {
    let spatial = |info: &&MbInfo| info.intra && !info.pattern;
    let left = if q % 2 == 1 {
        Some(current[q - 1])
    } else {
        mbs.get(mb_x as isize - 1, mb_y as isize).filter(spatial).map(|i| i.quarter_modes[q + 1])
    };
    let top = if q >= 2 {
        Some(current[q - 2])
    } else {
        mbs.get(mb_x as isize, mb_y as isize - 1).filter(spatial).map(|i| i.quarter_modes[q + 2])
    };
    left.or(top)
}

fn median(a: i16, b: i16, c: i16) -> i16 {
    a.max(b).min(a.min(b).max(c))
}

fn mode_index(mode: IntraMode) -> u32 {
    match mode {
        IntraMode::Dc => 0,
        IntraMode::Horizontal => 1,
        IntraMode::Vertical => 2,
        IntraMode::Planar => 3,
    }
}

fn mode_from_index(i: u32) -> IntraMode {
    match i {
        1 => IntraMode::Horizontal,
        2 => IntraMode::Vertical,
        3 => IntraMode::Planar,
        _ => IntraMode::Dc,
    }
}

/// Two bins, the second's model chosen by the first: four modes.
fn code_mode<B: Bins>(bins: &mut B, models: &mut [BitModel; 3], mode: IntraMode) -> IntraMode {
    let i = mode_index(mode);
    let high = bins.bin(&mut models[0], i >= 2);
    let low = bins.bin(&mut models[1 + usize::from(high)], i & 1 == 1);
    mode_from_index(u32::from(high) * 2 + u32::from(low))
}

/// Codes a motion vector as a difference from `pred`; returns the vector.
fn code_mv<B: Bins>(
    bins: &mut B,
    models: &mut MbModels,
    contexts: [usize; 2],
    mv: QpelMv,
    pred: QpelMv,
) -> Result<(QpelMv, [u16; 2]), SyntaxError> {
    let mut out = [0i32; 2];
    let mut abs = [0u16; 2];
    for (component, (value, pred)) in [(mv.x, pred.x), (mv.y, pred.y)].into_iter().enumerate() {
        let diff = i32::from(value) - i32::from(pred);
        let nonzero = bins.bin(&mut models.mvd_zero[component][contexts[component]], diff != 0);
        let mut decoded = 0i32;
        if nonzero {
            let magnitude = 1 + unary_exp_golomb(bins, &mut models.mvd_tail[component], diff.unsigned_abs().saturating_sub(1), 8, 3);
            let magnitude = magnitude.min(2 * MV_LIMIT as u32 + 1) as i32;
            decoded = if bins.bypass(diff < 0) { -magnitude } else { magnitude };
        }
        let v = i32::from(pred) + decoded;
        if v.abs() > MV_LIMIT {
            return Err(SyntaxError::MvOutOfRange);
        }
        out[component] = v;
        abs[component] = decoded.unsigned_abs().min(u32::from(u16::MAX)) as u16;
    }
    Ok((QpelMv { x: out[0] as i16, y: out[1] as i16 }, abs))
}

/// Codes one macroblock header at (mb_x, mb_y) of `mbs`' tile and records
/// the macroblock in `mbs`. Encoding: `header` is the decision. Decoding:
/// `header` is overwritten with what was read. `prev_qp` is the QP of the
/// previous macroblock in the tile (the frame QP at the tile's start).
/// Returns what was recorded, including the vectors a skipped macroblock
/// inherits from its predictor.
#[allow(clippy::too_many_arguments)]
pub fn code_header<B: Bins>(
    bins: &mut B,
    models: &mut MbModels,
    mbs: &mut TileMbs,
    kind: FrameKind,
    mb_x: usize,
    mb_y: usize,
    prev_qp: Qp,
    header: &mut MbHeader,
) -> Result<MbInfo, SyntaxError> {
    let mut info = MbInfo::default();

    // Mode.
    let skip = kind == FrameKind::Inter
        && bins.bin(&mut models.skip[mbs.count(mb_x, mb_y, |i| i.skip)], header.mode == MbMode::Skip);
    if skip {
        let mv = mbs.predict_mv(mb_x, mb_y, 0, true, &[QpelMv::ZERO; 4]);
        header.mode = MbMode::Skip;
        header.cbp = 0;
        header.qp = prev_qp;
        header.transform_4x4 = false;
        info.skip = true;
        info.mvs = [mv; 4];
        info.qp = prev_qp;
        mbs.set(mb_x, mb_y, info);
        return Ok(info);
    }
    let intra = kind == FrameKind::Intra
        || bins.bin(&mut models.intra[mbs.count(mb_x, mb_y, |i| i.intra)], header.mode.is_intra());
    if intra {
        let pattern_ctx = mbs.count(mb_x, mb_y, |i| i.pattern);
        let is_pattern = bins.bin(&mut models.pattern[pattern_ctx], matches!(header.mode, MbMode::Pattern { .. }));
        header.mode = if is_pattern {
            code_pattern(bins, models, header.mode)?
        } else {
            let split_ctx = mbs.count(mb_x, mb_y, |i| i.intra && i.split);
            let split = bins.bin(&mut models.intra8[split_ctx], matches!(header.mode, MbMode::Intra8 { .. }));
            info.split = split;
            if split {
                let wanted = match header.mode {
                    MbMode::Intra8 { luma, .. } => luma,
                    _ => [IntraMode::Dc; 4],
                };
                let mut luma = [IntraMode::Dc; 4];
                for q in 0..4 {
                    // The predicted mode: the left quarter's, else the top's.
                    let predicted = quarter_mode(mbs, mb_x, mb_y, q, &luma);
                    let same_ctx = usize::from(predicted.is_some());
                    let predicted = predicted.unwrap_or(IntraMode::Dc);
                    luma[q] = if bins.bin(&mut models.quarter_same[same_ctx], wanted[q] == predicted) {
                        predicted
                    } else {
                        code_mode(bins, &mut models.quarter_mode, wanted[q])
                    };
                }
                let chroma = match header.mode {
                    MbMode::Intra8 { chroma, .. } => chroma,
                    _ => IntraMode::Dc,
                };
                let chroma = code_mode(bins, &mut models.chroma_mode, chroma);
                info.quarter_modes = luma;
                MbMode::Intra8 { luma, chroma }
            } else {
                let (luma, chroma) = match header.mode {
                    MbMode::Intra { luma, chroma } => (luma, chroma),
                    _ => (IntraMode::Dc, IntraMode::Dc),
                };
                let luma = code_mode(bins, &mut models.luma_mode, luma);
                let chroma = code_mode(bins, &mut models.chroma_mode, chroma);
                info.quarter_modes = [luma; 4];
                MbMode::Intra { luma, chroma }
            }
        };
        info.intra = true;
        info.pattern = is_pattern;
    } else {
        let split_ctx = mbs.count(mb_x, mb_y, |i| i.split);
        let split = bins.bin(&mut models.split[split_ctx], matches!(header.mode, MbMode::Inter8(_)));
        let wanted = header.mode.block_mvs();
        if split {
            let mut mvs = [QpelMv::ZERO; 4];
            for q in 0..4 {
                let pred = mbs.predict_mv(mb_x, mb_y, q, false, &mvs);
                let ctx = [0, 1].map(|c| mbs.mvd_context(mb_x, mb_y, q, &info.mvd_abs, c));
                let (mv, abs) = code_mv(bins, models, ctx, wanted[q], pred)?;
                mvs[q] = mv;
                info.mvd_abs[q] = abs;
            }
            header.mode = MbMode::Inter8(mvs);
        } else {
            let pred = mbs.predict_mv(mb_x, mb_y, 0, true, &[QpelMv::ZERO; 4]);
            let ctx = [0, 1].map(|c| mbs.mvd_context(mb_x, mb_y, 0, &info.mvd_abs, c));
            let (mv, abs) = code_mv(bins, models, ctx, wanted[0], pred)?;
            info.mvd_abs = [abs; 4];
            header.mode = MbMode::Inter16(mv);
        }
        info.split = split;
        info.mvs = header.mode.block_mvs();
    }

    // Coded-block pattern: each luma bit's model looks at the blocks left
    // and above (in this macroblock or a neighbour), chroma at the
    // neighbouring macroblocks.
    let mut cbp = 0u8;
    for q in 0..4 {
        let coded = |bx: isize, by: isize| -> bool {
            let (mx, my) = (bx.div_euclid(2), by.div_euclid(2));
            let bit = (by.rem_euclid(2) * 2 + bx.rem_euclid(2)) as u8;
            if (mx, my) == (mb_x as isize, mb_y as isize) {
                return cbp >> bit & 1 == 1;
            }
            mbs.get(mx, my).is_some_and(|i| i.cbp >> bit & 1 == 1)
        };
        let (bx, by) = ((mb_x * 2 + q % 2) as isize, (mb_y * 2 + q / 2) as isize);
        let ctx = usize::from(coded(bx - 1, by)) + 2 * usize::from(coded(bx, by - 1));
        if bins.bin(&mut models.cbp_luma[ctx], header.cbp >> q & 1 == 1) {
            cbp |= 1 << q;
        }
    }
    for plane in 0..2 {
        let bit = 4 + plane;
        let neighbour = |dx: isize, dy: isize| {
            mbs.get(mb_x as isize + dx, mb_y as isize + dy).is_some_and(|i| i.cbp >> bit & 1 == 1)
        };
        let ctx = usize::from(neighbour(-1, 0)) + 2 * usize::from(neighbour(0, -1));
        if bins.bin(&mut models.cbp_chroma[plane][ctx], header.cbp >> bit & 1 == 1) {
            cbp |= 1 << bit;
        }
    }
    header.cbp = cbp;

    // Luma transform size, only where luma has residual.
    let transform_4x4 = cbp & 0x0F != 0 && {
        let ctx = mbs.count(mb_x, mb_y, |i| i.transform_4x4);
        bins.bin(&mut models.transform_4x4[ctx], header.transform_4x4)
    };
    header.transform_4x4 = transform_4x4;
    info.transform_4x4 = transform_4x4;

    // QP change, only where there is residual for it to act on.
    let mut qp = prev_qp;
    if cbp != 0 {
        let delta = i32::from(header.qp.get()) - i32::from(prev_qp.get());
        let delta = signed(bins, &mut models.qp_delta, delta, 4, 0);
        qp = u8::try_from(i32::from(prev_qp.get()) + delta)
            .ok()
            .and_then(Qp::new)
            .ok_or(SyntaxError::QpOutOfRange)?;
    }
    header.qp = qp;
    info.cbp = cbp;
    info.qp = qp;
    mbs.set(mb_x, mb_y, info);
    Ok(info)
}

/// Codes a pattern macroblock's parameters: the kind (solid, linear or
/// radial gradient), then its values as differences from mid-grey and
/// its slopes and geometry as signed integers; all are small for the
/// content patterns are chosen for.
fn code_pattern<B: Bins>(bins: &mut B, models: &mut MbModels, mode: MbMode) -> Result<MbMode, SyntaxError> {
    let (luma, cb, cr) = match mode {
        MbMode::Pattern { luma, cb, cr } => (luma, cb, cr),
        _ => (Pattern::Solid { value: 128 }, 128, 128),
    };
    let gradient = bins.bin(&mut models.pattern_kind[0], !matches!(luma, Pattern::Solid { .. }));
    let radial = gradient && bins.bin(&mut models.pattern_kind[1], matches!(luma, Pattern::GradientRadial(_)));
    let luma = match (gradient, radial) {
        (false, _) => {
            let value = match luma {
                Pattern::Solid { value } => value,
                _ => 128,
            };
            Pattern::Solid { value: code_sample(bins, models, value)? }
        }
        (true, false) => {
            let g = match luma {
                Pattern::GradientLinear(g) => g,
                _ => GradientLinear { origin: 512, step_x: 0, step_y: 0 },
            };
            // origin is in quarter levels: 512 is mid-grey.
            let origin = code_bounded(bins, &mut models.pattern_value, i32::from(g.origin) - 512, 4096)? + 512;
            let step_x = code_bounded(bins, &mut models.pattern_slope, i32::from(g.step_x), 8192)?;
            let step_y = code_bounded(bins, &mut models.pattern_slope, i32::from(g.step_y), 8192)?;
            Pattern::GradientLinear(GradientLinear { origin: origin as i16, step_x: step_x as i16, step_y: step_y as i16 })
        }
        (true, true) => {
            let g = match luma {
                Pattern::GradientRadial(g) => g,
                _ => GradientRadial { centre_x: 15, centre_y: 15, inner: 128, outer: 128, radius: 0 },
            };
            // Centres are in half samples; 15 is the middle of the block.
            let centre_x = code_bounded(bins, &mut models.pattern_slope, i32::from(g.centre_x) - 15, 4096)? + 15;
            let centre_y = code_bounded(bins, &mut models.pattern_slope, i32::from(g.centre_y) - 15, 4096)? + 15;
            let inner = code_sample(bins, models, g.inner)?;
            let outer = code_sample(bins, models, g.outer)?;
            let radius = unary_exp_golomb(bins, &mut models.pattern_slope, u32::from(g.radius), 4, 3);
            let radius = u16::try_from(radius).ok().filter(|&r| r <= 4096).ok_or(SyntaxError::PatternOutOfRange)?;
            Pattern::GradientRadial(GradientRadial {
                centre_x: centre_x as i16,
                centre_y: centre_y as i16,
                inner,
                outer,
                radius,
            })
        }
    };
    let cb = code_sample(bins, models, cb)?;
    let cr = code_sample(bins, models, cr)?;
    Ok(MbMode::Pattern { luma, cb, cr })
}

/// A sample value, coded as its difference from mid-grey.
fn code_sample<B: Bins>(bins: &mut B, models: &mut MbModels, value: u8) -> Result<u8, SyntaxError> {
    let v = code_bounded(bins, &mut models.pattern_value, i32::from(value) - 128, 128)? + 128;
    u8::try_from(v).map_err(|_| SyntaxError::PatternOutOfRange)
}

/// A signed value that must lie within ±`bound`.
fn code_bounded<B: Bins>(bins: &mut B, models: &mut [BitModel], value: i32, bound: i32) -> Result<i32, SyntaxError> {
    let v = signed(bins, models, value, 8, 2);
    if v.abs() <= bound {
        Ok(v)
    } else {
        Err(SyntaxError::PatternOutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::range_coder::{RangeDecoder, RangeEncoder};
    use crate::codec::tiles::tile_grid;
    use alloc::vec::Vec;

    fn headers(n: usize) -> Vec<MbHeader> {
        let mut rng = asp_testkit::Rng::new(99);
        let mut next = move |m: u64| rng.below(m);
        let mut qp = 30i32;
        (0..n)
            .map(|_| {
                let mv = |v: u64| QpelMv::new(v as i16 - 64, (v * 7 % 129) as i16 - 64);
                let mode = match next(7) {
                    6 => MbMode::Intra8 {
                        luma: [0, 1, 2, 3].map(|_| mode_from_index(next(4) as u32)),
                        chroma: mode_from_index(next(4) as u32),
                    },
                    0 => MbMode::Skip,
                    1 => MbMode::Inter16(mv(next(129))),
                    2 => MbMode::Inter8([mv(next(129)), mv(next(129)), mv(next(129)), mv(next(129))]),
                    3 => MbMode::Intra { luma: mode_from_index(next(4) as u32), chroma: mode_from_index(next(4) as u32) },
                    4 => MbMode::Pattern {
                        luma: Pattern::GradientLinear(GradientLinear {
                            origin: next(1200) as i16,
                            step_x: next(200) as i16 - 100,
                            step_y: -7,
                        }),
                        cb: next(256) as u8,
                        cr: 3,
                    },
                    5 if next(2) == 0 => MbMode::Pattern {
                        luma: Pattern::GradientRadial(GradientRadial {
                            centre_x: next(60) as i16 - 20,
                            centre_y: 31,
                            inner: next(256) as u8,
                            outer: 0,
                            radius: next(40) as u16,
                        }),
                        cb: 0,
                        cr: 255,
                    },
                    _ => MbMode::Pattern { luma: Pattern::Solid { value: next(256) as u8 }, cb: 128, cr: 255 },
                };
                let cbp = if mode == MbMode::Skip { 0 } else { next(64) as u8 };
                if cbp != 0 {
                    qp = (qp + next(5) as i32 - 2).clamp(0, i32::from(Qp::MAX.get()));
                }
                let transform_4x4 = cbp & 0x0F != 0 && next(2) == 1;
                MbHeader { mode, cbp, qp: Qp::saturating(qp), transform_4x4 }
            })
            .collect()
    }

    #[test]
    fn headers_round_trip_in_a_tile() {
        let tile = tile_grid(12, 10, 2, 2).unwrap().nth(3).unwrap();
        let list = headers(tile.mb_count());
        let mut enc = RangeEncoder::new();
        let mut models = MbModels::default();
        let mut mbs = TileMbs::new(tile.clone());
        let mut qp = Qp::saturating(30);
        let mut expected = Vec::new();
        for (i, h) in list.iter().enumerate() {
            let (x, y) = (tile.mb_x.start + i % tile.mb_x.len(), tile.mb_y.start + i / tile.mb_x.len());
            let mut header = *h;
            if header.cbp == 0 {
                header.qp = qp; // nothing to carry a change
            }
            code_header(&mut enc, &mut models, &mut mbs, FrameKind::Inter, x, y, qp, &mut header).unwrap();
            if h.mode != MbMode::Skip {
                assert_eq!(header.mode, h.mode);
            }
            qp = header.qp;
            expected.push(header);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut models = MbModels::default();
        let mut mbs = TileMbs::new(tile.clone());
        let mut qp = Qp::saturating(30);
        for (i, want) in expected.iter().enumerate() {
            let (x, y) = (tile.mb_x.start + i % tile.mb_x.len(), tile.mb_y.start + i / tile.mb_x.len());
            let mut header = MbHeader::empty(Qp::MIN);
            code_header(&mut dec, &mut models, &mut mbs, FrameKind::Inter, x, y, qp, &mut header).unwrap();
            assert_eq!(&header, want, "macroblock {i}");
            qp = header.qp;
        }
        assert!(!dec.overrun());
    }

    #[test]
    fn median_prediction_follows_h264() {
        let tile = tile_grid(4, 4, 1, 1).unwrap().next().unwrap();
        let mut mbs = TileMbs::new(tile);
        let info = |mv: QpelMv| MbInfo { mvs: [mv; 4], ..MbInfo::default() };
        mbs.set(0, 1, info(QpelMv::new(4, 0)));
        // Only the left neighbour exists: used as is.
        assert_eq!(mbs.predict_mv(1, 1, 0, true, &[QpelMv::ZERO; 4]), QpelMv::new(4, 0));
        mbs.set(1, 0, info(QpelMv::new(8, 8)));
        mbs.set(2, 0, info(QpelMv::new(-4, 2)));
        assert_eq!(mbs.predict_mv(1, 1, 0, true, &[QpelMv::ZERO; 4]), QpelMv::new(4, 2));
    }

    #[test]
    fn garbage_gives_errors_not_panics() {
        let tile = tile_grid(8, 8, 1, 1).unwrap().next().unwrap();
        let garbage: Vec<u8> = (0..2048u32).map(|i| (i.wrapping_mul(0x9E37_79B9) >> 11) as u8).collect();
        let mut dec = RangeDecoder::new(&garbage);
        let mut models = MbModels::default();
        let mut mbs = TileMbs::new(tile);
        for i in 0..64 {
            let mut header = MbHeader::empty(Qp::MIN);
            if code_header(&mut dec, &mut models, &mut mbs, FrameKind::Inter, i % 8, i / 8, Qp::saturating(26), &mut header).is_err() {
                break;
            }
        }
    }
}
