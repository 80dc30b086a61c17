//! x86-64 SSE2 twin of the interior chroma blend (`blend_rows`) for 8-wide
//! blocks (the chroma of a 16x16 luma partition).
//!
//! Same arithmetic as the scalar reference, eight samples a row in `u16`
//! lanes: the weights sum to 64, so a weighted sum is at most `64 * 255`
//! and `pmullw`/`paddw` never wrap; `(sum + 32) >> 6` is at most 255, so
//! `packuswb` drops nothing. Each row's lower samples are reused as the
//! next row's upper ones.
//!
//! Memory safety: the twin runs only when the whole block lies inside both
//! slices (one check, like the NEON twin); otherwise it returns `false`,
//! having written nothing, and the caller runs the scalar code. Loads of 8
//! bytes at offsets 0 and 1 never read past a row's `W + 1` samples.

use core::arch::x86_64::*;

use super::PlaneRef;

/// SSE2 twin of `blend_rows::<8>` (same arguments and result). Returns
/// `false`, having written nothing, for blocks that do not lie wholly
/// inside `reference` and `out`. SSE2 is part of every x86-64 CPU; the
/// caller still picks this twin through `CpuFeatures`.
#[allow(clippy::too_many_arguments)]
pub(super) fn blend_rows_8_sse2(
    reference: &PlaneRef<'_>,
    bx: usize,
    by: usize,
    height: usize,
    weights: [u16; 4],
    out: &mut [u8],
    out_stride: usize,
) -> bool {
    const W: usize = 8;
    if height == 0 {
        return false;
    }
    let (stride, data) = (reference.stride(), reference.data());
    // Rows `by..=by + height` of `W + 1` samples in, `height` rows of `W` out.
    let src_end = (by + height).checked_mul(stride).and_then(|o| o.checked_add(bx + W + 1));
    let out_end = (height - 1).checked_mul(out_stride).and_then(|o| o.checked_add(W));
    let (Some(src_end), Some(out_end)) = (src_end, out_end) else {
        return false;
    };
    if src_end > data.len() || out_end > out.len() {
        return false;
    }
    // SAFETY: SSE2 is part of x86-64. Source row `r` (0..=height) starts at
    // `(by + r) * stride + bx` and its `W + 1` samples end at or before
    // `src_end`; output row `r` (0..height) starts at `r * out_stride` and
    // its `W` bytes end at or before `out_end`.
    unsafe {
        let zero = _mm_setzero_si128();
        let [w_a, w_b, w_c, w_d] = weights.map(|w| _mm_set1_epi16(w as i16));
        let round = _mm_set1_epi16(32);
        let widen = |p: *const u8| _mm_unpacklo_epi8(_mm_loadl_epi64(p.cast()), zero);
        let mut src = data.as_ptr().add(by * stride + bx);
        let mut dst = out.as_mut_ptr();
        let (mut top, mut top1) = (widen(src), widen(src.add(1)));
        for _ in 0..height {
            src = src.add(stride);
            let (bottom, bottom1) = (widen(src), widen(src.add(1)));
            let upper = _mm_add_epi16(_mm_mullo_epi16(top, w_a), _mm_mullo_epi16(top1, w_b));
            let lower = _mm_add_epi16(_mm_mullo_epi16(bottom, w_c), _mm_mullo_epi16(bottom1, w_d));
            let blended = _mm_srli_epi16::<6>(_mm_add_epi16(_mm_add_epi16(upper, lower), round));
            _mm_storel_epi64(dst.cast(), _mm_packus_epi16(blended, blended));
            dst = dst.add(out_stride);
            (top, top1) = (bottom, bottom1);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::blend_rows;
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    use asp_testkit::Rng;

    /// The twin writes what `blend_rows` writes whenever it runs, and runs
    /// whenever the block lies inside the plane and the output.
    #[test]
    fn blend_rows_equals_scalar() {
        const W: usize = 8;
        let mut rng = Rng::new(0x5EE2_B1E4_D0C4_F00D);
        for _ in 0..20000 {
            let (w, h) = (W + 1 + (rng.next_u64() % 12) as usize, 2 + (rng.next_u64() % 12) as usize);
            let stride = w + (rng.next_u64() % 5) as usize;
            // The last row unpadded, as a plane may be.
            let data: Vec<u8> = (0..stride * (h - 1) + w)
                .map(|_| match rng.next_u64() % 4 {
                    0 => 0,
                    1 => 255,
                    _ => (rng.next_u64() >> 8) as u8,
                })
                .collect();
            let plane = PlaneRef::new(&data, w, h, stride).unwrap();
            let (fx, fy) = ((rng.next_u64() % 8) as u16, (rng.next_u64() % 8) as u16);
            let weights = [(8 - fx) * (8 - fy), fx * (8 - fy), (8 - fx) * fy, fx * fy];
            let bx = (rng.next_u64() % (w - W) as u64) as usize;
            let by = (rng.next_u64() % (h - 1) as u64) as usize;
            // Any height, even past the plane's last row (the twin then declines).
            let height = 1 + (rng.next_u64() % 10) as usize;
            let out_stride = W + (rng.next_u64() % 4) as usize;
            let fill = rng.next_u64() as u8;
            let mut want = vec![fill; out_stride * 10 + W];
            let mut got = want.clone();
            blend_rows::<W>(&plane, bx, by, height, weights, &mut want, out_stride);
            let inside = by + height < h;
            let ran = blend_rows_8_sse2(&plane, bx, by, height, weights, &mut got, out_stride);
            assert_eq!(ran, inside, "plane {w}x{h} at ({bx}, {by}) height {height}");
            if ran {
                assert_eq!(want, got, "plane {w}x{h} at ({bx}, {by}) height {height} f ({fx}, {fy})");
            } else {
                assert_eq!(got, vec![fill; out_stride * 10 + W], "a declined call writes nothing");
            }
        }
    }
}
