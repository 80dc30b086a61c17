//! The assignment kernels: each point's nearest centre and its margin
//! (distance to the second-nearest minus distance to the nearest), eight
//! points at a time in vector lanes against every centre
//! ([`Kernels::block`]), the test of eight bounds against a limit
//! ([`Kernels::at_most`]), and the seeding's potential of a candidate
//! centre ([`Kernels::potential`]). Each has a scalar reference, and AVX2 twins
//! chosen at run time that compute the very same numbers: the squared
//! distance is `dr * dr + dg * dg + db * db`, rounded after each operation
//! in that order (no fused multiply-add), "nearest" is the first of
//! equals, and square roots are correctly rounded, so every variant
//! returns bit-identical results (tested on random inputs).

use super::sample::{distance2, Point};
use asp_core::CpuFeatures;

/// Points per block.
pub(super) const LANES: usize = 8;

/// For each of eight points, the index of its nearest centre and its
/// margin: `sqrt(second) - sqrt(best)` of the squared distances to the
/// nearest and the second-nearest centre (infinite with one centre); and
/// `best` itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Nearest8 {
    pub label: [u16; LANES],
    pub margin: [f32; LANES],
    pub best: [f32; LANES],
}

/// The kernels for this CPU, chosen once.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kernels {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernels {
    /// The fastest kernels `cpu` allows on this CPU: AVX2 needs AVX2 and
    /// POPCNT.
    pub fn new(cpu: CpuFeatures) -> Kernels {
        #[cfg(target_arch = "x86_64")]
        if cpu.masked(CpuFeatures::host()).contains(CpuFeatures::AVX2.union(CpuFeatures::POPCNT)) {
            return Kernels::Avx2;
        }
        let _ = cpu;
        Kernels::Scalar
    }

    /// The eight points `(r[i], g[i], b[i])` against every centre.
    #[inline(always)]
    pub fn block(self, r: &[f32; LANES], g: &[f32; LANES], b: &[f32; LANES], centres: &[Point]) -> Nearest8 {
        match self {
            Kernels::Scalar => block_scalar(r, g, b, centres),
            // SAFETY: `Avx2` is only made when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => unsafe { avx2::block(r, g, b, centres) },
        }
    }

    /// The sum over the points of `weights[i] * min(near[i], |point i -
    /// c|²)`, the points given channel by channel (see
    /// [`potential_scalar`] for the order of the additions).
    #[inline(always)]
    pub fn potential(self, channels: [&[f32]; 3], near: &[f32], weights: &[f32], c: &Point) -> f64 {
        match self {
            Kernels::Scalar => potential_scalar(channels, near, weights, c),
            // SAFETY: `Avx2` is only made when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => unsafe { avx2::potential(channels, near, weights, c) },
        }
    }

    /// A bit per bound at most `limit`, bit `l` for `bounds[l]`.
    #[inline(always)]
    pub fn at_most(self, bounds: &[f32; LANES], limit: f32) -> u32 {
        match self {
            Kernels::Scalar => at_most_scalar(bounds, limit),
            // SAFETY: `Avx2` is only made when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => unsafe { avx2::at_most(bounds, limit) },
        }
    }

}

/// Scalar reference of [`Kernels::potential`]: eight running f32 sums,
/// lane `l` taking the points `8j + l`, the points past the last eight in
/// one more, all added in f64 (lanes in order, then that one).
#[inline(always)]
pub(super) fn potential_scalar(channels: [&[f32]; 3], near: &[f32], weights: &[f32], c: &Point) -> f64 {
    let [r, g, b] = channels;
    let n = near.len().min(weights.len()).min(r.len()).min(g.len()).min(b.len());
    let whole = n - n % LANES;
    let mut lanes = [0f32; LANES];
    for i in 0..whole {
        let e = distance2(&[r[i], g[i], b[i]], c);
        lanes[i % LANES] += weights[i] * if e < near[i] { e } else { near[i] };
    }
    let mut tail = 0f32;
    for i in whole..n {
        let e = distance2(&[r[i], g[i], b[i]], c);
        tail += weights[i] * if e < near[i] { e } else { near[i] };
    }
    lanes.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
}

/// Scalar reference of [`Kernels::block`].
#[inline(always)]
pub(super) fn block_scalar(r: &[f32; LANES], g: &[f32; LANES], b: &[f32; LANES], centres: &[Point]) -> Nearest8 {
    let mut out = Nearest8 { label: [0; LANES], margin: [0.0; LANES], best: [0.0; LANES] };
    for l in 0..LANES {
        let (label, best, second) = point_scalar(&[r[l], g[l], b[l]], centres);
        out.label[l] = label;
        out.margin[l] = second.sqrt() - best.sqrt();
        out.best[l] = best;
    }
    out
}

/// Scalar reference of [`Kernels::at_most`].
#[inline(always)]
pub(super) fn at_most_scalar(bounds: &[f32; LANES], limit: f32) -> u32 {
    bounds.iter().enumerate().fold(0, |mask, (l, &v)| mask | (u32::from(v <= limit) << l))
}

/// One point against every centre: (the index of the nearest, the
/// squared distances to the nearest and to the second-nearest).
#[inline(always)]
pub(super) fn point_scalar(p: &Point, centres: &[Point]) -> (u16, f32, f32) {
    let (mut best, mut second, mut label) = (f32::INFINITY, f32::INFINITY, 0u16);
    for (i, c) in centres.iter().enumerate() {
        let e = distance2(p, c);
        if e < best {
            second = best;
            best = e;
            label = i as u16;
        } else if e < second {
            second = e;
        }
    }
    (label, best, second)
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{Nearest8, Point, LANES};

    /// [`super::block_scalar`] in AVX2: a lane per point. With `e` the
    /// new distance, `best' = min(e, best)` and `second' = min(max(e,
    /// best), second)` are the reference's updates (`best <= second`
    /// throughout; `_mm256_min_ps(a, b)` is `a < b ? a : b`).
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn block(r: &[f32; LANES], g: &[f32; LANES], b: &[f32; LANES], centres: &[Point]) -> Nearest8 {
        // SAFETY (the loads and stores): eight f32 in each array.
        let (pr, pg, pb) = unsafe { (_mm256_loadu_ps(r.as_ptr()), _mm256_loadu_ps(g.as_ptr()), _mm256_loadu_ps(b.as_ptr())) };
        let mut best = _mm256_set1_ps(f32::INFINITY);
        let mut second = best;
        let mut label = _mm256_setzero_si256();
        for (i, c) in centres.iter().enumerate() {
            let dr = _mm256_sub_ps(pr, _mm256_set1_ps(c[0]));
            let dg = _mm256_sub_ps(pg, _mm256_set1_ps(c[1]));
            let db = _mm256_sub_ps(pb, _mm256_set1_ps(c[2]));
            let e = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(dr, dr), _mm256_mul_ps(dg, dg)), _mm256_mul_ps(db, db));
            let closer = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(e, best));
            second = _mm256_min_ps(_mm256_max_ps(e, best), second);
            best = _mm256_min_ps(e, best);
            label = _mm256_blendv_epi8(label, _mm256_set1_epi32(i as i32), closer);
        }
        let margin = _mm256_sub_ps(_mm256_sqrt_ps(second), _mm256_sqrt_ps(best));
        // Labels below 2^16: packing with unsigned saturation keeps them.
        let label = _mm_packus_epi32(_mm256_castsi256_si128(label), _mm256_extracti128_si256::<1>(label));
        let mut out = Nearest8 { label: [0; LANES], margin: [0.0; LANES], best: [0.0; LANES] };
        // SAFETY: eight u16 and eight f32.
        unsafe {
            _mm_storeu_si128(out.label.as_mut_ptr().cast(), label);
            _mm256_storeu_ps(out.margin.as_mut_ptr(), margin);
            _mm256_storeu_ps(out.best.as_mut_ptr(), best);
        }
        out
    }

    /// [`super::potential_scalar`] in AVX2: the eight running sums are the
    /// lanes of one register.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn potential(channels: [&[f32]; 3], near: &[f32], weights: &[f32], c: &Point) -> f64 {
        let [r, g, b] = channels;
        let n = near.len().min(weights.len()).min(r.len()).min(g.len()).min(b.len());
        let whole = n - n % LANES;
        let (cr, cg, cb) = (_mm256_set1_ps(c[0]), _mm256_set1_ps(c[1]), _mm256_set1_ps(c[2]));
        let mut lanes = _mm256_setzero_ps();
        for i in (0..whole).step_by(LANES) {
            // SAFETY: i + 8 <= n, within every slice.
            let (pr, pg, pb, d, w) = unsafe {
                (
                    _mm256_loadu_ps(r.as_ptr().add(i)),
                    _mm256_loadu_ps(g.as_ptr().add(i)),
                    _mm256_loadu_ps(b.as_ptr().add(i)),
                    _mm256_loadu_ps(near.as_ptr().add(i)),
                    _mm256_loadu_ps(weights.as_ptr().add(i)),
                )
            };
            let (dr, dg, db) = (_mm256_sub_ps(pr, cr), _mm256_sub_ps(pg, cg), _mm256_sub_ps(pb, cb));
            let e = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(dr, dr), _mm256_mul_ps(dg, dg)), _mm256_mul_ps(db, db));
            // `e < near ? e : near`, as in the reference.
            lanes = _mm256_add_ps(lanes, _mm256_mul_ps(w, _mm256_min_ps(e, d)));
        }
        let mut sums = [0f32; LANES];
        // SAFETY: eight f32.
        unsafe { _mm256_storeu_ps(sums.as_mut_ptr(), lanes) };
        let mut tail = 0f32;
        for i in whole..n {
            let e = super::distance2(&[r[i], g[i], b[i]], c);
            tail += weights[i] * if e < near[i] { e } else { near[i] };
        }
        sums.iter().map(|&l| f64::from(l)).sum::<f64>() + f64::from(tail)
    }

    /// [`super::at_most_scalar`] in AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn at_most(bounds: &[f32; LANES], limit: f32) -> u32 {
        // SAFETY: eight f32.
        let v = unsafe { _mm256_loadu_ps(bounds.as_ptr()) };
        _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v, _mm256_set1_ps(limit))) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::kmeans::sample::SplitMix64;

    /// Random centres and points, with repeated centres and points on
    /// centres (ties), integer and fractional positions.
    fn case(rng: &mut SplitMix64, k: usize) -> (Vec<Point>, Vec<Point>) {
        let coord = |rng: &mut SplitMix64| {
            if rng.below(2) == 0 {
                rng.below(256) as f32
            } else {
                (rng.unit() * 255.0) as f32
            }
        };
        let mut centres: Vec<Point> = (0..k).map(|_| [coord(rng), coord(rng), coord(rng)]).collect();
        if k > 2 {
            centres[k - 1] = centres[rng.below(k - 1)];
        }
        let points = (0..LANES * 5)
            .map(|i| if i % 7 == 0 { centres[rng.below(k)] } else { [coord(rng), coord(rng), coord(rng)] })
            .collect();
        (centres, points)
    }

    /// The kernels at every level of this CPU's features (checkasm's way).
    fn every_kernels() -> Vec<Kernels> {
        let all: Vec<Kernels> = CpuFeatures::host().levels().map(Kernels::new).collect();
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
            assert!(all.iter().any(|k| matches!(k, Kernels::Avx2)), "the AVX2 kernels must be tested");
        }
        all
    }

    #[test]
    fn every_kernel_gives_the_scalar_results() {
        for kernels in every_kernels() {
            let mut rng = SplitMix64(7);
            for round in 0..300 {
                let k = [1, 2, 3, 7, 8, 9, 16, 17, 40, 64, 256][round % 11];
                let (centres, points) = case(&mut rng, k);
                for block in points.chunks_exact(LANES) {
                    let r: [f32; LANES] = std::array::from_fn(|l| block[l][0]);
                    let g: [f32; LANES] = std::array::from_fn(|l| block[l][1]);
                    let b: [f32; LANES] = std::array::from_fn(|l| block[l][2]);
                    let want = block_scalar(&r, &g, &b, &centres);
                    let got = kernels.block(&r, &g, &b, &centres);
                    // Bit for bit (infinite margins with one centre).
                    assert_eq!(got.label, want.label, "k {k}");
                    assert_eq!(got.margin.map(f32::to_bits), want.margin.map(f32::to_bits), "k {k}");
                    assert_eq!(got.best.map(f32::to_bits), want.best.map(f32::to_bits), "k {k}");
                    for (l, p) in block.iter().enumerate() {
                        let (label, best, second) = point_scalar(p, &centres);
                        assert_eq!((label, second.sqrt() - best.sqrt()), (want.label[l], want.margin[l]));
                        let limit = want.margin[l];
                        assert_eq!(kernels.at_most(&want.margin, limit), at_most_scalar(&want.margin, limit));
                    }
                }
            }
        }
    }

    #[test]
    fn the_potential_kernels_agree() {
        for kernels in every_kernels() {
            let mut rng = SplitMix64(11);
            for n in [0usize, 1, 7, 8, 9, 63, 700, 1024] {
                let (centres, points) = case(&mut rng, 3);
                let points: Vec<Point> = points.iter().cycle().take(n).copied().collect();
                let channels: [Vec<f32>; 3] = std::array::from_fn(|c| points.iter().map(|p| p[c]).collect());
                let near: Vec<f32> = (0..n).map(|i| if i % 5 == 0 { 0.0 } else { (rng.unit() * 30000.0) as f32 }).collect();
                let weights: Vec<f32> = (0..n).map(|i| (1 + i % 9) as f32).collect();
                let channels = [&channels[0][..], &channels[1][..], &channels[2][..]];
                let want = potential_scalar(channels, &near, &weights, &centres[0]);
                let got = kernels.potential(channels, &near, &weights, &centres[0]);
                assert_eq!(got.to_bits(), want.to_bits(), "n {n}");
                let direct: f64 = (0..n)
                    .map(|i| {
                        let e = distance2(&points[i], &centres[0]);
                        f64::from(weights[i]) * f64::from(e.min(near[i]))
                    })
                    .sum();
                assert!((got - direct).abs() <= 1e-5 * direct.max(1.0), "n {n}: {got} vs {direct}");
            }
        }
    }

    #[test]
    fn the_scalar_kernel_is_the_first_nearest_and_the_next() {
        let centres = [[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0]];
        assert_eq!(point_scalar(&[1.0, 0.0, 0.0], &centres), (0, 1.0, 1.0));
        assert_eq!(point_scalar(&[2.0, 0.0, 0.0], &centres), (3, 1.0, 4.0));
        assert_eq!(point_scalar(&[9.0, 0.0, 0.0], &centres[..1]), (0, 81.0, f32::INFINITY));
    }
}
