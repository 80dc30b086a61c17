"""The seed README's Python snippet, run as it is written there.

Reconstructed: the seed README itself is not in this repository, so this is
the snippet rebuilt from the seed's API (names, argument names, return
shapes) as the issue lists it. `tests/python/run.sh` runs it unchanged.
"""
import numpy as np
import libasp

# --- Motion estimation -------------------------------------------------------
current = np.random.randint(0, 256, (1080, 1920), dtype=np.uint8)
previous = np.roll(current, shift=(2, -3), axis=(0, 1))

motion_vectors = libasp.estimate_motion_numpy(
    current, previous, block_size=16, search_range=16, algorithm="diamond"
)
print(f"{len(motion_vectors)} motion vectors")  # (N, 5): block_x, block_y, dx, dy, sad
print(motion_vectors[:3])

estimator = libasp.MotionEstimator(block_size=16, search_range=16, algorithm="hexagon")
vectors = estimator.estimate_numpy(current, previous)

# --- Colour extraction -----------------------------------------------------
image = np.random.randint(0, 256, (480, 640, 3), dtype=np.uint8)
colors = libasp.extract_colors(image, num_colors=5, method="kmeans")  # (5, 3) uint8
colors, weights = libasp.extract_colors_with_weights(image, num_colors=5, method="median_cut")
print("palette:", colors.tolist(), "weights:", weights.round(3).tolist())

# --- Regions of interest -----------------------------------------------------
frame = np.random.randint(0, 256, (480, 640, 3), dtype=np.uint8)
previous_frame = np.roll(frame, 4, axis=1)
rois = libasp.detect_roi(frame, previous_frame=previous_frame, methods=("edge", "motion", "face"))
for x, y, w, h, roi_type, confidence in rois[:5]:  # (N, 6) float32
    print(f"ROI type {int(roi_type)} at ({x:.0f}, {y:.0f}) {w:.0f}x{h:.0f}, confidence {confidence:.2f}")

# --- DCT ---------------------------------------------------------------------
dct = libasp.DctTransform(block_size=8, quality=75)
block = np.random.randint(0, 256, (8, 8), dtype=np.uint8)
coefficients = dct.forward(block)
reconstructed = dct.inverse(coefficients)
print("DCT round trip, mean error:", np.abs(reconstructed.astype(int) - block).mean())

# --- Packets -----------------------------------------------------------------
i_packet = libasp.create_i_packet(sequence=0, width=1920, height=1080, fps=30)
d_packet = libasp.create_d_packet_numpy(sequence=1, ref_sequence=0, motion_vectors=motion_vectors)

packet_type, sequence, payload_size = libasp.parse_packet(d_packet)
print(f"type={packet_type} sequence={sequence} payload={payload_size} bytes")
