//! Binarisation: how syntax values become binary decisions for the range
//! coder, written once for both directions.
//!
//! Every syntax element is coded by a function generic over [`Bins`]. The
//! encoder's implementation codes the bit it is given and returns it; the
//! decoder's ignores the bit it is given and returns the one it decodes; the
//! cost estimator adds up what the bit would cost. Because the encoder, the
//! decoder and the rate-distortion estimate run the *same* function, they
//! cannot disagree about the syntax.
//!
//! A generic function is written so that each decision is computed from the
//! value being coded (meaningful when encoding) and the loop continues on
//! the bit returned (meaningful in every direction), e.g.
//! `let more = bins.bin(model, n < value)`.

use super::range_coder::{BitModel, RangeDecoder, RangeEncoder};

/// A source or sink of binary decisions. See the module docs.
pub trait Bins {
    /// Whether the bits passed in are ignored (decoding): a syntax
    /// function may then skip work that only computes them.
    const DECODES: bool = false;
    /// Codes `bit` with an adaptive model; returns the bit coded.
    fn bin(&mut self, model: &mut BitModel, bit: bool) -> bool;
    /// Codes `bit` with probability 1/2; returns the bit coded.
    fn bypass(&mut self, bit: bool) -> bool;
}

impl Bins for RangeEncoder {
    #[inline(always)]
    fn bin(&mut self, model: &mut BitModel, bit: bool) -> bool {
        self.encode(model, bit);
        bit
    }
    #[inline(always)]
    fn bypass(&mut self, bit: bool) -> bool {
        self.encode_bypass(bit);
        bit
    }
}

impl Bins for RangeDecoder<'_> {
    const DECODES: bool = true;
    #[inline(always)]
    fn bin(&mut self, model: &mut BitModel, _bit: bool) -> bool {
        self.decode(model)
    }
    #[inline(always)]
    fn bypass(&mut self, _bit: bool) -> bool {
        self.decode_bypass()
    }
}

/// Adds up the cost (in 1/256 bit) of the bits it is given, updating the
/// models as a real encoder would. Run it on a copy of the contexts to price
/// a decision without committing to it.
#[derive(Clone, Copy, Debug, Default)]
pub struct CostCounter {
    pub cost: u32,
}

impl Bins for CostCounter {
    #[inline(always)]
    fn bin(&mut self, model: &mut BitModel, bit: bool) -> bool {
        self.cost += model.cost(bit);
        model.observe(bit);
        bit
    }
    #[inline(always)]
    fn bypass(&mut self, bit: bool) -> bool {
        self.cost += 256;
        bit
    }
}

/// Longest Exp-Golomb prefix accepted; longer means damaged data. Bounds
/// the work a hostile stream can cause and keeps values within `u32`.
pub const MAX_EG_PREFIX: u32 = 20;

/// Exp-Golomb of order `k` with bypass bins, for values below
/// `2^(MAX_EG_PREFIX + k + 1) - 2^k` (over four million for every `k`; the
/// codec's values are far smaller). The prefix stops at [`MAX_EG_PREFIX`]
/// in both directions, so a hostile stream cannot make the decoder loop or
/// overflow; the caller's range checks reject what is out of range.
#[inline]
pub fn exp_golomb<B: Bins>(bins: &mut B, value: u32, k: u32) -> u32 {
    // Prefix: the number of extra bits beyond k, in unary.
    let shifted = u64::from(value) + (1u64 << k);
    let width = 63 - shifted.leading_zeros(); // floor(log2(shifted))
    let extra = width - k;
    let mut prefix = 0;
    while prefix < MAX_EG_PREFIX && bins.bypass(prefix < extra) {
        prefix += 1;
    }
    let bits = prefix + k;
    let mut suffix = 0u64;
    for i in (0..bits).rev() {
        suffix = (suffix << 1) | u64::from(bins.bypass((shifted >> i) & 1 != 0));
    }
    let decoded = (1u64 << bits) + suffix - (1u64 << k);
    decoded.min(u64::from(u32::MAX)) as u32
}

/// Truncated unary with one model per position (the last model is reused
/// beyond the end of `models`), then Exp-Golomb-`k` for what exceeds `cutoff`.
/// The workhorse for small, usually-zero values.
#[inline]
pub fn unary_exp_golomb<B: Bins>(bins: &mut B, models: &mut [BitModel], value: u32, cutoff: u32, k: u32) -> u32 {
    let last = models.len().saturating_sub(1);
    let mut n = 0;
    while n < cutoff {
        let Some(model) = models.get_mut((n as usize).min(last)) else { return n };
        if !bins.bin(model, n < value) {
            return n;
        }
        n += 1;
    }
    cutoff.saturating_add(exp_golomb(bins, value.saturating_sub(cutoff), k))
}

/// A signed value: zero flag and magnitude through [`unary_exp_golomb`],
/// then a bypassed sign.
#[inline]
pub fn signed<B: Bins>(bins: &mut B, models: &mut [BitModel], value: i32, cutoff: u32, k: u32) -> i32 {
    let magnitude = unary_exp_golomb(bins, models, value.unsigned_abs(), cutoff, k);
    if magnitude == 0 {
        return 0;
    }
    let negative = bins.bypass(value < 0);
    let magnitude = magnitude.min(i32::MAX as u32) as i32;
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// A fixed-width value with bypass bins.
#[inline]
pub fn fixed<B: Bins>(bins: &mut B, value: u32, bits: u32) -> u32 {
    let mut out = 0;
    for i in (0..bits.min(32)).rev() {
        out = (out << 1) | u32::from(bins.bypass((value >> i) & 1 != 0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn round_trip(values: &[i32]) {
        let mut enc = RangeEncoder::new();
        let mut models = [BitModel::new(); 4];
        for &v in values {
            signed(&mut enc, &mut models, v, 8, 1);
            exp_golomb(&mut enc, v.unsigned_abs(), 3);
            fixed(&mut enc, v as u32 & 0xFFF, 12);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut models = [BitModel::new(); 4];
        for &v in values {
            assert_eq!(signed(&mut dec, &mut models, 0, 8, 1), v);
            assert_eq!(exp_golomb(&mut dec, 0, 3), v.unsigned_abs());
            assert_eq!(fixed(&mut dec, 0, 12), v as u32 & 0xFFF);
        }
        assert!(!dec.overrun());
    }

    #[test]
    fn values_round_trip() {
        let mut values: Vec<i32> = (-300..300).collect();
        values.extend([(1 << 21) + 7, -(1 << 21), 1 << 20, -(1 << 20), 65535, 0, 0, 0]);
        round_trip(&values);
    }

    #[test]
    fn cost_counter_prices_what_the_encoder_writes() {
        let values: Vec<i32> = (0..2000).map(|i| ((i * 37) % 11) - 5).collect();
        let mut counter = CostCounter::default();
        let mut models = [BitModel::new(); 4];
        let mut enc = RangeEncoder::new();
        let mut enc_models = [BitModel::new(); 4];
        for &v in &values {
            signed(&mut counter, &mut models, v, 8, 0);
            signed(&mut enc, &mut enc_models, v, 8, 0);
        }
        assert_eq!(models, enc_models, "the counter must adapt models like the encoder");
        let estimated = counter.cost as f64 / 256.0 / 8.0;
        let actual = enc.finish().len() as f64;
        assert!((estimated / actual - 1.0).abs() < 0.03, "estimated {estimated:.0} bytes, coded {actual}");
    }

    #[test]
    fn garbage_never_hangs_or_overflows() {
        let garbage = [0xFFu8; 64];
        let mut dec = RangeDecoder::new(&garbage);
        let mut models = [BitModel::new(); 2];
        for _ in 0..1000 {
            let _ = signed(&mut dec, &mut models, 0, 14, 0);
            let _ = exp_golomb(&mut dec, 0, 0);
        }
    }
}
