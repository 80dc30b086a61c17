#!/usr/bin/env bash
# The aarch64 NEON twins against their scalar references, run for real
# under qemu-user: asp-core's and asp-encoder's unit tests (and the
# transform and codec round-trip tests) built for aarch64-unknown-linux-gnu
# and run by qemu-aarch64-static. Each kernel family's tests iterate
# asp_core::CpuFeatures::host().levels() (neon, then scalar), so every NEON
# twin is held equal to the scalar reference on the same inputs as its x86
# and wasm twins. Then asp-encoder's stream_digest example, natively and on
# aarch64 (NEON, then ASP_CPU_MASK=scalar): the same streams and decoded
# pictures on both targets with every twin.
#
# The target's std is built from source (`-Zbuild-std`, the nightly
# toolchain's rust-src): rustup cannot download it here. Linker and runner
# are Debian's (gcc-aarch64-linux-gnu, qemu-user-static; `tools/setup.sh
# arm`), set through the environment only, so host builds are untouched.
#
# Cold (std and every dependency built for aarch64) it takes about 10
# minutes on a 2-core machine shared with other builds (asp-core's build 7,
# asp-encoder's 1, the tests and digests 2); warm about 1. `make test` runs
# it (`make test-arm` alone).
#
# Without the nightly toolchain's rust-src, the cross linker or qemu it says
# so and exits 0 (the native tests still hold every x86 twin equal), unless
# CI=true, where a missing piece fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
CARGO=${CARGO:-cargo}
target=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu

skip() {
  if [ "${CI:-}" = true ]; then
    echo "test-arm: $*" >&2
    exit 1
  fi
  echo "test-arm: $*; skipped" >&2
  exit 0
}
command -v aarch64-linux-gnu-gcc >/dev/null || skip "aarch64-linux-gnu-gcc not found (tools/setup.sh arm)"
command -v qemu-aarch64-static >/dev/null || skip "qemu-aarch64-static not found (tools/setup.sh arm)"
[ -d "$sysroot/lib" ] || skip "$sysroot (the aarch64 C library) not found (tools/setup.sh arm)"
rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src' \
  || skip "the nightly toolchain's rust-src not found (tools/setup.sh arm)"

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L $sysroot"
cross=("$CARGO" +nightly test -q -Zbuild-std --target "$target")

# --bench: the NEON/scalar speed ratio of every kernel family
# (asp-encoder's kernel_ratio example), built optimised for aarch64 and run
# under qemu. Emulated time means nothing absolute; only the ratio counts.
if [ "${1:-}" = --bench ]; then
  shift
  # Release, but without the workspace's fat LTO and single codegen unit:
  # the same kernels, a build minutes shorter under -Zbuild-std.
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=0 \
    "$CARGO" +nightly run -q -Zbuild-std --target "$target" --release -p asp-encoder --example kernel_ratio -- "$@"
  exit
fi

# Whole unit-test suites, not only the twin tests: a few seconds for
# asp-core and about 45 for asp-encoder under qemu, and the codec's other
# tests (bit-exact reconstruction, encoder decisions) then also run on the
# NEON twins.
"${cross[@]}" -p asp-core --lib
"${cross[@]}" -p asp-encoder --lib
# The transforms' property tests, and the encoder's reconstruction against
# the decoder's output, bit for bit, with every kernel on its NEON twin.
"${cross[@]}" -p asp-core --test transform
"${cross[@]}" -p asp-encoder --test codec_round_trip

# The same streams and pictures on x86-64 (its best twins) and on aarch64
# (NEON, then scalar): the codec's output does not depend on the target.
digest() { "$@" -q -p asp-encoder --example stream_digest; }
native=$(digest "$CARGO" run)
neon=$(digest "$CARGO" +nightly run -Zbuild-std --target "$target")
scalar=$(ASP_CPU_MASK=scalar digest "$CARGO" +nightly run -Zbuild-std --target "$target")
if [ "$native" != "$neon" ] || [ "$neon" != "$scalar" ]; then
  printf 'test-arm: the streams differ\nnative:\n%s\naarch64 neon:\n%s\naarch64 scalar:\n%s\n' "$native" "$neon" "$scalar" >&2
  exit 1
fi
echo "test-arm: the same streams and pictures natively, with NEON and with scalar kernels on aarch64:"
echo "$native"
