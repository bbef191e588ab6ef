#!/usr/bin/env bash
# The test suite, as the README gives it: installs the small real models some tests read
# (idempotent), then runs every crate's tests in release (numeric code is ~80x slower in debug),
# then the Python package's tests (scripts/test-python.sh).
#
#   scripts/test.sh                 # everything
#   scripts/test.sh -p zoorank-store  # extra arguments go to `cargo test`
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export ZOORANK_DATA="${ZOORANK_DATA:-$root/../shared/data}"
if [ ! -d "$ZOORANK_DATA/transfergraph-image" ]; then
  echo "error: zoo data not found at $ZOORANK_DATA (clone next to ../shared or set ZOORANK_DATA)" >&2
  exit 1
fi
eval "$(scripts/fetch-test-models.sh --export)"
if [ "$#" -eq 0 ]; then
  cargo test --release --workspace
  # The Python package, from the extension module the line above built (crates/python).
  exec scripts/test-python.sh
fi
exec cargo test --release "$@"
