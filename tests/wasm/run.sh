#!/usr/bin/env bash
# The browser decoder's Node tests: builds both wasm builds and the release
# CLI, encodes test streams, decodes them natively to y4m, then checks in Node
# that the wasm decoder gives the same frames (CRC-32 per frame).
#
#   tests/wasm/run.sh                    both builds (threads: 2 workers on
#                                        node:worker_threads, see node-workers.mjs)
#   ASP_BUILDS=single tests/wasm/run.sh  one of them
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

tools/build-wasm.sh >/dev/null

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
cargo build -q --release -p asp-cli
bin="$target/release"

work="$root/build/wasm-test"
mkdir -p "$work"
# encode NAME ARGS...: NAME.asp and its native decode NAME.y4m, when missing or
# older than the encoder.
encode() {
  local name=$1; shift
  if [ ! -f "$work/$name.y4m" ] || [ "$bin/asp-encode" -nt "$work/$name.y4m" ] || [ "$bin/asp-decode" -nt "$work/$name.y4m" ]; then
    "$bin/asp-encode" testsrc "$@" -o "$work/$name.asp" --force 2>/dev/null
    "$bin/asp-decode" "$work/$name.asp" -o "$work/$name.y4m" --force 2>/dev/null
  fi
}
encode small --size 320x240 --frames 30 --keyint 10
encode tiled --size 331x187 --tiles 3x2 --frames 12 --keyint 6
# Row tiles (the default grid's shape) deblock inside their own jobs.
encode rows --size 352x208 --tiles 1x5 --frames 12 --keyint 6 --qp 40

# The simd128 twins of asp-wasm (RGBA conversion) against their scalar
# references, run as wasm32-wasip1 tests under Node's WASI.
rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1 >/dev/null
RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="$target/wasip1" \
CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $root/tests/wasm-simd/wasi-run.mjs" \
  cargo test -q -p asp-wasm --lib --target wasm32-wasip1

ASP_STREAM="$work/small.asp" ASP_Y4M="$work/small.y4m" \
ASP_TILED_STREAM="$work/tiled.asp" ASP_TILED_Y4M="$work/tiled.y4m" \
ASP_ROWS_STREAM="$work/rows.asp" ASP_ROWS_Y4M="$work/rows.y4m" \
ASP_BUILDS="${ASP_BUILDS:-single,threads}" \
  node --test tests/wasm/decode.test.mjs
