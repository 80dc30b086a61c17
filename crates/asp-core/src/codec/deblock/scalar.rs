//! The scalar reference filters, one line at a time (H.264 8.7.2.3 and
//! 8.7.2.4, see the [module docs](super)): the definition that the SIMD
//! twins are tested against.

use super::strength::EdgeParams;

#[inline]
fn clip_pixel(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// Filters one luma line `[p3, p2, p1, p0, q0, q1, q2, q3]`.
pub(super) fn luma_line(s: &mut [u8; 8], e: EdgeParams) {
    let [p3, p2, p1, p0, q0, q1, q2, q3] = s.map(i32::from);
    let (alpha, beta) = (i32::from(e.alpha), i32::from(e.beta));
    if e.bs == 0 || (p0 - q0).abs() >= alpha || (p1 - p0).abs() >= beta || (q1 - q0).abs() >= beta {
        return;
    }
    let ap = (p2 - p0).abs() < beta;
    let aq = (q2 - q0).abs() < beta;
    if e.bs >= 4 {
        let small = (p0 - q0).abs() < (alpha >> 2) + 2;
        if ap && small {
            s[3] = ((p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3) as u8;
            s[2] = ((p2 + p1 + p0 + q0 + 2) >> 2) as u8;
            s[1] = ((2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3) as u8;
        } else {
            s[3] = ((2 * p1 + p0 + q1 + 2) >> 2) as u8;
        }
        if aq && small {
            s[4] = ((p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3) as u8;
            s[5] = ((p0 + q0 + q1 + q2 + 2) >> 2) as u8;
            s[6] = ((2 * q3 + 3 * q2 + q1 + q0 + p0 + 4) >> 3) as u8;
        } else {
            s[4] = ((2 * q1 + q0 + p1 + 2) >> 2) as u8;
        }
    } else {
        let tc0 = i32::from(e.tc0);
        let tc = tc0 + i32::from(ap) + i32::from(aq);
        let d = ((((q0 - p0) << 2) + (p1 - q1) + 4) >> 3).clamp(-tc, tc);
        s[3] = clip_pixel(p0 + d);
        s[4] = clip_pixel(q0 - d);
        let avg = (p0 + q0 + 1) >> 1;
        if ap {
            // Stays in 0..=255 (it is at most half-way to (p2 + avg) / 2);
            // clipped anyway, as the SIMD pack does.
            s[2] = clip_pixel(p1 + ((p2 + avg - (p1 << 1)) >> 1).clamp(-tc0, tc0));
        }
        if aq {
            s[5] = clip_pixel(q1 + ((q2 + avg - (q1 << 1)) >> 1).clamp(-tc0, tc0));
        }
    }
}

/// Filters one chroma line `[p1, p0, q0, q1]`.
pub(super) fn chroma_line(s: &mut [u8; 4], e: EdgeParams) {
    let [p1, p0, q0, q1] = s.map(i32::from);
    let (alpha, beta) = (i32::from(e.alpha), i32::from(e.beta));
    if e.bs == 0 || (p0 - q0).abs() >= alpha || (p1 - p0).abs() >= beta || (q1 - q0).abs() >= beta {
        return;
    }
    if e.bs >= 4 {
        s[1] = ((2 * p1 + p0 + q1 + 2) >> 2) as u8;
        s[2] = ((2 * q1 + q0 + p1 + 2) >> 2) as u8;
    } else {
        let tc = i32::from(e.tc0) + 1;
        let d = ((((q0 - p0) << 2) + (p1 - q1) + 4) >> 3).clamp(-tc, tc);
        s[1] = clip_pixel(p0 + d);
        s[2] = clip_pixel(q0 - d);
    }
}

/// The indices of the `N` samples of the line that crosses the edge at `q0`
/// (`N / 2` before it, `q0` and `N / 2 - 1` after), `across` apart; `None`
/// when any lies outside `0..len`.
#[inline]
fn line_indices<const N: usize>(q0: usize, across: usize, len: usize) -> Option<[usize; N]> {
    let first = q0.checked_sub((N / 2).checked_mul(across)?)?;
    let last = first.checked_add((N - 1).checked_mul(across)?)?;
    if last >= len {
        return None;
    }
    Some(core::array::from_fn(|k| first + k * across))
}

/// Scalar luma filter of `lines` lines: line `i` crosses the edge at
/// `q0 + i * along`, samples `across` apart.
pub(super) fn luma_segment_scalar(
    data: &mut [u8],
    q0: usize,
    across: usize,
    along: usize,
    lines: usize,
    e: EdgeParams,
) {
    for i in 0..lines {
        let Some(at) = i.checked_mul(along).and_then(|o| o.checked_add(q0)) else {
            return;
        };
        let Some(idx) = line_indices::<8>(at, across, data.len()) else {
            return;
        };
        let mut s = idx.map(|k| data.get(k).copied().unwrap_or(0));
        luma_line(&mut s, e);
        for (&k, &v) in idx.iter().zip(s.iter()).skip(1).take(6) {
            if let Some(d) = data.get_mut(k) {
                *d = v;
            }
        }
    }
}

/// Scalar chroma filter of `lines` lines (see [`luma_segment_scalar`]); line
/// `i` is line `first + i` of its 8-line segment and uses
/// `halves[(first + i) / 4]`.
pub(super) fn chroma_segment_scalar(
    data: &mut [u8],
    q0: usize,
    across: usize,
    along: usize,
    lines: usize,
    first: usize,
    halves: [EdgeParams; 2],
) {
    for i in 0..lines {
        let e = halves[((first + i) / 4).min(1)];
        if !e.active() {
            continue;
        }
        let Some(at) = i.checked_mul(along).and_then(|o| o.checked_add(q0)) else {
            return;
        };
        let Some(idx) = line_indices::<4>(at, across, data.len()) else {
            return;
        };
        let mut s = idx.map(|k| data.get(k).copied().unwrap_or(0));
        chroma_line(&mut s, e);
        for (&k, &v) in idx.iter().zip(s.iter()).skip(1).take(2) {
            if let Some(d) = data.get_mut(k) {
                *d = v;
            }
        }
    }
}
