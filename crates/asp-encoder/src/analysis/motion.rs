//! Motion regions: blocks that moved, grouped into moving objects.
//!
//! [`detect_motion`] runs the encoder's block motion search
//! ([`crate::motion`]) between two pictures and measures each block's
//! frame difference (its SAD at zero displacement). A block is moving when
//! it changed (mean absolute difference at least `min_difference`) and
//! either a displaced match explains the change (a non-zero vector whose
//! SAD is well below the zero-vector SAD) or the change is large
//! (`strong_difference`: something appeared). Moving blocks are grouped,
//! bridging one-block gaps, and each group's box is a
//! [`RoiType::Motion`] region; confidence grows with the share of the
//! change that motion explains.
//!
//! [`motion_regions_from_field`] does the grouping for vectors that already
//! exist (the encoder's, or a D-packet's side data).

use asp_core::schema::{MotionVector, RoiType};

use super::regions::BlockGrid;
use super::{AnalysisError, Image, Roi};
use crate::motion::{estimate_motion_parallel, MotionField, SearchAlgorithm};

/// Motion detector settings; `Default` suits 8-bit video.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MotionParams {
    /// Block size: 8, 16 or 32.
    pub block_size: usize,
    /// Search range in whole pixels (at most 64).
    pub search_range: usize,
    /// Mean absolute frame difference of a changed block.
    pub min_difference: f32,
    /// Mean absolute difference that counts as motion even unmatched.
    pub strong_difference: f32,
    /// Groups of fewer blocks are noise.
    pub min_blocks: usize,
}

impl Default for MotionParams {
    fn default() -> Self {
        MotionParams { block_size: 16, search_range: 32, min_difference: 4.0, strong_difference: 24.0, min_blocks: 1 }
    }
}

/// Motion regions between `previous` and `current` (same size).
pub fn detect_motion(current: &Image<'_>, previous: &Image<'_>, params: &MotionParams) -> Result<Vec<Roi>, AnalysisError> {
    let size = (current.width(), current.height());
    if size != (previous.width(), previous.height()) {
        return Err(AnalysisError::SizeMismatch { first: size, second: (previous.width(), previous.height()) });
    }
    if ![8, 16, 32].contains(&params.block_size) {
        return Err(AnalysisError::BadParameter("motion block_size must be 8, 16 or 32"));
    }
    let (w, h) = size;
    let (cur, prev) = (current.luma(), previous.luma());
    let bs = params.block_size;
    let vectors = estimate_motion_parallel(&cur, &prev, w, h, bs, params.search_range, SearchAlgorithm::Hexagon, 0)
        .map_err(|_| AnalysisError::BadParameter("motion search_range must be at most 64"))?;
    let (cols, rows) = (w.div_ceil(bs), h.div_ceil(bs));
    let scores = vectors
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (bx, by) = (i % cols, i / cols);
            let (x, y) = (bx * bs, by * bs);
            let (bw, bh) = ((w - x).min(bs), (h - y).min(bs));
            let zero_sad = zero_vector_sad(&cur, &prev, w, x, y, bw, bh);
            block_score(zero_sad as f32, v, (bw * bh) as f32, params)
        })
        .collect();
    Ok(regions(&BlockGrid { cols, rows, block: bs, scores }, w, h, params.min_blocks))
}

/// Motion regions from existing vectors: blocks whose vector is non-zero
/// (any unit) are moving, grouped as in [`detect_motion`]. `width` and
/// `height` are the picture's, to clip the boxes.
pub fn motion_regions_from_field(field: &MotionField, width: usize, height: usize, min_blocks: usize) -> Vec<Roi> {
    let scores = field
        .vectors
        .iter()
        .map(|v| if v.dx() != 0 || v.dy() != 0 { 1.0 } else { 0.0 })
        .collect();
    let grid = BlockGrid { cols: field.blocks_x, rows: field.blocks_y, block: field.block_size, scores };
    regions(&grid, width, height, min_blocks)
}

/// 0 for a still block, else in (0, 1]: how much of the change a displaced
/// match explains (1 when the match is perfect), at least 0.5 for a strong
/// unmatched change.
fn block_score(zero_sad: f32, v: &MotionVector, pixels: f32, params: &MotionParams) -> f32 {
    let difference = zero_sad / pixels;
    if difference < params.min_difference {
        return 0.0;
    }
    let moved = v.dx() != 0 || v.dy() != 0;
    let explained = if moved { 1.0 - v.sad() as f32 / zero_sad } else { 0.0 };
    if moved && explained >= 0.4 {
        explained
    } else if difference >= params.strong_difference {
        0.5
    } else {
        0.0
    }
}

fn zero_vector_sad(cur: &[u8], prev: &[u8], w: usize, x: usize, y: usize, bw: usize, bh: usize) -> u32 {
    (y..y + bh)
        .map(|row| {
            let (a, b) = (&cur[row * w + x..][..bw], &prev[row * w + x..][..bw]);
            a.iter().zip(b).map(|(&p, &q)| u32::from(p.abs_diff(q))).sum::<u32>()
        })
        .sum()
}

fn regions(grid: &BlockGrid, w: usize, h: usize, min_blocks: usize) -> Vec<Roi> {
    grid.group(f32::MIN_POSITIVE, 1, 1)
        .into_iter()
        .filter(|g| g.marked >= min_blocks.max(1))
        .map(|g| {
            let (x, y, width, height) = g.pixel_rect(grid.block, w, h);
            Roi { x, y, width, height, kind: RoiType::Motion, confidence: g.mean_score.clamp(0.0, 1.0) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured 160x120 background with a bright 24x24 square at `(sx, sy)`.
    fn scene(sx: usize, sy: usize) -> Vec<u8> {
        let (w, h) = (160, 120);
        let mut y: Vec<u8> = (0..w * h).map(|i| (60 + (i % w) / 4 + (i / w) / 3) as u8).collect();
        for row in sy..sy + 24 {
            for col in sx..sx + 24 {
                y[row * w + col] = if (row + col) % 6 < 3 { 240 } else { 200 };
            }
        }
        y
    }

    #[test]
    fn regions_cover_a_moving_square_and_nothing_else() {
        // Five frames of a square moving 6 px right and 3 px down each frame.
        for t in 1..5 {
            let (prev, cur) = (scene(30 + 6 * (t - 1), 40 + 3 * (t - 1)), scene(30 + 6 * t, 40 + 3 * t));
            let (a, b) = (Image::gray(&cur, 160, 120).unwrap(), Image::gray(&prev, 160, 120).unwrap());
            let regions = detect_motion(&a, &b, &MotionParams::default()).unwrap();
            assert_eq!(regions.len(), 1, "frame {t}: {regions:?}");
            let r = regions[0];
            let (sx, sy) = (30 + 6 * t as u32, 40 + 3 * t as u32);
            assert_eq!(r.kind, RoiType::Motion);
            assert!(r.x <= sx && r.y <= sy && r.x + r.width >= sx + 24 && r.y + r.height >= sy + 24, "{r:?}");
            // Tight: the square's old and new place, rounded out to blocks.
            assert!(r.width <= 64 && r.height <= 64, "{r:?}");
            assert!(r.confidence > 0.0 && r.confidence <= 1.0);
        }
    }

    #[test]
    fn still_pictures_have_no_motion_and_sizes_must_match() {
        let still = scene(30, 40);
        let a = Image::gray(&still, 160, 120).unwrap();
        assert!(detect_motion(&a, &a, &MotionParams::default()).unwrap().is_empty());
        let small = Image::gray(&still[..80 * 60], 80, 60).unwrap();
        assert!(matches!(detect_motion(&a, &small, &MotionParams::default()), Err(AnalysisError::SizeMismatch { .. })));
        let bad = MotionParams { block_size: 12, ..MotionParams::default() };
        assert!(matches!(detect_motion(&a, &a, &bad), Err(AnalysisError::BadParameter(_))));
    }
}
