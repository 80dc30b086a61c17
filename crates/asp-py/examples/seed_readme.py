"""Every call of the seed README's Python usage, in its argument shapes.

The seed (the `libasp` README this project answers) shows each function
with particular arguments: positional or keyword, which keywords, which
array shapes. This script makes each of those calls the same way, on
frames it makes itself, and checks what comes back, so that code written
from that README runs against this package. `tests/python/run.sh` runs it.
"""
import numpy as np

import libasp

rng = np.random.default_rng(7)
height, width = 1080, 1920

# Two luma frames, (H, W) uint8: smooth texture (a gradient search follows
# it), the second the first moved 3 pixels right and 2 up.
ys, xs = np.mgrid[0:height, 0:width]
texture = 128 + 60 * np.sin(xs / 9.0) + 50 * np.cos(ys / 7.0) + 15 * np.sin((xs + 2 * ys) / 5.0)
previous_frame = texture.astype(np.uint8)
current_frame = np.roll(previous_frame, shift=(-2, 3), axis=(0, 1))
current = np.array(current_frame, dtype=np.uint8)
previous = np.array(previous_frame, dtype=np.uint8)

# Motion: block size and range as keywords, the default search.
mvs = libasp.estimate_motion_numpy(current, previous, block_size=16, search_range=16)
blocks = -(-height // 16) * -(-width // 16)  # partial blocks at the edges count
assert mvs.dtype == np.int32 and mvs.shape == (blocks, 5), mvs.shape
inner = mvs[(mvs[:, 0] > 1) & (mvs[:, 1] > 1) & (mvs[:, 0] < width // 16 - 2) & (mvs[:, 1] < height // 16 - 2)]
# Each vector points where its block was in the previous frame.
assert (inner[:, 2:4] == (-3, 2)).all(axis=1).mean() > 0.9, inner[:5]

# The same through a reusable estimator, the algorithm named by string.
estimator = libasp.MotionEstimator(block_size=16, search_range=16, algorithm="diamond")
again = estimator.estimate_numpy(current, previous)
assert again.shape == mvs.shape

# Palettes: an (H, W, 3) image, five colours, with and without weights.
pixels = rng.integers(0, 256, (120, 160, 3), dtype=np.uint8)
colors = libasp.extract_colors(pixels, num_colors=5)
assert colors.dtype == np.uint8 and colors.shape == (5, 3)
colors, weights = libasp.extract_colors_with_weights(pixels, num_colors=5)
assert colors.shape == (5, 3) and abs(float(weights.sum()) - 1.0) < 1e-4

# The codec's DCT: forward and back on an 8x8 block.
dct = libasp.DctTransform(block_size=8, quality=75)
block = rng.integers(0, 256, (8, 8), dtype=np.uint8)
coefficients = dct.forward(block)
reconstructed = dct.inverse(coefficients)
assert reconstructed.shape == (8, 8)
assert np.abs(reconstructed.astype(int) - block.astype(int)).mean() < 12

# Regions of interest: frame, previous frame, width, height, positionally.
frame = current
regions = libasp.detect_roi(frame, previous_frame, width, height)
assert regions.dtype == np.float32 and regions.ndim == 2 and regions.shape[1] == 6

# Packets by keyword, the vectors straight from the estimator.
i_packet = libasp.create_i_packet(sequence=1, width=1920, height=1080, fps=30.0)
d_packet = libasp.create_d_packet_numpy(sequence=2, ref_sequence=1, motion_vectors=mvs)
for packet_bytes, kind, number in ((i_packet, 1, 1), (d_packet, 2, 2)):
    packet_type, sequence, payload_size = libasp.parse_packet(packet_bytes)
    assert (packet_type, sequence) == (kind, number), (packet_type, sequence)
    assert payload_size == len(packet_bytes) - 20

print(f"seed README calls: {len(mvs)} vectors, {len(regions)} regions, packets of {len(i_packet)} and {len(d_packet)} bytes")
