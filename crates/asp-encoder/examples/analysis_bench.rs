//! Times the analysis tools for bench/analysis.py (one JSON object on stdout).
//!
//! ```text
//! analysis_bench palette FILE.rgb WIDTH HEIGHT COLORS SAMPLE RUNS
//! analysis_bench face FILE.gray WIDTH HEIGHT RUNS
//! ```
//! `palette` runs k-means (sample size SAMPLE) and median cut on the RGB24
//! picture; `face` runs the bundled face cascade on the grey picture. Each
//! is timed RUNS times; the median and the minimum are reported.

use std::time::Instant;

use asp_encoder::analysis::{kmeans_palette, median_cut_palette, FaceDetector, FaceParams, Image, KMeansParams, Palette};

fn main() {
    if let Err(e) = run() {
        eprintln!("analysis_bench: {e}");
        std::process::exit(2);
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, what: &str) -> Result<T, String> {
    args.get(i).and_then(|s| s.parse().ok()).ok_or_else(|| format!("argument {i} ({what}) missing or bad"))
}

/// Runs `f` `runs` times: (median ms, min ms, last result).
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        last = Some(f());
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], last.expect("at least one run"))
}

fn palette_json(p: &Palette) -> String {
    let colors: Vec<String> = p.colors.iter().map(|c| format!("[{},{},{}]", c[0], c[1], c[2])).collect();
    let weights: Vec<String> = p.weights.iter().map(|w| format!("{w}")).collect();
    format!("{{\"colors\":[{}],\"weights\":[{}]}}", colors.join(","), weights.join(","))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("");
    let data = std::fs::read(args.get(2).ok_or("no file")?).map_err(|e| e.to_string())?;
    let (w, h): (usize, usize) = (arg(&args, 3, "width")?, arg(&args, 4, "height")?);
    match mode {
        "palette" => {
            let (k, sample, runs): (usize, usize, usize) =
                (arg(&args, 5, "colors")?, arg(&args, 6, "sample")?, arg(&args, 7, "runs")?);
            let image = Image::rgb(&data, w, h).map_err(|e| e.to_string())?;
            let params = KMeansParams { sample_size: sample, ..KMeansParams::new(k) };
            let (km_ms, km_min, km) = time(runs, || kmeans_palette(&image, &params));
            let km = km.map_err(|e| e.to_string())?;
            let (mc_ms, mc_min, mc) = time(runs, || median_cut_palette(&image, k));
            let mc = mc.map_err(|e| e.to_string())?;
            println!(
                "{{\"kmeans_ms\":{km_ms},\"kmeans_min_ms\":{km_min},\"kmeans\":{},\"median_cut_ms\":{mc_ms},\"median_cut_min_ms\":{mc_min},\"median_cut\":{}}}",
                palette_json(&km),
                palette_json(&mc)
            );
        }
        "face" => {
            let runs: usize = arg(&args, 5, "runs")?;
            let image = Image::gray(&data, w, h).map_err(|e| e.to_string())?;
            let detector = FaceDetector::bundled().map_err(|e| e.to_string())?;
            let (ms, min, faces) = time(runs, || detector.detect(&image, &FaceParams::default()));
            let faces = faces.map_err(|e| e.to_string())?;
            let boxes: Vec<String> =
                faces.iter().map(|f| format!("[{},{},{},{},{:.3}]", f.x, f.y, f.width, f.height, f.confidence)).collect();
            println!("{{\"face_ms\":{ms},\"face_min_ms\":{min},\"faces\":[{}]}}", boxes.join(","));
        }
        _ => return Err("usage: analysis_bench palette|face FILE WIDTH HEIGHT ...".into()),
    }
    Ok(())
}
