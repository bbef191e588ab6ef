"""Float64 NumPy references of layer-aggregated features (`--layers mean|best`): every
transformer layer's output pooled as the last one is, and their mean over the layers (the
embedding output excluded).

Writes, under ../fixtures/:
  tiny-bert/           a new checkpoint: config.json, model.safetensors (BertModel layout, no
                       prefix, no pooler, so the default pooling is [CLS]; random weights seeded
                       here), vocab.txt and tokenizer_config.json copied from tiny-electra, so the
                       token ids that text_families_reference.py recorded for tiny-electra are
                       tiny-bert's too.
  layers_reference.json
      tiny-bert:  per sentence of text_families_reference.json, each layer's [CLS] state and their
                  mean (BERT post-norm layers, exact GELU);
      tiny-vit:   for seeded random pixels (2, 3, 32, 32) stored in the file, each layer's
                  final-layer-normalised [CLS] token and their mean, from the committed
                  tiny-vit/model.safetensors (vision_reference.py's checkpoint, read, not rewritten).
Nothing of candle or zoorank is used; safetensors are read and written with the standard library
and NumPy (the format: little-endian header length, JSON header, raw little-endian data). No
existing checkpoint is modified.

Made with Python 3.11, numpy 2.4.6:
    python3 crates/features/tests/reference/layers_reference.py
"""
import json
import math
import os
import shutil
import struct
import sys

import numpy as np

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
erf = np.vectorize(math.erf)


def load_safetensors(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8 : 8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", v
        s, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + s : 8 + n + e], dtype="<f4").reshape(v["shape"])
    return out


def save_safetensors(tensors, path):
    header, blobs, offset = {}, [], 0
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k], dtype="<f4")
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        blobs.append(a.tobytes())
        offset += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def lin(f, y, name):
    return y @ f[name + ".weight"].T + f[name + ".bias"]


BERT = dict(vocab_size=84, hidden_size=16, num_hidden_layers=3, num_attention_heads=2,
            intermediate_size=32, hidden_act="gelu", hidden_dropout_prob=0.1,
            attention_probs_dropout_prob=0.1, max_position_embeddings=40, type_vocab_size=2,
            initializer_range=0.02, layer_norm_eps=1e-12, pad_token_id=0,
            position_embedding_type="absolute")


def make_bert(rng):
    h, it, nv = BERT["hidden_size"], BERT["intermediate_size"], BERT["vocab_size"]
    randn = lambda *s: rng.standard_normal(s).astype(np.float32) * 0.5
    t = {"embeddings.word_embeddings.weight": randn(nv, h),
         "embeddings.position_embeddings.weight": randn(BERT["max_position_embeddings"], h),
         "embeddings.token_type_embeddings.weight": randn(2, h),
         "embeddings.LayerNorm.weight": 1 + randn(h) * 0.2, "embeddings.LayerNorm.bias": randn(h) * 0.2}
    shapes = {"attention.self.query": (h, h), "attention.self.key": (h, h),
              "attention.self.value": (h, h), "attention.output.dense": (h, h),
              "intermediate.dense": (it, h), "output.dense": (h, it)}
    for i in range(BERT["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        for name, (o, k) in shapes.items():
            t[p + name + ".weight"] = randn(o, k) / math.sqrt(k) * 2
            t[p + name + ".bias"] = randn(o) * 0.2
        for name in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[p + name + ".weight"] = 1 + randn(h) * 0.2
            t[p + name + ".bias"] = randn(h) * 0.2
    return t


def bert_states(ids, types, t):
    """Each layer's hidden states (n, h) of one unpadded input, first to last."""
    f = {k: v.astype(np.float64) for k, v in t.items()}
    h, nh, eps = BERT["hidden_size"], BERT["num_attention_heads"], BERT["layer_norm_eps"]
    dh, n = h // nh, len(ids)
    x = (f["embeddings.word_embeddings.weight"][ids] + f["embeddings.position_embeddings.weight"][:n]
         + f["embeddings.token_type_embeddings.weight"][types])
    x = layer_norm(x, f["embeddings.LayerNorm.weight"], f["embeddings.LayerNorm.bias"], eps)
    states = []
    for i in range(BERT["num_hidden_layers"]):
        p = f"encoder.layer.{i}."
        heads = lambda name: lin(f, x, p + name).reshape(n, nh, dh).transpose(1, 0, 2)
        q, k, v = heads("attention.self.query"), heads("attention.self.key"), heads("attention.self.value")
        a = softmax(q @ k.transpose(0, 2, 1) / math.sqrt(dh))
        ctx = (a @ v).transpose(1, 0, 2).reshape(n, h)
        x = layer_norm(lin(f, ctx, p + "attention.output.dense") + x,
                       f[p + "attention.output.LayerNorm.weight"], f[p + "attention.output.LayerNorm.bias"], eps)
        y = lin(f, gelu(lin(f, x, p + "intermediate.dense")), p + "output.dense")
        x = layer_norm(y + x, f[p + "output.LayerNorm.weight"], f[p + "output.LayerNorm.bias"], eps)
        states.append(x)
    return states


def vit_states(x, t, cfg):
    """Each layer's final-layer-normalised [CLS] token (b, h) of pixels x, first to last."""
    f = {k: v.astype(np.float64) for k, v in t.items()}
    h, nh, eps, p = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"], cfg["patch_size"]
    dh, b, g = h // nh, x.shape[0], cfg["image_size"] // p
    w = f["vit.embeddings.patch_embeddings.projection.weight"]  # (h, c, p, p)
    patches = x.reshape(b, x.shape[1], g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(b, g * g, -1)
    emb = patches @ w.reshape(h, -1).T + f["vit.embeddings.patch_embeddings.projection.bias"]
    z = np.concatenate([np.repeat(f["vit.embeddings.cls_token"], b, 0), emb], 1) + f["vit.embeddings.position_embeddings"]
    n = z.shape[1]
    out = []
    for i in range(cfg["num_hidden_layers"]):
        q = f"vit.encoder.layer.{i}."
        y = layer_norm(z, f[q + "layernorm_before.weight"], f[q + "layernorm_before.bias"], eps)
        heads = lambda name: lin(f, y, q + name).reshape(b, n, nh, dh).transpose(0, 2, 1, 3)
        qq, kk, vv = heads("attention.attention.query"), heads("attention.attention.key"), heads("attention.attention.value")
        a = softmax(qq @ kk.transpose(0, 1, 3, 2) / math.sqrt(dh))
        z = z + lin(f, (a @ vv).transpose(0, 2, 1, 3).reshape(b, n, h), q + "attention.output.dense")
        y = layer_norm(z, f[q + "layernorm_after.weight"], f[q + "layernorm_after.bias"], eps)
        z = z + lin(f, gelu(lin(f, y, q + "intermediate.dense")), q + "output.dense")
        out.append(layer_norm(z[:, 0], f["vit.layernorm.weight"], f["vit.layernorm.bias"], eps))
    return out


def main():
    rng = np.random.default_rng(2020)
    bert = make_bert(rng)
    d = os.path.join(FIX, "tiny-bert")
    os.makedirs(d, exist_ok=True)
    json.dump(dict(BERT, model_type="bert", architectures=["BertModel"]),
              open(os.path.join(d, "config.json"), "w"), indent=1)
    save_safetensors(bert, os.path.join(d, "model.safetensors"))
    for name in ("vocab.txt", "tokenizer_config.json"):
        shutil.copy(os.path.join(FIX, "tiny-electra", name), d)

    fam = json.load(open(os.path.join(FIX, "text_families_reference.json")))
    sentences = []
    for text, rec in zip(fam["sentences"], fam["tiny-electra"]["sentences"]):
        states = bert_states(np.array(rec["ids"]), np.array(rec["type_ids"]), bert)
        cls = [s[0] for s in states]
        sentences.append({"text": text, "ids": rec["ids"], "layers": [c.tolist() for c in cls],
                          "mean": np.mean(cls, 0).tolist()})

    vit_cfg = json.load(open(os.path.join(FIX, "tiny-vit", "config.json")))
    vit = load_safetensors(os.path.join(FIX, "tiny-vit", "model.safetensors"))
    pixels = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    per = vit_states(pixels.astype(np.float64), vit, vit_cfg)
    doc = {
        "provenance": "crates/features/tests/reference/layers_reference.py (float64 NumPy forward passes)",
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
        "tiny-bert": {"pooling": "cls", "sentences": sentences},
        "tiny-vit": {"pixels_shape": list(pixels.shape), "pixels": pixels.reshape(-1).tolist(),
                     "layers": [l.tolist() for l in per], "mean": np.mean(per, 0).tolist()},
    }
    json.dump(doc, open(os.path.join(FIX, "layers_reference.json"), "w"))
    print("ok", len(sentences), "sentences,", len(per), "vit layers")


if __name__ == "__main__":
    main()
