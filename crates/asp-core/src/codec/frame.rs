//! Frame buffers: YUV 4:2:0, 8-bit, padded to whole macroblocks.
//!
//! The codec works on 16x16 luma macroblocks (8x8 in each chroma plane), so
//! a frame of any size is stored padded up to a multiple of 16 (by
//! repeating its last column and row) and cropped back on output. The
//! padded frame is what prediction reads, in the encoder and the decoder
//! alike; the padding is part of the reconstruction and therefore identical
//! on both sides.

use alloc::vec::Vec;
use core::fmt;

use super::plane::PlaneRef;
use crate::limits::Limits;

/// Macroblock size in luma samples.
pub const MB_SIZE: usize = 16;

/// Why a frame could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// Zero, or over the caps in [`Limits`].
    BadDimensions { width: u32, height: u32 },
    /// The input holds fewer bytes than a `width` x `height` I420 frame.
    InputTooShort { needed: usize, len: usize },
    /// The allocator could not provide a plane of `bytes` bytes.
    OutOfMemory { bytes: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::BadDimensions { width, height } => {
                write!(f, "frame size {width}x{height} is zero or over the limits")
            }
            FrameError::InputTooShort { needed, len } => {
                write!(f, "I420 input of {len} bytes is shorter than the {needed} bytes a frame needs")
            }
            FrameError::OutOfMemory { bytes } => write!(f, "cannot allocate a frame plane of {bytes} bytes"),
        }
    }
}

impl core::error::Error for FrameError {}

/// A mid-grey plane of `len` bytes; a failed allocation is an error, not
/// an abort (the size comes from a packet).
fn grey(len: usize) -> Result<Vec<u8>, FrameError> {
    let mut plane = Vec::new();
    plane.try_reserve_exact(len).map_err(|_| FrameError::OutOfMemory { bytes: len })?;
    plane.resize(len, 128);
    Ok(plane)
}

/// Bytes of an I420 frame of the given display size (chroma rounded up).
pub fn i420_len(width: usize, height: usize) -> usize {
    let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
    width * height + 2 * cw * ch
}

/// A YUV 4:2:0 frame, padded to whole macroblocks.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    width: usize,
    height: usize,
    mb_cols: usize,
    mb_rows: usize,
    /// Luma, `mb_cols * 16` wide and `mb_rows * 16` high, stride = width.
    pub y: Vec<u8>,
    /// Chroma, `mb_cols * 8` x `mb_rows * 8` each.
    pub u: Vec<u8>,
    pub v: Vec<u8>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({}x{}, {}x{} MBs)", self.width, self.height, self.mb_cols, self.mb_rows)
    }
}

impl Frame {
    /// A mid-grey frame of the given display size.
    pub fn new(width: u32, height: u32, limits: &Limits) -> Result<Frame, FrameError> {
        if !limits.allows_frame(width, height) {
            return Err(FrameError::BadDimensions { width, height });
        }
        let (width, height) = (width as usize, height as usize);
        let mb_cols = width.div_ceil(MB_SIZE);
        let mb_rows = height.div_ceil(MB_SIZE);
        // Limits raised past the defaults may ask for more than the address space.
        let luma = (mb_cols * MB_SIZE)
            .checked_mul(mb_rows * MB_SIZE)
            .ok_or(FrameError::OutOfMemory { bytes: usize::MAX })?;
        Ok(Frame { width, height, mb_cols, mb_rows, y: grey(luma)?, u: grey(luma / 4)?, v: grey(luma / 4)? })
    }

    /// Copies an I420 frame (planes Y, U, V packed back to back, chroma
    /// `ceil(w/2) x ceil(h/2)`) and pads it by edge replication.
    pub fn from_i420(width: u32, height: u32, data: &[u8], limits: &Limits) -> Result<Frame, FrameError> {
        let mut frame = Frame::new(width, height, limits)?;
        frame.load_i420(data)?;
        Ok(frame)
    }

    /// Replaces the picture with an I420 frame of this frame's display size.
    pub fn load_i420(&mut self, data: &[u8]) -> Result<(), FrameError> {
        let (w, h) = (self.width, self.height);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let needed = i420_len(w, h);
        if data.len() < needed {
            return Err(FrameError::InputTooShort { needed, len: data.len() });
        }
        let (y, rest) = data.split_at(w * h);
        let (u, v) = rest.split_at(cw * ch);
        self.load_planes(y, u, v)
    }

    /// Replaces the picture with planes of this frame's display size, each
    /// tightly packed (a y4m reader's planes, without joining them first).
    pub fn load_planes(&mut self, y: &[u8], u: &[u8], v: &[u8]) -> Result<(), FrameError> {
        let (w, h) = (self.width, self.height);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        for (plane, needed) in [(y, w * h), (u, cw * ch), (v, cw * ch)] {
            if plane.len() < needed {
                return Err(FrameError::InputTooShort { needed, len: plane.len() });
            }
        }
        let (luma_stride, chroma_stride) = (self.luma_stride(), self.chroma_stride());
        copy_padded(y, w, h, &mut self.y, luma_stride);
        copy_padded(u, cw, ch, &mut self.u, chroma_stride);
        copy_padded(v, cw, ch, &mut self.v, chroma_stride);
        Ok(())
    }

    /// Appends the cropped picture as I420 to `out`.
    pub fn write_i420(&self, out: &mut Vec<u8>) {
        let (w, h) = (self.width, self.height);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        out.reserve(i420_len(w, h));
        for row in self.y.chunks_exact(self.luma_stride()).take(h) {
            out.extend_from_slice(&row[..w]);
        }
        for plane in [&self.u, &self.v] {
            for row in plane.chunks_exact(self.chroma_stride()).take(ch) {
                out.extend_from_slice(&row[..cw]);
            }
        }
    }

    /// Display width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Display height.
    pub fn height(&self) -> usize {
        self.height
    }

    pub fn mb_cols(&self) -> usize {
        self.mb_cols
    }

    pub fn mb_rows(&self) -> usize {
        self.mb_rows
    }

    /// Luma row stride (= padded width).
    pub fn luma_stride(&self) -> usize {
        self.mb_cols * MB_SIZE
    }

    /// Chroma row stride (= padded chroma width).
    pub fn chroma_stride(&self) -> usize {
        self.mb_cols * MB_SIZE / 2
    }

    /// The padded luma plane.
    pub fn luma(&self) -> PlaneRef<'_> {
        plane(&self.y, self.luma_stride(), self.mb_rows * MB_SIZE)
    }

    /// The padded Cb plane.
    pub fn cb(&self) -> PlaneRef<'_> {
        plane(&self.u, self.chroma_stride(), self.mb_rows * MB_SIZE / 2)
    }

    /// The padded Cr plane.
    pub fn cr(&self) -> PlaneRef<'_> {
        plane(&self.v, self.chroma_stride(), self.mb_rows * MB_SIZE / 2)
    }
}

fn plane(data: &[u8], width: usize, height: usize) -> PlaneRef<'_> {
    // The frame's own buffers always have exactly width * height samples of
    // at least one macroblock, within the limits, so the view is valid.
    match PlaneRef::new(data, width, height, width) {
        Ok(p) => p,
        Err(_) => unreachable!("frame buffers are sized by Frame::new"),
    }
}

/// Copies a `w` x `h` packed plane into a larger one, repeating the last
/// column to the right and the last row downwards.
fn copy_padded(src: &[u8], w: usize, h: usize, dst: &mut [u8], dst_stride: usize) {
    let dst_rows = dst.len() / dst_stride;
    for (y, dst_row) in dst.chunks_exact_mut(dst_stride).enumerate().take(dst_rows) {
        let src_row = &src[y.min(h - 1) * w..][..w];
        dst_row[..w].copy_from_slice(src_row);
        let edge = src_row[w - 1];
        dst_row[w..].fill(edge);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_sizes_round_trip_through_padding() {
        for (w, h) in [(1u32, 1u32), (17, 9), (33, 2), (1918, 1082)] {
            let n = i420_len(w as usize, h as usize);
            let data: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
            let frame = Frame::from_i420(w, h, &data, &Limits::DEFAULT).unwrap();
            assert_eq!(frame.luma_stride() % 16, 0);
            let mut out = Vec::new();
            frame.write_i420(&mut out);
            assert_eq!(out, data, "{w}x{h}");
        }
    }

    #[test]
    fn padding_repeats_the_edge() {
        let data = [10u8, 20, 30, 40, /* u */ 1, /* v */ 2];
        let frame = Frame::from_i420(2, 2, &data, &Limits::DEFAULT).unwrap();
        assert_eq!(&frame.y[..4], &[10, 20, 20, 20]);
        assert_eq!(frame.y[15 * 16 + 15], 40);
        assert!(frame.u.iter().all(|&s| s == 1));
    }

    #[test]
    fn bad_sizes_and_short_input_are_errors() {
        assert!(Frame::new(0, 5, &Limits::DEFAULT).is_err());
        assert!(Frame::new(9000, 5, &Limits::DEFAULT).is_err());
        assert_eq!(
            Frame::from_i420(4, 4, &[0; 23], &Limits::DEFAULT).unwrap_err(),
            FrameError::InputTooShort { needed: 24, len: 23 }
        );
    }

    #[test]
    fn the_pixel_cap_and_a_failed_allocation_are_errors() {
        let small = Limits { max_pixels: 64 * 48, ..Limits::DEFAULT };
        assert!(Frame::new(64, 48, &small).is_ok());
        assert_eq!(Frame::new(64, 49, &small).unwrap_err(), FrameError::BadDimensions { width: 64, height: 49 });
        // 2^48 bytes of luma: past any address space, so the allocation
        // fails (or the size overflows on 32-bit targets) instead of aborting.
        let unlimited = Limits { max_width: u32::MAX, max_height: u32::MAX, max_pixels: u64::MAX, ..Limits::DEFAULT };
        let side = 1 << 24;
        assert!(matches!(Frame::new(side, side, &unlimited), Err(FrameError::OutOfMemory { .. })));
    }
}
