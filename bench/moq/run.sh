#!/usr/bin/env bash
# make bench-moq: subscribers held by a moq-relay cluster on this machine.
# Starts an origin and two edge relays (tools/moq/relay.sh; the edges dial
# the origin through asp-moq-load's byte-counting forwarder, which measures
# the origin's egress to each edge), a live publisher (asp-encode testsrc
# --serve --publish: 720p30 at 2 Mbit/s, the stamped test picture), then
# asp-moq-load once per N, spread over the two edges, and writes the table
# to OUT/results.md (the full reports to OUT/N.txt).
#
#   bench/moq/run.sh [N ...]          (default: 100 500 1000 2000)
#
# Environment: SECONDS_PER_RUN (default 20), PROFILE (release; debug for
# the smoke test) of the publisher, LOAD_PROFILE (default PROFILE) of
# asp-moq-load, OUT (default build/bench-moq), REQUIRE (a percent: fail
# unless every subscriber gets that share of the frames, every object
# verified), BASE_PORT (default 4740: origin +3, forwarder +2, edges +4 +5,
# the publisher's HTTP +6), SIZE/FPS/BITRATE (1280x720, 30, 2M).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
profile=${PROFILE:-release}
seconds=${SECONDS_PER_RUN:-20}
out=$(realpath -m "${OUT:-build/bench-moq}")
base=${BASE_PORT:-4740}
fwd=$((base + 2)) origin=$((base + 3)) edge=$((base + 4)) edge2=$((base + 5)) http=$((base + 6))
counts=( "$@" )
[ ${#counts[@]} -gt 0 ] || counts=(100 500 1000 2000)
mkdir -p "$out"
rm -f "$out/results.md" "$out/origin-egress.counts"

tools/setup.sh moq
load_profile=${LOAD_PROFILE:-$profile}
release() { [ "$1" = release ] && echo --release || true; }
cargo build $(release "$profile") -p asp-cli --features moq --bin asp-encode
cargo build $(release "$load_profile") -p asp-bench-moq-load
bin=$target/$profile
load=$target/$load_profile/asp-moq-load

bench=bench-moq
source bench/moq/common.sh

"$load" forward "127.0.0.1:$fwd" "127.0.0.1:$origin" "$out/origin-egress.counts" &
pids+=($!)
ORIGIN_DIAL_PORT=$fwd start_relays "$origin" "$edge" "$edge2"

"$bin/asp-encode" testsrc --size "${SIZE:-1280x720}" --fps "${FPS:-30}" --bitrate "${BITRATE:-2M}" \
  --serve "127.0.0.1:$http" --publish "https://localhost:$origin/bench" --tls-ca "$ca" 2> "$out/publisher.log" &
publisher=$!
pids+=($publisher)
wait_announced "$origin" bench

git_commit=$(git rev-parse --short HEAD)
{
  echo "bench-moq: commit $git_commit$(git diff --quiet HEAD || echo ' (+ uncommitted changes)'), $(nproc) cores, $(date -u +%FT%TZ)"
  echo "publisher: asp-encode testsrc ${SIZE:-1280x720} ${FPS:-30} fps ${BITRATE:-2M} ($profile build); asp-moq-load $load_profile build; window ${seconds} s per row"
  echo
} > "$out/header.txt"
status=0
for n in "${counts[@]}"; do
  args=(--reference "https://localhost:$origin/bench"
        --relay "edge=https://localhost:$edge/bench" --relay "edge2=https://localhost:$edge2/bench"
        --subscribers "$n" --seconds "$seconds" --tls-ca "$ca"
        --watch "origin=$(cat "$out/relay/origin.pid")" --watch "edge=$(cat "$out/relay/edge.pid")"
        --watch "edge2=$(cat "$out/relay/edge2.pid")" --watch "publisher=$publisher"
        --origin-egress "$out/origin-egress.counts" --table "$out/results.md")
  [ -z "${REQUIRE:-}" ] || args+=(--require "$REQUIRE")
  echo "bench-moq: $n subscribers" >&2
  "$load" "${args[@]}" | tee "$out/$n.txt" || status=1
  # The publisher's own capture -> publish time (the encode) over its last
  # 300 frames: what the subscribers' capture -> received adds to.
  publisher_latency "$http" "the encode" | tee -a "$out/$n.txt"
  kill -0 "$publisher" 2>/dev/null || { echo "bench-moq: the publisher died (see $out/publisher.log)" >&2; exit 1; }
  # Let the relays drop the last run's sessions before the next.
  sleep 3
done
cat "$out/header.txt" "$out/results.md" > "$out/table.md"
echo "bench-moq: table in $out/table.md" >&2
exit $status
