# Sourced by bench/moq/run.sh and switch.sh: the relay cluster, the wait
# for a publisher's broadcast, the publisher's own encode latency, and the
# processes to stop on exit. The caller sets `bench` (its name in messages)
# and `out` (its output directory).

pids=()
stop() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT

# start_relays ORIGIN_PORT EDGE_PORT...: tools/moq/relay.sh in $out/relay
# (environment passed through, e.g. ORIGIN_DIAL_PORT), waits until it is
# ready; sets `ca` to the test CA's certificate.
start_relays() {
  tools/moq/relay.sh "$out/relay" "$@" > "$out/relay.out" &
  pids+=($!)
  for _ in $(seq 1 300); do grep -q '^relay.sh: ready' "$out/relay.out" && break; sleep 0.1; done
  grep -q '^relay.sh: ready' "$out/relay.out" || { echo "$bench: the relays did not start (see $out/relay)" >&2; exit 1; }
  ca=$out/relay/tls/ca.pem
}

# wait_announced ORIGIN_PORT NAME: until the origin announces the
# broadcast NAME (the publisher is connected and encoding), 30 s at most.
wait_announced() {
  for _ in $(seq 1 300); do
    curl -s "http://127.0.0.1:$1/announced" | grep -q "$2" && return 0
    sleep 0.1
  done
  echo "$bench: $2 was not announced at the origin within 30 s" >&2
}

# publisher_latency HTTP_PORT WHAT: the publisher's capture -> publish
# time (its encodes) over its last frames, from its /asp/stats, one line.
publisher_latency() {
  curl -s "http://127.0.0.1:$1/asp/stats" \
    | python3 -c "import json,sys; e=json.load(sys.stdin)['capture_to_publish_us']; print('publisher capture -> publish (%s) p50 %.1f p95 %.1f ms over its last %d frames' % (sys.argv[1], e['p50']/1000, e['p95']/1000, e['frames']))" "$2" \
    || true
}
