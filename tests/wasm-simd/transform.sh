#!/usr/bin/env bash
# The wasm simd128 transform twins against the scalar reference, in Node
# (tools/transform-wasm; see its README).
set -euo pipefail
cd "$(dirname "$0")/../../tools/transform-wasm"
target_dir=${CARGO_TARGET_DIR:-$(pwd)/../../target}/transform-wasm
RUSTFLAGS="-C target-feature=+simd128" cargo build -q --release --target wasm32-unknown-unknown --target-dir "$target_dir"
node run.js "$target_dir/wasm32-unknown-unknown/release/transform_wasm.wasm"
