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
//! simd128 on `wasm32` built with `+simd128`, NEON on aarch64. Vertical edges transpose an 8x8
//! byte tile so the lanes run along the edge. The [`Deblocker`]'s
//! [`CpuFeatures`] select ([`Deblocker::with_cpu`]); the SIMD path is exact
//! (tested against the scalar one on random input, at every level of
//! [`CpuFeatures::levels`]).

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use super::frame::Frame;
use crate::cpu::CpuFeatures;
use super::macroblock::MbInfo;
use super::plane_mut::{FramePlanes, PlaneMut};

mod scalar;
mod simd;
mod strength;

#[cfg(test)]
use scalar::{chroma_line, luma_line};
use scalar::{chroma_segment_scalar, luma_segment_scalar};
use strength::{EdgeParams, Luts};
pub use strength::{block_infos, boundary_strength, BlockInfo, DeblockParams, ALPHA, BETA, CHROMA_QP, TC0};

/// Which kind of plane a call filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlaneKind {
    /// Luma: 8x8 grid, luma filters.
    Luma,
    /// Either chroma plane: chroma 8x8 grid (macroblock edges), chroma filters.
    Chroma,
}

/// Whether this build has SIMD deblocking kernels (SSE2 on x86_64, simd128
/// on wasm32 built with `+simd128`, NEON on aarch64); a [`Deblocker`] uses
/// them when its [`CpuFeatures`] allow.
pub const SIMD_AVAILABLE: bool = cfg!(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128"),
    all(target_arch = "aarch64", target_feature = "neon")
));

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
    /// Whether the SIMD kernels run (see [`Deblocker::with_cpu`]).
    simd: bool,
}

impl<'a> Deblocker<'a> {
    /// For a frame of `luma_width` x `luma_height` (padded: non-zero
    /// multiples of 16) with its block information, using the kernels of
    /// [`CpuFeatures::detect`].
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
            simd: simd_allowed(CpuFeatures::detect()),
        })
    }

    /// The same with the kernels `cpu` allows: the SIMD twins when it has
    /// [`CpuFeatures::has_simd128_twins`] (and this build has them,
    /// [`SIMD_AVAILABLE`]), else the scalar reference. Identical output.
    pub fn with_cpu(self, cpu: CpuFeatures) -> Self {
        Deblocker { simd: simd_allowed(cpu), ..self }
    }

    /// Whether the SIMD kernels run.
    pub fn uses_simd(&self) -> bool {
        self.simd
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
                            simd::luma_vertical(self.simd, data, q0, stride, e);
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
                            simd::chroma_vertical(self.simd, data, q0, stride, h);
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
                                simd::luma_horizontal(self.simd, data, row_at + 8 * bx, stride, e[0])
                            }
                            (false, true) => simd::luma_horizontal(
                                self.simd,
                                data,
                                row_at + 8 * bx + 8,
                                stride,
                                e[1],
                            ),
                            (true, true) => {
                                simd::luma_horizontal_pair(self.simd, data, row_at + 8 * bx, stride, e)
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
                                (true, true) => simd::chroma_horizontal_pair(
                                    self.simd,
                                    data,
                                    row_at + 8 * mx,
                                    stride,
                                    [h, h1],
                                ),
                                (a, b) => {
                                    if a {
                                        simd::chroma_horizontal(self.simd, data, row_at + 8 * mx, stride, h);
                                    }
                                    if b {
                                        simd::chroma_horizontal(self.simd, data, row_at + 8 * mx + 8, stride, h1);
                                    }
                                }
                            }
                            mx += 2;
                        } else {
                            if active(&h) {
                                simd::chroma_horizontal(self.simd, data, row_at + 8 * mx, stride, h);
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

/// The in-loop filter over a whole reconstructed frame, from its
/// macroblock infos (raster order, one per macroblock): both passes, all
/// planes, serially, with the kernels of [`CpuFeatures::detect`] and the default
/// [`DeblockParams`]. The encoder runs it on its reconstruction, the
/// decoder on frames whose tiles do not span the frame's width.
pub fn deblock_frame(frame: &mut Frame, infos: &[MbInfo]) {
    let mut blocks = vec![BlockInfo::default(); frame.mb_cols() * 2 * frame.mb_rows() * 2];
    block_infos(infos, frame.mb_cols(), &mut blocks);
    // A frame always has valid padded planes and one block info per 8x8
    // block, so neither call can fail.
    if let Ok(mut planes) = FramePlanes::from_frame(frame) {
        if let Ok(deblocker) = Deblocker::new(&blocks, planes.y.width(), planes.y.height(), DeblockParams::default()) {
            let _ = deblocker.deblock(&mut planes);
        }
    }
}

/// Whether `cpu` lets the SIMD kernels run on this CPU and build.
fn simd_allowed(cpu: CpuFeatures) -> bool {
    SIMD_AVAILABLE && cpu.masked(CpuFeatures::host()).has_simd128_twins()
}

#[cfg(test)]
mod tests;
