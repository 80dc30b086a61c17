//! NEON lanes for the deblocking body ([`Lanes`]), aarch64 (NEON is the
//! Armv8-A baseline). Each operation has the lane semantics the trait
//! states, as its SSE2 (`x86.rs`) and simd128 (`wasm.rs`) twins do, so the
//! body filters the same bytes on all three.

use super::lanes::Lanes;
use core::arch::aarch64::*;

/// NEON lanes, held as eight `i16`; the byte, 32- and 64-bit operations
/// reinterpret them.
#[derive(Clone, Copy)]
pub(in super::super) struct Native(int16x8_t);

impl Native {
    #[inline(always)]
    fn bytes(self) -> uint8x16_t {
        unsafe { vreinterpretq_u8_s16(self.0) }
    }
    #[inline(always)]
    fn from_u8(v: uint8x16_t) -> Self {
        Native(unsafe { vreinterpretq_s16_u8(v) })
    }
    #[inline(always)]
    fn words(self) -> int32x4_t {
        unsafe { vreinterpretq_s32_s16(self.0) }
    }
    #[inline(always)]
    fn from_s32(v: int32x4_t) -> Self {
        Native(unsafe { vreinterpretq_s16_s32(v) })
    }
}

impl Lanes for Native {
    #[inline(always)]
    fn splat(v: i16) -> Self {
        Native(unsafe { vdupq_n_s16(v) })
    }
    #[inline(always)]
    fn from_array(a: [i16; 8]) -> Self {
        Native(unsafe { vld1q_s16(a.as_ptr()) })
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Native(unsafe { vaddq_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Native(unsafe { vsubq_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        Native(unsafe { vminq_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Native(unsafe { vmaxq_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        Native(unsafe { vandq_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        Native(unsafe { vorrq_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn andnot(self, o: Self) -> Self {
        // vbicq(a, b) is a & !b: the operands swap.
        Native(unsafe { vbicq_s16(o.0, self.0) })
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        Native(unsafe { vreinterpretq_s16_u16(vcltq_s16(self.0, o.0)) })
    }
    #[inline(always)]
    fn shr1(self) -> Self {
        Native(unsafe { vshrq_n_s16::<1>(self.0) })
    }
    #[inline(always)]
    fn shr2(self) -> Self {
        Native(unsafe { vshrq_n_s16::<2>(self.0) })
    }
    #[inline(always)]
    fn shr3(self) -> Self {
        Native(unsafe { vshrq_n_s16::<3>(self.0) })
    }
    #[inline(always)]
    fn avg(self, o: Self) -> Self {
        Native(unsafe { vreinterpretq_s16_u16(vrhaddq_u16(vreinterpretq_u16_s16(self.0), vreinterpretq_u16_s16(o.0))) })
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        Native(unsafe { vreinterpretq_s16_u64(vcombine_u64(vcreate_u64(v), vcreate_u64(0))) })
    }
    #[inline(always)]
    fn to_u64s(self) -> (u64, u64) {
        unsafe {
            let v = vreinterpretq_u64_s16(self.0);
            (vgetq_lane_u64::<0>(v), vgetq_lane_u64::<1>(v))
        }
    }
    #[inline(always)]
    fn from_bytes(b: [u8; 16]) -> Self {
        Native::from_u8(unsafe { vld1q_u8(b.as_ptr()) })
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        unsafe { vst1q_u8(b.as_mut_ptr(), self.bytes()) };
        b
    }
    #[inline(always)]
    fn hi_half(self) -> Self {
        Native::from_u8(unsafe { vextq_u8::<8>(self.bytes(), self.bytes()) })
    }
    #[inline(always)]
    fn unpack_lo8(self, o: Self) -> Self {
        Native::from_u8(unsafe { vzip1q_u8(self.bytes(), o.bytes()) })
    }
    #[inline(always)]
    fn unpack_lo16(self, o: Self) -> Self {
        Native(unsafe { vzip1q_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn unpack_hi16(self, o: Self) -> Self {
        Native(unsafe { vzip2q_s16(self.0, o.0) })
    }
    #[inline(always)]
    fn unpack_lo32(self, o: Self) -> Self {
        Native::from_s32(unsafe { vzip1q_s32(self.words(), o.words()) })
    }
    #[inline(always)]
    fn unpack_hi32(self, o: Self) -> Self {
        Native::from_s32(unsafe { vzip2q_s32(self.words(), o.words()) })
    }
    #[inline(always)]
    fn widen_lo(self) -> Self {
        Native(unsafe { vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(self.bytes()))) })
    }
    #[inline(always)]
    fn widen_hi(self) -> Self {
        Native(unsafe { vreinterpretq_s16_u16(vmovl_high_u8(self.bytes())) })
    }
    #[inline(always)]
    fn pack(self, o: Self) -> Self {
        Native::from_u8(unsafe { vcombine_u8(vqmovun_s16(self.0), vqmovun_s16(o.0)) })
    }
    #[inline(always)]
    fn any(self) -> bool {
        unsafe { vmaxvq_u32(vreinterpretq_u32_s16(self.0)) != 0 }
    }
}
