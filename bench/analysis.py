#!/usr/bin/env python3
"""Analysis benchmarks (issue 8): palettes, face detection, ROI coding.

Run through bench/analysis.sh, which builds the Rust side and the venv.
Prints a Markdown report (also written to OUT/report.md). Every figure is
a median over repeated runs in this one process, next to its anchor
measured in the same run.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, **kw)


def median_ms(runs, f):
    times, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = f()
        times.append((time.perf_counter() - t) * 1e3)
    return float(np.median(times)), result


def inertia(pixels, colors):
    """Mean squared RGB distance of each pixel to its nearest colour."""
    c = np.asarray(colors, dtype=np.float64)
    best = np.full(len(pixels), np.inf)
    p = pixels.astype(np.float64)
    for row in c:
        best = np.minimum(best, ((p - row) ** 2).sum(axis=1))
    return float(best.mean())


def extract_frame(media, out, size, fmt, at="2"):
    if not out.exists():
        sh("ffmpeg", "-loglevel", "error", "-y", "-ss", at, "-i", media, "-frames:v", "1", "-vf",
           f"scale={size[0]}:{size[1]}", "-f", "rawvideo", "-pix_fmt", fmt, out)
    return np.fromfile(out, dtype=np.uint8)


def bench_palettes(args, out):
    from PIL import Image
    from sklearn.cluster import KMeans

    w, h, k, n, runs = 1920, 1080, args.colors, args.sample, args.runs
    # k-means takes milliseconds: more runs, so one scheduler hiccup on a
    # loaded machine does not move the median (Pillow's seconds keep `runs`).
    fast_runs = max(31, runs)
    frame = extract_frame(args.media, out / "frame1080.rgb", (w, h), "rgb24")
    pixels = frame.reshape(-1, 3)
    rng = np.random.default_rng(0)
    sample = pixels[rng.integers(0, len(pixels), size=n)]
    sample_path = out / "sample.rgb"
    sample.tofile(sample_path)
    bench = args.bin / "examples" / "analysis_bench"

    # Ours on the very same sample (no further sampling), then on the full frame.
    ours_sample = json.loads(sh(bench, "palette", sample_path, n, 1, k, n, fast_runs).stdout)
    ours_frame = json.loads(sh(bench, "palette", out / "frame1080.rgb", w, h, k, n, fast_runs).stdout)

    sample_f = sample.astype(np.float64)
    sk_ms, sk = median_ms(fast_runs, lambda: KMeans(n_clusters=k, n_init=1, random_state=0).fit(sample_f))
    image = Image.frombytes("RGB", (w, h), frame.tobytes())
    pil_ms, q = median_ms(runs, lambda: image.quantize(colors=k, method=Image.Quantize.MEDIANCUT))
    pil_colors = np.array(q.getpalette()[: 3 * k]).reshape(-1, 3)

    rows = [
        ("ASP k-means (same sample)", ours_sample["kmeans_ms"], ours_sample["kmeans"]["colors"]),
        ("scikit-learn KMeans(n_init=1) (same sample)", sk_ms, sk.cluster_centers_),
        (f"ASP k-means (full frame, its own {n}-pixel sample)", ours_frame["kmeans_ms"], ours_frame["kmeans"]["colors"]),
        ("ASP median cut (full frame)", ours_frame["median_cut_ms"], ours_frame["median_cut"]["colors"]),
        ("Pillow quantize MEDIANCUT (full frame)", pil_ms, pil_colors),
    ]
    lines = [
        f"1920x1080 frame of bigbuckbunny at 2 s, k = {k}, sample = {n} pixels drawn with numpy seed 0; "
        f"median of {fast_runs} runs ({runs} for Pillow's median cut); inertia = mean squared RGB distance to the nearest colour.",
        "",
        "| method | time (ms) | inertia on the sample | inertia on the frame |",
        "|---|---:|---:|---:|",
    ]
    for name, ms, colors in rows:
        lines.append(f"| {name} | {ms:.2f} | {inertia(sample, colors):.2f} | {inertia(pixels, colors):.2f} |")
    lines += [
        "",
        f"- k-means speed vs scikit-learn on the same sample: **{sk_ms / ours_sample['kmeans_ms']:.1f}x**",
        f"- median cut speed vs Pillow on the same frame: **{pil_ms / ours_frame['median_cut_ms']:.1f}x**",
    ]
    return lines


def gray_of(path):
    from PIL import Image

    img = Image.open(path).convert("L")
    return np.asarray(img), img.size


def bench_faces(args, out):
    import cv2

    cv2.setNumThreads(1)
    cascade = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml"))
    import matplotlib
    import skimage

    sk_data = Path(skimage.__file__).parent / "data"
    mpl_data = Path(matplotlib.get_data_path()) / "sample_data"
    images = [
        ("skimage astronaut.png (NASA, public domain)", sk_data / "astronaut.png", 1),
        ("skimage camera.png (CC0)", sk_data / "camera.png", 1),
        ("matplotlib grace_hopper.jpg (US Navy, public domain)", mpl_data / "grace_hopper.jpg", 1),
        ("skimage coffee.png (CC0, no face)", sk_data / "coffee.png", 0),
        ("skimage chelsea.png (a cat, no human face)", sk_data / "chelsea.png", 0),
    ]
    bench = args.bin / "examples" / "analysis_bench"
    env = dict(os.environ, RAYON_NUM_THREADS="1")

    def ours(gray, runs):
        path = out / "face.gray"
        np.ascontiguousarray(gray).tofile(path)
        h, w = gray.shape
        return json.loads(sh(bench, "face", path, w, h, runs, env=env).stdout)

    def theirs(gray, runs):
        return median_ms(runs, lambda: cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3, minSize=(24, 24)))

    lines = [
        "Both detectors run OpenCV's haarcascade_frontalface_default.xml, scale factor 1.1, "
        "3 neighbours, faces from 24 px, on the same grey picture, one thread each.",
        "",
        "| picture | size | faces expected | ASP found | OpenCV 4.10 found | ASP ms | OpenCV ms |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    frame720 = extract_frame(args.media, out / "frame720.gray", (1280, 720), "gray").reshape(720, 1280)
    pictures = [(name, *gray_of(path), expected) for name, path, expected in images]
    pictures.append(("bigbuckbunny frame at 2 s (cartoon)", frame720, (1280, 720), None))
    for name, gray, size, expected in pictures:
        runs = args.runs if size[0] >= 1000 else 3
        r = ours(gray, runs)
        cv_ms, found = theirs(gray, runs)
        exp = "-" if expected is None else str(expected)
        lines.append(
            f"| {name} | {size[0]}x{size[1]} | {exp} | {len(r['faces'])} | {len(found)} | {r['face_ms']:.1f} | {cv_ms:.1f} |"
        )
    return lines


def read_y4m(path):
    data = Path(path).read_bytes()
    header_end = data.index(b"\n")
    fields = data[:header_end].split()
    w = int(next(f[1:] for f in fields if f.startswith(b"W")))
    h = int(next(f[1:] for f in fields if f.startswith(b"H")))
    size = w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2)
    frames, at = [], header_end + 1
    while at < len(data):
        at = data.index(b"\n", at) + 1
        frames.append(np.frombuffer(data, dtype=np.uint8, count=w * h, offset=at).reshape(h, w))
        at += size
    return w, h, frames


def psnr(mse):
    return 10 * np.log10(255 * 255 / max(mse, 1e-10))


def bench_roi(args, out):
    w, h, seconds, rate = 1280, 720, args.seconds, args.bitrate
    source = out / "src720.y4m"
    if not source.exists():
        sh("ffmpeg", "-loglevel", "error", "-y", "-i", args.media, "-t", seconds, "-vf",
           f"scale={w}:{h}", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", source)
    enc, dec, info = (args.bin / b for b in ("asp-encode", "asp-decode", "asp-info"))
    roi = ["--roi", args.roi, "--roi-qp", str(args.roi_qp)]
    runs = {"base": [], "roi": roi, "layer": roi + ["--roi-layer"]}
    results = {}
    for name, extra in runs.items():
        asp = out / f"{name}.asp"
        t = time.perf_counter()
        sh(enc, source, "-o", asp, "--force", "--bitrate", rate, *extra)
        fps_time = time.perf_counter() - t
        sh(dec, asp, "-o", out / f"{name}.y4m", "--force")
        if name == "layer":
            sh(dec, asp, "-o", out / "layer-dropped.y4m", "--drop-c", "--force")
        events = [json.loads(l) for l in sh(info, asp, "--json", "--roi").stdout.decode().splitlines()]
        sizes = {"I": 0, "D": 0, "C": 0}
        for e in events:
            if e["event"] == "packet" and e["type"] in sizes:
                sizes[e["type"]] += e["packet_bytes"]
        regions = {e["sequence"]: e["regions"] for e in events if e["event"] == "roi" and e["type"] in "ID"}
        results[name] = (sizes, regions, fps_time)

    _, _, src = read_y4m(source)
    regions = results["roi"][1]
    masks = []
    for i in range(len(src)):
        m = np.zeros((h, w), dtype=bool)
        for r in regions.get(i, []):
            if r["type"] == "edge":
                continue  # side data only: the coding favours faces, text, motion
            m[r["y"] : r["y"] + r["height"], r["x"] : r["x"] + r["width"]] = True
        masks.append(m)
    coverage = float(np.mean([m.mean() for m in masks]))
    kinds = {}
    for rs in regions.values():
        for r in rs:
            kinds[r["type"]] = kinds.get(r["type"], 0) + 1

    def measure(y4m):
        _, _, frames = read_y4m(y4m)
        roi_mse, all_mse = [], []
        for s, d, m in zip(src, frames, masks):
            e = (s.astype(np.float64) - d) ** 2
            all_mse.append(e.mean())
            if m.any():
                roi_mse.append(e[m].mean())
        return psnr(np.mean(roi_mse)), psnr(np.mean(all_mse))

    duration = len(src) / 30.0
    lines = [
        f"bigbuckbunny (the clip in shared/media), {len(src)} frames 1280x720 at 30 fps, `--bitrate {rate}`, "
        f"`--roi {args.roi} --roi-qp {args.roi_qp}`; regions found per frame by the encoder (kinds over the clip: {kinds}); "
        f"the face, text and motion ones cover {100 * coverage:.1f} % of the picture on average; ROI PSNR-Y is over "
        "those (the same regions for every row), of the mean MSE.",
        "",
        "| stream | kbit/s (I+D) | kbit/s (C) | PSNR-Y in regions | PSNR-Y overall | encode s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [
        ("no --roi", "base", "base.y4m"),
        ("--roi", "roi", "roi.y4m"),
        ("--roi --roi-layer, C-packets dropped", "layer", "layer-dropped.y4m"),
        ("--roi --roi-layer, C-packets kept", "layer", "layer.y4m"),
    ]
    for label, name, y4m in rows:
        sizes, _, enc_s = results[name]
        base_kbps = 8 * (sizes["I"] + sizes["D"]) / duration / 1000
        c_kbps = 8 * sizes["C"] / duration / 1000 if "kept" in label else 0
        roi_db, all_db = measure(out / y4m)
        lines.append(f"| {label} | {base_kbps:.0f} | {c_kbps:.0f} | {roi_db:.2f} | {all_db:.2f} | {enc_s:.1f} |")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--media", default="/work/shared/media/bigbuckbunny.mp4")
    p.add_argument("--bin", type=Path, required=True, help="cargo target dir's release/")
    p.add_argument("--out", type=Path, default=Path("build/bench-analysis"))
    p.add_argument("--colors", type=int, default=8)
    p.add_argument("--sample", type=int, default=20000)
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--seconds", default="5")
    p.add_argument("--bitrate", default="1000k")
    p.add_argument("--roi", default="face,text,motion")
    p.add_argument("--roi-qp", type=int, default=-3)
    p.add_argument("--only", choices=["palettes", "faces", "roi"], action="append")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    report = [f"Load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores).", ""]
    for name, f in (("palettes", bench_palettes), ("faces", bench_faces), ("roi", bench_roi)):
        if args.only and name not in args.only:
            continue
        report += [f"#### {name}", ""] + f(args, args.out) + [""]
    text = "\n".join(report)
    (args.out / "report.md").write_text(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
