#!/usr/bin/env bash
# Worker scaling on the shared store: the same scoring jobs run by 1, then 2 worker processes,
# each held to one thread (RAYON_NUM_THREADS=1), on fresh PostgreSQL databases; prints the
# seconds of each and the speed-up. Needs a release build (cargo build --release) and the
# machine's PostgreSQL ($ZOORANK_TEST_PG, default postgres://postgres@127.0.0.1:5432/test).
#
#   scripts/bench-workers.sh [JOBS_PER_MODEL]   # default 6 datasets × 1 MiniLM = 6 jobs
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/target/release/zoorank"
[ -x "$bin" ] || { echo "error: build first: cargo build --release" >&2; exit 1; }
minilm="$("$root/scripts/fetch-test-models.sh")"
admin="${ZOORANK_TEST_PG:-postgres://postgres@127.0.0.1:5432/test}"
base="${admin%/*}"
n="${1:-6}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/zoo"
ln -s "$minilm" "$tmp/zoo/all-MiniLM-L6-v2"
python3 - "$tmp" "$n" <<'PY'
import random, sys
tmp, n = sys.argv[1], int(sys.argv[2])
words = ["great", "dull", "odd", "film", "story", "cast", "plot", "warm", "slow", "brief"]
for d in range(n):
    r = random.Random(d)
    with open(f"{tmp}/texts-{d}.csv", "w") as f:
        f.write("text,label\n")
        for i in range(400):
            f.write(" ".join(r.choice(words) for _ in range(12)) + f",c{i % 3}\n")
PY
echo "load $(cut -d' ' -f1-3 /proc/loadavg); $n jobs (MiniLM, 400 texts each, logme), one thread per worker"
declare -A secs
for workers in 1 2; do
  db="zoorank_bench_workers_$$_$workers"
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  url="$base/$db"
  for d in $(seq 0 $((n - 1))); do
    "$bin" --db "$url" jobs submit score-zoo --models "$tmp/zoo" --dataset "$tmp/texts-$d.csv" \
      --methods logme --no-cache >/dev/null
  done
  start=$(date +%s.%N)
  pids=()
  for _ in $(seq 1 "$workers"); do
    RAYON_NUM_THREADS=1 "$bin" --db "$url" worker --exit-when-idle --poll 0.1 >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(date +%s.%N)
  secs[$workers]=$(python3 -c "print(f'{$end - $start:.2f}')")
  "$bin" --db "$url" jobs status | head -1
  psql "$admin" -qc "DROP DATABASE $db WITH (FORCE)" >/dev/null
  echo "workers=$workers  ${secs[$workers]} s"
done
python3 -c "print(f'speed-up 1 -> 2 workers: {${secs[1]} / ${secs[2]}:.2f}x')"
