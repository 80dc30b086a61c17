#!/usr/bin/env bash
# Prepares the real frames of the motion estimation benchmark
# (cargo bench -p asp-encoder --bench motion):
#
#   frames 40 and 41 (0-based) of bigbuckbunny.mp4, luma only (gray8), as
#     build/bench/bbb_f40_1280x720.gray   build/bench/bbb_f41_1280x720.gray
#     build/bench/bbb_f40_1920x1080.gray  build/bench/bbb_f41_1920x1080.gray
#   (1080p = the 720p frame scaled bicubic).
#
# Environment: ASP_MEDIA (the clip; default ../shared/media/bigbuckbunny.mp4
# beside the repository), ASP_BENCH_DIR (output; default build/bench).
# Without the clip or ffmpeg it prints a note and exits 0: the benchmark
# then falls back to generated content and says so.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
clip=${ASP_MEDIA:-$root/../shared/media/bigbuckbunny.mp4}
out=${ASP_BENCH_DIR:-$root/build/bench}
mkdir -p "$out"

if [[ ! -f $clip ]]; then
  echo "note: $clip is absent; the motion benchmark will use generated content" >&2
  exit 0
fi
if ! command -v ffmpeg >/dev/null; then
  echo "note: ffmpeg is not installed; the motion benchmark will use generated content" >&2
  exit 0
fi

extract() { # frame-number width height
  local n=$1 w=$2 h=$3 f="$out/bbb_f$1_$2x$3.gray"
  if [[ -s $f && $f -nt $clip ]]; then return; fi
  local scale=""
  if [[ $w != 1280 ]]; then scale=",scale=${w}:${h}:flags=bicubic"; fi
  ffmpeg -v error -nostdin -y -i "$clip" \
    -vf "select=eq(n\\,$n),format=gray$scale" -frames:v 1 -f rawvideo -pix_fmt gray "$f.tmp"
  local size; size=$(stat -c %s "$f.tmp")
  if [[ $size != $((w * h)) ]]; then
    echo "error: $f: $size bytes, expected $((w * h))" >&2
    rm -f "$f.tmp"
    exit 1
  fi
  mv "$f.tmp" "$f"
}

for n in 40 41; do
  extract "$n" 1280 720
  extract "$n" 1920 1080
done
echo "motion frames ready in $out"
