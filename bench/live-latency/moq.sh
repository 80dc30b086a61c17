#!/usr/bin/env bash
# Glass-to-glass per relay hop (issue 18): the same stamped 720p30 2 Mb/s
# testsrc, one asp-encode --serve that also publishes to the origin of a
# moq-relay cluster (tools/moq/relay.sh), measured capture-to-canvas in
# headless Chromium with <asp-player> (canvas2d, as run.sh's anchor rows):
#   direct     WebTransport to asp-encode --serve (no relay)
#   1 relay    moq+https:// at the origin (encoder -> origin -> player)
#   2 relays   moq+https:// at the edge (encoder -> origin -> edge -> player)
# in the same run, the three in turn, ROUNDS times; then the medians of
# each path's p50/p95/p99 over the rounds and the p50 each hop adds.
# usage: bench/live-latency/moq.sh [SECONDS]   (default 30 per path and round; ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
seconds=${1:-30}
rounds=${ROUNDS:-3}
target=$(cd "$root" && realpath -m "${CARGO_TARGET_DIR:-target}")
base=${BASE_PORT:-4840}
origin=$((base + 3)) edge=$((base + 4)) http=$((base + 6))
dir=$target/bench-live-latency-moq
"$root/tools/web/setup.sh"
"$root/tools/setup.sh" moq
(cd "$root" && cargo build --release -p asp-cli --features moq --bin asp-encode)
"$root/tools/build-wasm.sh"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT

mkdir -p "$dir"
"$root/tools/moq/relay.sh" "$dir/relay" "$origin" "$edge" > "$dir/relay.out" &
pids+=($!)
for _ in $(seq 1 300); do grep -q '^relay.sh: ready' "$dir/relay.out" && break; sleep 0.1; done
grep -q '^relay.sh: ready' "$dir/relay.out" || { echo "moq.sh: the relays did not start" >&2; exit 1; }
hash=$(openssl x509 -in "$dir/relay/tls/relay.pem" -outform der | sha256sum | cut -d' ' -f1)

"$target/release/asp-encode" testsrc --serve "127.0.0.1:$http" --bitrate 2M --size 1280x720 --fps 30 --preset "${PRESET:-realtime}" \
  --www www --web "$root/web" --publish "https://localhost:$origin/bench" --tls-ca "$dir/relay/tls/ca.pem" \
  2> "$dir/serve.log" &
pids+=($!)
sleep 3
uptime
results=$dir/results.txt
: > "$results"
for round in $(seq 1 "$rounds"); do
  node run.mjs "http://127.0.0.1:$http/player.html?transport=wt&renderer=canvas2d" "$seconds" "direct (WebTransport), round $round" | tee -a "$results"
  node run.mjs "http://127.0.0.1:$http/player.html?transport=moq&relay=$origin&hash=$hash&renderer=canvas2d" "$seconds" "1 relay (origin), round $round" | tee -a "$results"
  node run.mjs "http://127.0.0.1:$http/player.html?transport=moq&relay=$edge&hash=$hash&renderer=canvas2d" "$seconds" "2 relays (edge), round $round" | tee -a "$results"
done
uptime
# Medians over the rounds, and what each hop adds to the p50.
awk '
  { path = $0; sub(/, round.*/, "", path)
    # The first p50/p95/p99 of a line are capture-to-canvas; later ones (the
    # server capture->publish) belong to the server, not to this path.
    split("", got)
    for (i = 1; i <= NF; i++) { if ($i == "p50" && !got["p50"]++) p50[path, ++n50[path]] = $(i+1); if ($i == "p95" && !got["p95"]++) p95[path, ++n95[path]] = $(i+1); if ($i == "p99" && !got["p99"]++) p99[path, ++n99[path]] = $(i+1) }
    if (!(path in seen)) { seen[path] = 1; order[++paths] = path } }
  function median(a, p, n,   v, i, j, t) { for (i = 1; i <= n; i++) v[i] = a[p, i]
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
  END { for (k = 1; k <= paths; k++) { p = order[k]; m[k] = median(p50, p, n50[p])
          printf "%s: median over %d rounds p50 %.1f p95 %.1f p99 %.1f ms", p, n50[p], m[k], median(p95, p, n95[p]), median(p99, p, n99[p])
          if (k > 1) printf " (%+.1f ms p50 over the previous path)", m[k] - m[k-1]
          printf "\n" } }' "$results"
