//! Motion vectors, typed by unit.
//!
//! Two units meet in motion code, and a bare pair of integers does not say
//! which one it holds, so each has its own type:
//!
//! * [`QpelMv`]: quarter luma samples. What the bitstream codes, what the
//!   `Predictor` and the deblocking strengths read, and what the encoder
//!   decides. In 4:2:0 the same numbers are the chroma vector in eighth
//!   chroma samples ([`chroma_mc`](super::chroma_mc)).
//! * [`FullPelMv`]: whole luma samples. What the encoder's integer motion
//!   search steps in (its candidates and predictors) before sub-pel
//!   refinement.
//!
//! Crossing between them is explicit: [`QpelMv::from_full_pel`] (exact) and
//! [`QpelMv::to_full_pel_round`] (nearest whole sample). The wire's
//! `schema::MotionVector` keeps its own `dx`/`dy`, whose unit the motion
//! field's `precision` states; [`FullPelMv::from_wire`] reads it.

use crate::schema::MotionVector;

/// Quarter luma samples per whole sample.
const QPEL_PER_PEL: i32 = 4;

/// A motion vector in quarter luma samples (eighth chroma samples in 4:2:0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QpelMv {
    /// Horizontal, quarter samples (positive: right).
    pub x: i16,
    /// Vertical, quarter samples (positive: down).
    pub y: i16,
}

impl QpelMv {
    pub const ZERO: QpelMv = QpelMv { x: 0, y: 0 };

    pub const fn new(x: i16, y: i16) -> QpelMv {
        QpelMv { x, y }
    }

    /// The same displacement in quarter samples: exact, four times each
    /// component.
    pub const fn from_full_pel(mv: FullPelMv) -> QpelMv {
        QpelMv {
            x: mv.x * QPEL_PER_PEL as i16,
            y: mv.y * QPEL_PER_PEL as i16,
        }
    }

    /// The nearest whole-sample vector, halves rounded up (towards plus
    /// infinity): `(v + 2) >> 2` per component. Where an integer search
    /// starts from a coded vector.
    pub const fn to_full_pel_round(self) -> FullPelMv {
        FullPelMv {
            x: ((self.x as i32 + QPEL_PER_PEL / 2) >> 2) as i16,
            y: ((self.y as i32 + QPEL_PER_PEL / 2) >> 2) as i16,
        }
    }

    /// The absolute quarter-sample position `(x, y)` this vector points to
    /// from whole-sample position (`x_pel`, `y_pel`) of the same plane: the
    /// position the luma interpolators take.
    pub const fn qpel_position(self, x_pel: usize, y_pel: usize) -> (i32, i32) {
        (
            x_pel as i32 * QPEL_PER_PEL + self.x as i32,
            y_pel as i32 * QPEL_PER_PEL + self.y as i32,
        )
    }
}

/// A motion vector in whole luma samples: a candidate or predictor of the
/// encoder's integer search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FullPelMv {
    /// Horizontal, whole samples (positive: right).
    pub x: i16,
    /// Vertical, whole samples (positive: down).
    pub y: i16,
}

impl FullPelMv {
    pub const ZERO: FullPelMv = FullPelMv { x: 0, y: 0 };

    pub const fn new(x: i16, y: i16) -> FullPelMv {
        FullPelMv { x, y }
    }

    /// Component-wise median of three vectors (H.264's motion vector
    /// predictor).
    pub fn median(a: FullPelMv, b: FullPelMv, c: FullPelMv) -> FullPelMv {
        fn med(a: i16, b: i16, c: i16) -> i16 {
            a.max(b).min(a.min(b).max(c))
        }
        FullPelMv {
            x: med(a.x, b.x, c.x),
            y: med(a.y, b.y, c.y),
        }
    }

    /// The whole-sample vector of wire vector `v`, whose unit is
    /// `1 / precision` sample (2: half, 4: quarter, anything else: whole),
    /// rounded to nearest with halves up.
    pub fn from_wire(v: &MotionVector, precision: u8) -> FullPelMv {
        let round = |d: i16, shift: u32| ((i32::from(d) + (1 << shift >> 1)) >> shift) as i16;
        match precision {
            2 => FullPelMv {
                x: round(v.dx(), 1),
                y: round(v.dy(), 1),
            },
            4 => FullPelMv {
                x: round(v.dx(), 2),
                y: round(v.dy(), 2),
            },
            _ => FullPelMv {
                x: v.dx(),
                y: v.dy(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pel_round_trips_through_qpel() {
        for (x, y) in [(0, 0), (1, -1), (-7, 12), (255, -256)] {
            let full = FullPelMv::new(x, y);
            assert_eq!(QpelMv::from_full_pel(full), QpelMv::new(x * 4, y * 4));
            assert_eq!(QpelMv::from_full_pel(full).to_full_pel_round(), full);
        }
    }

    #[test]
    fn qpel_rounds_to_nearest_whole_sample_halves_up() {
        let whole = |x: i16| QpelMv::new(x, -x).to_full_pel_round();
        assert_eq!(whole(1), FullPelMv::new(0, 0));
        assert_eq!(whole(2), FullPelMv::new(1, 0));
        assert_eq!(whole(-2), FullPelMv::new(0, 1));
        assert_eq!(whole(-3), FullPelMv::new(-1, 1));
        assert_eq!(whole(6), FullPelMv::new(2, -1));
    }

    #[test]
    fn wire_vectors_read_in_their_precision() {
        let v = MotionVector::new(0, 0, -6, 6, 0);
        assert_eq!(FullPelMv::from_wire(&v, 4), FullPelMv::new(-1, 2));
        assert_eq!(FullPelMv::from_wire(&v, 2), FullPelMv::new(-3, 3));
        assert_eq!(FullPelMv::from_wire(&v, 1), FullPelMv::new(-6, 6));
        let halves = MotionVector::new(0, 0, -3, 3, 0);
        assert_eq!(FullPelMv::from_wire(&halves, 2), FullPelMv::new(-1, 2));
    }

    #[test]
    fn qpel_position_adds_the_vector_to_four_times_the_sample() {
        assert_eq!(QpelMv::new(-5, 3).qpel_position(16, 8), (59, 35));
    }
}
