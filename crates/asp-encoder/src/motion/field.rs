//! The results of a search: [`Mv`], the integer displacement a search works
//! in, and [`MotionField`], the vectors of a frame.

use super::MotionVector;

/// An integer-pel displacement: a search candidate or predictor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mv {
    /// Horizontal, whole pixels (positive: right).
    pub dx: i16,
    /// Vertical, whole pixels (positive: down).
    pub dy: i16,
}

impl Mv {
    /// The zero vector.
    pub const ZERO: Mv = Mv { dx: 0, dy: 0 };

    /// `(dx, dy)`.
    pub const fn new(dx: i16, dy: i16) -> Mv {
        Mv { dx, dy }
    }

    /// Component-wise median of three vectors (H.264's motion vector predictor).
    pub fn median(a: Mv, b: Mv, c: Mv) -> Mv {
        fn med(a: i16, b: i16, c: i16) -> i16 {
            a.max(b).min(a.min(b).max(c))
        }
        Mv {
            dx: med(a.dx, b.dx, c.dx),
            dy: med(a.dy, b.dy, c.dy),
        }
    }

    /// The whole-pixel vector of `v`, whose unit is `1 / precision` pixel
    /// (rounded to nearest, halves away from minus infinity).
    pub fn from_vector(v: &MotionVector, precision: u8) -> Mv {
        match precision {
            2 => Mv {
                dx: ((v.dx() as i32 + 1) >> 1) as i16,
                dy: ((v.dy() as i32 + 1) >> 1) as i16,
            },
            4 => Mv {
                dx: ((v.dx() as i32 + 2) >> 2) as i16,
                dy: ((v.dy() as i32 + 2) >> 2) as i16,
            },
            _ => Mv {
                dx: v.dx(),
                dy: v.dy(),
            },
        }
    }
}

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
