#!/usr/bin/env bash
# Prints the path of the release zoorank the benchmark scripts run: $ZOORANK_BIN when set,
# else the workspace's own release build (built first, quietly, if out of date).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${ZOORANK_BIN:-}" ]; then
  echo "$ZOORANK_BIN"
  exit 0
fi
(cd "$root" && cargo build --release -q -p zoorank-cli >&2)
echo "${CARGO_TARGET_DIR:-$root/target}/release/zoorank"
