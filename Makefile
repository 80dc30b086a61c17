# ASP — the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
FUZZ_SECONDS ?= 20

.PHONY: demo test setup schema check-schema check-web-types check-docs check-fuzz test-server test-render test-moq test-rust test-nostd test-wasm-simd test-arm test-wasm test-browser test-interop test-python fuzz fuzz-smoke bench bench-rd bench-browser bench-hostile bench-moq bench-moq-switch clippy test-analysis bench-analysis

## demo: set up, then encode the built-in test picture, decode it, report size, speed, PSNR;
## then build the browser package and serve (on a terminal) or print the URL of the demo page
demo:
	@tools/setup.sh rust python
	@tools/demo.sh
	@tools/demo-browser.sh

## test: set up, then run every test
test: setup check-schema check-web-types check-docs check-fuzz test-rust test-nostd test-wasm-simd test-arm test-wasm test-browser test-moq test-interop test-python fuzz-smoke
	@echo "make test: all green"

setup:
	@tools/setup.sh rust python fuzz apt moq arm

## schema: regenerate crates/asp-core/src/schema from schemas/asp.fbs
schema:
	@tools/setup.sh python
	tools/gen-schema.sh

check-schema:
	tools/gen-schema.sh --check

# The player's JavaScript (web/src) type-checked, strict, against the
# package's .d.ts (web/types): tsc --checkJs --noEmit (web/tsconfig.json).
check-web-types:
	tools/web/setup.sh --no-chromium
	cd web && node ../tools/web/node_modules/typescript/bin/tsc -p tsconfig.json

# Every crate's API docs build without a warning (broken or private
# intra-doc links, bad HTML).
check-docs:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --exclude asp-moq --exclude asp-bench-moq-load --no-deps
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p asp-moq --no-deps

# The fuzz crate is its own workspace, so test-rust does not build it; a
# rename in asp-core must not break the fuzz targets unseen until fuzz-smoke.
check-fuzz:
	$(CARGO) check --manifest-path fuzz/Cargo.toml --bins

# asp-moq and asp-cli's moq feature are test-moq's: they build aws-lc (C).
test-rust:
	$(CARGO) test --workspace --exclude asp-moq --exclude asp-bench-moq-load --all-targets

# asp-core must build without std: for the browser and for a bare-metal target.
test-nostd:
	$(CARGO) build -p asp-core --target wasm32-unknown-unknown
	$(CARGO) build -p asp-core --target thumbv7em-none-eabihf

# The simd128 kernels, run for real in Node against their scalar references.
test-wasm-simd:
	tests/wasm-simd/run.sh

# The aarch64 NEON twins, run under qemu-user against their scalar
# references (tests/arm/run.sh). Cold (std and the dependencies built for
# aarch64) about 10 minutes on 2 cores, about 1 warm.
test-arm:
	@tools/setup.sh arm
	tests/arm/run.sh

# The browser decoder (both wasm builds) decodes bit-exactly what asp-decode does.
test-wasm:
	tests/wasm/run.sh

# <asp-player> in headless Chromium, Firefox ESR and WebKitGTK (BROWSERS=...
# to pick): bit-exact frames for the builds each can run, each renderer's
# pixels, the sources, fallbacks; in Chromium also recovery, the element's
# media API, controls, lifecycle and record(), the npm package from its
# tarball, and the wgpu WebGPU renderer's pixels (asp-render in the decoder's
# module, build-wasm.sh's wgpu flavour; measured, not shipped: BENCHMARKS.md).
test-browser:
	tests/browser/run.sh

test-interop:
	tests/interop/run.sh

# Live serving (asp-server): real sockets on 127.0.0.1, Rust viewers. Also
# part of test-rust (workspace); this target runs them alone.
test-server:
	$(CARGO) test -p asp-server

# The wgpu renderer (asp-render: decoded frames drawn offscreen on Mesa's
# lavapipe, pixels against asp_core::colour, letterbox bars) and asp-play
# (a file, stdin and a live stream played in a window under Xvfb). Also part
# of test-rust (workspace); this target runs them alone. Under CI=true a
# missing Vulkan adapter or xvfb-run fails them instead of skipping.
test-render:
	$(CARGO) test -p asp-render -p asp-play

# Media over QUIC: asp-moq's own tests; asp-encode --publish to the origin of
# a two-relay moq-relay cluster (tools/moq/relay.sh), asp-decode moq+https://
# at the edge; <asp-player src="moq+https://..."> in Chromium at the edge,
# moving to a second edge when its edge is killed; a standby encoder taking
# over a killed publisher's broadcast (natively and in Chromium); renditions
# switched by hand and by the player under asp-moq-load's throttle.
# Apart from test-rust: asp-moq (asp-cli's `moq` feature) brings aws-lc's C
# build through moq-tokio's rustls.
test-moq:
	@tools/setup.sh moq
	$(CARGO) test -p asp-moq
	$(CARGO) test -p asp-cli --features moq --test moq_relay
	$(CARGO) build -p asp-cli --features moq
	$(CARGO) build -p asp-bench-moq-load
	BROWSERS=chromium ASP_MOQ_BIN_DIR="$${CARGO_TARGET_DIR:-target}/debug" tests/browser/run.sh tests/browser/moq.test.mjs
	$(CARGO) test -p asp-bench-moq-load
	PROFILE=debug SIZE=320x180 BITRATE=300k SECONDS_PER_RUN=5 REQUIRE=98 OUT=build/test-moq-load BASE_PORT=4940 bench/moq/run.sh 20

# The Python package libasp: the abi3 wheel built from the root and installed
# into .venv, pytest, the seed README's calls; in fresh venvs the wheel with
# no Rust on PATH, `maturin develop` from the root, `pip install ./crates/asp-py`.
test-python:
	tests/python/run.sh

## fuzz: run every fuzz target for FUZZ_SECONDS each (e.g. make fuzz FUZZ_SECONDS=3600)
fuzz:
	tests/fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke:
	tests/fuzz/run.sh 20

bench:
	$(CARGO) bench -p asp-core --bench packet

## bench-rd: RD curves, BD-rate and speed against mpeg1video, x264, VP8, VP9 (updates BENCHMARKS.md)
bench-rd:
	bench/rd.sh

## bench-browser: <asp-player>'s decoder and renderers in Chromium and Firefox against jsmpeg (same browser, same run; BROWSERS=firefox for one browser, RESOLUTIONS=1080 for one size)
bench-browser:
	bench/browser/bench.sh

## bench-hostile: the long attacks of tests/hostile against a release asp-encode --serve while 100 healthy
## viewers watch, one at a time (a few minutes; table in build/bench-hostile/results.md, quoted in BENCHMARKS.md)
bench-hostile:
	$(CARGO) build --release -p asp-cli --bin asp-encode
	$(CARGO) run -p asp-bench-hostile -- --server $${CARGO_TARGET_DIR:-target}/release/asp-encode

## bench-moq: subscribers held by a two-edge moq-relay cluster (100 500 1000 2000 by default; MOQ_SUBSCRIBERS="..."),
## every object verified by asp-moq-load; relays' CPU and RSS per subscriber, origin egress per edge (build/bench-moq/table.md).
## Glass-to-glass per relay hop in Chromium: bench/live-latency/moq.sh
MOQ_SUBSCRIBERS ?= 100 500 1000 2000
bench-moq:
	bench/moq/run.sh $(MOQ_SUBSCRIBERS)

## bench-moq-switch: the player's rendition choice through a throttled link (asp-moq-load throttle; tc netem is not
## available here): switches, frames lost, stalls per throttle step, and a control run (build/bench-moq-switch/table.md).
bench-moq-switch:
	bench/moq/switch.sh

# Analysis and ROI coding (issue 8). `make test` runs these through test-rust;
# this target runs just them.
test-analysis:
	$(CARGO) test -p asp-core --lib refinement
	$(CARGO) test -p asp-encoder --lib analysis
	$(CARGO) test -p asp-encoder --lib encoder::roi
	$(CARGO) test -p asp-encoder --lib encoder::refinement
	$(CARGO) test -p asp-encoder --test analysis_faces --test roi_layer
	$(CARGO) test -p asp-cli --test cli_roi

## bench-analysis: palettes vs scikit-learn/Pillow, faces vs OpenCV, ROI coding (needs shared/media)
bench-analysis:
	bench/analysis.sh

clippy:
	$(CARGO) clippy --workspace --exclude asp-moq --exclude asp-bench-moq-load --all-targets -- -D warnings
	$(CARGO) clippy -p asp-moq -p asp-cli -p asp-bench-moq-load --features asp-cli/moq --all-targets -- -D warnings
