#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 20); fails if one
# finds a crash. Usage: tests/fuzz/run.sh [SECONDS]   (make fuzz / make fuzz-smoke)
# FUZZ_TARGETS="player y4m_reader" runs only those.
#
# Seeds come from fuzz/seeds/<target> (committed, read-only); what the fuzzer
# finds goes to build/fuzz-corpus/<target> (not committed) and crash
# reproducers to fuzz/artifacts/<target>/ (not committed). Reproduce one with
#   cargo +nightly fuzz run -a <target> fuzz/artifacts/<target>/crash-...
# Builds with debug assertions (overflow checks) under AddressSanitizer;
# honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-20}
[[ "$secs" =~ ^[0-9]+$ ]] || { echo "usage: tests/fuzz/run.sh [SECONDS]" >&2; exit 2; }

failed=()
for target in ${FUZZ_TARGETS:-packet_parse packet_reader decode decode_twins refine y4m_reader player hub_messages}; do
  case $target in
    packet_reader|player) max_len=65536 ;;   # streams of several packets
    *) max_len=16384 ;;
  esac
  # decode_twins reads decode's input layout, so it starts from its seeds.
  seeds=fuzz/seeds/$target
  [ "$target" = decode_twins ] && seeds=fuzz/seeds/decode
  corpus=build/fuzz-corpus/$target
  mkdir -p "$corpus"
  echo "== fuzz: $target for ${secs}s"
  if ! cargo +nightly fuzz run --fuzz-dir fuzz --debug-assertions "$target" "$corpus" "$seeds" -- \
      -max_total_time="$secs" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1; then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: no crash in ${secs}s per target"
