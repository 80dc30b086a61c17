//! Median-cut colour palette (Heckbert): boxes in RGB space split at the
//! median of their longest side until there are enough of them.
//!
//! Every pixel is counted once into a 15-bit histogram (5 bits a channel,
//! keeping each bin's exact colour sums), so the cost after that one pass
//! depends on the number of distinct bins, not on the picture size. The
//! box to split next is the one with the largest pixel count times longest
//! side; each box's colour is the exact mean of its pixels, its weight its
//! share of them.

use super::{AnalysisError, Image, Palette, MAX_COLORS};

const BITS: u32 = 5;
const BINS: usize = 1 << (3 * BITS);

/// A histogram bin: how many pixels fell in and their channel sums.
#[derive(Clone, Copy, Default)]
struct Bin {
    count: u32,
    sum: [u64; 3],
}

impl Bin {
    fn mean(&self) -> [f32; 3] {
        let n = self.count.max(1) as f32;
        self.sum.map(|s| s as f32 / n)
    }
}

/// A box: a run of `bins` (sorted as the last split left them).
struct ColorBox {
    start: usize,
    end: usize,
    count: u64,
    /// Longest side's channel and its length, in bin-mean units.
    axis: usize,
    extent: f32,
}

/// The palette of `image` by median cut (see the [module docs](self)).
/// Fewer distinct colours than asked gives a shorter palette.
pub fn median_cut_palette(image: &Image<'_>, colors: usize) -> Result<Palette, AnalysisError> {
    if colors == 0 || colors > MAX_COLORS {
        return Err(AnalysisError::BadColorCount(colors));
    }
    let bins = histogram(image);
    let mut boxes = vec![make_box(&bins, 0, bins.len())];
    let mut sorted_bins = bins;
    while boxes.len() < colors {
        let Some(i) = boxes
            .iter()
            .enumerate()
            .filter(|(_, b)| b.end - b.start > 1 && b.extent > 0.0)
            .max_by(|a, b| (a.1.count as f32 * a.1.extent).total_cmp(&(b.1.count as f32 * b.1.extent)))
            .map(|(i, _)| i)
        else {
            break;
        };
        let (a, b) = split(&mut sorted_bins, &boxes[i]);
        boxes[i] = a;
        boxes.push(b);
    }
    let total: u64 = boxes.iter().map(|b| b.count).sum();
    let (colors, weights) = boxes
        .iter()
        .map(|b| {
            let mut sum = [0u64; 3];
            for bin in &sorted_bins[b.start..b.end] {
                for (total, part) in sum.iter_mut().zip(bin.sum) {
                    *total += part;
                }
            }
            let colour = sum.map(|s| ((s as f64 / b.count as f64).round()).clamp(0.0, 255.0) as u8);
            (colour, (b.count as f64 / total as f64) as f32)
        })
        .unzip();
    Ok(Palette { colors, weights }.sorted())
}

/// The non-empty bins of the picture's 15-bit histogram.
fn histogram(image: &Image<'_>) -> Vec<Bin> {
    let mut hist = vec![Bin::default(); BINS];
    let shift = 8 - BITS;
    image.for_each_rgb(|[r, g, b]| {
        let i = (usize::from(r >> shift) << (2 * BITS)) | (usize::from(g >> shift) << BITS) | usize::from(b >> shift);
        let bin = &mut hist[i];
        bin.count += 1;
        bin.sum[0] += u64::from(r);
        bin.sum[1] += u64::from(g);
        bin.sum[2] += u64::from(b);
    });
    hist.retain(|b| b.count > 0);
    hist
}

fn make_box(bins: &[Bin], start: usize, end: usize) -> ColorBox {
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    let mut count = 0u64;
    for bin in &bins[start..end] {
        let m = bin.mean();
        for c in 0..3 {
            lo[c] = lo[c].min(m[c]);
            hi[c] = hi[c].max(m[c]);
        }
        count += u64::from(bin.count);
    }
    let (axis, extent) = (0..3).map(|c| (c, hi[c] - lo[c])).fold((0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    ColorBox { start, end, count, axis, extent }
}

/// Splits a box at the pixel median along its longest side.
fn split(bins: &mut [Bin], b: &ColorBox) -> (ColorBox, ColorBox) {
    let axis = b.axis;
    let run = &mut bins[b.start..b.end];
    run.sort_unstable_by(|x, y| x.mean()[axis].total_cmp(&y.mean()[axis]));
    let half = b.count / 2;
    let mut seen = 0u64;
    let mut cut = 1;
    for (i, bin) in run.iter().enumerate() {
        seen += u64::from(bin.count);
        if seen >= half {
            cut = i + 1;
            break;
        }
    }
    // Both halves keep at least one bin.
    let cut = b.start + cut.clamp(1, run.len() - 1);
    (make_box(bins, b.start, cut), make_box(bins, cut, b.end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::tests_support::blocks_of;

    #[test]
    fn recovers_known_colours_and_their_shares() {
        let colours = [[200, 30, 40], [20, 180, 60], [30, 40, 220], [240, 240, 240], [90, 90, 10]];
        let shares = [0.3, 0.25, 0.2, 0.15, 0.1];
        let (w, h, rgb) = blocks_of(&colours, &shares, 120);
        let image = Image::rgb(&rgb, w, h).unwrap();
        let p = median_cut_palette(&image, 5).unwrap();
        assert_eq!(p.colors.len(), 5);
        for (c, s) in colours.iter().zip(shares) {
            let i = p.colors.iter().position(|q| q == c).unwrap_or_else(|| panic!("{c:?} not in {:?}", p.colors));
            assert!((p.weights[i] - s).abs() < 0.01, "{:?}", p.weights);
        }
        assert!((p.weights.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn mean_colour_of_one_box_and_short_palettes() {
        let rgb = [[0u8, 0, 0], [255, 255, 255]].concat().repeat(8);
        let image = Image::rgb(&rgb, 4, 4).unwrap();
        let one = median_cut_palette(&image, 1).unwrap();
        assert_eq!(one.colors, vec![[128, 128, 128]]);
        let many = median_cut_palette(&image, 16).unwrap();
        assert_eq!(many.colors.len(), 2);
        assert_eq!(many.weights, vec![0.5, 0.5]);
        assert!(matches!(median_cut_palette(&image, 0), Err(AnalysisError::BadColorCount(0))));
    }
}
