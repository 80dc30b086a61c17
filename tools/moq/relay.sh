#!/usr/bin/env bash
# A two-relay moq-relay cluster on this machine: an origin relay, where
# encoders publish, and an edge relay that dials the origin (cluster
# connect) and serves viewers from its cache, as moq-relay's clustering
# docs lay out. TLS from a test CA this script makes (never a public cert).
#
#   tools/moq/relay.sh [DIR] [ORIGIN_PORT] [EDGE_PORT]
#
# DIR (default: target/moq-relay) gets tls/ca.pem (trust it with
# `--tls-ca DIR/tls/ca.pem` or ASP_MOQ_TLS_CA) and the relays' certificate
# in tls/ (its own folder: the relays watch it for rotations, and the logs
# written next to it would wake them), configs and logs. Ports default to 4443 and 4444; each relay listens for
# QUIC/WebTransport on UDP and for HTTP (moq-relay's /announced, /fetch
# debugging endpoints) on the same TCP port. Runs in the foreground until
# SIGINT/SIGTERM, then stops both relays. Once both accept connections it
# prints one line: "relay.sh: ready origin=https://... edge=https://...".
#
# The relay comes from `tools/setup.sh moq` (cargo install, pinned).
set -euo pipefail

dir=${1:-target/moq-relay}
origin_port=${2:-4443}
edge_port=${3:-4444}
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
write_config origin "$origin_port"
write_config edge "$edge_port" "https://localhost:$origin_port/"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' INT TERM

"$relay" "$dir/origin.toml" > "$dir/origin.log" 2>&1 &
pids+=($!)
"$relay" "$dir/edge.toml" > "$dir/edge.log" 2>&1 &
pids+=($!)

# Ready when both HTTP listeners answer (they start with the QUIC ones).
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 1 200); do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { say "a relay exited; its log:"; tail -20 "$dir/origin.log" "$dir/edge.log" >&2; exit 1; }
  done
  if ready "$origin_port" && ready "$edge_port"; then
    echo "relay.sh: ready origin=https://localhost:$origin_port edge=https://localhost:$edge_port ca=$tls/ca.pem"
    wait -n "${pids[@]}" || true
    say "a relay exited; logs in $dir"
    exit 1
  fi
  sleep 0.05
done
say "the relays did not come up in 10 s; logs in $dir"
exit 1
