//! Motion regions: blocks that moved, grouped into moving objects.
//!
//! [`detect_motion`] runs the encoder's block motion search
//! ([`crate::motion`]) between two pictures and measures each block's
//! frame difference (its SAD at zero displacement). The camera's own
//! motion (the median vector of the changed blocks) is taken out, so a pan
//! does not make the whole picture a region. A block is moving when it
//! changed (mean absolute difference at least `min_difference`) and either
//! a match displaced from the camera's motion explains the change (its SAD
//! well below the SAD at the camera's motion) or the change is large and
//! unexplained by the camera's motion (`strong_difference`: something
//! appeared). Moving blocks are grouped,
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
    let blocks: Vec<(usize, usize, usize, usize)> = (0..vectors.len())
        .map(|i| {
            let (x, y) = ((i % cols) * bs, (i / cols) * bs);
            (x, y, (w - x).min(bs), (h - y).min(bs))
        })
        .collect();
    let zero_sads: Vec<u32> =
        blocks.iter().map(|&(x, y, bw, bh)| displaced_sad(&cur, &prev, w, h, x, y, bw, bh, (0, 0))).collect();
    let camera = camera_motion(&vectors, &zero_sads, &blocks, params);
    let scores = vectors
        .iter()
        .zip(&blocks)
        .zip(&zero_sads)
        .map(|((v, &(x, y, bw, bh)), &zero_sad)| {
            let (sx, sy) = (x as i32 + camera.0, y as i32 + camera.1);
            if sx < 0 || sy < 0 || sx as usize + bw > w || sy as usize + bh > h {
                // Picture entering at the edge as the camera moves: new, not moving.
                return 0.0;
            }
            let still_sad = if camera == (0, 0) { zero_sad } else { displaced_sad(&cur, &prev, w, h, x, y, bw, bh, camera) };
            let own = (i32::from(v.dx()) - camera.0, i32::from(v.dy()) - camera.1);
            block_score(zero_sad as f32, still_sad as f32, own, v.sad() as f32, (bw * bh) as f32, params)
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

/// 0 for a still block, else in (0, 1]: how much of the change (against
/// the camera's motion) a displaced match explains (1 when the match is
/// perfect), at least 0.5 for a strong unexplained change. `own` is the
/// block's vector less the camera's.
fn block_score(zero_sad: f32, still_sad: f32, own: (i32, i32), best_sad: f32, pixels: f32, params: &MotionParams) -> f32 {
    if zero_sad / pixels < params.min_difference || still_sad / pixels < params.min_difference {
        return 0.0;
    }
    let moved = own != (0, 0);
    let explained = if moved { 1.0 - best_sad / still_sad } else { 0.0 };
    if moved && explained >= 0.4 {
        explained
    } else if still_sad / pixels >= params.strong_difference {
        0.5
    } else {
        0.0
    }
}

/// The camera's motion: the median vector over the blocks that changed
/// (whole pixels), or none when few did.
fn camera_motion(
    vectors: &[MotionVector],
    zero_sads: &[u32],
    blocks: &[(usize, usize, usize, usize)],
    params: &MotionParams,
) -> (i32, i32) {
    let changed: Vec<&MotionVector> = vectors
        .iter()
        .zip(zero_sads)
        .zip(blocks)
        .filter(|((_, &sad), &(_, _, bw, bh))| sad as f32 / (bw * bh) as f32 >= params.min_difference)
        .map(|((v, _), _)| v)
        .collect();
    // Only when most of the picture changed is it the camera moving.
    if changed.len() * 2 < vectors.len() {
        return (0, 0);
    }
    let median = |mut values: Vec<i32>| {
        values.sort_unstable();
        values[values.len() / 2]
    };
    (
        median(changed.iter().map(|v| i32::from(v.dx())).collect()),
        median(changed.iter().map(|v| i32::from(v.dy())).collect()),
    )
}

/// SAD of a block against the previous picture displaced by `d` (clamped
/// to the picture).
#[allow(clippy::too_many_arguments)]
fn displaced_sad(cur: &[u8], prev: &[u8], w: usize, h: usize, x: usize, y: usize, bw: usize, bh: usize, d: (i32, i32)) -> u32 {
    let px = (x as i32 + d.0).clamp(0, (w - bw) as i32) as usize;
    let py = (y as i32 + d.1).clamp(0, (h - bh) as i32) as usize;
    (0..bh)
        .map(|row| {
            let (a, b) = (&cur[(y + row) * w + x..][..bw], &prev[(py + row) * w + px..][..bw]);
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
    fn a_camera_pan_alone_is_not_motion_but_an_object_against_it_is() {
        // A textured picture panned 4 px left: the whole picture changed.
        let tex = |x: usize, y: usize| (40 + (x * 7 + y * 13) % 61 + ((x / 9 + y / 7) % 3) * 40) as u8;
        let (w, h) = (160usize, 120usize);
        let frame = |pan: usize, square: Option<(usize, usize)>| -> Vec<u8> {
            (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    match square {
                        Some((sx, sy)) if (sx..sx + 24).contains(&x) && (sy..sy + 24).contains(&y) => 250,
                        _ => tex(x + pan, y),
                    }
                })
                .collect()
        };
        let (prev, cur) = (frame(0, None), frame(4, None));
        let (a, b) = (Image::gray(&cur, w, h).unwrap(), Image::gray(&prev, w, h).unwrap());
        assert!(detect_motion(&a, &b, &MotionParams::default()).unwrap().is_empty());
        let (prev, cur) = (frame(0, Some((60, 40))), frame(4, Some((70, 46))));
        let (a, b) = (Image::gray(&cur, w, h).unwrap(), Image::gray(&prev, w, h).unwrap());
        let regions = detect_motion(&a, &b, &MotionParams::default()).unwrap();
        assert_eq!(regions.len(), 1, "{regions:?}");
        let r = regions[0];
        assert!(r.x <= 70 && r.y <= 46 && r.x + r.width >= 94 && r.y + r.height >= 70, "{r:?}");
        assert!(r.width <= 64 && r.height <= 64, "{r:?}");
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
