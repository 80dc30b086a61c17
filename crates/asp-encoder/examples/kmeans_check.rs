//! Checks k-means palettes over many samples and seeds: for each RGB24
//! file (a raw sample, read as a WIDTH x 1 picture) and each seed, the
//! inertia of the palette on the file's pixels (mean squared distance to
//! the nearest colour) and the median time of RUNS runs.
//!
//! ```text
//! kmeans_check COLORS SEEDS RUNS FILE.rgb...
//! ```
//! Prints one line per file and seed: `file seed inertia ms`. The
//! environment variable `KMEANS_SEEDINGS` overrides the number of seedings.

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
            let mut times = Vec::new();
            let mut palette = None;
            for _ in 0..runs {
                let start = Instant::now();
                palette = Some(kmeans_palette(&image, &params).map_err(|e| e.to_string())?);
                times.push(start.elapsed().as_secs_f64() * 1e3);
            }
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
            println!("{file} {seed} {inertia:.2} {:.3}", times[runs / 2]);
        }
    }
    Ok(())
}
