#!/usr/bin/env bash
# make bench-moq-switch: rendition switching under a throttled link (issue
# 18). A moq-relay cluster (tools/moq/relay.sh: origin and edge), a live
# publisher of three renditions (asp-encode testsrc --serve --publish,
# 320x180 at 30 fps, --rendition 500k 200k 80k, a keyframe run a second:
# on this loaded 2-core machine three live encoders next to the player
# keep near real time at that size, not at 1280x720 (2.7 fps) or 480x270
# (6 to 12 fps); testsrc at 320x180 tops out near 590 kbit/s),
# and headless Chromium playing the broadcast at the edge through
# asp-moq-load's throttle (bench/moq-load/src/throttle.rs: a token bucket
# on relay -> player, a drop-tail queue of QUEUE_MS at the current rate,
# DELAY_MS each way; tc netem is not in this container's kernel), choosing
# renditions itself. Two runs: the control (no rate limit, the same delay)
# and the SCHEDULE. bench/moq/switch.mjs reads each run: per throttle step
# the frames published, shown and lost, stalls, frames per rendition; per
# switch when it was decided after the rate changed, the frames lost.
#
#   bench/moq/switch.sh
#
# Environment: SCHEDULE (default "2M for 15s, 350k for 20s, 130k for 20s,
# 2M for 25s": each limit fits the next rendition down with room, not the
# one above), SIZE/FPS/KEYINT/RENDITIONS ("500k 200k 80k"), QUEUE_MS (80),
# DELAY_MS (10), PUBLISHER_NICE (0; e.g. -10 gives the publisher the CPU
# before other work on a shared machine, so that it keeps real time),
# OUT (build/bench-moq-switch), BASE_PORT (4760: origin +3,
# edge +4, the publisher's HTTP +6, the throttle +7), RUNS ("control
# throttled", or one of them).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
out=$(realpath -m "${OUT:-build/bench-moq-switch}")
schedule=${SCHEDULE:-2M for 15s, 350k for 20s, 130k for 20s, 2M for 25s}
size=${SIZE:-320x180} fps=${FPS:-30} keyint=${KEYINT:-30}
renditions=(${RENDITIONS:-500k 200k 80k})
queue_ms=${QUEUE_MS:-80} delay_ms=${DELAY_MS:-10}
base=${BASE_PORT:-4760}
origin=$((base + 3)) edge=$((base + 4)) http=$((base + 6)) proxy=$((base + 7))
runs=(${RUNS:-control throttled})
mkdir -p "$out"

tools/setup.sh moq
tools/web/setup.sh
tools/build-wasm.sh >/dev/null
cargo build --release -p asp-cli --features moq --bin asp-encode
# The workspace's dev profile is optimized: plenty for a few Mbit/s of UDP.
cargo build -p asp-bench-moq-load
encode=$target/release/asp-encode
load=$target/debug/asp-moq-load

bench=bench-moq-switch
source bench/moq/common.sh

start_relays "$origin" "$edge"
hash=$(openssl x509 -in "$out/relay/tls/relay.pem" -outform der | sha256sum | cut -d' ' -f1)

rendition_flags=()
for r in "${renditions[@]}"; do rendition_flags+=(--rendition "$r"); done
nice -n "${PUBLISHER_NICE:-0}" "$encode" testsrc --size "$size" --fps "$fps" --keyint "$keyint" "${rendition_flags[@]}" \
  --serve "127.0.0.1:$http" --publish "https://localhost:$origin/switch" --tls-ca "$ca" 2> "$out/publisher.log" &
publisher=$!
pids+=($publisher)
wait_announced "$origin" switch
sleep 2

# The schedule's length: the sum of its durations (the last step's counts whole).
seconds=$(python3 -c "import re,sys; print(sum(float(v) * (0.001 if u == 'ms' else 1) for v, u in re.findall(r'for\s*([0-9.]+)\s*(ms|s)', sys.argv[1])))" "$schedule")
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo ' (+ uncommitted changes)')
{
  echo "bench-moq-switch: commit $commit, $(nproc) cores, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "publisher: asp-encode testsrc --size $size --fps $fps --keyint $keyint ${rendition_flags[*]} (release, nice ${PUBLISHER_NICE:-0}); relay -> player through asp-moq-load throttle: queue $queue_ms ms, delay $delay_ms ms each way; $seconds s per run"
  echo
} > "$out/table.md"
for run in "${runs[@]}"; do
  case "$run" in
    control) run_schedule="off for ${seconds}s" label="control: no rate limit" ;;
    throttled) run_schedule=$schedule label="throttled: $schedule" ;;
    *) echo "bench-moq-switch: unknown run $run (control, throttled)" >&2; exit 2 ;;
  esac
  "$load" throttle "127.0.0.1:$proxy" "127.0.0.1:$edge" "$run_schedule" --queue-ms "$queue_ms" --delay-ms "$delay_ms" > "$out/$run.throttle.jsonl" &
  throttle=$!
  pids+=($throttle)
  echo "bench-moq-switch: $label" >&2
  node bench/moq/switch.mjs "moq+https://127.0.0.1:$proxy/switch#sha256=$hash" "http://127.0.0.1:$http/asp/stats" \
    "$out/$run.throttle.jsonl" "$seconds" "$label" "$out/$run.json" | tee -a "$out/table.md"
  kill "$throttle" 2>/dev/null || true
  wait "$throttle" 2>/dev/null || true
  kill -0 "$publisher" 2>/dev/null || { echo "bench-moq-switch: the publisher died (see $out/publisher.log)" >&2; exit 1; }
  # Let the edge drop the run's session before the next.
  sleep 3
done
publisher_latency "$http" "the three encodes" | tee -a "$out/table.md"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/table.md"
echo "bench-moq-switch: table in $out/table.md" >&2
