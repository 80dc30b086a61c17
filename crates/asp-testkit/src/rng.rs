//! The test generator, [`Rng`]: SplitMix64 (Steele, Lea and Flood, "Fast
//! splittable pseudorandom number generators", 2014): 64 bits of state,
//! every seed fine (0 included), good enough statistics for test data, and
//! the same sequence on every target, so a failing case can be replayed.
//! [`XorShift64`] only keeps the pictures of tests measured on it.

/// A reproducible generator; `Rng::new(seed)` always gives the same
/// sequence.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// The generator seeded with `seed`.
    pub const fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Marsaglia's xorshift64 (13, 7, 17), only for the tests whose
/// expectations were measured on its pictures (the motion searches'
/// hit rates in asp-encoder's `tests/motion.rs`): a local search's success
/// depends on the content, so those tests keep the content. New tests use
/// [`Rng`].
#[derive(Clone, Debug)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// The generator seeded with `seed` (not 0: xorshift stays at 0).
    pub const fn new(seed: u64) -> XorShift64 {
        XorShift64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The draws both generators offer, from their `next_u64`.
macro_rules! draws {
    ($generator:ty) => {
        impl $generator {
            /// A value in `0..n` (`n > 0`; the modulo bias is immaterial for tests).
            pub fn below(&mut self, n: u64) -> u64 {
                self.next_u64() % n
            }

            /// An index in `0..n` (`n > 0`).
            pub fn index(&mut self, n: usize) -> usize {
                self.below(n as u64) as usize
            }

            /// A value in `lo..=hi` (`lo <= hi`), of `lo`'s integer type.
            pub fn range<T>(&mut self, lo: T, hi: T) -> T
            where
                T: Into<i64> + TryFrom<i64>,
                <T as TryFrom<i64>>::Error: core::fmt::Debug,
            {
                let (lo, hi) = (lo.into(), hi.into());
                let value = lo + self.below((hi - lo + 1) as u64) as i64;
                T::try_from(value).expect("between lo and hi, so of their type")
            }

            /// True `percent` times in a hundred.
            pub fn coin(&mut self, percent: u64) -> bool {
                self.below(100) < percent
            }

            /// A random byte (the top eight bits).
            pub fn byte(&mut self) -> u8 {
                (self.next_u64() >> 56) as u8
            }
        }
    };
}

draws!(Rng);
draws!(XorShift64);

#[cfg(test)]
mod tests {
    use super::{Rng, XorShift64};

    #[test]
    fn the_sequence_is_splitmix64() {
        // The first outputs for seed 1234567 of the reference C code
        // (splitmix64.c, prng.di.unimi.it).
        let mut rng = Rng::new(1234567);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6457827717110365317,
                3203168211198807973,
                9817491932198370423
            ]
        );
    }

    #[test]
    fn the_xorshift_sequence_is_marsaglia_s() {
        let mut rng = XorShift64::new(1);
        let first: Vec<u64> = (0..2).map(|_| rng.next_u64()).collect();
        assert_eq!(first, [1082269761, 1152992998833853505]);
    }

    #[test]
    fn ranges_stay_in_bounds_and_reach_both_ends() {
        let mut rng = Rng::new(0);
        let draws: Vec<i64> = (0..1000).map(|_| rng.range(-3, 3)).collect();
        assert!(draws.iter().all(|d| (-3..=3).contains(d)));
        assert!(draws.contains(&-3) && draws.contains(&3));
        let heads = (0..1000).filter(|_| rng.coin(30)).count();
        assert!((200..400).contains(&heads), "{heads}");
    }
}
