//! Adaptive binary range coder: the entropy coder of every tile.
//!
//! Each binary decision is coded with a [`BitModel`], an adaptive estimate of
//! the probability that the bit is 1, which learns from the bits it codes.
//! Learning is fast at first (tiles are small and start from flat
//! probabilities) and slows down as the model sees more bits, so a model
//! settles close to the true statistics instead of chasing noise.
//!
//! The coder is LZMA's carry-less-in-the-decoder design: a 32-bit range,
//! normalised a byte at a time, with carries resolved in the encoder through
//! a cached byte and a run of pending 0xFF bytes. Everything is integer
//! arithmetic on fixed widths, so every platform produces and consumes the
//! same bytes.
//!
//! Untrusted input: the decoder never reads past its slice. Past the end it
//! behaves as if zero bytes followed and raises [`RangeDecoder::overrun`]; a
//! tile decoder checks it at the end and reports damaged data. Decoding
//! cannot loop forever: every call consumes one decision.

use alloc::vec::Vec;

/// Probabilities are in units of 1/32768.
const PROB_BITS: u32 = 15;
const PROB_ONE: u32 = 1 << PROB_BITS;
/// Keeps both sub-ranges non-empty and the model able to change its mind.
const PROB_MIN: u16 = 31;
const PROB_MAX: u16 = (PROB_ONE - 31) as u16;
/// The range is renormalised when it drops below this.
const RANGE_TOP: u32 = 1 << 24;

/// An adaptive model of one binary decision (a "context").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitModel {
    /// Probability that the next bit is 1, in 1/32768.
    p1: u16,
    /// Bits seen so far, saturating; sets the adaptation rate.
    seen: u8,
}

impl Default for BitModel {
    fn default() -> Self {
        BitModel::new()
    }
}

impl BitModel {
    /// A model with no opinion (p = 1/2).
    pub const fn new() -> BitModel {
        BitModel { p1: (PROB_ONE / 2) as u16, seen: 0 }
    }

    /// A model starting at `p1` (probability of a 1, in 1/32768).
    pub const fn with_probability(p1: u16) -> BitModel {
        let p1 = if p1 < PROB_MIN {
            PROB_MIN
        } else if p1 > PROB_MAX {
            PROB_MAX
        } else {
            p1
        };
        BitModel { p1, seen: 0 }
    }

    /// The current probability of a 1, in 1/32768.
    pub fn p1(&self) -> u16 {
        self.p1
    }

    /// Adaptation rate as a shift: 1/16 of the error while the model is
    /// young, 1/32 after 16 bits, 1/64 after 64.
    #[inline(always)]
    fn rate(&self) -> u32 {
        4 + u32::from(self.seen >= 16) + u32::from(self.seen >= 64)
    }

    /// Moves the estimate towards `bit`. Coding a bit does this; the
    /// encoder's cost estimator calls it directly.
    #[inline(always)]
    pub fn observe(&mut self, bit: bool) {
        let rate = self.rate();
        let p = i32::from(self.p1);
        let target = if bit { PROB_ONE as i32 } else { 0 };
        let p = p + ((target - p) >> rate);
        self.p1 = (p as u16).clamp(PROB_MIN, PROB_MAX);
        self.seen = self.seen.saturating_add(1);
    }

    /// Estimated cost of coding `bit` with this model now, in 1/256 bit.
    /// For rate-distortion decisions in the encoder.
    #[inline]
    pub fn cost(&self, bit: bool) -> u32 {
        let p = if bit { u32::from(self.p1) } else { PROB_ONE - u32::from(self.p1) };
        COST_TABLE[(p >> (PROB_BITS - 8)) as usize]
    }
}

/// `COST_TABLE[i]` = -log2((i + 0.5) / 256) in 1/256 bit.
static COST_TABLE: [u32; 256] = cost_table();

const fn cost_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        // -log2((2i+1)/512) = 9 - log2(2i+1)
        let log = log2_q8(2 * i as u32 + 1);
        table[i] = (9 << 8) - log;
        i += 1;
    }
    table
}

/// log2(x) in Q8 fixed point for x ≥ 1, by repeated squaring of the
/// normalised mantissa (integer-only, so it runs at compile time).
const fn log2_q8(x: u32) -> u32 {
    let int = 31 - x.leading_zeros();
    // Mantissa in [1, 2) as Q30.
    let mut m: u64 = ((x as u64) << 30) >> int;
    let mut frac = 0u32;
    let mut bit = 0;
    while bit < 8 {
        m = (m * m) >> 30;
        frac <<= 1;
        if m >= (2u64 << 30) {
            m >>= 1;
            frac |= 1;
        }
        bit += 1;
    }
    (int << 8) | frac
}

/// Writes binary decisions into bytes.
#[derive(Clone, Debug)]
pub struct RangeEncoder {
    low: u64,
    range: u32,
    /// The last byte not yet written: a carry may still change it.
    cache: u8,
    /// Bytes owed: `cache` plus this many - 1 bytes of 0xFF.
    pending: u64,
    out: Vec<u8>,
}

impl Default for RangeEncoder {
    fn default() -> Self {
        RangeEncoder::new()
    }
}

impl RangeEncoder {
    pub fn new() -> RangeEncoder {
        RangeEncoder::with_buffer(Vec::new())
    }

    /// An encoder that appends to `out` (cleared first), reusing its capacity.
    pub fn with_buffer(mut out: Vec<u8>) -> RangeEncoder {
        out.clear();
        RangeEncoder { low: 0, range: u32::MAX, cache: 0, pending: 1, out }
    }

    /// Codes `bit` with `model` and updates the model.
    #[inline]
    pub fn encode(&mut self, model: &mut BitModel, bit: bool) {
        let bound = (self.range >> PROB_BITS) * u32::from(model.p1);
        if bit {
            self.range = bound;
        } else {
            self.low += u64::from(bound);
            self.range -= bound;
        }
        model.observe(bit);
        self.normalise();
    }

    /// Codes `bit` with probability 1/2 and no model (signs, suffixes).
    #[inline]
    pub fn encode_bypass(&mut self, bit: bool) {
        self.range >>= 1;
        if bit {
            self.low += u64::from(self.range);
        }
        self.normalise();
    }

    /// Codes the low `count` bits of `value`, most significant first, bypassed.
    #[inline]
    pub fn encode_bypass_bits(&mut self, value: u32, count: u32) {
        for i in (0..count.min(32)).rev() {
            self.encode_bypass((value >> i) & 1 != 0);
        }
    }

    #[inline(always)]
    fn normalise(&mut self) {
        while self.range < RANGE_TOP {
            self.range <<= 8;
            self.shift_low();
        }
    }

    fn shift_low(&mut self) {
        if self.low < 0xFF00_0000 || self.low >= 1 << 32 {
            let carry = (self.low >> 32) as u8;
            let mut byte = self.cache;
            loop {
                self.out.push(byte.wrapping_add(carry));
                byte = 0xFF;
                self.pending -= 1;
                if self.pending == 0 {
                    break;
                }
            }
            self.cache = (self.low >> 24) as u8;
        }
        self.pending += 1;
        self.low = (self.low & 0x00FF_FFFF) << 8;
    }

    /// Bytes the stream would take if finished now (for rate control).
    pub fn bytes_so_far(&self) -> usize {
        self.out.len() + self.pending as usize + 4
    }

    /// Flushes and returns the coded bytes.
    pub fn finish(mut self) -> Vec<u8> {
        for _ in 0..5 {
            self.shift_low();
        }
        // The first byte is always 0 (the initial cache); drop it.
        if !self.out.is_empty() {
            self.out.remove(0);
        }
        self.out
    }
}

/// Reads binary decisions back. See the module docs for untrusted input.
#[derive(Clone, Debug)]
pub struct RangeDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    range: u32,
    code: u32,
    /// Bytes asked for beyond the end of `data`.
    overrun: usize,
}

impl<'a> RangeDecoder<'a> {
    pub fn new(data: &'a [u8]) -> RangeDecoder<'a> {
        let mut decoder = RangeDecoder { data, pos: 0, range: u32::MAX, code: 0, overrun: 0 };
        for _ in 0..4 {
            decoder.code = (decoder.code << 8) | u32::from(decoder.next_byte());
        }
        decoder
    }

    #[inline(always)]
    fn next_byte(&mut self) -> u8 {
        match self.data.get(self.pos) {
            Some(&byte) => {
                self.pos += 1;
                byte
            }
            None => {
                self.overrun += 1;
                0
            }
        }
    }

    /// Decodes one bit with `model` and updates the model.
    #[inline]
    pub fn decode(&mut self, model: &mut BitModel) -> bool {
        let bound = (self.range >> PROB_BITS) * u32::from(model.p1);
        let bit = self.code < bound;
        // Both outcomes computed and one kept by mask, with no branch: the
        // bit is what the coder could not predict, so a branch on it is
        // mispredicted often. (1: range = bound; 0: code and range lose
        // bound.)
        let one = u32::from(bit).wrapping_neg();
        self.code -= bound & !one;
        self.range = (bound & one) | (self.range.wrapping_sub(bound) & !one);
        model.observe(bit);
        self.normalise();
        bit
    }

    /// Decodes one equiprobable bit.
    #[inline]
    pub fn decode_bypass(&mut self) -> bool {
        self.range >>= 1;
        let bit = self.code >= self.range;
        // Branch-free, as in `decode`.
        self.code -= self.range & u32::from(bit).wrapping_neg();
        self.normalise();
        bit
    }

    /// Decodes `count` bypassed bits, most significant first.
    #[inline]
    pub fn decode_bypass_bits(&mut self, count: u32) -> u32 {
        let mut value = 0u32;
        for _ in 0..count.min(32) {
            value = (value << 1) | u32::from(self.decode_bypass());
        }
        value
    }

    #[inline(always)]
    fn normalise(&mut self) {
        while self.range < RANGE_TOP {
            self.range <<= 8;
            self.code = (self.code << 8) | u32::from(self.next_byte());
        }
    }

    /// Whether decoding needed bytes beyond the data. The decoder reads in
    /// lockstep with the encoder's output (4 bytes up front, then one per
    /// renormalisation, matching the encoder's 4-byte flush), so a complete
    /// stream never overruns: an overrun means damaged or truncated data.
    pub fn overrun(&self) -> bool {
        self.overrun > 0
    }

    /// Bytes of the input consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// A deterministic bit source with a given probability of 1 (in 1/1000).
    fn bits(n: usize, p1_per_mille: u32, seed: u64) -> Vec<bool> {
        let mut rng = asp_testkit::Rng::new(seed);
        (0..n).map(|_| rng.below(1000) < u64::from(p1_per_mille)).collect()
    }

    #[test]
    fn round_trip_mixed_models_and_bypass() {
        let input = bits(20_000, 150, 1);
        let raw = bits(20_000, 500, 2);
        let mut enc = RangeEncoder::new();
        let mut models = [BitModel::new(); 3];
        for (i, (&b, &r)) in input.iter().zip(&raw).enumerate() {
            enc.encode(&mut models[i % 3], b);
            if i % 5 == 0 {
                enc.encode_bypass(r);
            }
            if i % 97 == 0 {
                enc.encode_bypass_bits(i as u32, 13);
            }
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut models = [BitModel::new(); 3];
        for (i, (&b, &r)) in input.iter().zip(&raw).enumerate() {
            assert_eq!(dec.decode(&mut models[i % 3]), b, "bit {i}");
            if i % 5 == 0 {
                assert_eq!(dec.decode_bypass(), r);
            }
            if i % 97 == 0 {
                assert_eq!(dec.decode_bypass_bits(13), i as u32 & 0x1FFF);
            }
        }
        assert!(!dec.overrun());
    }

    #[test]
    fn skewed_bits_cost_close_to_their_entropy() {
        // p = 0.05: entropy 0.2864 bits per bit.
        let input = bits(100_000, 50, 7);
        let mut enc = RangeEncoder::new();
        let mut model = BitModel::new();
        for &b in &input {
            enc.encode(&mut model, b);
        }
        let bytes = enc.finish();
        let ones = input.iter().filter(|&&b| b).count() as f64 / input.len() as f64;
        let entropy = -(ones * libm_log2(ones) + (1.0 - ones) * libm_log2(1.0 - ones));
        let ideal = entropy * input.len() as f64 / 8.0;
        let ratio = bytes.len() as f64 / ideal;
        assert!(ratio < 1.03, "coded {} bytes, ideal {ideal:.0} ({ratio:.3}x)", bytes.len());
    }

    #[test]
    fn carries_propagate_through_runs_of_ff() {
        // Long runs of near-certain bits push `low` towards carries.
        let mut input = vec![false; 5000];
        input.extend(vec![true; 5000]);
        input.extend(bits(5000, 999, 3));
        let mut enc = RangeEncoder::new();
        let mut m = BitModel::with_probability(32000);
        for &b in &input {
            enc.encode(&mut m, b);
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut m = BitModel::with_probability(32000);
        for (i, &b) in input.iter().enumerate() {
            assert_eq!(dec.decode(&mut m), b, "bit {i}");
        }
    }

    #[test]
    fn empty_and_garbage_input_never_panic() {
        let mut dec = RangeDecoder::new(&[]);
        let mut m = BitModel::new();
        for _ in 0..1000 {
            dec.decode(&mut m);
            dec.decode_bypass_bits(32);
        }
        assert!(dec.overrun());
        let garbage = bits(800, 500, 9).iter().map(|&b| b as u8 * 255).collect::<Vec<_>>();
        let mut dec = RangeDecoder::new(&garbage);
        for _ in 0..10_000 {
            dec.decode(&mut m);
        }
        assert!(dec.position() <= garbage.len());
    }

    #[test]
    fn cost_table_matches_log2() {
        let half = BitModel::new();
        assert!((half.cost(true) as i32 - 256).abs() <= 2, "{}", half.cost(true));
        let likely = BitModel::with_probability(32768 - 1024); // p1 = 31/32
        assert!(likely.cost(true) < 16); // -log2(31/32) = 0.046 bit
        assert!((likely.cost(false) as i32 - 5 * 256).abs() < 32, "{}", likely.cost(false)); // table step: 1/256 of probability
    }

    fn libm_log2(x: f64) -> f64 {
        // std is available in tests via the test harness.
        extern crate std;
        std::primitive::f64::log2(x)
    }
}
