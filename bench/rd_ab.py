#!/usr/bin/env python3
"""Quick rate-distortion A/B between ASP builds, for development.

    .venv/bin/python bench/rd_ab.py DIR_A DIR_B [DIR_C ...]

Each DIR holds an `asp-encode` (a build, or a script that runs one with
other settings). Every build encodes each clip at four QPs with 1 thread and
one keyframe, and the script prints the BD-rate (PSNR-Y) of each against
DIR_A and against x264 veryfast zerolatency (four CRFs, cached). Clips
(bench/rd_clips.py; all but screen derive from bigbuckbunny in
../shared/media, or $ASP_BBB): bbb (1280x720), screen (generated 1280x720
screen content), qcif (bigbuckbunny 176x144 at 30 fps, --qp 30/34/38/42,
about 20-300 kbit/s), pan (a fast textured pan, 640x272); the others at
--qp 22/27/32/37. One thread and no tiles: the figures measure coding
tools, not threading; `make bench-rd` is the full benchmark. Environment:
CLIPS=bbb,screen (which clips), FRAMES=N (the first N frames only),
EXTRA="..." (more asp-encode arguments for every build).
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rd_clips  # noqa: E402
import rd_metrics  # noqa: E402

# ASP QPs and x264 CRFs per clip: QCIF at the rates small pictures are
# sent at (about 20-300 kbit/s), the others over their usual range.
QPS = {"qcif": [30, 34, 38, 42]}
CRFS = {"qcif": [31, 35, 39, 43]}
DEFAULT_QPS = [22, 27, 32, 37]
DEFAULT_CRFS = [23, 28, 33, 38]
CACHE = rd_clips.OUT / "rd-ab"


def clip(key):
    c = rd_clips.prepare(key)
    if c is None:
        sys.exit(f"clip {key!r} is unavailable (see the note above)")
    return c, c.load()


def mean_psnr(path, src, c):
    values = []
    with open(path, "rb") as f:
        for n, frame in enumerate(rd_metrics.Y4m(f).frames()):
            values.append(rd_metrics.psnr_y(src[n], rd_metrics.luma(frame, c.width, c.height)))
    return float(np.mean(values)), len(values)


def asp_point(bin_dir, c, src, qp, tag, frames, extra):
    out = CACHE / f"{tag}_{c.key}_{qp}.asp"
    recon = out.with_suffix(".y4m")
    cmd = [f"{bin_dir}/asp-encode", str(c.path), "-o", str(out), "--force", "--threads", "1", "--keyint", "250",
           "--qp", str(qp), "--recon", str(recon)] + extra
    if frames:
        cmd += ["--frames", str(frames)]
    subprocess.run(cmd, check=True, capture_output=True)
    psnr, n = mean_psnr(recon, src, c)
    recon.unlink()
    return out.stat().st_size * 8 / (n / c.fps) / 1000, psnr


def x264_point(c, src, crf, frames):
    key = CACHE / f"x264vf_{c.key}_{crf}_{frames}.json"
    if key.exists():
        return tuple(json.loads(key.read_text()))
    out = CACHE / f"x264_{c.key}_{crf}.h264"
    recon = out.with_suffix(".y4m")
    limit = ["-frames:v", str(frames)] if frames else []
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-i", str(c.path), *limit, "-c:v", "libx264", "-preset", "veryfast",
                    "-tune", "zerolatency", "-g", "250", "-keyint_min", "250", "-sc_threshold", "0", "-crf", str(crf),
                    "-threads", "2", "-f", "h264", str(out)], check=True)
    subprocess.run(["ffmpeg", "-y", "-v", "error", "-i", str(out), "-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p",
                    str(recon)], check=True)
    psnr, n = mean_psnr(recon, src, c)
    recon.unlink()
    point = (out.stat().st_size * 8 / (n / c.fps) / 1000, psnr)
    key.write_text(json.dumps(point))
    return point


def main():
    dirs = sys.argv[1:]
    if not dirs or any(d.startswith("-") for d in dirs):
        print(__doc__)
        sys.exit(2)
    CACHE.mkdir(parents=True, exist_ok=True)
    frames = int(os.environ.get("FRAMES", "0"))
    extra = os.environ.get("EXTRA", "").split()
    for key in os.environ.get("CLIPS", "bbb,screen").split(","):
        c, src = clip(key)
        if frames:
            src = src[:frames]
        x264 = [x264_point(c, src, crf, frames) for crf in CRFS.get(key, DEFAULT_CRFS)]
        curves = []
        for i, d in enumerate(dirs):
            with ThreadPoolExecutor(2) as pool:
                points = list(pool.map(lambda qp, d=d, i=i: asp_point(d, c, src, qp, f"d{i}", frames, extra),
                                       QPS.get(key, DEFAULT_QPS)))
            curves.append(points)
            against_a = rd_metrics.bd_rate(curves[0], points)[0] if i else 0.0
            line = " ".join(f"{kbps:.0f}k/{psnr:.2f}" for kbps, psnr in points)
            print(f"{key} {d}: vs x264 veryfast {rd_metrics.bd_rate(x264, points)[0]:+.2f} %  vs A {against_a:+.2f} %   {line}",
                  flush=True)


if __name__ == "__main__":
    main()
