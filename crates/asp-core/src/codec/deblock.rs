//! In-loop deblocking filter: H.264's filter on our 8x8 transform grid.
//!
//! The filter smooths the blocking that coarse quantisation leaves at
//! transform-block edges while keeping real edges. It runs in the loop (the
//! filtered frame is the next frame's reference), so the encoder and every
//! decoder must produce the same samples to the bit: everything here is
//! integer arithmetic with a fixed order, and the SIMD kernels are tested
//! against the scalar reference.
//!
//! # Edges
//!
//! * Luma: every edge of the 8x8 grid, i.e. macroblock edges (multiples of
//!   16) and the internal 8x8 edge of each macroblock, vertical and horizontal.
//! * Chroma (4:2:0): the chroma 8x8 grid, which is the macroblock edges.
//! * Not (yet) the internal edges of 4x4 luma transforms: they are 4 samples
//!   apart, closer than the filter's reach, so they would need an order
//!   between neighbouring edges that this design avoids (see below).
//! * Frame edges are never filtered. Tile edges are: deblocking runs after the
//!   whole frame is reconstructed, so tiles stay independent for decoding
//!   while their seams are smoothed like any other edge.
//!
//! An edge is cut into segments of 8 luma samples, one per pair of adjacent
//! 8x8 luma blocks (`p` on the left/top, `q` on the right/bottom). Each
//! segment has a boundary strength (see [`boundary_strength`]):
//! `bS = 4` at a macroblock edge (3 inside a macroblock) when either block is
//! intra, else 2 when either has coded coefficients, else 1 when the motion
//! vectors differ by 4 or more quarter samples in x or y, else 0 (no filter).
//! A chroma segment of 4 samples takes the bS of the luma segment it lies on
//! (4 chroma samples span 8 luma samples in 4:2:0).
//!
//! # Thresholds
//!
//! `qPav = (qp_p + qp_q + 1) >> 1` of the two blocks (QPs clamped to 51). For
//! chroma each block's QP is first mapped through H.264's chroma QP table
//! ([`CHROMA_QP`], after adding [`DeblockParams::chroma_qp_offset`]), as
//! H.264 does. `indexA = clip(0, 51, qPav + offset_a)`,
//! `indexB = clip(0, 51, qPav + offset_b)`; `alpha = ALPHA[indexA]`,
//! `beta = BETA[indexB]`, `tc0 = TC0[indexA][bS - 1]` (H.264 tables 8-16 and
//! 8-17). `alpha` is 0 below index 16: low QPs are never filtered.
//!
//! # Sample filters (H.264 8.7.2.3 / 8.7.2.4)
//!
//! Across the edge, `p3 p2 p1 p0 | q0 q1 q2 q3`. A line is filtered only if
//! `|p0-q0| < alpha`, `|p1-p0| < beta` and `|q1-q0| < beta`. With
//! `ap = |p2-p0| < beta`, `aq = |q2-q0| < beta`:
//!
//! * `bS < 4`, luma: `tc = tc0 + ap + aq`,
//!   `d = clip(-tc, tc, (4(q0-p0) + (p1-q1) + 4) >> 3)`, `p0 += d`, `q0 -= d`
//!   (clipped to 0..=255); if `ap`,
//!   `p1 += clip(-tc0, tc0, (p2 + ((p0+q0+1) >> 1) - 2p1) >> 1)`; same for `q1`.
//! * `bS < 4`, chroma: `tc = tc0 + 1`, `p0`, `q0` as for luma; `p1`, `q1` kept.
//! * `bS = 4`, luma: if `ap && |p0-q0| < (alpha >> 2) + 2`:
//!   `p0 = (p2 + 2p1 + 2p0 + 2q0 + q1 + 4) >> 3`,
//!   `p1 = (p2 + p1 + p0 + q0 + 2) >> 2`,
//!   `p2 = (2p3 + 3p2 + p1 + p0 + q0 + 4) >> 3`; else `p0 = (2p1 + p0 + q1 + 2) >> 2`.
//!   Same for `q` with `aq`.
//! * `bS = 4`, chroma: `p0 = (2p1 + p0 + q1 + 2) >> 2`, `q0 = (2q1 + q0 + p1 + 2) >> 2`.
//!
//! All right-hand sides use the unfiltered samples.
//!
//! # Order, and parallelism
//!
//! Unlike H.264 (macroblock by macroblock), the order is defined so that the
//! result cannot depend on threading:
//!
//! 1. pass 1 filters every vertical edge of the plane;
//! 2. pass 2 filters every horizontal edge of the output of pass 1.
//!
//! Within a pass no two edges interact: a filter reads at most 4 and writes
//! at most 3 samples on each side of its edge, and edges are 8 samples apart,
//! so the samples one edge touches are disjoint from those of any other edge
//! of the same direction. Pass 1 is therefore independent per sample row, and
//! pass 2 per horizontal edge (the edge at row `y` touches rows `y-4..y+4`).
//!
//! [`deblock_frame`] runs both passes serially. A parallel decoder uses the
//! band entry points: split each plane into [`Band`]s ([`split_bands`]), run
//! [`Deblocker::filter_vertical_edges`] on every band (any cut rows), join,
//! split again at rows `8k + 4` ([`horizontal_cuts`]) and run
//! [`Deblocker::filter_horizontal_edges`] on every band. The output is
//! identical to the serial one (tested with threads and random cuts).
//!
//! # Kernels
//!
//! A scalar reference per line, plus SIMD twins that filter the 8 lines of a
//! segment at once in 16-bit lanes: SSE2 on x86_64 (baseline, no detection),
//! simd128 on `wasm32` built with `+simd128`. Vertical edges transpose an 8x8
//! byte tile so the lanes run along the edge. [`Backend`] selects; the SIMD
//! path is exact (tested against the scalar one on random input).

use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use super::plane_mut::{FramePlanes, PlaneMut};

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
    pub mv: [i16; 2],
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
    } else if (i32::from(p.mv[0]) - i32::from(q.mv[0])).abs() >= 4
        || (i32::from(p.mv[1]) - i32::from(q.mv[1])).abs() >= 4
    {
        1
    } else {
        0
    }
}

/// H.264 table 8-16, alpha' by indexA.
pub const ALPHA: [u8; 52] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    4, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 17, 20, 22, 25, 28, 32, 36, 40, 45, //
    50, 56, 63, 71, 80, 90, 101, 113, 127, 144, 162, 182, 203, 226, 255, 255,
];

/// H.264 table 8-16, beta' by indexB.
pub const BETA: [u8; 52] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, //
    2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, //
    11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17, 18, 18,
];

/// H.264 table 8-17, tC0' by indexA for bS = 1, 2, 3.
#[rustfmt::skip]
pub const TC0: [[u8; 3]; 52] = [
    [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0],
    [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0],
    [0, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 0, 1], [0, 1, 1], [0, 1, 1], [1, 1, 1],
    [1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 2], [1, 1, 2], [1, 1, 2], [1, 1, 2], [1, 2, 3],
    [1, 2, 3], [2, 2, 3], [2, 2, 4], [2, 3, 4], [2, 3, 4], [3, 3, 5], [3, 4, 6], [3, 4, 6],
    [4, 5, 7], [4, 5, 8], [4, 6, 9], [5, 7, 10], [6, 8, 11], [6, 8, 13], [7, 10, 14], [8, 11, 16],
    [9, 12, 18], [10, 13, 20], [11, 15, 23], [13, 17, 25],
];

/// H.264 table 8-15: chroma QP by (luma QP + chroma offset), clipped to 0..=51.
pub const CHROMA_QP: [u8; 52] = [
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

/// Which kind of plane a call filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaneKind {
    /// Luma: 8x8 grid, luma filters.
    Luma,
    /// Either chroma plane: chroma 8x8 grid (macroblock edges), chroma filters.
    Chroma,
}

/// Which kernels run. Both give identical output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// The scalar reference, one line at a time.
    Scalar,
    /// SSE2 (x86_64) or simd128 (wasm32 with `+simd128`); the scalar
    /// kernels elsewhere.
    Simd,
}

impl Backend {
    /// Whether this build has SIMD kernels.
    pub const SIMD_AVAILABLE: bool = cfg!(any(
        target_arch = "x86_64",
        all(target_arch = "wasm32", target_feature = "simd128")
    ));

    /// The fastest backend of this build.
    pub const fn best() -> Backend {
        if Self::SIMD_AVAILABLE {
            Backend::Simd
        } else {
            Backend::Scalar
        }
    }
}

/// Why a deblocking call was refused (nothing is filtered then).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeblockError {
    /// The luma size is zero or not a multiple of 16.
    BadSize { width: usize, height: usize },
    /// `blocks.len()` is not `(width / 8) * (height / 8)`.
    BlockCount { expected: usize, got: usize },
    /// A plane's (or band's) width, or a band's rows, do not match the frame.
    PlaneMismatch {
        kind: PlaneKind,
        width: usize,
        expected_width: usize,
        y0: usize,
        height: usize,
        plane_height: usize,
    },
    /// The requested rows are not all inside the band.
    RowsOutsideBand {
        rows_start: usize,
        rows_end: usize,
        y0: usize,
        height: usize,
    },
    /// A horizontal edge in the requested range lacks rows `y-4..y+4` in the band.
    EdgeOutsideBand {
        edge_y: usize,
        y0: usize,
        height: usize,
    },
    /// Band cut rows are not strictly increasing inside the plane.
    BadCuts,
}

impl fmt::Display for DeblockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DeblockError::BadSize { width, height } => {
                write!(f, "frame of {width}x{height}: both must be non-zero multiples of 16")
            }
            DeblockError::BlockCount { expected, got } => {
                write!(f, "{got} block infos for a frame of {expected} 8x8 blocks")
            }
            DeblockError::PlaneMismatch { kind, width, expected_width, y0, height, plane_height } => write!(
                f,
                "{kind:?} band of width {width} (expected {expected_width}) at rows {y0}..{} of a plane of {plane_height} rows",
                y0 + height
            ),
            DeblockError::RowsOutsideBand { rows_start, rows_end, y0, height } => write!(
                f,
                "rows {rows_start}..{rows_end} are not inside the band {y0}..{}",
                y0 + height
            ),
            DeblockError::EdgeOutsideBand { edge_y, y0, height } => write!(
                f,
                "horizontal edge at row {edge_y} needs rows {}..{} but the band is {y0}..{}",
                edge_y.saturating_sub(4),
                edge_y + 4,
                y0 + height
            ),
            DeblockError::BadCuts => write!(f, "band cuts must increase strictly inside the plane"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DeblockError {}

/// Rows `y0 .. y0 + plane.height()` of a plane (the whole plane when `y0 == 0`
/// and the view is the full plane).
#[derive(Debug)]
pub struct Band<'a> {
    /// The band's rows, full plane width.
    pub plane: PlaneMut<'a>,
    /// The plane row of the band's first row.
    pub y0: usize,
}

impl<'a> Band<'a> {
    /// The whole plane as one band.
    pub fn whole(plane: PlaneMut<'a>) -> Self {
        Band { plane, y0: 0 }
    }
}

/// Cuts a whole plane into bands at the given plane rows (strictly
/// increasing, each `> 0` and `< height`).
pub fn split_bands<'a>(plane: PlaneMut<'a>, cuts: &[usize]) -> Result<Vec<Band<'a>>, DeblockError> {
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut rest = plane;
    let mut y0 = 0;
    for &cut in cuts {
        if cut <= y0 {
            return Err(DeblockError::BadCuts);
        }
        let (top, bottom) = rest.split_rows_at(cut - y0).ok_or(DeblockError::BadCuts)?;
        out.push(Band { plane: top, y0 });
        rest = bottom;
        y0 = cut;
    }
    out.push(Band { plane: rest, y0 });
    Ok(out)
}

/// Cut rows for the horizontal pass: `8k + 4` for every `edges_per_band`-th
/// edge, so each band holds whole edges (rows `y-4..y+4` of its edges).
pub fn horizontal_cuts(plane_height: usize, edges_per_band: usize) -> Vec<usize> {
    let step = 8 * edges_per_band.max(1);
    (1..)
        .map(|k| k * step + 4)
        .take_while(|&c| c < plane_height)
        .collect()
}

/// Filter parameters of one 4- or 8-sample edge segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct EdgeParams {
    /// 0 means "do not filter" (also used when alpha or beta is 0).
    bs: u8,
    alpha: u8,
    beta: u8,
    tc0: u8,
}

impl EdgeParams {
    const OFF: EdgeParams = EdgeParams {
        bs: 0,
        alpha: 0,
        beta: 0,
        tc0: 0,
    };

    #[inline]
    fn active(&self) -> bool {
        self.bs != 0
    }

    /// Parameters for a segment with strength `bs` and average QP `qp_av`.
    #[inline]
    fn new(bs: u8, qp_av: i32, params: &DeblockParams) -> EdgeParams {
        if bs == 0 {
            return EdgeParams::OFF;
        }
        let index_a = (qp_av + i32::from(params.offset_a)).clamp(0, 51) as usize;
        let index_b = (qp_av + i32::from(params.offset_b)).clamp(0, 51) as usize;
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
struct Luts {
    luma: [[EdgeParams; 52]; 5],
    chroma: [[EdgeParams; 52]; 5],
    chroma_qp: [u8; 52],
}

impl Luts {
    fn new(params: &DeblockParams) -> Luts {
        let mut luts = Luts {
            luma: [[EdgeParams::OFF; 52]; 5],
            chroma: [[EdgeParams::OFF; 52]; 5],
            chroma_qp: [0; 52],
        };
        for bs in 0..5u8 {
            for qp in 0..52 {
                let e = EdgeParams::new(bs, qp as i32, params);
                luts.luma[usize::from(bs)][qp] = e;
                luts.chroma[usize::from(bs)][qp] = e;
            }
        }
        for (qp, c) in luts.chroma_qp.iter_mut().enumerate() {
            let i = (qp as i32 + i32::from(params.chroma_qp_offset)).clamp(0, 51) as usize;
            *c = CHROMA_QP.get(i).copied().unwrap_or(0);
        }
        luts
    }

    /// The luma segment between blocks `p` and `q`.
    #[inline]
    fn luma_edge(&self, p: &BlockInfo, q: &BlockInfo, mb_edge: bool) -> EdgeParams {
        let bs = boundary_strength(p, q, mb_edge);
        if bs == 0 {
            return EdgeParams::OFF;
        }
        // QPs over 51 count as 51.
        let qp_av = (usize::from(p.qp.min(51)) + usize::from(q.qp.min(51)) + 1) >> 1;
        self.luma
            .get(usize::from(bs))
            .and_then(|t| t.get(qp_av))
            .copied()
            .unwrap_or(EdgeParams::OFF)
    }

    /// The chroma segment between (the chroma of) blocks `p` and `q`:
    /// chroma edges are all macroblock edges.
    #[inline]
    fn chroma_edge(&self, p: &BlockInfo, q: &BlockInfo) -> EdgeParams {
        let bs = boundary_strength(p, q, true);
        if bs == 0 {
            return EdgeParams::OFF;
        }
        let qpc = |b: &BlockInfo| {
            usize::from(
                self.chroma_qp
                    .get(usize::from(b.qp.min(51)))
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

// ---------------------------------------------------------------------------
// Scalar reference.

#[inline]
fn clip_pixel(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Filters one luma line `[p3, p2, p1, p0, q0, q1, q2, q3]`.
fn luma_line(s: &mut [u8; 8], e: EdgeParams) {
    let [p3, p2, p1, p0, q0, q1, q2, q3] = s.map(i32::from);
    let (alpha, beta) = (i32::from(e.alpha), i32::from(e.beta));
    if e.bs == 0 || (p0 - q0).abs() >= alpha || (p1 - p0).abs() >= beta || (q1 - q0).abs() >= beta {
        return;
    }
    let ap = (p2 - p0).abs() < beta;
    let aq = (q2 - q0).abs() < beta;
    if e.bs >= 4 {
        let small = (p0 - q0).abs() < (alpha >> 2) + 2;
        if ap && small {
            s[3] = ((p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3) as u8;
            s[2] = ((p2 + p1 + p0 + q0 + 2) >> 2) as u8;
            s[1] = ((2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3) as u8;
        } else {
            s[3] = ((2 * p1 + p0 + q1 + 2) >> 2) as u8;
        }
        if aq && small {
            s[4] = ((p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3) as u8;
            s[5] = ((p0 + q0 + q1 + q2 + 2) >> 2) as u8;
            s[6] = ((2 * q3 + 3 * q2 + q1 + q0 + p0 + 4) >> 3) as u8;
        } else {
            s[4] = ((2 * q1 + q0 + p1 + 2) >> 2) as u8;
        }
    } else {
        let tc0 = i32::from(e.tc0);
        let tc = tc0 + i32::from(ap) + i32::from(aq);
        let d = ((((q0 - p0) << 2) + (p1 - q1) + 4) >> 3).clamp(-tc, tc);
        s[3] = clip_pixel(p0 + d);
        s[4] = clip_pixel(q0 - d);
        let avg = (p0 + q0 + 1) >> 1;
        if ap {
            // Stays in 0..=255 (it is at most half-way to (p2 + avg) / 2);
            // clipped anyway, as the SIMD pack does.
            s[2] = clip_pixel(p1 + ((p2 + avg - (p1 << 1)) >> 1).clamp(-tc0, tc0));
        }
        if aq {
            s[5] = clip_pixel(q1 + ((q2 + avg - (q1 << 1)) >> 1).clamp(-tc0, tc0));
        }
    }
}

/// Filters one chroma line `[p1, p0, q0, q1]`.
fn chroma_line(s: &mut [u8; 4], e: EdgeParams) {
    let [p1, p0, q0, q1] = s.map(i32::from);
    let (alpha, beta) = (i32::from(e.alpha), i32::from(e.beta));
    if e.bs == 0 || (p0 - q0).abs() >= alpha || (p1 - p0).abs() >= beta || (q1 - q0).abs() >= beta {
        return;
    }
    if e.bs >= 4 {
        s[1] = ((2 * p1 + p0 + q1 + 2) >> 2) as u8;
        s[2] = ((2 * q1 + q0 + p1 + 2) >> 2) as u8;
    } else {
        let tc = i32::from(e.tc0) + 1;
        let d = ((((q0 - p0) << 2) + (p1 - q1) + 4) >> 3).clamp(-tc, tc);
        s[1] = clip_pixel(p0 + d);
        s[2] = clip_pixel(q0 - d);
    }
}

/// The indices of the `N` samples of the line that crosses the edge at `q0`
/// (`N / 2` before it, `q0` and `N / 2 - 1` after), `across` apart; `None`
/// when any lies outside `0..len`.
#[inline]
fn line_indices<const N: usize>(q0: usize, across: usize, len: usize) -> Option<[usize; N]> {
    let first = q0.checked_sub((N / 2).checked_mul(across)?)?;
    let last = first.checked_add((N - 1).checked_mul(across)?)?;
    if last >= len {
        return None;
    }
    Some(core::array::from_fn(|k| first + k * across))
}

/// Scalar luma filter of `lines` lines: line `i` crosses the edge at
/// `q0 + i * along`, samples `across` apart.
fn luma_segment_scalar(
    data: &mut [u8],
    q0: usize,
    across: usize,
    along: usize,
    lines: usize,
    e: EdgeParams,
) {
    for i in 0..lines {
        let Some(at) = i.checked_mul(along).and_then(|o| o.checked_add(q0)) else {
            return;
        };
        let Some(idx) = line_indices::<8>(at, across, data.len()) else {
            return;
        };
        let mut s = idx.map(|k| data.get(k).copied().unwrap_or(0));
        luma_line(&mut s, e);
        for (&k, &v) in idx.iter().zip(s.iter()).skip(1).take(6) {
            if let Some(d) = data.get_mut(k) {
                *d = v;
            }
        }
    }
}

/// Scalar chroma filter of `lines` lines (see [`luma_segment_scalar`]); line
/// `i` is line `first + i` of its 8-line segment and uses
/// `halves[(first + i) / 4]`.
fn chroma_segment_scalar(
    data: &mut [u8],
    q0: usize,
    across: usize,
    along: usize,
    lines: usize,
    first: usize,
    halves: [EdgeParams; 2],
) {
    for i in 0..lines {
        let e = halves[((first + i) / 4).min(1)];
        if !e.active() {
            continue;
        }
        let Some(at) = i.checked_mul(along).and_then(|o| o.checked_add(q0)) else {
            return;
        };
        let Some(idx) = line_indices::<4>(at, across, data.len()) else {
            return;
        };
        let mut s = idx.map(|k| data.get(k).copied().unwrap_or(0));
        chroma_line(&mut s, e);
        for (&k, &v) in idx.iter().zip(s.iter()).skip(1).take(2) {
            if let Some(d) = data.get_mut(k) {
                *d = v;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// SIMD kernels: one generic body over a small lane-operation trait, with an
// SSE2 and a simd128 implementation of the trait.

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
))]
mod simd {
    use super::EdgeParams;

    /// Eight 16-bit lanes (or sixteen bytes for the byte shuffles).
    pub(super) trait Lanes: Copy {
        fn splat(v: i16) -> Self;
        fn from_array(a: [i16; 8]) -> Self;
        fn add(self, o: Self) -> Self;
        fn sub(self, o: Self) -> Self;
        fn min(self, o: Self) -> Self;
        fn max(self, o: Self) -> Self;
        fn and(self, o: Self) -> Self;
        fn or(self, o: Self) -> Self;
        /// `!self & o`.
        fn andnot(self, o: Self) -> Self;
        /// All ones where `self < o` (signed).
        fn lt(self, o: Self) -> Self;
        /// Arithmetic shift right by 1, 2 or 3.
        fn shr1(self) -> Self;
        fn shr2(self) -> Self;
        fn shr3(self) -> Self;
        /// `(a + b + 1) >> 1` for lanes in 0..=255 (no overflow).
        fn avg(self, o: Self) -> Self;
        /// Bytes `0..8` of `v` as the low half, zeros above.
        fn from_u64(v: u64) -> Self;
        /// The low and high 8 bytes.
        fn to_u64s(self) -> (u64, u64);
        /// Sixteen bytes, in order.
        fn from_bytes(b: [u8; 16]) -> Self;
        fn to_bytes(self) -> [u8; 16];
        /// The high 8 bytes moved to the low half (high half: don't care).
        fn hi_half(self) -> Self;
        /// Interleave the low 8 bytes: `a0 b0 a1 b1 ..`.
        fn unpack_lo8(self, o: Self) -> Self;
        fn unpack_lo16(self, o: Self) -> Self;
        fn unpack_hi16(self, o: Self) -> Self;
        fn unpack_lo32(self, o: Self) -> Self;
        fn unpack_hi32(self, o: Self) -> Self;
        /// Low / high 8 bytes zero-extended to 16-bit lanes.
        fn widen_lo(self) -> Self;
        fn widen_hi(self) -> Self;
        /// 16-bit lanes of `self` then `o`, saturated to bytes 0..=255.
        fn pack(self, o: Self) -> Self;
        /// Whether any bit is set.
        fn any(self) -> bool;

        #[inline(always)]
        fn absdiff(self, o: Self) -> Self {
            self.sub(o).max(o.sub(self))
        }
        /// `m ? a : b` lane-wise for a mask `m` of all-ones / zero lanes.
        #[inline(always)]
        fn select(m: Self, a: Self, b: Self) -> Self {
            m.and(a).or(m.andnot(b))
        }
    }

    /// Transposes an 8x8 byte tile: `rows[r]` byte `c` becomes byte `r` of
    /// output `c` (outputs returned pairwise: `[c0|c1, c2|c3, c4|c5, c6|c7]`).
    #[inline(always)]
    fn transpose8x8<V: Lanes>(r: [V; 8]) -> [V; 4] {
        let a0 = r[0].unpack_lo8(r[1]);
        let a1 = r[2].unpack_lo8(r[3]);
        let a2 = r[4].unpack_lo8(r[5]);
        let a3 = r[6].unpack_lo8(r[7]);
        let b0 = a0.unpack_lo16(a1);
        let b1 = a0.unpack_hi16(a1);
        let b2 = a2.unpack_lo16(a3);
        let b3 = a2.unpack_hi16(a3);
        [
            b0.unpack_lo32(b2),
            b0.unpack_hi32(b2),
            b1.unpack_lo32(b3),
            b1.unpack_hi32(b3),
        ]
    }

    #[inline(always)]
    fn load8(data: &[u8], at: usize) -> u64 {
        match data.get(at..at + 8) {
            Some(b) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                u64::from_le_bytes(a)
            }
            None => 0,
        }
    }

    #[inline(always)]
    fn store8(data: &mut [u8], at: usize, v: u64) {
        if let Some(d) = data.get_mut(at..at + 8) {
            d.copy_from_slice(&v.to_le_bytes());
        }
    }

    #[inline(always)]
    fn load16<V: Lanes>(data: &[u8], at: usize) -> V {
        match data.get(at..at + 16) {
            Some(b) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                V::from_bytes(a)
            }
            None => V::splat(0),
        }
    }

    #[inline(always)]
    fn store16<V: Lanes>(data: &mut [u8], at: usize, v: V) {
        if let Some(d) = data.get_mut(at..at + 16) {
            d.copy_from_slice(&v.to_bytes());
        }
    }

    /// Whether `rows` rows of 16 bytes at `at + r * stride` fit.
    #[inline(always)]
    fn rows16_fit(len: usize, at: usize, stride: usize, rows: usize) -> bool {
        stride
            .checked_mul(rows - 1)
            .and_then(|o| o.checked_add(at))
            .and_then(|o| o.checked_add(16))
            .is_some_and(|end| end <= len)
    }

    /// Reads the 8x8 tile at rows `at + r * stride`, 8 bytes each, as 8
    /// columns of 16-bit lanes (column `c`, lane `r`).
    #[inline(always)]
    fn load_columns<V: Lanes>(data: &[u8], at: usize, stride: usize) -> [V; 8] {
        // Spelled out rather than `array::from_fn`, which the wasm build
        // left as a call (1 % of the browser decoder's time).
        let row = |r: usize| V::from_u64(load8(data, at + r * stride));
        let rows: [V; 8] = [row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)];
        let t = transpose8x8(rows);
        [
            t[0].widen_lo(),
            t[0].widen_hi(),
            t[1].widen_lo(),
            t[1].widen_hi(),
            t[2].widen_lo(),
            t[2].widen_hi(),
            t[3].widen_lo(),
            t[3].widen_hi(),
        ]
    }

    /// Inverse of [`load_columns`].
    #[inline(always)]
    fn store_columns<V: Lanes>(data: &mut [u8], at: usize, stride: usize, c: [V; 8]) {
        let pairs = [
            c[0].pack(c[1]),
            c[2].pack(c[3]),
            c[4].pack(c[5]),
            c[6].pack(c[7]),
        ];
        // The transpose reads only the low 8 bytes of each input row.
        let rows = [
            pairs[0],
            pairs[0].hi_half(),
            pairs[1],
            pairs[1].hi_half(),
            pairs[2],
            pairs[2].hi_half(),
            pairs[3],
            pairs[3].hi_half(),
        ];
        for (k, t) in transpose8x8(rows).iter().enumerate() {
            let (lo, hi) = t.to_u64s();
            store8(data, at + 2 * k * stride, lo);
            store8(data, at + (2 * k + 1) * stride, hi);
        }
    }

    /// The luma filter on 8 lanes: `s = [p3, p2, p1, p0, q0, q1, q2, q3]`,
    /// uniform parameters (one 8-sample segment). Returns false, with `s`
    /// untouched, when no lane passes the alpha / beta test (the filter
    /// would leave every sample as it is).
    #[inline(always)]
    fn luma_lanes<V: Lanes>(s: &mut [V; 8], e: EdgeParams) -> bool {
        let [p3, p2, p1, p0, q0, q1, q2, q3] = *s;
        let alpha = V::splat(i16::from(e.alpha));
        let beta = V::splat(i16::from(e.beta));
        let mask = p0
            .absdiff(q0)
            .lt(alpha)
            .and(p1.absdiff(p0).lt(beta))
            .and(q1.absdiff(q0).lt(beta));
        if !mask.any() {
            return false;
        }
        let ap = p2.absdiff(p0).lt(beta);
        let aq = q2.absdiff(q0).lt(beta);
        if e.bs >= 4 {
            let small = p0.absdiff(q0).lt(V::splat((i16::from(e.alpha) >> 2) + 2));
            let two = V::splat(2);
            let four = V::splat(4);
            let pq = p0.add(q0);
            // Strong p side.
            let sp = mask.and(ap).and(small);
            let p0s = p2.add(p1.add(pq).add(p1.add(pq))).add(q1).add(four).shr3();
            let p1s = p2.add(p1).add(pq).add(two).shr2();
            let p2s = p3
                .add(p3)
                .add(p2.add(p2).add(p2))
                .add(p1)
                .add(pq)
                .add(four)
                .shr3();
            let p0w = p1.add(p1).add(p0).add(q1).add(two).shr2();
            s[3] = V::select(mask, V::select(sp, p0s, p0w), p0);
            s[2] = V::select(sp, p1s, p1);
            s[1] = V::select(sp, p2s, p2);
            // Strong q side.
            let sq = mask.and(aq).and(small);
            let q0s = q2.add(q1.add(pq).add(q1.add(pq))).add(p1).add(four).shr3();
            let q1s = q2.add(q1).add(pq).add(two).shr2();
            let q2s = q3
                .add(q3)
                .add(q2.add(q2).add(q2))
                .add(q1)
                .add(pq)
                .add(four)
                .shr3();
            let q0w = q1.add(q1).add(q0).add(p1).add(two).shr2();
            s[4] = V::select(mask, V::select(sq, q0s, q0w), q0);
            s[5] = V::select(sq, q1s, q1);
            s[6] = V::select(sq, q2s, q2);
        } else {
            let tc0 = V::splat(i16::from(e.tc0));
            // ap, aq are -1 where true: subtracting adds one.
            let tc = tc0.sub(ap).sub(aq);
            let ntc = V::splat(0).sub(tc);
            let t = q0.sub(p0);
            let t = t.add(t);
            let d = t.add(t).add(p1.sub(q1)).add(V::splat(4)).shr3();
            let d = d.max(ntc).min(tc).and(mask);
            s[3] = p0.add(d);
            s[4] = q0.sub(d);
            let avg = p0.avg(q0);
            let ntc0 = V::splat(0).sub(tc0);
            let dp = p2
                .add(avg)
                .sub(p1.add(p1))
                .shr1()
                .max(ntc0)
                .min(tc0)
                .and(mask.and(ap));
            let dq = q2
                .add(avg)
                .sub(q1.add(q1))
                .shr1()
                .max(ntc0)
                .min(tc0)
                .and(mask.and(aq));
            s[2] = p1.add(dp);
            s[5] = q1.add(dq);
        }
        true
    }

    /// The chroma filter on 8 lanes `s = [p1, p0, q0, q1]` with two sets of
    /// parameters: lanes 0..4 use `h[0]`, lanes 4..8 `h[1]`. Returns false,
    /// with `s` untouched, when no lane passes the alpha / beta test.
    #[inline(always)]
    fn chroma_lanes<V: Lanes>(s: &mut [V; 4], h: [EdgeParams; 2]) -> bool {
        let [p1, p0, q0, q1] = *s;
        let lanes = |f: fn(&EdgeParams) -> i16| {
            let (a, b) = (f(&h[0]), f(&h[1]));
            V::from_array([a, a, a, a, b, b, b, b])
        };
        // An inactive half gets alpha 0: its mask is all zero.
        let alpha = lanes(|e| if e.active() { i16::from(e.alpha) } else { 0 });
        let beta = lanes(|e| i16::from(e.beta));
        let tc = lanes(|e| i16::from(e.tc0) + 1);
        let strong = lanes(|e| if e.bs >= 4 { -1 } else { 0 });
        let mask = p0
            .absdiff(q0)
            .lt(alpha)
            .and(p1.absdiff(p0).lt(beta))
            .and(q1.absdiff(q0).lt(beta));
        if !mask.any() {
            return false;
        }
        let two = V::splat(2);
        let p0s = p1.add(p1).add(p0).add(q1).add(two).shr2();
        let q0s = q1.add(q1).add(q0).add(p1).add(two).shr2();
        let t = q0.sub(p0);
        let t = t.add(t);
        let d = t.add(t).add(p1.sub(q1)).add(V::splat(4)).shr3();
        let d = d.max(V::splat(0).sub(tc)).min(tc);
        s[1] = V::select(mask, V::select(strong, p0s, p0.add(d)), p0);
        s[2] = V::select(mask, V::select(strong, q0s, q0.sub(d)), q0);
        true
    }

    /// Whether an 8x8 tile whose rows start at `at + r * stride` fits.
    #[inline(always)]
    fn tile_fits(len: usize, at: usize, stride: usize) -> bool {
        stride
            .checked_mul(7)
            .and_then(|o| o.checked_add(at))
            .and_then(|o| o.checked_add(8))
            .is_some_and(|end| end <= len)
    }

    /// Vertical luma edge: 8 rows, `q0` the index of the first row's q0.
    #[inline(always)]
    pub(super) fn luma_vertical<V: Lanes>(
        data: &mut [u8],
        q0: usize,
        stride: usize,
        e: EdgeParams,
    ) -> bool {
        let Some(at) = q0.checked_sub(4) else {
            return false;
        };
        if !tile_fits(data.len(), at, stride) {
            return false;
        }
        let mut c = load_columns::<V>(data, at, stride);
        if luma_lanes(&mut c, e) {
            store_columns(data, at, stride, c);
        }
        true
    }

    /// Horizontal luma edge: 8 columns from `q0` (row q0), rows `stride` apart.
    #[inline(always)]
    pub(super) fn luma_horizontal<V: Lanes>(
        data: &mut [u8],
        q0: usize,
        stride: usize,
        e: EdgeParams,
    ) -> bool {
        let Some(at) = stride.checked_mul(4).and_then(|o| q0.checked_sub(o)) else {
            return false;
        };
        if !tile_fits(data.len(), at, stride) {
            return false;
        }
        let row = |k: usize| V::from_u64(load8(data, at + k * stride)).widen_lo();
        let mut r: [V; 8] = [row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)];
        if !luma_lanes(&mut r, e) {
            return true;
        }
        for (k, v) in r.iter().enumerate().take(7).skip(1) {
            let (lo, _) = v.pack(*v).to_u64s();
            store8(data, at + k * stride, lo);
        }
        true
    }

    /// Vertical chroma edge: 8 rows (lanes 0..4 `h[0]`, 4..8 `h[1]`).
    #[inline(always)]
    pub(super) fn chroma_vertical<V: Lanes>(
        data: &mut [u8],
        q0: usize,
        stride: usize,
        h: [EdgeParams; 2],
    ) -> bool {
        let Some(at) = q0.checked_sub(4) else {
            return false;
        };
        if !tile_fits(data.len(), at, stride) {
            return false;
        }
        let mut c = load_columns::<V>(data, at, stride);
        let mut s = [c[2], c[3], c[4], c[5]];
        if !chroma_lanes(&mut s, h) {
            return true;
        }
        c[3] = s[1];
        c[4] = s[2];
        store_columns(data, at, stride, c);
        true
    }

    /// Horizontal chroma edge: 8 columns (0..4 `h[0]`, 4..8 `h[1]`).
    #[inline(always)]
    pub(super) fn chroma_horizontal<V: Lanes>(
        data: &mut [u8],
        q0: usize,
        stride: usize,
        h: [EdgeParams; 2],
    ) -> bool {
        let Some(at) = stride.checked_mul(2).and_then(|o| q0.checked_sub(o)) else {
            return false;
        };
        let fits = stride
            .checked_mul(3)
            .and_then(|o| o.checked_add(at))
            .and_then(|o| o.checked_add(8))
            .is_some_and(|end| end <= data.len());
        if !fits {
            return false;
        }
        let row = |k: usize| V::from_u64(load8(data, at + k * stride)).widen_lo();
        let mut s: [V; 4] = [row(0), row(1), row(2), row(3)];
        if !chroma_lanes(&mut s, h) {
            return true;
        }
        for (k, v) in s.iter().enumerate().take(3).skip(1) {
            let (lo, _) = v.pack(*v).to_u64s();
            store8(data, at + k * stride, lo);
        }
        true
    }

    /// Two horizontal luma edges side by side: 16 columns from `q0`,
    /// columns 0..8 with `e[0]`, 8..16 with `e[1]` (each half exactly as
    /// [`luma_horizontal`] filters it; an inactive half is left as it is).
    /// Rows are read and written 16 bytes at a time.
    #[inline(always)]
    pub(super) fn luma_horizontal_pair<V: Lanes>(
        data: &mut [u8],
        q0: usize,
        stride: usize,
        e: [EdgeParams; 2],
    ) -> bool {
        let Some(at) = stride.checked_mul(4).and_then(|o| q0.checked_sub(o)) else {
            return false;
        };
        if !rows16_fit(data.len(), at, stride, 8) {
            return false;
        }
        let rows: [V; 8] = [
            load16(data, at),
            load16(data, at + stride),
            load16(data, at + 2 * stride),
            load16(data, at + 3 * stride),
            load16(data, at + 4 * stride),
            load16(data, at + 5 * stride),
            load16(data, at + 6 * stride),
            load16(data, at + 7 * stride),
        ];
        let mut lo = rows.map(|r| r.widen_lo());
        let mut hi = rows.map(|r| r.widen_hi());
        let lo_changed = e[0].active() && luma_lanes(&mut lo, e[0]);
        let hi_changed = e[1].active() && luma_lanes(&mut hi, e[1]);
        if !lo_changed && !hi_changed {
            return true;
        }
        for k in 1..7 {
            store16(data, at + k * stride, lo[k].pack(hi[k]));
        }
        true
    }

    /// Two horizontal chroma edges side by side: 16 columns from `q0`,
    /// columns 0..8 with `h[0]` (as [`chroma_horizontal`]), 8..16 with `h[1]`.
    #[inline(always)]
    pub(super) fn chroma_horizontal_pair<V: Lanes>(
        data: &mut [u8],
        q0: usize,
        stride: usize,
        h: [[EdgeParams; 2]; 2],
    ) -> bool {
        let Some(at) = stride.checked_mul(2).and_then(|o| q0.checked_sub(o)) else {
            return false;
        };
        if !rows16_fit(data.len(), at, stride, 4) {
            return false;
        }
        let rows: [V; 4] = [
            load16(data, at),
            load16(data, at + stride),
            load16(data, at + 2 * stride),
            load16(data, at + 3 * stride),
        ];
        let mut lo = rows.map(|r| r.widen_lo());
        let mut hi = rows.map(|r| r.widen_hi());
        let lo_changed = chroma_lanes(&mut lo, h[0]);
        let hi_changed = chroma_lanes(&mut hi, h[1]);
        if !lo_changed && !hi_changed {
            return true;
        }
        for k in 1..3 {
            store16(data, at + k * stride, lo[k].pack(hi[k]));
        }
        true
    }

    #[cfg(target_arch = "x86_64")]
    pub(super) use sse2::Native;

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    pub(super) use wasm::Native;

    #[cfg(target_arch = "x86_64")]
    #[allow(unused_unsafe)] // the intrinsics are safe to call on newer compilers
    mod sse2 {
        use super::Lanes;
        use core::arch::x86_64::*;

        /// SSE2 lanes. SSE2 is part of the x86_64 baseline, so every
        /// intrinsic below is available on every x86_64 CPU.
        #[derive(Clone, Copy)]
        pub(in super::super) struct Native(__m128i);

        impl Lanes for Native {
            #[inline(always)]
            fn splat(v: i16) -> Self {
                // SAFETY: SSE2 is always present on x86_64.
                Native(unsafe { _mm_set1_epi16(v) })
            }
            #[inline(always)]
            fn from_array(a: [i16; 8]) -> Self {
                // SAFETY: as above.
                Native(unsafe { _mm_set_epi16(a[7], a[6], a[5], a[4], a[3], a[2], a[1], a[0]) })
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                Native(unsafe { _mm_add_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                Native(unsafe { _mm_sub_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                Native(unsafe { _mm_min_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                Native(unsafe { _mm_max_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn and(self, o: Self) -> Self {
                Native(unsafe { _mm_and_si128(self.0, o.0) })
            }
            #[inline(always)]
            fn or(self, o: Self) -> Self {
                Native(unsafe { _mm_or_si128(self.0, o.0) })
            }
            #[inline(always)]
            fn andnot(self, o: Self) -> Self {
                Native(unsafe { _mm_andnot_si128(self.0, o.0) })
            }
            #[inline(always)]
            fn lt(self, o: Self) -> Self {
                Native(unsafe { _mm_cmplt_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn shr1(self) -> Self {
                Native(unsafe { _mm_srai_epi16::<1>(self.0) })
            }
            #[inline(always)]
            fn shr2(self) -> Self {
                Native(unsafe { _mm_srai_epi16::<2>(self.0) })
            }
            #[inline(always)]
            fn shr3(self) -> Self {
                Native(unsafe { _mm_srai_epi16::<3>(self.0) })
            }
            #[inline(always)]
            fn avg(self, o: Self) -> Self {
                Native(unsafe { _mm_avg_epu16(self.0, o.0) })
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                Native(unsafe { _mm_cvtsi64_si128(v as i64) })
            }
            #[inline(always)]
            fn to_u64s(self) -> (u64, u64) {
                unsafe {
                    (
                        _mm_cvtsi128_si64(self.0) as u64,
                        _mm_cvtsi128_si64(_mm_unpackhi_epi64(self.0, self.0)) as u64,
                    )
                }
            }
            #[inline(always)]
            fn from_bytes(b: [u8; 16]) -> Self {
                // SAFETY: an unaligned load of the 16 bytes of `b`.
                Native(unsafe { _mm_loadu_si128(b.as_ptr() as *const __m128i) })
            }
            #[inline(always)]
            fn to_bytes(self) -> [u8; 16] {
                let mut b = [0u8; 16];
                // SAFETY: an unaligned store to the 16 bytes of `b`.
                unsafe { _mm_storeu_si128(b.as_mut_ptr() as *mut __m128i, self.0) };
                b
            }
            #[inline(always)]
            fn hi_half(self) -> Self {
                Native(unsafe { _mm_unpackhi_epi64(self.0, self.0) })
            }
            #[inline(always)]
            fn unpack_lo8(self, o: Self) -> Self {
                Native(unsafe { _mm_unpacklo_epi8(self.0, o.0) })
            }
            #[inline(always)]
            fn unpack_lo16(self, o: Self) -> Self {
                Native(unsafe { _mm_unpacklo_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn unpack_hi16(self, o: Self) -> Self {
                Native(unsafe { _mm_unpackhi_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn unpack_lo32(self, o: Self) -> Self {
                Native(unsafe { _mm_unpacklo_epi32(self.0, o.0) })
            }
            #[inline(always)]
            fn unpack_hi32(self, o: Self) -> Self {
                Native(unsafe { _mm_unpackhi_epi32(self.0, o.0) })
            }
            #[inline(always)]
            fn widen_lo(self) -> Self {
                Native(unsafe { _mm_unpacklo_epi8(self.0, _mm_setzero_si128()) })
            }
            #[inline(always)]
            fn widen_hi(self) -> Self {
                Native(unsafe { _mm_unpackhi_epi8(self.0, _mm_setzero_si128()) })
            }
            #[inline(always)]
            fn pack(self, o: Self) -> Self {
                Native(unsafe { _mm_packus_epi16(self.0, o.0) })
            }
            #[inline(always)]
            fn any(self) -> bool {
                unsafe { _mm_movemask_epi8(self.0) != 0 }
            }
        }
    }

    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    mod wasm {
        use super::Lanes;
        use core::arch::wasm32::*;

        /// simd128 lanes (the build enables `simd128`, so every intrinsic
        /// below is available wherever the module loads).
        #[derive(Clone, Copy)]
        pub(in super::super) struct Native(v128);

        impl Lanes for Native {
            #[inline(always)]
            fn splat(v: i16) -> Self {
                Native(i16x8_splat(v))
            }
            #[inline(always)]
            fn from_array(a: [i16; 8]) -> Self {
                Native(i16x8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]))
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                Native(i16x8_add(self.0, o.0))
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                Native(i16x8_sub(self.0, o.0))
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                Native(i16x8_min(self.0, o.0))
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                Native(i16x8_max(self.0, o.0))
            }
            #[inline(always)]
            fn and(self, o: Self) -> Self {
                Native(v128_and(self.0, o.0))
            }
            #[inline(always)]
            fn or(self, o: Self) -> Self {
                Native(v128_or(self.0, o.0))
            }
            #[inline(always)]
            fn andnot(self, o: Self) -> Self {
                // v128_andnot(a, b) is a & !b: the operands swap.
                Native(v128_andnot(o.0, self.0))
            }
            #[inline(always)]
            fn lt(self, o: Self) -> Self {
                Native(i16x8_lt(self.0, o.0))
            }
            #[inline(always)]
            fn shr1(self) -> Self {
                Native(i16x8_shr(self.0, 1))
            }
            #[inline(always)]
            fn shr2(self) -> Self {
                Native(i16x8_shr(self.0, 2))
            }
            #[inline(always)]
            fn shr3(self) -> Self {
                Native(i16x8_shr(self.0, 3))
            }
            #[inline(always)]
            fn avg(self, o: Self) -> Self {
                Native(u16x8_avgr(self.0, o.0))
            }
            #[inline(always)]
            fn from_u64(v: u64) -> Self {
                Native(u64x2(v, 0))
            }
            #[inline(always)]
            fn to_u64s(self) -> (u64, u64) {
                (
                    u64x2_extract_lane::<0>(self.0),
                    u64x2_extract_lane::<1>(self.0),
                )
            }
            #[inline(always)]
            fn from_bytes(b: [u8; 16]) -> Self {
                // SAFETY: an unaligned load of the 16 bytes of `b`.
                Native(unsafe { v128_load(b.as_ptr() as *const v128) })
            }
            #[inline(always)]
            fn to_bytes(self) -> [u8; 16] {
                let mut b = [0u8; 16];
                // SAFETY: an unaligned store to the 16 bytes of `b`.
                unsafe { v128_store(b.as_mut_ptr() as *mut v128, self.0) };
                b
            }
            #[inline(always)]
            fn hi_half(self) -> Self {
                Native(i64x2_shuffle::<1, 1>(self.0, self.0))
            }
            #[inline(always)]
            fn unpack_lo8(self, o: Self) -> Self {
                Native(i8x16_shuffle::<
                    0,
                    16,
                    1,
                    17,
                    2,
                    18,
                    3,
                    19,
                    4,
                    20,
                    5,
                    21,
                    6,
                    22,
                    7,
                    23,
                >(self.0, o.0))
            }
            #[inline(always)]
            fn unpack_lo16(self, o: Self) -> Self {
                Native(i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(self.0, o.0))
            }
            #[inline(always)]
            fn unpack_hi16(self, o: Self) -> Self {
                Native(i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(self.0, o.0))
            }
            #[inline(always)]
            fn unpack_lo32(self, o: Self) -> Self {
                Native(i32x4_shuffle::<0, 4, 1, 5>(self.0, o.0))
            }
            #[inline(always)]
            fn unpack_hi32(self, o: Self) -> Self {
                Native(i32x4_shuffle::<2, 6, 3, 7>(self.0, o.0))
            }
            #[inline(always)]
            fn widen_lo(self) -> Self {
                Native(u16x8_extend_low_u8x16(self.0))
            }
            #[inline(always)]
            fn widen_hi(self) -> Self {
                Native(u16x8_extend_high_u8x16(self.0))
            }
            #[inline(always)]
            fn pack(self, o: Self) -> Self {
                Native(u8x16_narrow_i16x8(self.0, o.0))
            }
            #[inline(always)]
            fn any(self) -> bool {
                v128_any_true(self.0)
            }
        }
    }
}

/// The kernel entry points, dispatching on the backend. Each filters one
/// segment at a given sample index; the SIMD ones fall back to scalar if
/// the tile does not fit (never the case for calls from this module).
mod kernel {
    use super::{chroma_segment_scalar, luma_segment_scalar, Backend, EdgeParams};

    #[inline]
    pub(super) fn luma_vertical(
        b: Backend,
        data: &mut [u8],
        q0: usize,
        stride: usize,
        e: EdgeParams,
    ) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if b == Backend::Simd
            && super::simd::luma_vertical::<super::simd::Native>(data, q0, stride, e)
        {
            return;
        }
        let _ = b;
        luma_segment_scalar(data, q0, 1, stride, 8, e);
    }

    #[inline]
    pub(super) fn luma_horizontal(
        b: Backend,
        data: &mut [u8],
        q0: usize,
        stride: usize,
        e: EdgeParams,
    ) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if b == Backend::Simd
            && super::simd::luma_horizontal::<super::simd::Native>(data, q0, stride, e)
        {
            return;
        }
        let _ = b;
        luma_segment_scalar(data, q0, stride, 1, 8, e);
    }

    #[inline]
    pub(super) fn chroma_vertical(
        b: Backend,
        data: &mut [u8],
        q0: usize,
        stride: usize,
        h: [EdgeParams; 2],
    ) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if b == Backend::Simd
            && super::simd::chroma_vertical::<super::simd::Native>(data, q0, stride, h)
        {
            return;
        }
        let _ = b;
        chroma_segment_scalar(data, q0, 1, stride, 8, 0, h);
    }

    #[inline]
    pub(super) fn chroma_horizontal(
        b: Backend,
        data: &mut [u8],
        q0: usize,
        stride: usize,
        h: [EdgeParams; 2],
    ) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if b == Backend::Simd
            && super::simd::chroma_horizontal::<super::simd::Native>(data, q0, stride, h)
        {
            return;
        }
        let _ = b;
        chroma_segment_scalar(data, q0, stride, 1, 8, 0, h);
    }

    /// Two luma segments side by side (16 columns from `q0`): the same as
    /// [`luma_horizontal`] at `q0` with `e[0]` and at `q0 + 8` with `e[1]`
    /// (an inactive one is skipped).
    #[inline]
    pub(super) fn luma_horizontal_pair(
        b: Backend,
        data: &mut [u8],
        q0: usize,
        stride: usize,
        e: [EdgeParams; 2],
    ) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if b == Backend::Simd
            && super::simd::luma_horizontal_pair::<super::simd::Native>(data, q0, stride, e)
        {
            return;
        }
        for (k, e) in e.into_iter().enumerate() {
            if e.active() {
                luma_horizontal(b, data, q0.saturating_add(8 * k), stride, e);
            }
        }
    }

    /// Two chroma segments side by side: [`chroma_horizontal`] at `q0` with
    /// `h[0]` and at `q0 + 8` with `h[1]`.
    #[inline]
    pub(super) fn chroma_horizontal_pair(
        b: Backend,
        data: &mut [u8],
        q0: usize,
        stride: usize,
        h: [[EdgeParams; 2]; 2],
    ) {
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "wasm32", target_feature = "simd128")
        ))]
        if b == Backend::Simd
            && super::simd::chroma_horizontal_pair::<super::simd::Native>(data, q0, stride, h)
        {
            return;
        }
        for (k, h) in h.into_iter().enumerate() {
            if h[0].active() || h[1].active() {
                chroma_horizontal(b, data, q0.saturating_add(8 * k), stride, h);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Frame level.

/// A frame's block information and filter settings, checked once; filters
/// planes or bands of planes. `Sync`: one value serves every thread.
#[derive(Clone, Copy, Debug)]
pub struct Deblocker<'a> {
    blocks: &'a [BlockInfo],
    /// Blocks per row and block rows (luma 8x8 blocks).
    cols: usize,
    rows: usize,
    params: DeblockParams,
    luts: Luts,
    backend: Backend,
}

impl<'a> Deblocker<'a> {
    /// For a frame of `luma_width` x `luma_height` (padded: non-zero
    /// multiples of 16) with its block information; [`Backend::best`].
    pub fn new(
        blocks: &'a [BlockInfo],
        luma_width: usize,
        luma_height: usize,
        params: DeblockParams,
    ) -> Result<Self, DeblockError> {
        if luma_width == 0 || luma_height == 0 || luma_width % 16 != 0 || luma_height % 16 != 0 {
            return Err(DeblockError::BadSize {
                width: luma_width,
                height: luma_height,
            });
        }
        let (cols, rows) = (luma_width / 8, luma_height / 8);
        let expected = cols.saturating_mul(rows);
        if blocks.len() != expected {
            return Err(DeblockError::BlockCount {
                expected,
                got: blocks.len(),
            });
        }
        Ok(Deblocker {
            blocks,
            cols,
            rows,
            params,
            luts: Luts::new(&params),
            backend: Backend::best(),
        })
    }

    /// The same with another backend.
    pub fn with_backend(self, backend: Backend) -> Self {
        Deblocker { backend, ..self }
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The filter settings in use.
    pub fn params(&self) -> DeblockParams {
        self.params
    }

    /// Block row `by` (empty if out of range, which `new` rules out).
    #[inline(always)]
    fn block_row(&self, by: usize) -> &'a [BlockInfo] {
        self.blocks.get(by * self.cols..(by + 1) * self.cols).unwrap_or(&[])
    }

    /// Plane width and height for `kind`.
    fn plane_size(&self, kind: PlaneKind) -> (usize, usize) {
        match kind {
            PlaneKind::Luma => (self.cols * 8, self.rows * 8),
            PlaneKind::Chroma => (self.cols * 4, self.rows * 4),
        }
    }

    fn check_band(&self, kind: PlaneKind, band: &Band<'_>) -> Result<(usize, usize), DeblockError> {
        let (w, h) = self.plane_size(kind);
        let bh = band.plane.height();
        if band.plane.width() != w || band.y0.checked_add(bh).is_none_or(|end| end > h) {
            return Err(DeblockError::PlaneMismatch {
                kind,
                width: band.plane.width(),
                expected_width: w,
                y0: band.y0,
                height: bh,
                plane_height: h,
            });
        }
        Ok((w, h))
    }

    /// Pass 1 on plane rows `rows` (which must lie inside the band): filters
    /// every vertical edge on those rows. Rows are independent, so any
    /// partition of the plane's rows gives the same result.
    pub fn filter_vertical_edges(
        &self,
        kind: PlaneKind,
        band: &mut Band<'_>,
        rows: Range<usize>,
    ) -> Result<(), DeblockError> {
        self.check_band(kind, band)?;
        let (y0, bh) = (band.y0, band.plane.height());
        if rows.start > rows.end || rows.start < y0 || rows.end > y0 + bh {
            return Err(DeblockError::RowsOutsideBand {
                rows_start: rows.start,
                rows_end: rows.end,
                y0,
                height: bh,
            });
        }
        let stride = band.plane.stride();
        let data = band.plane.data_mut();
        // Work in groups of the rows that share block information (8 luma
        // rows, or the 8 chroma rows of one macroblock row), so that full
        // groups go to the 8-lane kernels.
        let mut y = rows.start;
        while y < rows.end {
            let group = y / 8;
            let g_end = ((group + 1) * 8).min(rows.end);
            let first = y - group * 8;
            let lines = g_end - y;
            let row_at = (y - y0) * stride;
            match kind {
                PlaneKind::Luma => {
                    let blocks = self.block_row(group);
                    for (i, (p, q)) in blocks.iter().zip(blocks.iter().skip(1)).enumerate() {
                        let bx = i + 1;
                        let e = self.luts.luma_edge(p, q, bx % 2 == 0);
                        if !e.active() {
                            continue;
                        }
                        let q0 = row_at + 8 * bx;
                        if lines == 8 {
                            kernel::luma_vertical(self.backend, data, q0, stride, e);
                        } else {
                            luma_segment_scalar(data, q0, 1, stride, lines, e);
                        }
                    }
                }
                PlaneKind::Chroma => {
                    // Chroma rows 8m..8m+8: luma block rows 2m and 2m + 1.
                    let (upper, lower) = (self.block_row(2 * group), self.block_row(2 * group + 1));
                    // Luma block columns 2mx - 1 (p) and 2mx (q), mx >= 1.
                    let pairs = |row: &'a [BlockInfo]| row.get(1..).unwrap_or(&[]).chunks_exact(2);
                    for (i, (u, l)) in pairs(upper).zip(pairs(lower)).enumerate() {
                        let mx = i + 1;
                        let h = [self.luts.chroma_edge(&u[0], &u[1]), self.luts.chroma_edge(&l[0], &l[1])];
                        if !h[0].active() && !h[1].active() {
                            continue;
                        }
                        let q0 = row_at + 8 * mx;
                        if lines == 8 {
                            kernel::chroma_vertical(self.backend, data, q0, stride, h);
                        } else {
                            chroma_segment_scalar(data, q0, 1, stride, lines, first, h);
                        }
                    }
                }
            }
            y = g_end;
        }
        Ok(())
    }

    /// Pass 2 on the horizontal edges at plane rows `y` in `edge_y` (edges
    /// are at the non-zero multiples of 8 below the plane height). Each such
    /// edge needs rows `y-4..y+4` inside the band. Edges are independent, so
    /// any partition gives the same result.
    pub fn filter_horizontal_edges(
        &self,
        kind: PlaneKind,
        band: &mut Band<'_>,
        edge_y: Range<usize>,
    ) -> Result<(), DeblockError> {
        let (_, h) = self.check_band(kind, band)?;
        let (y0, bh) = (band.y0, band.plane.height());
        let first = edge_y.start.max(8).div_ceil(8) * 8;
        let end = edge_y.end.min(h);
        // Check every edge before touching anything.
        let mut y = first;
        while y < end {
            if y < y0 + 4 || y + 4 > y0 + bh {
                return Err(DeblockError::EdgeOutsideBand {
                    edge_y: y,
                    y0,
                    height: bh,
                });
            }
            y += 8;
        }
        let stride = band.plane.stride();
        let data = band.plane.data_mut();
        let mut y = first;
        while y < end {
            let k = y / 8;
            let row_at = (y - y0) * stride;
            match kind {
                PlaneKind::Luma => {
                    // Two 8-column segments (one macroblock's width) a call:
                    // `cols` is even (the width is a multiple of 16).
                    let (above, below) = (self.block_row(k - 1), self.block_row(k));
                    let mb_edge = k % 2 == 0;
                    for (i, (p, q)) in above.chunks_exact(2).zip(below.chunks_exact(2)).enumerate() {
                        let bx = 2 * i;
                        let e = [self.luts.luma_edge(&p[0], &q[0], mb_edge), self.luts.luma_edge(&p[1], &q[1], mb_edge)];
                        match (e[0].active(), e[1].active()) {
                            (false, false) => {}
                            (true, false) => {
                                kernel::luma_horizontal(self.backend, data, row_at + 8 * bx, stride, e[0])
                            }
                            (false, true) => kernel::luma_horizontal(
                                self.backend,
                                data,
                                row_at + 8 * bx + 8,
                                stride,
                                e[1],
                            ),
                            (true, true) => {
                                kernel::luma_horizontal_pair(self.backend, data, row_at + 8 * bx, stride, e)
                            }
                        }
                    }
                }
                PlaneKind::Chroma => {
                    // Chroma edge k: luma block rows 2k - 1 (p) and 2k (q);
                    // columns 8m..8m+8: luma block columns 2m and 2m + 1.
                    // Chroma edge k: luma block rows 2k - 1 (p) and 2k (q).
                    let (above, below) = (self.block_row(2 * k - 1), self.block_row(2 * k));
                    let halves = |mx: usize| match (above.get(2 * mx..2 * mx + 2), below.get(2 * mx..2 * mx + 2)) {
                        (Some(p), Some(q)) => [self.luts.chroma_edge(&p[0], &q[0]), self.luts.chroma_edge(&p[1], &q[1])],
                        _ => [EdgeParams::OFF; 2],
                    };
                    let active = |h: &[EdgeParams; 2]| h[0].active() || h[1].active();
                    // Two macroblocks (16 columns) a call where both filter.
                    let mut mx = 0;
                    while mx < self.cols / 2 {
                        let h = halves(mx);
                        if mx + 1 < self.cols / 2 {
                            let h1 = halves(mx + 1);
                            match (active(&h), active(&h1)) {
                                (true, true) => kernel::chroma_horizontal_pair(
                                    self.backend,
                                    data,
                                    row_at + 8 * mx,
                                    stride,
                                    [h, h1],
                                ),
                                (a, b) => {
                                    if a {
                                        kernel::chroma_horizontal(self.backend, data, row_at + 8 * mx, stride, h);
                                    }
                                    if b {
                                        kernel::chroma_horizontal(self.backend, data, row_at + 8 * mx + 8, stride, h1);
                                    }
                                }
                            }
                            mx += 2;
                        } else {
                            if active(&h) {
                                kernel::chroma_horizontal(self.backend, data, row_at + 8 * mx, stride, h);
                            }
                            mx += 1;
                        }
                    }
                }
            }
            y += 8;
        }
        Ok(())
    }

    /// Both passes over one whole plane.
    pub fn deblock_plane(
        &self,
        kind: PlaneKind,
        plane: &mut PlaneMut<'_>,
    ) -> Result<(), DeblockError> {
        let mut band = Band::whole(plane.reborrow());
        let h = band.plane.height();
        self.filter_vertical_edges(kind, &mut band, 0..h)?;
        self.filter_horizontal_edges(kind, &mut band, 0..h)
    }

    /// Both passes over all three planes of a frame.
    pub fn deblock(&self, planes: &mut FramePlanes<'_>) -> Result<(), DeblockError> {
        // Check all three before filtering any.
        for (kind, p) in [
            (PlaneKind::Luma, &planes.y),
            (PlaneKind::Chroma, &planes.u),
            (PlaneKind::Chroma, &planes.v),
        ] {
            let (w, h) = self.plane_size(kind);
            if p.width() != w || p.height() != h {
                return Err(DeblockError::PlaneMismatch {
                    kind,
                    width: p.width(),
                    expected_width: w,
                    y0: 0,
                    height: p.height(),
                    plane_height: h,
                });
            }
        }
        self.deblock_plane(PlaneKind::Luma, &mut planes.y)?;
        self.deblock_plane(PlaneKind::Chroma, &mut planes.u)?;
        self.deblock_plane(PlaneKind::Chroma, &mut planes.v)
    }
}

/// Deblocks a reconstructed frame in place: both passes, all planes,
/// serially, with [`Backend::best`]. `planes.y` is the padded luma plane
/// (non-zero multiples of 16 in both directions), `u` and `v` half its size;
/// `blocks` as in [`BlockInfo`]. Nothing is filtered on error.
pub fn deblock_frame(
    planes: &mut FramePlanes<'_>,
    blocks: &[BlockInfo],
    params: &DeblockParams,
) -> Result<(), DeblockError> {
    Deblocker::new(blocks, planes.y.width(), planes.y.height(), *params)?.deblock(planes)
}

#[cfg(test)]
mod tests;
