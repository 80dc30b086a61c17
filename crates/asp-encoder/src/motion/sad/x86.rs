//! SSE2 and AVX2 twins of the scalar SAD (see `sad.rs`).
//!
//! Every function here has the contract of `Sad::sad_unchecked`: each block
//! is readable at `(height - 1) * stride + width` bytes from its pointer, and
//! the caller checked that the CPU has the feature the function enables.
//! Loads are unaligned (`loadu`), so any offset and stride work.

#[cfg(target_arch = "x86")]
use core::arch::x86::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

use super::{scalar_row, BlockKernel};

/// Adds the two 64-bit lanes of a `psadbw` accumulator.
#[inline(always)]
unsafe fn hsum_sse2(v: __m128i) -> u32 {
    // SAFETY: SSE2 is enabled in every caller.
    unsafe { _mm_cvtsi128_si32(_mm_add_epi64(v, _mm_unpackhi_epi64(v, v))) as u32 }
}

/// 16-wide rows, one `psadbw` per row. `H` = 0 means "use `h`" (so that
/// the common 16x16 case is fully unrolled).
#[inline(always)]
unsafe fn sad16_sse2<const H: usize>(
    mut a: *const u8,
    sa: usize,
    mut b: *const u8,
    sb: usize,
    h: usize,
) -> u32 {
    let h = if H == 0 { h } else { H };
    // SAFETY: the caller's contract covers every row read.
    unsafe {
        let mut acc0 = _mm_setzero_si128();
        let mut acc1 = _mm_setzero_si128();
        let mut y = 0;
        while y + 2 <= h {
            let x0 = _mm_loadu_si128(a as *const __m128i);
            let y0 = _mm_loadu_si128(b as *const __m128i);
            let x1 = _mm_loadu_si128(a.add(sa) as *const __m128i);
            let y1 = _mm_loadu_si128(b.add(sb) as *const __m128i);
            acc0 = _mm_add_epi64(acc0, _mm_sad_epu8(x0, y0));
            acc1 = _mm_add_epi64(acc1, _mm_sad_epu8(x1, y1));
            a = a.add(2 * sa);
            b = b.add(2 * sb);
            y += 2;
        }
        if y < h {
            let x0 = _mm_loadu_si128(a as *const __m128i);
            let y0 = _mm_loadu_si128(b as *const __m128i);
            acc0 = _mm_add_epi64(acc0, _mm_sad_epu8(x0, y0));
        }
        hsum_sse2(_mm_add_epi64(acc0, acc1))
    }
}

/// 8-wide rows, two rows per `psadbw`.
#[inline(always)]
unsafe fn sad8_sse2(mut a: *const u8, sa: usize, mut b: *const u8, sb: usize, h: usize) -> u32 {
    // SAFETY: the caller's contract covers every row read (8 bytes each).
    unsafe {
        let mut acc = _mm_setzero_si128();
        let mut y = 0;
        while y + 2 <= h {
            let xa = _mm_unpacklo_epi64(
                _mm_loadl_epi64(a as *const __m128i),
                _mm_loadl_epi64(a.add(sa) as *const __m128i),
            );
            let xb = _mm_unpacklo_epi64(
                _mm_loadl_epi64(b as *const __m128i),
                _mm_loadl_epi64(b.add(sb) as *const __m128i),
            );
            acc = _mm_add_epi64(acc, _mm_sad_epu8(xa, xb));
            a = a.add(2 * sa);
            b = b.add(2 * sb);
            y += 2;
        }
        if y < h {
            let xa = _mm_loadl_epi64(a as *const __m128i);
            let xb = _mm_loadl_epi64(b as *const __m128i);
            acc = _mm_add_epi64(acc, _mm_sad_epu8(xa, xb));
        }
        hsum_sse2(acc)
    }
}

/// Reads 4 bytes, unaligned, into the low lane.
#[inline(always)]
unsafe fn load4(p: *const u8) -> __m128i {
    // SAFETY: the caller guarantees 4 readable bytes.
    unsafe { _mm_cvtsi32_si128(core::ptr::read_unaligned(p as *const i32)) }
}

/// 4-wide rows, two rows per `psadbw` (the other bytes are zero on both sides).
#[inline(always)]
unsafe fn sad4_sse2(mut a: *const u8, sa: usize, mut b: *const u8, sb: usize, h: usize) -> u32 {
    // SAFETY: the caller's contract covers every row read (4 bytes each).
    unsafe {
        let mut acc = _mm_setzero_si128();
        let mut y = 0;
        while y + 2 <= h {
            let xa = _mm_unpacklo_epi32(load4(a), load4(a.add(sa)));
            let xb = _mm_unpacklo_epi32(load4(b), load4(b.add(sb)));
            acc = _mm_add_epi64(acc, _mm_sad_epu8(xa, xb));
            a = a.add(2 * sa);
            b = b.add(2 * sb);
            y += 2;
        }
        if y < h {
            acc = _mm_add_epi64(acc, _mm_sad_epu8(load4(a), load4(b)));
        }
        hsum_sse2(acc)
    }
}

/// Any width: 16-wide steps, one 8-wide step, then a scalar tail.
#[inline(always)]
unsafe fn sad_any_sse2(
    a: *const u8,
    sa: usize,
    b: *const u8,
    sb: usize,
    w: usize,
    h: usize,
) -> u32 {
    // SAFETY: every read is at x + n <= w within a row the caller guarantees.
    unsafe {
        let mut acc = _mm_setzero_si128();
        let mut tail = 0u32;
        for y in 0..h {
            let (ra, rb) = (a.add(y * sa), b.add(y * sb));
            let mut x = 0;
            while x + 16 <= w {
                let xa = _mm_loadu_si128(ra.add(x) as *const __m128i);
                let xb = _mm_loadu_si128(rb.add(x) as *const __m128i);
                acc = _mm_add_epi64(acc, _mm_sad_epu8(xa, xb));
                x += 16;
            }
            if x + 8 <= w {
                let xa = _mm_loadl_epi64(ra.add(x) as *const __m128i);
                let xb = _mm_loadl_epi64(rb.add(x) as *const __m128i);
                acc = _mm_add_epi64(acc, _mm_sad_epu8(xa, xb));
                x += 8;
            }
            if x < w {
                tail += scalar_row(
                    core::slice::from_raw_parts(ra.add(x), w - x),
                    core::slice::from_raw_parts(rb.add(x), w - x),
                );
            }
        }
        hsum_sse2(acc) + tail
    }
}

/// SSE2 SAD of a `w` x `h` block.
///
/// # Safety
///
/// SSE2 available; blocks readable as in `Sad::sad_unchecked`.
#[target_feature(enable = "sse2")]
pub(super) unsafe fn sad_sse2(
    a: *const u8,
    sa: usize,
    b: *const u8,
    sb: usize,
    w: usize,
    h: usize,
) -> u32 {
    // SAFETY: forwarded contract.
    unsafe {
        match (w, h) {
            (16, 16) => sad16_sse2::<16>(a, sa, b, sb, h),
            (16, _) => sad16_sse2::<0>(a, sa, b, sb, h),
            (8, _) => sad8_sse2(a, sa, b, sb, h),
            (4, _) => sad4_sse2(a, sa, b, sb, h),
            _ => sad_any_sse2(a, sa, b, sb, w, h),
        }
    }
}

/// Adds the four 64-bit lanes of a `vpsadbw` accumulator.
#[inline(always)]
unsafe fn hsum_avx2(v: __m256i) -> u32 {
    // SAFETY: AVX2 is enabled in every caller.
    unsafe {
        let s = _mm_add_epi64(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
        hsum_sse2(s)
    }
}

/// Two 16-byte rows in one 256-bit register.
#[inline(always)]
unsafe fn load2x16(p: *const u8, stride: usize) -> __m256i {
    // SAFETY: the caller guarantees both rows.
    unsafe {
        _mm256_inserti128_si256::<1>(
            _mm256_castsi128_si256(_mm_loadu_si128(p as *const __m128i)),
            _mm_loadu_si128(p.add(stride) as *const __m128i),
        )
    }
}

/// 16-wide rows, two rows per `vpsadbw`.
#[inline(always)]
unsafe fn sad16_avx2<const H: usize>(
    mut a: *const u8,
    sa: usize,
    mut b: *const u8,
    sb: usize,
    h: usize,
) -> u32 {
    let h = if H == 0 { h } else { H };
    // SAFETY: the caller's contract covers every row read.
    unsafe {
        let mut acc = _mm256_setzero_si256();
        let mut y = 0;
        while y + 2 <= h {
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(load2x16(a, sa), load2x16(b, sb)));
            a = a.add(2 * sa);
            b = b.add(2 * sb);
            y += 2;
        }
        let mut s = hsum_avx2(acc);
        if y < h {
            let xa = _mm_loadu_si128(a as *const __m128i);
            let xb = _mm_loadu_si128(b as *const __m128i);
            s += hsum_sse2(_mm_sad_epu8(xa, xb));
        }
        s
    }
}

/// 32-wide rows, one `vpsadbw` per row.
#[inline(always)]
unsafe fn sad32_avx2(mut a: *const u8, sa: usize, mut b: *const u8, sb: usize, h: usize) -> u32 {
    // SAFETY: the caller's contract covers every row read.
    unsafe {
        let mut acc = _mm256_setzero_si256();
        for _ in 0..h {
            let xa = _mm256_loadu_si256(a as *const __m256i);
            let xb = _mm256_loadu_si256(b as *const __m256i);
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(xa, xb));
            a = a.add(sa);
            b = b.add(sb);
        }
        hsum_avx2(acc)
    }
}

/// Any width: 32-wide steps, then the SSE2 path for the rest of each row.
#[inline(always)]
unsafe fn sad_any_avx2(
    a: *const u8,
    sa: usize,
    b: *const u8,
    sb: usize,
    w: usize,
    h: usize,
) -> u32 {
    let w32 = w & !31;
    // SAFETY: the 32-wide part and the remainder both lie within each row.
    unsafe {
        let mut s = 0;
        if w32 > 0 {
            let mut acc = _mm256_setzero_si256();
            for y in 0..h {
                let (ra, rb) = (a.add(y * sa), b.add(y * sb));
                let mut x = 0;
                while x < w32 {
                    let xa = _mm256_loadu_si256(ra.add(x) as *const __m256i);
                    let xb = _mm256_loadu_si256(rb.add(x) as *const __m256i);
                    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(xa, xb));
                    x += 32;
                }
            }
            s += hsum_avx2(acc);
        }
        if w32 < w {
            s += sad_any_sse2(a.add(w32), sa, b.add(w32), sb, w - w32, h);
        }
        s
    }
}

/// AVX2 SAD of a `w` x `h` block.
///
/// # Safety
///
/// AVX2 available; blocks readable as in `Sad::sad_unchecked`.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn sad_avx2(
    a: *const u8,
    sa: usize,
    b: *const u8,
    sb: usize,
    w: usize,
    h: usize,
) -> u32 {
    // SAFETY: forwarded contract (AVX2 implies SSE2).
    unsafe {
        match (w, h) {
            (16, 16) => sad16_avx2::<16>(a, sa, b, sb, h),
            (16, _) => sad16_avx2::<0>(a, sa, b, sb, h),
            (32, _) => sad32_avx2(a, sa, b, sb, h),
            (8, _) => sad8_sse2(a, sa, b, sb, h),
            (4, _) => sad4_sse2(a, sa, b, sb, h),
            _ => sad_any_avx2(a, sa, b, sb, w, h),
        }
    }
}

/// A 16x16 current block held in eight 256-bit registers (two rows each),
/// for searches: each candidate then costs 16 reference loads and 8
/// `vpsadbw`. Only for code compiled with AVX2 enabled (the search entry
/// point `search_avx2_16` in `motion/search.rs`), where it is inlined.
pub(crate) struct Avx2Block16 {
    rows: [__m256i; 8],
}

impl Avx2Block16 {
    /// Loads the block at `cur` (stride `cs`).
    ///
    /// # Safety
    ///
    /// AVX2 available; `cur` readable for 16 rows of 16 bytes at stride `cs`.
    #[inline(always)]
    pub(crate) unsafe fn load(cur: *const u8, cs: usize) -> Self {
        // SAFETY: forwarded contract.
        unsafe {
            let mut rows = [_mm256_setzero_si256(); 8];
            for (i, r) in rows.iter_mut().enumerate() {
                *r = load2x16(cur.add(2 * i * cs), cs);
            }
            Avx2Block16 { rows }
        }
    }
}

impl BlockKernel for Avx2Block16 {
    #[inline(always)]
    unsafe fn sad(&self, r: *const u8, rs: usize) -> u32 {
        // SAFETY: AVX2 (this type exists only where it is available); `r`
        // readable for 16 rows of 16 bytes by the caller's contract.
        unsafe {
            let mut acc0 = _mm256_sad_epu8(self.rows[0], load2x16(r, rs));
            let mut acc1 = _mm256_sad_epu8(self.rows[1], load2x16(r.add(2 * rs), rs));
            for i in (2..8).step_by(2) {
                acc0 = _mm256_add_epi64(
                    acc0,
                    _mm256_sad_epu8(self.rows[i], load2x16(r.add(2 * i * rs), rs)),
                );
                acc1 = _mm256_add_epi64(
                    acc1,
                    _mm256_sad_epu8(self.rows[i + 1], load2x16(r.add(2 * (i + 1) * rs), rs)),
                );
            }
            hsum_avx2(_mm256_add_epi64(acc0, acc1))
        }
    }

    /// Four candidates per pass: each current row pair is used four times.
    #[inline(always)]
    unsafe fn sad_x4(&self, r: [*const u8; 4], rs: usize) -> [u32; 4] {
        // SAFETY: as `sad`, for each of the four.
        unsafe {
            let mut acc = [_mm256_setzero_si256(); 4];
            for (i, row) in self.rows.iter().enumerate() {
                let off = 2 * i * rs;
                for k in 0..4 {
                    acc[k] = _mm256_add_epi64(
                        acc[k],
                        _mm256_sad_epu8(*row, load2x16(r[k].add(off), rs)),
                    );
                }
            }
            [
                hsum_avx2(acc[0]),
                hsum_avx2(acc[1]),
                hsum_avx2(acc[2]),
                hsum_avx2(acc[3]),
            ]
        }
    }

    /// Rows 0..8 first; stops there when their SAD already exceeds `bound`.
    #[inline(always)]
    unsafe fn sad_bounded(&self, r: *const u8, rs: usize, bound: u32) -> u32 {
        // SAFETY: as `sad`.
        unsafe {
            let a0 = _mm256_sad_epu8(self.rows[0], load2x16(r, rs));
            let a1 = _mm256_sad_epu8(self.rows[1], load2x16(r.add(2 * rs), rs));
            let a2 = _mm256_sad_epu8(self.rows[2], load2x16(r.add(4 * rs), rs));
            let a3 = _mm256_sad_epu8(self.rows[3], load2x16(r.add(6 * rs), rs));
            let top = hsum_avx2(_mm256_add_epi64(
                _mm256_add_epi64(a0, a1),
                _mm256_add_epi64(a2, a3),
            ));
            if top > bound {
                return top;
            }
            let b0 = _mm256_sad_epu8(self.rows[4], load2x16(r.add(8 * rs), rs));
            let b1 = _mm256_sad_epu8(self.rows[5], load2x16(r.add(10 * rs), rs));
            let b2 = _mm256_sad_epu8(self.rows[6], load2x16(r.add(12 * rs), rs));
            let b3 = _mm256_sad_epu8(self.rows[7], load2x16(r.add(14 * rs), rs));
            top + hsum_avx2(_mm256_add_epi64(
                _mm256_add_epi64(b0, b1),
                _mm256_add_epi64(b2, b3),
            ))
        }
    }
}
