//! The results of a search: [`MotionField`], the vectors of a frame. The
//! integer search itself works in [`FullPelMv`](asp_core::codec::mv::FullPelMv).

use super::MotionVector;

/// The vectors of one frame: one per block, in raster order of blocks.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionField {
    /// Block size in pixels.
    pub block_size: usize,
    /// Blocks per row: `ceil(width / block_size)`.
    pub blocks_x: usize,
    /// Block rows: `ceil(height / block_size)`.
    pub blocks_y: usize,
    /// Unit of `dx`/`dy`: 1 = whole pixels, 4 = quarter pixels.
    pub precision: u8,
    /// `blocks_x * blocks_y` vectors, raster order.
    pub vectors: Vec<MotionVector>,
}

impl MotionField {
    /// The vector of block `(block_x, block_y)`.
    pub fn get(&self, block_x: usize, block_y: usize) -> Option<&MotionVector> {
        if block_x >= self.blocks_x {
            return None;
        }
        self.vectors
            .get(block_y.checked_mul(self.blocks_x)?.checked_add(block_x)?)
    }

    /// Sum of every block's SAD.
    pub fn total_sad(&self) -> u64 {
        self.vectors.iter().map(|v| v.sad() as u64).sum()
    }
}
