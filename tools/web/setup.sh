#!/usr/bin/env bash
# What the browser tests, the demo and the browser benchmark need:
# Debian's Chromium (never a downloaded browser) and the npm packages of
# tools/web (playwright-core, ws, @cycjimmy/jsmpeg-player, typescript,
# @webgpu/types), from the lockfile.
# Idempotent; quick when everything is there.
#
#   tools/web/setup.sh [--no-chromium]
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" != --no-chromium ] && ! command -v chromium >/dev/null; then
  echo "web setup: apt-get install chromium" >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web setup: npm ci (tools/web)" >&2
  npm ci --no-fund --no-audit --loglevel=error >/dev/null
fi
