"""Tiny real-format text checkpoints and independent float64 NumPy reference forward passes.

Writes, under ../fixtures/:
  tiny-distilbert/  config.json, model.safetensors, vocab.txt, tokenizer_config.json
                    (DistilBertForSequenceClassification layout: `distilbert.` prefix,
                    pre_classifier + classifier head, 3 labels; WordPiece from vocab.txt only)
  tiny-roberta/     config.json, model.safetensors, tokenizer.json, vocab.json + merges.txt (RobertaForSequenceClassification
                    layout: `roberta.` prefix, classifier.dense + classifier.out_proj head, 3 labels;
                    a byte-level BPE tokenizer trained here on a small corpus with `tokenizers`)
  text_reference.json  per sentence: token ids (Python `tokenizers`), and for each model the
                    CLS and mean-pooled last hidden states and the head's class probabilities,
                    computed here in float64 one sentence at a time (no padding).
Weights are random (seeded per model), so only the architecture and file format are real.
The forward passes follow Hugging Face transformers' modeling_distilbert.py (exact (erf) GELU,
post-norm blocks, every LayerNorm with eps 1e-12) and modeling_roberta.py (BERT blocks; position
ids start at pad_token_id + 1; token type 0; head out_proj(tanh(dense(h_0)))).

Made with Python 3.11, numpy 2.4.6, safetensors 0.8.0, tokenizers 0.23.3:
    pip install numpy safetensors tokenizers
    python3 crates/features/tests/reference/text_reference.py
"""
import json
import math
import os
import string
import sys

import numpy as np
from safetensors.numpy import save_file
from tokenizers import BertWordPieceTokenizer, ByteLevelBPETokenizer, Tokenizer
from tokenizers.processors import RobertaProcessing

from reference_ops import FIX, gaussian, gelu, layer_norm, softmax


SENTENCES = [
    "The model zoo is great!",
    "I love this film, it runs fast.",
    "a boring, slow dog",
    "Café 北京 walking?",
    "cats",
]

WORDS = ["the", "a", "model", "zoo", "cat", "dog", "runs", "fast", "slow", "is", "good", "bad",
         "film", "great", "boring", "i", "love", "hate", "it", "this", "walk"]
PIECES = ["##s", "##ing", "##ed", "##ly"]


def vocab():
    v = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?"]
    v += WORDS + PIECES
    v += [c for c in string.ascii_lowercase if c not in v] + ["##" + c for c in string.ascii_lowercase]
    return v


def embedding_weights(randn, p, nv, n_positions, width, token_types=0):
    """Random word, position (and token-type) embeddings and their LayerNorm under `p`."""
    t = {
        p + "embeddings.word_embeddings.weight": randn(nv, width, scale=0.5),
        p + "embeddings.position_embeddings.weight": randn(n_positions, width, scale=0.5),
    }
    if token_types:
        t[p + "embeddings.token_type_embeddings.weight"] = randn(token_types, width, scale=0.5)
    t[p + "embeddings.LayerNorm.weight"] = 1 + randn(width, scale=0.1)
    t[p + "embeddings.LayerNorm.bias"] = randn(width, scale=0.1)
    return t


def float64(t):
    """The tensors in float64, and lin(y, name): the linear layer `name` applied to y."""
    f = {k: v.astype(np.float64) for k, v in t.items()}
    return f, lambda y, name: y @ f[name + ".weight"].T + f[name + ".bias"]


def self_attention(x, lin, q, names, nh, scale_queries):
    """Multi-head self-attention over one unpadded sentence x (n, width) with the query, key and
    value layers `names` under `q`. DistilBERT scales the queries by 1/sqrt(d_head), BERT and
    RoBERTa the scores, as Hugging Face's implementations do (float64 results differ in the last
    bits, so each reference keeps its model's order)."""
    n, width = x.shape
    dh = width // nh
    heads = lambda name: lin(x, q + name).reshape(n, nh, dh).transpose(1, 0, 2)
    qq, kk, vv = (heads(name) for name in names)
    if scale_queries:
        a = softmax(qq / math.sqrt(dh) @ kk.transpose(0, 2, 1))
    else:
        a = softmax(qq @ kk.transpose(0, 2, 1) / math.sqrt(dh))
    return (a @ vv).transpose(1, 0, 2).reshape(n, width)


def add_blocks(t, randn, prefix, n_layers, linears, norms, width):
    """Random weights of `n_layers` transformer blocks named `{prefix}{i}.`: each of `linears`
    (name -> (out, in)) a weight and a bias, then each of `norms` a LayerNorm of `width`."""
    for i in range(n_layers):
        q = f"{prefix}{i}."
        for name, (o, k) in linears.items():
            t[q + name + ".weight"] = randn(o, k)
            t[q + name + ".bias"] = randn(o)
        for ln in norms:
            t[q + ln + ".weight"] = 1 + randn(width, scale=0.1)
            t[q + ln + ".bias"] = randn(width, scale=0.1)
    return t


def bert_linears(h, it):
    return {"attention.self.query": (h, h), "attention.self.key": (h, h),
            "attention.self.value": (h, h), "attention.output.dense": (h, h),
            "intermediate.dense": (it, h), "output.dense": (h, it)}


BERT_NORMS = ("attention.output.LayerNorm", "output.LayerNorm")


def bert_like_weights(randn, p, cfg, width, token_types, extra):
    """Random embeddings of `width` under `p`, then the tensors `extra(randn)` draws (heads,
    projections), then BERT-named layers `p`encoder.layer.N of `cfg`'s sizes."""
    h, it = cfg["hidden_size"], cfg["intermediate_size"]
    t = embedding_weights(randn, p, cfg["vocab_size"], cfg["max_position_embeddings"], width,
                          token_types=token_types)
    t.update(extra(randn))
    return add_blocks(t, randn, p + "encoder.layer.", cfg["num_hidden_layers"],
                      bert_linears(h, it), BERT_NORMS, h)


def dense_out_head(randn, h):
    """RoBERTa's and ELECTRA's head: classifier.dense (h -> h), classifier.out_proj (h -> 3)."""
    return {"classifier.dense.weight": randn(h, h), "classifier.dense.bias": randn(h),
            "classifier.out_proj.weight": randn(3, h), "classifier.out_proj.bias": randn(3)}


# ---------------------------------------------------------------- DistilBERT
DISTIL = dict(model_type="distilbert", architectures=["DistilBertForSequenceClassification"],
              vocab_size=None, dim=32, n_layers=2, n_heads=4, hidden_dim=64, activation="gelu",
              max_position_embeddings=40, pad_token_id=0, initializer_range=0.02,
              sinusoidal_pos_embds=False, dropout=0.1, attention_dropout=0.1,
              seq_classif_dropout=0.2, qa_dropout=0.1, tie_weights_=True,
              id2label={"0": "neg", "1": "neu", "2": "pos"},
              label2id={"neg": 0, "neu": 1, "pos": 2})


def make_distilbert(nv, rng):
    randn = gaussian(rng)
    d, hd = DISTIL["dim"], DISTIL["hidden_dim"]
    p = "distilbert."
    t = embedding_weights(randn, p, nv, DISTIL["max_position_embeddings"], d)
    t.update({
        "pre_classifier.weight": randn(d, d), "pre_classifier.bias": randn(d),
        "classifier.weight": randn(3, d), "classifier.bias": randn(3),
    })
    return add_blocks(t, randn, p + "transformer.layer.", DISTIL["n_layers"], {
        "attention.q_lin": (d, d), "attention.k_lin": (d, d), "attention.v_lin": (d, d),
        "attention.out_lin": (d, d), "ffn.lin1": (hd, d), "ffn.lin2": (d, hd),
    }, ("sa_layer_norm", "output_layer_norm"), d)


def distilbert_forward(ids, t):
    f, lin = float64(t)
    nh, eps, n = DISTIL["n_heads"], 1e-12, len(ids)
    p = "distilbert."
    x = f[p + "embeddings.word_embeddings.weight"][ids] + f[p + "embeddings.position_embeddings.weight"][:n]
    x = layer_norm(x, f[p + "embeddings.LayerNorm.weight"], f[p + "embeddings.LayerNorm.bias"], eps)
    for i in range(DISTIL["n_layers"]):
        q = f"{p}transformer.layer.{i}."
        ctx = self_attention(x, lin, q, ("attention.q_lin", "attention.k_lin", "attention.v_lin"),
                             nh, scale_queries=True)
        s = layer_norm(lin(ctx, q + "attention.out_lin") + x,
                       f[q + "sa_layer_norm.weight"], f[q + "sa_layer_norm.bias"], eps)
        h = gelu(lin(s, q + "ffn.lin1"))
        x = layer_norm(lin(h, q + "ffn.lin2") + s,
                       f[q + "output_layer_norm.weight"], f[q + "output_layer_norm.bias"], eps)
    pre = np.maximum(lin(x[0], "pre_classifier"), 0.0)
    return x, softmax(lin(pre, "classifier"))


# ---------------------------------------------------------------- RoBERTa
ROBERTA = dict(model_type="roberta", architectures=["RobertaForSequenceClassification"],
               vocab_size=None, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
               intermediate_size=64, hidden_act="gelu", hidden_dropout_prob=0.1,
               attention_probs_dropout_prob=0.1, max_position_embeddings=42, type_vocab_size=1,
               initializer_range=0.02, layer_norm_eps=1e-05, pad_token_id=1, bos_token_id=0,
               eos_token_id=2, position_embedding_type="absolute",
               id2label={"0": "neg", "1": "neu", "2": "pos"},
               label2id={"neg": 0, "neu": 1, "pos": 2})
CORPUS = [
    "the model zoo is great and the film is good",
    "i love this film it runs fast and walks slowly",
    "a boring slow dog walking in the zoo",
    "cats and dogs are models of patience",
    "transferability ranks pre-trained models without fine-tuning",
] * 4


def make_roberta_like(cfg, rng):
    """Random weights of RoBERTa's layout (XLM-R's and CamemBERT's too) at `cfg`'s sizes."""
    h = cfg["hidden_size"]
    return bert_like_weights(gaussian(rng), "roberta.", cfg, h, 1,
                             lambda randn: dense_out_head(randn, h))


def roberta_forward(ids, t):
    f, lin = float64(t)
    nh, eps, n = ROBERTA["num_attention_heads"], ROBERTA["layer_norm_eps"], len(ids)
    p = "roberta."
    positions = ROBERTA["pad_token_id"] + 1 + np.arange(n)  # no padding inside one sentence
    x = (f[p + "embeddings.word_embeddings.weight"][ids]
         + f[p + "embeddings.position_embeddings.weight"][positions]
         + f[p + "embeddings.token_type_embeddings.weight"][0])
    x = layer_norm(x, f[p + "embeddings.LayerNorm.weight"], f[p + "embeddings.LayerNorm.bias"], eps)
    for i in range(ROBERTA["num_hidden_layers"]):
        q = f"{p}encoder.layer.{i}."
        ctx = self_attention(x, lin, q, ("attention.self.query", "attention.self.key",
                                         "attention.self.value"), nh, scale_queries=False)
        x = layer_norm(lin(ctx, q + "attention.output.dense") + x,
                       f[q + "attention.output.LayerNorm.weight"], f[q + "attention.output.LayerNorm.bias"], eps)
        inter = gelu(lin(x, q + "intermediate.dense"))
        x = layer_norm(lin(inter, q + "output.dense") + x,
                       f[q + "output.LayerNorm.weight"], f[q + "output.LayerNorm.bias"], eps)
    head = np.tanh(lin(x[0], "classifier.dense"))
    return x, softmax(lin(head, "classifier.out_proj"))


def write_dir(name, config, tensors, files):
    out = os.path.join(FIX, name)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as fh:
        json.dump(config, fh, indent=2)
    save_file(tensors, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    for fname, text in files.items():
        with open(os.path.join(out, fname), "w") as fh:
            fh.write(text)
    return out


def write_wordpiece_dir(name, config, tensors, tokenizer_class):
    """write_dir with the WordPiece vocabulary (vocab.txt, lower-cased, at most 40 tokens);
    the tokenizer the reference encodes with."""
    out = write_dir(name, config, tensors, {
        "vocab.txt": "\n".join(vocab()) + "\n",
        "tokenizer_config.json": json.dumps({"do_lower_case": True, "model_max_length": 40,
                                             "tokenizer_class": tokenizer_class}, indent=2),
    })
    return BertWordPieceTokenizer(os.path.join(out, "vocab.txt"), lowercase=True)


def main():
    v = vocab()
    cfg = dict(DISTIL, vocab_size=len(v))
    t = make_distilbert(len(v), np.random.default_rng(6_0001))
    tok = write_wordpiece_dir("tiny-distilbert", cfg, t, "DistilBertTokenizer")
    out = os.path.join(FIX, "tiny-distilbert")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=300, min_frequency=2,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.post_processor = RobertaProcessing(("</s>", 2), ("<s>", 0))
    rcfg = dict(ROBERTA, vocab_size=bpe.get_vocab_size())
    rt = make_roberta_like(rcfg, np.random.default_rng(6_0002))
    rout = write_dir("tiny-roberta", rcfg, rt, {
        "tokenizer.json": bpe._tokenizer.to_str(pretty=True),
        "tokenizer_config.json": json.dumps({"model_max_length": 40,
                                             "tokenizer_class": "RobertaTokenizer"}, indent=2),
    })
    bpe.save_model(rout)  # vocab.json + merges.txt, the files older RoBERTa checkpoints ship
    rtok = Tokenizer.from_file(os.path.join(rout, "tokenizer.json"))
    sentences = []
    for s in SENTENCES:
        ids = tok.encode(s).ids
        hs, probs = distilbert_forward(np.array(ids), t)
        rids = rtok.encode(s).ids
        rhs, rprobs = roberta_forward(np.array(rids), rt)
        sentences.append({
            "text": s,
            "ids": ids,
            "distilbert": {
                "cls": [float(x) for x in hs[0]],
                "mean": [float(x) for x in hs.mean(0)],
                "probabilities": [float(x) for x in probs],
            },
            "roberta": {
                "ids": rids,
                "cls": [float(x) for x in rhs[0]],
                "mean": [float(x) for x in rhs.mean(0)],
                "probabilities": [float(x) for x in rprobs],
            },
        })
    doc = {
        "provenance": "crates/features/tests/reference/text_reference.py (float64 NumPy forward passes)",
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
        "sentences": sentences,
    }
    with open(os.path.join(FIX, "text_reference.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    print("wrote", out, "and text_reference.json")


if __name__ == "__main__":
    main()
