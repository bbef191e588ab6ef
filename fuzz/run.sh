#!/usr/bin/env bash
# Runs every fuzz target from its committed seeds, one after another.
#
#   fuzz/run.sh SECONDS [TARGET...]         # each target for SECONDS (CI: a few seconds)
#   RUNS=1000000 fuzz/run.sh 0 [TARGET...]  # each target for RUNS executions instead
#
# Environment:
#   FUZZ_SANITIZER  none (default) or address. `none` builds without a sanitizer: the build
#                   takes a fraction of the time and runs several times faster. The code under
#                   test is Rust, memory-safe outside `unsafe`; libFuzzer still catches panics,
#                   hangs (-timeout) and memory growth (-rss_limit_mb) without one. `address`
#                   adds AddressSanitizer (and its leak checker) for the unsafe code of the
#                   dependencies.
#   FUZZ_TARGETS_FEATURES  the fuzz crate's features (default: every target; `""` builds only
#                   the store's targets, which need neither candle nor the tokenizers library).
#   FUZZ_LOGS       a folder: each target's whole libFuzzer output goes to FOLDER/TARGET.log
#                   (default: the last lines are printed).
#   FUZZ_TARGET_DIR the build folder (default target for `none`, target-asan for `address`, so
#                   switching sanitizers does not rebuild everything).
#   FUZZ_JOBS       how many targets run at once (default 1). Above 1 the targets are built
#                   first, then run as separate processes, each with its log in FUZZ_LOGS
#                   (default fuzz/logs); the script fails if any of them failed.
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
  echo "fuzz: skipped (no nightly toolchain; libFuzzer's instrumentation flags need one)"
  exit 0
fi
sanitizer="${FUZZ_SANITIZER:-none}"
features="${FUZZ_TARGETS_FEATURES-scores,features,predict}"
feature_args=()
if [ -n "$features" ]; then feature_args=(--features "$features"); fi
tdir="${FUZZ_TARGET_DIR:-target}"
if [ "$sanitizer" = address ]; then tdir="${FUZZ_TARGET_DIR:-target-asan}"; fi
jobs="${FUZZ_JOBS:-1}"
if [ "$jobs" -gt 1 ]; then FUZZ_LOGS="${FUZZ_LOGS:-logs}"; fi
if [ -n "${FUZZ_LOGS:-}" ]; then mkdir -p "$FUZZ_LOGS"; fi
# Builds every target once, so the runs started side by side don't wait on each other's build.
cargo +nightly fuzz build -s "$sanitizer" --target-dir "$tdir" "${feature_args[@]}"

# Runs one target to its limit; with FUZZ_LOGS set its output goes to the target's log.
fuzz_one() {
  local t="$1"
  mkdir -p "corpus/$t"
  local limit=(-max_total_time="$secs") what="$secs s"
  if [ -n "${RUNS:-}" ]; then limit=(-runs="$RUNS"); what="$RUNS runs"; fi
  echo "== fuzz $t ($what, sanitizer $sanitizer)"
  local run=(cargo +nightly fuzz run -s "$sanitizer" --target-dir "$tdir" "${feature_args[@]}" "$t" "corpus/$t" "seeds/$t" --
    "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  if [ "$sanitizer" = address ]; then run+=(-detect_leaks=1); fi
  if [ -n "${FUZZ_LOGS:-}" ]; then
    local status=0
    "${run[@]}" >"$FUZZ_LOGS/$t.log" 2>&1 || status=$?
    echo "== fuzz $t: exit $status"
    grep -E "^(stat::|#[0-9]+ +DONE|Done [0-9]+ runs)" "$FUZZ_LOGS/$t.log" || true
    if [ "$status" -ne 0 ]; then tail -n 40 "$FUZZ_LOGS/$t.log"; fi
    return "$status"
  fi
  "${run[@]}" 2>&1 | tail -n 25
  test "${PIPESTATUS[0]}" -eq 0
}

failed=0
for t in "${targets[@]}"; do
  if [ "$jobs" -le 1 ]; then
    fuzz_one "$t" || exit $?
    continue
  fi
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || failed=1; done
  fuzz_one "$t" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || failed=1; done
exit "$failed"
