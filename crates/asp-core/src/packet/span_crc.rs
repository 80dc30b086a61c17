//! CRC-32 of any span of a byte stream in time independent of the span's
//! length, so that checking many overlapping packet candidates (a reader
//! resynchronising through damage, or through headers forged to claim long
//! payloads) costs each stream byte one pass of hashing, not one pass per
//! candidate that covers it.
//!
//! CRC-32 is linear over GF(2): for a stream `A || B`,
//! `crc(A || B) = crc(A) · x^(8·|B|) mod P  ⊕  crc(B)` (the identity behind
//! zlib's `crc32_combine`; the initial value and final XOR cancel out). So
//! with `run(o)` = the CRC of the stream from a fixed origin up to offset
//! `o`, the CRC of the span `[p, e)` is `run(e) ⊕ run(p) · x^(8·(e − p))`.
//! `run` is kept at every [`BLOCK`]-th offset; any other offset is at most
//! one block of hashing away from a checkpoint.

use alloc::collections::VecDeque;

/// Bytes between checkpoints: one `u32` of memory per block of stream, and
/// at most two blocks of hashing per span on top of each byte once. Large
/// enough that crc32fast hashes a block at its folding speed, small enough
/// that a forged header every 16 bytes costs a bounded multiple of the input.
pub(crate) const BLOCK: u64 = 256;

/// The IEEE polynomial, bit-reflected (as crc32fast and zlib compute it).
const POLY: u32 = 0xEDB8_8320;

/// `a · b mod P` in the reflected representation (bit 31 is `x^0`).
const fn mul_mod_p(a: u32, mut b: u32) -> u32 {
    let mut m = 1u32 << 31;
    let mut p = 0u32;
    while m != 0 {
        if a & m != 0 {
            p ^= b;
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ POLY } else { b >> 1 };
    }
    p
}

/// `x^(2^k) mod P` for k = 0..32.
const X_POW_2K: [u32; 32] = {
    let mut table = [0u32; 32];
    table[0] = 1 << 30; // x^1
    let mut k = 1;
    while k < 32 {
        table[k] = mul_mod_p(table[k - 1], table[k - 1]);
        k += 1;
    }
    table
};

/// `crc · x^(8·len) mod P`: what a CRC becomes when `len` more bytes
/// (of value zero in the linear part) are appended.
fn shift(crc: u32, len: u64) -> u32 {
    // x^(8·len) = the product of x^(2^k) over the set bits k of 8·len.
    // Spans here are packet-sized (k < 32); past that the table wraps, as
    // zlib's crc32_combine does, since x^(2^32) ≡ x mod P for this P.
    let mut power = 1u32 << 31; // x^0
    let mut n = len;
    let mut k = 3; // 8·len: start at x^(2^3)
    while n != 0 {
        if n & 1 != 0 {
            power = mul_mod_p(X_POW_2K[k % 32], power);
        }
        n >>= 1;
        k += 1;
    }
    mul_mod_p(power, crc)
}

/// `run` at every [`BLOCK`]-th stream offset from an origin, computed as
/// the stream is read and forgotten as its bytes are dropped.
#[derive(Debug, Default)]
pub(crate) struct SpanCrc {
    /// Stream offset of checkpoint index 0.
    origin: u64,
    /// Index of `checkpoints[0]`.
    first: u64,
    /// `run(origin + (first + i) · BLOCK)`.
    checkpoints: VecDeque<u32>,
    /// Bytes hashed so far: the work done, for tests that pin it linear.
    #[cfg(test)]
    hashed: u64,
}

impl SpanCrc {
    /// Starts counting afresh at stream offset `origin` (nothing before it
    /// will be asked for).
    pub fn reset(&mut self, origin: u64) {
        self.origin = origin;
        self.first = 0;
        self.checkpoints.clear();
    }

    /// Forgets what spans starting at `offset` or later no longer need, and
    /// returns the earliest stream offset whose bytes must stay buffered:
    /// the checkpoint at or before `offset`, or `offset` itself when no
    /// checkpoint reaches that far (then counting starts afresh there, which
    /// loses no work: less than a block was hashed past the last one).
    pub fn retain_from(&mut self, offset: u64) -> u64 {
        let index = offset.saturating_sub(self.origin) / BLOCK;
        let computed_to = self.first + self.checkpoints.len() as u64;
        if offset < self.origin || index >= computed_to {
            self.reset(offset);
            return offset;
        }
        while self.first < index {
            self.checkpoints.pop_front();
            self.first += 1;
        }
        self.origin + index * BLOCK
    }

    /// CRC-32 of stream bytes `[start, end)`. `buffer` holds the stream
    /// from offset `buffer_offset` on, at least up to `end` and back to
    /// [`SpanCrc::keep_from`]`(start)`.
    pub fn span(&mut self, buffer: &[u8], buffer_offset: u64, start: u64, end: u64) -> u32 {
        let at_start = self.run(buffer, buffer_offset, start);
        let at_end = self.run(buffer, buffer_offset, end);
        at_end ^ shift(at_start, end - start)
    }

    /// Bytes hashed since this value was made.
    #[cfg(test)]
    pub fn hashed_bytes(&self) -> u64 {
        self.hashed
    }

    /// `run(offset)`: the CRC of the stream from the origin to `offset`.
    fn run(&mut self, buffer: &[u8], buffer_offset: u64, offset: u64) -> u32 {
        debug_assert!(offset >= self.origin + self.first * BLOCK, "span before the kept checkpoints");
        let index = offset.saturating_sub(self.origin) / BLOCK;
        if self.checkpoints.is_empty() {
            // The origin is the first checkpoint: the CRC of nothing.
            self.first = 0;
            self.checkpoints.push_back(0);
        }
        while self.first + (self.checkpoints.len() as u64) <= index {
            let last_index = self.first + self.checkpoints.len() as u64 - 1;
            let from = self.origin + last_index * BLOCK;
            let last = self.checkpoints.back().copied().unwrap_or(0);
            let next = self.extend(last, buffer, buffer_offset, from, from + BLOCK);
            self.checkpoints.push_back(next);
        }
        let checkpoint_at = self.origin + index * BLOCK;
        let slot = index.saturating_sub(self.first) as usize;
        let base = self.checkpoints.get(slot).copied().unwrap_or(0);
        self.extend(base, buffer, buffer_offset, checkpoint_at, offset)
    }

    /// `crc` continued over stream bytes `[from, to)`.
    fn extend(&mut self, crc: u32, buffer: &[u8], buffer_offset: u64, from: u64, to: u64) -> u32 {
        let (a, b) = ((from - buffer_offset) as usize, (to - buffer_offset) as usize);
        let bytes = &buffer[a..b];
        #[cfg(test)]
        {
            self.hashed += bytes.len() as u64;
        }
        let mut hasher = crc32fast::Hasher::new_with_initial(crc);
        hasher.update(bytes);
        hasher.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> alloc::vec::Vec<u8> {
        let mut rng = asp_testkit::Rng::new(0x2545_f491);
        (0..n).map(|_| rng.byte()).collect()
    }

    #[test]
    fn shift_appends_zero_bytes_to_the_linear_part() {
        // crc(A || B) = shift(crc(A), |B|) ^ crc(B), at lengths across the table.
        let data = bytes(5000);
        for (a, b) in [(0, 0), (1, 0), (0, 1), (3, 7), (64, 64), (100, 4000), (4999, 1)] {
            let whole = crc32fast::hash(&data[..a + b]);
            let joined = shift(crc32fast::hash(&data[..a]), b as u64) ^ crc32fast::hash(&data[a..a + b]);
            assert_eq!(joined, whole, "{a} + {b}");
        }
    }

    #[test]
    fn spans_equal_a_direct_hash() {
        let data = bytes(3000);
        let mut spans = SpanCrc::default();
        spans.reset(1000);
        for (start, end) in [(1000, 1000), (1000, 1020), (1001, 1065), (1063, 1129), (1500, 3999), (2000, 2001)] {
            let direct = crc32fast::hash(&data[start as usize - 1000..end as usize - 1000]);
            assert_eq!(spans.span(&data, 1000, start, end), direct, "[{start}, {end})");
        }
    }

    #[test]
    fn checkpoints_survive_dropping_the_front_of_the_buffer() {
        let data = bytes(4096);
        let mut spans = SpanCrc::default();
        spans.reset(0);
        assert_eq!(spans.span(&data, 0, 10, 4000), crc32fast::hash(&data[10..4000]));
        let kept = spans.retain_from(1000);
        assert_eq!(kept, 1000 / BLOCK * BLOCK);
        let tail = &data[kept as usize..];
        assert_eq!(spans.span(tail, kept, 1000, 4096), crc32fast::hash(&data[1000..]));
        assert_eq!(spans.span(tail, kept, 2047, 2049), crc32fast::hash(&data[2047..2049]));
    }

    #[test]
    fn retaining_past_the_checkpoints_starts_afresh() {
        let data = bytes(4 * BLOCK as usize);
        let mut spans = SpanCrc::default();
        spans.reset(0);
        assert_eq!(spans.span(&data, 0, 0, 30), crc32fast::hash(&data[..30]));
        // Past the only checkpoint (0): counting starts afresh at 70.
        let past = BLOCK + 70;
        assert_eq!(spans.retain_from(past), past);
        let end = past + 2 * BLOCK + 5;
        let tail = &data[past as usize..];
        assert_eq!(spans.span(tail, past, past, end), crc32fast::hash(&data[past as usize..end as usize]));
        // Now checkpoints stand every BLOCK from `past` on.
        assert_eq!(spans.retain_from(past + BLOCK + 9), past + BLOCK);
    }

    #[test]
    fn each_byte_is_hashed_about_once_however_many_spans_cover_it() {
        let data = bytes(1 << 16);
        let mut spans = SpanCrc::default();
        spans.reset(0);
        for start in (0..(1u64 << 15)).step_by(16) {
            let end = start + (1 << 15);
            assert_eq!(spans.span(&data, 0, start, end), crc32fast::hash(&data[start as usize..end as usize]));
        }
        // The checkpoints once, and at most two blocks per span on top.
        let spans_asked = (1u64 << 15) / 16;
        assert!(spans.hashed_bytes() <= (1 << 16) + spans_asked * 2 * BLOCK, "{} bytes hashed", spans.hashed_bytes());
    }
}
