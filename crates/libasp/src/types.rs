//! The seed's in-memory vector types: [`MotionVector`] (16 bytes,
//! `repr(C)`, public fields) and [`MotionVectorCompact`] (2 bytes).
//!
//! On the wire a vector is the schema's 12-byte FlatBuffers struct
//! ([`WireMotionVector`]); the conversions between the two are lossless for
//! every field the wire carries (`_reserved` is not sent, and reads as 0).

use core::fmt;

pub use asp_core::schema::MotionVector as WireMotionVector;

/// A block motion vector as the seed laid it out in memory: 16 bytes,
/// aligned for arrays that SIMD code walks four at a time.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MotionVector {
    /// Block column index (block units, not pixels).
    pub block_x: u16,
    /// Block row index (block units, not pixels).
    pub block_y: u16,
    /// Horizontal displacement, in the unit of the packet that carries it
    /// (whole pixels unless it says otherwise).
    pub dx: i16,
    /// Vertical displacement, same unit as `dx`.
    pub dy: i16,
    /// Sum of absolute differences of the luma block at that displacement.
    pub sad: u32,
    /// Not sent; 0 after a read.
    pub _reserved: u32,
}

impl MotionVector {
    pub const fn new(block_x: u16, block_y: u16, dx: i16, dy: i16, sad: u32) -> MotionVector {
        MotionVector { block_x, block_y, dx, dy, sad, _reserved: 0 }
    }
}

impl From<WireMotionVector> for MotionVector {
    fn from(v: WireMotionVector) -> MotionVector {
        MotionVector::new(v.block_x(), v.block_y(), v.dx(), v.dy(), v.sad())
    }
}

impl From<&WireMotionVector> for MotionVector {
    fn from(v: &WireMotionVector) -> MotionVector {
        MotionVector::from(*v)
    }
}

impl From<MotionVector> for WireMotionVector {
    fn from(v: MotionVector) -> WireMotionVector {
        WireMotionVector::new(v.block_x, v.block_y, v.dx, v.dy, v.sad)
    }
}

/// A displacement alone in two bytes, for links where the block position
/// is implied by the order of the vectors.
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MotionVectorCompact {
    /// -128..=127, in the unit of the vectors it was made from.
    pub dx: i8,
    pub dy: i8,
}

impl MotionVectorCompact {
    /// The full vector of block (`block_x`, `block_y`) with this displacement.
    pub fn at(self, block_x: u16, block_y: u16) -> MotionVector {
        MotionVector::new(block_x, block_y, i16::from(self.dx), i16::from(self.dy), 0)
    }
}

/// A displacement outside -128..=127: it has no compact form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisplacementTooLarge {
    pub dx: i16,
    pub dy: i16,
}

impl fmt::Display for DisplacementTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "displacement ({}, {}) does not fit in -128..=127", self.dx, self.dy)
    }
}

impl std::error::Error for DisplacementTooLarge {}

impl TryFrom<MotionVector> for MotionVectorCompact {
    type Error = DisplacementTooLarge;

    fn try_from(v: MotionVector) -> Result<MotionVectorCompact, DisplacementTooLarge> {
        match (i8::try_from(v.dx), i8::try_from(v.dy)) {
            (Ok(dx), Ok(dy)) => Ok(MotionVectorCompact { dx, dy }),
            _ => Err(DisplacementTooLarge { dx: v.dx, dy: v.dy }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};

    #[test]
    fn layouts_are_the_seeds() {
        assert_eq!(size_of::<MotionVector>(), 16);
        assert_eq!(align_of::<MotionVector>(), 4);
        let offsets = [
            offset_of!(MotionVector, block_x),
            offset_of!(MotionVector, block_y),
            offset_of!(MotionVector, dx),
            offset_of!(MotionVector, dy),
            offset_of!(MotionVector, sad),
            offset_of!(MotionVector, _reserved),
        ];
        assert_eq!(offsets, [0, 2, 4, 6, 8, 12]);
        assert_eq!(size_of::<MotionVectorCompact>(), 2);
        assert_eq!(align_of::<MotionVectorCompact>(), 1);
        assert_eq!(size_of::<WireMotionVector>(), 12);
    }

    #[test]
    fn wire_conversion_is_lossless_at_the_extremes() {
        for v in [
            MotionVector::new(0, 0, 0, 0, 0),
            MotionVector::new(u16::MAX, u16::MAX, i16::MIN, i16::MAX, u32::MAX),
            MotionVector::new(7, 3, -1, 1, 12345),
        ] {
            let wire = WireMotionVector::from(v);
            assert_eq!(MotionVector::from(wire), v);
            assert_eq!(WireMotionVector::from(MotionVector::from(&wire)), wire);
        }
        let reserved = MotionVector { _reserved: 9, ..MotionVector::new(1, 2, 3, 4, 5) };
        assert_eq!(MotionVector::from(WireMotionVector::from(reserved))._reserved, 0);
    }

    #[test]
    fn compact_form_holds_small_displacements_only() {
        let v = MotionVector::new(4, 5, -128, 127, 99);
        let c = MotionVectorCompact::try_from(v).unwrap();
        assert_eq!({ c.dx }, -128);
        assert_eq!(c.at(4, 5), MotionVector { sad: 0, ..v });
        let far = MotionVector::new(0, 0, 128, 0, 0);
        assert_eq!(MotionVectorCompact::try_from(far), Err(DisplacementTooLarge { dx: 128, dy: 0 }));
    }
}
