//! The SIMD body: each kernel written once over [`Lanes`], eight 16-bit
//! lanes, so that the 8 lines of a segment are filtered at once; `x86.rs`
//! (SSE2) and `wasm.rs` (simd128) implement the lane operations.

use super::super::strength::EdgeParams;

/// Eight 16-bit lanes (or sixteen bytes for the byte shuffles).
pub(super) trait Lanes: Copy {
    fn splat(v: i16) -> Self;
    fn from_array(a: [i16; 8]) -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn min(self, o: Self) -> Self;
    fn max(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    /// `!self & o`.
    fn andnot(self, o: Self) -> Self;
    /// All ones where `self < o` (signed).
    fn lt(self, o: Self) -> Self;
    /// Arithmetic shift right by 1, 2 or 3.
    fn shr1(self) -> Self;
    fn shr2(self) -> Self;
    fn shr3(self) -> Self;
    /// `(a + b + 1) >> 1` for lanes in 0..=255 (no overflow).
    fn avg(self, o: Self) -> Self;
    /// Bytes `0..8` of `v` as the low half, zeros above.
    fn from_u64(v: u64) -> Self;
    /// The low and high 8 bytes.
    fn to_u64s(self) -> (u64, u64);
    /// Sixteen bytes, in order.
    fn from_bytes(b: [u8; 16]) -> Self;
    fn to_bytes(self) -> [u8; 16];
    /// The high 8 bytes moved to the low half (high half: don't care).
    fn hi_half(self) -> Self;
    /// Interleave the low 8 bytes: `a0 b0 a1 b1 ..`.
    fn unpack_lo8(self, o: Self) -> Self;
    fn unpack_lo16(self, o: Self) -> Self;
    fn unpack_hi16(self, o: Self) -> Self;
    fn unpack_lo32(self, o: Self) -> Self;
    fn unpack_hi32(self, o: Self) -> Self;
    /// Low / high 8 bytes zero-extended to 16-bit lanes.
    fn widen_lo(self) -> Self;
    fn widen_hi(self) -> Self;
    /// 16-bit lanes of `self` then `o`, saturated to bytes 0..=255.
    fn pack(self, o: Self) -> Self;
    /// Whether any bit is set.
    fn any(self) -> bool;

    #[inline(always)]
    fn absdiff(self, o: Self) -> Self {
        self.sub(o).max(o.sub(self))
    }
    /// `m ? a : b` lane-wise for a mask `m` of all-ones / zero lanes.
    #[inline(always)]
    fn select(m: Self, a: Self, b: Self) -> Self {
        m.and(a).or(m.andnot(b))
    }
}

/// Transposes an 8x8 byte tile: `rows[r]` byte `c` becomes byte `r` of
/// output `c` (outputs returned pairwise: `[c0|c1, c2|c3, c4|c5, c6|c7]`).
#[inline(always)]
fn transpose8x8<V: Lanes>(r: [V; 8]) -> [V; 4] {
    let a0 = r[0].unpack_lo8(r[1]);
    let a1 = r[2].unpack_lo8(r[3]);
    let a2 = r[4].unpack_lo8(r[5]);
    let a3 = r[6].unpack_lo8(r[7]);
    let b0 = a0.unpack_lo16(a1);
    let b1 = a0.unpack_hi16(a1);
    let b2 = a2.unpack_lo16(a3);
    let b3 = a2.unpack_hi16(a3);
    [
        b0.unpack_lo32(b2),
        b0.unpack_hi32(b2),
        b1.unpack_lo32(b3),
        b1.unpack_hi32(b3),
    ]
}

#[inline(always)]
fn load8(data: &[u8], at: usize) -> u64 {
    match data.get(at..at + 8) {
        Some(b) => {
            let mut a = [0u8; 8];
            a.copy_from_slice(b);
            u64::from_le_bytes(a)
        }
        None => 0,
    }
}

#[inline(always)]
fn store8(data: &mut [u8], at: usize, v: u64) {
    if let Some(d) = data.get_mut(at..at + 8) {
        d.copy_from_slice(&v.to_le_bytes());
    }
}

#[inline(always)]
fn load16<V: Lanes>(data: &[u8], at: usize) -> V {
    match data.get(at..at + 16) {
        Some(b) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(b);
            V::from_bytes(a)
        }
        None => V::splat(0),
    }
}

#[inline(always)]
fn store16<V: Lanes>(data: &mut [u8], at: usize, v: V) {
    if let Some(d) = data.get_mut(at..at + 16) {
        d.copy_from_slice(&v.to_bytes());
    }
}

/// Whether `rows` rows of 16 bytes at `at + r * stride` fit.
#[inline(always)]
fn rows16_fit(len: usize, at: usize, stride: usize, rows: usize) -> bool {
    stride
        .checked_mul(rows - 1)
        .and_then(|o| o.checked_add(at))
        .and_then(|o| o.checked_add(16))
        .is_some_and(|end| end <= len)
}

/// Reads the 8x8 tile at rows `at + r * stride`, 8 bytes each, as 8
/// columns of 16-bit lanes (column `c`, lane `r`).
#[inline(always)]
fn load_columns<V: Lanes>(data: &[u8], at: usize, stride: usize) -> [V; 8] {
    // Spelled out rather than `array::from_fn`, which the wasm build
    // left as a call (1 % of the browser decoder's time).
    let row = |r: usize| V::from_u64(load8(data, at + r * stride));
    let rows: [V; 8] = [row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)];
    let t = transpose8x8(rows);
    [
        t[0].widen_lo(),
        t[0].widen_hi(),
        t[1].widen_lo(),
        t[1].widen_hi(),
        t[2].widen_lo(),
        t[2].widen_hi(),
        t[3].widen_lo(),
        t[3].widen_hi(),
    ]
}

/// Inverse of [`load_columns`].
#[inline(always)]
fn store_columns<V: Lanes>(data: &mut [u8], at: usize, stride: usize, c: [V; 8]) {
    let pairs = [
        c[0].pack(c[1]),
        c[2].pack(c[3]),
        c[4].pack(c[5]),
        c[6].pack(c[7]),
    ];
    // The transpose reads only the low 8 bytes of each input row.
    let rows = [
        pairs[0],
        pairs[0].hi_half(),
        pairs[1],
        pairs[1].hi_half(),
        pairs[2],
        pairs[2].hi_half(),
        pairs[3],
        pairs[3].hi_half(),
    ];
    for (k, t) in transpose8x8(rows).iter().enumerate() {
        let (lo, hi) = t.to_u64s();
        store8(data, at + 2 * k * stride, lo);
        store8(data, at + (2 * k + 1) * stride, hi);
    }
}

/// The luma filter on 8 lanes: `s = [p3, p2, p1, p0, q0, q1, q2, q3]`,
/// uniform parameters (one 8-sample segment). Returns false, with `s`
/// untouched, when no lane passes the alpha / beta test (the filter
/// would leave every sample as it is).
#[inline(always)]
fn luma_lanes<V: Lanes>(s: &mut [V; 8], e: EdgeParams) -> bool {
    let [p3, p2, p1, p0, q0, q1, q2, q3] = *s;
    let alpha = V::splat(i16::from(e.alpha));
    let beta = V::splat(i16::from(e.beta));
    let mask = p0
        .absdiff(q0)
        .lt(alpha)
        .and(p1.absdiff(p0).lt(beta))
        .and(q1.absdiff(q0).lt(beta));
    if !mask.any() {
        return false;
    }
    let ap = p2.absdiff(p0).lt(beta);
    let aq = q2.absdiff(q0).lt(beta);
    if e.bs >= 4 {
        let small = p0.absdiff(q0).lt(V::splat((i16::from(e.alpha) >> 2) + 2));
        let two = V::splat(2);
        let four = V::splat(4);
        let pq = p0.add(q0);
        // Strong p side.
        let sp = mask.and(ap).and(small);
        let p0s = p2.add(p1.add(pq).add(p1.add(pq))).add(q1).add(four).shr3();
        let p1s = p2.add(p1).add(pq).add(two).shr2();
        let p2s = p3
            .add(p3)
            .add(p2.add(p2).add(p2))
            .add(p1)
            .add(pq)
            .add(four)
            .shr3();
        let p0w = p1.add(p1).add(p0).add(q1).add(two).shr2();
        s[3] = V::select(mask, V::select(sp, p0s, p0w), p0);
        s[2] = V::select(sp, p1s, p1);
        s[1] = V::select(sp, p2s, p2);
        // Strong q side.
        let sq = mask.and(aq).and(small);
        let q0s = q2.add(q1.add(pq).add(q1.add(pq))).add(p1).add(four).shr3();
        let q1s = q2.add(q1).add(pq).add(two).shr2();
        let q2s = q3
            .add(q3)
            .add(q2.add(q2).add(q2))
            .add(q1)
            .add(pq)
            .add(four)
            .shr3();
        let q0w = q1.add(q1).add(q0).add(p1).add(two).shr2();
        s[4] = V::select(mask, V::select(sq, q0s, q0w), q0);
        s[5] = V::select(sq, q1s, q1);
        s[6] = V::select(sq, q2s, q2);
    } else {
        let tc0 = V::splat(i16::from(e.tc0));
        // ap, aq are -1 where true: subtracting adds one.
        let tc = tc0.sub(ap).sub(aq);
        let ntc = V::splat(0).sub(tc);
        let t = q0.sub(p0);
        let t = t.add(t);
        let d = t.add(t).add(p1.sub(q1)).add(V::splat(4)).shr3();
        let d = d.max(ntc).min(tc).and(mask);
        s[3] = p0.add(d);
        s[4] = q0.sub(d);
        let avg = p0.avg(q0);
        let ntc0 = V::splat(0).sub(tc0);
        let dp = p2
            .add(avg)
            .sub(p1.add(p1))
            .shr1()
            .max(ntc0)
            .min(tc0)
            .and(mask.and(ap));
        let dq = q2
            .add(avg)
            .sub(q1.add(q1))
            .shr1()
            .max(ntc0)
            .min(tc0)
            .and(mask.and(aq));
        s[2] = p1.add(dp);
        s[5] = q1.add(dq);
    }
    true
}

/// The chroma filter on 8 lanes `s = [p1, p0, q0, q1]` with two sets of
/// parameters: lanes 0..4 use `h[0]`, lanes 4..8 `h[1]`. Returns false,
/// with `s` untouched, when no lane passes the alpha / beta test.
#[inline(always)]
fn chroma_lanes<V: Lanes>(s: &mut [V; 4], h: [EdgeParams; 2]) -> bool {
    let [p1, p0, q0, q1] = *s;
    let lanes = |f: fn(&EdgeParams) -> i16| {
        let (a, b) = (f(&h[0]), f(&h[1]));
        V::from_array([a, a, a, a, b, b, b, b])
    };
    // An inactive half gets alpha 0: its mask is all zero.
    let alpha = lanes(|e| if e.active() { i16::from(e.alpha) } else { 0 });
    let beta = lanes(|e| i16::from(e.beta));
    let tc = lanes(|e| i16::from(e.tc0) + 1);
    let strong = lanes(|e| if e.bs >= 4 { -1 } else { 0 });
    let mask = p0
        .absdiff(q0)
        .lt(alpha)
        .and(p1.absdiff(p0).lt(beta))
        .and(q1.absdiff(q0).lt(beta));
    if !mask.any() {
        return false;
    }
    let two = V::splat(2);
    let p0s = p1.add(p1).add(p0).add(q1).add(two).shr2();
    let q0s = q1.add(q1).add(q0).add(p1).add(two).shr2();
    let t = q0.sub(p0);
    let t = t.add(t);
    let d = t.add(t).add(p1.sub(q1)).add(V::splat(4)).shr3();
    let d = d.max(V::splat(0).sub(tc)).min(tc);
    s[1] = V::select(mask, V::select(strong, p0s, p0.add(d)), p0);
    s[2] = V::select(mask, V::select(strong, q0s, q0.sub(d)), q0);
    true
}

/// Whether an 8x8 tile whose rows start at `at + r * stride` fits.
#[inline(always)]
fn tile_fits(len: usize, at: usize, stride: usize) -> bool {
    stride
        .checked_mul(7)
        .and_then(|o| o.checked_add(at))
        .and_then(|o| o.checked_add(8))
        .is_some_and(|end| end <= len)
}

/// Vertical luma edge: 8 rows, `q0` the index of the first row's q0.
#[inline(always)]
pub(super) fn luma_vertical<V: Lanes>(
    data: &mut [u8],
    q0: usize,
    stride: usize,
    e: EdgeParams,
) -> bool {
    let Some(at) = q0.checked_sub(4) else {
        return false;
    };
    if !tile_fits(data.len(), at, stride) {
        return false;
    }
    let mut c = load_columns::<V>(data, at, stride);
    if luma_lanes(&mut c, e) {
        store_columns(data, at, stride, c);
    }
    true
}

/// Horizontal luma edge: 8 columns from `q0` (row q0), rows `stride` apart.
#[inline(always)]
pub(super) fn luma_horizontal<V: Lanes>(
    data: &mut [u8],
    q0: usize,
    stride: usize,
    e: EdgeParams,
) -> bool {
    let Some(at) = stride.checked_mul(4).and_then(|o| q0.checked_sub(o)) else {
        return false;
    };
    if !tile_fits(data.len(), at, stride) {
        return false;
    }
    let row = |k: usize| V::from_u64(load8(data, at + k * stride)).widen_lo();
    let mut r: [V; 8] = [row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7)];
    if !luma_lanes(&mut r, e) {
        return true;
    }
    for (k, v) in r.iter().enumerate().take(7).skip(1) {
        let (lo, _) = v.pack(*v).to_u64s();
        store8(data, at + k * stride, lo);
    }
    true
}

/// Vertical chroma edge: 8 rows (lanes 0..4 `h[0]`, 4..8 `h[1]`).
#[inline(always)]
pub(super) fn chroma_vertical<V: Lanes>(
    data: &mut [u8],
    q0: usize,
    stride: usize,
    h: [EdgeParams; 2],
) -> bool {
    let Some(at) = q0.checked_sub(4) else {
        return false;
    };
    if !tile_fits(data.len(), at, stride) {
        return false;
    }
    let mut c = load_columns::<V>(data, at, stride);
    let mut s = [c[2], c[3], c[4], c[5]];
    if !chroma_lanes(&mut s, h) {
        return true;
    }
    c[3] = s[1];
    c[4] = s[2];
    store_columns(data, at, stride, c);
    true
}

/// Horizontal chroma edge: 8 columns (0..4 `h[0]`, 4..8 `h[1]`).
#[inline(always)]
pub(super) fn chroma_horizontal<V: Lanes>(
    data: &mut [u8],
    q0: usize,
    stride: usize,
    h: [EdgeParams; 2],
) -> bool {
    let Some(at) = stride.checked_mul(2).and_then(|o| q0.checked_sub(o)) else {
        return false;
    };
    let fits = stride
        .checked_mul(3)
        .and_then(|o| o.checked_add(at))
        .and_then(|o| o.checked_add(8))
        .is_some_and(|end| end <= data.len());
    if !fits {
        return false;
    }
    let row = |k: usize| V::from_u64(load8(data, at + k * stride)).widen_lo();
    let mut s: [V; 4] = [row(0), row(1), row(2), row(3)];
    if !chroma_lanes(&mut s, h) {
        return true;
    }
    for (k, v) in s.iter().enumerate().take(3).skip(1) {
        let (lo, _) = v.pack(*v).to_u64s();
        store8(data, at + k * stride, lo);
    }
    true
}

/// Two horizontal luma edges side by side: 16 columns from `q0`,
/// columns 0..8 with `e[0]`, 8..16 with `e[1]` (each half exactly as
/// [`luma_horizontal`] filters it; an inactive half is left as it is).
/// Rows are read and written 16 bytes at a time.
#[inline(always)]
pub(super) fn luma_horizontal_pair<V: Lanes>(
    data: &mut [u8],
    q0: usize,
    stride: usize,
    e: [EdgeParams; 2],
) -> bool {
    let Some(at) = stride.checked_mul(4).and_then(|o| q0.checked_sub(o)) else {
        return false;
    };
    if !rows16_fit(data.len(), at, stride, 8) {
        return false;
    }
    let rows: [V; 8] = [
        load16(data, at),
        load16(data, at + stride),
        load16(data, at + 2 * stride),
        load16(data, at + 3 * stride),
        load16(data, at + 4 * stride),
        load16(data, at + 5 * stride),
        load16(data, at + 6 * stride),
        load16(data, at + 7 * stride),
    ];
    let mut lo = rows.map(|r| r.widen_lo());
    let mut hi = rows.map(|r| r.widen_hi());
    let lo_changed = e[0].active() && luma_lanes(&mut lo, e[0]);
    let hi_changed = e[1].active() && luma_lanes(&mut hi, e[1]);
    if !lo_changed && !hi_changed {
        return true;
    }
    for k in 1..7 {
        store16(data, at + k * stride, lo[k].pack(hi[k]));
    }
    true
}

/// Two horizontal chroma edges side by side: 16 columns from `q0`,
/// columns 0..8 with `h[0]` (as [`chroma_horizontal`]), 8..16 with `h[1]`.
#[inline(always)]
pub(super) fn chroma_horizontal_pair<V: Lanes>(
    data: &mut [u8],
    q0: usize,
    stride: usize,
    h: [[EdgeParams; 2]; 2],
) -> bool {
    let Some(at) = stride.checked_mul(2).and_then(|o| q0.checked_sub(o)) else {
        return false;
    };
    if !rows16_fit(data.len(), at, stride, 4) {
        return false;
    }
    let rows: [V; 4] = [
        load16(data, at),
        load16(data, at + stride),
        load16(data, at + 2 * stride),
        load16(data, at + 3 * stride),
    ];
    let mut lo = rows.map(|r| r.widen_lo());
    let mut hi = rows.map(|r| r.widen_hi());
    let lo_changed = chroma_lanes(&mut lo, h[0]);
    let hi_changed = chroma_lanes(&mut hi, h[1]);
    if !lo_changed && !hi_changed {
        return true;
    }
    for k in 1..3 {
        store16(data, at + k * stride, lo[k].pack(hi[k]));
    }
    true
}
