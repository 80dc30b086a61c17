#!/usr/bin/env bash
# The WebAssembly simd128 twins against their scalar references, run for
# real: unit tests built for wasm32-wasip1 with +simd128 and run under
# Node's WASI (tests/wasm-simd/wasi-run.mjs): asp-encoder's SAD, and asp-core's
# transform (codec::transform: inverse, forward and SATD twins against the
# scalar reference), motion compensation (the 6-tap luma planes and averages
# in codec::interpolate, the chroma bilinear blend in codec::chroma_mc; those
# modules' other tests, against the naive formulas, then also go through the
# twins) and deblocking's simd128 kernels (codec::deblock). Each family's
# tests run every level of asp_core::cpu::CpuFeatures (simd128, then
# scalar). Also checks
# that asp-encoder builds for wasm32-unknown-unknown with +simd128.
#
# Needs rustup (to add the wasm targets) and Node >= 20. Without them it
# says so and exits 0 (the native tests still hold every x86 twin equal).
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO=${CARGO:-cargo}

if ! command -v node >/dev/null; then
  echo "test-wasm-simd: node not found; skipped" >&2
  exit 0
fi
for t in wasm32-unknown-unknown wasm32-wasip1; do
  if ! rustup target list --installed 2>/dev/null | grep -qx "$t"; then
    rustup target add "$t" >/dev/null 2>&1 || { echo "test-wasm-simd: cannot add target $t; skipped" >&2; exit 0; }
  fi
done

export RUSTFLAGS="${RUSTFLAGS:-} -Ctarget-feature=+simd128"
$CARGO build -q -p asp-encoder --lib --target wasm32-unknown-unknown
CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $(pwd)/tests/wasm-simd/wasi-run.mjs" \
  $CARGO test -q -p asp-encoder --lib --target wasm32-wasip1 -- motion::sad
CARGO_TARGET_WASM32_WASIP1_RUNNER="node --no-warnings $(pwd)/tests/wasm-simd/wasi-run.mjs" \
  $CARGO test -q -p asp-core --lib --target wasm32-wasip1 -- cpu codec::transform codec::quant codec::interpolate codec::chroma_mc codec::plane \
  codec::deblock --skip banded_threads   # (WASI has no threads)
