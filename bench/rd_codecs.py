"""The codecs of bench/rd.py (ASP and the anchors ffmpeg encodes), how
each encodes and decodes a clip, one measured quality point, and the
speed runs."""

import json
import resource
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rd_clips import WORK, ffmpeg, log, run
from rd_metrics import PSNR_CAP, Y4m, luma, psnr_y, raw_frames, ssim_y

KEYINT = 250          # one keyframe for these short clips, for every codec
THREADS_ENC = 2       # every encode (RD points and speed) uses 2 threads
RUNS = 3              # speed: median of this many interleaved runs
# Extra encode-speed rows, (codec key, threads): libvpx's VP8 threads wait
# for each other by spinning, which on a busy machine costs far more than
# they gain; one thread shows what VP8 does without that.
SPEED_EXTRA = [("vp8w", 1)]
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

# Quality points per clip where the codecs' own defaults (above) would miss
# the rates such a picture is sent at: QCIF at about 20-300 kbit/s.
CLIP_POINTS = {
    "qcif": {"asp": [14, 20, 27, 35], "mpeg1": [4, 8, 14, 31], "x264uf": [18, 25, 32, 39],
             "x264vf": [18, 25, 32, 39], "vp8": [20, 36, 50, 63], "vp8w": [20, 36, 50, 63],
             "vp9": [16, 30, 44, 58]},
}


def points_for(codec, clip_key):
    """The quality points `codec` is measured at on the clip `clip_key`."""
    return CLIP_POINTS.get(clip_key, {}).get(codec.key, codec.points)


def fill(template, **values):
    return [str(a).format(**values) for a in template]


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
    cmd = [tools.asp_encode, clip.path, "-o", out, "--force", "--preset", ASP_PRESET,
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


def asp_summary(tools, path):
    """asp-info's summary of a stream: packet counts and byte totals."""
    out = run([tools.asp_info, "--json", path]).stdout.decode().splitlines()
    return [json.loads(line) for line in out if '"summary"' in line][0]


def keyframes(tools, codec, path):
    if codec is ASP:
        summary = asp_summary(tools, path)
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
    tile_kbps: float = None         # ASP only: the coded tiles alone, framing left out


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
    tile_kbps = asp_summary(tools, path)["tile_bytes"] * 8 / clip.seconds / 1000 if codec is ASP else None
    return Point(codec.key, q, kbps, float(np.mean(psnrs)), float(np.mean(ssims)), keys,
                 sum(p >= PSNR_CAP for p in psnrs), tile_kbps)


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

