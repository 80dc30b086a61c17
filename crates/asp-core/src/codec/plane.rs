//! [`PlaneRef`]: a checked, read-only view of one 8-bit sample plane.

use core::fmt;

/// Largest width or height a [`PlaneRef`] accepts (65 536 samples). Far above
/// any video size, and small enough that quarter-pel coordinates of any
/// sample, plus any motion vector an `i16` can hold, fit in an `i32`.
pub const MAX_PLANE_DIMENSION: usize = 1 << 16;

/// Why a plane view could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlaneError {
    /// Width or height is zero.
    ZeroSize { width: usize, height: usize },
    /// Width or height is over [`MAX_PLANE_DIMENSION`].
    TooLarge { width: usize, height: usize },
    /// The stride (bytes from one row to the next) is less than the width.
    StrideTooSmall { stride: usize, width: usize },
    /// The slice is shorter than `stride * (height - 1) + width`.
    DataTooShort { needed: usize, len: usize },
}

impl fmt::Display for PlaneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PlaneError::ZeroSize { width, height } => {
                write!(
                    f,
                    "plane of {width}x{height}: width and height must be non-zero"
                )
            }
            PlaneError::TooLarge { width, height } => write!(
                f,
                "plane of {width}x{height}: width and height must be at most {MAX_PLANE_DIMENSION}"
            ),
            PlaneError::StrideTooSmall { stride, width } => {
                write!(f, "stride {stride} is less than the width {width}")
            }
            PlaneError::DataTooShort { needed, len } => {
                write!(f, "plane data of {len} bytes, {needed} needed")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for PlaneError {}

/// A read-only view of a `width` x `height` plane of 8-bit samples; row `y`
/// starts at `data[y * stride]`.
///
/// The constructor checks everything once, so code that takes a `PlaneRef`
/// may index any sample `(x, y)` with `x < width`, `y < height` without
/// further checks: `data.len() >= stride * (height - 1) + width` (the last
/// row need not be padded to the full stride).
#[derive(Clone, Copy, Debug)]
pub struct PlaneRef<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
}

impl<'a> PlaneRef<'a> {
    /// A view of `data` as `width` x `height` samples, `stride` bytes per row.
    pub fn new(
        data: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, PlaneError> {
        if width == 0 || height == 0 {
            return Err(PlaneError::ZeroSize { width, height });
        }
        if width > MAX_PLANE_DIMENSION || height > MAX_PLANE_DIMENSION {
            return Err(PlaneError::TooLarge { width, height });
        }
        if stride < width {
            return Err(PlaneError::StrideTooSmall { stride, width });
        }
        let needed = stride
            .checked_mul(height - 1)
            .and_then(|n| n.checked_add(width))
            .ok_or(PlaneError::DataTooShort {
                needed: usize::MAX,
                len: data.len(),
            })?;
        if data.len() < needed {
            return Err(PlaneError::DataTooShort {
                needed,
                len: data.len(),
            });
        }
        Ok(PlaneRef {
            data,
            width,
            height,
            stride,
        })
    }

    /// A view of a tightly packed plane (`stride == width`).
    pub fn packed(data: &'a [u8], width: usize, height: usize) -> Result<Self, PlaneError> {
        Self::new(data, width, height, width)
    }

    /// The samples; row `y` starts at `y * stride()`.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.data
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

    /// Row `y` (`width` samples), or `None` when `y >= height`.
    #[inline]
    pub fn row(&self, y: usize) -> Option<&'a [u8]> {
        if y >= self.height {
            return None;
        }
        let start = y * self.stride;
        self.data.get(start..start + self.width)
    }

    /// The sample at `(x, y)`, or `None` outside the plane.
    #[inline]
    pub fn get(&self, x: usize, y: usize) -> Option<u8> {
        if x >= self.width || y >= self.height {
            return None;
        }
        self.data.get(y * self.stride + x).copied()
    }

    /// The sample at `(x, y)` with both coordinates clamped into the plane:
    /// positions outside take the nearest edge sample.
    #[inline]
    pub fn get_clamped(&self, x: i64, y: i64) -> u8 {
        let x = x.clamp(0, self.width as i64 - 1) as usize;
        let y = y.clamp(0, self.height as i64 - 1) as usize;
        // In bounds by construction; `get` keeps this panic-free regardless.
        self.data.get(y * self.stride + x).copied().unwrap_or(0)
    }

    /// Copies the `width` x `height` rectangle whose top-left is `(x, y)`
    /// into `out` (row `r` at `out[r * out_stride..]`), each sample as
    /// [`get_clamped`](Self::get_clamped) gives it, but a row at a time: the
    /// part left of the plane repeats its first sample, the part inside is
    /// copied, the part right of it repeats its last sample. Rows `out` does
    /// not hold are left out.
    pub fn copy_clamped(&self, x: i64, y: i64, width: usize, height: usize, out: &mut [u8], out_stride: usize) {
        let (w, last_row) = (self.width as i64, self.height as i64 - 1);
        // Columns `0..left` lie left of the plane, `left..inside` inside it,
        // `inside..width` right of it.
        let left = x.saturating_neg().clamp(0, width as i64) as usize;
        let inside = (w.saturating_sub(x)).clamp(0, width as i64).max(left as i64) as usize;
        for (r, o) in out.chunks_mut(out_stride.max(1)).take(height).enumerate() {
            let cy = y.saturating_add(r as i64).clamp(0, last_row) as usize;
            let (Some(row), Some(o)) = (self.row(cy), o.get_mut(..width)) else {
                return;
            };
            let (Some(&first), Some(&last)) = (row.first(), row.last()) else {
                return;
            };
            o[..left].fill(first);
            // `x + left >= 0` and `x + inside <= w` by the clamps above.
            let start = (x + left as i64) as usize;
            if let Some(run) = row.get(start..start + (inside - left)) {
                o[left..inside].copy_from_slice(run);
            }
            o[inside..].fill(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        let d = [0u8; 100];
        assert!(PlaneRef::new(&d, 10, 10, 10).is_ok());
        // The last row need not be padded to the stride: 11 * 9 + 1 = 100.
        assert!(PlaneRef::new(&d, 1, 10, 11).is_ok());
        assert_eq!(
            PlaneRef::new(&d, 5, 10, 11).unwrap_err(),
            PlaneError::DataTooShort {
                needed: 104,
                len: 100
            }
        );
        assert_eq!(
            PlaneRef::new(&d, 0, 10, 10).unwrap_err(),
            PlaneError::ZeroSize {
                width: 0,
                height: 10
            }
        );
        assert_eq!(
            PlaneRef::new(&d, 10, 1, 9).unwrap_err(),
            PlaneError::StrideTooSmall {
                stride: 9,
                width: 10
            }
        );
        assert!(matches!(
            PlaneRef::new(&d, 1, 3, usize::MAX),
            Err(PlaneError::DataTooShort { .. })
        ));
        assert!(matches!(
            PlaneRef::new(&d, 1 << 17, 1, 1 << 17),
            Err(PlaneError::TooLarge { .. })
        ));
        let p = PlaneRef::new(&d, 1, 1, 1).unwrap();
        assert_eq!(p.get_clamped(-5, 1000), 0);
        assert_eq!(p.row(1), None);
    }

    #[test]
    fn copy_clamped_equals_get_clamped() {
        let (w, h, stride) = (13usize, 9usize, 16usize);
        let d: alloc::vec::Vec<u8> = (0..stride * (h - 1) + w).map(|i| (i * 89 % 251) as u8).collect();
        let p = PlaneRef::new(&d, w, h, stride).unwrap();
        let mut out = [0u8; 30 * 30];
        for x in -30i64..20 {
            for y in [-40i64, -12, -1, 0, 3, 8, 9, 25] {
                for (width, height) in [(1, 1), (5, 7), (13, 9), (22, 22), (30, 3)] {
                    out.fill(0xAA);
                    p.copy_clamped(x, y, width, height, &mut out, 30);
                    for r in 0..height {
                        for c in 0..width {
                            let want = p.get_clamped(x + c as i64, y + r as i64);
                            assert_eq!(out[r * 30 + c], want, "({x}, {y}) {width}x{height} at {c},{r}");
                        }
                    }
                }
            }
        }
        // Extreme positions neither overflow nor panic.
        p.copy_clamped(i64::MIN, i64::MAX, 4, 4, &mut out, 30);
        assert_eq!(out[0], p.get_clamped(i64::MIN, i64::MAX));
        p.copy_clamped(i64::MAX, i64::MIN, 4, 4, &mut out, 30);
        assert_eq!(out[0], p.get_clamped(i64::MAX, i64::MIN));
    }
}
