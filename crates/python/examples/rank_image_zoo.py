"""Rank the TransferGraph image zoo's models for a target dataset and plot what zoorank
predicts against the accuracy recorded for each model (hidden from the prediction).

    python crates/python/examples/rank_image_zoo.py                     # target dtd
    python crates/python/examples/rank_image_zoo.py --target pets --method guard+trend+lr
    python crates/python/examples/rank_image_zoo.py --out predicted_vs_recorded.png

Reads the shipped zoo from $ZOORANK_DATA (default: ../shared/data beside the repository) into
a store (default: image-zoo.db in the current directory, reused when it exists). The plot
needs matplotlib (pip install matplotlib); without it the script prints the table and says
so. pandas is used for the table when installed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import zoorank

ROOT = Path(__file__).resolve().parents[3]

# %% Open (or fill) the zoo.
ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--target", default="dtd")
ap.add_argument("--method", default=None, help="ranking method id (default: trend+lr)")
ap.add_argument("--db", default="image-zoo.db")
ap.add_argument("--out", default=None, help="save the plot here instead of showing it")
args = ap.parse_args()

data = Path(os.environ.get("ZOORANK_DATA", ROOT.parent / "shared" / "data"))
if Path(args.db).exists():
    zoo = zoorank.Zoo.open(args.db)
else:
    zoo = zoorank.Zoo.create(args.db)
    report = zoo.import_transfergraph(data / "transfergraph-image", skip_bad_rows=True)
    print(f"imported {report['counts']['records']['new']} records ({len(report['skipped'])} bad rows skipped)")
print(zoo)

# %% Rank every model for the target.
rec = zoo.recommend(args.target, method=args.method)
print(f"{len(rec)} models for {rec.target} by {rec.method}; evidence:")
for line in rec.evidence:
    print("  -", line)
try:
    df = rec.to_pandas()
    print(df[["rank", "model", "predicted_accuracy", "recorded_accuracy"]].head(10).to_string(index=False))
except ImportError:
    for m in rec.models[:10]:
        print(m["rank"], m["model"], m["predicted_accuracy"], m["recorded_accuracy"])

# %% Why the first model?
best = rec.models[0]["model"]
why = rec.explain(best)
print(f"why {best}: popularity {why['popularity']}, trend {why['trend']}, paths:")
for p in why["paths"]:
    print(f"  via {p['via']} (similarity {p['similarity']:.2f}, accuracy {p['accuracy']:.3f})")

# %% Predicted against recorded accuracy.
pairs = [(m["predicted_accuracy"], m["recorded_accuracy"], m["model"]) for m in rec.models
         if m["predicted_accuracy"] is not None and m["recorded_accuracy"] is not None]
print(f"{len(pairs)} models have both a prediction and a record on {rec.target}")
try:
    import matplotlib

    if args.out:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed (pip install matplotlib): no plot")
else:
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter([p for p, _, _ in pairs], [r for _, r, _ in pairs], s=14)
    for p, r, name in pairs[:5]:
        ax.annotate(name.split("/")[-1], (p, r), fontsize=7)
    lo = min(min(p, r) for p, r, _ in pairs) if pairs else 0.0
    hi = max(max(p, r) for p, r, _ in pairs) if pairs else 1.0
    ax.plot([lo, hi], [lo, hi], color="grey", linewidth=0.8)
    ax.set_xlabel(f"predicted accuracy ({rec.method})")
    ax.set_ylabel("recorded accuracy")
    ax.set_title(f"{rec.target}: {len(pairs)} models")
    if args.out:
        fig.savefig(args.out, dpi=120, bbox_inches="tight")
        print(f"plot written to {args.out}")
    else:
        plt.show()
