#!/usr/bin/env bash
# make bench-browser: the browser decoder's speed in Chromium and Firefox,
# against jsmpeg in the same browser and run, on bigbuckbunny (720p, and
# 1080p scaled up).
#
#   bench/browser/bench.sh                      RUNS=3 (median of RUNS per figure)
#   BROWSERS=firefox bench/browser/bench.sh     one browser (default chromium,firefox)
#   CHROMIUM_RENDERERS=webgl2 bench/browser/bench.sh   Chromium rows per renderer besides
#                                               the player's pick (default webgpu,webgl2,canvas2d;
#                                               webgpu-wgpu: the WebGPU renderer on wgpu, asp-render
#                                               in the single build, tools/build-wasm.sh wgpu)
#   RESOLUTIONS=1080 bench/browser/bench.sh     one resolution (default 720,1080)
#   OVERLAP_ROWS=1 bench/browser/bench.sh       also rows drawing frame N while frame N+1
#                                               decodes (Decoder.start_next_frame)
#
# 1. bigbuckbunny -> y4m (720p as is, 1080p lanczos-scaled), 132 frames;
# 2. asp-encode at 1500k (720p) / 3000k (1080p); PSNR-Y of asp-decode's output;
# 3. ffmpeg mpeg1video in MPEG-TS (-bf 0, -g 50) at the largest -q:v whose
#    PSNR-Y is at least ASP's (binary search): jsmpeg's stream at equal quality
#    (and the next -q:v, to interpolate jsmpeg's bytes at ASP's PSNR-Y);
# 4. bench.mjs, in each browser (Debian's chromium and firefox-esr, headless,
#    launched by tests/browser/drivers): ASP decode alone and decode + present
#    per build with the renderer the player picks itself (and in Chromium each
#    renderer: SwiftShader WebGPU/WebGL2, Canvas2D), jsmpeg's nextFrame() loops
#    decoding alone and with WebGL (where the page has it) and Canvas2D.
#    Prints markdown tables, ratios against jsmpeg from the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bbb=${BBB:-$root/../shared/media/bigbuckbunny.mp4}
[ -f "$bbb" ] || { echo "bench-browser: $bbb is absent (set BBB=...)" >&2; exit 1; }

tools/setup.sh apt >/dev/null   # ffmpeg if missing
export BROWSERS="${BROWSERS:-chromium,firefox}"
tools/web/setup.sh --browsers "$BROWSERS"
flavours=(single threads)
[[ ",${CHROMIUM_RENDERERS:-}," == *,webgpu-wgpu,* ]] && flavours+=(wgpu)
tools/build-wasm.sh "${flavours[@]}" >/dev/null
cargo build -q --release -p asp-cli
bin="${CARGO_TARGET_DIR:-$root/target}/release"
work="$root/build/bench-browser"
mkdir -p "$work"

psnr_y() { # psnr_y DISTORTED REFERENCE.y4m
  ffmpeg -hide_banner -nostats -i "$1" -i "$2" -lavfi "[0:v][1:v]psnr" -f null - 2>&1 \
    | sed -n 's/.*PSNR y:\([0-9.inf]*\).*/\1/p' | tail -1
}

export RESOLUTIONS="${RESOLUTIONS:-720,1080}"
for res in ${RESOLUTIONS//,/ }; do
  case "$res" in 720|1080) ;; *) echo "bench-browser: RESOLUTIONS: 720 and 1080, not $res" >&2; exit 1 ;; esac
  y4m="$work/bbb$res.y4m"
  if [ ! -f "$y4m" ]; then
    scale=(); [ "$res" = 1080 ] && scale=(-vf scale=1920:1080:flags=lanczos)
    ffmpeg -hide_banner -loglevel error -i "$bbb" -an "${scale[@]}" -pix_fmt yuv420p -f yuv4mpegpipe "$y4m"
  fi
  rate=1500k; [ "$res" = 1080 ] && rate=3000k
  "$bin/asp-encode" "$y4m" --bitrate "$rate" -o "$work/bbb$res.asp" --force 2>/dev/null
  "$bin/asp-decode" "$work/bbb$res.asp" -o "$work/bbb$res.asp.y4m" --force 2>/dev/null
  asp_psnr=$(psnr_y "$work/bbb$res.asp.y4m" "$y4m")
  # Largest q (fewest bits) with PSNR-Y >= ASP's.
  lo=2 hi=31 best=2
  while [ "$lo" -le "$hi" ]; do
    q=$(( (lo + hi) / 2 ))
    ffmpeg -hide_banner -loglevel error -y -i "$y4m" -c:v mpeg1video -q:v "$q" -bf 0 -g 50 -f mpegts "$work/q.ts"
    p=$(psnr_y "$work/q.ts" "$y4m")
    if awk -v a="$p" -v b="$asp_psnr" 'BEGIN { exit !(a >= b) }'; then best=$q; lo=$((q + 1)); else hi=$((q - 1)); fi
  done
  ffmpeg -hide_banner -loglevel error -y -i "$y4m" -c:v mpeg1video -q:v "$best" -bf 0 -g 50 -f mpegts "$work/bbb$res.ts"
  mpeg_psnr=$(psnr_y "$work/bbb$res.ts" "$y4m")
  # The next q, just below ASP's PSNR-Y: with it, jsmpeg's bytes at exactly
  # ASP's PSNR-Y (log-linear interpolation), since a whole q step can be
  # worth a dB and more.
  ffmpeg -hide_banner -loglevel error -y -i "$y4m" -c:v mpeg1video -q:v "$((best + 1))" -bf 0 -g 50 -f mpegts "$work/q.ts"
  below_psnr=$(psnr_y "$work/q.ts" "$y4m")
  echo "$res $asp_psnr $(stat -c %s "$work/bbb$res.asp") $best $mpeg_psnr $(stat -c %s "$work/bbb$res.ts") $below_psnr $(stat -c %s "$work/q.ts")" > "$work/bbb$res.quality"
  echo "bench-browser: ${res}p ASP $rate PSNR-Y $asp_psnr dB, $(stat -c %s "$work/bbb$res.asp") B; mpeg1video -q:v $best PSNR-Y $mpeg_psnr dB, $(stat -c %s "$work/bbb$res.ts") B (MPEG-TS)" >&2
done

RUNS=${RUNS:-3} node bench/browser/bench.mjs "$work"
