#!/usr/bin/env bash
# The browser half of `make demo`: builds the npm package (both wasm builds
# into web/dist) and serves the demo page www/ with COOP/COEP, so that
# <asp-player> uses the threaded build, playing build/demo.asp (the 720p
# testsrc clip that tools/demo.sh encoded) as a live WebSocket stream.
#
# Serves (until Ctrl-C) only when stdout is a terminal; otherwise (CI, pipes)
# prints the command that serves, so `make demo` always terminates.
#   DEMO_SERVE=1 / DEMO_SERVE=0 forces either; DEMO_PORT (default 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

port=${DEMO_PORT:-8080}
[ -f build/demo.asp ] || { echo "build/demo.asp is missing: run tools/demo.sh first" >&2; exit 1; }

echo "== the browser player: npm package @alice/asp-decoder (web/)"
tools/web/setup.sh --no-chromium
tools/build-wasm.sh 2>&1 | grep -E 'total|refused' || true
echo

serve=(node tools/web/serve.mjs --port "$port" --stream build/demo.asp)
url="http://127.0.0.1:$port/www/"
if [ "${DEMO_SERVE:-auto}" = 1 ] || { [ "${DEMO_SERVE:-auto}" = auto ] && [ -t 1 ]; }; then
  echo "Open $url in Chromium/Chrome/Edge/Firefox: <asp-player> plays build/demo.asp live over"
  echo "WebSocket (threaded decoder, WebGPU or WebGL2). Ctrl-C stops the server."
  exec "${serve[@]}"
else
  echo "To watch it in a browser, serve the demo page (COOP/COEP, live WebSocket at /live):"
  echo "  ${serve[*]}"
  echo "then open $url"
fi
