//! SSE2 lanes for the deblocking body ([`Lanes`]).

use super::lanes::Lanes;
use core::arch::x86_64::*;

/// SSE2 lanes. SSE2 is part of the x86_64 baseline, so every
/// intrinsic below is available on every x86_64 CPU.
#[derive(Clone, Copy)]
pub(in super::super) struct Native(__m128i);

impl Lanes for Native {
    #[inline(always)]
    fn splat(v: i16) -> Self {
        // SAFETY: SSE2 is always present on x86_64.
        Native(unsafe { _mm_set1_epi16(v) })
    }
    #[inline(always)]
    fn from_array(a: [i16; 8]) -> Self {
        // SAFETY: as above.
        Native(unsafe { _mm_set_epi16(a[7], a[6], a[5], a[4], a[3], a[2], a[1], a[0]) })
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Native(unsafe { _mm_add_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Native(unsafe { _mm_sub_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        Native(unsafe { _mm_min_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Native(unsafe { _mm_max_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        Native(unsafe { _mm_and_si128(self.0, o.0) })
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        Native(unsafe { _mm_or_si128(self.0, o.0) })
    }
    #[inline(always)]
    fn andnot(self, o: Self) -> Self {
        Native(unsafe { _mm_andnot_si128(self.0, o.0) })
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        Native(unsafe { _mm_cmplt_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn shr1(self) -> Self {
        Native(unsafe { _mm_srai_epi16::<1>(self.0) })
    }
    #[inline(always)]
    fn shr2(self) -> Self {
        Native(unsafe { _mm_srai_epi16::<2>(self.0) })
    }
    #[inline(always)]
    fn shr3(self) -> Self {
        Native(unsafe { _mm_srai_epi16::<3>(self.0) })
    }
    #[inline(always)]
    fn avg(self, o: Self) -> Self {
        Native(unsafe { _mm_avg_epu16(self.0, o.0) })
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        Native(unsafe { _mm_cvtsi64_si128(v as i64) })
    }
    #[inline(always)]
    fn to_u64s(self) -> (u64, u64) {
        unsafe {
            (
                _mm_cvtsi128_si64(self.0) as u64,
                _mm_cvtsi128_si64(_mm_unpackhi_epi64(self.0, self.0)) as u64,
            )
        }
    }
    #[inline(always)]
    fn from_bytes(b: [u8; 16]) -> Self {
        // SAFETY: an unaligned load of the 16 bytes of `b`.
        Native(unsafe { _mm_loadu_si128(b.as_ptr() as *const __m128i) })
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        // SAFETY: an unaligned store to the 16 bytes of `b`.
        unsafe { _mm_storeu_si128(b.as_mut_ptr() as *mut __m128i, self.0) };
        b
    }
    #[inline(always)]
    fn hi_half(self) -> Self {
        Native(unsafe { _mm_unpackhi_epi64(self.0, self.0) })
    }
    #[inline(always)]
    fn unpack_lo8(self, o: Self) -> Self {
        Native(unsafe { _mm_unpacklo_epi8(self.0, o.0) })
    }
    #[inline(always)]
    fn unpack_lo16(self, o: Self) -> Self {
        Native(unsafe { _mm_unpacklo_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn unpack_hi16(self, o: Self) -> Self {
        Native(unsafe { _mm_unpackhi_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn unpack_lo32(self, o: Self) -> Self {
        Native(unsafe { _mm_unpacklo_epi32(self.0, o.0) })
    }
    #[inline(always)]
    fn unpack_hi32(self, o: Self) -> Self {
        Native(unsafe { _mm_unpackhi_epi32(self.0, o.0) })
    }
    #[inline(always)]
    fn widen_lo(self) -> Self {
        Native(unsafe { _mm_unpacklo_epi8(self.0, _mm_setzero_si128()) })
    }
    #[inline(always)]
    fn widen_hi(self) -> Self {
        Native(unsafe { _mm_unpackhi_epi8(self.0, _mm_setzero_si128()) })
    }
    #[inline(always)]
    fn pack(self, o: Self) -> Self {
        Native(unsafe { _mm_packus_epi16(self.0, o.0) })
    }
    #[inline(always)]
    fn any(self) -> bool {
        unsafe { _mm_movemask_epi8(self.0) != 0 }
    }
}
