//! Shared plumbing for the ASP command-line tools (`src/bin`: `asp-encode`,
//! y4m or the test picture in, ASP packets out, or served live;
//! `asp-decode`, packets in, y4m out; `asp-info`, one line per packet).
//!
//! * [`input`]: opening the inputs the tools take (a path or `-`).
//! * [`publish`]: `--publish`, the packets to a Media over QUIC relay.
//! * [`rendition`]: `--rendition`, one encoder per bitrate for the relay.
//! * [`serve`]: `asp-encode --serve`, encoding live for browsers.
//! * [`y4m_io`]: y4m out (asp-decode's output and asp-encode's `--recon`).

pub mod exit;
pub mod input;
pub mod interrupt;
pub mod output;
pub mod publish;
pub mod rendition;
pub mod serve;
pub mod token;
pub mod y4m_io;

/// Applies `ASP_CPU_MASK` to every kernel family of this process
/// ([`asp_core::cpu::set_mask`], as dav1d's `--cpumask`), so that one run
/// can time or check the SSE2 or scalar twins on an AVX2 machine: `all`,
/// `scalar`, or feature names joined by `+` (`sse2`, `sse2+popcnt+avx2`).
/// Unset: every feature the CPU has. Returns the features in use.
pub fn apply_cpu_mask_from_env() -> anyhow::Result<asp_core::CpuFeatures> {
    use anyhow::Context;
    match std::env::var("ASP_CPU_MASK") {
        Ok(text) => {
            let mask = text.parse().context("ASP_CPU_MASK")?;
            asp_core::cpu::set_mask(mask);
        }
        Err(std::env::VarError::NotPresent) => {}
        Err(e) => return Err(e).context("ASP_CPU_MASK"),
    }
    Ok(asp_core::CpuFeatures::detect())
}

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
