#!/usr/bin/env python3
"""Rate-distortion and speed benchmark: ASP against the low-delay codecs
people use for browser video (`make bench-rd`, through bench/rd.sh).

For each clip (bigbuckbunny 1280x720 when ../shared/media has it, and a
generated 1280x720 screen-content clip) and each codec below, the clip is
encoded at fixed-quality points (ASP --qp; each anchor's own quantiser or
CRF), every stream is decoded back to raw 4:2:0 and compared with the source
frame by frame, aligned by index (ffmpeg's psnr filter would align
mpeg1video frames by timestamp, wrongly).  From the curves: Bjontegaard
BD-rate (PSNR-Y, SSIM-Y) of ASP against every anchor.  Then speed: encode
fps with 2 threads and 1-thread decode fps, medians of 3 interleaved runs.

Everything is written under build/bench/rd/; the tables go to
build/bench/rd-results.md and to the "Codec: rate-distortion and speed"
section of BENCHMARKS.md (other sections are left as they are).

    .venv/bin/python bench/rd.py --bin-dir target/release
    .venv/bin/python bench/rd.py --self-test      # BD-rate unit checks only
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
WORK = OUT / "rd"
RESULTS = OUT / "rd-results.md"
BENCHMARKS = ROOT / "BENCHMARKS.md"
SECTION = "## Codec: rate-distortion and speed"
BBB = ROOT.parent / "shared" / "media" / "bigbuckbunny.mp4"

KEYINT = 250          # one keyframe for these short clips, for every codec
THREADS_ENC = 2       # every encode (RD points and speed) uses 2 threads
RUNS = 3              # speed: median of this many interleaved runs
# Extra encode-speed rows, (codec key, threads): libvpx's VP8 threads wait
# for each other by spinning, which on a busy machine costs far more than
# they gain; one thread shows what VP8 does without that.
SPEED_EXTRA = [("vp8w", 1)]
PSNR_CAP = 60.0       # dB; a frame identical to the source counts as 60 dB
ASP_PRESET = "realtime"  # the CLI's default preset

# ---------------------------------------------------------------------------
# Codec configurations.  `quality` and `bitrate` are appended to `common`;
# {q} is the quality point, {kbps} a target bitrate.  Anchors are encoded
# by Debian's ffmpeg to elementary streams (.m1v, .h264 without SEI, .ivf
# whose 32 + 12-per-frame bytes of framing are not counted).
# Scene-cut keyframes are off wherever ffmpeg has a switch for it
# (sc_threshold, keyint_min = g); the tables show each stream's keyframes.
# ---------------------------------------------------------------------------


@dataclass
class Codec:
    key: str
    label: str
    ext: str
    points: list                    # quality points, best quality first
    common: list = field(default_factory=list)
    quality: list = field(default_factory=list)
    bitrate: list = field(default_factory=list)
    muxer: str = ""
    knob: str = ""                  # how the points are named in the tables


ASP = Codec(
    key="asp", label=f"ASP {ASP_PRESET}", ext="asp", knob="--qp",
    points=[22, 27, 32, 37],
)

ANCHORS = [
    Codec(
        key="mpeg1", label="mpeg1video (jsmpeg)", ext="m1v", muxer="mpeg1video", knob="-q:v",
        points=[3, 6, 12, 24],
        common=["-c:v", "mpeg1video", "-bf", "0", "-g", str(KEYINT), "-sc_threshold", "1000000000"],
        quality=["-q:v", "{q}"],
        bitrate=["-b:v", "{kbps}k"],
    ),
    Codec(
        key="x264uf", label="x264 ultrafast zl", ext="h264", muxer="h264", knob="-crf",
        points=[23, 28, 33, 38],
        common=["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                "-g", str(KEYINT), "-keyint_min", str(KEYINT), "-sc_threshold", "0",
                "-bsf:v", "filter_units=remove_types=6"],
        quality=["-crf", "{q}"],
        bitrate=["-b:v", "{kbps}k"],
    ),
    Codec(
        key="x264vf", label="x264 veryfast zl", ext="h264", muxer="h264", knob="-crf",
        points=[23, 28, 33, 38],
        common=["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
                "-g", str(KEYINT), "-keyint_min", str(KEYINT), "-sc_threshold", "0",
                "-bsf:v", "filter_units=remove_types=6"],
        quality=["-crf", "{q}"],
        bitrate=["-b:v", "{kbps}k"],
    ),
    # As the issue names it.  In realtime mode a positive -cpu-used makes
    # libvpx pick VP8's speed from the measured encode time (aiming at
    # (16 - 8) / 16 of the frame interval), so on a busy machine it goes
    # faster and worse, and two runs differ.
    Codec(
        key="vp8", label="VP8 realtime cpu-used 8", ext="ivf", muxer="ivf", knob="-qmin=-qmax",
        points=[8, 24, 40, 56],
        common=["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0",
                "-g", str(KEYINT), "-keyint_min", str(KEYINT)],
        quality=["-b:v", "100M", "-qmin", "{q}", "-qmax", "{q}"],
        bitrate=["-b:v", "{kbps}k"],
    ),
    # What libwebrtc's VP8 encoder sets on desktop at this size: a fixed
    # speed 6 (negative -cpu-used), deterministic.
    Codec(
        key="vp8w", label="VP8 realtime cpu-used -6", ext="ivf", muxer="ivf", knob="-qmin=-qmax",
        points=[8, 24, 40, 56],
        common=["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "-6", "-lag-in-frames", "0",
                "-g", str(KEYINT), "-keyint_min", str(KEYINT)],
        quality=["-b:v", "100M", "-qmin", "{q}", "-qmax", "{q}"],
        bitrate=["-b:v", "{kbps}k"],
    ),
    Codec(
        key="vp9", label="VP9 realtime", ext="ivf", muxer="ivf", knob="-qmin=-qmax",
        points=[20, 32, 44, 56],
        common=["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-lag-in-frames", "0",
                "-row-mt", "1", "-g", str(KEYINT), "-keyint_min", str(KEYINT)],
        quality=["-b:v", "100M", "-qmin", "{q}", "-qmax", "{q}"],
        bitrate=["-b:v", "{kbps}k"],
    ),
]
ANCHOR = {c.key: c for c in ANCHORS}
ALL = [ASP] + ANCHORS

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    """Runs cmd, raising with its stderr on failure."""
    p = subprocess.run([str(c) for c in cmd], capture_output=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"command failed ({p.returncode}): {' '.join(map(str, cmd))}\n"
                           f"{p.stderr.decode(errors='replace')[-2000:]}")
    return p


def fill(template, **values):
    return [str(a).format(**values) for a in template]


def ffmpeg(*args):
    return ["ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-y", *args]


def fmt_pct(v):
    return "n/a" if v is None else f"{v:+.1f} %".replace("-", "\u2212")


# ---------------------------------------------------------------------------
# y4m
# ---------------------------------------------------------------------------


class Y4m:
    """Reads an 8-bit 4:2:0 y4m stream frame by frame."""

    def __init__(self, f):
        self.f = f
        header = f.readline().split()
        if not header or header[0] != b"YUV4MPEG2":
            raise ValueError("not a y4m stream")
        tags = {t[:1]: t[1:].decode() for t in header[1:]}
        self.width, self.height = int(tags[b"W"]), int(tags[b"H"])
        num, den = tags.get(b"F", "25:1").split(":")
        self.fps = int(num) / int(den)
        if not tags.get(b"C", "420").startswith("420"):
            raise ValueError(f"y4m colour space {tags[b'C']} is not 4:2:0")
        self.frame_bytes = self.width * self.height * 3 // 2

    def frames(self):
        while True:
            line = self.f.readline()
            if not line:
                return
            if not line.startswith(b"FRAME"):
                raise ValueError("bad y4m frame header")
            data = self.f.read(self.frame_bytes)
            if len(data) != self.frame_bytes:
                raise ValueError("truncated y4m frame")
            yield data


def raw_frames(f, frame_bytes):
    while True:
        data = f.read(frame_bytes)
        if not data:
            return
        if len(data) != frame_bytes:
            raise ValueError("truncated raw frame")
        yield data


def luma(frame, width, height):
    return np.frombuffer(frame, np.uint8, width * height).reshape(height, width)


# ---------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------


def psnr_y(a, b):
    diff = a.astype(np.int32) - b.astype(np.int32)
    mse = float(np.mean(diff * diff))
    if mse == 0:
        return PSNR_CAP
    return min(PSNR_CAP, 10 * np.log10(255 * 255 / mse))


def _block4(x):
    h, w = x.shape
    return x.reshape(h // 4, 4, w // 4, 4).sum(axis=(1, 3), dtype=np.int64)


def ssim_y(a, b):
    """SSIM as x264 and ffmpeg's ssim filter compute it: 8x8 windows on a
    4-pixel grid, from 4x4 block sums, constants for 8 bits."""
    h, w = (a.shape[0] // 4) * 4, (a.shape[1] // 4) * 4
    a = a[:h, :w].astype(np.int32)
    b = b[:h, :w].astype(np.int32)
    sums = [_block4(v) for v in (a, b, a * a + b * b, a * b)]
    s1, s2, ss, s12 = (v[:-1, :-1] + v[1:, :-1] + v[:-1, 1:] + v[1:, 1:] for v in sums)
    s1, s2, ss, s12 = (v.astype(np.float64) for v in (s1, s2, ss, s12))
    c1 = float(int(0.01 * 0.01 * 255 * 255 * 64 + 0.5))
    c2 = float(int(0.03 * 0.03 * 255 * 255 * 64 * 63 + 0.5))
    var = ss * 64 - s1 * s1 - s2 * s2
    cov = s12 * 64 - s1 * s2
    m = (2 * s1 * s2 + c1) * (2 * cov + c2) / ((s1 * s1 + s2 * s2 + c1) * (var + c2))
    return float(m.mean())


def ssim_db(s):
    return -10 * np.log10(max(1 - s, 1e-10))


def bd_rate(anchor, test):
    """Bjontegaard delta rate (VCEG-M33): cubic fits of log(rate) against
    quality, integrated over the overlapping quality range.  anchor and
    test are lists of (kbps, quality); returns (percent, overlap) with
    percent < 0 when test needs fewer bits, or (None, 0) without overlap."""
    (ra, qa), (rt, qt) = zip(*anchor), zip(*test)
    ra, qa, rt, qt = (np.asarray(v, dtype=np.float64) for v in (ra, qa, rt, qt))
    lo, hi = max(qa.min(), qt.min()), min(qa.max(), qt.max())
    if hi <= lo:
        return None, 0.0
    fa = np.polyint(np.polyfit(qa, np.log(ra), 3))
    ft = np.polyint(np.polyfit(qt, np.log(rt), 3))
    ia = np.polyval(fa, hi) - np.polyval(fa, lo)
    it = np.polyval(ft, hi) - np.polyval(ft, lo)
    return float((np.exp((it - ia) / (hi - lo)) - 1) * 100), float(hi - lo)


def self_test():
    """BD-rate checks on known pairs."""
    curve = [(400, 31.2), (700, 34.0), (1200, 36.9), (2100, 39.5)]
    half = [(r * 0.5, q) for r, q in curve]
    same, _ = bd_rate(curve, curve)
    assert abs(same) < 1e-9, same
    h, overlap = bd_rate(curve, half)
    assert abs(h + 50) < 1e-9 and abs(overlap - 8.3) < 1e-9, h
    d, _ = bd_rate(half, curve)
    assert abs(d - 100) < 1e-9, d
    # rate = exp(q / 4): a curve shifted by +1 dB needs exp(-1/4) of the bits.
    q = np.array([30.0, 33.0, 36.0, 39.0])
    base = list(zip(np.exp(q / 4), q))
    shifted = list(zip(np.exp(q / 4), q + 1))
    s, overlap = bd_rate(base, shifted)
    assert abs(s - (np.exp(-0.25) - 1) * 100) < 1e-6 and abs(overlap - 8) < 1e-9, s
    assert bd_rate(base, [(r, v + 20) for r, v in base])[0] is None
    # ssim_y: identical = 1, and it agrees with a direct computation.
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (16, 24), dtype=np.uint8)
    assert abs(ssim_y(a, a) - 1) < 1e-12
    b = np.clip(a.astype(int) + rng.integers(-9, 10, a.shape), 0, 255).astype(np.uint8)
    x, y = a[4:12, 8:16].astype(float), b[4:12, 8:16].astype(float)
    s1, s2, ss, s12 = x.sum(), y.sum(), (x * x + y * y).sum(), (x * y).sum()
    direct = ((2 * s1 * s2 + 416) * (2 * (s12 * 64 - s1 * s2) + 235963)
              / ((s1 * s1 + s2 * s2 + 416) * (ss * 64 - s1 * s1 - s2 * s2 + 235963)))
    windows = [ssim_y(a[r:r + 8, c:c + 8], b[r:r + 8, c:c + 8]) for r in (4,) for c in (8,)]
    assert abs(windows[0] - direct) < 1e-12
    assert abs(psnr_y(a, a) - PSNR_CAP) < 1e-12
    print("self-test: BD-rate (same 0 %, half rate -50 %, double +100 %, analytic shift), SSIM, PSNR: ok")


# ---------------------------------------------------------------------------
# Clips
# ---------------------------------------------------------------------------


@dataclass(eq=False)
class Clip:
    key: str
    label: str
    path: Path
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    note: str = ""

    def load(self):
        """Reads the luma planes of the source once; returns them."""
        with open(self.path, "rb") as f:
            y4m = Y4m(f)
            self.width, self.height, self.fps = y4m.width, y4m.height, y4m.fps
            planes = [luma(fr, self.width, self.height).copy() for fr in y4m.frames()]
        self.frames = len(planes)
        return planes

    @property
    def seconds(self):
        return self.frames / self.fps


def prepare_bbb():
    if not BBB.is_file():
        log(f"note: {BBB} is absent: the bigbuckbunny clip is skipped")
        return None
    path = WORK / "bbb.y4m"
    if not (path.is_file() and path.stat().st_mtime >= BBB.stat().st_mtime):
        log("preparing bigbuckbunny 1280x720 y4m")
        tmp = path.with_suffix(".tmp")
        run(ffmpeg("-i", BBB, "-an", "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", tmp))
        tmp.rename(path)
    return Clip("bbb", "bigbuckbunny 1280x720 (real footage)", path,
                note=f"`{BBB.name}` decoded to y4m 4:2:0, all frames")


SLIDE_TEXT = """\
- Glass-to-glass latency: 180 ms at p50, 240 ms at p95
- Packets: 16-byte header, FlatBuffers payload, CRC-32
- Decoder in WebAssembly, one worker per stream
- Keyframes on demand after packet loss
- Next: screen-content tools and 4:4:4 chroma"""

SIDEBAR_TEXT = "\n".join(["EXPLORER", "  asp-core", "    codec", "      deblock.rs", "      decoder.rs",
                          "      quant.rs", "      recon.rs", "    packet", "  asp-encoder", "    motion",
                          "  asp-cli", "  schemas", "    asp.fbs", "  Makefile", "  README.md"])


def code_text():
    """90 lines of plausible code, deterministic."""
    lines, depth = [], 0
    words = ["frame", "block", "plane", "qp", "cost", "mv", "ref", "tile", "row", "bits"]
    for i in range(90):
        w1, w2 = words[i % 10], words[(i * 7 + 3) % 10]
        kind = i % 9
        if kind == 0:
            lines.append(f"fn encode_{w1}_{i}(&mut self, {w2}: &{w1.capitalize()}) -> Result<u32> {{")
            depth = 1
        elif kind == 8:
            lines.append("}")
            depth = 0
        elif kind == 3:
            lines.append("    " * depth + f"for {w2} in 0..self.{w1}s.len() {{")
            depth += 1
        elif kind == 6:
            depth = max(1, depth - 1)
            lines.append("    " * depth + "}")
        else:
            lines.append("    " * depth + f"let {w1}_{w2} = self.{w2}[{i}] * {i * 37 % 97} + {w1};  // {w2} {i}")
    return "\n".join(lines)


def font(name):
    if not shutil.which("fc-match"):
        return None
    p = subprocess.run(["fc-match", "-f", "%{file}", name], capture_output=True, text=True)
    f = p.stdout.strip()
    return f if p.returncode == 0 and f and Path(f).is_file() else None


def screen_graph(d, sans, mono):
    """A filtergraph for 4 s of 1280x720 at 30 fps: 2 s of a slide (static,
    a moving cursor, a webcam inset), then 2 s of a dark code editor whose
    text scrolls at 3 px a frame.  Without fonts, boxes stand in for text."""
    slide, editor = "enable='lt(t,2)'", "enable='gte(t,2)'"
    f = [
        "color=c=0xf4f4f4:s=1280x720:r=30:d=4",
        f"drawbox=0:0:1280:96:0x1f4e79:t=fill:{slide}",
        f"drawbox=760:180:60:300:0x4f81bd:t=fill:{slide}",
        f"drawbox=840:260:60:220:0xc0504d:t=fill:{slide}",
        f"drawbox=920:120:60:360:0x9bbb59:t=fill:{slide}",
        f"drawbox=740:480:280:2:0x404040:t=fill:{slide}",
        f"drawbox=0:0:1280:720:0x1e1e1e:t=fill:{editor}",
    ]
    if sans and mono:
        (d / "slide.txt").write_text(SLIDE_TEXT + "\n")
        (d / "sidebar.txt").write_text(SIDEBAR_TEXT + "\n")
        (d / "code.txt").write_text(code_text() + "\n")
        f += [
            f"drawtext=fontfile={sans}:expansion=none:text='Streaming latency review':"
            f"fontcolor=white:fontsize=44:x=40:y=24:{slide}",
            f"drawtext=fontfile={sans}:expansion=none:textfile={d}/slide.txt:fontcolor=0x202020:"
            f"fontsize=24:line_spacing=22:x=48:y=150:{slide}",
            f"drawtext=fontfile={mono}:expansion=none:textfile={d}/code.txt:fontcolor=0xd4d4d4:"
            f"fontsize=18:line_spacing=6:x=236:y='48-(t-2)*90':{editor}",
        ]
    else:
        for i in range(10):  # text-like bars
            f.append(f"drawbox=48:{150 + 46 * i}:{180 + (i * 173) % 420}:18:0x303030:t=fill:{slide}")
            f.append(f"drawbox=236:{48 + 24 * i}:{120 + (i * 211) % 700}:12:0xd4d4d4:t=fill:{editor}")
    f += [  # editor chrome over the scrolling text
        f"drawbox=0:0:220:720:0x252526:t=fill:{editor}",
        f"drawbox=0:0:1280:32:0x333333:t=fill:{editor}",
        f"drawbox=0:696:1280:24:0x007acc:t=fill:{editor}",
    ]
    if sans and mono:
        f.append(f"drawtext=fontfile={sans}:expansion=none:textfile={d}/sidebar.txt:fontcolor=0xbbbbbb:"
                 f"fontsize=16:line_spacing=10:x=14:y=48:{editor}")
    base = ",".join(f) + "[bg]"
    inset = "testsrc2=s=320x180:r=30:d=4[cam]"
    cursor = "color=c=0xe08000:s=12x18:r=30:d=4[cur]"
    over = ("[bg][cam]overlay=x=940:y=500[a];"
            "[a][cur]overlay=x='200+150*t':y='300+40*t':eval=frame,format=yuv420p[out]")
    return f"{base};{inset};{cursor};{over}"


def prepare_screen():
    d = WORK / "screen"
    d.mkdir(parents=True, exist_ok=True)
    sans, mono = font("DejaVu Sans"), font("DejaVu Sans Mono")
    graph = screen_graph(d, sans, mono)
    path, stamp = WORK / "screen.y4m", WORK / "screen.graph"
    if not (path.is_file() and stamp.is_file() and stamp.read_text() == graph):
        log("generating the screen-content clip")
        tmp = path.with_suffix(".tmp")
        run(ffmpeg("-filter_complex", graph, "-map", "[out]", "-frames:v", "120",
                   "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", tmp))
        tmp.rename(path)
        stamp.write_text(graph)
    text = "text drawn with DejaVu Sans / Sans Mono" if sans and mono else \
        "no fonts found (fc-match): grey bars stand in for text"
    return Clip("screen", "screen content 1280x720 (generated)", path,
                note=f"generated by ffmpeg lavfi: 2 s slide then 2 s code editor scrolling 3 px/frame, "
                     f"moving cursor, 320x180 testsrc2 inset, 30 fps; {text}")


# ---------------------------------------------------------------------------
# Encoding and decoding
# ---------------------------------------------------------------------------


class Tools:
    def __init__(self, bin_dir):
        self.bin_dir = Path(bin_dir)
        for b in ("asp-encode", "asp-decode", "asp-info"):
            if not (self.bin_dir / b).is_file():
                raise SystemExit(f"{self.bin_dir / b} is missing: build with cargo build --release -p asp-cli")

    def __getattr__(self, name):
        return self.bin_dir / name.replace("_", "-")


def asp_encode_cmd(tools, clip, out, qp=None, recon=None):
    cmd = [tools.asp_encode, clip.path, "-o", out, "--preset", ASP_PRESET,
           "--threads", THREADS_ENC, "--keyint", KEYINT]
    if qp is not None:
        cmd += ["--qp", qp]
    if recon is not None:
        cmd += ["--recon", recon]
    return cmd


def anchor_encode_cmd(codec, clip, out, q=None, kbps=None, threads=THREADS_ENC):
    rate = fill(codec.quality, q=q) if q is not None else fill(codec.bitrate, kbps=kbps)
    return ffmpeg("-i", clip.path, *codec.common, *rate, "-threads", threads, "-f", codec.muxer, out)


def stream_path(clip, codec, q):
    return WORK / clip.key / f"{codec.key}_{q}.{codec.ext}"


def payload_bytes(codec, path, frames):
    """Elementary stream size: the whole .asp, .m1v and .h264 file; .ivf
    minus its 32-byte header and 12-byte frame headers."""
    size = path.stat().st_size
    return size - 32 - 12 * frames if codec.ext == "ivf" else size


def keyframes(tools, codec, path):
    if codec is ASP:
        out = run([tools.asp_info, "--json", path]).stdout.decode().splitlines()
        summary = [json.loads(line) for line in out if '"summary"' in line][0]
        return summary["i"], summary["i"] + summary["d"]
    p = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=flags",
             "-of", "csv=p=0", path])
    flags = p.stdout.decode().split()
    return sum("K" in f for f in flags), len(flags)


def decoded_frames(tools, codec, path, clip):
    """Yields the decoded frames (bytes, 4:2:0) of a stream, in order."""
    if codec is ASP:
        cmd = [tools.asp_decode, path, "-o", "-"]
    else:
        cmd = ffmpeg("-threads", "1", "-i", path, "-fps_mode", "passthrough",
                     "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        if codec is ASP:
            y4m = Y4m(proc.stdout)
            if (y4m.width, y4m.height) != (clip.width, clip.height):
                raise RuntimeError(f"{path}: decoded size {y4m.width}x{y4m.height}")
            yield from y4m.frames()
        else:
            yield from raw_frames(proc.stdout, clip.width * clip.height * 3 // 2)
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        if proc.wait() != 0:
            raise RuntimeError(f"decoding failed: {' '.join(map(str, cmd))}\n{err[-2000:]}")


@dataclass
class Point:
    codec: str
    q: object
    kbps: float
    psnr: float
    ssim: float
    keyframes: int
    capped: int = 0


def measure(tools, clip, source, codec, q):
    """Encodes one quality point, decodes it, compares with the source."""
    path = stream_path(clip, codec, q)
    path.parent.mkdir(parents=True, exist_ok=True)
    recon = path.with_suffix(".recon.y4m") if codec is ASP else None
    if codec is ASP:
        run(asp_encode_cmd(tools, clip, path, qp=q, recon=recon))
    else:
        run(anchor_encode_cmd(codec, clip, path, q=q))
    recon_file = open(recon, "rb") if recon else None
    recon_frames = Y4m(recon_file).frames() if recon else None
    psnrs, ssims, n = [], [], 0
    for frame in decoded_frames(tools, codec, path, clip):
        if n >= len(source):
            raise RuntimeError(f"{path}: more frames decoded than the source's {len(source)}")
        if recon_frames is not None and next(recon_frames, None) != frame:
            raise RuntimeError(f"{path}: asp-decode frame {n} differs from asp-encode --recon")
        y = luma(frame, clip.width, clip.height)
        psnrs.append(psnr_y(source[n], y))
        ssims.append(ssim_y(source[n], y))
        n += 1
    if n != len(source):
        raise RuntimeError(f"{path}: {n} frames decoded, the source has {len(source)}")
    if recon:
        recon_file.close()
        recon.unlink()
    keys, packets = keyframes(tools, codec, path)
    if packets != n:
        raise RuntimeError(f"{path}: {packets} packets for {n} frames")
    kbps = payload_bytes(codec, path, n) * 8 / clip.seconds / 1000
    return Point(codec.key, q, kbps, float(np.mean(psnrs)), float(np.mean(ssims)), keys,
                 sum(p >= PSNR_CAP for p in psnrs))


# ---------------------------------------------------------------------------
# Speed
# ---------------------------------------------------------------------------


@dataclass
class Job:
    name: str
    cmd: list
    frames: int
    codec: Codec = None
    out: Path = None
    kbps: float = 0.0
    walls: list = field(default_factory=list)
    cpus: list = field(default_factory=list)

    def once(self):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        run(self.cmd)
        self.walls.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)

    @property
    def fps(self):
        return self.frames / statistics.median(self.walls)

    @property
    def cpu_fps(self):
        return self.frames / statistics.median(self.cpus)


def time_jobs(jobs):
    """Runs every job RUNS times, round-robin, so load changes on a shared
    machine hit every codec alike."""
    for r in range(RUNS):
        for job in jobs:
            log(f"speed run {r + 1}/{RUNS}: {job.name}")
            job.once()


def speed(tools, clip):
    """Encode (2 threads) and decode (1 thread) speed.  ASP: default preset
    and quality (the CLI's --qp 26).  Anchors: their bitrate mode at the
    bitrate ASP reached, so every stream carries about as many bits."""
    d = WORK / clip.key
    asp_out = d / "speed.asp"
    run(asp_encode_cmd(tools, clip, asp_out))  # warm-up, and the bitrate to match
    kbps = payload_bytes(ASP, asp_out, clip.frames) * 8 / clip.seconds / 1000
    target = max(1, round(kbps))
    enc = [Job(ASP.label, asp_encode_cmd(tools, clip, asp_out), clip.frames, ASP, asp_out)]
    for c in ANCHORS:
        out = d / f"speed_{c.key}.{c.ext}"
        enc.append(Job(c.label, anchor_encode_cmd(c, clip, out, kbps=target), clip.frames, c, out))
    extra = []
    for key, threads in SPEED_EXTRA:
        c, out = ANCHOR[key], d / f"speed_{key}_t{threads}.{ANCHOR[key].ext}"
        extra.append(Job(f"{c.label}, {threads} thread{'s' if threads > 1 else ''}",
                         anchor_encode_cmd(c, clip, out, kbps=target, threads=threads), clip.frames, c, out))
    time_jobs(enc + extra)
    for j in enc + extra:
        j.kbps = payload_bytes(j.codec, j.out, clip.frames) * 8 / clip.seconds / 1000
    dec = [Job("asp-decode --threads 1", [tools.asp_decode, asp_out, "-o", "/dev/null", "--threads", "1"],
               clip.frames, ASP, asp_out, enc[0].kbps)]
    for j in enc[1:]:
        dec.append(Job(f"ffmpeg -threads 1: {j.name} stream", ffmpeg("-threads", "1", "-i", j.out, "-f", "null", "-"),
                       clip.frames, j.codec, j.out, j.kbps))
    time_jobs(dec)
    return enc + extra, dec


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def curve(points, key, metric):
    return [(p.kbps, p.psnr if metric == "psnr" else ssim_db(p.ssim)) for p in points if p.codec == key]


def rd_table(points):
    rows = []
    for c in ALL:
        for p in (p for p in points if p.codec == c.key):
            rows.append([c.label, f"{c.knob} {p.q}", f"{p.kbps:.0f}", f"{p.psnr:.2f}",
                         f"{p.ssim:.4f} ({ssim_db(p.ssim):.2f} dB)", p.keyframes])
    return md_table(["codec", "point", "kbit/s", "PSNR-Y dB", "SSIM-Y", "keyframes"], rows)


def extra_keyframes(points):
    by = {}
    for p in points:
        if p.keyframes > 1:
            by.setdefault(p.codec, []).append(f"{p.q}: {p.keyframes}")
    labels = {c.key: c for c in ALL}
    return "; ".join(f"{labels[k].label} ({labels[k].knob} {', '.join(v)})" for k, v in by.items())


def bd_tables(points):
    rows = []
    for a in ANCHORS:
        p, po = bd_rate(curve(points, a.key, "psnr"), curve(points, "asp", "psnr"))
        s, so = bd_rate(curve(points, a.key, "ssim"), curve(points, "asp", "ssim"))
        rows.append([a.label, fmt_pct(p), f"{po:.1f}", fmt_pct(s), f"{so:.1f}"])
    asp = md_table(["ASP against", "BD-rate PSNR-Y", "overlap dB", "BD-rate SSIM-Y", "overlap dB"], rows)
    rows = []
    for c in ANCHORS[1:]:
        p, po = bd_rate(curve(points, "mpeg1", "psnr"), curve(points, c.key, "psnr"))
        rows.append([c.label, fmt_pct(p), f"{po:.1f}"])
    ref = md_table(["anchor against mpeg1video", "BD-rate PSNR-Y", "overlap dB"], rows)
    return asp, ref


def speed_tables(enc, dec):
    rows = [[j.name, f"{j.kbps:.0f}", f"{j.fps:.0f}", f"{j.cpu_fps:.0f}",
             " / ".join(f"{j.frames / w:.0f}" for w in j.walls)] for j in enc]
    e = md_table([f"encoder, {THREADS_ENC} threads", "kbit/s", "fps (wall)", "fps per CPU-second", "runs (fps)"], rows)
    rows = [[j.name, f"{j.kbps:.0f}", f"{j.fps:.0f}", f"{j.cpu_fps:.0f}",
             " / ".join(f"{j.frames / w:.0f}" for w in j.walls)] for j in dec]
    d = md_table(["decoder, 1 thread", "kbit/s", "fps (wall)", "fps per CPU-second", "runs (fps)"], rows)
    return e, d


def targets(results):
    """One line per target: met / not met, with the distance."""
    lines = []
    for clip, r in results.items():
        p, _ = bd_rate(curve(r["points"], "mpeg1", "psnr"), curve(r["points"], "asp", "psnr"))
        lines.append(target_line(f"BD-rate (PSNR-Y) against mpeg1video <= -50 % on {clip.label}", p, -50, "%"))
        p, _ = bd_rate(curve(r["points"], "x264vf", "psnr"), curve(r["points"], "asp", "psnr"))
        lines.append(target_line(f"BD-rate (PSNR-Y) against x264 veryfast zl <= 0 % on {clip.label}", p, 0, "%"))
    for clip, r in results.items():
        enc, dec = r["speed"]
        asp, vf = enc[0], next(j for j in enc if j.codec.key == "x264vf")
        lines.append(ratio_line(f"encode fps ({THREADS_ENC} threads) >= x264 veryfast zl on {clip.label}",
                                asp, vf, 1.0))
        h264 = next(j for j in dec if j.codec.key == "x264vf")
        lines.append(ratio_line(f"1-thread decode fps >= 0.5x ffmpeg h264 (x264 veryfast stream) on {clip.label}",
                                dec[0], h264, 0.5))
    return lines


def target_line(what, value, limit, unit):
    if value is None:
        return f"- {what}: **not measured** (no PSNR overlap)"
    met = value <= limit
    dist = value - limit
    return (f"- {what}: **{'met' if met else 'not met'}** ({fmt_pct(value)}; "
            f"{abs(dist):.1f} percentage points {'better than' if met else 'short of'} the target)")


def ratio_line(what, job, ref, factor):
    """Judged on wall-clock fps; the per-CPU-second ratio is given beside it."""
    ratio = job.fps / ref.fps
    met = ratio >= factor
    return (f"- {what}: **{'met' if met else 'not met'}** ({job.fps:.0f} fps against {ref.fps:.0f} fps, "
            f"{ratio:.2f}x for a target of {factor:g}x; per CPU-second {job.cpu_fps / ref.cpu_fps:.2f}x)")


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def tool_versions(source):
    def first_line(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0]
        except (OSError, IndexError):
            return "?"
    ff = first_line(["ffmpeg", "-hide_banner", "-version"]).split(" Copyright")[0]
    pkgs = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\\n",
                           "libx264-*", "libvpx[0-9]*"], capture_output=True, text=True).stdout.split("\n")
    rustc = first_line(["rustc", "--version"])
    commit = first_line(["git", "-C", str(source), "describe", "--always", "--dirty"])
    return ff, ", ".join(p for p in pkgs if p), rustc, commit


def machine():
    model = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def config_notes():
    lines = [f"- keyframe interval {KEYINT} for every codec (ASP `--keyint {KEYINT}`, ffmpeg "
             f"`-g {KEYINT}`, scene-cut keyframes off where ffmpeg exposes it), i.e. one keyframe per clip; "
             "the keyframes column shows what each stream has; no B-frames, no lookahead",
             f"- every encode (RD points and speed runs) uses {THREADS_ENC} threads "
             f"(ASP `--threads {THREADS_ENC}`, ffmpeg `-threads {THREADS_ENC}`)",
             f"- ASP: `asp-encode CLIP.y4m -o OUT.asp --preset {ASP_PRESET} --threads {THREADS_ENC} "
             f"--keyint {KEYINT} --qp Q`; rate = the whole .asp file (packet headers and CRCs included)"]
    for c in ANCHORS:
        args = " ".join(c.common + c.quality).replace("{q}", "Q")
        lines.append(f"- {c.label}: `ffmpeg -i CLIP.y4m {args} -threads {THREADS_ENC} -f {c.muxer} OUT.{c.ext}`")
    lines += ["- VP8 twice: `-cpu-used 8` as the issue names it; in realtime mode a positive value makes "
              "libvpx choose VP8's speed from the measured encode time (`vp8_auto_select_speed`), so its "
              "results depend on the machine's load and differ between runs; `-cpu-used -6` is the fixed "
              "speed libwebrtc's VP8 encoder uses by default on desktop, and is deterministic",
              "- rates are elementary-stream bits (.m1v, Annex B .h264 without SEI, .ivf less its "
              "32 + 12-per-frame bytes of framing) over the clip's duration",
              "- quality: every stream decoded to raw 4:2:0 (ffmpeg `-fps_mode passthrough`; asp-decode "
              "y4m), compared with the source frame by frame in index order; PSNR-Y = mean of per-frame "
              f"PSNR (capped at {PSNR_CAP:.0f} dB), SSIM-Y = mean of per-frame SSIM (8x8 windows on a 4-pixel "
              "grid, as x264 and ffmpeg's ssim filter); BD-rate on SSIM uses -10 log10(1 - SSIM)",
              "- BD-rate: Bjontegaard (cubic fit of ln rate against quality, integrated over the overlapping "
              "quality range; negative = ASP needs fewer bits); overlap = width of that range",
              "- every ASP point is also checked: asp-decode output = asp-encode `--recon`, byte for byte"]
    return "\n".join(lines)


def speed_notes():
    return (f"Encode: wall time of the whole process, input y4m read from a file (prepared beforehand), "
            f"output written to a file, {THREADS_ENC} threads; ASP at its default preset and quality "
            f"(`asp-encode CLIP.y4m -o OUT.asp --threads {THREADS_ENC} --keyint {KEYINT}`, i.e. "
            f"`--preset {ASP_PRESET} --qp 26`), each anchor with its settings above in bitrate mode "
            f"(`-b:v` = ASP's bitrate). Decode: ASP `asp-decode OUT.asp -o /dev/null --threads 1`; "
            f"anchors `ffmpeg -threads 1 -i STREAM -f null -` on those equal-bitrate streams. "
            f"Median of {RUNS} runs, interleaved across codecs; \"fps per CPU-second\" = frames / "
            f"(user + system time), less sensitive to other load on the machine. "
            f"libvpx's VP8 encoder threads wait for each other by spinning: when the machine has "
            f"more runnable work than cores, its {THREADS_ENC}-thread runs are far slower than one "
            f"thread (the extra row), and its results swing with the load.")


def report(source, results, skipped, loads):
    ff, libs, rustc, commit = tool_versions(source)
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [SECTION, "",
             "ASP against the low-delay codecs used for browser video, on the same clips, machine and run.",
             "", "```sh", "make bench-rd", "```", "",
             f"Run {date}, ASP `{commit}` (release profile), {rustc}; {ff}, {libs}. "
             f"Machine: {machine()}; load average {loads[0]} at the start, {loads[1]} at the end "
             "(other jobs share the machine, so wall-clock speeds are noisy).", "",
             "Settings:", "", config_notes(), ""]
    for note in skipped:
        parts += [f"Note: {note}", ""]
    parts += ["### Targets", ""] + targets(results) + [""]
    for clip, r in results.items():
        asp_bd, ref_bd = bd_tables(r["points"])
        enc, dec = speed_tables(*r["speed"])
        capped = sum(p.capped for p in r["points"])
        parts += [f"### {clip.label}", "",
                  f"{clip.frames} frames at {clip.fps:g} fps; {clip.note}.", "",
                  "BD-rate of ASP against each anchor (negative: ASP needs fewer bits for the same quality):",
                  "", asp_bd, "",
                  "The anchors against mpeg1video, for comparison with other measurements:", "", ref_bd, "",
                  "Rate-distortion points:", "", rd_table(r["points"]), ""]
        extra = extra_keyframes(r["points"])
        if extra:
            parts += [f"More than one keyframe: {extra} (the encoder's own decision; "
                      "ffmpeg does not expose a switch for it).", ""]
        if capped:
            parts += [f"({capped} decoded frames were identical to the source and count as "
                      f"{PSNR_CAP:.0f} dB.)", ""]
        parts += ["Speed:", "", enc, "", dec, ""]
    parts += [speed_notes(), ""]
    return "\n".join(parts)


def update_benchmarks(section):
    """Replaces (or appends) our section of BENCHMARKS.md, re-reading the
    file just before writing so concurrent edits to other sections stay."""
    text = BENCHMARKS.read_text() if BENCHMARKS.is_file() else "# Benchmarks\n\nEvery measured figure, with the command that produced it.\n"
    start = text.find("\n" + SECTION + "\n")
    if start < 0:
        new = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    else:
        nxt = re.search(r"^## ", text[start + 1 + len(SECTION):], re.M)
        end = len(text) if nxt is None else start + 1 + len(SECTION) + nxt.start()
        new = text[:start + 1] + section.rstrip("\n") + "\n" + ("\n" + text[end:] if nxt else "")
    tmp = BENCHMARKS.with_suffix(".md.tmp")
    tmp.write_text(new)
    tmp.replace(BENCHMARKS)


# ---------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", default=str(ROOT / "target" / "release"),
                    help="where asp-encode, asp-decode and asp-info are")
    ap.add_argument("--asp-source", default=str(ROOT),
                    help="the git checkout the binaries were built from (for the commit in the report)")
    ap.add_argument("--self-test", action="store_true", help="run the BD-rate/metric checks and exit")
    ap.add_argument("--no-benchmarks-md", action="store_true", help="do not update BENCHMARKS.md")
    ap.add_argument("--no-speed", action="store_true", help="skip the speed runs (development)")
    ap.add_argument("--clips", default="bbb,screen", help="comma-separated: bbb, screen")
    ap.add_argument("--points", action="append", default=[],
                    help="override a codec's points, e.g. asp=20,25,30,35 (development)")
    args = ap.parse_args()

    self_test()
    if args.self_test:
        return
    for spec in args.points:
        key, vals = spec.split("=")
        next(c for c in ALL if c.key == key).points = [int(v) for v in vals.split(",")]
    tools = Tools(args.bin_dir)
    WORK.mkdir(parents=True, exist_ok=True)
    loads = [" ".join(f"{v:.1f}" for v in os.getloadavg())]

    clips, skipped = [], []
    wanted = args.clips.split(",")
    if "bbb" in wanted:
        c = prepare_bbb()
        clips.append(c) if c else skipped.append(f"{BBB} is absent: bigbuckbunny skipped.")
    if "screen" in wanted:
        clips.append(prepare_screen())

    results = {}
    for clip in clips:
        source = clip.load()
        points = []
        for codec in ALL:
            for q in codec.points:
                log(f"{clip.key}: {codec.label} {codec.knob} {q}")
                points.append(measure(tools, clip, source, codec, q))
                p = points[-1]
                log(f"    {p.kbps:.0f} kbit/s, PSNR-Y {p.psnr:.2f} dB, SSIM-Y {p.ssim:.4f}, {p.keyframes} keyframe(s)")
        del source
        results[clip] = {"points": points,
                         "speed": ([], []) if args.no_speed else speed(tools, clip)}
    loads.append(" ".join(f"{v:.1f}" for v in os.getloadavg()))

    if args.no_speed:
        for clip, r in results.items():
            asp_bd, ref_bd = bd_tables(r["points"])
            print(f"### {clip.label}\n\n{asp_bd}\n\n{ref_bd}\n\n{rd_table(r['points'])}\n")
        return
    section = report(args.asp_source, results, skipped, loads)
    print(section)
    RESULTS.write_text(section)
    log(f"wrote {RESULTS.relative_to(ROOT)}")
    if not args.no_benchmarks_md:
        update_benchmarks(section)
        log(f"updated the \"{SECTION[3:]}\" section of {BENCHMARKS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
