//! The twins a benchmark times: one per level of this CPU's features
//! ([`CpuFeatures::levels`]), narrowed by `ASP_CPU_MASK` when it is set
//! (e.g. `ASP_CPU_MASK=sse2` times the SSE2 and scalar twins only).

use asp_core::CpuFeatures;

pub fn cpu_levels() -> Vec<CpuFeatures> {
    let mask = match std::env::var("ASP_CPU_MASK") {
        Ok(text) => text.parse().unwrap_or_else(|e| panic!("ASP_CPU_MASK: {e}")),
        Err(_) => CpuFeatures::ALL,
    };
    CpuFeatures::host().masked(mask).levels().collect()
}
