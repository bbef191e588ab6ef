#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/README.md) for SECONDS each (default 60), or, with
# RUNS=N in the environment, for N executions each; extra arguments name the targets to run.
# Skips with a message when cargo-fuzz or a nightly toolchain is missing. FUZZ_SANITIZER,
# FUZZ_TARGETS_FEATURES and FUZZ_LOGS are passed on (see fuzz/run.sh).
#
#   scripts/fuzz.sh 600                       # ten minutes per target
#   RUNS=1000000 scripts/fuzz.sh 0 method_id  # a million executions of one target
set -euo pipefail
secs="${1:-60}"
shift || true
exec "$(dirname "$0")/../fuzz/run.sh" "$secs" "$@"
