#!/usr/bin/env bash
# The demo: encode the built-in moving test picture, decode it, and show
# size, speed and quality; then show the packet layer's damage handling.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
cargo build -q --release -p asp-cli
target=${CARGO_TARGET_DIR:-target}/release

echo "== asp-encode: 5 s of the built-in 720p30 test picture at 1.5 Mbit/s"
"$target"/asp-encode testsrc --size 1280x720 --fps 30 --frames 150 --bitrate 1500k --psnr \
  -o build/demo.asp --recon build/demo-recon.y4m --force
echo
echo "== asp-decode build/demo.asp"
start=$(date +%s.%N)
"$target"/asp-decode build/demo.asp -o build/demo.y4m --force
end=$(date +%s.%N)
python3 -c "print(f'decoded 150 frames in {$end - $start:.2f} s ({150 / ($end - $start):.0f} fps, including writing y4m)')"
if cmp -s build/demo.y4m build/demo-recon.y4m; then
  echo "decoder output == encoder reconstruction, byte for byte"
else
  echo "MISMATCH between decoder output and encoder reconstruction" >&2
  exit 1
fi
echo
echo "== asp-info build/demo.asp (first and last packets)"
"$target"/asp-info build/demo.asp | sed -n '1,4p;$p'
echo
python3 - <<'PY'
data = bytearray(open("build/demo.asp", "rb").read())
data[len(data) // 3] ^= 0xFF          # flip one byte inside a packet
open("build/demo-damaged.asp", "wb").write(data[:-9])  # and cut the tail
PY
echo "== asp-decode --keep-going on a damaged copy (a flipped byte, a cut tail)"
"$target"/asp-decode --keep-going build/demo-damaged.asp -o build/demo-damaged.y4m --force || true
echo
echo "Play it: ffplay build/demo.y4m   (or: asp-decode build/demo.asp -o - | ffplay -)"
