"""libasp from Python against the same calls in Rust, and against what a
Python user would reach for. Run by bench/python.sh, which prepares the
frames and the venv; prints a Markdown report on stdout.

    python python-overhead.py ANCHOR CUR.gray PREV.gray FRAME.rgb W H
"""
import os
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

import libasp

anchor, cur_path, prev_path, rgb_path, W, H = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
ROUNDS = int(os.environ.get("ROUNDS", "3"))
N = int(os.environ.get("ITERATIONS", "40"))
current = np.fromfile(cur_path, np.uint8).reshape(H, W)
previous = np.fromfile(prev_path, np.uint8).reshape(H, W)
rgb = np.fromfile(rgb_path, np.uint8).reshape(H, W, 3)


def timed(n, f):
    """(wall median, wall min, process CPU median) of n calls, in ms."""
    f()
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.process_time()
        f()
        wall.append((time.perf_counter() - t) * 1e3)
        cpu.append((time.process_time() - c) * 1e3)
    return statistics.median(wall), min(wall), statistics.median(cpu)


def python_side(threads):
    t = None if threads == 0 else threads
    out = {}
    for algorithm in ("diamond", "hexagon"):
        out[f"estimate_motion_{algorithm}"] = timed(N, lambda: libasp.estimate_motion_numpy(
            current, previous, block_size=16, search_range=16, algorithm=algorithm, threads=t))
    # extract_colors has no threads= (the palette runs on one core in both).
    for method in ("kmeans", "median_cut"):
        out[f"extract_colors_{method}"] = timed(N, lambda: libasp.extract_colors(rgb, num_colors=5, method=method))
    return out


def rust_side(threads):
    lines = subprocess.run([anchor, cur_path, prev_path, rgb_path, str(W), str(H), str(N), str(threads)],
                           check=True, capture_output=True, text=True).stdout.split("\n")
    return {name: (float(m), float(lo), float(c)) for name, m, lo, c, _ in (l.split() for l in lines if l)}


def load():
    return os.getloadavg()[0]


print(f"load average at start: {load():.2f}; {os.cpu_count()} cores; {ROUNDS} rounds x {N} calls")
print()
print("| call (1080p; motion: block 16, range 16; palette: 5 colours) | threads | Rust wall median / min / CPU ms | Python wall median / min / CPU ms | overhead (min wall) | overhead (CPU) |")
print("|---|---|---|---|---|---|")
for threads in (0, 1):
    rust_rounds, py_rounds = [], []
    for _ in range(ROUNDS):  # interleaved, so load changes hit both sides alike
        rust_rounds.append(rust_side(threads))
        py_rounds.append(python_side(threads))
    for name in rust_rounds[0]:
        if name.startswith("extract_colors") and threads == 1:
            continue
        r = [statistics.median(x[name][0] for x in rust_rounds), min(x[name][1] for x in rust_rounds),
             statistics.median(x[name][2] for x in rust_rounds)]
        p = [statistics.median(x[name][0] for x in py_rounds), min(x[name][1] for x in py_rounds),
             statistics.median(x[name][2] for x in py_rounds)]
        label = name.replace("estimate_motion_", "estimate_motion_numpy ").replace("extract_colors_", "extract_colors ")
        print(f"| {label} | {'all' if threads == 0 else threads} | {r[0]:.3f} / {r[1]:.3f} / {r[2]:.3f} | "
              f"{p[0]:.3f} / {p[1]:.3f} / {p[2]:.3f} | {100 * (p[1] / r[1] - 1):+.1f} % | {100 * (p[2] / r[2] - 1):+.1f} % |")
print()
tiny = np.zeros((16, 16), np.uint8)
fixed = {t: statistics.median(timed(300, lambda: libasp.estimate_motion_numpy(tiny, tiny, threads=t))[0] for _ in range(ROUNDS))
         for t in (None, 1)}
fixed_colors = statistics.median(timed(300, lambda: libasp.extract_colors(tiny[:, :3].copy().reshape(-1, 3)[:16]))[0]
                                 for _ in range(ROUNDS))
field = libasp.Packet(libasp.create_d_packet_numpy(1, 0, libasp.estimate_motion_numpy(current, previous)))
convert = statistics.median(timed(300, field.motion_field)[0] for _ in range(ROUNDS))
print(f"Size-dependent part, bounded above by `Packet.motion_field()` on the same {len(field.motion_vectors)} vectors "
      f"(reads them from the packet and builds the (N, 5) int32 array, as estimate_motion_numpy builds it): {convert * 1e3:.1f} µs.")
print()
print(f"Whole cost of a call on a 16x16 frame (one block) / 16 pixels, i.e. the fixed part of the overhead (argument "
      f"checks, GIL release, result array): `estimate_motion_numpy` {fixed[None] * 1e3:.1f} µs "
      f"(`threads=1`: {fixed[1] * 1e3:.1f} µs, a hand-off to the pool's thread), `extract_colors` {fixed_colors * 1e3:.1f} µs.")
print()

# --- What a Python user would reach for ----------------------------------------
print("| task | tool | median ms | vs libasp | result |")
print("|---|---|---|---|---|")


def numpy_full_search(cur, prev, block=16, rng=16):
    """Exhaustive block matching in NumPy: for each displacement, the SAD of
    every block at once; candidates must keep the block inside the frame.
    Ties go to the shorter vector, then smaller dy, then smaller dx, as in
    libasp's full search."""
    h, w = cur.shape
    bx, by = -(-w // block), -(-h // block)
    ph, pw = by * block, bx * block
    c = np.zeros((ph, pw), np.int16)
    c[:h, :w] = cur
    best = np.full((by, bx), np.iinfo(np.int64).max, np.int64)
    best_key = np.zeros((by, bx, 3), np.int64)
    bw = np.minimum(block, w - np.arange(bx) * block)  # block widths and heights (edge blocks are smaller)
    bh = np.minimum(block, h - np.arange(by) * block)
    x0, y0 = np.arange(bx) * block, np.arange(by) * block
    result = np.zeros((by, bx, 2), np.int64)
    order = sorted(((abs(dx) + abs(dy), dy, dx) for dy in range(-rng, rng + 1) for dx in range(-rng, rng + 1)))
    for _, dy, dx in order:
        p = np.zeros((ph, pw), np.int16)
        ys, xs = max(0, -dy), max(0, -dx)
        ye, xe = min(h, h - dy), min(w, w - dx)
        p[ys:ye, xs:xe] = prev[ys + dy:ye + dy, xs + dx:xe + dx]
        d = np.abs(c - p)
        d[h:, :] = 0
        d[:, w:] = 0
        sad = d.reshape(by, block, bx, block).sum(axis=(1, 3), dtype=np.int64)
        valid = ((x0 + dx >= 0)[None, :] & (x0 + dx + bw <= w)[None, :] & (y0 + dy >= 0)[:, None] & (y0 + dy + bh <= h)[:, None])
        better = valid & (sad < best)  # candidates come in tie-break order, so strict < keeps the first
        best = np.where(better, sad, best)
        result[better] = (dx, dy)
    return result, best


ref = libasp.estimate_motion_numpy(current, previous, search_range=16, algorithm="full")
lib_full = timed(3, lambda: libasp.estimate_motion_numpy(current, previous, search_range=16, algorithm="full"))[0]
lib_dia = timed(N, lambda: libasp.estimate_motion_numpy(current, previous, algorithm="diamond"))[0]
t = time.perf_counter()
vectors, sads = numpy_full_search(current, previous)
np_ms = (time.perf_counter() - t) * 1e3
same = (vectors.reshape(-1, 2) == ref[:, 2:4]).all() and (sads.reshape(-1) == ref[:, 4]).all()
print(f"| block motion, exhaustive ±16 | libasp `algorithm=\"full\"` | {lib_full:.1f} | 1x | exact |")
print(f"| block motion, exhaustive ±16 | NumPy full search (one run) | {np_ms:.0f} | {np_ms / lib_full:.0f}x slower | "
      f"{'identical vectors and SADs' if same else 'DIFFERENT from libasp'} |")
print(f"| block motion, fast | libasp `algorithm=\"diamond\"` | {lib_dia:.2f} | 1x | SAD/px {ref[:, 4].sum() / current.size:.3f} (full) vs "
      f"{libasp.estimate_motion_numpy(current, previous)[:, 4].sum() / current.size:.3f} (diamond) |")
try:
    import cv2
    cv2.setNumThreads(os.cpu_count())
    fb = timed(5, lambda: cv2.calcOpticalFlowFarneback(previous, current, None, 0.5, 3, 15, 3, 5, 1.2, 0))[0]
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
    dis_ms = timed(10, lambda: dis.calc(previous, current, None))[0]
    print(f"| dense motion | OpenCV {cv2.__version__} Farneback optical flow | {fb:.1f} | {fb / lib_dia:.0f}x slower than diamond | per-pixel flow, not blocks |")
    print(f"| dense motion | OpenCV DIS optical flow, ultrafast preset | {dis_ms:.1f} | {dis_ms / lib_dia:.1f}x slower than diamond | per-pixel flow, not blocks |")
except ImportError:
    print("| dense motion | OpenCV | - | - | not installed |")

lib_km = timed(N, lambda: libasp.extract_colors(rgb, num_colors=5, method="kmeans"))[0]
palette = libasp.extract_colors(rgb, num_colors=5, method="kmeans").astype(np.float32)
pixels = rgb.reshape(-1, 3).astype(np.float32)


def inertia(colors):
    d = ((pixels[:, None, :] - colors[None, :, :]) ** 2).sum(-1)
    return d.min(1).mean()


print(f"| palette, 5 colours | libasp `extract_colors(method=\"kmeans\")` | {lib_km:.2f} | 1x | inertia/px {inertia(palette):.1f} |")
try:
    import sklearn
    from sklearn.cluster import KMeans
    full = KMeans(n_clusters=5, n_init=1, random_state=0)
    t = time.perf_counter()
    full.fit(pixels)
    sk_full = (time.perf_counter() - t) * 1e3
    sample = pixels[np.random.default_rng(0).choice(len(pixels), 20_000, replace=False)]
    sk_s = timed(5, lambda: KMeans(n_clusters=5, n_init=1, random_state=0).fit(sample))[0]
    small = KMeans(n_clusters=5, n_init=1, random_state=0).fit(sample)
    print(f"| palette, 5 colours | scikit-learn {sklearn.__version__} KMeans, all {len(pixels)} pixels (one run) | {sk_full:.0f} | "
          f"{sk_full / lib_km:.0f}x slower | inertia/px {inertia(full.cluster_centers_.astype(np.float32)):.1f} |")
    print(f"| palette, 5 colours | scikit-learn KMeans, 20 000-pixel sample (as libasp) | {sk_s:.1f} | {sk_s / lib_km:.1f}x slower | "
          f"inertia/px {inertia(small.cluster_centers_.astype(np.float32)):.1f} |")
except ImportError:
    print("| palette | scikit-learn | - | - | not installed |")
print()

# --- The GIL is released: two Python threads ------------------------------------
def calls(k):
    for _ in range(k):
        libasp.estimate_motion_numpy(current, previous, algorithm="hexagon", threads=1)


K = 20
ratios = []
for _ in range(ROUNDS):
    t = time.perf_counter()
    calls(2 * K)
    one = time.perf_counter() - t
    t = time.perf_counter()
    workers = [threading.Thread(target=calls, args=(K,)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    two = time.perf_counter() - t
    ratios.append((one, two))
one, two = statistics.median(r[0] for r in ratios), statistics.median(r[1] for r in ratios)
print(f"GIL: {2 * K} calls of `estimate_motion_numpy(..., algorithm=\"hexagon\", threads=1)` on 1080p: "
      f"one Python thread {one * 1e3:.0f} ms, two Python threads {two * 1e3:.0f} ms: **{one / two:.2f}x** the throughput "
      f"(median of {ROUNDS} rounds).")
print()
print(f"load average at end: {load():.2f}")
