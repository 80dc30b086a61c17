#!/usr/bin/env bash
# Builds the browser decoder (crates/asp-wasm) twice and runs wasm-bindgen:
#
#   web/dist/single/   stable, +simd128, tiles decoded one after another
#   web/dist/threads/  nightly, +atomics,+bulk-memory,+mutable-globals,+simd128,
#                      -Z build-std, wasm-bindgen-rayon (crossOriginIsolated pages)
#   web/dist/yuv.wgsl  asp-render's shader, which the JS WebGPU renderer fetches
#   web/dist/wgpu/single/  (only when asked for: `wgpu`) the single build with
#                      asp-wasm's `wgpu-renderer` feature, the WebGPU renderer on
#                      wgpu that bench-browser measures against the JS one; not
#                      part of the package
#
# Usage: tools/build-wasm.sh [single] [threads] [wgpu]   (default: single threads)
#        WASM_OPT=0 tools/build-wasm.sh             (skip wasm-opt)
#
# Installs what is missing (rustup targets, nightly rust-src, wasm-bindgen-cli
# at exactly the wasm-bindgen version in Cargo.lock), idempotent, and quick when
# nothing changed. The wasm builds use their own target directories under
# ${CARGO_TARGET_DIR:-target}/wasm/ so they never evict native artifacts, and
# their flags are set per invocation, never in a workspace-wide cargo config.
# Prints the raw and gzip sizes of every .wasm and .js it ships.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

want=" ${*:-single threads} "
has() { [[ "$want" == *" $1 "* ]]; }
say() { echo "build-wasm: $*" >&2; }

target_base="${CARGO_TARGET_DIR:-$root/target}"
case "$target_base" in /*) ;; *) target_base="$root/$target_base" ;; esac
target_base="$target_base/wasm"
dist="$root/web/dist"
crate=asp_wasm

# --- tools -------------------------------------------------------------------
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || { say "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
if has threads; then
  rustup toolchain list | grep -q '^nightly' \
    || { say "installing nightly"; rustup toolchain install nightly --profile minimal; }
  rustup +nightly target list --installed | grep -qx wasm32-unknown-unknown \
    || { say "rustup +nightly target add wasm32-unknown-unknown"; rustup +nightly target add wasm32-unknown-unknown; }
  rustup +nightly component list --installed | grep -q '^rust-src' \
    || { say "rustup component add rust-src --toolchain nightly"; rustup component add rust-src --toolchain nightly; }
fi

# wasm-bindgen-cli must be exactly the wasm-bindgen crate's version.
wb_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$wb_version" ] || { say "no wasm-bindgen in Cargo.lock"; exit 1; }
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wb_version" ]; then
  say "cargo install wasm-bindgen-cli --version $wb_version (about 2-5 minutes)"
  # --locked first; the registry may lack a pinned dependency, then resolve afresh.
  cargo install -q wasm-bindgen-cli --version "$wb_version" --locked \
    || cargo install -q wasm-bindgen-cli --version "$wb_version"
fi

# --- builds ------------------------------------------------------------------
threads_flags=(
  -C target-feature=+atomics,+bulk-memory,+mutable-globals,+simd128
  -C link-arg=--shared-memory
  -C link-arg=--max-memory=1073741824
  -C link-arg=--import-memory
  -C link-arg=--export=__wasm_init_tls
  -C link-arg=--export=__tls_size
  -C link-arg=--export=__tls_align
  -C link-arg=--export=__tls_base
)

# cargo_build NAME: builds one flavour, prints the path of its .wasm.
cargo_build() {
  local name=$1 dir="$target_base/$1"
  say "cargo build ($name)"
  if [ "$name" = single ]; then
    RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="$dir" \
      cargo build -q --release --target wasm32-unknown-unknown -p asp-wasm >&2 || return 1
  elif [ "$name" = wgpu ]; then
    RUSTFLAGS="-C target-feature=+simd128" CARGO_TARGET_DIR="$dir" \
      cargo build -q --release --target wasm32-unknown-unknown -p asp-wasm --features wgpu-renderer >&2 || return 1
  else
    RUSTFLAGS="${threads_flags[*]}" CARGO_TARGET_DIR="$dir" \
      cargo +nightly build -q --release --target wasm32-unknown-unknown -p asp-wasm \
      --features threads -Z build-std=panic_abort,std >&2 || return 1
  fi
  echo "$dir/wasm32-unknown-unknown/release/$crate.wasm"
}

# wasm-opt from Debian's binaryen is old (108): use it only if it takes the
# module; the unoptimised module is shipped otherwise.
optimise() {
  local name=$1 wasm=$2
  if [ "${WASM_OPT:-1}" = 0 ]; then say "wasm-opt skipped (WASM_OPT=0)"; return; fi
  if ! command -v wasm-opt >/dev/null; then
    say "wasm-opt not found (apt-get install binaryen): $name shipped without it"; return
  fi
  local features=(--enable-simd --enable-bulk-memory --enable-sign-ext --enable-mutable-globals
                  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue)
  [ "$name" = threads ] && features+=(--enable-threads)
  if wasm-opt -O3 "${features[@]}" "$wasm" -o "$wasm.opt" 2>"$wasm.opt.log"; then
    mv "$wasm.opt" "$wasm"; rm -f "$wasm.opt.log"
  else
    say "wasm-opt $(wasm-opt --version | awk '{print $3}') refused the $name module, shipped without it:"
    head -3 "$wasm.opt.log" >&2; rm -f "$wasm.opt" "$wasm.opt.log"
  fi
}

# ship_pool_start OUT: the threaded glue imports wasm-bindgen-rayon's
# `startWorkers` from the crate's worker helpers; web/src/worker/rayon-pool.js
# takes that file's place (same exports and messages; the pool's workers are
# made where they cannot block the decoder's worker: see that file).
ship_pool_start() {
  local helpers=("$1"/snippets/wasm-bindgen-rayon-*/src/workerHelpers.no-bundler.js)
  if [ ${#helpers[@]} -ne 1 ] || [ ! -f "${helpers[0]}" ] \
     || ! grep -q 'export async function startWorkers(module, memory, builder)' "${helpers[0]}"; then
    say "wasm-bindgen-rayon's worker helpers are not the ones web/src/worker/rayon-pool.js replaces: ${helpers[*]}"
    return 1
  fi
  cp "$root/web/src/worker/rayon-pool.js" "${helpers[0]}"
}

# out_dir NAME: where a flavour is shipped (the wgpu one as a `single`
# build of its own base, so that loadDecoder({ base }) takes it).
out_dir() { if [ "$1" = wgpu ]; then echo "$dist/wgpu/single"; else echo "$dist/$1"; fi; }

for name in single threads wgpu; do
  has "$name" || continue
  wasm=$(cargo_build "$name") || { say "cargo build ($name) failed"; exit 1; }
  out=$(out_dir "$name")
  # Up to date: the shipped module is newer than the build and this script.
  if [ -f "$out/${crate}_bg.wasm" ] && [ "$out/${crate}_bg.wasm" -nt "$wasm" ] \
     && [ "$out/${crate}_bg.wasm" -nt "$0" ] && [ "$out/${crate}_bg.wasm" -nt "$root/web/src/worker/rayon-pool.js" ]; then
    say "$name up to date"
    continue
  fi
  say "wasm-bindgen --target web ($name)"
  rm -rf "$out"
  wasm-bindgen --target web --out-dir "$out" "$wasm"
  if [ "$name" = threads ]; then ship_pool_start "$out" || exit 1; fi
  optimise "$name" "$out/${crate}_bg.wasm"
done

# --- shader ------------------------------------------------------------------
# The JS WebGPU renderer draws with asp-render's WGSL, the one source of every
# target: shipped as it is, beside the builds (web/src/render/webgpu.js).
cp "$root/crates/asp-render/src/yuv.wgsl" "$dist/yuv.wgsl.tmp" && mv "$dist/yuv.wgsl.tmp" "$dist/yuv.wgsl"

# --- sizes -------------------------------------------------------------------
printf '%-80s %9s %9s\n' "file (web/dist/)" raw gzip
for name in single threads wgpu; do
  has "$name" || continue
  [ -d "$(out_dir "$name")" ] || continue
  total_raw=0 total_gz=0
  while IFS= read -r f; do
    raw=$(stat -c %s "$f"); gz=$(gzip -9 -c "$f" | wc -c)
    total_raw=$((total_raw + raw)); total_gz=$((total_gz + gz))
    printf '%-80s %9d %9d\n' "${f#"$dist"/}" "$raw" "$gz"
  done < <(find "$(out_dir "$name")" -type f \( -name '*.wasm' -o -name '*.js' \) | sort)
  printf '%-80s %9d %9d\n' "$name total (wasm + js)" "$total_raw" "$total_gz"
done
