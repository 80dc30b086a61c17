#!/usr/bin/env bash
# Regenerate the Rust code for schemas/asp.fbs into crates/asp-core/src/schema/.
# With --check, generate into a temporary directory and fail if the committed
# copy differs (run by `make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
FLATC=${FLATC:-.venv/bin/flatc}
want="flatc version 25.12.19"
have=$("$FLATC" --version)
if [ "$have" != "$want" ]; then
  echo "gen-schema: need '$want' (the flatbuffers crate's version), found '$have'" >&2
  exit 1
fi
out=crates/asp-core/src/schema
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  "$FLATC" --rust -o "$tmp" schemas/asp.fbs
  if ! diff -u "$out/asp_generated.rs" "$tmp/asp_generated.rs" > "$tmp/diff"; then
    head -40 "$tmp/diff" >&2
    echo "gen-schema: $out/asp_generated.rs is stale; run 'make schema' and commit" >&2
    exit 1
  fi
  echo "gen-schema: generated code is up to date"
else
  "$FLATC" --rust -o "$out" schemas/asp.fbs
  echo "gen-schema: wrote $out/asp_generated.rs"
fi
