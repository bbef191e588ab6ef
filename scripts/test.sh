#!/usr/bin/env bash
# The test suite, as the README gives it: installs the small real models some tests read
# (idempotent), then runs every crate's tests in release (numeric code is ~80x slower in debug).
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
  set -- --workspace
fi
exec cargo test --release "$@"
