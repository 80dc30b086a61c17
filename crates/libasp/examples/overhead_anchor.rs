//! The Rust side of bench/python-overhead.py: times the calls that
//! `libasp.estimate_motion_numpy` and `libasp.extract_colors` make, on the
//! same frames, and prints one line per call: `NAME median_ms min_ms n`.
//!
//! cargo run --release -p libasp --example overhead_anchor -- \
//!     CURRENT.gray PREVIOUS.gray FRAME.rgb WIDTH HEIGHT ITERATIONS THREADS
//!
//! THREADS 0 runs on rayon's global pool (every core), as `threads=None` does.

use std::time::Instant;

use libasp::asp_encoder::analysis::{extract_palette, Image, PaletteMethod};
use libasp::asp_encoder::motion::{estimate_motion_parallel, SearchAlgorithm};

/// CPU time of the whole process (every thread), in milliseconds.
fn process_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

/// (wall median, wall min, CPU median) of `n` calls, in milliseconds.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64, f64) {
    let (mut wall, mut cpu): (Vec<f64>, Vec<f64>) = (0..n)
        .map(|_| {
            let (t, c) = (Instant::now(), process_cpu_ms());
            std::hint::black_box(f());
            (t.elapsed().as_secs_f64() * 1e3, process_cpu_ms() - c)
        })
        .unzip();
    wall.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    (wall[n / 2], wall[0], cpu[n / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [cur, prev, rgb, w, h, n, threads] = &args[..] else {
        return Err("usage: overhead_anchor CURRENT.gray PREVIOUS.gray FRAME.rgb WIDTH HEIGHT ITERATIONS THREADS".into());
    };
    let (cur, prev, rgb) = (
        std::fs::read(cur)?,
        std::fs::read(prev)?,
        std::fs::read(rgb)?,
    );
    let (w, h, n, threads): (usize, usize, usize, usize) =
        (w.parse()?, h.parse()?, n.parse()?, threads.parse()?);
    let run = || -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        for algorithm in [SearchAlgorithm::Diamond, SearchAlgorithm::Hexagon] {
            estimate_motion_parallel(&cur, &prev, w, h, 16, 16, algorithm, 0)?; // warm-up
            let (median, min, cpu) = time(n, || {
                estimate_motion_parallel(&cur, &prev, w, h, 16, 16, algorithm, 0)
            });
            println!("estimate_motion_{algorithm} {median:.4} {min:.4} {cpu:.4} {n}");
        }
        let image = Image::rgb(&rgb, w, h)?;
        for (name, method) in [
            ("kmeans", PaletteMethod::KMeans),
            ("median_cut", PaletteMethod::MedianCut),
        ] {
            extract_palette(&image, 5, method)?;
            let (median, min, cpu) = time(n, || extract_palette(&image, 5, method));
            println!("extract_colors_{name} {median:.4} {min:.4} {cpu:.4} {n}");
        }
        Ok(())
    };
    if threads == 0 {
        run().map_err(|e| e.to_string())?;
    } else {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        pool.install(run).map_err(|e| e.to_string())?;
    }
    Ok(())
}
