//! Speed/quality presets: which tools the encoder tries, how hard.

use std::fmt;
use std::str::FromStr;

use crate::motion::{SearchAlgorithm, SubpelPrecision};

/// The speed/quality knob. The default, `Realtime`, encodes 720p30 live on
/// two cores with room to spare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Preset {
    /// Fastest: diamond search, half-pel, no intra modes in delta frames.
    Ultrafast,
    /// Live default: hexagon search ±16, quarter-pel, a vector per 8x8
    /// quarter where it pays, every intra mode and the procedural patterns.
    #[default]
    Realtime,
    /// Slower, better: wider search.
    Medium,
}

/// The tool settings a preset stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PresetParams {
    /// Integer motion search.
    pub algorithm: SearchAlgorithm,
    /// Search range in whole pixels.
    pub search_range: usize,
    /// Sub-pel refinement.
    pub subpel: SubpelPrecision,
    /// Whether delta frames also try the spatial intra modes.
    pub intra_in_inter: bool,
    /// Whether keyframes (and intra macroblocks) try solid and gradient fills.
    pub patterns: bool,
    /// Whether intra macroblocks also try prediction per 8x8 quarter.
    pub intra8: bool,
    /// Choose per macroblock between 8x8 and 4x4 luma transforms by
    /// SSD + λ·bits (costs a second quantisation of coded macroblocks).
    pub transform_4x4: bool,
    /// Also search one vector per 8x8 quarter where the 16x16 vector
    /// predicts poorly (object edges), and keep the split when it costs less
    /// (fewer bits, most on screen content, for more encoder CPU:
    /// BENCHMARKS.md, encoder tuning).
    pub inter8: bool,
    /// Levels chosen by rate and distortion (`rdoq`) rather than a dead zone.
    pub rdoq: bool,
}

impl Preset {
    /// Every preset, fastest first.
    pub const ALL: [Preset; 3] = [Preset::Ultrafast, Preset::Realtime, Preset::Medium];

    /// The tools this preset uses.
    pub fn params(self) -> PresetParams {
        match self {
            Preset::Ultrafast => PresetParams {
                algorithm: SearchAlgorithm::Diamond,
                search_range: 16,
                subpel: SubpelPrecision::Half,
                intra_in_inter: false,
                patterns: true,
                intra8: false,
                transform_4x4: false,
                inter8: false,
                rdoq: false,
            },
            Preset::Realtime => PresetParams {
                algorithm: SearchAlgorithm::Hexagon,
                search_range: 16,
                subpel: SubpelPrecision::Quarter,
                intra_in_inter: true,
                patterns: true,
                intra8: true,
                transform_4x4: true,
                inter8: true,
                rdoq: true,
            },
            Preset::Medium => PresetParams {
                algorithm: SearchAlgorithm::Hexagon,
                search_range: 32,
                subpel: SubpelPrecision::Quarter,
                intra_in_inter: true,
                patterns: true,
                intra8: true,
                transform_4x4: true,
                inter8: true,
                rdoq: true,
            },
        }
    }

    /// The name users type.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Ultrafast => "ultrafast",
            Preset::Realtime => "realtime",
            Preset::Medium => "medium",
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(s: &str) -> Result<Preset, String> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown preset '{s}' (expected ultrafast, realtime or medium)"))
    }
}
