#!/usr/bin/env bash
# Long fuzz runs for BENCHMARKS.md: each TARGET fuzzed until its fuzzer has
# used CPU_SECONDS (default 3600) of CPU time, not wall time (a shared
# machine gives a fuzzer less than a core), then interrupted; libFuzzer's
# final stats and an end line go to build/fuzz-long/TARGET.log.
#   tests/fuzz/long.sh TARGET [TARGET...]     (targets: see tests/fuzz/run.sh)
# Builds as tests/fuzz/run.sh does (AddressSanitizer, debug assertions);
# the corpus is kept in build/fuzz-corpus/TARGET, crashes in fuzz/artifacts/.
set -uo pipefail
cd "$(dirname "$0")/../.."
limit=${CPU_SECONDS:-3600}
tck=$(getconf CLK_TCK)
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-fuzz/target}")
mkdir -p build/fuzz-long
for t in "$@"; do
  case $t in packet_reader|player) max_len=65536 ;; *) max_len=16384 ;; esac
  seeds=fuzz/seeds/$t; [ "$t" = decode_twins ] && seeds=fuzz/seeds/decode
  corpus=build/fuzz-corpus/$t; mkdir -p "$corpus" "fuzz/artifacts/$t"
  log=build/fuzz-long/$t.log
  cargo +nightly fuzz build --fuzz-dir fuzz --debug-assertions "$t" > "build/fuzz-long/$t.build" 2>&1 ||
    { echo "$t: build failed (build/fuzz-long/$t.build)"; continue; }
  bin=$target_dir/x86_64-unknown-linux-gnu/release/$t
  echo "== $t: $(git rev-parse --short HEAD) start $(date -u +%FT%TZ), stop at ${limit}s CPU" > "$log"
  "$bin" -artifact_prefix="fuzz/artifacts/$t/" "$corpus" "$seeds" -max_len="$max_len" -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 >> "$log" 2>&1 &
  pid=$! cpu=0
  while kill -0 "$pid" 2>/dev/null; do
    cpu=$(awk -v t="$tck" '{print int(($14+$15)/t)}' "/proc/$pid/stat" 2>/dev/null || echo "$cpu")
    if [ "$cpu" -ge "$limit" ]; then kill -INT "$pid"; break; fi
    sleep 10
  done
  wait "$pid"; rc=$?
  echo "== $t: end $(date -u +%FT%TZ), rc $rc, cpu ${cpu}s, corpus $(ls "$corpus" | wc -l) files, artifacts $(ls "fuzz/artifacts/$t" | wc -l)" >> "$log"
  tail -1 "$log"
done
