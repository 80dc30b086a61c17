#!/usr/bin/env bash
# Capture-to-canvas latency: 720p30 testsrc at 2 Mb/s to one headless
# Chromium over WebSocket and WebTransport (asp-encode --serve played by
# <asp-player> itself, with the renderer it picks and with canvas2d), and
# the jsmpeg anchor (ffmpeg mpeg1video -> WebSocket relay -> jsmpeg, with
# its 2D and its WebGL renderer) from the same stamped picture.
# usage: bench/live-latency/run.sh [SECONDS]   (default 60; PRESET=ultrafast etc. for the ASP encoder)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
seconds=${1:-60}
# A relative CARGO_TARGET_DIR means the repository root (cargo reads it
# there); this script runs its tools from bench/live-latency.
target=$(cd "$root" && realpath -m "${CARGO_TARGET_DIR:-target}")
"$root/tools/web/setup.sh"
(cd "$root" && cargo build --release -p asp-cli --bin asp-encode -p asp-server --example stamped_testsrc)
# Both decoder builds (the player picks the threaded one on this
# cross-origin-isolated page); idempotent, quick when the codec is unchanged.
"$root/tools/build-wasm.sh"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

"$target/release/asp-encode" testsrc --serve 127.0.0.1:8090 --bitrate 2M --size 1280x720 --fps 30 --preset "${PRESET:-realtime}" \
  --www www --web "$root/web" 2>/tmp/asp-latency-serve.log &
pids+=($!)
sleep 2
uptime
node run.mjs "http://127.0.0.1:8090/player.html?transport=ws" "$seconds" "ASP WebSocket, <asp-player>"
node run.mjs "http://127.0.0.1:8090/player.html?transport=wt" "$seconds" "ASP WebTransport, <asp-player>"
node run.mjs "http://127.0.0.1:8090/player.html?transport=ws&renderer=canvas2d" "$seconds" "ASP WebSocket, <asp-player renderer=canvas2d>"
node run.mjs "http://127.0.0.1:8090/player.html?transport=wt&renderer=canvas2d" "$seconds" "ASP WebTransport, <asp-player renderer=canvas2d>"
kill "${pids[@]}"; pids=()

"$target/release/examples/stamped_testsrc" 1280 720 30 \
  | ffmpeg -loglevel error -f yuv4mpegpipe -i - -f mpegts -codec:v mpeg1video -b:v 2M -maxrate 2M -bufsize 1M \
      -bf 0 -muxdelay 0.001 -flush_packets 1 - \
  | node relay.mjs 8091 &
pids+=($!)
sleep 2
node run.mjs "http://127.0.0.1:8091/?gl=0" "$seconds" "jsmpeg (mpeg1video 2 Mb/s), canvas2d"
node run.mjs "http://127.0.0.1:8091/?gl=1" "$seconds" "jsmpeg (mpeg1video 2 Mb/s), webgl"
uptime
