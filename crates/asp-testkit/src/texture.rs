//! [`textured`]: the picture the fast-motion tests pan over.

/// Fine detail (hashed noise on a 2-pixel grid, so no vector but the true
/// one predicts it well) over broad shading, as grass or gravel under
/// light has: the shading is what leads a pattern search downhill. The
/// sample at `(x, y)` of an endless texture, so any window onto it is a
/// frame of a pan.
pub fn textured(x: usize, y: usize) -> u8 {
    let mut h = (x as u32 / 2).wrapping_mul(0x9E37_79B1) ^ (y as u32 / 2).wrapping_mul(0x85EB_CA77);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    let (fx, fy) = (x as f64, y as f64);
    let shading = 50.0 * (fx * 0.13 + fy * 0.05).sin() + 35.0 * (fy * 0.11 - fx * 0.04).cos();
    (128.0 + shading + f64::from(h % 41) - 20.0) as u8
}
