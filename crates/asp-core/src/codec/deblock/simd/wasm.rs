//! simd128 lanes for the deblocking body ([`Lanes`]).

use super::lanes::Lanes;
use core::arch::wasm32::*;

/// simd128 lanes (the build enables `simd128`, so every intrinsic
/// below is available wherever the module loads).
#[derive(Clone, Copy)]
pub(in super::super) struct Native(v128);

impl Lanes for Native {
    #[inline(always)]
    fn splat(v: i16) -> Self {
        Native(i16x8_splat(v))
    }
    #[inline(always)]
    fn from_array(a: [i16; 8]) -> Self {
        Native(i16x8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Native(i16x8_add(self.0, o.0))
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Native(i16x8_sub(self.0, o.0))
    }
    #[inline(always)]
    fn min(self, o: Self) -> Self {
        Native(i16x8_min(self.0, o.0))
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Native(i16x8_max(self.0, o.0))
    }
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        Native(v128_and(self.0, o.0))
    }
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        Native(v128_or(self.0, o.0))
    }
    #[inline(always)]
    fn andnot(self, o: Self) -> Self {
        // v128_andnot(a, b) is a & !b: the operands swap.
        Native(v128_andnot(o.0, self.0))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> Self {
        Native(i16x8_lt(self.0, o.0))
    }
    #[inline(always)]
    fn shr1(self) -> Self {
        Native(i16x8_shr(self.0, 1))
    }
    #[inline(always)]
    fn shr2(self) -> Self {
        Native(i16x8_shr(self.0, 2))
    }
    #[inline(always)]
    fn shr3(self) -> Self {
        Native(i16x8_shr(self.0, 3))
    }
    #[inline(always)]
    fn avg(self, o: Self) -> Self {
        Native(u16x8_avgr(self.0, o.0))
    }
    #[inline(always)]
    fn from_u64(v: u64) -> Self {
        Native(u64x2(v, 0))
    }
    #[inline(always)]
    fn to_u64s(self) -> (u64, u64) {
        (
            u64x2_extract_lane::<0>(self.0),
            u64x2_extract_lane::<1>(self.0),
        )
    }
    #[inline(always)]
    fn from_bytes(b: [u8; 16]) -> Self {
        // SAFETY: an unaligned load of the 16 bytes of `b`.
        Native(unsafe { v128_load(b.as_ptr() as *const v128) })
    }
    #[inline(always)]
    fn to_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        // SAFETY: an unaligned store to the 16 bytes of `b`.
        unsafe { v128_store(b.as_mut_ptr() as *mut v128, self.0) };
        b
    }
    #[inline(always)]
    fn hi_half(self) -> Self {
        Native(i64x2_shuffle::<1, 1>(self.0, self.0))
    }
    #[inline(always)]
    fn unpack_lo8(self, o: Self) -> Self {
        Native(i8x16_shuffle::<
            0,
            16,
            1,
            17,
            2,
            18,
            3,
            19,
            4,
            20,
            5,
            21,
            6,
            22,
            7,
            23,
        >(self.0, o.0))
    }
    #[inline(always)]
    fn unpack_lo16(self, o: Self) -> Self {
        Native(i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(self.0, o.0))
    }
    #[inline(always)]
    fn unpack_hi16(self, o: Self) -> Self {
        Native(i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(self.0, o.0))
    }
    #[inline(always)]
    fn unpack_lo32(self, o: Self) -> Self {
        Native(i32x4_shuffle::<0, 4, 1, 5>(self.0, o.0))
    }
    #[inline(always)]
    fn unpack_hi32(self, o: Self) -> Self {
        Native(i32x4_shuffle::<2, 6, 3, 7>(self.0, o.0))
    }
    #[inline(always)]
    fn widen_lo(self) -> Self {
        Native(u16x8_extend_low_u8x16(self.0))
    }
    #[inline(always)]
    fn widen_hi(self) -> Self {
        Native(u16x8_extend_high_u8x16(self.0))
    }
    #[inline(always)]
    fn pack(self, o: Self) -> Self {
        Native(u8x16_narrow_i16x8(self.0, o.0))
    }
    #[inline(always)]
    fn any(self) -> bool {
        v128_any_true(self.0)
    }
}
