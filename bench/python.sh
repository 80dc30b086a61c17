#!/usr/bin/env bash
# Python-overhead benchmark of libasp (BENCHMARKS.md, "Python"):
# estimate_motion_numpy and extract_colors from Python against the same calls
# in Rust on a 1080p frame of bigbuckbunny.mp4, and against NumPy, OpenCV and
# scikit-learn. Bench-only packages go into build/bench-venv (pinned), not
# the project venv.
#   bench/python.sh            (ROUNDS=3 ITERATIONS=40 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
clip=${ASP_MEDIA:-$root/../shared/media/bigbuckbunny.mp4}
out=build/bench
[[ -f $clip ]] || { echo "python bench: $clip is absent" >&2; exit 1; }

tools/bench/prepare-motion-frames.sh >/dev/null
rgb=$out/bbb_f40_1920x1080.rgb
if [[ ! -s $rgb ]]; then
  ffmpeg -v error -nostdin -y -i "$clip" -vf "select=eq(n\\,40),scale=1920:1080:flags=bicubic" \
    -frames:v 1 -f rawvideo -pix_fmt rgb24 "$rgb"
fi

tools/setup.sh python >/dev/null
.venv/bin/maturin build --release --quiet -m crates/asp-py/Cargo.toml -o build/wheels 2>&1 | tail -1
venv=build/bench-venv
reqs="numpy==2.4.6 opencv-python-headless==5.0.0.93 scikit-learn==1.9.1"
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
if [[ "$(cat "$venv/.reqs" 2>/dev/null)" != "$reqs" ]]; then
  "$venv/bin/pip" install -q --disable-pip-version-check $reqs && echo "$reqs" > "$venv/.reqs"
fi
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$(ls -t build/wheels/libasp-*.whl | head -1)"
cargo build -q --release -p libasp --example overhead_anchor
"$venv/bin/python" bench/python-overhead.py "$CARGO_TARGET_DIR/release/examples/overhead_anchor" \
  "$out/bbb_f41_1920x1080.gray" "$out/bbb_f40_1920x1080.gray" "$rgb" 1920 1080
