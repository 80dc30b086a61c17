#!/usr/bin/env bash
# Decode speed of the browser decoder in Node (V8) next to native asp-decode,
# on 720p and 1080p testsrc streams at 2 Mbit/s (120 frames each).
#
#   bench/wasm/bench.sh          RUNS=3 (median of), FRAMES=120
#
# wasm: frames per second of Decoder.decode() over the packets (decode alone,
# median of RUNS after a warm-up), single build and threaded build (2 workers
# on node:worker_threads). Native: wall time of `asp-decode --threads N x.asp
# -o /dev/null`, median of RUNS (includes process start, reading the file and
# writing y4m to /dev/null), and the wasm decoder's own code compiled natively
# and timed like the wasm (crates/asp-wasm/examples/decode_speed.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
runs=${RUNS:-3}
frames=${FRAMES:-120}

tools/build-wasm.sh
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
cargo build -q --release -p asp-cli
cargo build -q --release -p asp-wasm --example decode_speed
bin="$target/release"

work="$root/build/wasm-bench"
mkdir -p "$work"
streams=()
for size in 1280x720 1920x1080; do
  f="$work/testsrc-$size-2M-$frames.asp"
  if [ ! -f "$f" ] || [ "$bin/asp-encode" -nt "$f" ]; then
    "$bin/asp-encode" testsrc --size "$size" --bitrate 2M --frames "$frames" -o "$f" --force 2>&1 | tail -1
  fi
  streams+=("$f")
done

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
RUNS=$runs node bench/wasm/bench.mjs single,threads "${streams[@]}"

RUNS=$runs "$bin/examples/decode_speed" "${streams[@]}"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for f in "${streams[@]}"; do
  for t in 1 2; do
    ms=$(for _ in $(seq "$runs"); do
      s=$(date +%s%N); "$bin/asp-decode" --threads "$t" "$f" -o /dev/null 2>/dev/null; e=$(date +%s%N)
      echo $(( (e - s) / 1000000 ))
    done | median)
    printf '{"build":"native asp-decode","threads":%d,"file":"%s","frames":%d,"median_ms":%d,"fps":%s}\n' \
      "$t" "$(basename "$f")" "$frames" "$ms" "$(awk -v f="$frames" -v m="$ms" 'BEGIN { printf "%.1f", f * 1000 / m }')"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
