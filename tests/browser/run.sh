#!/usr/bin/env bash
# <asp-player> in real browsers, Debian's, headless: Chromium (playwright-core),
# Firefox ESR (puppeteer-core over WebDriver BiDi) and WebKitGTK
# (WebKitWebDriver + selenium-webdriver, on a private Xvfb). In each: frames
# byte-identical to native asp-decode for the wasm builds it can run, canvas
# pixels from each renderer it has, the file, WebSocket and WebTransport
# sources, the fallbacks and the controls (decode, serve, controls). In Chromium
# also: recovery from corrupt packets / a truncated file / a dropped
# connection, live ROI, restarts, the element's media API, keyboard
# controls, lifecycle, 16 players on one page, poster/snapshot and
# record(), and the npm package from its tarball; the threaded build
# started many times over (pool-start) in each browser that has it.
#
#   tests/browser/run.sh                      everything, every browser
#   tests/browser/run.sh FILE.test.mjs        one file of tests/browser
#   BROWSERS=firefox tests/browser/run.sh     one browser (comma-separated list;
#                                             default chromium,firefox,webkit)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

export BROWSERS="${BROWSERS:-chromium,firefox,webkit}"
tools/web/setup.sh --browsers "$BROWSERS"
# The wgpu flavour for wgpu-renderer.test.mjs (Chromium only).
if [[ ",$BROWSERS," == *,chromium,* ]]; then tools/build-wasm.sh single threads wgpu >/dev/null; else tools/build-wasm.sh >/dev/null; fi

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
cargo build -q --release -p asp-cli
bin="$target/release"

# Streams are made here, each run, by the encoder of this checkout, and
# decoded natively for reference.
work="$root/build/browser-test"
mkdir -p "$work"
encode() {
  local name=$1; shift
  if [ ! -f "$work/$name.y4m" ] || [ "$bin/asp-encode" -nt "$work/$name.y4m" ] || [ "$bin/asp-decode" -nt "$work/$name.y4m" ]; then
    "$bin/asp-encode" testsrc "$@" -o "$work/$name.asp" --force 2>/dev/null
    "$bin/asp-decode" "$work/$name.asp" -o "$work/$name.y4m" --force 2>/dev/null
  fi
}
# 120 fps so that a paced file plays in half a second.
encode small --size 320x240 --fps 120 --frames 60 --keyint 15
encode tiled --size 331x187 --fps 120 --tiles 3x2 --frames 24 --keyint 8
# Regions of interest with a refinement layer: C-packets after the frames.
encode roi --size 320x240 --fps 120 --frames 20 --keyint 10 --roi text,motion --roi-layer
# Real time, for play/pause/stop.
encode paced --size 160x120 --fps 30 --frames 45 --keyint 15
# A file cut in the middle of a packet.
head -c "$(( $(stat -c %s "$work/small.asp") * 2 / 3 ))" "$work/small.asp" > "$work/truncated.asp"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  # The files that run in every browser of $BROWSERS; the others drive
  # Chromium alone, so they run when it is in the list.
  cross=(tests/browser/decode.test.mjs tests/browser/serve.test.mjs tests/browser/controls.test.mjs)
  # moq.test.mjs needs the relays and a MoQ build of asp-cli: make test-moq runs it.
  apart=(tests/browser/moq.test.mjs)
  files=("${cross[@]}")
  if [[ ",$BROWSERS," == *,chromium,* ]]; then
    for f in tests/browser/*.test.mjs; do
      [[ " ${cross[*]} ${apart[*]} " == *" $f "* ]] || files+=("$f")
    done
  fi
fi
ASP_BIN_DIR="$bin" ASP_BROWSER_WORK="$work" node --test --test-concurrency=1 "${files[@]}"
