//! Bit-neutral QP offsets: the regions get finer, the rest coarser, by
//! amounts chosen so that the frame's estimated bits stay where they were.
//!
//! Balancing by area (as many QP steps out as in, macroblock for
//! macroblock) does not keep the bits: the regions are usually the
//! expensive part of the picture (moving objects, text), and coarser QP on
//! static background that is skipped anyway saves nothing. The rate
//! controller then raises the whole frame's QP to stay on budget and the
//! regions end up no sharper. Here each macroblock's cost is estimated
//! (bits ≈ cost · 2^(−QP/6), the quantiser step doubling every 6 QP), and
//! the outside offset is the one whose savings pay for the regions' extra
//! bits; if even the largest outside offset cannot pay, the regions'
//! offset is made less negative until it can.

/// The coarsest the outside of the regions gets (QP steps).
pub const MAX_OUTSIDE_OFFSET: i8 = 6;

/// Each macroblock's coding cost estimate, for a `mb_cols` x `mb_rows`
/// frame whose luma is `luma` (`width` x `height`, tightly packed): the
/// cheaper of its texture (sum of absolute deviations from its mean: what
/// intra coding pays for) and its change from `previous` (sum of absolute
/// differences: what a still inter prediction leaves), plus a floor for
/// the headers every macroblock pays.
pub fn macroblock_costs(
    luma: &[u8],
    previous: Option<&[u8]>,
    width: usize,
    height: usize,
    mb_cols: usize,
    mb_rows: usize,
) -> Vec<f32> {
    const MB: usize = 16;
    const FLOOR: f32 = 64.0;
    let previous = previous.filter(|p| p.len() == luma.len());
    let mut costs = Vec::with_capacity(mb_cols * mb_rows);
    for my in 0..mb_rows {
        for mx in 0..mb_cols {
            let (x0, y0) = (mx * MB, my * MB);
            let (x1, y1) = ((x0 + MB).min(width), (y0 + MB).min(height));
            if x0 >= x1 || y0 >= y1 {
                costs.push(FLOOR);
                continue;
            }
            let rows = || (y0..y1).map(|y| y * width);
            let n = ((x1 - x0) * (y1 - y0)) as u32;
            let sum: u32 = rows().map(|r| luma[r + x0..r + x1].iter().map(|&v| u32::from(v)).sum::<u32>()).sum();
            let mean = ((sum + n / 2) / n) as i32;
            let texture: u32 = rows()
                .map(|r| luma[r + x0..r + x1].iter().map(|&v| (i32::from(v) - mean).unsigned_abs()).sum::<u32>())
                .sum();
            let change = previous.map_or(u32::MAX, |p| {
                rows()
                    .map(|r| {
                        luma[r + x0..r + x1].iter().zip(&p[r + x0..r + x1]).map(|(&a, &b)| u32::from(a.abs_diff(b))).sum::<u32>()
                    })
                    .sum()
            });
            costs.push(texture.min(change) as f32 + FLOOR);
        }
    }
    costs
}

/// Offsets for the macroblocks `inside` (the regions) and the others, at
/// most `roi_offset` finer inside, with the estimated bits of `costs`
/// unchanged (see the [module docs](self)). Empty when nothing is inside,
/// everything is, or the outside cannot pay for even one step.
pub fn balanced_offsets(inside: &[bool], costs: &[f32], roi_offset: i8) -> Vec<i8> {
    let (mut cost_in, mut cost_out) = (0f64, 0f64);
    for (&i, &c) in inside.iter().zip(costs) {
        if i {
            cost_in += f64::from(c);
        } else {
            cost_out += f64::from(c);
        }
    }
    if cost_in <= 0.0 || cost_out <= 0.0 || roi_offset >= 0 {
        return Vec::new();
    }
    let gain = |offset: i8| 2f64.powf(-f64::from(offset) / 6.0);
    // The most bits the outside can give back, at the coarsest offset.
    let spare = cost_out * (1.0 - gain(MAX_OUTSIDE_OFFSET));
    let mut offset_in = roi_offset;
    while offset_in < 0 && cost_in * (gain(offset_in) - 1.0) > spare {
        offset_in += 1;
    }
    if offset_in == 0 {
        return Vec::new();
    }
    let extra = cost_in * (gain(offset_in) - 1.0);
    let offset_out = (-6.0 * (1.0 - extra / cost_out).log2()).round().clamp(0.0, f64::from(MAX_OUTSIDE_OFFSET)) as i8;
    inside.iter().map(|&i| if i { offset_in } else { offset_out }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Estimated bits of `costs` at `offsets` relative to offset 0.
    fn relative_bits(costs: &[f32], offsets: &[i8]) -> f64 {
        let at = |c: f32, o: i8| f64::from(c) * 2f64.powf(-f64::from(o) / 6.0);
        let before: f64 = costs.iter().map(|&c| at(c, 0)).sum();
        let after: f64 = costs.iter().zip(offsets).map(|(&c, &o)| at(c, o)).sum();
        after / before
    }

    #[test]
    fn cheap_regions_in_an_expensive_frame_get_the_full_offset() {
        // 4 of 16 macroblocks inside, all equally costly.
        let inside: Vec<bool> = (0..16).map(|i| i < 4).collect();
        let costs = vec![1000.0; 16];
        let offsets = balanced_offsets(&inside, &costs, -3);
        assert_eq!(&offsets[..4], &[-3; 4]);
        assert!(offsets[4..].iter().all(|&o| o == 1), "{offsets:?}");
        let r = relative_bits(&costs, &offsets);
        assert!((r - 1.0).abs() < 0.05, "bits kept within 5 %: {r}");
    }

    #[test]
    fn expensive_regions_in_a_cheap_frame_get_what_the_rest_can_pay() {
        // The regions hold almost all the cost: the outside cannot pay
        // for -6, so the regions' offset shrinks, and the bits stay.
        let inside: Vec<bool> = (0..16).map(|i| i < 4).collect();
        let costs: Vec<f32> = (0..16).map(|i| if i < 4 { 2000.0 } else { 400.0 }).collect();
        let offsets = balanced_offsets(&inside, &costs, -6);
        assert_eq!((offsets[0], offsets[15]), (-2, 5), "{offsets:?}");
        let r = relative_bits(&costs, &offsets);
        assert!((r - 1.0).abs() < 0.06, "bits kept within 6 %: {r}");
        // Everything inside, or a free outside: nothing to trade.
        assert!(balanced_offsets(&[true; 4], &[1.0; 4], -3).is_empty());
        assert!(balanced_offsets(&[true, false], &[1000.0, 0.0], -3).is_empty());
        assert!(balanced_offsets(&[true, false], &[1000.0, 10.0], -3).is_empty(), "cannot pay one step");
    }

    #[test]
    fn costs_follow_texture_and_change() {
        let (w, h) = (32, 16);
        // Left macroblock flat, right one a checkerboard.
        let luma: Vec<u8> = (0..w * h).map(|i| if i % w >= 16 && (i % w + i / w) % 2 == 0 { 200 } else { 50 }).collect();
        let costs = macroblock_costs(&luma, None, w, h, 2, 1);
        assert!(costs[1] > 100.0 * costs[0] / 2.0, "{costs:?}");
        // Unchanged from the previous frame: only the floor is left.
        let still = macroblock_costs(&luma, Some(&luma), w, h, 2, 1);
        assert_eq!(still, vec![64.0, 64.0]);
    }
}
