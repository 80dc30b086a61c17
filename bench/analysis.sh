#!/usr/bin/env bash
# Analysis benchmarks (issue 8): palettes vs scikit-learn and Pillow, the
# face cascade vs OpenCV, ROI coding with and without --roi / C-packets.
# Uses /work/shared/media/bigbuckbunny.mp4 (or MEDIA=...). Arguments are
# passed to bench/analysis.py (e.g. --only palettes).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${CARGO_TARGET_DIR:-target}
# Two builds: a target flag (--example) limits a build to the targets named.
cargo build --release -p asp-cli --bins
cargo build --release -p asp-encoder --example analysis_bench
tools/bench/analysis-setup.sh
VENV=${ANALYSIS_BENCH_VENV:-build/bench-analysis-venv}
# One thread for the Python anchors, like ours (k-means is single-threaded).
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$VENV/bin/python" bench/analysis.py --bin "$TARGET/release" \
  --media "${MEDIA:-/work/shared/media/bigbuckbunny.mp4}" "$@"
