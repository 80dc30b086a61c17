//! Grouping marked blocks into rectangles: the step the edge and motion
//! detectors share. A block grid with a score per block; blocks above a
//! threshold are joined (8-connected, after an optional dilation so that
//! nearby blocks — letters of a word, parts of a moving body — merge) and
//! each group becomes its bounding box.

/// A score per block over a `cols` x `rows` grid of `block`-pixel blocks.
pub(crate) struct BlockGrid {
    pub cols: usize,
    pub rows: usize,
    pub block: usize,
    pub scores: Vec<f32>,
}

/// One group of blocks: its bounding box in blocks (inclusive) and the
/// number and mean score of its marked blocks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Group {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
    pub marked: usize,
    pub mean_score: f32,
}

impl Group {
    pub fn width_blocks(&self) -> usize {
        self.x1 - self.x0 + 1
    }

    pub fn height_blocks(&self) -> usize {
        self.y1 - self.y0 + 1
    }

    /// The box in pixels, clipped to a `width` x `height` picture:
    /// `(x, y, w, h)`.
    pub fn pixel_rect(&self, block: usize, width: usize, height: usize) -> (u32, u32, u32, u32) {
        let x = self.x0 * block;
        let y = self.y0 * block;
        let w = ((self.x1 + 1) * block).min(width) - x;
        let h = ((self.y1 + 1) * block).min(height) - y;
        (x as u32, y as u32, w as u32, h as u32)
    }
}

impl BlockGrid {
    /// Groups the blocks scoring at least `threshold`: 8-connected, and a
    /// marked block also joins marked blocks across a gap of up to
    /// `gap_x` / `gap_y` unmarked blocks. Groups in raster order of their
    /// first block.
    pub fn group(&self, threshold: f32, gap_x: usize, gap_y: usize) -> Vec<Group> {
        let marked: Vec<bool> = self.scores.iter().map(|&s| s >= threshold).collect();
        let mut label = vec![usize::MAX; marked.len()];
        let mut groups = Vec::new();
        let mut stack = Vec::new();
        for start in 0..marked.len() {
            if !marked[start] || label[start] != usize::MAX {
                continue;
            }
            let id = groups.len();
            label[start] = id;
            stack.push(start);
            let mut g = Group { x0: usize::MAX, y0: usize::MAX, x1: 0, y1: 0, marked: 0, mean_score: 0.0 };
            let mut score_sum = 0.0f64;
            while let Some(i) = stack.pop() {
                let (bx, by) = (i % self.cols, i / self.cols);
                g.x0 = g.x0.min(bx);
                g.y0 = g.y0.min(by);
                g.x1 = g.x1.max(bx);
                g.y1 = g.y1.max(by);
                g.marked += 1;
                score_sum += f64::from(self.scores[i]);
                let (ys, ye) = (by.saturating_sub(gap_y + 1), (by + gap_y + 2).min(self.rows));
                let (xs, xe) = (bx.saturating_sub(gap_x + 1), (bx + gap_x + 2).min(self.cols));
                for ny in ys..ye {
                    for nx in xs..xe {
                        let j = ny * self.cols + nx;
                        if marked[j] && label[j] == usize::MAX {
                            label[j] = id;
                            stack.push(j);
                        }
                    }
                }
            }
            g.mean_score = (score_sum / g.marked as f64) as f32;
            groups.push(g);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&str]) -> BlockGrid {
        let cols = rows[0].len();
        let scores = rows.iter().flat_map(|r| r.bytes().map(|b| if b == b'#' { 1.0 } else { 0.0 })).collect();
        BlockGrid { cols, rows: rows.len(), block: 8, scores }
    }

    #[test]
    fn gaps_of_that_size_are_bridged_and_no_more() {
        let g = grid(&["#.#...#", "...#..."]);
        assert_eq!(g.group(0.5, 0, 0).len(), 3, "8-connected: (2,0) and (3,1) touch");
        let joined = g.group(0.5, 1, 0);
        assert_eq!(joined.len(), 2);
        assert_eq!((joined[0].x0, joined[0].x1, joined[0].marked), (0, 3, 3));
        assert_eq!(g.group(0.5, 2, 0).len(), 1);
    }

    #[test]
    fn pixel_rect_is_clipped_to_the_picture() {
        let g = grid(&["..#", "..#"]).group(0.5, 0, 0);
        assert_eq!(g[0].pixel_rect(8, 20, 13), (16, 0, 4, 13));
    }
}
