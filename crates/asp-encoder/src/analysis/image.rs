//! The analysers' input: a checked, borrowed picture in one of a few layouts.

use asp_core::codec::frame::{i420_len, Frame};
use asp_core::colour::{yuv_to_rgb_bt709_limited_f32 as yuv_to_rgb, RgbYuvQ16};

use super::AnalysisError;

/// How an [`Image`]'s bytes are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// Packed `r, g, b` bytes, row after row, no padding.
    Rgb24,
    /// One luma/grey byte per pixel.
    Gray8,
    /// Planar Y, then U, then V at half resolution (`ceil(w/2) x ceil(h/2)`).
    I420,
}

#[derive(Clone, Copy, Debug)]
enum Pixels<'a> {
    Packed(&'a [u8], PixelFormat),
    Frame(&'a Frame),
}

/// A borrowed picture of any size; see the [module docs](super).
#[derive(Clone, Copy, Debug)]
pub struct Image<'a> {
    pixels: Pixels<'a>,
    width: usize,
    height: usize,
}

impl<'a> Image<'a> {
    /// A `width` x `height` picture in `format`; `data` may be longer than needed.
    pub fn new(data: &'a [u8], width: usize, height: usize, format: PixelFormat) -> Result<Image<'a>, AnalysisError> {
        let bad = AnalysisError::BadDimensions { width, height };
        if width == 0 || height == 0 {
            return Err(bad);
        }
        let pixels = width.checked_mul(height).ok_or(bad)?;
        let needed = match format {
            PixelFormat::Rgb24 => pixels.checked_mul(3).ok_or(AnalysisError::BadDimensions { width, height })?,
            PixelFormat::Gray8 => pixels,
            PixelFormat::I420 => i420_len(width, height),
        };
        if data.len() < needed {
            return Err(AnalysisError::BufferTooShort { needed, len: data.len() });
        }
        Ok(Image { pixels: Pixels::Packed(data, format), width, height })
    }

    /// Packed RGB24.
    pub fn rgb(data: &'a [u8], width: usize, height: usize) -> Result<Image<'a>, AnalysisError> {
        Image::new(data, width, height, PixelFormat::Rgb24)
    }

    /// Grey (or just luma).
    pub fn gray(data: &'a [u8], width: usize, height: usize) -> Result<Image<'a>, AnalysisError> {
        Image::new(data, width, height, PixelFormat::Gray8)
    }

    /// Packed I420.
    pub fn i420(data: &'a [u8], width: usize, height: usize) -> Result<Image<'a>, AnalysisError> {
        Image::new(data, width, height, PixelFormat::I420)
    }

    /// A codec frame (its display area; the padding is ignored).
    pub fn frame(frame: &'a Frame) -> Image<'a> {
        Image { pixels: Pixels::Frame(frame), width: frame.width(), height: frame.height() }
    }

    /// Display width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Display height.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Number of pixels.
    pub fn len(&self) -> usize {
        self.width * self.height
    }

    /// Never true: an image has at least one pixel.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Row `y` of the luma plane (BT.709 luma for RGB), into `row`
    /// (`width` bytes).
    pub(crate) fn luma_row(&self, y: usize, row: &mut [u8]) {
        let w = self.width;
        match self.pixels {
            Pixels::Packed(data, PixelFormat::Gray8 | PixelFormat::I420) => row.copy_from_slice(&data[y * w..][..w]),
            Pixels::Packed(data, PixelFormat::Rgb24) => {
                for (out, px) in row.iter_mut().zip(data[y * w * 3..][..w * 3].chunks_exact(3)) {
                    *out = rgb_to_luma(px[0], px[1], px[2]);
                }
            }
            Pixels::Frame(frame) => row.copy_from_slice(&frame.y[y * frame.luma_stride()..][..w]),
        }
    }

    /// The luma plane, `width * height` bytes.
    pub fn luma(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.len()];
        for (y, row) in out.chunks_exact_mut(self.width).enumerate() {
            self.luma_row(y, row);
        }
        out
    }

    /// Pixel `i` (raster order) as RGB; YUV is converted with BT.709 limited range.
    pub(crate) fn rgb_at(&self, i: usize) -> [u8; 3] {
        let (x, y) = (i % self.width, i / self.width);
        match self.pixels {
            Pixels::Packed(data, PixelFormat::Rgb24) => [data[3 * i], data[3 * i + 1], data[3 * i + 2]],
            Pixels::Packed(data, PixelFormat::Gray8) => [data[i]; 3],
            Pixels::Packed(data, PixelFormat::I420) => {
                let (cw, ch) = (self.width.div_ceil(2), self.height.div_ceil(2));
                let c = (y / 2) * cw + x / 2;
                let u = data[self.len() + c];
                let v = data[self.len() + cw * ch + c];
                yuv_to_rgb(data[i], u, v)
            }
            Pixels::Frame(f) => {
                let c = (y / 2) * f.chroma_stride() + x / 2;
                yuv_to_rgb(f.y[y * f.luma_stride() + x], f.u[c], f.v[c])
            }
        }
    }

    /// The packed `r, g, b` bytes of an RGB24 picture (exactly `3 *
    /// len()` of them), `None` for the other layouts.
    pub(crate) fn rgb24(&self) -> Option<&[u8]> {
        match self.pixels {
            Pixels::Packed(data, PixelFormat::Rgb24) => Some(&data[..self.len() * 3]),
            _ => None,
        }
    }

    /// Calls `visit` with every pixel's RGB, in raster order.
    pub(crate) fn for_each_rgb(&self, mut visit: impl FnMut([u8; 3])) {
        match self.pixels {
            Pixels::Packed(data, PixelFormat::Rgb24) => {
                for px in data[..self.len() * 3].chunks_exact(3) {
                    visit([px[0], px[1], px[2]]);
                }
            }
            Pixels::Packed(data, PixelFormat::Gray8) => data[..self.len()].iter().for_each(|&g| visit([g; 3])),
            _ => (0..self.len()).for_each(|i| visit(self.rgb_at(i))),
        }
    }
}

/// BT.709 luma of full-range RGB, full range.
fn rgb_to_luma(r: u8, g: u8, b: u8) -> u8 {
    RgbYuvQ16::BT709_FULL.luma(r, g, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_empty_buffers_are_errors() {
        assert!(matches!(Image::rgb(&[0; 11], 2, 2), Err(AnalysisError::BufferTooShort { needed: 12, len: 11 })));
        assert!(matches!(Image::gray(&[], 0, 5), Err(AnalysisError::BadDimensions { .. })));
        assert!(matches!(Image::i420(&[0; 5], 2, 2), Err(AnalysisError::BufferTooShort { needed: 6, .. })));
        assert!(matches!(Image::rgb(&[], usize::MAX, 2), Err(AnalysisError::BadDimensions { .. })));
    }

    #[test]
    fn yuv_and_rgb_agree_on_grey_and_primaries() {
        assert_eq!(yuv_to_rgb(235, 128, 128), [255, 255, 255]);
        assert_eq!(yuv_to_rgb(16, 128, 128), [0, 0, 0]);
        assert_eq!(rgb_to_luma(255, 255, 255), 255);
        // BT.709 limited red: Y 63, Cb 102, Cr 240.
        let red = yuv_to_rgb(63, 102, 240);
        assert!(red[0] > 250 && red[1] < 5 && red[2] < 5, "{red:?}");
    }

    #[test]
    fn frame_and_i420_give_the_same_pixels() {
        let (w, h) = (5usize, 3usize);
        let data: Vec<u8> = (0..i420_len(w, h)).map(|i| (40 + i * 7 % 180) as u8).collect();
        let frame = Frame::from_i420(w as u32, h as u32, &data, &asp_core::Limits::DEFAULT).unwrap();
        let (a, b) = (Image::i420(&data, w, h).unwrap(), Image::frame(&frame));
        for i in 0..w * h {
            assert_eq!(a.rgb_at(i), b.rgb_at(i));
        }
        assert_eq!(a.luma(), b.luma());
    }
}
