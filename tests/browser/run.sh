#!/usr/bin/env bash
# <asp-player> in real headless Chromium (Debian's, driven by playwright-core):
# frames byte-identical to native asp-decode for both wasm builds, canvas
# pixels from the WebGPU and WebGL2 renderers, the fallbacks, recovery from
# corrupt packets / a truncated file / a dropped connection, and the npm
# package installed from its tarball.
#
#   tests/browser/run.sh                 everything
#   tests/browser/run.sh FILE.test.mjs   one file of tests/browser
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

tools/web/setup.sh
tools/build-wasm.sh >/dev/null

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
[ ${#files[@]} -gt 0 ] || files=(tests/browser/*.test.mjs)
ASP_BIN_DIR="$bin" ASP_BROWSER_WORK="$work" node --test --test-concurrency=1 "${files[@]}"
