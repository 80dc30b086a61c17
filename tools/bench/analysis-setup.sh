#!/usr/bin/env bash
# The analysis benchmark's Python anchors, in a venv of its own (idempotent,
# quick when present): scikit-learn (KMeans), Pillow (median cut),
# OpenCV 4.10 (the same Haar cascade, detectMultiScale), and the packages
# whose wheels ship the public-domain test photographs (scikit-image,
# matplotlib).
set -euo pipefail
VENV=${ANALYSIS_BENCH_VENV:-build/bench-analysis-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" - <<'PY' 2>/dev/null && exit 0
import numpy, sklearn, PIL, cv2, skimage, matplotlib
assert cv2.__version__.startswith("4.10")
PY
"$VENV/bin/pip" install -q numpy scikit-learn pillow "opencv-python-headless==4.10.0.84" scikit-image matplotlib
