"""Quality metrics of bench/rd.py: y4m and raw 4:2:0 reading, PSNR-Y and
SSIM-Y per frame, and the Bjontegaard delta rate between two RD curves
(with its self-test)."""

import numpy as np

PSNR_CAP = 60.0       # dB; a frame identical to the source counts as 60 dB

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

