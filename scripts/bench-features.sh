#!/usr/bin/env bash
# MiniLM feature-extraction throughput: zoorank (candle, release build) vs PyTorch CPU on the
# same inputs, in one run. Writes nothing outside target/bench-features/.
#
#   scripts/bench-features.sh [N_TEXTS=512] [BATCH=32]
#
# Needs: cargo (or ZOORANK_BIN=path of a release zoorank); python3 with numpy, tokenizers, safetensors and torch importable (set
# TORCH_SITE to a `pip install --target` directory holding torch if it is not installed).
# Both sides use all cores of the machine and include model loading and tokenisation in their
# time; peak resident memory comes from /usr/bin/time -v.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-512}"
batch="${2:-32}"
model="$("$root/scripts/fetch-test-models.sh")"
work="$root/target/bench-features"
mkdir -p "$work"
# Deterministic texts of 4 to 60 words drawn from the model's own vocabulary.
python3 - "$n" "$model/vocab.txt" > "$work/texts.csv" <<'PY'
import csv, random, sys
n, vocab = int(sys.argv[1]), sys.argv[2]
words = [w.strip() for w in open(vocab) if w.strip().isalpha() and len(w.strip()) > 2]
rng = random.Random(42)
out = csv.writer(sys.stdout)
out.writerow(["text", "label"])
for i in range(n):
    out.writerow([" ".join(rng.choice(words) for _ in range(rng.randint(4, 60))), i % 4])
PY
bin="$("$root/scripts/zoorank-bin.sh")"
rm -f "$work/bench.db"
/usr/bin/time -v "$bin" --db "$work/bench.db" embed --no-cache --json --tokenizer json \
  --model "$model" --dataset "$work/texts.csv" --batch-size "$batch" --out "$work/zoorank.npy" \
  > "$work/zoorank.json" 2> "$work/zoorank.time"
PYTHONPATH="${TORCH_SITE:-}${PYTHONPATH:+:$PYTHONPATH}" /usr/bin/time -v python3 \
  "$root/crates/features/benches/torch_minilm.py" --model "$model" --dataset "$work/texts.csv" \
  --batch-size "$batch" --compare "$work/zoorank.npy" > "$work/torch.json" 2> "$work/torch.time"
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
python3 - "$work" "$(rss "$work/zoorank.time")" "$(rss "$work/torch.time")" "$n" "$batch" <<'PY'
import json, sys
work, rz, rt, n, b = sys.argv[1:]
z = json.load(open(f"{work}/zoorank.json"))
t = json.loads(open(f"{work}/torch.json").read().strip().splitlines()[-1])
print(f"MiniLM-L6 (all-MiniLM-L6-v2), {n} texts of 4-60 words, batch {b}, all cores")
print("| implementation | samples/s | seconds | peak RSS (MiB) |")
print("|---|---:|---:|---:|")
print(f"| zoorank (candle 0.11.1, f32) | {z['samples_per_second']:.1f} | {z['seconds']:.2f} | {rz} |")
print(f"| {t['framework']} (f32, {t['threads']} threads) | {t['samples_per_second']:.1f} | {t['seconds']:.2f} | {rt} |")
print(f"max |zoorank - pytorch| over all features: {t['max_abs_diff_vs_zoorank']:.2e}")
PY
