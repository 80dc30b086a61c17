#!/usr/bin/env bash
# make bench-rd: rate-distortion and speed of ASP against mpeg1video, x264
# (ultrafast/veryfast zerolatency), VP8 and VP9 realtime, with Debian's
# ffmpeg for the anchors.  Writes build/bench/rd-results.md and the
# "Codec: rate-distortion and speed" section of BENCHMARKS.md.
#
# Environment: CARGO_TARGET_DIR (where to build asp-cli; default target),
# ASP_BIN_DIR (below).
# Arguments are passed to bench/rd.py (--help lists them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

tools/setup.sh python apt   # .venv; ffmpeg if missing
.venv/bin/python -c 'import numpy' 2>/dev/null ||
  .venv/bin/pip install -q --disable-pip-version-check numpy
for enc in mpeg1video libx264 libvpx libvpx-vp9; do
  [[ $(ffmpeg -hide_banner -h encoder="$enc" 2>/dev/null) == "Encoder $enc "* ]] ||
    { echo "bench-rd: this ffmpeg has no $enc encoder" >&2; exit 1; }
done

# ASP_BIN_DIR: use asp-encode/asp-decode/asp-info from there (e.g. built from
# a clean checkout; pass --asp-source CHECKOUT to name its commit) instead
# of building this working tree.
if [[ -z ${ASP_BIN_DIR:-} ]]; then
  cargo build --release -q -p asp-cli
  ASP_BIN_DIR=${CARGO_TARGET_DIR:-$root/target}/release
fi
exec .venv/bin/python bench/rd.py --bin-dir "$ASP_BIN_DIR" "$@"
