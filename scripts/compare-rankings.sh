#!/usr/bin/env bash
# Two zoorank binaries side by side on the shipped image zoo: the weighted averages of `eval`
# on the 8 published targets for the headline methods, and the model order, predictions,
# explanations and evidence of `recommend` (dtd, top 10 and all with --explain; a new dataset,
# imagenet, through the kept-embedder path, trained then reused). For refactors whose figures
# must not move.
#
#   scripts/compare-rankings.sh OLD_ZOORANK NEW_ZOORANK
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${ZOORANK_DATA:-$root/../shared/data}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
targets=stanfordcars,svhn,caltech101,pets,cifar100,flowers,smallnorb_label_elevation,dtd
methods=popularity,lr,trend+lr,guard+trend+lr,guard+trend+lr+node2vec
for side in old new; do
  bin=$1; [ "$side" = new ] && bin=$2
  db="$work/$side.db"
  "$bin" --db "$db" import transfergraph "$data/transfergraph-image" --skip-bad-rows > /dev/null
  "$bin" --db "$db" eval --targets "$targets" --methods "$methods" --json > "$work/eval-$side.json"
  "$bin" --db "$db" recommend --target dtd --json > "$work/rec-$side.json"
  "$bin" --db "$db" recommend --target dtd --top 1000 --explain --json > "$work/recx-$side.json"
  for i in 1 2; do
    "$bin" --db "$db" recommend --target imagenet --top 50 --method guard+trend+lr+node2vec \
      --json > "$work/recn$i-$side.json"
  done
done
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
load = lambda n: json.load(open(f"{w}/{n}.json"))
a, b = load("eval-old"), load("eval-new")
worst = max(abs(v - b["methods"][m]["weighted_average"][k])
            for m in a["methods"] for k, v in a["methods"][m]["weighted_average"].items())
for m, r in sorted(a["methods"].items()):
    x = r["weighted_average"]
    print(f"{m:26s} pearson {x['pearson']:.6f}  w-tau {x['w-kendall']:.6f}  rel@1 {x['rel@1']:.6f}")
print(f"max |weighted average difference| over methods and metrics: {worst:.3g}")
ok = worst <= 1e-9
for n in ["rec", "recx", "recn1", "recn2"]:
    x, y = load(f"{n}-old")["models"], load(f"{n}-new")["models"]
    same = [m["model"] for m in x] == [m["model"] for m in y]
    pred = max(abs((m["predicted_accuracy"] or 0) - (k["predicted_accuracy"] or 0)) for m, k in zip(x, y))
    expl = all(m.get("explain") == k.get("explain") for m, k in zip(x, y))
    ev = load(f"{n}-old")["evidence_used"] == load(f"{n}-new")["evidence_used"]
    print(f"{n}: {len(x)} models, same order {same}, max |predicted difference| {pred:.3g}, "
          f"same explanations {expl}, same evidence {ev}")
    ok = ok and same and pred <= 1e-9 and expl and ev
sys.exit(0 if ok else 1)
PY
