#!/usr/bin/env bash
# Capture-to-canvas latency: 720p30 testsrc at 2 Mb/s to one headless
# Chromium over WebSocket and WebTransport (asp-encode --serve, a minimal
# probe page on the asp-wasm decoder), and the jsmpeg anchor (ffmpeg
# mpeg1video -> WebSocket relay -> jsmpeg) from the same stamped picture.
# usage: bench/live-latency/run.sh [SECONDS]   (default 60; PRESET=ultrafast etc. for the ASP encoder)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
seconds=${1:-60}
target=${CARGO_TARGET_DIR:-$root/target}
[ -d node_modules/playwright-core ] || npm install --no-audit --no-fund
(cd "$root" && cargo build --release -p asp-cli --bin asp-encode -p asp-server --example stamped_testsrc)
# Idempotent: rebuilds the decoder only when the codec changed.
"$root/tools/build-wasm.sh" single
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

"$target/release/asp-encode" testsrc --serve 127.0.0.1:8090 --bitrate 2M --size 1280x720 --fps 30 --preset "${PRESET:-realtime}" \
  --www www --web "$root/web" 2>/tmp/asp-latency-serve.log &
pids+=($!)
sleep 2
uptime
node run.mjs "http://127.0.0.1:8090/asp.html?transport=ws" "$seconds" "ASP WebSocket"
node run.mjs "http://127.0.0.1:8090/asp.html?transport=wt" "$seconds" "ASP WebTransport"
kill "${pids[@]}"; pids=()

"$target/release/examples/stamped_testsrc" 1280 720 30 \
  | ffmpeg -loglevel error -f yuv4mpegpipe -i - -f mpegts -codec:v mpeg1video -b:v 2M -maxrate 2M -bufsize 1M \
      -bf 0 -muxdelay 0.001 -flush_packets 1 - \
  | node relay.mjs 8091 &
pids+=($!)
sleep 2
node run.mjs "http://127.0.0.1:8091/" "$seconds" "jsmpeg (mpeg1video 2 Mb/s)"
