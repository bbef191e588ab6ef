#!/usr/bin/env bash
# Runs every fuzz target from its committed seeds, one after another.
#
#   fuzz/run.sh SECONDS [TARGET...]     # each target for SECONDS (CI: a few seconds)
#   RUNS=1000000 fuzz/run.sh 0 [TARGET...]  # each target for RUNS executions instead
#
# Needs cargo-fuzz and a nightly toolchain (`cargo +nightly fuzz`); exits 0 with a message when
# either is missing, so CI on a stable-only machine skips it. New inputs go to fuzz/corpus/,
# crashes to fuzz/artifacts/ (both ignored by git); a crash fails the script.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-5}"
shift || true
all=(records_csv transfergraph two_phase npy model_dir tokenizer method_id)
if [ "$#" -eq 0 ]; then targets=("${all[@]}"); else targets=("$@"); fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: skipped (cargo-fuzz is not installed: cargo install cargo-fuzz)"
  exit 0
fi
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: skipped (no nightly toolchain; libFuzzer's sanitizer flags need one)"
  exit 0
fi
jobs="${FUZZ_JOBS:-2}"
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  limit=(-max_total_time="$secs")
  what="$secs s"
  if [ -n "${RUNS:-}" ]; then limit=(-runs="$RUNS"); what="$RUNS runs"; fi
  echo "== fuzz $t ($what)"
  cargo +nightly fuzz run --features scores,features,predict "$t" "corpus/$t" "seeds/$t" -- \
    "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -detect_leaks=1 -print_final_stats=1 \
    2>&1 | tail -n 25
  test "${PIPESTATUS[0]}" -eq 0
done
