//! The CPU features the SIMD kernels are written for, found once per
//! process, and the mask that lets tests, benchmarks and the command line
//! run every twin (dav1d's `--cpumask`, rav1d's `CpuFlags`).
//!
//! Every kernel family (the transform and quantiser, luma interpolation,
//! chroma motion compensation, deblocking in asp-core; SAD, the half-pel
//! planes, RDOQ and k-means in asp-encoder) picks its twin from a
//! [`CpuFeatures`] value: the one it is given, or [`CpuFeatures::detect`]
//! by default. A twin is used only when every feature it needs is in the
//! value, so a value with fewer features selects an older twin and
//! [`CpuFeatures::SCALAR`] selects the scalar reference, on any CPU.
//!
//! # Detection
//!
//! With the `std` feature the x86 features are found at run time
//! (`is_x86_feature_detected!`) the first time they are asked for, and kept
//! in an atomic. Without `std` (the browser build, bare metal) they are
//! what the build was compiled for (`-C target-feature`). WebAssembly has no
//! run-time detection: [`CpuFeatures::SIMD128`] is present when the module
//! is built with `+simd128`. On aarch64 [`CpuFeatures::NEON`] is part of the
//! baseline (Armv8-A's Advanced SIMD), so it is present whenever the build
//! has it, which every aarch64 target Rust ships has.
//!
//! # The mask
//!
//! [`set_mask`] narrows what [`CpuFeatures::detect`] returns for the whole
//! process. The library never sets it or reads the environment itself: the
//! command-line tools and the benchmarks apply `ASP_CPU_MASK` (parsed by
//! [`CpuFeatures::from_str`](core::str::FromStr)) through it, and tests
//! pass explicit values from [`CpuFeatures::levels`] to each kernel family
//! instead, since tests run in parallel threads.
//!
//! # Example
//!
//! ```
//! use asp_core::codec::transform::{scalar, Kernels};
//! use asp_core::CpuFeatures;
//!
//! // Every twin this CPU runs gives the scalar result (checkasm's way).
//! let mut expected = [128u8; 64];
//! scalar::inverse_add_8x8(&[64; 64], &mut expected, 8).unwrap();
//! for cpu in CpuFeatures::host().levels() {
//!     let mut block = [128u8; 64];
//!     Kernels::new(cpu).inverse_add_8x8(&[64; 64], &mut block, 8).unwrap();
//!     assert_eq!(block, expected, "{cpu}");
//! }
//! // A mask as `ASP_CPU_MASK` spells it.
//! let mask: CpuFeatures = "sse2".parse().unwrap();
//! assert!(!CpuFeatures::host().masked(mask).contains(CpuFeatures::AVX2));
//! ```

use core::fmt;
use core::str::FromStr;
use core::sync::atomic::{AtomicU32, Ordering};

/// A set of CPU features that SIMD kernels need. `Copy`, one word.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CpuFeatures(u32);

/// The name of every feature, in the order [`CpuFeatures`] prints them.
const NAMES: [(CpuFeatures, &str); 5] = [
    (CpuFeatures::SSE2, "sse2"),
    (CpuFeatures::POPCNT, "popcnt"),
    (CpuFeatures::AVX2, "avx2"),
    (CpuFeatures::SIMD128, "simd128"),
    (CpuFeatures::NEON, "neon"),
];

impl CpuFeatures {
    /// No feature: every family uses its scalar reference.
    pub const SCALAR: CpuFeatures = CpuFeatures(0);
    /// x86 SSE2 (the x86-64 baseline).
    pub const SSE2: CpuFeatures = CpuFeatures(1 << 0);
    /// x86 POPCNT (k-means' AVX2 kernels count lanes with it).
    pub const POPCNT: CpuFeatures = CpuFeatures(1 << 1);
    /// x86 AVX2.
    pub const AVX2: CpuFeatures = CpuFeatures(1 << 2);
    /// WebAssembly 128-bit SIMD.
    pub const SIMD128: CpuFeatures = CpuFeatures(1 << 3);
    /// aarch64 Advanced SIMD (NEON), the Armv8-A baseline.
    pub const NEON: CpuFeatures = CpuFeatures(1 << 4);
    /// Every feature this type knows: a mask that removes nothing.
    pub const ALL: CpuFeatures = CpuFeatures(0b1_1111);

    /// The masks whose twins differ, best first: everything, then without
    /// AVX2 (and POPCNT, which only the AVX2 kernels use), then scalar.
    const LEVEL_MASKS: [CpuFeatures; 3] = [
        CpuFeatures::ALL,
        CpuFeatures(CpuFeatures::ALL.0 & !(CpuFeatures::AVX2.0 | CpuFeatures::POPCNT.0)),
        CpuFeatures::SCALAR,
    ];

    /// The features of this CPU and build, narrowed by [`set_mask`]. Found
    /// once per process and then one atomic load.
    #[inline]
    pub fn detect() -> CpuFeatures {
        CpuFeatures::host().masked(CpuFeatures(MASK.load(Ordering::Relaxed)))
    }

    /// The features of this CPU and build, whatever the mask.
    #[inline]
    pub fn host() -> CpuFeatures {
        let cached = HOST.load(Ordering::Relaxed);
        if cached != UNKNOWN {
            return CpuFeatures(cached);
        }
        let found = find_host();
        HOST.store(found.0, Ordering::Relaxed);
        found
    }

    /// The scalar reference, on any CPU ([`CpuFeatures::SCALAR`]).
    #[inline]
    pub const fn scalar() -> CpuFeatures {
        CpuFeatures::SCALAR
    }

    /// The features of `self` that are also in `mask`.
    #[inline]
    pub const fn masked(self, mask: CpuFeatures) -> CpuFeatures {
        CpuFeatures(self.0 & mask.0)
    }

    /// `self` without the features of `other`.
    #[inline]
    pub const fn without(self, other: CpuFeatures) -> CpuFeatures {
        CpuFeatures(self.0 & !other.0)
    }

    /// `self` with the features of `other` added.
    #[inline]
    pub const fn union(self, other: CpuFeatures) -> CpuFeatures {
        CpuFeatures(self.0 | other.0)
    }

    /// Whether every feature of `other` is in `self`.
    #[inline]
    pub const fn contains(self, other: CpuFeatures) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether `self` has no feature.
    #[inline]
    pub const fn is_scalar(self) -> bool {
        self.0 == 0
    }

    /// Whether `self` allows this build's 128-bit twins, the ones written
    /// once for SSE2, simd128 and NEON (interpolation, chroma motion
    /// compensation, deblocking): SSE2 on x86, SIMD128 on wasm32 built with
    /// `+simd128`, NEON on aarch64, never on targets without such twins.
    #[inline]
    pub const fn has_simd128_twins(self) -> bool {
        if cfg!(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2")) {
            self.contains(CpuFeatures::SSE2)
        } else if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) {
            self.contains(CpuFeatures::SIMD128)
        } else if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
            self.contains(CpuFeatures::NEON)
        } else {
            false
        }
    }

    /// The raw bits (bit 0 SSE2, 1 POPCNT, 2 AVX2, 3 SIMD128, 4 NEON).
    #[inline]
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The features of `bits`, ignoring bits this type does not know.
    #[inline]
    pub const fn from_bits_truncate(bits: u32) -> CpuFeatures {
        CpuFeatures(bits & CpuFeatures::ALL.0)
    }

    /// `self` at each level where some kernel family picks a different twin,
    /// best first, ending with [`CpuFeatures::SCALAR`], without repeats:
    /// on an AVX2 machine `sse2+popcnt+avx2`, `sse2`, `scalar`; in a
    /// simd128 wasm build `simd128`, `scalar`; on aarch64 `neon`, `scalar`.
    /// Tests run every family on
    /// each of `CpuFeatures::host().levels()` (the checkasm way).
    pub fn levels(self) -> impl Iterator<Item = CpuFeatures> {
        let mut previous = None;
        CpuFeatures::LEVEL_MASKS.into_iter().filter_map(move |mask| {
            let level = self.masked(mask);
            (previous != Some(level)).then(|| {
                previous = Some(level);
                level
            })
        })
    }
}

/// `HOST` before the first detection.
const UNKNOWN: u32 = u32::MAX;
static HOST: AtomicU32 = AtomicU32::new(UNKNOWN);
static MASK: AtomicU32 = AtomicU32::new(CpuFeatures::ALL.0);

/// Narrows [`CpuFeatures::detect`] to the features in `mask`, for the rest
/// of the process (`CpuFeatures::ALL` undoes it). For the command-line
/// tools and benchmarks (`ASP_CPU_MASK`); kernel families already made
/// keep the twins they chose.
pub fn set_mask(mask: CpuFeatures) {
    MASK.store(mask.0, Ordering::Relaxed);
}

/// The mask [`set_mask`] set ([`CpuFeatures::ALL`] if none).
pub fn mask() -> CpuFeatures {
    CpuFeatures(MASK.load(Ordering::Relaxed))
}

// The unit tests detect at run time too, so that they reach the AVX2 twins.
#[cfg(all(any(target_arch = "x86", target_arch = "x86_64"), any(feature = "std", test)))]
fn find_host() -> CpuFeatures {
    extern crate std;
    let mut found = CpuFeatures::SCALAR;
    for (feature, present) in [
        (CpuFeatures::SSE2, std::is_x86_feature_detected!("sse2")),
        (CpuFeatures::POPCNT, std::is_x86_feature_detected!("popcnt")),
        (CpuFeatures::AVX2, std::is_x86_feature_detected!("avx2")),
    ] {
        if present {
            found = found.union(feature);
        }
    }
    found
}

#[cfg(not(all(any(target_arch = "x86", target_arch = "x86_64"), any(feature = "std", test))))]
fn find_host() -> CpuFeatures {
    let mut found = CpuFeatures::SCALAR;
    for (feature, present) in [
        (CpuFeatures::SSE2, cfg!(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "sse2"))),
        (CpuFeatures::POPCNT, cfg!(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "popcnt"))),
        (CpuFeatures::AVX2, cfg!(all(any(target_arch = "x86", target_arch = "x86_64"), target_feature = "avx2"))),
        (CpuFeatures::SIMD128, cfg!(all(target_arch = "wasm32", target_feature = "simd128"))),
        (CpuFeatures::NEON, cfg!(all(target_arch = "aarch64", target_feature = "neon"))),
    ] {
        if present {
            found = found.union(feature);
        }
    }
    found
}

impl fmt::Debug for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CpuFeatures({self})")
    }
}

/// `scalar`, or the names joined by `+` (`sse2+popcnt+avx2`).
impl fmt::Display for CpuFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_scalar() {
            return f.write_str("scalar");
        }
        let mut first = true;
        for (feature, name) in NAMES {
            if self.contains(feature) {
                if !first {
                    f.write_str("+")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// A mask that names no known feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseCpuFeaturesError {
    /// The first word that is not a feature name.
    pub word: alloc::string::String,
}

impl fmt::Display for ParseCpuFeaturesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown CPU feature {:?} (expected scalar, all, or sse2, popcnt, avx2, simd128, neon joined by + or ,)", self.word)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseCpuFeaturesError {}

/// Parses a mask: `all`, `scalar` (or `none`), or feature names joined by
/// `+` or `,` (`sse2`, `sse2+popcnt+avx2`), case-insensitive.
impl FromStr for CpuFeatures {
    type Err = ParseCpuFeaturesError;

    fn from_str(text: &str) -> Result<CpuFeatures, ParseCpuFeaturesError> {
        let mut features = CpuFeatures::SCALAR;
        for word in text.split(['+', ',']).map(str::trim).filter(|w| !w.is_empty()) {
            let feature = if word.eq_ignore_ascii_case("all") {
                CpuFeatures::ALL
            } else if word.eq_ignore_ascii_case("scalar") || word.eq_ignore_ascii_case("none") {
                CpuFeatures::SCALAR
            } else {
                NAMES
                    .iter()
                    .find(|(_, name)| word.eq_ignore_ascii_case(name))
                    .map(|&(feature, _)| feature)
                    .ok_or_else(|| ParseCpuFeaturesError { word: word.into() })?
            };
            features = features.union(feature);
        }
        Ok(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    #[test]
    fn masks_parse_and_print() {
        assert_eq!("scalar".parse::<CpuFeatures>(), Ok(CpuFeatures::SCALAR));
        assert_eq!("".parse::<CpuFeatures>(), Ok(CpuFeatures::SCALAR));
        assert_eq!("all".parse::<CpuFeatures>(), Ok(CpuFeatures::ALL));
        let sse2_avx2 = CpuFeatures::SSE2.union(CpuFeatures::AVX2);
        assert_eq!("SSE2+avx2".parse::<CpuFeatures>(), Ok(sse2_avx2));
        assert_eq!("avx2, sse2".parse::<CpuFeatures>(), Ok(sse2_avx2));
        assert_eq!(sse2_avx2.to_string(), "sse2+avx2");
        assert_eq!(CpuFeatures::SCALAR.to_string(), "scalar");
        assert_eq!(CpuFeatures::ALL.to_string().parse::<CpuFeatures>(), Ok(CpuFeatures::ALL));
        assert_eq!("NEON".parse::<CpuFeatures>(), Ok(CpuFeatures::NEON));
        assert_eq!("sse2+sve".parse::<CpuFeatures>(), Err(ParseCpuFeaturesError { word: "sve".into() }));
    }

    #[test]
    fn set_operations() {
        let all = CpuFeatures::ALL;
        assert!(all.contains(CpuFeatures::AVX2.union(CpuFeatures::SSE2)));
        assert!(!all.without(CpuFeatures::AVX2).contains(CpuFeatures::AVX2));
        assert!(all.masked(CpuFeatures::SCALAR).is_scalar());
        assert!(CpuFeatures::SCALAR.contains(CpuFeatures::SCALAR));
        assert_eq!(CpuFeatures::from_bits_truncate(u32::MAX), all);
    }

    #[test]
    fn levels_go_from_every_feature_down_to_scalar() {
        let avx2_machine = CpuFeatures::SSE2.union(CpuFeatures::POPCNT).union(CpuFeatures::AVX2);
        let levels: Vec<_> = avx2_machine.levels().collect();
        assert_eq!(levels, [avx2_machine, CpuFeatures::SSE2, CpuFeatures::SCALAR]);
        let levels: Vec<_> = CpuFeatures::SIMD128.levels().collect();
        assert_eq!(levels, [CpuFeatures::SIMD128, CpuFeatures::SCALAR]);
        let levels: Vec<_> = CpuFeatures::NEON.levels().collect();
        assert_eq!(levels, [CpuFeatures::NEON, CpuFeatures::SCALAR]);
        let levels: Vec<_> = CpuFeatures::SCALAR.levels().collect();
        assert_eq!(levels, [CpuFeatures::SCALAR]);
    }

    /// The levels the kernel tests iterate reach every twin this machine
    /// runs: no test may skip the SIMD twins because detection missed them.
    #[test]
    fn host_levels_include_what_the_build_and_cpu_have() {
        let host = CpuFeatures::host();
        assert_eq!(host, CpuFeatures::host(), "detection is stable");
        assert_eq!(CpuFeatures::detect(), host.masked(mask()));
        let levels: Vec<_> = host.levels().collect();
        assert_eq!(levels.first(), Some(&host));
        assert_eq!(levels.last(), Some(&CpuFeatures::SCALAR));
        #[cfg(target_arch = "x86_64")]
        {
            extern crate std;
            assert!(host.contains(CpuFeatures::SSE2), "SSE2 is the x86-64 baseline");
            if std::is_x86_feature_detected!("avx2") {
                assert!(levels.iter().any(|l| l.contains(CpuFeatures::AVX2)));
            }
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        assert!(host.contains(CpuFeatures::SIMD128));
        #[cfg(target_arch = "aarch64")]
        assert!(host.contains(CpuFeatures::NEON), "NEON is the aarch64 baseline");
    }
}
