#!/usr/bin/env python3
"""Encode-time A/B between ASP builds and x264, for development.

    python3 bench/encode_time_ab.py CLIP.y4m DIR_A [DIR_B ...]

Each DIR holds an `asp-encode`. Every round encodes CLIP once with each
build (`--preset realtime --threads 2 --keyint 250 --qp QP`) and once with
x264 veryfast zerolatency (`-crf QP -threads 2`, through ffmpeg, as
`make bench-rd` runs it), in turn, so that load changes hit every encoder
alike; the script prints each encoder's median wall seconds and user+sys
CPU seconds over the rounds, frames per wall second and per CPU second,
and its ratio to x264's fps in the same run. Environment: ROUNDS=N
(default 5), QP=N (default 27), THREADS=N (default 2).
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd):
    """Wall and user+sys CPU seconds of one child run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def frame_count(clip):
    """Frames of a 4:2:0 y4m file, from its header and size."""
    with open(clip, "rb") as f:
        header = f.readline().split()
        first = f.readline()
    width = next(int(t[1:]) for t in header if t.startswith(b"W"))
    height = next(int(t[1:]) for t in header if t.startswith(b"H"))
    frame_bytes = len(first) + width * height * 3 // 2
    header_bytes = len(b" ".join(header)) + 1
    return (os.path.getsize(clip) - header_bytes) // frame_bytes


def main():
    args = sys.argv[1:]
    if len(args) < 2 or any(a.startswith("-") for a in args):
        print(__doc__)
        sys.exit(2)
    clip, dirs = args[0], args[1:]
    rounds = int(os.environ.get("ROUNDS", "5"))
    qp = os.environ.get("QP", "27")
    threads = os.environ.get("THREADS", "2")
    frames = frame_count(clip)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        encoders = {
            d: [f"{d}/asp-encode", clip, "-o", str(out / "a.asp"), "--force", "--preset", "realtime", "--threads", threads,
                "--keyint", "250", "--qp", qp]
            for d in dirs
        }
        encoders["x264 veryfast"] = ["ffmpeg", "-y", "-v", "error", "-i", clip, "-c:v", "libx264", "-preset", "veryfast",
                                     "-tune", "zerolatency", "-g", "250", "-keyint_min", "250", "-sc_threshold", "0",
                                     "-crf", qp, "-threads", threads, "-f", "h264", str(out / "x.h264")]
        times = {name: [] for name in encoders}
        for _ in range(rounds):
            for name, cmd in encoders.items():
                times[name].append(run(cmd))
    x264_wall = statistics.median(w for w, _ in times["x264 veryfast"])
    x264_cpu = statistics.median(c for _, c in times["x264 veryfast"])
    print(f"{frames} frames, {rounds} rounds, QP/CRF {qp}, {threads} threads, load average {os.getloadavg()[0]:.2f}")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name}: wall {wall:.2f} s ({frames / wall:.0f} fps, {x264_wall / wall:.2f}x x264), "
              f"CPU {cpu:.2f} s ({frames / cpu:.0f} fps per CPU-second, {x264_cpu / cpu:.2f}x x264)")


if __name__ == "__main__":
    main()
