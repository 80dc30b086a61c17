//! Shared plumbing for the ASP command-line tools.

pub mod input;
pub mod publish;
pub mod serve;
pub mod y4m_io;

/// PSNR in dB of a mean squared error over 8-bit samples (∞ capped at 100).
pub fn psnr(mse: f64) -> f64 {
    if mse <= 0.0 {
        100.0
    } else {
        (10.0 * (255.0 * 255.0 / mse).log10()).min(100.0)
    }
}

/// Mean squared error between the visible luma of two frames.
pub fn luma_mse(a: &asp_core::codec::frame::Frame, b: &asp_core::codec::frame::Frame) -> f64 {
    let (w, h) = (a.width().min(b.width()), a.height().min(b.height()));
    let (sa, sb) = (a.luma_stride(), b.luma_stride());
    let mut sum = 0u64;
    for y in 0..h {
        let (ra, rb) = (&a.y[y * sa..y * sa + w], &b.y[y * sb..y * sb + w]);
        sum += ra.iter().zip(rb).map(|(&p, &q)| (i64::from(p) - i64::from(q)).pow(2) as u64).sum::<u64>();
    }
    sum as f64 / (w * h).max(1) as f64
}
