#!/usr/bin/env bash
# A moq-relay cluster on this machine: an origin relay, where encoders
# publish, and one or more edge relays that dial the origin (cluster
# connect) and serve viewers from their caches, as moq-relay's clustering
# docs lay out. TLS from a test CA this script makes (never a public cert).
#
#   tools/moq/relay.sh [DIR] [ORIGIN_PORT] [EDGE_PORT [EDGE_PORT...]]
#
# DIR (default: target/moq-relay) gets tls/ca.pem (trust it with
# `--tls-ca DIR/tls/ca.pem` or ASP_MOQ_TLS_CA) and the relays' certificate
# in tls/ (its own folder: the relays watch it for rotations, and the logs
# written next to it would wake them), and per relay NAME.toml, NAME.log
# and NAME.pid: origin, edge, then edge2, edge3... for further edges (a
# player given several edges moves to the next when one dies; a test kills
# one by its pid file). Ports default to 4443 and 4444; each relay listens
# for QUIC/WebTransport on UDP and for HTTP (moq-relay's /announced, /fetch
# debugging endpoints) on the same TCP port. Runs in the foreground until
# SIGINT/SIGTERM, then stops every relay; an edge that exits is reported
# and the rest go on, the origin exiting ends them all. Once all accept
# connections it prints one line:
# "relay.sh: ready origin=https://... edge=https://... [edge2=https://...] ca=...".
#
# ORIGIN_DIAL_PORT (default ORIGIN_PORT) is the port the edges dial for the
# origin: bench/moq/run.sh puts a byte-counting UDP forwarder there to
# measure the origin's egress to its edges.
#
# The relay comes from `tools/setup.sh moq` (cargo install, pinned).
set -euo pipefail

dir=${1:-target/moq-relay}
origin_port=${2:-4443}
shift $(( $# < 2 ? $# : 2 ))
edge_ports=("${@:-4444}")
say() { echo "relay.sh: $*" >&2; }

relay=$(command -v moq-relay || true)
[ -n "$relay" ] || { say "moq-relay is not installed: run tools/setup.sh moq"; exit 3; }
command -v openssl >/dev/null || { say "openssl is needed for the test CA"; exit 3; }
mkdir -p "$dir/tls"
dir=$(cd "$dir" && pwd)
tls=$dir/tls

# --- test CA and one server certificate for both relays ----------------------
# EC P-256, short-lived: a throwaway CA for loopback. Valid for localhost and
# 127.0.0.1 / ::1, so clients may dial either spelling. The relays'
# certificate lives 14 days: what a browser accepts by its hash alone
# (WebTransport's serverCertificateHashes), so a page can trust it without
# the CA (tests/browser/moq.test.mjs). One that expires within a day is
# made again.
if [ ! -s "$tls/ca.pem" ] || [ ! -s "$tls/relay.pem" ] \
   || ! openssl x509 -checkend 86400 -noout -in "$tls/relay.pem" >/dev/null 2>&1; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 30 \
    -subj "/CN=ASP relay test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" </dev/null 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$tls/relay.key" -out "$tls/relay.csr" -subj "/CN=localhost" </dev/null 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" > "$tls/relay.ext"
  openssl x509 -req -in "$tls/relay.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -out "$tls/relay.pem" -days 14 -extfile "$tls/relay.ext" </dev/null 2>/dev/null
  rm -f "$tls/relay.csr" "$tls/relay.ext"
fi

# --- configs -----------------------------------------------------------------
# Anonymous publish and subscribe everywhere ("**"): a loopback test cluster.
# The edge verifies the origin against the test CA, as any client does.
write_config() { # NAME PORT [PEER_URL]
  local name=$1 port=$2 peer=${3:-}
  {
    echo '[log]'
    echo 'level = "info"'
    echo '[listen]'
    echo "bind = \"127.0.0.1:$port\""
    echo "tls.cert = [\"$tls/relay.pem\"]"
    echo "tls.key = [\"$tls/relay.key\"]"
    echo '[connect]'
    echo "tls.root = [\"$tls/ca.pem\"]"
    echo '[web.http]'
    echo "listen = \"127.0.0.1:$port\""
    echo '[auth]'
    echo 'public = "**"'
    if [ -n "$peer" ]; then
      echo '[cluster]'
      echo "connect = [\"$peer\"]"
    fi
  } > "$dir/$name.toml"
}
# Relay names and ports, the origin first.
names=(origin)
ports=("$origin_port")
for i in "${!edge_ports[@]}"; do
  names+=("edge$([ "$i" -eq 0 ] || echo $((i + 1)))")
  ports+=("${edge_ports[$i]}")
done
write_config origin "$origin_port"
for i in "${!names[@]}"; do
  [ "$i" -eq 0 ] || write_config "${names[$i]}" "${ports[$i]}" "https://localhost:${ORIGIN_DIAL_PORT:-$origin_port}/"
done

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # A busy moq-relay may ignore SIGTERM (seen with 1000+ subscribers):
  # three seconds' grace, then SIGKILL, so that no relay outlives the script.
  local _ pid
  for _ in $(seq 1 30); do
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && break; pid=; done
    [ -z "$pid" ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT TERM

for name in "${names[@]}"; do
  "$relay" "$dir/$name.toml" > "$dir/$name.log" 2>&1 &
  pids+=($!)
  echo $! > "$dir/$name.pid"
done

alive() { kill -0 "$1" 2>/dev/null; }
# Ready when every HTTP listener answers (they start with the QUIC ones).
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 200); do
  for i in "${!pids[@]}"; do
    alive "${pids[$i]}" || { say "${names[$i]} exited; its log:"; tail -20 "$dir/${names[$i]}.log" >&2; exit 1; }
  done
  all=1
  for port in "${ports[@]}"; do ready "$port" || { all=0; break; }; done
  if [ "$all" -eq 1 ]; then
    line="relay.sh: ready"
    for i in "${!names[@]}"; do line+=" ${names[$i]}=https://localhost:${ports[$i]}"; done
    echo "$line ca=$tls/ca.pem"
    # Until the origin exits (nothing works without it); an edge that
    # exits is reported, the others go on serving.
    reported=()
    while alive "${pids[0]}"; do
      living=()
      for pid in "${pids[@]}"; do alive "$pid" && living+=("$pid"); done
      wait -n "${living[@]}" 2>/dev/null || true
      for i in "${!pids[@]}"; do
        if ! alive "${pids[$i]}" && [[ " ${reported[*]} " != *" $i "* ]]; then
          reported+=("$i")
          say "${names[$i]} exited; its log is $dir/${names[$i]}.log"
        fi
      done
    done
    exit 1
  fi
  sleep 0.05
done
say "the relays did not come up in 10 s; logs in $dir"
exit 1
