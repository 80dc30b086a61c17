//! Edge and text regions: gradient magnitude, edge density per block, and
//! blocks grouped so that a line of text becomes one region.
//!
//! A pixel is an edge pixel when its central-difference gradient
//! `|dx| + |dy|` reaches `gradient_threshold`. A block is marked when
//! enough of its pixels are edge pixels; marked blocks join across small
//! horizontal gaps (the space between letters and words) but not across
//! vertical ones (the space between lines). A group that is wide and
//! short (a line: at most `max_text_blocks` tall, at least five blocks
//! wide), densely filled, with
//! quiet block rows just above and below it (the leading between lines,
//! or the picture's edge), is [`RoiType::Text`]; other groups are
//! [`RoiType::Edge`]. The quiet rows are what tell text from texture:
//! grass, foliage and gravel also make wide, dense groups of edges, but
//! their neighbours are textured too. Groups covering more than `max_area_fraction` of the
//! picture are texture, not a region of interest, and are dropped.

use asp_core::schema::RoiType;

use super::regions::{BlockGrid, Group};
use super::{AnalysisError, Image, Roi};

/// Edge detector settings; `Default` gives values tuned for 8-bit video.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdgeParams {
    /// Minimum `|dx| + |dy|` (central differences) of an edge pixel.
    pub gradient_threshold: u16,
    /// Block size in pixels (4..=64).
    pub block_size: usize,
    /// Minimum share of edge pixels in a marked block.
    pub density: f32,
    /// Unmarked blocks a group may bridge horizontally.
    pub gap_blocks: usize,
    /// Groups of fewer marked blocks are noise.
    pub min_blocks: usize,
    /// Groups whose box covers more of the picture are texture.
    pub max_area_fraction: f32,
    /// Tallest text line, in blocks.
    pub max_text_blocks: usize,
}

impl Default for EdgeParams {
    fn default() -> Self {
        EdgeParams {
            gradient_threshold: 60,
            block_size: 8,
            density: 0.12,
            gap_blocks: 1,
            min_blocks: 3,
            max_area_fraction: 0.25,
            max_text_blocks: 4,
        }
    }
}

/// Text and edge regions of `image` (see the [module docs](self)).
pub fn detect_edges(image: &Image<'_>, params: &EdgeParams) -> Result<Vec<Roi>, AnalysisError> {
    if !(4..=64).contains(&params.block_size) {
        return Err(AnalysisError::BadParameter("edge block_size must be in 4..=64"));
    }
    if !(0.0..=1.0).contains(&params.density) || !(0.0..=1.0).contains(&params.max_area_fraction) {
        return Err(AnalysisError::BadParameter("edge density and max_area_fraction must be in 0..=1"));
    }
    let (w, h) = (image.width(), image.height());
    let grid = edge_density(&image.luma(), w, h, params);
    let picture = (w * h) as f32;
    let bs = params.block_size;
    let regions = grid
        .group(params.density, params.gap_blocks, 0)
        .into_iter()
        .filter(|g| g.marked >= params.min_blocks)
        .filter_map(|g| {
            let (x, y, rw, rh) = g.pixel_rect(bs, w, h);
            if (rw as f32 * rh as f32) > params.max_area_fraction * picture {
                return None;
            }
            let fill = g.marked as f32 / (g.width_blocks() * g.height_blocks()) as f32;
            let line_shaped = g.width_blocks() >= (2 * g.height_blocks()).max(MIN_TEXT_WIDTH_BLOCKS)
                && g.height_blocks() <= params.max_text_blocks;
            let text = line_shaped && fill >= 0.5 && has_quiet_margins(&grid, &g, params.density);
            let kind = if text { RoiType::Text } else { RoiType::Edge };
            // Denser edges over more of the box: surer.
            let confidence = (g.mean_score * 2.0).min(1.0) * fill.sqrt();
            Some(Roi { x, y, width: rw, height: rh, kind, confidence })
        })
        .collect();
    Ok(regions)
}

/// Narrowest text line, in blocks: shorter groups are a word at best and
/// far more often a fragment of texture.
const MIN_TEXT_WIDTH_BLOCKS: usize = 5;

/// Whether the block rows just above and just below `g` (over its
/// width) are quiet: their mean edge density under half the marking
/// `density`. Rows past the picture's edge count as quiet.
fn has_quiet_margins(grid: &BlockGrid, g: &Group, density: f32) -> bool {
    let row_mean = |row: usize| {
        let scores = &grid.scores[row * grid.cols..][g.x0..=g.x1];
        scores.iter().sum::<f32>() / scores.len() as f32
    };
    let above = g.y0.checked_sub(1).map_or(0.0, row_mean);
    let below = if g.y1 + 1 < grid.rows { row_mean(g.y1 + 1) } else { 0.0 };
    above < 0.5 * density && below < 0.5 * density
}

/// Share of edge pixels in each block.
fn edge_density(luma: &[u8], w: usize, h: usize, params: &EdgeParams) -> BlockGrid {
    let bs = params.block_size;
    let (cols, rows) = (w.div_ceil(bs), h.div_ceil(bs));
    let mut counts = vec![0u32; cols * rows];
    let at = |x: usize, y: usize| i32::from(luma[y * w + x]);
    for y in 0..h {
        let (up, down) = (y.saturating_sub(1), (y + 1).min(h - 1));
        let row = &mut counts[(y / bs) * cols..][..cols];
        for x in 0..w {
            let (left, right) = (x.saturating_sub(1), (x + 1).min(w - 1));
            let g = (at(right, y) - at(left, y)).abs() + (at(x, down) - at(x, up)).abs();
            if g >= i32::from(params.gradient_threshold) {
                row[x / bs] += 1;
            }
        }
    }
    let scores = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (bx, by) = (i % cols, i / cols);
            let bw = (w - bx * bs).min(bs);
            let bh = (h - by * bs).min(bs);
            c as f32 / (bw * bh) as f32
        })
        .collect();
    BlockGrid { cols, rows, block: bs, scores }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 320x160 light-grey page with a smooth gradient band and two
    /// lines of dark "glyphs" (strokes of varying shape), like text.
    fn text_page() -> Vec<u8> {
        let (w, h) = (320usize, 160usize);
        let mut page: Vec<u8> = (0..w * h).map(|i| 200 + ((i % w) / 40) as u8).collect();
        for (line_y, count) in [(24usize, 20usize), (88, 12)] {
            for g in 0..count {
                let gx = 16 + g * 14;
                for dy in 0..16 {
                    for dx in 0..9 {
                        // Vertical strokes and a bar, different for each glyph.
                        let stroke = dx < 2 || (dx >= 7 && g % 2 == 0) || (dy % 8 < 2 && (g + dy / 8) % 3 != 0);
                        if stroke {
                            page[(line_y + dy) * w + gx + dx] = 20;
                        }
                    }
                }
            }
        }
        page
    }

    #[test]
    fn each_text_line_is_one_text_region() {
        let page = text_page();
        let image = Image::gray(&page, 320, 160).unwrap();
        let regions = detect_edges(&image, &EdgeParams::default()).unwrap();
        assert_eq!(regions.len(), 2, "{regions:?}");
        for (r, (line_y, right)) in regions.iter().zip([(24u32, 16 + 19 * 14 + 9), (88, 16 + 11 * 14 + 9)]) {
            assert_eq!(r.kind, RoiType::Text, "{r:?}");
            // The box covers the line and stays within a block of it.
            assert!(r.y <= line_y && r.y + r.height >= line_y + 16 && r.height <= 32, "{r:?}");
            assert!(r.x <= 16 && r.x + r.width >= right as u32 && r.x + r.width <= right as u32 + 16, "{r:?}");
            assert!(r.confidence > 0.3 && r.confidence <= 1.0);
        }
    }

    #[test]
    fn a_line_of_glyphs_inside_texture_is_not_text() {
        // The same page, with sparse texture (a dark dot in every 8x8
        // block: edges in about 6 % of the pixels, too few to mark the
        // blocks) in the block rows above and below the first line: no
        // leading, so the line is part of a texture.
        let mut page = text_page();
        for y in (8..24).chain(40..48) {
            for x in 0..320 {
                if x % 8 == 3 && y % 8 == 3 {
                    page[y * 320 + x] = 20;
                }
            }
        }
        let image = Image::gray(&page, 320, 160).unwrap();
        let regions = detect_edges(&image, &EdgeParams::default()).unwrap();
        assert!(regions.iter().all(|r| r.kind != RoiType::Text || r.y >= 64), "{regions:?}");
        assert!(regions.iter().any(|r| r.kind == RoiType::Text && r.y >= 64), "the second line is still text: {regions:?}");
    }

    #[test]
    fn flat_and_smooth_pictures_have_no_regions() {
        let smooth: Vec<u8> = (0..200 * 100).map(|i| (((i % 200) + (i / 200)) / 2) as u8).collect();
        let image = Image::gray(&smooth, 200, 100).unwrap();
        assert!(detect_edges(&image, &EdgeParams::default()).unwrap().is_empty());
        let tiny = Image::gray(&[0, 255, 0], 3, 1).unwrap();
        assert!(detect_edges(&tiny, &EdgeParams::default()).unwrap().is_empty());
    }

    #[test]
    fn bad_parameters_are_errors() {
        let image = Image::gray(&[0; 64], 8, 8).unwrap();
        let p = EdgeParams { block_size: 2, ..EdgeParams::default() };
        assert!(matches!(detect_edges(&image, &p), Err(AnalysisError::BadParameter(_))));
    }
}
