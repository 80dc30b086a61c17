#!/usr/bin/env bash
# The demo until the codec lands: write a synthetic packet stream, inspect it,
# then damage a copy and show the reader resynchronising around the damage.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
cargo build -q --release -p asp-core --example synthetic_stream
cargo build -q --release -p asp-cli --bin asp-info
target=${CARGO_TARGET_DIR:-target}
"$target"/release/examples/synthetic_stream build/demo.asp 10
echo "== asp-info build/demo.asp"
"$target"/release/asp-info build/demo.asp
python3 - <<'PY'
data = bytearray(open("build/demo.asp", "rb").read())
data[400] ^= 0xFF             # flip a byte inside the second packet
data[5000:5010] = b"garbage!!!"  # overwrite part of a later packet
open("build/demo-damaged.asp", "wb").write(data[:-9])  # and cut the tail
PY
echo
echo "== asp-info build/demo-damaged.asp (a flipped byte, garbage, a cut tail)"
"$target"/release/asp-info build/demo-damaged.asp || echo "(asp-info exits $? on damage, as documented)"
