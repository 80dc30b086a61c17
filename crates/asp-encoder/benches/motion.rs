//! Motion estimation on real footage: time per frame and quality (mean SAD
//! per pixel) of each search, 16x16 blocks, range ±16, 1 and 2 threads.
//!
//! Frames: bigbuckbunny.mp4 frames 40 -> 41, luma, 1280x720 and bicubic
//! 1920x1080, prepared by `tools/bench/prepare-motion-frames.sh` into
//! `build/bench/` (or `$ASP_BENCH_DIR`). Without them the bench uses
//! generated content and says so.
//!
//! First a summary (own timing, median of several runs, printed as a
//! Markdown table for BENCHMARKS.md), then the criterion benchmarks.
//!
//! Environment:
//! * `ASP_EARLY_EXIT`: comma-separated early-exit thresholds for the summary
//!   (default `256,384`: 1 and 1.5 per pixel of a 16x16 block; criterion uses 384).
//! * `ASP_MOTION_SUMMARY=0` skips the summary; `ASP_MOTION_CRITERION=0` skips criterion.
//! * `ASP_MOTION_RUNS`: runs per configuration in the summary (default 41).
//! * `ASP_CPU_MASK`: the CPU features the kernels may use (`scalar`, `sse2`,
//!   ...; `asp_core::CpuFeatures`), to time the older twins.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

use asp_encoder::motion::{
    MotionEstimator, MotionField, PlaneRef, SearchAlgorithm, SubpelPrecision,
};
use criterion::{BenchmarkId, Criterion};

const BLOCK: usize = 16;
const RANGE: usize = 16;
/// Early exit of the fast searches: SAD below 1.5 per pixel of the block.
const EARLY_EXIT: u32 = 384;

struct Pair {
    name: &'static str,
    w: usize,
    h: usize,
    reference: Vec<u8>,
    current: Vec<u8>,
    real: bool,
}

impl Pair {
    fn planes(&self) -> (PlaneRef<'_>, PlaneRef<'_>) {
        (
            PlaneRef::packed(&self.current, self.w, self.h).unwrap(),
            PlaneRef::packed(&self.reference, self.w, self.h).unwrap(),
        )
    }
}

fn bench_dir() -> PathBuf {
    match std::env::var_os("ASP_BENCH_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../build/bench"),
    }
}

/// Generated stand-in: smooth texture, moved by (3, -2) with a little noise.
fn generated(w: usize, h: usize) -> (Vec<u8>, Vec<u8>) {
    let mut rng = asp_testkit::Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut rnd = move || rng.next_u64();
    let (cw, ch) = (w / 16 + 2, h / 16 + 2);
    let coarse: Vec<i32> = (0..cw * ch).map(|_| (rnd() % 256) as i32).collect();
    let at = |x: usize, y: usize| {
        let (cx, cy, fx, fy) = (x / 16, y / 16, (x % 16) as i32, (y % 16) as i32);
        let c = |i: usize, j: usize| coarse[j * cw + i];
        let top = c(cx, cy) * (16 - fx) + c(cx + 1, cy) * fx;
        let bot = c(cx, cy + 1) * (16 - fx) + c(cx + 1, cy + 1) * fx;
        ((top * (16 - fy) + bot * fy + 128) / 256) as u8
    };
    let reference: Vec<u8> = (0..w * h).map(|i| at(i % w, i / w)).collect();
    let current: Vec<u8> = (0..w * h)
        .map(|i| {
            let (x, y) = ((i % w + 3).min(w - 1), (i / w).saturating_sub(2));
            at(x, y).saturating_add((rnd() % 3) as u8)
        })
        .collect();
    (reference, current)
}

fn load(name: &'static str, w: usize, h: usize) -> Pair {
    let dir = bench_dir();
    let read = |n: u32| {
        std::fs::read(dir.join(format!("bbb_f{n}_{w}x{h}.gray")))
            .ok()
            .filter(|d| d.len() == w * h)
    };
    match (read(40), read(41)) {
        (Some(reference), Some(current)) => Pair {
            name,
            w,
            h,
            reference,
            current,
            real: true,
        },
        _ => {
            eprintln!(
                "note: real frames not found in {} (run tools/bench/prepare-motion-frames.sh); using GENERATED content for {name}",
                dir.display()
            );
            let (reference, current) = generated(w, h);
            Pair {
                name,
                w,
                h,
                reference,
                current,
                real: false,
            }
        }
    }
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

fn estimator(alg: SearchAlgorithm, early: u32) -> MotionEstimator {
    MotionEstimator::new(BLOCK, RANGE, alg, early).unwrap()
}

/// Pixel-candidates a full search measures: per block, valid displacements x pixels.
fn pixel_candidates(w: usize, h: usize) -> u64 {
    let span = |p: usize, n: usize, size: usize| -> u64 {
        let lo = (p as i64 - RANGE as i64).max(0);
        let hi = (p as i64 + RANGE as i64).min((size - n) as i64);
        (hi - lo + 1) as u64
    };
    let mut total = 0u64;
    for py in (0..h).step_by(BLOCK) {
        for px in (0..w).step_by(BLOCK) {
            let (bw, bh) = (BLOCK.min(w - px), BLOCK.min(h - py));
            total += span(px, bw, w) * span(py, bh, h) * (bw * bh) as u64;
        }
    }
    total
}

/// Nanoseconds all threads of this process have run on a CPU (Linux
/// `/proc/self/task/*/schedstat`); `None` elsewhere. Unlike wall time, it
/// does not grow when other processes compete for the cores.
fn process_cpu_ns() -> Option<u64> {
    let mut total = 0u64;
    for t in std::fs::read_dir("/proc/self/task").ok()? {
        let s = std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok()?;
        total += s.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// (median wall ms, minimum wall ms, CPU ms per run summed over threads).
fn timing(runs: usize, mut f: impl FnMut()) -> (f64, f64, Option<f64>) {
    f(); // warm-up
    let cpu0 = process_cpu_ns();
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    let cpu = match (cpu0, process_cpu_ns()) {
        (Some(a), Some(b)) => Some((b - a) as f64 / 1e6 / runs as f64),
        _ => None,
    };
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[t.len() / 2], t[0], cpu)
}

fn fmt_cpu(c: Option<f64>) -> String {
    c.map(|c| format!("{c:.3}")).unwrap_or_else(|| "-".into())
}

/// Load average, to tell how contended the machine was.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn sad_per_px(f: &MotionField, p: &Pair) -> f64 {
    f.total_sad() as f64 / (p.w * p.h) as f64
}

fn summary(pairs: &[Pair]) {
    let runs: usize = std::env::var("ASP_MOTION_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(41);
    let earlies: Vec<u32> = std::env::var("ASP_EARLY_EXIT")
        .ok()
        .map(|s| s.split(',').filter_map(|v| v.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![256, EARLY_EXIT]);
    let (p1, p2) = (pool(1), pool(2));
    println!("\n## motion summary: {BLOCK}x{BLOCK} blocks, range ±{RANGE}, median of {runs} runs (Full: fewer)");
    println!("SAD kernels: {}", asp_encoder::motion::Sad::detect().features());
    for p in pairs {
        let (cur, refp) = p.planes();
        let zero = MotionEstimator::new(BLOCK, 0, SearchAlgorithm::Full, 0)
            .unwrap()
            .estimate(cur, refp)
            .unwrap();
        let full = estimator(SearchAlgorithm::Full, 0)
            .estimate(cur, refp)
            .unwrap();
        let full_q = sad_per_px(&full, p);
        println!(
            "\n### {} {}x{} ({}): zero vectors {:.2} SAD/px, Full ±{RANGE} {:.2} SAD/px, {} blocks",
            p.name,
            p.w,
            p.h,
            if p.real {
                "bigbuckbunny frames 40->41"
            } else {
                "GENERATED content"
            },
            sad_per_px(&zero, p),
            full_q,
            full.vectors.len()
        );
        println!("load average before: {}", loadavg());
        println!("| search | early exit | 1 thread ms (median / min) | 1 thread CPU ms | 2 threads ms (median / min) | 2 threads CPU ms | mean SAD/px | vs Full |");
        println!("|---|---|---|---|---|---|---|---|");
        for alg in SearchAlgorithm::ALL {
            let list: &[u32] = if alg == SearchAlgorithm::Full {
                &[0]
            } else {
                &earlies
            };
            for &early in list {
                let est = estimator(alg, early);
                let n = if alg == SearchAlgorithm::Full {
                    runs.min(7)
                } else {
                    runs
                };
                let t1 =
                    p1.install(|| timing(n, || drop(black_box(est.estimate(cur, refp).unwrap()))));
                let t2 =
                    p2.install(|| timing(n, || drop(black_box(est.estimate(cur, refp).unwrap()))));
                let f = est.estimate(cur, refp).unwrap();
                let q = sad_per_px(&f, p);
                let early_s = if alg == SearchAlgorithm::Full {
                    "-".to_string()
                } else {
                    early.to_string()
                };
                println!(
                    "| {alg} | {early_s} | {:.3} / {:.3} | {} | {:.3} / {:.3} | {} | {q:.3} | {:+.1}% |",
                    t1.0,
                    t1.1,
                    fmt_cpu(t1.2),
                    t2.0,
                    t2.1,
                    fmt_cpu(t2.2),
                    100.0 * (q / full_q - 1.0)
                );
                if alg == SearchAlgorithm::Full {
                    let pc = pixel_candidates(p.w, p.h) as f64;
                    let per = |ms: f64| format!("{:.1}", pc / ms / 1e6);
                    println!(
                        "| Full: Gpixel-candidates/s ({:.2} G per frame) | | {} (min {}) | {} | {} (min {}) | | | |",
                        pc / 1e9,
                        per(t1.0),
                        per(t1.1),
                        t1.2.map(per).unwrap_or_default(),
                        per(t2.0),
                        per(t2.1)
                    );
                }
            }
        }
        for sub in [SubpelPrecision::Half, SubpelPrecision::Quarter] {
            let est = estimator(SearchAlgorithm::Diamond, EARLY_EXIT).with_subpel(sub);
            let t1 = p1.install(|| {
                timing(runs.min(11), || {
                    drop(black_box(est.estimate(cur, refp).unwrap()))
                })
            });
            let t2 = p2.install(|| {
                timing(runs.min(11), || {
                    drop(black_box(est.estimate(cur, refp).unwrap()))
                })
            });
            let q = sad_per_px(&est.estimate(cur, refp).unwrap(), p);
            println!(
                "| diamond + {sub:?}-pel | {} | {:.3} / {:.3} | {} | {:.3} / {:.3} | {} | {q:.3} | {:+.1}% |",
                EARLY_EXIT,
                t1.0,
                t1.1,
                fmt_cpu(t1.2),
                t2.0,
                t2.1,
                fmt_cpu(t2.2),
                100.0 * (q / full_q - 1.0)
            );
        }
        println!("load average after: {}", loadavg());
    }
}

fn criterion_benches(c: &mut Criterion, pairs: &[Pair]) {
    for p in pairs {
        let (cur, refp) = p.planes();
        let mut g = c.benchmark_group(format!("motion/{}", p.name));
        for alg in SearchAlgorithm::ALL {
            if alg == SearchAlgorithm::Full {
                g.sample_size(10);
            } else {
                g.sample_size(30);
            }
            let est = estimator(alg, EARLY_EXIT);
            for threads in [1, 2] {
                let pl = pool(threads);
                g.bench_function(BenchmarkId::new(alg.name(), format!("{threads}t")), |b| {
                    pl.install(|| b.iter(|| black_box(est.estimate(cur, refp).unwrap())))
                });
            }
        }
        g.finish();
    }
}

fn main() {
    if let Ok(text) = std::env::var("ASP_CPU_MASK") {
        asp_core::cpu::set_mask(text.parse().unwrap_or_else(|e| panic!("ASP_CPU_MASK: {e}")));
    }
    let pairs = [load("720p", 1280, 720), load("1080p", 1920, 1080)];
    if std::env::var("ASP_MOTION_SUMMARY").as_deref() != Ok("0") {
        summary(&pairs);
    }
    if std::env::var("ASP_MOTION_CRITERION").as_deref() != Ok("0") {
        let mut c = Criterion::default().configure_from_args();
        criterion_benches(&mut c, &pairs);
        c.final_summary();
    }
}
