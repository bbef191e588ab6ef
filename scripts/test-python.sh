#!/usr/bin/env bash
# The Python package's tests: packs the extension module that `cargo test --release
# --workspace` built into a wheel (scripts/python-wheel.py says why not maturin here),
# installs it into a fresh virtual environment under target/, runs pytest
# (crates/python/tests) against the `zoorank` binary of the same build, and checks the type
# stubs against the module (mypy's stubtest) and the example and benchmark scripts (mypy).
#
#   scripts/test-python.sh            # after scripts/test.sh's cargo test (it calls this)
#   scripts/test-python.sh -k score   # extra arguments go to pytest
#
# Needs python3 (>= 3.11) with venv, and PyPI for numpy, pandas, pytest and mypy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
export ZOORANK_DATA="${ZOORANK_DATA:-$root/../shared/data}"
eval "$(scripts/fetch-test-models.sh --export)"
# `cargo test` builds the module for its doc-tests and leaves it in deps/; `cargo build -p
# zoorank-python` (or maturin) copies its build up to release/. The newer one is current.
lib=""
for f in "$target/release/deps/lib_zoorank.so" "$target/release/lib_zoorank.so"; do
  if [ -f "$f" ] && { [ -z "$lib" ] || [ "$f" -nt "$lib" ]; }; then lib="$f"; fi
done
if [ -z "$lib" ]; then
  echo "error: no lib_zoorank.so under $target/release: run cargo test --release --workspace (or cargo build --release -p zoorank-python) first" >&2
  exit 1
fi
wheel="$(python3 scripts/python-wheel.py --lib "$lib" --out "$target/wheels")"
venv="$target/python-test-venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" \
  "pytest>=7" "pandas>=1.3" "mypy>=1.8"
export ZOORANK_CLI="${ZOORANK_CLI:-$target/release/zoorank}"
echo "== pytest crates/python/tests ($wheel)"
(cd "$root/crates/python" && "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@")
echo "== type stubs (mypy stubtest, mypy)"
MYPY_CACHE_DIR="$target/mypy-cache" "$venv/bin/python" -m mypy.stubtest zoorank --concise --ignore-missing-stub --allowlist crates/python/stubtest-allowlist.txt
MYPY_CACHE_DIR="$target/mypy-cache" "$venv/bin/python" -m mypy --strict --ignore-missing-imports \
  crates/python/examples crates/python/bench
