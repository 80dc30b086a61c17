//! [`PlaneMut`]: a checked, mutable view of one 8-bit sample plane, and
//! [`FramePlanes`]: the three mutable planes of a 4:2:0 frame.
//!
//! The read-only twin is [`PlaneRef`]; both check their geometry once in the
//! constructor, so code holding a view may index any `(x, y)` inside it.
//! [`PlaneMut::split_rows_at`] cuts a view into two disjoint views (rows
//! above and from the cut), which is how in-loop filters hand bands of one
//! plane to several threads without `unsafe`.

use super::frame::{Frame, MB_SIZE};
use super::plane::{PlaneError, PlaneRef};

/// A mutable view of a `width` x `height` plane of 8-bit samples; row `y`
/// starts at `data[y * stride]`. Same invariants as [`PlaneRef`]:
/// `data.len() >= stride * (height - 1) + width`, `1 <= width <= stride`.
#[derive(Debug)]
pub struct PlaneMut<'a> {
    data: &'a mut [u8],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a> PlaneMut<'a> {
    /// A view of `data` as `width` x `height` samples, `stride` bytes per
    /// row; the checks of [`PlaneRef::new`].
    pub fn new(
        data: &'a mut [u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, PlaneError> {
        PlaneRef::new(data, width, height, stride)?;
        Ok(PlaneMut {
            data,
            width,
            height,
            stride,
        })
    }

    /// A view of a tightly packed plane (`stride == width`).
    pub fn packed(data: &'a mut [u8], width: usize, height: usize) -> Result<Self, PlaneError> {
        Self::new(data, width, height, width)
    }

    /// Width in samples.
    #[inline]
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in samples.
    #[inline]
    pub fn height(&self) -> usize {
        self.height
    }

    /// Bytes from the start of one row to the start of the next.
    #[inline]
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The samples; row `y` starts at `y * stride()`.
    #[inline]
    pub fn data(&self) -> &[u8] {
        self.data
    }

    /// The samples, mutably; row `y` starts at `y * stride()`.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        self.data
    }

    /// A read-only view of the same plane.
    pub fn as_plane_ref(&self) -> PlaneRef<'_> {
        match PlaneRef::new(self.data, self.width, self.height, self.stride) {
            Ok(p) => p,
            // The geometry was checked by the same rules when this view was
            // made and cannot change: no input reaches this.
            Err(_) => unreachable!("PlaneMut geometry is checked in PlaneMut::new"),
        }
    }

    /// A shorter-lived mutable view of the same plane.
    #[inline]
    pub fn reborrow(&mut self) -> PlaneMut<'_> {
        PlaneMut {
            data: self.data,
            width: self.width,
            height: self.height,
            stride: self.stride,
        }
    }

    /// Row `y` (`width` samples), or `None` when `y >= height`.
    #[inline]
    pub fn row(&self, y: usize) -> Option<&[u8]> {
        if y >= self.height {
            return None;
        }
        let start = y * self.stride;
        self.data.get(start..start + self.width)
    }

    /// Row `y` (`width` samples), mutably, or `None` when `y >= height`.
    #[inline]
    pub fn row_mut(&mut self, y: usize) -> Option<&mut [u8]> {
        if y >= self.height {
            return None;
        }
        let start = y * self.stride;
        self.data.get_mut(start..start + self.width)
    }

    /// The sample at `(x, y)`, or `None` outside the plane.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> Option<u8> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.data.get(y * self.stride + x).copied()
    }

    /// Sets the sample at `(x, y)`; returns whether it was inside the plane.
    #[inline]
    pub fn set(&mut self, x: usize, y: usize, value: u8) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        match self.data.get_mut(y * self.stride + x) {
            Some(s) => {
                *s = value;
                true
            }
            None => false,
        }
    }

    /// Splits into rows `0..y` and rows `y..height`, two disjoint views
    /// (each may go to its own thread). `None` unless `0 < y < height`:
    /// a view is never empty.
    pub fn split_rows_at(self, y: usize) -> Option<(PlaneMut<'a>, PlaneMut<'a>)> {
        if y == 0 || y >= self.height {
            return None;
        }
        // y * stride <= (height - 1) * stride <= data.len(): in range, and
        // the top part keeps (y - 1) * stride + width <= y * stride bytes.
        let at = y.checked_mul(self.stride)?;
        if at > self.data.len() {
            return None;
        }
        let (top, bottom) = self.data.split_at_mut(at);
        Some((
            PlaneMut {
                data: top,
                width: self.width,
                height: y,
                stride: self.stride,
            },
            PlaneMut {
                data: bottom,
                width: self.width,
                height: self.height - y,
                stride: self.stride,
            },
        ))
    }
}

/// The three mutable planes of a 4:2:0 frame: luma `y`, chroma `u` (Cb) and
/// `v` (Cr), each chroma plane half the luma size in both directions.
#[derive(Debug)]
pub struct FramePlanes<'a> {
    pub y: PlaneMut<'a>,
    pub u: PlaneMut<'a>,
    pub v: PlaneMut<'a>,
}

impl<'a> FramePlanes<'a> {
    /// Mutable views of a padded [`Frame`]'s planes.
    pub fn from_frame(frame: &'a mut Frame) -> Result<Self, PlaneError> {
        let (lw, lh) = (frame.mb_cols() * MB_SIZE, frame.mb_rows() * MB_SIZE);
        let (cw, ch) = (lw / 2, lh / 2);
        Ok(FramePlanes {
            y: PlaneMut::new(&mut frame.y, lw, lh, lw)?,
            u: PlaneMut::new(&mut frame.u, cw, ch, cw)?,
            v: PlaneMut::new(&mut frame.v, cw, ch, cw)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    #[test]
    fn checks_and_access() {
        let mut d = [0u8; 100];
        assert!(PlaneMut::new(&mut d, 5, 10, 11).is_err());
        let mut p = PlaneMut::new(&mut d, 3, 9, 11).unwrap();
        assert!(p.set(2, 8, 7));
        assert!(!p.set(3, 0, 7));
        assert_eq!(p.get(2, 8), Some(7));
        assert_eq!(p.row(8), Some(&[0, 0, 7][..]));
        assert_eq!(p.row_mut(9), None);
        assert_eq!(p.as_plane_ref().get(2, 8), Some(7));
        assert_eq!(p.reborrow().get(2, 8), Some(7));
    }

    #[test]
    fn split() {
        let mut d: [u8; 40] = core::array::from_fn(|i| i as u8);
        let p = PlaneMut::new(&mut d, 3, 5, 8).unwrap();
        assert!(PlaneMut::new(&mut [0u8; 3], 3, 1, 8)
            .unwrap()
            .split_rows_at(0)
            .is_none());
        let (mut a, mut b) = p.split_rows_at(2).unwrap();
        assert_eq!((a.height(), b.height()), (2, 3));
        assert_eq!(a.row(1), Some(&[8, 9, 10][..]));
        assert_eq!(b.row(0), Some(&[16, 17, 18][..]));
        assert_eq!(b.row(2), Some(&[32, 33, 34][..]));
        assert!(a.set(0, 1, 99) && b.set(0, 0, 98));
        assert!(b.reborrow().split_rows_at(3).is_none());
        let (_, c) = b.split_rows_at(2).unwrap();
        assert_eq!(c.row(0), Some(&[32, 33, 34][..]));
        assert_eq!(d[8], 99);
        assert_eq!(d[16], 98);
    }

    #[test]
    fn from_frame() {
        let mut f = Frame::new(33, 17, &Limits::default()).unwrap();
        let p = FramePlanes::from_frame(&mut f).unwrap();
        assert_eq!((p.y.width(), p.y.height()), (48, 32));
        assert_eq!((p.u.width(), p.v.height()), (24, 16));
    }
}
