//! The picture the renderer takes: three 8-bit planes of YUV 4:2:0, each
//! with its own row stride, as asp-core's decoder keeps them (padded to
//! whole macroblocks) and as a browser's wasm memory holds them.

use asp_core::codec::frame::Frame;

use crate::Error;

/// A YUV 4:2:0 picture of `width` x `height` (chroma `ceil(width/2)` x
/// `ceil(height/2)`), borrowed.
#[derive(Clone, Copy, Debug)]
pub struct Planes<'a> {
    /// Display width in pixels.
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Luma, `y_stride` bytes a row.
    pub y: &'a [u8],
    /// Bytes from one luma row to the next.
    pub y_stride: usize,
    /// Cb, `uv_stride` bytes a row.
    pub u: &'a [u8],
    /// Cr, `uv_stride` bytes a row.
    pub v: &'a [u8],
    /// Bytes from one chroma row to the next (both chroma planes).
    pub uv_stride: usize,
}

impl<'a> Planes<'a> {
    /// The cropped picture of a decoded frame (its padding is never drawn).
    pub fn of_frame(frame: &'a Frame) -> Planes<'a> {
        Planes {
            // The decoder's frames are capped by asp-core's Limits, far below u32::MAX.
            width: u32::try_from(frame.width()).unwrap_or(u32::MAX),
            height: u32::try_from(frame.height()).unwrap_or(u32::MAX),
            y: &frame.y,
            y_stride: frame.luma_stride(),
            u: &frame.u,
            v: &frame.v,
            uv_stride: frame.chroma_stride(),
        }
    }

    /// Chroma width and height.
    pub fn chroma_size(&self) -> (u32, u32) {
        (self.width.div_ceil(2), self.height.div_ceil(2))
    }

    /// Checks that the planes hold the picture and that a texture of
    /// `max_dimension` texels a side can take it.
    pub(crate) fn check(&self, max_dimension: u32) -> Result<(), Error> {
        let (width, height) = (self.width, self.height);
        if width == 0 || height == 0 || width > max_dimension || height > max_dimension {
            return Err(Error::PictureSize {
                width,
                height,
                max_dimension,
            });
        }
        let (cw, ch) = self.chroma_size();
        for (name, plane, stride, w, h) in [
            ("Y", self.y, self.y_stride, width, height),
            ("U", self.u, self.uv_stride, cw, ch),
            ("V", self.v, self.uv_stride, cw, ch),
        ] {
            let (w, h) = (w as usize, h as usize);
            if stride < w || u32::try_from(stride).is_err() {
                return Err(Error::PlaneStride {
                    plane: name,
                    stride,
                    width: w,
                });
            }
            let needed = stride.saturating_mul(h - 1).saturating_add(w);
            if plane.len() < needed {
                return Err(Error::PlaneTooShort {
                    plane: name,
                    needed,
                    len: plane.len(),
                });
            }
        }
        Ok(())
    }
}
