//! Face detection: a Viola–Jones cascade of Haar-like features evaluated
//! over integral images.
//!
//! The model is OpenCV's published frontal-face cascade (Rainer Lienhart's
//! stump-based 24x24 AdaBoost cascade, `haarcascade_frontalface_default.xml`,
//! Intel License Agreement — a BSD-style licence; see
//! `crates/asp-encoder/data/README.md`), read from the XML file shipped in
//! this crate. Any OpenCV "BOOST"/"HAAR" cascade without tilted features
//! loads the same way ([`Cascade::from_xml`]).
//!
//! Detection slides the 24x24 window, scaled by `scale_factor` steps from
//! `min_size` up to the picture, over the luma plane. At each position the
//! window's standard deviation (from the squared integral image)
//! normalises every feature, so lighting does not matter; each stage sums
//! its weak classifiers' leaf values and a window that falls below a
//! stage threshold is rejected (most windows are after one or two stages).
//! Surviving windows are clustered as OpenCV's `groupRectangles` does
//! (similar boxes, at least `min_neighbors + 1` of them) and averaged;
//! the confidence grows with the cluster's size.

use std::fmt;
use std::sync::OnceLock;

use asp_core::schema::RoiType;
use rayon::prelude::*;

use super::{AnalysisError, Image, Roi};

/// The bundled cascade, shipped in this crate's `data/` directory.
const BUNDLED_XML: &str = include_str!("../../data/haarcascade_frontalface_default.xml");

/// Why a cascade file could not be used.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum CascadeError {
    /// The file is not well-formed XML.
    Xml(String),
    /// An element the format requires is missing or unreadable.
    Missing(&'static str),
    /// A number in the file does not parse.
    BadNumber(String),
    /// A feature index or rectangle points outside the model.
    OutOfRange(&'static str),
    /// A feature type this evaluator does not implement (tilted Haar, LBP, HOG).
    Unsupported(String),
    /// The file could not be read.
    Io(String),
}

impl fmt::Display for CascadeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CascadeError::Xml(e) => write!(f, "not well-formed XML: {e}"),
            CascadeError::Missing(what) => write!(f, "missing {what}"),
            CascadeError::BadNumber(s) => write!(f, "bad number {s:?}"),
            CascadeError::OutOfRange(what) => write!(f, "{what} out of range"),
            CascadeError::Unsupported(what) => write!(f, "unsupported: {what}"),
            CascadeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CascadeError {}

/// A rectangle of a Haar feature in window coordinates, with its weight.
#[derive(Clone, Copy, Debug, PartialEq)]
struct WeightedRect {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
    weight: f32,
}

/// A weak classifier: a small tree (a stump in most cascades).
#[derive(Clone, Debug, PartialEq)]
struct Weak {
    /// `(left, right, feature, threshold)`; a child `<= 0` is leaf `-child`.
    nodes: Vec<(i32, i32, usize, f32)>,
    leaves: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq)]
struct Stage {
    threshold: f32,
    weak: Vec<Weak>,
}

/// A loaded Viola–Jones cascade.
#[derive(Clone, Debug, PartialEq)]
pub struct Cascade {
    width: u32,
    height: u32,
    stages: Vec<Stage>,
    features: Vec<Vec<WeightedRect>>,
}

/// OpenCV lowers each stage threshold by this when it reads a cascade.
const STAGE_THRESHOLD_EPS: f32 = 1e-5;

impl Cascade {
    /// Parses an OpenCV cascade XML document (new format, Haar features).
    pub fn from_xml(xml: &str) -> Result<Cascade, CascadeError> {
        let doc = roxmltree::Document::parse(xml).map_err(|e| CascadeError::Xml(e.to_string()))?;
        let cascade = doc
            .descendants()
            .find(|n| n.has_tag_name("cascade"))
            .ok_or(CascadeError::Missing("<cascade>"))?;
        let child = |name: &'static str| cascade.children().find(|n| n.has_tag_name(name)).ok_or(CascadeError::Missing(name));
        let text = |name: &'static str| -> Result<String, CascadeError> {
            Ok(child(name)?.text().unwrap_or("").trim().to_owned())
        };
        if text("stageType")? != "BOOST" || text("featureType")? != "HAAR" {
            return Err(CascadeError::Unsupported(format!("{} {}", text("stageType")?, text("featureType")?)));
        }
        let width: u32 = parse_number(&text("width")?)?;
        let height: u32 = parse_number(&text("height")?)?;
        if !(2..=256).contains(&width) || !(2..=256).contains(&height) {
            return Err(CascadeError::OutOfRange("window size"));
        }
        let features = items(child("features")?)
            .map(|f| read_feature(f, width, height))
            .collect::<Result<Vec<_>, _>>()?;
        let stages = items(child("stages")?)
            .map(|s| read_stage(s, features.len()))
            .collect::<Result<Vec<_>, _>>()?;
        if stages.is_empty() {
            return Err(CascadeError::Missing("stages"));
        }
        Ok(Cascade { width, height, stages, features })
    }

    /// Window width the cascade was trained on.
    pub fn window_width(&self) -> u32 {
        self.width
    }

    /// Window height the cascade was trained on.
    pub fn window_height(&self) -> u32 {
        self.height
    }

    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.stages.len()
    }
}

fn items<'a, 'i>(node: roxmltree::Node<'a, 'i>) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children().filter(|n| n.has_tag_name("_"))
}

fn parse_number<T: std::str::FromStr>(s: &str) -> Result<T, CascadeError> {
    s.trim().parse().map_err(|_| CascadeError::BadNumber(s.chars().take(40).collect()))
}

fn numbers<T: std::str::FromStr>(node: Option<roxmltree::Node<'_, '_>>, what: &'static str) -> Result<Vec<T>, CascadeError> {
    let node = node.ok_or(CascadeError::Missing(what))?;
    node.text().unwrap_or("").split_whitespace().map(parse_number).collect()
}

fn read_feature(node: roxmltree::Node<'_, '_>, width: u32, height: u32) -> Result<Vec<WeightedRect>, CascadeError> {
    if let Some(t) = node.children().find(|n| n.has_tag_name("tilted")) {
        if t.text().unwrap_or("0").trim() != "0" {
            return Err(CascadeError::Unsupported("tilted Haar features".into()));
        }
    }
    let rects = node.children().find(|n| n.has_tag_name("rects")).ok_or(CascadeError::Missing("rects"))?;
    let rects = items(rects)
        .map(|r| {
            let v: Vec<f32> = numbers(Some(r), "rect")?;
            let [x, y, w, h, weight] = v[..] else { return Err(CascadeError::Missing("rect: x y w h weight")) };
            let int = |f: f32| if f >= 0.0 && f.fract() == 0.0 { Ok(f as u32) } else { Err(CascadeError::OutOfRange("rectangle")) };
            let (x, y, w, h) = (int(x)?, int(y)?, int(w)?, int(h)?);
            if w == 0 || h == 0 || x + w > width || y + h > height {
                return Err(CascadeError::OutOfRange("rectangle"));
            }
            Ok(WeightedRect { x, y, w, h, weight })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if rects.is_empty() || rects.len() > 3 {
        return Err(CascadeError::OutOfRange("rectangles per feature"));
    }
    Ok(rects)
}

fn read_stage(node: roxmltree::Node<'_, '_>, feature_count: usize) -> Result<Stage, CascadeError> {
    let threshold_node = node.children().find(|n| n.has_tag_name("stageThreshold"));
    let threshold: f32 = parse_number(threshold_node.and_then(|n| n.text()).ok_or(CascadeError::Missing("stageThreshold"))?)?;
    let weak_node = node.children().find(|n| n.has_tag_name("weakClassifiers")).ok_or(CascadeError::Missing("weakClassifiers"))?;
    let weak = items(weak_node)
        .map(|w| {
            let raw: Vec<f32> = numbers(w.children().find(|n| n.has_tag_name("internalNodes")), "internalNodes")?;
            let leaves: Vec<f32> = numbers(w.children().find(|n| n.has_tag_name("leafValues")), "leafValues")?;
            if raw.is_empty() || raw.len() % 4 != 0 {
                return Err(CascadeError::Missing("internalNodes: left right feature threshold"));
            }
            let nodes = raw
                .chunks_exact(4)
                .map(|n| (n[0] as i32, n[1] as i32, n[2] as usize, n[3]))
                .collect::<Vec<_>>();
            for &(l, r, f, _) in &nodes {
                let child_ok = |c: i32| if c > 0 { (c as usize) < nodes.len() } else { ((-c) as usize) < leaves.len() };
                if f >= feature_count || !child_ok(l) || !child_ok(r) {
                    return Err(CascadeError::OutOfRange("weak classifier node"));
                }
            }
            Ok(Weak { nodes, leaves })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Stage { threshold: threshold - STAGE_THRESHOLD_EPS, weak })
}

/// Face detector settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FaceParams {
    /// Smallest face searched, in pixels (at least the cascade window).
    pub min_size: u32,
    /// Largest face searched (0: the whole picture).
    pub max_size: u32,
    /// Window growth per scale, > 1 (OpenCV's default 1.1).
    pub scale_factor: f32,
    /// A face needs more than this many overlapping detections (OpenCV's default 3).
    pub min_neighbors: usize,
}

impl Default for FaceParams {
    fn default() -> Self {
        FaceParams { min_size: 24, max_size: 0, scale_factor: 1.1, min_neighbors: 3 }
    }
}

/// Finds faces with a [`Cascade`]. See the [module docs](self).
#[derive(Clone, Debug, PartialEq)]
pub struct FaceDetector {
    cascade: Cascade,
}

static BUNDLED: OnceLock<Result<FaceDetector, CascadeError>> = OnceLock::new();

impl FaceDetector {
    /// A detector over `cascade`.
    pub fn new(cascade: Cascade) -> FaceDetector {
        FaceDetector { cascade }
    }

    /// The detector with the bundled frontal-face cascade (parsed once per process).
    pub fn bundled() -> Result<&'static FaceDetector, AnalysisError> {
        BUNDLED
            .get_or_init(|| Cascade::from_xml(BUNDLED_XML).map(FaceDetector::new))
            .as_ref()
            .map_err(|e| AnalysisError::Cascade(e.clone()))
    }

    /// A detector over the cascade XML file at `path`.
    pub fn from_file(path: &std::path::Path) -> Result<FaceDetector, AnalysisError> {
        let xml = std::fs::read_to_string(path).map_err(|e| CascadeError::Io(format!("{}: {e}", path.display())))?;
        Ok(FaceDetector::new(Cascade::from_xml(&xml)?))
    }

    /// The faces in `image`, largest first.
    pub fn detect(&self, image: &Image<'_>, params: &FaceParams) -> Result<Vec<Roi>, AnalysisError> {
        if !(params.scale_factor > 1.0 && params.scale_factor <= 4.0) {
            return Err(AnalysisError::BadParameter("face scale_factor must be in (1, 4]"));
        }
        let (w, h) = (image.width(), image.height());
        let integral = Integral::new(&image.luma(), w, h);
        let c = &self.cascade;
        let mut hits = Vec::new();
        let mut scale = (params.min_size.max(c.width) as f32 / c.width as f32).max(1.0);
        loop {
            let (win_w, win_h) = ((c.width as f32 * scale).round() as usize, (c.height as f32 * scale).round() as usize);
            let too_big = params.max_size > 0 && win_w.max(win_h) > params.max_size as usize;
            if win_w > w || win_h > h || too_big {
                break;
            }
            let scaled = ScaledCascade::new(c, scale, (win_w, win_h), integral.stride);
            let step = if scale <= 2.0 { (2.0 * scale).round() as usize } else { scale.round() as usize }.max(1);
            let rows: Vec<usize> = (0..=h - win_h).step_by(step).collect();
            let found: Vec<(usize, usize)> = rows
                .par_iter()
                .flat_map_iter(|&y| {
                    let scaled = &scaled;
                    let integral = &integral;
                    (0..=w - win_w).step_by(step).filter(move |&x| scaled.accepts(integral, x, y)).map(move |x| (x, y))
                })
                .collect();
            hits.extend(found.into_iter().map(|(x, y)| Box4 { x: x as f32, y: y as f32, w: win_w as f32, h: win_h as f32 }));
            scale *= params.scale_factor;
        }
        Ok(group_rectangles(&hits, params.min_neighbors, 0.2)
            .into_iter()
            .map(|(b, n)| {
                let x = b.x.round().max(0.0) as u32;
                let y = b.y.round().max(0.0) as u32;
                let width = (b.w.round() as u32).min(w as u32 - x).max(1);
                let height = (b.h.round() as u32).min(h as u32 - y).max(1);
                Roi { x, y, width, height, kind: RoiType::Face, confidence: n as f32 / (n as f32 + 6.0) }
            })
            .collect())
    }
}

/// Integral images of the luma and its square, `(w + 1) x (h + 1)`, with
/// a zero first row and column. u32 sums wrap, but a rectangle's sum
/// (`<= 255 * w * h`, under 2^32 for any allowed picture) comes out right
/// in wrapping arithmetic.
struct Integral {
    stride: usize,
    sum: Vec<u32>,
    squares: Vec<u64>,
}

impl Integral {
    fn new(luma: &[u8], w: usize, h: usize) -> Integral {
        let stride = w + 1;
        let mut sum = vec![0u32; stride * (h + 1)];
        let mut squares = vec![0u64; stride * (h + 1)];
        for y in 0..h {
            let (mut row_sum, mut row_sq) = (0u32, 0u64);
            for x in 0..w {
                let v = u32::from(luma[y * w + x]);
                row_sum = row_sum.wrapping_add(v);
                row_sq += u64::from(v * v);
                let i = (y + 1) * stride + x + 1;
                sum[i] = sum[i - stride].wrapping_add(row_sum);
                squares[i] = squares[i - stride] + row_sq;
            }
        }
        Integral { stride, sum, squares }
    }
}

/// A rectangle as four offsets into the integral image, relative to the
/// window's top-left corner.
#[derive(Clone, Copy)]
struct Corners {
    top_left: usize,
    top_right: usize,
    bottom_left: usize,
    bottom_right: usize,
}

impl Corners {
    fn new(x: usize, y: usize, w: usize, h: usize, stride: usize) -> Corners {
        Corners {
            top_left: y * stride + x,
            top_right: y * stride + x + w,
            bottom_left: (y + h) * stride + x,
            bottom_right: (y + h) * stride + x + w,
        }
    }

    fn sum(&self, ii: &[u32], origin: usize) -> u32 {
        ii[origin + self.bottom_right]
            .wrapping_sub(ii[origin + self.top_right])
            .wrapping_sub(ii[origin + self.bottom_left])
            .wrapping_add(ii[origin + self.top_left])
    }

    fn sum_squares(&self, ii: &[u64], origin: usize) -> u64 {
        ii[origin + self.bottom_right] + ii[origin + self.top_left] - ii[origin + self.top_right] - ii[origin + self.bottom_left]
    }
}

/// A stump (a one-split weak classifier, what most published cascades
/// are made of) at one scale, flat for the inner loop: its feature's
/// rectangles with non-zero weights, its threshold and its two leaves.
#[derive(Clone, Copy)]
struct ScaledStump {
    rects: [(Corners, f32); 3],
    count: usize,
    threshold: f32,
    left: f32,
    right: f32,
}

/// A cascade of stumps at one scale: each stage's threshold and the end
/// of its stumps in `stumps`.
struct FlatStumps {
    stages: Vec<(f32, usize)>,
    stumps: Vec<ScaledStump>,
}

/// The cascade's features at one scale, ready to evaluate.
struct ScaledCascade<'c> {
    cascade: &'c Cascade,
    features: Vec<[(Corners, f32); 3]>,
    /// When every weak classifier is a stump: each stage's threshold and
    /// its stumps, flat, in order (no tree walk, no indirection).
    stumps: Option<FlatStumps>,
    /// The inner window (one trained pixel in from each side) that
    /// normalises the features, and its area.
    norm: Corners,
    norm_area: f64,
}

impl<'c> ScaledCascade<'c> {
    /// The features scaled to a `window` (width, height) that is about
    /// `scale` times the trained one; rounding never takes a rectangle
    /// outside the window.
    fn new(cascade: &'c Cascade, scale: f32, window: (usize, usize), stride: usize) -> ScaledCascade<'c> {
        let s = |v: u32| (v as f32 * scale).round() as usize;
        let fit = |x: usize, w: usize, limit: usize| {
            let x = x.min(limit - 1);
            (x, w.max(1).min(limit - x))
        };
        let features: Vec<[(Corners, f32); 3]> = cascade
            .features
            .iter()
            .map(|rects| {
                let mut out = [(Corners::new(0, 0, 0, 0, stride), 0.0f32); 3];
                let mut areas = [0f32; 3];
                for (i, r) in rects.iter().enumerate() {
                    let (x, w) = fit(s(r.x), s(r.w), window.0);
                    let (y, h) = fit(s(r.y), s(r.h), window.1);
                    out[i] = (Corners::new(x, y, w, h, stride), r.weight);
                    areas[i] = (w * h) as f32;
                }
                // Rounding changes the areas' ratios: re-balance the first
                // rectangle so a flat window still gives exactly zero.
                let rest: f32 = (1..rects.len()).map(|i| out[i].1 * areas[i]).sum();
                out[0].1 = -rest / areas[0];
                out
            })
            .collect();
        let (nx, nw) = fit(scale.round() as usize, s(cascade.width - 2), window.0);
        let (ny, nh) = fit(scale.round() as usize, s(cascade.height - 2), window.1);
        let stumps = flat_stumps(cascade, &features);
        ScaledCascade { cascade, features, stumps, norm: Corners::new(nx, ny, nw, nh, stride), norm_area: (nw * nh) as f64 }
    }

    /// Whether the window at `(x, y)` passes every stage.
    fn accepts(&self, ii: &Integral, x: usize, y: usize) -> bool {
        let origin = y * ii.stride + x;
        let sum = f64::from(self.norm.sum(&ii.sum, origin));
        let squares = self.norm.sum_squares(&ii.squares, origin) as f64;
        // area * stddev * area; a flat window normalises by 1.
        let spread = self.norm_area * squares - sum * sum;
        let norm = if spread > 0.0 { spread.sqrt() as f32 } else { 1.0 };
        if let Some(flat) = &self.stumps {
            return accepts_stumps(&flat.stages, &flat.stumps, &ii.sum, origin, norm);
        }
        for stage in &self.cascade.stages {
            let mut total = 0f32;
            for weak in &stage.weak {
                let mut node = 0usize;
                let leaf = loop {
                    let (left, right, feature, threshold) = weak.nodes[node];
                    let value: f32 = self.features[feature]
                        .iter()
                        .filter(|(_, wgt)| *wgt != 0.0)
                        .map(|(c, wgt)| c.sum(&ii.sum, origin) as f32 * wgt)
                        .sum();
                    let next = if value < threshold * norm { left } else { right };
                    if next <= 0 {
                        break (-next) as usize;
                    }
                    node = next as usize;
                };
                total += weak.leaves[leaf];
            }
            if total < stage.threshold {
                return false;
            }
        }
        true
    }
}

/// The stages as flat stumps, if every weak classifier is one (a single
/// node whose children are both leaves).
fn flat_stumps(cascade: &Cascade, features: &[[(Corners, f32); 3]]) -> Option<FlatStumps> {
    let mut stages = Vec::with_capacity(cascade.stages.len());
    let mut stumps = Vec::new();
    for stage in &cascade.stages {
        for weak in &stage.weak {
            let [(left, right, feature, threshold)] = weak.nodes[..] else { return None };
            if left > 0 || right > 0 {
                return None;
            }
            let leaf = |child: i32| weak.leaves.get((-child) as usize).copied();
            let mut rects = [(Corners::new(0, 0, 0, 0, 0), 0.0f32); 3];
            let mut count = 0;
            for &(c, w) in features.get(feature)?.iter().filter(|(_, w)| *w != 0.0) {
                rects[count] = (c, w);
                count += 1;
            }
            stumps.push(ScaledStump { rects, count, threshold, left: leaf(left)?, right: leaf(right)? });
        }
        stages.push((stage.threshold, stumps.len()));
    }
    Some(FlatStumps { stages, stumps })
}

/// [`ScaledCascade::accepts`] for a cascade of stumps: the same sums in
/// the same order, so the same decisions.
#[inline]
fn accepts_stumps(stages: &[(f32, usize)], stumps: &[ScaledStump], ii: &[u32], origin: usize, norm: f32) -> bool {
    let mut start = 0;
    for &(threshold, end) in stages {
        let mut total = 0f32;
        for stump in &stumps[start..end] {
            let mut value = 0f32;
            for (c, w) in &stump.rects[..stump.count] {
                value += c.sum(ii, origin) as f32 * w;
            }
            total += if value < stump.threshold * norm { stump.left } else { stump.right };
        }
        if total < threshold {
            return false;
        }
        start = end;
    }
    true
}

#[derive(Clone, Copy, Debug)]
struct Box4 {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

/// OpenCV's `groupRectangles`: clusters of similar boxes with more than
/// `min_neighbors` members, averaged; boxes inside a stronger one dropped.
/// Largest first, with their member counts.
fn group_rectangles(boxes: &[Box4], min_neighbors: usize, eps: f32) -> Vec<(Box4, usize)> {
    let similar = |a: &Box4, b: &Box4| {
        let delta = eps * (a.w.min(b.w) + a.h.min(b.h)) * 0.5;
        (a.x - b.x).abs() <= delta
            && (a.y - b.y).abs() <= delta
            && (a.x + a.w - b.x - b.w).abs() <= delta
            && (a.y + a.h - b.y - b.h).abs() <= delta
    };
    // Union-find over the similarity relation.
    let mut parent: Vec<usize> = (0..boxes.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..boxes.len() {
        for j in 0..i {
            if similar(&boxes[i], &boxes[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut sums: std::collections::BTreeMap<usize, (Box4, usize)> = Default::default();
    for (i, b) in boxes.iter().enumerate() {
        let r = root(&mut parent, i);
        let e = sums.entry(r).or_insert((Box4 { x: 0.0, y: 0.0, w: 0.0, h: 0.0 }, 0));
        e.0.x += b.x;
        e.0.y += b.y;
        e.0.w += b.w;
        e.0.h += b.h;
        e.1 += 1;
    }
    let clusters: Vec<(Box4, usize)> = sums
        .into_values()
        .filter(|&(_, n)| n > min_neighbors)
        .map(|(s, n)| {
            let k = n as f32;
            (Box4 { x: s.x / k, y: s.y / k, w: s.w / k, h: s.h / k }, n)
        })
        .collect();
    let inside = |a: &Box4, b: &Box4| {
        let (dx, dy) = (b.w * eps, b.h * eps);
        a.x >= b.x - dx && a.y >= b.y - dy && a.x + a.w <= b.x + b.w + dx && a.y + a.h <= b.y + b.h + dy
    };
    let mut kept: Vec<(Box4, usize)> = clusters
        .iter()
        .enumerate()
        .filter(|(i, (a, n))| {
            !clusters.iter().enumerate().any(|(j, (b, m))| *i != j && *m >= (*n).max(3) && b.w > a.w && inside(a, b))
        })
        .map(|(_, c)| *c)
        .collect();
    kept.sort_by(|a, b| (b.0.w * b.0.h).total_cmp(&(a.0.w * a.0.h)));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"<?xml version="1.0"?><opencv_storage><cascade>
      <stageType>BOOST</stageType><featureType>HAAR</featureType><height>4</height><width>4</width>
      <stages><_><maxWeakCount>1</maxWeakCount><stageThreshold>0.5</stageThreshold><weakClassifiers>
        <_><internalNodes>0 -1 0 -0.1</internalNodes><leafValues>1.0 -1.0</leafValues></_>
      </weakClassifiers></_></stages>
      <features><_><rects><_>0 0 4 4 -1.</_><_>0 2 4 2 2.</_></rects></_></features>
    </cascade></opencv_storage>"#;

    #[test]
    fn flat_stumps_decide_as_the_tree_walk_does() {
        // The bundled cascade over a face-like picture (a bright oval with
        // darker eyes and mouth on a gradient), every window at two scales:
        // the flat path and the generic one agree on every window.
        let (w, h) = (120usize, 100usize);
        let luma: Vec<u8> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let inside = ((x - 60.0) / 22.0).powi(2) + ((y - 50.0) / 28.0).powi(2) < 1.0;
                let eye = ((x - 52.0).powi(2) + (y - 42.0).powi(2) < 12.0) || ((x - 68.0).powi(2) + (y - 42.0).powi(2) < 12.0);
                let mouth = (y - 64.0).abs() < 2.0 && (x - 60.0).abs() < 8.0;
                if eye || mouth { 40 } else if inside { 190 } else { (60.0 + x / 3.0) as u8 }
            })
            .collect();
        let integral = Integral::new(&luma, w, h);
        let cascade = &FaceDetector::bundled().unwrap().cascade;
        let mut agreed = 0;
        for (scale, win) in [(1.0f32, 24usize), (1.5, 36)] {
            let flat = ScaledCascade::new(cascade, scale, (win, win), integral.stride);
            assert!(flat.stumps.is_some(), "the bundled cascade is all stumps");
            let mut tree = ScaledCascade::new(cascade, scale, (win, win), integral.stride);
            tree.stumps = None;
            for y in 0..=h - win {
                for x in 0..=w - win {
                    assert_eq!(flat.accepts(&integral, x, y), tree.accepts(&integral, x, y), "at {x},{y} scale {scale}");
                    agreed += 1;
                }
            }
        }
        assert!(agreed > 10_000);
    }

    #[test]
    fn a_tiny_cascade_finds_dark_bottoms() {
        // Feature: 2 * bottom half - whole window < -0.1 * norm, i.e. the
        // bottom is darker than the top.
        let cascade = Cascade::from_xml(TINY).unwrap();
        assert_eq!((cascade.window_width(), cascade.window_height(), cascade.stages()), (4, 4, 1));
        let mut picture = vec![200u8; 16 * 16];
        for y in 8..16 {
            for x in 0..16 {
                picture[y * 16 + x] = 20;
            }
        }
        let integral = Integral::new(&picture, 16, 16);
        let scaled = ScaledCascade::new(&cascade, 1.0, (4, 4), integral.stride);
        assert!(scaled.accepts(&integral, 0, 6), "straddles the edge, dark below");
        assert!(!scaled.accepts(&integral, 0, 0), "flat bright");
        assert!(!scaled.accepts(&integral, 0, 12), "flat dark");
    }

    #[test]
    fn broken_cascades_are_typed_errors() {
        assert!(matches!(Cascade::from_xml("<a"), Err(CascadeError::Xml(_))));
        assert!(matches!(Cascade::from_xml("<opencv_storage/>"), Err(CascadeError::Missing(_))));
        let lbp = TINY.replace("HAAR", "LBP");
        assert!(matches!(Cascade::from_xml(&lbp), Err(CascadeError::Unsupported(_))));
        let outside = TINY.replace("0 2 4 2 2.", "0 2 4 9 2.");
        assert!(matches!(Cascade::from_xml(&outside), Err(CascadeError::OutOfRange(_))));
        let bad_feature = TINY.replace("0 -1 0 -0.1", "0 -1 7 -0.1");
        assert!(matches!(Cascade::from_xml(&bad_feature), Err(CascadeError::OutOfRange(_))));
        let nan = TINY.replace("0.5</stageThreshold>", "x</stageThreshold>");
        assert!(matches!(Cascade::from_xml(&nan), Err(CascadeError::BadNumber(_))));
    }

    #[test]
    fn grouping_needs_neighbours_and_averages() {
        let b = |x: f32| Box4 { x, y: 10.0, w: 40.0, h: 40.0 };
        let groups = group_rectangles(&[b(10.0), b(12.0), b(14.0), b(11.0), b(200.0)], 3, 0.2);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].1, 4);
        assert!((groups[0].0.x - 11.75).abs() < 1e-4);
        assert!(group_rectangles(&[b(10.0), b(12.0), b(14.0)], 3, 0.2).is_empty());
    }
}
