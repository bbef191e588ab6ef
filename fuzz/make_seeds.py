#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from the shipped data (../shared/data or $ZOORANK_DATA) and the
features crate's fixtures: the first lines of each real file, packed as each target reads its
input (a flags byte, then files separated by SEPARATOR). Re-run to regenerate."""
import csv, io, json, os, pathlib, struct

HERE = pathlib.Path(__file__).resolve().parent
DATA = pathlib.Path(os.environ.get("ZOORANK_DATA", HERE / "../../shared/data"))
FIX = HERE / "../crates/features/tests/fixtures"
SEP = b"\n=====\n"
OUT = HERE / "seeds"


def head(path, n):
    with open(path, "rb") as f:
        return b"".join(f.readline() for _ in range(n))


def put(target, name, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


# records_csv: the image zoo's runs under the column names the target asks for.
rows = list(csv.DictReader(open(DATA / "transfergraph-image/records.csv")))[:40]
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["model", "dataset", "accuracy", "lr", "epochs", "batch_size", "train_runtime",
            "seed", "peft_method", "curve"])
for i, r in enumerate(rows):
    w.writerow([r["model"], r["finetuned_dataset"], r["eval_accuracy"], r["lr"], r["epochs"],
                r["batch_size"], r["train_runtime"], i % 2, "lora" if i % 5 == 0 else "",
                "[0.5, 0.6]" if i % 3 == 0 else "0.1;0.2"])
text = buf.getvalue().encode()
put("records_csv", "image_runs", b"\x00" + text)
put("records_csv", "image_runs_repeats_keep_last", b"\x06" + text + text.split(b"\n", 1)[1])
put("records_csv", "image_runs_tsv", b"\x01" + text.replace(b",", b"\t"))
put("records_csv", "models", b"\x00" + head(DATA / "transfergraph-image/model_config_dataset.csv", 6))

# transfergraph: the first lines of each file of both layouts.
for layout, files in [
    ("image", ["records.csv", "model_config_dataset.csv", "target_dataset_features.csv",
               "transferability_score_records.csv",
               "dataset_distances_domain_similarity_vit_base_patch16_224.csv"]),
    ("text", ["records.csv", "model_config_dataset.csv", None,
              "transferability_score_records.csv", "dataset_distances_sample.csv"]),
]:
    parts = []
    for f in files:
        p = DATA / f"transfergraph-{layout}" / f if f else None
        if p is None or not p.exists():
            p = DATA / f"transfergraph-{layout}-sample" / f if f else None
        parts.append(head(p, 12) if p and p.exists() else b"")
    for flags in (0, 1):
        put("transfergraph", f"{layout}_{flags}", bytes([flags]) + SEP.join(parts))

# two_phase: the first rows of both matrices, their dataset lists and LEEP files.
for prefix, leep in [("nlp", "nlp_leep_multirc.tsv"), ("cv", "cv_leep_xray.tsv")]:
    tp = DATA / "two-phase"
    parts = [head(tp / f"{prefix}_performance_matrix.tsv", 4),
             head(tp / f"{prefix}_benchmark_datasets.txt", 3), head(tp / leep, 2)]
    put("two_phase", prefix, b"\x00" + SEP.join(parts))

# npy: the features crate's arrays.
for name in ["digits_features_labels.npy", "digits_images.npz"]:
    b = (FIX / "arrays" / name).read_bytes()
    flag = 1 if name.endswith(".npz") else 0
    put("npy", name + "_matrix", bytes([flag]) + b)
    put("npy", name + "_labels", bytes([flag | 2]) + b)
f = (FIX / "arrays/digits_features.npy").read_bytes()
put("npy", "digits_features_head", b"\x00" + f[:512])


# model_dir: the tiny checkpoints' config.json with a small safetensors file of one tensor.
def safetensors(tensors):
    header, data = {}, b""
    for name, vals in tensors.items():
        raw = struct.pack(f"<{len(vals)}f", *vals)
        header[name] = {"dtype": "F32", "shape": [len(vals)],
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


st = safetensors({"embeddings.weight": [0.5, -1.0, 2.0, 0.0], "pooler.bias": [1.0]})
for m in ["tiny-distilbert", "tiny-roberta", "tiny-convnext"]:
    put("model_dir", m, (FIX / m / "config.json").read_bytes() + SEP + st)

# tokenizer: the tiny checkpoints' own tokenizer files.
put("tokenizer", "roberta_tokenizer_json", b"\x00" + (FIX / "tiny-roberta/tokenizer.json").read_bytes())
put("tokenizer", "distilbert_vocab_txt", b"\x01" + (FIX / "tiny-distilbert/vocab.txt").read_bytes())

# method_id: ids as `--methods` takes them, one of each form, and the stored score methods the
# image zoo ships.
ids = ["random", "popularity", "trend", "auto", "lr", "rf", "xgb", "amazon-lr", "amazon-fm",
       "lr+node2vec", "rf+node2vec+", "xgb+graphsage", "lr+gat@scores", "lr+node2vec@cv",
       "xgb+gat@scores@cv", "pop+lr", "trend+amazon-fm", "guard+trend+lr+node2vec",
       "guard+pop+lr", "knn", "guard+guard+lr", "lr+node2vec@cv@scores"]
scores = {(r.get("metric") or "").rsplit(".", 1)[-1].lower().replace("_", "-")
          for r in csv.DictReader(open(DATA / "transfergraph-image/transferability_score_records.csv"))}
scores.discard("")
for i in ids + sorted(scores):
    put("method_id", i.replace("+", "_plus_").replace("@", "_at_"), i.encode())
