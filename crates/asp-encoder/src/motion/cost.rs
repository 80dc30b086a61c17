//! The rate term of a search's cost: what a vector costs to code.

use asp_core::codec::mv::QpelMv;

/// The rate term of a search's cost for a video encoder: λ times the
/// estimated bits of a vector's difference from the vector the decoder
/// will predict. Without it a search takes any vector that shaves one unit
/// of SAD, however many bits it costs to code (noisy vectors in flat and
/// noisy areas, which also spoil the next blocks' prediction and skips).
/// [`MvCost::NONE`] is the pure SAD search of the seed's API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MvCost {
    /// The vector the decoder will predict.
    pub pred: QpelMv,
    /// Cost of one bit in 1/16 SAD units (0: no rate term).
    pub lambda: u32,
}

impl MvCost {
    /// No rate term: the pure SAD search.
    pub const NONE: MvCost = MvCost { pred: QpelMv::ZERO, lambda: 0 };

    /// The rate term of the quarter-sample vector (`x`, `y`).
    #[inline(always)]
    pub fn of_qpel(&self, x: i32, y: i32) -> u32 {
        if self.lambda == 0 {
            return 0;
        }
        (self.lambda * (mvd_bits(x - i32::from(self.pred.x)) + mvd_bits(y - i32::from(self.pred.y))) + 8) >> 4
    }
}

/// Estimated bits of one vector-difference component in quarter samples:
/// the syntax is unary-then-Exp-Golomb, about 2 log2 bits of the magnitude.
#[inline(always)]
pub fn mvd_bits(d: i32) -> u32 {
    if d == 0 {
        1
    } else {
        3 + 2 * (32 - d.unsigned_abs().leading_zeros())
    }
}
