#!/usr/bin/env bash
# Feature-extraction throughput of every supported model family: zoorank (candle, release
# build) vs PyTorch CPU (Hugging Face transformers) on the same inputs, back to back, with the
# features of the two compared. Writes nothing outside target/bench-families/.
#
#   scripts/bench-families.sh [N_IMAGES=32] [N_TEXTS=128] [FAMILY ...]
#
# FAMILY: vit deit beit data2vec-vision swin van convnext resnet electra albert xlm-roberta
# camembert deberta-v2, or FAMILY:pairs for a text family on the sentence-pair CSV (default:
# all of them, plus electra:pairs and deberta-v2:pairs). Batch sizes: IMAGE_BATCH (16),
# TEXT_BATCH (32). Each side runs REPEAT times (1), alternating zoorank and PyTorch, and the
# table shows each side's fastest run: on a machine shared with other work the fastest run is
# the one least slowed by it (every run's samples/s is kept in results.jsonl). With the
# defaults and REPEAT=1 the run takes about 3 minutes on 2 idle cores, 7-9 when they are shared.
#
# Checkpoints are random-weight models at published sizes built from transformers'
# configuration classes (no download; crates/features/benches/torch_families.py lists the
# sizes) and cached under target/bench-families/models/. Needs: PYTHON (default python3) with
# torch, transformers, tokenizers, safetensors and Pillow; VAN_PYTHONPATH, a `pip install
# --target` directory of transformers 4.x for VAN (transformers 5 dropped it); ZOORANK_BIN
# (a release zoorank) or cargo. Both sides use all cores and include model loading and image decoding / tokenisation
# in their time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n_images="${1:-32}"
n_texts="${2:-128}"
shift $(( $# < 2 ? $# : 2 ))
families=("$@")
if [ ${#families[@]} -eq 0 ]; then
  families=(vit deit beit data2vec-vision swin van convnext resnet
            electra albert xlm-roberta camembert deberta-v2 electra:pairs deberta-v2:pairs)
fi
py="${PYTHON:-python3}"
repeat="${REPEAT:-1}"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1  # everything is local; never wait on the network
bench="$root/crates/features/benches/torch_families.py"
work="$root/target/bench-families"
mkdir -p "$work/models" "$work/runs"
bin="$("$root/scripts/zoorank-bin.sh")"
"$py" "$bench" data "$work" --images "$n_images" --texts "$n_texts"
results="$work/runs/results.jsonl"
: > "$results"
for spec in "${families[@]}"; do
  family="${spec%%:*}"
  model="$work/models/$family"
  pypath="${PYTHONPATH:-}"
  if [ "$family" = van ]; then
    pypath="${VAN_PYTHONPATH:?VAN is only in transformers 4.x: set VAN_PYTHONPATH to a pip install --target directory of transformers<5}"
  fi
  if [ ! -f "$model/model.safetensors" ]; then
    PYTHONPATH="$pypath" "$py" "$bench" make "$family" "$model" > "$model.json.tmp" && mv "$model.json.tmp" "$model.json"
  fi
  case "$family" in
    vit|deit|beit|data2vec-vision|swin|van|convnext|resnet)
      dataset="$work/images-$n_images"; batch="${IMAGE_BATCH:-16}"; n="$n_images" ;;
    *)
      if [ "$spec" != "$family" ]; then dataset="$work/pairs-$n_texts.csv"; else dataset="$work/texts-$n_texts.csv"; fi
      batch="${TEXT_BATCH:-32}"; n="$n_texts" ;;
  esac
  tag="${spec/:/-}"
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq "$repeat"); do
    rm -f "$work/runs/bench.db"
    "$bin" --db "$work/runs/bench.db" embed --no-cache --json --model "$model" --dataset "$dataset" \
      --batch-size "$batch" --out "$work/runs/$tag.npy" > "$work/runs/$tag.zoorank.$r.json"
    PYTHONPATH="$pypath" "$py" "$bench" run "$model" "$dataset" --batch-size "$batch" \
      --compare "$work/runs/$tag.npy" | tail -n 1 > "$work/runs/$tag.torch.$r.json"
  done
  "$py" - "$spec" "$model.json" "$work/runs/$tag" "$repeat" "$load" "$batch" >> "$results" <<'PY'
import json, sys
spec, made, prefix, repeat, load, batch = sys.argv[1:]
made = json.load(open(made))
runs = lambda side: [json.load(open(f"{prefix}.{side}.{r}.json")) for r in range(1, int(repeat) + 1)]
z, t = runs("zoorank"), runs("torch")
best = lambda rs: max(rs, key=lambda x: x["samples_per_second"])
print(json.dumps({"family": spec, "size": made["size"], "parameters": made["parameters"],
                  "batch": int(batch), "load": load, "zoorank": best(z), "torch": best(t),
                  "max_abs_diff": max(x["max_abs_diff_vs_zoorank"] for x in t),
                  "zoorank_runs": [x["samples_per_second"] for x in z],
                  "torch_runs": [x["samples_per_second"] for x in t]}))
PY
  tail -n 1 "$results"
done
"$py" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t0 = rows[0]["torch"]
print(f"\n{t0['framework']}, transformers {t0['transformers']}, {t0['threads']} threads; "
      "times include model loading and decoding / tokenisation")
print("| family | size (random weights) | params | n | batch | zoorank samples/s | torch samples/s "
      "| torch / zoorank | torch load s | max abs diff (max abs feature) | all runs, samples/s | load avg (1/5/15 min) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
for r in rows:
    z, t = r["zoorank"], r["torch"]
    ratio = t["samples_per_second"] / z["samples_per_second"]
    runs = "/".join(f"{v:.1f}" for v in r["zoorank_runs"]) + " vs " + "/".join(f"{v:.1f}" for v in r["torch_runs"])
    print(f"| {r['family']} | {r['size']} | {r['parameters'] / 1e6:.1f} M | {z['samples']} | {r['batch']} "
          f"| {z['samples_per_second']:.2f} | {t['samples_per_second']:.2f} | {ratio:.2f} "
          f"| {t['load_seconds']:.2f} | {r['max_abs_diff']:.1e} ({t['max_abs_feature']:.2g}) "
          f"| {runs} | {r['load']} |")
PY
