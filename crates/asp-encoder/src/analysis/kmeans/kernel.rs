//! The assignment kernels: the nearest and second-nearest centre of
//! points, in vector lanes.
//!
//! Two shapes: [`Kernels::block`] takes eight points against every centre
//! (a lane per point; the full passes), [`Kernels::point`] one point
//! against every centre (a lane per centre; the few points whose bounds
//! do not prove they stay). Each has a scalar reference, and AVX2 twins
//! chosen at run time that compute the very same numbers: the squared
//! distance is `dr * dr + dg * dg + db * db`, rounded after each operation
//! in that order (no fused multiply-add), and "nearest" is the first of
//! equals, so every variant returns bit-identical results (tested on
//! random inputs).

use super::sample::{distance2, Point};

/// Points per block.
pub(super) const LANES: usize = 8;

/// The nearest centre's index and the squared distances to the nearest
/// and the second-nearest, for each of eight points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Nearest8 {
    pub label: [u32; LANES],
    pub best: [f32; LANES],
    pub second: [f32; LANES],
}

/// The centres channel by channel, padded to a multiple of eight with
/// centres at infinity (never nearest, never second unless there is one
/// centre only), for the one-point kernel.
pub(super) struct CentreLanes {
    channels: [Vec<f32>; 3],
}

impl CentreLanes {
    pub fn of(centres: &[Point]) -> CentreLanes {
        let padded = centres.len().div_ceil(LANES).max(1) * LANES;
        let channels =
            [0, 1, 2].map(|c| (0..padded).map(|i| centres.get(i).map_or(f32::INFINITY, |p| p[c])).collect());
        CentreLanes { channels }
    }
}

/// The kernels for this CPU, chosen once.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kernels {
    Scalar,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernels {
    /// The fastest kernels this CPU runs.
    pub fn detect() -> Kernels {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernels::Avx2;
        }
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

    /// One point against every centre: (nearest index, its squared
    /// distance, the second-nearest's).
    #[inline(always)]
    pub fn point(self, p: &Point, centres: &[Point], lanes: &CentreLanes) -> (u16, f32, f32) {
        match self {
            Kernels::Scalar => point_scalar(p, centres),
            // SAFETY: `Avx2` is only made when the CPU has AVX2.
            #[cfg(target_arch = "x86_64")]
            Kernels::Avx2 => unsafe { avx2::point(p, lanes) },
        }
    }
}

/// Scalar reference of [`Kernels::block`].
#[inline(always)]
pub(super) fn block_scalar(r: &[f32; LANES], g: &[f32; LANES], b: &[f32; LANES], centres: &[Point]) -> Nearest8 {
    let mut out = Nearest8 { label: [0; LANES], best: [f32::INFINITY; LANES], second: [f32::INFINITY; LANES] };
    for l in 0..LANES {
        let (label, best, second) = point_scalar(&[r[l], g[l], b[l]], centres);
        out.label[l] = u32::from(label);
        out.best[l] = best;
        out.second[l] = second;
    }
    out
}

/// Scalar reference of [`Kernels::at_most`].
#[inline(always)]
pub(super) fn at_most_scalar(bounds: &[f32; LANES], limit: f32) -> u32 {
    bounds.iter().enumerate().fold(0, |mask, (l, &v)| mask | (u32::from(v <= limit) << l))
}

/// Scalar reference of [`Kernels::point`].
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

    use super::{CentreLanes, Nearest8, Point, LANES};

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
        let mut out = Nearest8 { label: [0; LANES], best: [0.0; LANES], second: [0.0; LANES] };
        unsafe {
            _mm256_storeu_si256(out.label.as_mut_ptr().cast(), label);
            _mm256_storeu_ps(out.best.as_mut_ptr(), best);
            _mm256_storeu_ps(out.second.as_mut_ptr(), second);
        }
        out
    }

    /// [`super::at_most_scalar`] in AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn at_most(bounds: &[f32; LANES], limit: f32) -> u32 {
        // SAFETY: eight f32.
        let v = unsafe { _mm256_loadu_ps(bounds.as_ptr()) };
        _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_LE_OQ>(v, _mm256_set1_ps(limit))) as u32
    }

    /// The minimum of the eight lanes, in every lane.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn all_min(v: __m256) -> __m256 {
        let v = _mm256_min_ps(v, _mm256_permute2f128_ps::<1>(v, v));
        let v = _mm256_min_ps(v, _mm256_permute_ps::<0b0100_1110>(v));
        _mm256_min_ps(v, _mm256_permute_ps::<0b1011_0001>(v))
    }

    /// [`super::point_scalar`] in AVX2: a lane per centre, eight centres
    /// at a time (the lanes keep the best two of their centres, as in
    /// [`block`]), then the nearest is the lowest index among the lanes at
    /// the least distance, and the second-nearest is the least of the
    /// other lanes' bests and every lane's second.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn point(p: &Point, lanes: &CentreLanes) -> (u16, f32, f32) {
        let (pr, pg, pb) = (_mm256_set1_ps(p[0]), _mm256_set1_ps(p[1]), _mm256_set1_ps(p[2]));
        let [cr, cg, cb] = &lanes.channels;
        let mut best = _mm256_set1_ps(f32::INFINITY);
        let mut second = best;
        let mut label = _mm256_setzero_si256();
        let mut index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        for at in (0..cr.len()).step_by(LANES) {
            // SAFETY: the lanes are a multiple of eight long.
            let (lr, lg, lb) = unsafe {
                (_mm256_loadu_ps(cr.as_ptr().add(at)), _mm256_loadu_ps(cg.as_ptr().add(at)), _mm256_loadu_ps(cb.as_ptr().add(at)))
            };
            let (dr, dg, db) = (_mm256_sub_ps(pr, lr), _mm256_sub_ps(pg, lg), _mm256_sub_ps(pb, lb));
            let e = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(dr, dr), _mm256_mul_ps(dg, dg)), _mm256_mul_ps(db, db));
            let closer = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_LT_OQ>(e, best));
            second = _mm256_min_ps(_mm256_max_ps(e, best), second);
            best = _mm256_min_ps(e, best);
            label = _mm256_blendv_epi8(label, index, closer);
            index = _mm256_add_epi32(index, _mm256_set1_epi32(LANES as i32));
        }
        let least = all_min(best);
        let at_least = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_EQ_OQ>(best, least));
        // The lowest index among the lanes at the least distance: the
        // others are set to i32::MAX, then an integer minimum.
        let candidates = _mm256_blendv_epi8(_mm256_set1_epi32(i32::MAX), label, at_least);
        let m = _mm256_min_epi32(candidates, _mm256_permute2x128_si256::<1>(candidates, candidates));
        let m = _mm256_min_epi32(m, _mm256_shuffle_epi32::<0b0100_1110>(m));
        let m = _mm256_min_epi32(m, _mm256_shuffle_epi32::<0b1011_0001>(m));
        let nearest = _mm256_cvtsi256_si32(m);
        // The second: every lane's second, and the bests of the lanes
        // other than the nearest's.
        let own = _mm256_castsi256_ps(_mm256_cmpeq_epi32(label, m));
        let others = _mm256_blendv_ps(best, _mm256_set1_ps(f32::INFINITY), own);
        let second = all_min(_mm256_min_ps(others, second));
        (nearest as u16, _mm256_cvtss_f32(least), _mm256_cvtss_f32(second))
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

    #[test]
    fn every_kernel_gives_the_scalar_results() {
        let kernels = Kernels::detect();
        let mut rng = SplitMix64(7);
        for round in 0..300 {
            let k = [1, 2, 3, 7, 8, 9, 16, 17, 40, 64, 256][round % 11];
            let (centres, points) = case(&mut rng, k);
            let lanes = CentreLanes::of(&centres);
            for block in points.chunks_exact(LANES) {
                let r: [f32; LANES] = std::array::from_fn(|l| block[l][0]);
                let g: [f32; LANES] = std::array::from_fn(|l| block[l][1]);
                let b: [f32; LANES] = std::array::from_fn(|l| block[l][2]);
                let want = block_scalar(&r, &g, &b, &centres);
                assert_eq!(kernels.block(&r, &g, &b, &centres), want, "k {k}");
                let limit = want.best[0];
                assert_eq!(kernels.at_most(&want.best, limit), at_most_scalar(&want.best, limit));
                assert_eq!(kernels.at_most(&want.second, limit), at_most_scalar(&want.second, limit));
                for (l, p) in block.iter().enumerate() {
                    let got = kernels.point(p, &centres, &lanes);
                    assert_eq!(got, (want.label[l] as u16, want.best[l], want.second[l]), "k {k}, {p:?}");
                }
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
