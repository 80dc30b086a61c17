//! A machine-readable timestamp burnt into the picture, for glass-to-glass
//! latency measured on what the viewer actually sees.
//!
//! The stamp is one row of square blocks along the top edge of the picture:
//! 48 data bits (the low 48 bits of the capture time in microseconds since
//! the Unix epoch, most significant bit first) and then 8 check bits (the
//! XOR of the six data bytes with 0xA5). A one is a white block (luma 235),
//! a zero a black block (luma 16); chroma under the row is neutral. Blocks
//! are big and the contrast is full, so any codec at any sane quality keeps
//! them readable, which is what makes the same method measure jsmpeg too.
//!
//! The block side depends only on the picture width ([`block_size`]), so a
//! reader needs nothing but the picture. Readers: [`read`] here, and
//! `bench/live-latency/www/stamp.js` (a canvas's RGBA pixels) in the browser; both sample the
//! middle of each block and threshold at mid-grey.

use asp_core::codec::frame::Frame;

/// Data bits: the low 48 bits of the capture time in microseconds.
pub const DATA_BITS: usize = 48;
/// Check bits after the data.
pub const CHECK_BITS: usize = 8;
/// Blocks in the row.
pub const BLOCKS: usize = DATA_BITS + CHECK_BITS;
/// The mask of the microsecond clock the stamp carries (wraps every 8.9 years).
pub const CLOCK_MASK: u64 = (1 << DATA_BITS) - 1;

const WHITE: u8 = 235;
const BLACK: u8 = 16;
const NEUTRAL_CHROMA: u8 = 128;
const CHECK_SALT: u8 = 0xA5;

/// Block side in pixels for a picture `width` wide: the largest multiple of
/// 8 (at least 4, and even, so chroma lines up) such that the row fits.
/// `None` when the picture is too narrow for a readable stamp.
pub fn block_size(width: usize, height: usize) -> Option<usize> {
    let fit = width / BLOCKS;
    let side = if fit >= 8 { (fit / 8 * 8).min(16) } else if fit >= 4 { 4 } else { return None };
    (height >= side).then_some(side)
}

/// The 56 bits of the stamp for `time_us`, most significant first.
fn bits(time_us: u64) -> u64 {
    let data = time_us & CLOCK_MASK;
    (data << CHECK_BITS) | u64::from(check_byte(data))
}

fn check_byte(data: u64) -> u8 {
    data.to_be_bytes()[2..].iter().fold(CHECK_SALT, |acc, b| acc ^ b)
}

/// Burns `time_us` into the top rows of `frame`. Returns false (and leaves
/// the frame alone) when the picture is too small to carry a stamp.
pub fn burn(frame: &mut Frame, time_us: u64) -> bool {
    let Some(side) = block_size(frame.width(), frame.height()) else { return false };
    let word = bits(time_us);
    let (luma_stride, chroma_stride) = (frame.luma_stride(), frame.chroma_stride());
    for block in 0..BLOCKS {
        let one = (word >> (BLOCKS - 1 - block)) & 1 == 1;
        let value = if one { WHITE } else { BLACK };
        let x0 = block * side;
        for y in 0..side {
            frame.y[y * luma_stride + x0..y * luma_stride + x0 + side].fill(value);
        }
        for y in 0..side / 2 {
            let row = y * chroma_stride + x0 / 2;
            frame.u[row..row + side / 2].fill(NEUTRAL_CHROMA);
            frame.v[row..row + side / 2].fill(NEUTRAL_CHROMA);
        }
    }
    true
}

/// Reads a stamp from a luma plane (`stride` bytes per row): the 48-bit
/// clock value, or `None` when there is no valid stamp (check bits wrong).
pub fn read_luma(luma: &[u8], stride: usize, width: usize, height: usize) -> Option<u64> {
    let side = block_size(width, height)?;
    let mut word = 0u64;
    for block in 0..BLOCKS {
        let (x, y) = (block * side + side / 2, side / 2);
        // Mean of a 2x2 patch in the middle of the block.
        let mut sum = 0u32;
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            sum += u32::from(*luma.get((y - 1 + dy) * stride + x - 1 + dx)?);
        }
        word = (word << 1) | u64::from(sum / 4 >= 128);
    }
    let data = word >> CHECK_BITS;
    (check_byte(data) == (word & 0xFF) as u8).then_some(data)
}

/// Reads the stamp of a decoded frame.
pub fn read(frame: &Frame) -> Option<u64> {
    read_luma(&frame.y, frame.luma_stride(), frame.width(), frame.height())
}

/// Microseconds from a stamp's clock value to `now_us`, modulo the 48-bit
/// wrap (so a stamp read just after the wrap still gives a small number).
pub fn elapsed_us(stamp: u64, now_us: u64) -> u64 {
    (now_us.wrapping_sub(stamp)) & CLOCK_MASK
}

#[cfg(test)]
mod tests {
    use super::*;
    use asp_core::Limits;

    #[test]
    fn burn_then_read_gives_the_time_back() {
        for (w, h) in [(1280, 720), (640, 360), (320, 180), (226, 64)] {
            let mut frame = Frame::new(w, h, &Limits::DEFAULT).unwrap();
            let t = 1_764_000_000_123_456u64;
            assert!(burn(&mut frame, t), "{w}x{h}");
            assert_eq!(read(&frame), Some(t & CLOCK_MASK), "{w}x{h}");
        }
    }

    #[test]
    fn a_plain_picture_has_no_stamp() {
        let frame = Frame::new(640, 360, &Limits::DEFAULT).unwrap();
        assert_eq!(read(&frame), None);
    }

    #[test]
    fn a_flipped_block_is_caught_by_the_check_bits() {
        let mut frame = Frame::new(640, 360, &Limits::DEFAULT).unwrap();
        burn(&mut frame, 42_000_000);
        let side = block_size(640, 360).unwrap();
        let stride = frame.luma_stride();
        for y in 0..side {
            for x in 3 * side..4 * side {
                frame.y[y * stride + x] = 255 - frame.y[y * stride + x];
            }
        }
        assert_eq!(read(&frame), None);
    }

    #[test]
    fn too_narrow_pictures_are_left_alone() {
        let mut frame = Frame::new(200, 64, &Limits::DEFAULT).unwrap();
        let before = frame.clone();
        assert!(!burn(&mut frame, 1));
        assert_eq!(frame, before);
    }

    #[test]
    fn elapsed_wraps_at_48_bits() {
        assert_eq!(elapsed_us(CLOCK_MASK - 5, (CLOCK_MASK + 1) + 10), 16);
        assert_eq!(elapsed_us(100, 250), 150);
    }
}
