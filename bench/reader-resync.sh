#!/usr/bin/env bash
# PacketReader throughput on a real stream and on forged-header "bombs":
# 32 MiB of 16-byte headers that each claim a payload of 64 KiB or 16 MiB,
# so every header is a candidate packet covering those after it.
#   bench/reader-resync.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/reader-resync
mkdir -p "$out"
cargo build -q --release -p asp-cli
bin=${CARGO_TARGET_DIR:-target}/release
"$bin/asp-encode" testsrc --size 1280x720 --frames 60 --qp 4 --preset ultrafast -o "$out/one.asp" --force 2>/dev/null
for _ in 1 2 3 4 5 6 7 8; do cat "$out/one.asp"; done > "$out/stream.asp"
python3 - "$out" <<'PY'
import struct, sys
out = sys.argv[1]
for claimed in (64 << 10, 16 << 20):
    count = (32 << 20) // 16
    with open(f"{out}/bomb-{claimed >> 10}k.asp", "wb") as f:
        f.write(b"".join(b"ASP1" + bytes([2, 2, 0, 0]) + struct.pack(">II", i, claimed) for i in range(count)))
PY
for file in stream bomb-64k bomb-16384k; do
  echo -n "$file: "
  cargo run -q --release -p asp-core --example reader_throughput -- "$out/$file.asp"
done
