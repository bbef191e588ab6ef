"""PyTorch CPU side of the MiniLM throughput benchmark (see scripts/bench-features.sh).

Encodes the `text` column of a CSV with all-MiniLM-L6-v2 exactly as zoorank does: the
tokenizer.json tokenizer (truncation at sentence-transformers' max_seq_length), windows of 8 batches sorted by
text length, batches of --batch-size padded to the longest text of the batch, BERT forward pass in float32, masked mean
pooling, L2 normalisation. BERT is written with torch.nn.functional from model.safetensors, so
no `transformers` package is needed. Prints one JSON line: samples, seconds, samples_per_second,
and the max |Δ| against the features zoorank wrote (--compare features.npy) as a sanity check.
"""
import argparse
import csv
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from tokenizers import Tokenizer


def bert(ids, mask, t, cfg):
    h, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    dh, eps = h // nh, cfg["layer_norm_eps"]
    b, n = ids.shape
    pos = torch.arange(n)
    x = t["embeddings.word_embeddings.weight"][ids] + t["embeddings.position_embeddings.weight"][pos] + t["embeddings.token_type_embeddings.weight"][0]
    x = F.layer_norm(x, (h,), t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    lin = lambda y, name: F.linear(y, t[name + ".weight"], t[name + ".bias"])
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        split = lambda y: y.view(b, n, nh, dh).transpose(1, 2)
        q, k, v = (split(lin(x, p + "attention.self." + w)) for w in ("query", "key", "value"))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + bias, -1)
        ctx = (a @ v).transpose(1, 2).reshape(b, n, h)
        x = F.layer_norm(lin(ctx, p + "attention.output.dense") + x, (h,), t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], eps)
        inter = F.gelu(lin(x, p + "intermediate.dense"))
        x = F.layer_norm(lin(inter, p + "output.dense") + x, (h,), t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--compare")
    ap.add_argument("--sort-window", type=int, default=8,
                    help="sort each window of this many batches by text length, as zoorank and sentence-transformers do (0: no sorting)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    max_len = json.load(open(os.path.join(a.model, "sentence_bert_config.json")))["max_seq_length"]
    texts = [r["text"] for r in csv.DictReader(open(a.dataset))]
    started = time.perf_counter()
    t = {k.removeprefix("bert."): v.float() for k, v in load_file(os.path.join(a.model, "model.safetensors")).items()}
    tok = Tokenizer.from_file(os.path.join(a.model, "tokenizer.json"))
    tok.enable_truncation(max_len)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    win = a.batch_size * a.sort_window if a.sort_window > 0 else len(texts)
    feats = np.zeros((len(texts), cfg["hidden_size"]), dtype=np.float32)
    with torch.inference_mode():
        for w in range(0, len(texts), win):
            idx = list(range(w, min(w + win, len(texts))))
            if a.sort_window > 0:
                idx.sort(key=lambda i: -len(texts[i].encode()))
            for s in range(0, len(idx), a.batch_size):
                part = idx[s : s + a.batch_size]
                enc = tok.encode_batch([texts[i] for i in part])
                ids = torch.tensor([e.ids for e in enc])
                mask = torch.tensor([e.attention_mask for e in enc])
                hs = bert(ids, mask, t, cfg)
                m = mask[:, :, None].float()
                mean = (hs * m).sum(1) / m.sum(1)
                feats[part] = F.normalize(mean, dim=-1).numpy()
    seconds = time.perf_counter() - started
    res = {"framework": f"pytorch {torch.__version__}", "threads": a.threads, "samples": len(texts),
           "seconds": seconds, "samples_per_second": len(texts) / seconds}
    if a.compare:
        res["max_abs_diff_vs_zoorank"] = float(np.abs(np.load(a.compare) - feats).max())
    print(json.dumps(res))


if __name__ == "__main__":
    main()
