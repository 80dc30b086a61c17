#!/usr/bin/env bash
# What the browser tests, the demo and the browser benchmark need: Debian's
# browsers (never a downloaded browser) and the npm packages of tools/web
# (playwright-core for Chromium, puppeteer-core for Firefox over WebDriver
# BiDi, selenium-webdriver for WebKitGTK's WebKitWebDriver, pngjs, ws,
# @cycjimmy/jsmpeg-player, media-chrome, typescript, @webgpu/types, and
# flatbuffers: the runtime of the flatc TypeScript reader in tests/interop),
# from the lockfile.
# Idempotent; quick when everything is there.
#
#   tools/web/setup.sh                          Chromium
#   tools/web/setup.sh --browsers chromium,firefox,webkit
#   tools/web/setup.sh --no-chromium            npm packages only
set -euo pipefail
cd "$(dirname "$0")"

browsers=chromium
case "${1:-}" in
  --no-chromium) browsers="" ;;
  --browsers) browsers="${2:?--browsers needs a comma-separated list}" ;;
  "") ;;
  *) echo "usage: $0 [--no-chromium | --browsers chromium,firefox,webkit]" >&2; exit 2 ;;
esac

# apt package for each browser, and a command it installs.
missing=()
for browser in ${browsers//,/ }; do
  case "$browser" in
    chromium) command -v chromium >/dev/null || missing+=(chromium) ;;
    firefox) command -v firefox-esr >/dev/null || missing+=(firefox-esr) ;;
    # WebKitWebDriver drives MiniBrowser (libwebkit2gtk), which needs a
    # display: the tests start their own Xvfb.
    webkit)
      command -v WebKitWebDriver >/dev/null || missing+=(webkit2gtk-driver)
      command -v Xvfb >/dev/null || missing+=(xvfb)
      ;;
    *) echo "web setup: unknown browser $browser" >&2; exit 2 ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "web setup: apt-get install ${missing[*]}" >&2
  sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "web setup: npm ci (tools/web)" >&2
  npm ci --no-fund --no-audit --loglevel=error >/dev/null
fi
