//! Coefficient coding: one transform block's quantised levels, in scan order.
//!
//! The scheme is CABAC's, on our range coder:
//!
//! 1. a significance map: for each scan position up to the last non-zero
//!    level, "is this level non-zero?", and after each non-zero one, "is it
//!    the last?" — each with its own adaptive model per position class, so
//!    the coder learns where energy sits (low frequencies) for this content;
//! 2. the magnitudes in reverse scan order (high frequencies first, where
//!    ones dominate): "greater than one?" with a model chosen by how many
//!    ones and larger levels came before, then a unary tail with its own
//!    models, then Exp-Golomb for the rare large level;
//! 3. signs, bypassed (they are incompressible).
//!
//! Whether a block has any non-zero level at all is coded by the caller
//! (the macroblock's coded-block pattern), so a block coded here has at
//! least one.

use super::bins::{exp_golomb, Bins};
use super::range_coder::BitModel;

/// Largest level magnitude the bitstream carries. The dequantiser and the
/// inverse transform are proven not to overflow for levels in this range.
pub const MAX_LEVEL: u32 = (1 << 15) - 1;

/// Number of position classes for the significance and last models.
const POSITION_CLASSES: usize = 14;
/// Models for "greater than one".
const GT1_CONTEXTS: usize = 5;
/// Models for the unary tail of the magnitude.
const TAIL_CONTEXTS: usize = 5;
/// Unary tail length before Exp-Golomb takes over.
const TAIL_CUTOFF: u32 = 14;

/// Why a block could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResidualError {
    /// A level beyond [`MAX_LEVEL`]: the data is damaged.
    LevelOutOfRange,
}

/// Adaptive models for one class of blocks (e.g. luma 8x8, chroma 8x8).
#[derive(Clone, Debug)]
pub struct ResidualModels {
    significant: [BitModel; POSITION_CLASSES],
    last: [BitModel; POSITION_CLASSES],
    greater_than_one: [BitModel; GT1_CONTEXTS],
    tail: [BitModel; TAIL_CONTEXTS],
}

impl Default for ResidualModels {
    fn default() -> Self {
        ResidualModels {
            significant: [BitModel::new(); POSITION_CLASSES],
            last: [BitModel::new(); POSITION_CLASSES],
            greater_than_one: [BitModel::new(); GT1_CONTEXTS],
            tail: [BitModel::new(); TAIL_CONTEXTS],
        }
    }
}

/// Scan position → model class: one class each for the first eight
/// positions (where statistics differ most), then ever wider groups.
#[inline(always)]
fn position_class(pos: usize) -> usize {
    match pos {
        0..=7 => pos,
        8..=15 => 8 + (pos - 8) / 4,
        16..=31 => 10 + (pos - 16) / 8,
        _ => (12 + (pos - 32) / 16).min(POSITION_CLASSES - 1),
    }
}

/// The "greater than one" model for the next magnitude, given how many
/// ones and larger magnitudes (in reverse scan order) came before.
#[inline(always)]
fn gt1_context(ones: usize, greater: usize) -> usize {
    if greater > 0 {
        0
    } else {
        (1 + ones).min(GT1_CONTEXTS - 1)
    }
}

/// What each decision of [`code_block`] would cost with the models as
/// they are now, in 1/256 bit: the price list an encoder uses to choose
/// levels by rate and distortion. It follows `code_block`'s binarisation,
/// so the two cannot disagree about the syntax; it ignores the models'
/// adaptation within a block.
#[derive(Clone, Debug)]
pub struct ResidualRates {
    significant: [[u32; 2]; POSITION_CLASSES],
    last: [[u32; 2]; POSITION_CLASSES],
    greater_than_one: [[u32; 2]; GT1_CONTEXTS],
    tail: [[u32; 2]; TAIL_CONTEXTS],
}

impl ResidualModels {
    /// The models' current prices.
    pub fn rates(&self) -> ResidualRates {
        let both = |m: &BitModel| [m.cost(false), m.cost(true)];
        ResidualRates {
            significant: self.significant.each_ref().map(both),
            last: self.last.each_ref().map(both),
            greater_than_one: self.greater_than_one.each_ref().map(both),
            tail: self.tail.each_ref().map(both),
        }
    }
}

/// The running state of the magnitude models while a block's levels are
/// priced in reverse scan order, as [`code_block`] codes them.
#[derive(Clone, Copy, Debug, Default)]
pub struct MagnitudeContext {
    ones: usize,
    greater: usize,
}

impl MagnitudeContext {
    /// After coding a level of `magnitude` (non-zero).
    pub fn after(self, magnitude: u32) -> MagnitudeContext {
        if magnitude > 1 {
            MagnitudeContext { greater: self.greater + 1, ..self }
        } else {
            MagnitudeContext { ones: self.ones + 1, ..self }
        }
    }
}

impl ResidualRates {
    /// A zero at scan position `pos` inside the significance map.
    #[inline]
    pub fn zero(&self, pos: usize) -> u32 {
        self.significant[position_class(pos)][0]
    }

    /// A non-zero level at `pos` that is not the block's last: its
    /// significance and "not last" flags.
    #[inline]
    pub fn significant_not_last(&self, pos: usize) -> u32 {
        let class = position_class(pos);
        self.significant[class][1] + self.last[class][0]
    }

    /// A non-zero level at `pos` of a block of `len` levels that is the
    /// block's last (the final position has no flags: it is implied).
    #[inline]
    pub fn significant_last(&self, pos: usize, len: usize) -> u32 {
        if pos + 1 == len {
            return 0;
        }
        let class = position_class(pos);
        self.significant[class][1] + self.last[class][1]
    }

    /// A non-zero magnitude and its sign, after the levels `context` has
    /// seen.
    #[inline]
    pub fn magnitude(&self, magnitude: u32, context: MagnitudeContext) -> u32 {
        let sign = 256;
        let gt1 = &self.greater_than_one[gt1_context(context.ones, context.greater)];
        if magnitude <= 1 {
            return gt1[0] + sign;
        }
        let tail = &self.tail[context.greater.min(TAIL_CONTEXTS - 1)];
        let extra = magnitude - 2;
        let unary = extra.min(TAIL_CUTOFF);
        let mut cost = gt1[1] + sign + unary * tail[1];
        if unary < TAIL_CUTOFF {
            cost += tail[0];
        } else {
            // Exp-Golomb (k = 0) of the rest, bypassed: 2·⌊log2(v + 1)⌋ + 1 bits.
            let rest = extra - TAIL_CUTOFF + 1;
            cost += (2 * (31 - rest.leading_zeros()) + 1) * 256;
        }
        cost
    }
}

/// Codes the levels of one block, given in scan order (`levels.len()` is
/// the block size: 16 or 64). Encoding: `levels` holds the block, which must
/// have a non-zero level, and levels are clamped to ±[`MAX_LEVEL`].
/// Decoding: `levels` is overwritten with the decoded block.
pub fn code_block<B: Bins>(
    bins: &mut B,
    models: &mut ResidualModels,
    levels: &mut [i32],
) -> Result<(), ResidualError> {
    let n = levels.len();
    if n == 0 {
        return Ok(());
    }
    // Encoder view of the block; meaningless (and not computed) when decoding.
    let last_nonzero = if B::DECODES { 0 } else { levels.iter().rposition(|&l| l != 0).unwrap_or(0) };

    // 1. Significance map. The last position needs no flags: if the map
    // reaches it, it must be the last non-zero level.
    let mut significant = [false; 64];
    let mut last = n - 1;
    for pos in 0..n - 1 {
        let class = position_class(pos);
        let is_significant = bins.bin(&mut models.significant[class], levels[pos] != 0);
        significant[pos] = is_significant;
        if is_significant && bins.bin(&mut models.last[class], pos == last_nonzero) {
            last = pos;
            break;
        }
    }
    if last == n - 1 {
        significant[n - 1] = true;
    }

    // 2 and 3. Magnitudes and signs, high frequencies first.
    let mut ones = 0usize;
    let mut greater = 0usize;
    for pos in (0..=last).rev() {
        if !significant[pos] {
            levels[pos] = 0;
            continue;
        }
        let value = levels[pos];
        let magnitude = value.unsigned_abs().clamp(1, MAX_LEVEL);
        let gt1_context = gt1_context(ones, greater);
        let mut decoded = 1u32;
        if bins.bin(&mut models.greater_than_one[gt1_context], magnitude > 1) {
            let tail_context = greater.min(TAIL_CONTEXTS - 1);
            let mut extra = 0u32;
            let wanted = magnitude.saturating_sub(2);
            while extra < TAIL_CUTOFF && bins.bin(&mut models.tail[tail_context], extra < wanted) {
                extra += 1;
            }
            if extra == TAIL_CUTOFF {
                extra = extra.saturating_add(exp_golomb(bins, wanted.saturating_sub(TAIL_CUTOFF), 0));
            }
            decoded = 2u32.saturating_add(extra);
            greater += 1;
        } else {
            ones += 1;
        }
        if decoded > MAX_LEVEL {
            return Err(ResidualError::LevelOutOfRange);
        }
        let negative = bins.bypass(value < 0);
        levels[pos] = if negative { -(decoded as i32) } else { decoded as i32 };
    }
    for level in levels.iter_mut().skip(last + 1) {
        *level = 0;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::range_coder::{RangeDecoder, RangeEncoder};
    use alloc::vec::Vec;

    fn blocks() -> Vec<Vec<i32>> {
        let mut rng = asp_testkit::Rng::new(12345);
        let mut next = move || rng.next_u64();
        let mut out = Vec::new();
        for size in [16usize, 64] {
            for _ in 0..200 {
                let mut block = alloc::vec![0i32; size];
                let count = 1 + (next() % size as u64) as usize;
                for _ in 0..count {
                    let pos = ((next() % size as u64) as usize * (next() % size as u64) as usize) / size;
                    let mag = match next() % 10 {
                        0 => (next() % 5000) as i32,
                        1..=3 => (next() % 4) as i32,
                        _ => 1,
                    };
                    block[pos] = if next() & 1 == 0 { mag } else { -mag };
                }
                if block.iter().all(|&l| l == 0) {
                    block[0] = 1;
                }
                out.push(block);
            }
            // Extremes: only the last position; every position at the cap.
            let mut tail = alloc::vec![0i32; size];
            tail[size - 1] = -1;
            out.push(tail);
            out.push(alloc::vec![MAX_LEVEL as i32; size]);
            out.push(alloc::vec![-(MAX_LEVEL as i32); size]);
        }
        out
    }

    #[test]
    fn blocks_round_trip() {
        let blocks = blocks();
        let mut enc = RangeEncoder::new();
        let mut models = ResidualModels::default();
        for block in &blocks {
            let mut copy = block.clone();
            code_block(&mut enc, &mut models, &mut copy).unwrap();
            assert_eq!(&copy, block, "encoding must not change the levels");
        }
        let bytes = enc.finish();
        let mut dec = RangeDecoder::new(&bytes);
        let mut models = ResidualModels::default();
        for block in &blocks {
            let mut out = alloc::vec![7i32; block.len()];
            code_block(&mut dec, &mut models, &mut out).unwrap();
            assert_eq!(&out, block);
        }
        assert!(!dec.overrun());
    }

    /// Where each model is used once, the price list and the coder's own
    /// count agree exactly (adaptation only matters on reuse).
    #[test]
    fn rates_price_what_code_block_codes() {
        let mut trained = ResidualModels::default();
        let mut enc = RangeEncoder::new();
        for block in blocks().iter().take(50) {
            code_block(&mut enc, &mut trained, &mut block.clone()).unwrap();
        }
        for len in [16usize, 64] {
            for pos in 0..8 {
                for level in [1, -1, 2, -2] {
                    let mut block = alloc::vec![0i32; len];
                    block[pos] = level;
                    let rates = trained.rates();
                    let priced = (0..pos).map(|p| rates.zero(p)).sum::<u32>()
                        + rates.significant_last(pos, len)
                        + rates.magnitude(level.unsigned_abs(), MagnitudeContext::default());
                    let mut counter = crate::codec::bins::CostCounter::default();
                    code_block(&mut counter, &mut trained.clone(), &mut block).unwrap();
                    assert_eq!(priced, counter.cost, "len {len} pos {pos} level {level}");
                }
            }
        }
        // Large magnitudes: the Exp-Golomb escape is bypassed, hence exact
        // on top of the unary prefix priced per bin.
        // (Exp-Golomb of 0 is 1 bit, of 6 is 5.)
        let rates = trained.rates();
        let escape = |extra: u32| rates.magnitude(2 + TAIL_CUTOFF + extra, MagnitudeContext::default());
        assert_eq!(escape(6) - escape(0), 4 * 256);
        // The context follows code_block's: ones, then any larger level.
        let ctx = MagnitudeContext::default().after(1).after(1).after(3);
        assert_eq!((ctx.ones, ctx.greater), (2, 1));
    }

    #[test]
    fn garbage_decodes_to_bounded_levels_or_an_error() {
        let garbage: Vec<u8> = (0..512u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let mut dec = RangeDecoder::new(&garbage);
        let mut models = ResidualModels::default();
        for _ in 0..500 {
            let mut out = [0i32; 64];
            if code_block(&mut dec, &mut models, &mut out).is_ok() {
                assert!(out.iter().all(|l| l.unsigned_abs() <= MAX_LEVEL));
            }
        }
    }
}
