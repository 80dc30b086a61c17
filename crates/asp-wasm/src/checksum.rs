//! Frame checksums: CRC-32 (IEEE, the zlib one) of the cropped I420 picture.
//!
//! The bytes hashed are exactly what `asp-decode` writes after each y4m
//! `FRAME` line (Y rows, then U, then V, each cropped to the display size,
//! chroma `ceil(w/2) x ceil(h/2)`), so any CRC-32 over a y4m frame's payload
//! (zlib's, Node's `zlib.crc32`, Python's `zlib.crc32`) gives the same value.

use asp_core::codec::frame::Frame;

/// CRC-32 of the cropped I420 bytes of `frame`, without building them.
pub fn i420_crc32(frame: &Frame) -> u32 {
    let (w, h) = (frame.width(), frame.height());
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut hasher = crc32fast::Hasher::new();
    for row in frame.y.chunks_exact(frame.luma_stride()).take(h) {
        hasher.update(&row[..w]);
    }
    for plane in [&frame.u, &frame.v] {
        for row in plane.chunks_exact(frame.chroma_stride()).take(ch) {
            hasher.update(&row[..cw]);
        }
    }
    hasher.finalize()
}

/// [`i420_crc32`] as eight lowercase hex digits.
pub fn i420_crc32_hex(frame: &Frame) -> String {
    format!("{:08x}", i420_crc32(frame))
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::codec::frame::i420_len;
    use asp_core::Limits;

    #[test]
    fn equals_the_crc_of_the_written_i420() {
        for (w, h) in [(1u32, 1u32), (17, 9), (64, 48), (33, 2)] {
            let n = i420_len(w as usize, h as usize);
            let data: Vec<u8> = (0..n).map(|i| (i * 37 % 253) as u8).collect();
            let frame = Frame::from_i420(w, h, &data, &Limits::DEFAULT).unwrap();
            let mut out = Vec::new();
            frame.write_i420(&mut out);
            assert_eq!(i420_crc32(&frame), crc32fast::hash(&out), "{w}x{h}");
            assert_eq!(i420_crc32_hex(&frame), format!("{:08x}", crc32fast::hash(&data)));
        }
    }
}
