//! What to filter and how hard: the blocks' boundary strengths, H.264's
//! threshold tables, and the per-segment filter parameters built from them
//! (see the [module docs](super) for the rules).

use super::super::macroblock::MbInfo;
use super::super::mv::QpelMv;
use super::super::quant::{Qp, QP_MAX};

/// What the deblocking filter needs to know about one 8x8 luma block.
///
/// A frame's blocks are laid out row-major, `(padded_width / 8)` per row and
/// `(padded_height / 8)` rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlockInfo {
    /// Intra-coded (any intra mode or pattern).
    pub intra: bool,
    /// Has at least one nonzero transform coefficient (luma).
    pub coded: bool,
    /// Motion vector in quarter samples (ignored for intra blocks).
    pub mv: QpelMv,
    /// Luma QP, 0..=51 (larger values are treated as 51).
    pub qp: u8,
}

/// Boundary strength of the edge between blocks `p` and `q` (0..=4);
/// `mb_edge` says whether the edge is a macroblock edge.
#[inline]
pub fn boundary_strength(p: &BlockInfo, q: &BlockInfo, mb_edge: bool) -> u8 {
    if p.intra || q.intra {
        if mb_edge {
            4
        } else {
            3
        }
    } else if p.coded || q.coded {
        2
    } else if (i32::from(p.mv.x) - i32::from(q.mv.x)).abs() >= 4
        || (i32::from(p.mv.y) - i32::from(q.mv.y)).abs() >= 4
    {
        1
    } else {
        0
    }
}

/// H.264 table 8-16, alpha' by indexA.
pub const ALPHA: [u8; Qp::COUNT] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    4, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 20, 22, 25, 28, 32, 36, 40, 45, //
    50, 56, 63, 71, 80, 90, 101, 113, 127, 144, 162, 182, 203, 226, 255, 255,
];

/// H.264 table 8-16, beta' by indexB.
pub const BETA: [u8; Qp::COUNT] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, //
    11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18,
];

/// H.264 table 8-17, tC0' by indexA for bS = 1, 2, 3.
#[rustfmt::skip]
pub const TC0: [[u8; 3]; Qp::COUNT] = [
    [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0],
    [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0],
    [0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 1, 1], [0, 1, 1], [1, 1, 1],
    [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 2], [1, 1, 2], [1, 1, 2], [1, 1, 2], [1, 2, 3],
    [1, 2, 3], [2, 2, 3], [2, 2, 4], [2, 3, 4], [2, 3, 4], [3, 3, 5], [3, 4, 6], [3, 4, 6],
    [4, 5, 7], [4, 5, 8], [4, 6, 9], [5, 7, 10], [6, 8, 11], [6, 8, 13], [7, 10, 14], [8, 11, 16],
    [9, 12, 18], [10, 13, 20], [11, 15, 23], [13, 17, 25],
];

/// H.264 table 8-15: chroma QP by (luma QP + chroma offset), clipped to 0..=51.
pub const CHROMA_QP: [u8; Qp::COUNT] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38, 39, 39,
    39, 39,
];

/// Stream-level filter controls. The default (all zero) is H.264's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeblockParams {
    /// Added to `qPav` before looking up alpha and tc0 (H.264's
    /// `FilterOffsetA`); positive filters more.
    pub offset_a: i8,
    /// Added to `qPav` before looking up beta (`FilterOffsetB`).
    pub offset_b: i8,
    /// Added to each block's luma QP before the chroma QP table
    /// (`chroma_qp_index_offset`).
    pub chroma_qp_offset: i8,
}

/// Filter parameters of one 4- or 8-sample edge segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct EdgeParams {
    /// 0 means "do not filter" (also used when alpha or beta is 0).
    pub(super) bs: u8,
    pub(super) alpha: u8,
    pub(super) beta: u8,
    pub(super) tc0: u8,
}

impl EdgeParams {
    pub(super) const OFF: EdgeParams = EdgeParams {
        bs: 0,
        alpha: 0,
        beta: 0,
        tc0: 0,
    };

    #[inline]
    pub(super) fn active(&self) -> bool {
        self.bs != 0
    }

    /// Parameters for a segment with strength `bs` and average QP `qp_av`.
    #[inline]
    pub(super) fn new(bs: u8, qp_av: i32, params: &DeblockParams) -> EdgeParams {
        if bs == 0 {
            return EdgeParams::OFF;
        }
        let index_a = (qp_av + i32::from(params.offset_a)).clamp(0, i32::from(QP_MAX)) as usize;
        let index_b = (qp_av + i32::from(params.offset_b)).clamp(0, i32::from(QP_MAX)) as usize;
        let alpha = ALPHA.get(index_a).copied().unwrap_or(0);
        let beta = BETA.get(index_b).copied().unwrap_or(0);
        if alpha == 0 || beta == 0 {
            // |p0 - q0| < 0 never holds: nothing would be filtered.
            return EdgeParams::OFF;
        }
        let bs = bs.min(4);
        let tc0 = if bs < 4 {
            TC0.get(index_a)
                .and_then(|t| t.get(usize::from(bs) - 1))
                .copied()
                .unwrap_or(0)
        } else {
            0
        };
        EdgeParams {
            bs,
            alpha,
            beta,
            tc0,
        }
    }
}

/// [`EdgeParams`] by bS and average QP, and the chroma QP by luma QP, for
/// one set of [`DeblockParams`]: built once per [`Deblocker`] so the
/// per-segment work is two lookups.
#[derive(Clone, Copy, Debug)]
pub(super) struct Luts {
    luma: [[EdgeParams; Qp::COUNT]; 5],
    chroma: [[EdgeParams; Qp::COUNT]; 5],
    chroma_qp: [u8; Qp::COUNT],
}

impl Luts {
    pub(super) fn new(params: &DeblockParams) -> Luts {
        let mut luts = Luts {
            luma: [[EdgeParams::OFF; Qp::COUNT]; 5],
            chroma: [[EdgeParams::OFF; Qp::COUNT]; 5],
            chroma_qp: [0; Qp::COUNT],
        };
        for bs in 0..5u8 {
            for qp in 0..Qp::COUNT {
                let e = EdgeParams::new(bs, qp as i32, params);
                luts.luma[usize::from(bs)][qp] = e;
                luts.chroma[usize::from(bs)][qp] = e;
            }
        }
        for (qp, c) in luts.chroma_qp.iter_mut().enumerate() {
            let i = (qp as i32 + i32::from(params.chroma_qp_offset)).clamp(0, i32::from(QP_MAX)) as usize;
            *c = CHROMA_QP.get(i).copied().unwrap_or(0);
        }
        luts
    }

    /// The luma segment between blocks `p` and `q`.
    #[inline]
    pub(super) fn luma_edge(&self, p: &BlockInfo, q: &BlockInfo, mb_edge: bool) -> EdgeParams {
        let bs = boundary_strength(p, q, mb_edge);
        if bs == 0 {
            return EdgeParams::OFF;
        }
        // QPs over 51 count as 51.
        let qp_av = (usize::from(p.qp.min(QP_MAX)) + usize::from(q.qp.min(QP_MAX)) + 1) >> 1;
        self.luma
            .get(usize::from(bs))
            .and_then(|t| t.get(qp_av))
            .copied()
            .unwrap_or(EdgeParams::OFF)
    }

    /// The chroma segment between (the chroma of) blocks `p` and `q`:
    /// chroma edges are all macroblock edges.
    #[inline]
    pub(super) fn chroma_edge(&self, p: &BlockInfo, q: &BlockInfo) -> EdgeParams {
        let bs = boundary_strength(p, q, true);
        if bs == 0 {
            return EdgeParams::OFF;
        }
        let qpc = |b: &BlockInfo| {
            usize::from(
                self.chroma_qp
                    .get(usize::from(b.qp.min(QP_MAX)))
                    .copied()
                    .unwrap_or(0),
            )
        };
        let qp_av = (qpc(p) + qpc(q) + 1) >> 1;
        self.chroma
            .get(usize::from(bs))
            .and_then(|t| t.get(qp_av))
            .copied()
            .unwrap_or(EdgeParams::OFF)
    }
}

/// The 8x8 block infos (raster order, two per macroblock each way) of the
/// macroblocks `infos` (raster order, `mb_cols` per row), into `blocks`.
pub fn block_infos(infos: &[MbInfo], mb_cols: usize, blocks: &mut [BlockInfo]) {
    let cols = mb_cols * 2;
    for (i, mb) in infos.iter().enumerate() {
        let (mx, my) = (i % mb_cols, i / mb_cols);
        for (q, mv) in mb.mvs.iter().enumerate() {
            let (bx, by) = (mx * 2 + q % 2, my * 2 + q / 2);
            if let Some(block) = blocks.get_mut(by * cols + bx) {
                *block = BlockInfo { intra: mb.intra, coded: mb.cbp >> q & 1 == 1, mv: *mv, qp: mb.qp.get() };
            }
        }
    }
}
