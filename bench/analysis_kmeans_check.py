#!/usr/bin/env python3
"""k-means palettes over many frames and seeds (issue 8): does a change keep
the inertia, and where does scikit-learn land?

For each frame of the clip (1920x1080, at the times given) and each numpy
seed, draws a 20000-pixel sample as bench/analysis.py does, runs
`kmeans_check` (crates/asp-encoder/examples/kmeans_check.rs) with seeds
0..SEEDS-1 on it, and scikit-learn's KMeans(n_init=1, random_state=0) once.
With --baseline, a second kmeans_check binary (e.g. built at an older
commit) runs on the same samples and each pair is compared.

    build/bench-analysis-venv/bin/python bench/analysis_kmeans_check.py \\
        --bin $CARGO_TARGET_DIR/release/examples/kmeans_check [--baseline OLD] [--colors 8] [--seeds 16]

Prints, per binary: the mean inertia, the pairs more than 0.5 above the
best inertia any run found on that sample (a poorer local minimum), the
median and largest time; and, with a baseline, the pairs worse or better by
more than 0.5.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def inertia(pixels, colors):
    c = np.asarray(colors, dtype=np.float64)
    p = pixels.astype(np.float64)
    best = np.full(len(p), np.inf)
    for row in c:
        best = np.minimum(best, ((p - row) ** 2).sum(axis=1))
    return float(best.mean())


def run_bin(binary, k, seeds, runs, files):
    out = subprocess.run([str(binary), str(k), str(seeds), str(runs)] + [str(f) for f in files],
                         capture_output=True, text=True, check=True).stdout
    rows = {}
    for line in out.splitlines():
        f, seed, value, ms = line.split()[:4]
        rows[(f, int(seed))] = (float(value), float(ms))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, type=Path)
    ap.add_argument("--baseline", type=Path)
    ap.add_argument("--media", default="/work/shared/media/bigbuckbunny.mp4")
    ap.add_argument("--out", default="build/bench-analysis-kmeans", type=Path)
    ap.add_argument("--times", default="0.5,1,2,3,4,5")
    ap.add_argument("--sample-seeds", default=3, type=int)
    ap.add_argument("--colors", default=8, type=int)
    ap.add_argument("--seeds", default=16, type=int)
    ap.add_argument("--runs", default=3, type=int)
    args = ap.parse_args()
    from sklearn.cluster import KMeans

    args.out.mkdir(parents=True, exist_ok=True)
    files, sk = [], {}
    for t in args.times.split(","):
        frame_path = args.out / f"frame_{t}.rgb"
        if not frame_path.exists():
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", t, "-i", args.media, "-frames:v", "1",
                            "-vf", "scale=1920:1080", "-f", "rawvideo", "-pix_fmt", "rgb24", str(frame_path)], check=True)
        pixels = np.fromfile(frame_path, dtype=np.uint8).reshape(-1, 3)
        for s in range(args.sample_seeds):
            sample = pixels[np.random.default_rng(s).integers(0, len(pixels), size=20000)]
            path = args.out / f"sample_{t}_{s}.rgb"
            sample.tofile(path)
            files.append(path)
            start = time.perf_counter()
            km = KMeans(n_clusters=args.colors, n_init=1, random_state=0).fit(sample.astype(np.float64))
            sk[str(path)] = (inertia(sample, km.cluster_centers_), (time.perf_counter() - start) * 1e3)
    bins = [("new", args.bin)] + ([("baseline", args.baseline)] if args.baseline else [])
    results = {name: run_bin(b, args.colors, args.seeds, args.runs, files) for name, b in bins}
    best = {}
    for rows in results.values():
        for (f, _), (value, _) in rows.items():
            best[f] = min(best.get(f, np.inf), value)
    print(f"k = {args.colors}, {len(files)} samples x {args.seeds} seeds; frames at {args.times} s")
    sk_values = [v for v, _ in sk.values()]
    print(f"scikit-learn KMeans(n_init=1, random_state=0): mean inertia {statistics.mean(sk_values):.3f}, "
          f"{sum(sk[f][0] > best[f] + 0.5 for f in sk)}/{len(sk)} samples more than 0.5 above the best found, "
          f"median {statistics.median(t for _, t in sk.values()):.2f} ms")
    for name, rows in results.items():
        values = [v for v, _ in rows.values()]
        times = [t for _, t in rows.values()]
        poor = sum(v > best[f] + 0.5 for (f, _), (v, _) in rows.items())
        above_sk = sum(v > sk[f][0] + 0.5 for (f, _), (v, _) in rows.items())
        print(f"{name}: mean inertia {statistics.mean(values):.3f}, {poor}/{len(values)} pairs more than 0.5 above "
              f"the best found, {above_sk} more than 0.5 above scikit-learn's; median {statistics.median(times):.3f} ms, "
              f"largest {max(times):.3f} ms")
    if args.baseline:
        new, old = results["new"], results["baseline"]
        d = [new[key][0] - old[key][0] for key in new]
        print(f"new vs baseline: worse by > 0.5 in {sum(x > 0.5 for x in d)}/{len(d)} pairs, better by > 0.5 in "
              f"{sum(x < -0.5 for x in d)}, largest worsening {max(d):+.2f}, mean difference {statistics.mean(d):+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
