//! `--rendition RATE` (repeatable): the same source encoded at several
//! bitrates, one encoder each, for a relay to carry as one track each.
//!
//! Every rendition's encoder has the same settings but its bitrate, so the
//! same group-of-pictures plan (first frame, every `--keyint`-th, and every
//! requested keyframe, asked of all of them at once): their keyframes (or
//! intra-refresh starts) fall on the same frames, and the publisher gives
//! the groups they open the same ids. A player switches tracks at any
//! group boundary and its decoder sees one stream with a keyframe there.
//! The encoders run side by side on each frame
//! ([`asp_server::renditions::encode_all`], shared with the live loop).

use std::fmt;

use asp_encoder::Bitrate;

/// Most renditions of one stream: each is a full encoder on the same
/// machine (a real-time encode of several is already more than two cores
/// keep up with at high resolutions).
pub const MAX_RENDITIONS: usize = 8;

/// Why the `--rendition` flags were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenditionError {
    /// Renditions are tracks on a relay: there is nowhere to put them
    /// without `--publish`.
    WithoutPublish,
    /// The same bitrate twice (bits per second): two identical tracks.
    Duplicate(u64),
    /// More than [`MAX_RENDITIONS`] (how many were given).
    TooMany(usize),
}

impl fmt::Display for RenditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenditionError::WithoutPublish => {
                write!(
                    f,
                    "--rendition needs --publish (each rendition is a track on the relay)"
                )
            }
            RenditionError::Duplicate(bits) => write!(f, "--rendition {bits} bit/s is given twice"),
            RenditionError::TooMany(n) => write!(f, "{n} renditions: at most {MAX_RENDITIONS}"),
        }
    }
}

impl std::error::Error for RenditionError {}

/// The renditions' bitrates in bits per second, highest first (the first
/// is the broadcast's `video` track), from the flags in any order. Empty
/// when no `--rendition` was given.
pub fn rendition_rates(flags: &[Bitrate], publish: bool) -> Result<Vec<u64>, RenditionError> {
    if flags.is_empty() {
        return Ok(Vec::new());
    }
    if !publish {
        return Err(RenditionError::WithoutPublish);
    }
    if flags.len() > MAX_RENDITIONS {
        return Err(RenditionError::TooMany(flags.len()));
    }
    let mut rates: Vec<u64> = flags.iter().map(|b| b.bits_per_second()).collect();
    rates.sort_unstable_by(|a, b| b.cmp(a));
    if let Some(pair) = rates.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(RenditionError::Duplicate(pair[0]));
    }
    Ok(rates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(text: &[&str]) -> Vec<Bitrate> {
        text.iter().map(|t| t.parse().unwrap()).collect()
    }

    #[test]
    fn highest_first_and_every_refusal() {
        assert_eq!(
            rendition_rates(&rates(&["600k", "2M", "1200k"]), true),
            Ok(vec![2_000_000, 1_200_000, 600_000])
        );
        assert_eq!(rendition_rates(&[], false), Ok(vec![]));
        assert_eq!(
            rendition_rates(&rates(&["600k"]), false),
            Err(RenditionError::WithoutPublish)
        );
        assert_eq!(
            rendition_rates(&rates(&["1M", "600k", "1000k"]), true),
            Err(RenditionError::Duplicate(1_000_000))
        );
        let nine = rates(&["1M", "2M", "3M", "4M", "5M", "6M", "7M", "8M", "9M"]);
        assert_eq!(
            rendition_rates(&nine, true),
            Err(RenditionError::TooMany(9))
        );
    }
}
