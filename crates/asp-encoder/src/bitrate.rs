//! Bitrates as people write them: `1500k`, `2M`, `800000`.
//!
//! One parser for every front end (asp-encode's `--bitrate`, Python's
//! `bitrate=`), so they accept the same forms and the same range.

use std::fmt;
use std::str::FromStr;

/// A target bitrate in bits per second, within [`Bitrate::MIN`]..=[`Bitrate::MAX`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bitrate(u64);

/// Why a bitrate was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BitrateError {
    /// Not a number with an optional `k` / `M` suffix (the text given).
    Syntax(String),
    /// A number outside 1k..=10G bits per second (the text given).
    OutOfRange(String),
}

impl fmt::Display for BitrateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BitrateError::Syntax(s) => write!(f, "'{s}' is not a bitrate like 1500k or 2M"),
            BitrateError::OutOfRange(s) => write!(f, "bitrate {s} is out of range (1k..10G)"),
        }
    }
}

impl std::error::Error for BitrateError {}

impl Bitrate {
    /// The lowest bitrate accepted: 1 kbit/s.
    pub const MIN: u64 = 1_000;
    /// The highest bitrate accepted: 10 Gbit/s.
    pub const MAX: u64 = 10_000_000_000;

    /// `bits_per_second` if it is in range (fractions are truncated).
    pub fn from_bits(bits_per_second: f64) -> Result<Bitrate, BitrateError> {
        if !(Bitrate::MIN as f64..=Bitrate::MAX as f64).contains(&bits_per_second) {
            return Err(BitrateError::OutOfRange(bits_per_second.to_string()));
        }
        Ok(Bitrate(bits_per_second as u64))
    }

    /// Bits per second.
    pub fn bits_per_second(self) -> u64 {
        self.0
    }
}

impl FromStr for Bitrate {
    type Err = BitrateError;

    /// Bits per second, or kilobits (`k` suffix) or megabits (`m`/`M`);
    /// surrounding whitespace is ignored.
    fn from_str(s: &str) -> Result<Bitrate, BitrateError> {
        let lower = s.trim().to_ascii_lowercase();
        let (digits, scale) = match lower.strip_suffix('k') {
            Some(d) => (d, 1_000.0),
            None => match lower.strip_suffix('m') {
                Some(d) => (d, 1_000_000.0),
                None => (lower.as_str(), 1.0),
            },
        };
        let value: f64 = digits.parse().map_err(|_| BitrateError::Syntax(s.to_string()))?;
        Bitrate::from_bits(value * scale).map_err(|_| BitrateError::OutOfRange(s.to_string()))
    }
}

impl fmt::Display for Bitrate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_forms_people_write() {
        let bits = |s: &str| s.parse::<Bitrate>().map(Bitrate::bits_per_second);
        assert_eq!(bits("1500k"), Ok(1_500_000));
        assert_eq!(bits("2M"), Ok(2_000_000));
        assert_eq!(bits("2m"), Ok(2_000_000));
        assert_eq!(bits("1.5M"), Ok(1_500_000));
        assert_eq!(bits(" 800000 "), Ok(800_000));
        assert_eq!(bits("1k"), Ok(1_000));
        assert_eq!(bits("10000M"), Ok(10_000_000_000));
    }

    #[test]
    fn refuses_other_text_and_rates_out_of_range() {
        assert_eq!("fast".parse::<Bitrate>(), Err(BitrateError::Syntax("fast".into())));
        assert_eq!("k".parse::<Bitrate>(), Err(BitrateError::Syntax("k".into())));
        assert_eq!("2G".parse::<Bitrate>(), Err(BitrateError::Syntax("2G".into())));
        assert_eq!("999".parse::<Bitrate>(), Err(BitrateError::OutOfRange("999".into())));
        assert_eq!("10001M".parse::<Bitrate>(), Err(BitrateError::OutOfRange("10001M".into())));
        assert_eq!("-5k".parse::<Bitrate>(), Err(BitrateError::OutOfRange("-5k".into())));
        assert!(matches!("NaN".parse::<Bitrate>(), Err(BitrateError::OutOfRange(_))));
        assert_eq!(Bitrate::from_bits(10.0), Err(BitrateError::OutOfRange("10".into())));
        assert_eq!(Bitrate::from_bits(1e3).map(Bitrate::bits_per_second), Ok(1_000));
    }

    #[test]
    fn messages_name_the_text_and_the_accepted_forms() {
        assert_eq!("x".parse::<Bitrate>().unwrap_err().to_string(), "'x' is not a bitrate like 1500k or 2M");
        assert_eq!("5".parse::<Bitrate>().unwrap_err().to_string(), "bitrate 5 is out of range (1k..10G)");
    }
}
