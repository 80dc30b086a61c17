//! Checks k-means palettes over many samples and seeds: for each RGB24
//! file (a raw sample, read as a WIDTH x 1 picture) and each seed, the
//! inertia of the palette on the file's pixels (mean squared distance to
//! the nearest colour) and the median time of RUNS runs.
//!
//! ```text
//! kmeans_check COLORS SEEDS RUNS FILE.rgb...
//! ```
//! Prints one line per file and seed: `file seed inertia ms cpu_ms`, the
//! median wall time and the mean CPU time of this thread (from Linux's
//! /proc/thread-self/schedstat: on a loaded machine it leaves out the time
//! the thread waited for a core). The environment variables
//! `KMEANS_SEEDINGS` and `KMEANS_TOL` override the number of seedings and
//! the tolerance.

use std::time::Instant;

use asp_encoder::analysis::{kmeans_palette, Image, KMeansParams};

fn main() {
    if let Err(e) = run() {
        eprintln!("kmeans_check: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize| -> Result<usize, String> {
        args.get(i).and_then(|s| s.parse().ok()).ok_or_else(|| format!("argument {i} missing or bad"))
    };
    let (k, seeds, runs) = (num(1)?, num(2)?, num(3)?.max(1));
    for file in &args[4..] {
        let data = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        let n = data.len() / 3;
        let image = Image::rgb(&data[..n * 3], n, 1).map_err(|e| e.to_string())?;
        for seed in 0..seeds as u64 {
            let mut params = KMeansParams { sample_size: n, seed, ..KMeansParams::new(k) };
            if let Some(s) = std::env::var("KMEANS_SEEDINGS").ok().and_then(|s| s.parse().ok()) {
                params.seedings = s;
            }
            if let Some(s) = std::env::var("KMEANS_TOL").ok().and_then(|s| s.parse().ok()) {
                params.tolerance = s;
            }
            let mut times = Vec::new();
            let mut palette = None;
            let cpu_start = cpu_ns();
            for _ in 0..runs {
                let start = Instant::now();
                palette = Some(kmeans_palette(&image, &params).map_err(|e| e.to_string())?);
                times.push(start.elapsed().as_secs_f64() * 1e3);
            }
            let cpu_ms = cpu_ns().zip(cpu_start).map_or(f64::NAN, |(b, a)| (b - a) as f64 / 1e6 / runs as f64);
            times.sort_by(f64::total_cmp);
            let colors = palette.map(|p| p.colors).unwrap_or_default();
            let inertia = data
                .chunks_exact(3)
                .map(|p| {
                    colors
                        .iter()
                        .map(|c| (0..3).map(|i| (f64::from(p[i]) - f64::from(c[i])).powi(2)).sum::<f64>())
                        .fold(f64::INFINITY, f64::min)
                })
                .sum::<f64>()
                / n as f64;
            println!("{file} {seed} {inertia:.2} {:.3} {cpu_ms:.3}", times[runs / 2]);
        }
    }
    Ok(())
}

/// This thread's CPU time so far in nanoseconds (Linux), if readable.
fn cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
