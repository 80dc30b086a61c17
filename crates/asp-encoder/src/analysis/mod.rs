//! Frame analysis: colour palettes and regions of interest.
//!
//! One file per tool, each a plain function over an [`Image`]:
//!
//! | tool | function | returns |
//! |---|---|---|
//! | k-means palette ([`kmeans`]) | `kmeans_palette(&Image, &KMeansParams)` | [`Palette`] |
//! | median-cut palette ([`median_cut`]) | `median_cut_palette(&Image, colors)` | [`Palette`] |
//! | edge / text regions ([`edge`]) | `detect_edges(&Image, &EdgeParams)` | `Vec<Roi>` (Text or Edge) |
//! | motion regions ([`motion`]) | `detect_motion(&Image, &Image, &MotionParams)` | `Vec<Roi>` (Motion) |
//! | faces ([`face`]) | `FaceDetector::detect(&Image, &FaceParams)` | `Vec<Roi>` (Face) |
//! | all of the above | [`detect_roi`] | `Vec<Roi>` |
//!
//! An [`Image`] is a borrowed RGB24, grey or I420 buffer of any size, or
//! a codec [`Frame`](asp_core::codec::frame::Frame); its constructors check the buffer length, so a bad
//! size is an [`AnalysisError`], never a panic. Palettes are RGB (YUV input
//! is converted with BT.709 limited range, the codec's default); detectors
//! work on luma.
//!
//! The Python bindings map onto this API directly:
//! `extract_colors(pixels, num_colors, method)` and
//! `extract_colors_with_weights` call [`extract_palette`];
//! `detect_roi(frame, previous_frame, width, height, methods)` calls
//! [`detect_roi`] and turns each [`Roi`] into `[x, y, w, h, type, confidence]`.

pub mod edge;
pub mod face;
mod image;
pub mod kmeans;
pub mod median_cut;
pub mod motion;
mod regions;

use std::fmt;
use std::str::FromStr;

use asp_core::schema::{self, RoiType};

pub use edge::{detect_edges, EdgeParams};
pub use face::{Cascade, CascadeError, FaceDetector, FaceParams};
pub use image::{Image, PixelFormat};
pub use kmeans::{kmeans_palette, kmeans_palette_with, KMeansParams};
pub use median_cut::median_cut_palette;
pub use motion::{detect_motion, motion_regions_from_field, MotionParams};

/// Why an analysis refused its input.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnalysisError {
    /// Width or height is zero, or their product overflows.
    BadDimensions {
        /// Width given.
        width: usize,
        /// Height given.
        height: usize,
    },
    /// The buffer is shorter than the format and size need.
    BufferTooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        len: usize,
    },
    /// Two images that must match (current and previous frame) differ in size.
    SizeMismatch {
        /// Size of the first image.
        first: (usize, usize),
        /// Size of the second.
        second: (usize, usize),
    },
    /// A palette of zero colours, or over [`MAX_COLORS`].
    BadColorCount(usize),
    /// A parameter is out of its range; the text says which.
    BadParameter(&'static str),
    /// An unknown method name (palette or ROI).
    UnknownMethod(String),
    /// The face cascade could not be loaded.
    Cascade(CascadeError),
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnalysisError::BadDimensions { width, height } => write!(f, "image size {width}x{height} is unusable"),
            AnalysisError::BufferTooShort { needed, len } => {
                write!(f, "pixel buffer of {len} bytes is shorter than the {needed} bytes the size needs")
            }
            AnalysisError::SizeMismatch { first, second } => write!(
                f,
                "images differ in size: {}x{} and {}x{}",
                first.0, first.1, second.0, second.1
            ),
            AnalysisError::BadColorCount(n) => write!(f, "palette size {n} is not in 1..={MAX_COLORS}"),
            AnalysisError::BadParameter(what) => write!(f, "bad parameter: {what}"),
            AnalysisError::UnknownMethod(name) => write!(f, "unknown method {name:?}"),
            AnalysisError::Cascade(e) => write!(f, "face cascade: {e}"),
        }
    }
}

impl std::error::Error for AnalysisError {}

impl From<CascadeError> for AnalysisError {
    fn from(e: CascadeError) -> Self {
        AnalysisError::Cascade(e)
    }
}

/// Largest palette either method returns.
pub const MAX_COLORS: usize = 256;

/// A colour palette: RGB colours and the share of pixels each stands for
/// (weights sum to 1), most frequent first.
#[derive(Clone, Debug, PartialEq)]
pub struct Palette {
    /// The colours, `[r, g, b]`.
    pub colors: Vec<[u8; 3]>,
    /// Share of the (sampled) pixels nearest to each colour; sums to 1.
    pub weights: Vec<f32>,
}

impl Palette {
    /// The colours as the schema's structs, for a packet's side data.
    pub fn schema_colors(&self) -> Vec<schema::Color> {
        self.colors.iter().map(|c| schema::Color::new(c[0], c[1], c[2])).collect()
    }

    /// Mean squared RGB distance from each pixel of `image` to its nearest
    /// colour (the k-means "inertia" per pixel). Infinite for an empty palette.
    pub fn inertia(&self, image: &Image<'_>) -> f64 {
        let mut sum = 0f64;
        image.for_each_rgb(|px| {
            let d = self.colors.iter().map(|c| distance2(c, &px)).min().unwrap_or(u32::MAX);
            sum += f64::from(d);
        });
        sum / image.len() as f64
    }

    /// Sorts by weight, largest first (ties keep their order).
    pub(crate) fn sorted(mut self) -> Palette {
        let mut order: Vec<usize> = (0..self.colors.len()).collect();
        order.sort_by(|&a, &b| self.weights[b].total_cmp(&self.weights[a]));
        self.colors = order.iter().map(|&i| self.colors[i]).collect();
        self.weights = order.iter().map(|&i| self.weights[i]).collect();
        self
    }
}

fn distance2(a: &[u8; 3], b: &[u8; 3]) -> u32 {
    a.iter().zip(b).map(|(&x, &y)| (i32::from(x) - i32::from(y)).pow(2) as u32).sum()
}

/// A palette method by name (`"kmeans"`, `"median_cut"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaletteMethod {
    /// [`kmeans_palette`] with default parameters.
    KMeans,
    /// [`median_cut_palette`].
    MedianCut,
}

impl FromStr for PaletteMethod {
    type Err = AnalysisError;
    fn from_str(s: &str) -> Result<Self, AnalysisError> {
        match s {
            "kmeans" | "k-means" => Ok(PaletteMethod::KMeans),
            "median_cut" | "median-cut" | "mediancut" => Ok(PaletteMethod::MedianCut),
            _ => Err(AnalysisError::UnknownMethod(s.to_owned())),
        }
    }
}

/// The palette of `image` with `colors` colours by `method` (k-means with
/// [`KMeansParams::new`]'s defaults).
pub fn extract_palette(image: &Image<'_>, colors: usize, method: PaletteMethod) -> Result<Palette, AnalysisError> {
    match method {
        PaletteMethod::KMeans => kmeans_palette(image, &KMeansParams::new(colors)),
        PaletteMethod::MedianCut => median_cut_palette(image, colors),
    }
}

/// A region of interest: a rectangle in luma pixels, what it holds, and
/// how sure the detector is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roi {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (at least 1).
    pub width: u32,
    /// Height (at least 1).
    pub height: u32,
    /// Face, Text, Edge or Motion.
    pub kind: RoiType,
    /// Detector confidence in 0..=1.
    pub confidence: f32,
}

impl Roi {
    /// The region as the schema's struct, with a coding priority.
    pub fn to_schema(&self, priority: u8) -> schema::RoiRegion {
        let bounds = schema::Rect::new(self.x, self.y, self.width, self.height);
        schema::RoiRegion::new(&bounds, self.confidence, self.kind, priority)
    }

    /// `[x, y, w, h, type, confidence]`, the Python API's row.
    pub fn row(&self) -> [f64; 6] {
        [
            f64::from(self.x),
            f64::from(self.y),
            f64::from(self.width),
            f64::from(self.height),
            f64::from(self.kind.0),
            f64::from(self.confidence),
        ]
    }
}

/// A region detector by name: `"face"`, `"text"` (text and edge regions),
/// `"edge"` (the same detector), `"motion"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoiMethod {
    /// [`FaceDetector`] with the bundled cascade.
    Face,
    /// [`detect_edges`]: text lines and edge regions.
    Text,
    /// [`detect_motion`] against the previous frame.
    Motion,
}

impl FromStr for RoiMethod {
    type Err = AnalysisError;
    fn from_str(s: &str) -> Result<Self, AnalysisError> {
        match s.trim() {
            "face" | "faces" => Ok(RoiMethod::Face),
            "text" | "edge" | "edges" => Ok(RoiMethod::Text),
            "motion" => Ok(RoiMethod::Motion),
            other => Err(AnalysisError::UnknownMethod(other.to_owned())),
        }
    }
}

impl RoiMethod {
    /// Parses a comma-separated list such as `"face,text,motion"`.
    pub fn parse_list(list: &str) -> Result<Vec<RoiMethod>, AnalysisError> {
        let mut methods = Vec::new();
        for name in list.split(',').filter(|s| !s.trim().is_empty()) {
            let m: RoiMethod = name.parse()?;
            if !methods.contains(&m) {
                methods.push(m);
            }
        }
        Ok(methods)
    }
}

/// Runs each detector in `methods` on `frame` and returns all regions.
/// Motion needs `previous` (same size); without it motion finds nothing.
/// Faces use `faces`, or the bundled cascade when `None` (parsed once per
/// process).
pub fn detect_roi(
    frame: &Image<'_>,
    previous: Option<&Image<'_>>,
    methods: &[RoiMethod],
    faces: Option<&FaceDetector>,
) -> Result<Vec<Roi>, AnalysisError> {
    let mut out = Vec::new();
    for method in methods {
        match method {
            RoiMethod::Face => {
                let detector = match faces {
                    Some(d) => d,
                    None => FaceDetector::bundled()?,
                };
                out.extend(detector.detect(frame, &FaceParams::default())?);
            }
            RoiMethod::Text => out.extend(detect_edges(frame, &EdgeParams::default())?),
            RoiMethod::Motion => {
                if let Some(prev) = previous {
                    out.extend(detect_motion(frame, prev, &MotionParams::default())?);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests_support {
    /// A picture of horizontal stripes, one per colour, each `share` of
    /// `side` rows, `side` pixels wide: `(width, height, rgb)`.
    pub fn blocks_of(colours: &[[u8; 3]], shares: &[f32], side: usize) -> (usize, usize, Vec<u8>) {
        let mut rgb = Vec::new();
        let mut rows = 0;
        for (c, s) in colours.iter().zip(shares) {
            let n = (s * side as f32).round() as usize;
            for _ in 0..n * side {
                rgb.extend_from_slice(c);
            }
            rows += n;
        }
        (side, rows, rgb)
    }

    /// Largest squared distance from a wanted colour to its nearest found one.
    pub fn nearest_error(found: &[[u8; 3]], wanted: &[[u8; 3]]) -> u32 {
        wanted.iter().map(|w| found.iter().map(|f| super::distance2(f, w)).min().unwrap_or(u32::MAX)).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tool_takes_tiny_and_odd_pictures() {
        for (w, h) in [(1usize, 1usize), (5, 3), (17, 9), (33, 70)] {
            let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 256) as u8).collect();
            let moved: Vec<u8> = rgb.iter().rev().copied().collect();
            let (a, b) = (Image::rgb(&rgb, w, h).unwrap(), Image::rgb(&moved, w, h).unwrap());
            for method in [PaletteMethod::KMeans, PaletteMethod::MedianCut] {
                let p = extract_palette(&a, 4, method).unwrap();
                assert!(!p.colors.is_empty() && (p.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            }
            let all = [RoiMethod::Face, RoiMethod::Text, RoiMethod::Motion];
            for r in detect_roi(&a, Some(&b), &all, None).unwrap() {
                assert!(r.x as usize + r.width as usize <= w && r.y as usize + r.height as usize <= h, "{r:?}");
            }
        }
    }

    #[test]
    fn names_parse() {
        assert_eq!("median_cut".parse::<PaletteMethod>().unwrap(), PaletteMethod::MedianCut);
        assert!(matches!("octree".parse::<PaletteMethod>(), Err(AnalysisError::UnknownMethod(_))));
        assert_eq!(RoiMethod::parse_list("face, motion,face").unwrap(), vec![RoiMethod::Face, RoiMethod::Motion]);
    }
}
