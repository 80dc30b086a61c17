//! Quantisation of transform coefficients, H.264-style, and the zigzag scans.
//!
//! # QP
//!
//! [`Qp`] runs from 0 to 51 as x264 users expect: the quantiser step is
//! 0.625 at QP 0 and doubles every 6 QP ([`quant_step_q4`]).
//!
//! # Dequantisation (decoder and encoder reconstruction)
//!
//! Exactly H.264's (§8.5.12.1, §8.5.13.1) with a weight matrix, `w = 16`
//! everywhere being "flat" (no scaling matrix). With
//! `LevelScale(m, i, j) = w(i, j) * normAdjust(m, i, j)`, `m = qp % 6`:
//!
//! * 4x4: `d = (c * LevelScale) << (qp/6 - 4)` if `qp >= 24`, else
//!   `(c * LevelScale + 2^(3 - qp/6)) >> (4 - qp/6)`;
//! * 8x8: `d = (c * LevelScale) << (qp/6 - 6)` if `qp >= 36`, else
//!   `(c * LevelScale + 2^(5 - qp/6)) >> (6 - qp/6)`.
//!
//! Ranges, so nothing overflows whatever the bitstream says: levels are first
//! clamped to `±`[`LEVEL_MAX`] (`2^15 - 1`, far above any level a real encoder
//! produces); the product is formed in `i64` (`|c * LevelScale| <= 2^15 *
//! 255 * 58 < 2^29`, shifted by at most 4) and the result clamped to
//! `±`[`COEFF_MAX`] (`2^24 - 1`), the range the inverse transforms compute
//! exactly (see [`transform`](super::transform)). With flat weights nothing
//! real is clamped: the largest coefficient a residual of ±255 needs is about
//! `2^14`; the clamp only bites on levels near `LEVEL_MAX` at high QP.
//!
//! # Forward quantisation (encoder)
//!
//! `level = sign(W) * ((|W| * MF + offset) >> qbits)`, clamped to
//! `LEVEL_MAX`, with `qbits = 15 + qp/6` (4x4) or `16 + qp/6` (8x8). The
//! multipliers `MF(m, i, j)` are derived here from the dequantisation scales
//! and the norms of the transform bases, so that dequantising undoes
//! quantising; for flat weights they are the classic tables (13107, 5243,
//! 8066, ... and 13107, 11428, 20972, ...). `offset` is a
//! [`RoundingOffset`]: the fraction of a step at which a value rounds up.
//! Below one half it widens the dead zone around zero, which saves bits
//! where they buy the least (1/3 for intra, 1/6 for inter, as in the JM
//! reference encoder).
//!
//! # Weight matrices
//!
//! [`Quantiser`] holds the tables for one pair of weight matrices.
//! [`Quantiser::FLAT`] is the one the codec uses today; a scaling matrix is a
//! [`Quantiser::with_weights`] away, with no other change.

use super::transform::{try_twins, COEFF_MAX};
use crate::cpu::CpuFeatures;

/// Largest QP.
pub const QP_MAX: u8 = 51;

/// A quantisation parameter, `0..=51`: the step doubles every 6.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Qp(u8);

impl Qp {
    pub const MIN: Qp = Qp(0);
    pub const MAX: Qp = Qp(QP_MAX);
    /// How many QPs there are: the length of a table indexed by QP.
    pub const COUNT: usize = QP_MAX as usize + 1;

    /// `None` above 51.
    pub const fn new(qp: u8) -> Option<Qp> {
        if qp <= QP_MAX {
            Some(Qp(qp))
        } else {
            None
        }
    }

    /// The nearest valid QP: `qp` clamped to `0..=51`.
    pub const fn saturating(qp: i32) -> Qp {
        Qp(if qp < 0 {
            0
        } else if qp > QP_MAX as i32 {
            QP_MAX
        } else {
            qp as u8
        })
    }

    pub const fn get(self) -> u8 {
        self.0
    }

    /// `qp % 6`: where in its octave the step is.
    const fn phase(self) -> usize {
        (self.0 % 6) as usize
    }

    /// `qp / 6`: how many times the step has doubled (0..=8).
    const fn octave(self) -> u32 {
        (self.0 / 6) as u32
    }
}

/// Why a number is not a [`Qp`]: what front ends (command lines, Python,
/// JavaScript) report for a QP they were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QpError {
    /// Not an integer.
    NotANumber,
    /// An integer outside `0..=51`.
    OutOfRange(i64),
}

impl core::fmt::Display for QpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            QpError::NotANumber => write!(f, "QP must be an integer in 0..={QP_MAX}"),
            QpError::OutOfRange(qp) => write!(f, "QP {qp} is outside 0..={QP_MAX}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for QpError {}

impl TryFrom<i64> for Qp {
    type Error = QpError;

    fn try_from(qp: i64) -> Result<Qp, QpError> {
        u8::try_from(qp).ok().and_then(Qp::new).ok_or(QpError::OutOfRange(qp))
    }
}

impl core::str::FromStr for Qp {
    type Err = QpError;

    fn from_str(s: &str) -> Result<Qp, QpError> {
        Qp::try_from(s.trim().parse::<i64>().map_err(|_| QpError::NotANumber)?)
    }
}

impl core::fmt::Display for Qp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The quantiser step at `qp`, in sixteenths: 10 (0.625) at QP 0, then
/// 11, 13, 14, 16, 18, doubling every 6 QP, up to 3584 (224) at QP 51.
pub const fn quant_step_q4(qp: Qp) -> u32 {
    (NORM_ADJUST_4X4[qp.phase()][0] as u32) << qp.octave()
}

/// Largest level magnitude dequantisation accepts; larger levels are clamped.
pub const LEVEL_MAX: i32 = (1 << 15) - 1;

/// H.264 Table 8-15's `normAdjust4x4(m, class)`: the dequantisation scale per
/// `qp % 6` for the three 4x4 position classes of [`class_4x4`].
const NORM_ADJUST_4X4: [[i32; 3]; 6] =
    [[10, 16, 13], [11, 18, 14], [13, 20, 16], [14, 23, 18], [16, 25, 20], [18, 29, 23]];

/// H.264's `normAdjust8x8(m, class)` for the six 8x8 position classes of
/// [`class_8x8`].
const NORM_ADJUST_8X8: [[i32; 6]; 6] = [
    [20, 18, 32, 19, 25, 24],
    [22, 19, 35, 21, 28, 26],
    [26, 23, 42, 24, 33, 31],
    [28, 25, 45, 26, 35, 33],
    [32, 28, 51, 30, 40, 38],
    [36, 32, 58, 34, 46, 43],
];

/// Position class of 4x4 raster index `position`: 0 for (even, even), 1 for
/// (odd, odd), 2 for mixed. The class says how large the basis function is,
/// which sets its step.
const fn class_4x4(position: usize) -> usize {
    let (row_odd, column_odd) = ((position / 4) % 2 == 1, position % 2 == 1);
    match (row_odd, column_odd) {
        (false, false) => 0,
        (true, true) => 1,
        _ => 2,
    }
}

/// Position class of 8x8 raster index `position`, per H.264: 0 for both
/// indices `≡ 0 (mod 4)`, 1 for both odd, 2 for both `≡ 2 (mod 4)`, 3 for one
/// `≡ 0 (mod 4)` and one odd, 4 for one `≡ 0` and one `≡ 2 (mod 4)`, 5 for
/// one `≡ 2 (mod 4)` and one odd.
const fn class_8x8(position: usize) -> usize {
    // Index kinds: 0 for ≡ 0 (mod 4), 1 for odd, 2 for ≡ 2 (mod 4).
    const fn kind(index: usize) -> usize {
        if index % 2 == 1 {
            1
        } else if index % 4 == 0 {
            0
        } else {
            2
        }
    }
    match (kind(position / 8), kind(position % 8)) {
        (0, 0) => 0,
        (1, 1) => 1,
        (2, 2) => 2,
        (0, 1) | (1, 0) => 3,
        (0, 2) | (2, 0) => 4,
        _ => 5,
    }
}

/// `T T^T` of the 4x4 core transform row `k` after the inverse transform's
/// halving of odd rows, as a divisor: 4 for even rows, 5 for odd ones
/// (`C C^T = diag(4, 10, 4, 10)`, and the inverse uses `C^T diag(1, 1/2, 1,
/// 1/2)`).
const fn basis_divisor_4(k: usize) -> u64 {
    if k % 2 == 0 {
        4
    } else {
        5
    }
}

/// Squared norm of row `k` of the 8x8 basis `T`: 512 (rows 0, 4), 578 (odd
/// rows), 320 (rows 2, 6).
const fn basis_norm_8(k: usize) -> u64 {
    if k % 2 == 1 {
        578
    } else if k % 4 == 0 {
        512
    } else {
        320
    }
}

/// `round(numerator / denominator)`, in `const` context.
const fn divide_rounded(numerator: u64, denominator: u64) -> u64 {
    (numerator + denominator / 2) / denominator
}

/// The fraction of a quantiser step at which a magnitude rounds up to the
/// next level, in units of `1/32768`, at most one half.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundingOffset(u16);

impl RoundingOffset {
    /// Round to nearest: no dead zone beyond the plain rounding.
    pub const NEAREST: RoundingOffset = RoundingOffset(1 << 14);
    /// 1/3 of a step, for intra blocks.
    pub const INTRA: RoundingOffset = RoundingOffset(10923);
    /// 1/6 of a step, for inter blocks.
    pub const INTER: RoundingOffset = RoundingOffset(5461);

    /// `q15 / 32768` of a step, clamped to at most one half.
    pub const fn from_q15(q15: u16) -> RoundingOffset {
        RoundingOffset(if q15 > 1 << 14 { 1 << 14 } else { q15 })
    }

    pub const fn q15(self) -> u16 {
        self.0
    }
}

/// A 4x4 weight matrix, raster order; 16 everywhere is flat.
pub const FLAT_WEIGHTS_4X4: [u8; 16] = [16; 16];
/// An 8x8 weight matrix, raster order; 16 everywhere is flat.
pub const FLAT_WEIGHTS_8X8: [u8; 64] = [16; 64];

/// Quantisation and dequantisation tables for one pair of weight matrices,
/// per `qp % 6` and coefficient position (raster order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantiser {
    /// `LevelScale4x4(m, position) = w * normAdjust4x4`.
    level_scale_4x4: [[i32; 16]; 6],
    /// Forward multipliers `MF` for 4x4, with `qbits = 15 + qp/6`.
    multiplier_4x4: [[u32; 16]; 6],
    /// `LevelScale8x8(m, position) = w * normAdjust8x8`.
    level_scale_8x8: [[i32; 64]; 6],
    /// Forward multipliers `MF` for 8x8, with `qbits = 16 + qp/6`.
    multiplier_8x8: [[u32; 64]; 6],
}

impl Quantiser {
    /// The tables without scaling matrices (every weight 16).
    pub const FLAT: Quantiser = match Quantiser::with_weights(&FLAT_WEIGHTS_4X4, &FLAT_WEIGHTS_8X8) {
        Some(quantiser) => quantiser,
        None => panic!("flat weights are non-zero"),
    };

    /// Tables for the given weight matrices (raster order, 16 = neutral).
    /// `None` if a weight is zero.
    ///
    /// The forward multipliers make dequantisation undo quantisation: the
    /// inverse transform reconstructs `d(i, j) / (64 a_i a_j)` from 4x4
    /// coefficients `W = C X C^T` (`a = 4, 5, 4, 5`), so
    /// `MF * LevelScale * 2^(qp/6) / 16 / 2^qbits` must equal
    /// `64 / (a_i a_j)`, i.e. `MF = 2^25 / (a_i a_j LevelScale)`. For 8x8,
    /// `W = T X T^T / 64` and the inverse reconstructs
    /// `2^18 d / (n_i n_j)` (`n` the squared norms of `T`'s rows), giving
    /// `MF = 2^40 / (n_i n_j LevelScale8x8)`.
    pub const fn with_weights(weights_4x4: &[u8; 16], weights_8x8: &[u8; 64]) -> Option<Quantiser> {
        let mut tables = Quantiser {
            level_scale_4x4: [[0; 16]; 6],
            multiplier_4x4: [[0; 16]; 6],
            level_scale_8x8: [[0; 64]; 6],
            multiplier_8x8: [[0; 64]; 6],
        };
        let mut phase = 0;
        while phase < 6 {
            let mut position = 0;
            while position < 16 {
                let weight = weights_4x4[position] as i32;
                if weight == 0 {
                    return None;
                }
                let level_scale = weight * NORM_ADJUST_4X4[phase][class_4x4(position)];
                let divisor = basis_divisor_4(position / 4) * basis_divisor_4(position % 4) * level_scale as u64;
                tables.level_scale_4x4[phase][position] = level_scale;
                tables.multiplier_4x4[phase][position] = divide_rounded(1 << 25, divisor) as u32;
                position += 1;
            }
            let mut position = 0;
            while position < 64 {
                let weight = weights_8x8[position] as i32;
                if weight == 0 {
                    return None;
                }
                let level_scale = weight * NORM_ADJUST_8X8[phase][class_8x8(position)];
                let divisor = basis_norm_8(position / 8) * basis_norm_8(position % 8) * level_scale as u64;
                tables.level_scale_8x8[phase][position] = level_scale;
                tables.multiplier_8x8[phase][position] = divide_rounded(1 << 40, divisor) as u32;
                position += 1;
            }
            phase += 1;
        }
        Some(tables)
    }

    /// The 4x4 forward multipliers and shift at `qp`: `|coeff| * MF[i] >>
    /// qbits` is coefficient `i`'s magnitude in quantiser steps (before
    /// rounding), for encoders that choose levels themselves.
    pub fn forward_4x4(&self, qp: Qp) -> (&[u32; 16], u32) {
        (&self.multiplier_4x4[qp.phase()], 15 + qp.octave())
    }

    /// The 8x8 twin of [`forward_4x4`](Self::forward_4x4).
    pub fn forward_8x8(&self, qp: Qp) -> (&[u32; 64], u32) {
        (&self.multiplier_8x8[qp.phase()], 16 + qp.octave())
    }

    /// Quantises a 4x4 block of [`forward_4x4`](super::transform::forward_4x4)
    /// coefficients to levels in `±LEVEL_MAX`.
    pub fn quantise_4x4(&self, coeffs: &[i32; 16], qp: Qp, rounding: RoundingOffset) -> [i32; 16] {
        self.quantise_4x4_with(CpuFeatures::detect(), coeffs, qp, rounding)
    }

    /// [`quantise_4x4`](Self::quantise_4x4) by the twin `cpu` allows.
    pub fn quantise_4x4_with(&self, cpu: CpuFeatures, coeffs: &[i32; 16], qp: Qp, rounding: RoundingOffset) -> [i32; 16] {
        let multipliers = &self.multiplier_4x4[qp.phase()];
        try_twins!(cpu,
            avx2(avx2) => quantise_block_avx2(avx2, coeffs, multipliers, 15 + qp.octave(), rounding),
            neon => neon::quantise_block_neon(coeffs, multipliers, 15 + qp.octave(), rounding),
        );
        quantise_block(coeffs, multipliers, 15 + qp.octave(), rounding)
    }

    /// Quantises an 8x8 block of [`forward_8x8`](super::transform::forward_8x8)
    /// coefficients to levels in `±LEVEL_MAX`.
    pub fn quantise_8x8(&self, coeffs: &[i32; 64], qp: Qp, rounding: RoundingOffset) -> [i32; 64] {
        self.quantise_8x8_with(CpuFeatures::detect(), coeffs, qp, rounding)
    }

    /// [`quantise_8x8`](Self::quantise_8x8) by the twin `cpu` allows.
    pub fn quantise_8x8_with(&self, cpu: CpuFeatures, coeffs: &[i32; 64], qp: Qp, rounding: RoundingOffset) -> [i32; 64] {
        let multipliers = &self.multiplier_8x8[qp.phase()];
        try_twins!(cpu,
            avx2(avx2) => quantise_block_avx2(avx2, coeffs, multipliers, 16 + qp.octave(), rounding),
            neon => neon::quantise_block_neon(coeffs, multipliers, 16 + qp.octave(), rounding),
        );
        quantise_block(coeffs, multipliers, 16 + qp.octave(), rounding)
    }

    /// The largest level magnitude [`quantise_8x8`](Self::quantise_8x8)
    /// would give these coefficients, without forming the levels: most
    /// blocks an encoder tries quantise to nothing, and those need no
    /// levels, no scan and no decimation.
    pub fn largest_level_8x8_with(&self, cpu: CpuFeatures, coeffs: &[i32; 64], qp: Qp, rounding: RoundingOffset) -> LargestLevel {
        let multipliers = &self.multiplier_8x8[qp.phase()];
        try_twins!(cpu,
            avx2(avx2) => largest_level_avx2(avx2, coeffs, multipliers, 16 + qp.octave(), rounding),
        );
        largest_level(coeffs, multipliers, 16 + qp.octave(), rounding)
    }

    /// Dequantises a 4x4 block of levels for
    /// [`inverse_add_4x4`](super::transform::inverse_add_4x4): outputs are
    /// in `±COEFF_MAX` whatever the levels.
    pub fn dequantise_4x4(&self, levels: &[i32; 16], qp: Qp) -> [i32; 16] {
        let scales = &self.level_scale_4x4[qp.phase()];
        // LevelScale carries the weight's factor 16 = 2^4.
        dequantise_block(levels, scales, qp.octave() as i32 - 4)
    }

    /// Dequantises an 8x8 block of levels for
    /// [`inverse_add_8x8`](super::transform::inverse_add_8x8): outputs are
    /// in `±COEFF_MAX` whatever the levels.
    pub fn dequantise_8x8(&self, levels: &[i32; 64], qp: Qp) -> [i32; 64] {
        let scales = &self.level_scale_8x8[qp.phase()];
        // LevelScale8x8 carries the weight's 16 and the 8x8 scale's 4: 2^6.
        dequantise_block(levels, scales, qp.octave() as i32 - 6)
    }

    /// Dequantises one level of a 4x4 block at raster `position` (taken
    /// modulo 16), exactly as [`Quantiser::dequantise_4x4`] would: for
    /// decoders that visit only the non-zero levels.
    pub fn dequantise_level_4x4(&self, level: i32, position: usize, qp: Qp) -> i32 {
        dequantise_one(level, self.level_scale_4x4(qp, position), qp.octave() as i32 - 4)
    }

    /// Dequantises one level of an 8x8 block at raster `position` (taken
    /// modulo 64), exactly as [`Quantiser::dequantise_8x8`] would.
    pub fn dequantise_level_8x8(&self, level: i32, position: usize, qp: Qp) -> i32 {
        dequantise_one(level, self.level_scale_8x8(qp, position), qp.octave() as i32 - 6)
    }

    /// `LevelScale4x4(qp % 6, position)`; `position` is taken modulo 16.
    pub fn level_scale_4x4(&self, qp: Qp, position: usize) -> i32 {
        self.level_scale_4x4[qp.phase()][position % 16]
    }

    /// `LevelScale8x8(qp % 6, position)`; `position` is taken modulo 64.
    pub fn level_scale_8x8(&self, qp: Qp, position: usize) -> i32 {
        self.level_scale_8x8[qp.phase()][position % 64]
    }

    /// Forward multiplier `MF` for 4x4 (`qbits = 15 + qp/6`); `position` is
    /// taken modulo 16.
    pub fn multiplier_4x4(&self, qp: Qp, position: usize) -> u32 {
        self.multiplier_4x4[qp.phase()][position % 16]
    }

    /// Forward multiplier `MF` for 8x8 (`qbits = 16 + qp/6`); `position` is
    /// taken modulo 64.
    pub fn multiplier_8x8(&self, qp: Qp, position: usize) -> u32 {
        self.multiplier_8x8[qp.phase()][position % 64]
    }
}

/// [`quantise`] over a block. When the largest coefficient times the
/// largest multiplier plus the offset fits 32 bits — every block of
/// ordinary residual — the same arithmetic runs in `u32`, which vectorises
/// (64-bit multiplies do not); the result is identical.
#[inline(always)]
fn quantise_block<const AREA: usize>(
    coeffs: &[i32; AREA],
    multipliers: &[u32; AREA],
    qbits: u32,
    rounding: RoundingOffset,
) -> [i32; AREA] {
    let max_coeff = coeffs.iter().fold(0u32, |m, c| m.max(c.unsigned_abs()));
    let max_multiplier = multipliers.iter().fold(0u32, |m, &v| m.max(v));
    let offset = u64::from(rounding.q15()) << (qbits - 15);
    let mut levels = [0i32; AREA];
    // Plain loops, not closures: the AVX2 twin inlines this body, and a
    // closure would not inherit its target features.
    if u64::from(max_coeff) * u64::from(max_multiplier) + offset < 1 << 32 {
        let offset = offset as u32;
        for i in 0..AREA {
            let magnitude = ((coeffs[i].unsigned_abs() * multipliers[i] + offset) >> qbits).min(LEVEL_MAX as u32) as i32;
            levels[i] = if coeffs[i] < 0 { -magnitude } else { magnitude };
        }
        return levels;
    }
    for i in 0..AREA {
        levels[i] = quantise(coeffs[i], multipliers[i], qbits, rounding);
    }
    levels
}

/// AVX2 twin of [`quantise_block`]: the same code compiled for AVX2, whose
/// 8-lane 32-bit multiply SSE2 lacks (there the `u32` path runs as pairs
/// of 64-bit multiplies).
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
fn quantise_block_avx2<const AREA: usize>(
    _proof: super::transform::x86::Avx2,
    coeffs: &[i32; AREA],
    multipliers: &[u32; AREA],
    qbits: u32,
    rounding: RoundingOffset,
) -> [i32; AREA] {
    #[target_feature(enable = "avx2")]
    unsafe fn kernel<const AREA: usize>(coeffs: &[i32; AREA], multipliers: &[u32; AREA], qbits: u32, rounding: RoundingOffset) -> [i32; AREA] {
        quantise_block(coeffs, multipliers, qbits, rounding)
    }
    // SAFETY: `_proof` exists only when the CPU has AVX2.
    unsafe { kernel(coeffs, multipliers, qbits, rounding) }
}

/// The largest level magnitude of a quantised block, in the three classes
/// an encoder's choices turn on: nothing to code, only ±1 levels (which
/// decimation may drop), or a level beyond ±1 (which always stays).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LargestLevel {
    Zero,
    One,
    Beyond,
}

impl LargestLevel {
    /// The class of a block whose level magnitudes OR to `magnitudes`: a
    /// magnitude of 2 or more sets a bit above the lowest, which ±1 levels
    /// never do.
    #[inline(always)]
    fn of_or(magnitudes: u32) -> LargestLevel {
        match magnitudes {
            0 => LargestLevel::Zero,
            1 => LargestLevel::One,
            _ => LargestLevel::Beyond,
        }
    }
}

/// The [`LargestLevel`] of [`quantise_block`]'s levels, by the same
/// arithmetic without storing them: one pass forms every magnitude in
/// wrapping `u32` and the largest coefficient and multiplier beside them,
/// and where the 32-bit products could have wrapped (the condition
/// [`quantise_block`] checks first) a second pass redoes them in `i64`.
/// The clamp to `LEVEL_MAX` changes no class.
#[inline(always)]
fn largest_level<const AREA: usize>(
    coeffs: &[i32; AREA],
    multipliers: &[u32; AREA],
    qbits: u32,
    rounding: RoundingOffset,
) -> LargestLevel {
    let offset = u64::from(rounding.q15()) << (qbits - 15);
    let offset_u32 = offset as u32;
    let (mut magnitudes, mut max_coeff, mut max_multiplier) = (0u32, 0u32, 0u32);
    for i in 0..AREA {
        let coeff = coeffs[i].unsigned_abs();
        max_coeff = max_coeff.max(coeff);
        max_multiplier = max_multiplier.max(multipliers[i]);
        magnitudes |= coeff.wrapping_mul(multipliers[i]).wrapping_add(offset_u32) >> qbits;
    }
    if u64::from(max_coeff) * u64::from(max_multiplier) + offset >= 1 << 32 {
        magnitudes = 0;
        for i in 0..AREA {
            magnitudes |= quantise(coeffs[i], multipliers[i], qbits, rounding).unsigned_abs();
        }
    }
    LargestLevel::of_or(magnitudes)
}

/// AVX2 twin of [`largest_level`], as [`quantise_block_avx2`] is of
/// [`quantise_block`].
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))]
fn largest_level_avx2<const AREA: usize>(
    _proof: super::transform::x86::Avx2,
    coeffs: &[i32; AREA],
    multipliers: &[u32; AREA],
    qbits: u32,
    rounding: RoundingOffset,
) -> LargestLevel {
    #[target_feature(enable = "avx2")]
    unsafe fn kernel<const AREA: usize>(coeffs: &[i32; AREA], multipliers: &[u32; AREA], qbits: u32, rounding: RoundingOffset) -> LargestLevel {
        largest_level(coeffs, multipliers, qbits, rounding)
    }
    // SAFETY: `_proof` exists only when the CPU has AVX2.
    unsafe { kernel(coeffs, multipliers, qbits, rounding) }
}

/// `sign(coeff) * min((|coeff| * multiplier + offset) >> qbits, LEVEL_MAX)`.
#[inline(always)]
fn quantise(coeff: i32, multiplier: u32, qbits: u32, rounding: RoundingOffset) -> i32 {
    // |coeff| <= 2^31 and multiplier < 2^18 for any non-zero weight, so the
    // product fits an i64 easily.
    let offset = i64::from(rounding.q15()) << (qbits - 15);
    let magnitude = (i64::from(coeff.unsigned_abs()) * i64::from(multiplier) + offset) >> qbits;
    let level = magnitude.min(LEVEL_MAX as i64) as i32;
    if coeff < 0 {
        -level
    } else {
        level
    }
}

/// `clamp(level * level_scale * 2^shift, ±COEFF_MAX)` for a whole block,
/// levels first clamped to `±LEVEL_MAX`; a negative `shift` is a right shift
/// rounding half up (H.264's formula below QP 24 / 36).
///
/// All in `i32`, with the branch on the shift outside the loop, so that the
/// loop vectorises: `|level| <= 2^15 - 1` and `level_scale <= 255 * 58 <
/// 2^14` keep the product below `2^29`; before a left shift the product is
/// clamped to just past what can reach `COEFF_MAX`, which keeps the shifted
/// value below `2^24 + 2^4` and changes no result (anything past that bound
/// clamps to `±COEFF_MAX` either way).
#[inline(always)]
fn dequantise_block<const AREA: usize>(levels: &[i32; AREA], level_scales: &[i32; AREA], shift: i32) -> [i32; AREA] {
    if shift >= 0 {
        core::array::from_fn(|i| scale_up(level_product(levels[i], level_scales[i]), shift))
    } else {
        core::array::from_fn(|i| scale_down(level_product(levels[i], level_scales[i]), -shift))
    }
}

/// One coefficient of [`dequantise_block`].
#[inline(always)]
fn dequantise_one(level: i32, level_scale: i32, shift: i32) -> i32 {
    let product = level_product(level, level_scale);
    if shift >= 0 {
        scale_up(product, shift)
    } else {
        scale_down(product, -shift)
    }
}

/// `level * level_scale`, the level clamped to `±LEVEL_MAX`: below `2^29`.
#[inline(always)]
fn level_product(level: i32, level_scale: i32) -> i32 {
    level.clamp(-LEVEL_MAX, LEVEL_MAX) * level_scale
}

/// `clamp(product << shift, ±COEFF_MAX)` without overflow (`shift <= 4`).
#[inline(always)]
fn scale_up(product: i32, shift: i32) -> i32 {
    let reach = (COEFF_MAX >> shift) + 1;
    (product.clamp(-reach, reach) << shift).clamp(-COEFF_MAX, COEFF_MAX)
}

/// `clamp((product + 2^(right - 1)) >> right, ±COEFF_MAX)`, `right >= 1`.
#[inline(always)]
fn scale_down(product: i32, right: i32) -> i32 {
    ((product + (1 << (right - 1))) >> right).clamp(-COEFF_MAX, COEFF_MAX)
}

/// Zigzag scan orders: `ZIGZAG_4X4[n]` is the raster position of the `n`-th
/// coefficient in coding order (H.264's frame scans, which are the classic
/// zigzag: along anti-diagonals, alternating direction).
pub const ZIGZAG_4X4: [u8; 16] = zigzag::<16>(4);
/// The 8x8 frame zigzag; see [`ZIGZAG_4X4`].
pub const ZIGZAG_8X8: [u8; 64] = zigzag::<64>(8);

/// Builds the zigzag of a `size` x `size` block (`AREA = size * size`).
const fn zigzag<const AREA: usize>(size: usize) -> [u8; AREA] {
    let mut order = [0u8; AREA];
    let mut n = 0;
    let mut diagonal = 0; // row + column
    while diagonal < 2 * size - 1 {
        // Rows on this anti-diagonal run from `first` to `last`.
        let first = if diagonal < size { 0 } else { diagonal - (size - 1) };
        let last = if diagonal < size { diagonal } else { size - 1 };
        let mut step = 0;
        while step <= last - first {
            // Odd diagonals go down-left (row increasing), even ones
            // up-right, starting from the top-left corner going right.
            let row = if diagonal % 2 == 1 { first + step } else { last - step };
            order[n] = (row * size + (diagonal - row)) as u8;
            n += 1;
            step += 1;
        }
        diagonal += 1;
    }
    order
}

/// Coefficients in raster order to coding (zigzag) order.
pub fn scan_4x4(raster: &[i32; 16]) -> [i32; 16] {
    core::array::from_fn(|n| raster[ZIGZAG_4X4[n] as usize])
}

/// Coefficients in coding (zigzag) order back to raster order.
pub fn unscan_4x4(scanned: &[i32; 16]) -> [i32; 16] {
    let mut raster = [0; 16];
    for (n, &position) in ZIGZAG_4X4.iter().enumerate() {
        raster[position as usize] = scanned[n];
    }
    raster
}

/// Coefficients in raster order to coding (zigzag) order.
pub fn scan_8x8(raster: &[i32; 64]) -> [i32; 64] {
    core::array::from_fn(|n| raster[ZIGZAG_8X8[n] as usize])
}

/// Coefficients in coding (zigzag) order back to raster order.
pub fn unscan_8x8(scanned: &[i32; 64]) -> [i32; 64] {
    let mut raster = [0; 64];
    for (n, &position) in ZIGZAG_8X8.iter().enumerate() {
        raster[position as usize] = scanned[n];
    }
    raster
}

#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod neon;

#[cfg(test)]
mod tests;
