"""Tiny ELECTRA, XLM-RoBERTa, CamemBERT and ALBERT checkpoints in the Hugging Face layout and
independent float64 NumPy reference forward passes, on single sentences and sentence pairs.

Writes, under ../fixtures/:
  tiny-electra/       config.json, model.safetensors, vocab.txt, tokenizer_config.json
                      (ElectraForSequenceClassification: `electra.` prefix, embedding_size 8 <
                      hidden_size 16 so `embeddings_project` is used, classifier.dense →
                      exact GELU → classifier.out_proj; WordPiece from vocab.txt)
  tiny-xlm-roberta/   config.json, model.safetensors, tokenizer.json
                      (XLMRobertaForSequenceClassification: `roberta.` prefix, RoBERTa head;
                      a SentencePiece-style Unigram tokenizer, `<s> A </s></s> B </s>`)
  tiny-camembert/     the same layout with model_type camembert (CamembertForSequenceClassification)
  tiny-deberta-v2/    config.json, model.safetensors, tokenizer.json
                      (DebertaV2ForSequenceClassification: `deberta.` prefix, disentangled
                      attention with shared keys, log-bucketed relative positions (8 buckets),
                      layer-normalised relative embeddings, no absolute positions or token types;
                      ContextPooler (dense → GELU) + classifier; Unigram tokenizer)
  tiny-albert/        config.json, model.safetensors, tokenizer.json
                      (AlbertForSequenceClassification: `albert.` prefix, embedding_size 8,
                      embedding_hidden_mapping_in, 4 layers drawn from 2 shared layer groups,
                      gelu_new (tanh) activation, pooler + classifier; Unigram tokenizer with
                      `[CLS] A [SEP] B [SEP]` and token types 0/1)
  text_families_reference.json  token ids and type ids (Python `tokenizers`), and per model the
                      default feature (CLS, or ALBERT's pooler), the mean-pooled last hidden states
                      and the head's class probabilities, computed in float64 one input at a time
                      (no padding), for the sentences of text_reference.py and for sentence pairs.
Weights are random (seeded per model); only the architecture and the file format are real.
The forward passes follow Hugging Face transformers' modeling_electra.py (BERT layers, exact GELU,
embeddings projected to the hidden size), modeling_xlm_roberta.py / modeling_camembert.py
(RoBERTa: position ids from pad_token_id + 1, one token type), modeling_albert.py (factorised
embeddings; layer i runs layer group ⌊i / (num_hidden_layers / num_hidden_groups)⌋) and
modeling_deberta_v2.py (He et al., ICLR 2021: scores q·k + q·k_pos[δ(i,j)] + k·q_pos[δ(j,i)], each
over √(3·d_head), δ the bucketed relative position shifted by the bucket count and clipped).

Made with Python 3.11, numpy 2.4.6, safetensors 0.8.0, tokenizers 0.23.3:
    pip install numpy safetensors tokenizers
    python3 crates/features/tests/reference/text_families_reference.py
"""
import json
import math
import os
import string
import sys

import numpy as np
from tokenizers.decoders import Metaspace as MetaspaceDecoder

from reference_ops import FIX, gaussian, gelu, layer_norm, softmax
from text_reference import (BERT_NORMS, SENTENCES, WORDS, add_blocks, bert_like_weights,
                            dense_out_head, embedding_weights, float64, make_roberta_like,
                            self_attention, vocab, write_dir, write_wordpiece_dir)
from tokenizer_ops import unigram as unigram_tokenizer, with_specials

PAIRS = [
    ("The model zoo is great!", "I love this film, it runs fast."),
    ("a boring, slow dog", "cats"),
    ("Café 北京 walking?", "the dog walks"),
]
LABELS = dict(id2label={"0": "neg", "1": "neu", "2": "pos"}, label2id={"neg": 0, "neu": 1, "pos": 2})


def gelu_new(x):
    """The tanh approximation of GELU, Hugging Face's "gelu_new" (ALBERT's default)."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def embed(f, p, ids, positions, types, eps):
    """LayerNorm(word + position + token type) under `p`embeddings."""
    e = p + "embeddings."
    x = (f[e + "word_embeddings.weight"][ids] + f[e + "position_embeddings.weight"][positions]
         + f[e + "token_type_embeddings.weight"][types])
    return layer_norm(x, f[e + "LayerNorm.weight"], f[e + "LayerNorm.bias"], eps)


def bert_layers(x, f, lin, prefix, n_layers, nh, eps, act):
    """BERT's post-norm layers `{prefix}{i}.` (as ELECTRA, RoBERTa and their kin name them)."""
    for i in range(n_layers):
        q = f"{prefix}{i}."
        ctx = self_attention(x, lin, q, ("attention.self.query", "attention.self.key",
                                         "attention.self.value"), nh, scale_queries=False)
        x = bert_layer_rest(x, ctx, f, lin, q, eps, act)
    return x


def bert_layer_rest(x, ctx, f, lin, q, eps, act):
    """The rest of BERT's post-norm layer `q` after attention: the attention output x + W ctx
    and the feed-forward block, each followed by its LayerNorm."""
    x = layer_norm(lin(ctx, q + "attention.output.dense") + x,
                   f[q + "attention.output.LayerNorm.weight"],
                   f[q + "attention.output.LayerNorm.bias"], eps)
    inter = act(lin(x, q + "intermediate.dense"))
    return layer_norm(lin(inter, q + "output.dense") + x,
                      f[q + "output.LayerNorm.weight"], f[q + "output.LayerNorm.bias"], eps)


# ---------------------------------------------------------------- ELECTRA
ELECTRA = dict(model_type="electra", architectures=["ElectraForSequenceClassification"],
               vocab_size=None, embedding_size=8, hidden_size=16, num_hidden_layers=2,
               num_attention_heads=2, intermediate_size=32, hidden_act="gelu",
               hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
               max_position_embeddings=40, type_vocab_size=2, initializer_range=0.02,
               layer_norm_eps=1e-12, summary_type="first", summary_use_proj=True,
               summary_activation="gelu", summary_last_dropout=0.1, pad_token_id=0,
               position_embedding_type="absolute", **LABELS)


def make_electra(cfg, rng):
    e, h = cfg["embedding_size"], cfg["hidden_size"]
    return bert_like_weights(gaussian(rng), "electra.", cfg, e, 2, lambda randn: {
        "electra.embeddings_project.weight": randn(h, e),
        "electra.embeddings_project.bias": randn(h),
        **dense_out_head(randn, h)})


def electra_forward(ids, types, t):
    f, lin = float64(t)
    eps, p = ELECTRA["layer_norm_eps"], "electra."
    x = embed(f, p, ids, np.arange(len(ids)), types, eps)
    x = lin(x, p + "embeddings_project")
    x = bert_layers(x, f, lin, p + "encoder.layer.", ELECTRA["num_hidden_layers"],
                    ELECTRA["num_attention_heads"], eps, gelu)
    head = gelu(lin(x[0], "classifier.dense"))
    return x[0], x, softmax(lin(head, "classifier.out_proj"))


# ---------------------------------------------------------------- XLM-RoBERTa / CamemBERT
def roberta_like(model_type, arch):
    return dict(model_type=model_type, architectures=[arch], vocab_size=None, hidden_size=16,
                num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                hidden_act="gelu", hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1,
                max_position_embeddings=42, type_vocab_size=1, initializer_range=0.02,
                layer_norm_eps=1e-05, pad_token_id=1, bos_token_id=0, eos_token_id=2,
                position_embedding_type="absolute", **LABELS)


XLMR = roberta_like("xlm-roberta", "XLMRobertaForSequenceClassification")
CAMEMBERT = roberta_like("camembert", "CamembertForSequenceClassification")


def roberta_like_forward(cfg, ids, t):
    f, lin = float64(t)
    eps, p = cfg["layer_norm_eps"], "roberta."
    positions = cfg["pad_token_id"] + 1 + np.arange(len(ids))  # no padding inside one input
    x = embed(f, p, ids, positions, np.zeros(len(ids), dtype=int), eps)
    x = bert_layers(x, f, lin, p + "encoder.layer.", cfg["num_hidden_layers"],
                    cfg["num_attention_heads"], eps, gelu)
    head = np.tanh(lin(x[0], "classifier.dense"))
    return x[0], x, softmax(lin(head, "classifier.out_proj"))


# ---------------------------------------------------------------- ALBERT
ALBERT = dict(model_type="albert", architectures=["AlbertForSequenceClassification"],
              vocab_size=None, embedding_size=8, hidden_size=16, num_hidden_layers=4,
              num_hidden_groups=2, num_attention_heads=2, intermediate_size=32,
              inner_group_num=1, hidden_act="gelu_new", hidden_dropout_prob=0.0,
              attention_probs_dropout_prob=0.0, max_position_embeddings=40, type_vocab_size=2,
              initializer_range=0.02, layer_norm_eps=1e-12, classifier_dropout_prob=0.1,
              position_embedding_type="absolute", pad_token_id=0, bos_token_id=2,
              eos_token_id=3, **LABELS)
ALBERT_LAYER = "albert.encoder.albert_layer_groups.{g}.albert_layers.{j}."


def make_albert(nv, rng):
    randn = gaussian(rng)
    e, h, it = ALBERT["embedding_size"], ALBERT["hidden_size"], ALBERT["intermediate_size"]
    p = "albert."
    t = embedding_weights(randn, p, nv, ALBERT["max_position_embeddings"], e, token_types=2)
    t.update({
        p + "encoder.embedding_hidden_mapping_in.weight": randn(h, e),
        p + "encoder.embedding_hidden_mapping_in.bias": randn(h),
        p + "pooler.weight": randn(h, h), p + "pooler.bias": randn(h),
        "classifier.weight": randn(3, h), "classifier.bias": randn(3),
    })
    linears = {"attention.query": (h, h), "attention.key": (h, h), "attention.value": (h, h),
               "attention.dense": (h, h), "ffn": (it, h), "ffn_output": (h, it)}
    norms = ("attention.LayerNorm", "full_layer_layer_norm")
    for g in range(ALBERT["num_hidden_groups"]):
        add_blocks(t, randn, f"{p}encoder.albert_layer_groups.{g}.albert_layers.",
                   ALBERT["inner_group_num"], linears, norms, h)
    return t


def albert_forward(ids, types, t):
    f, lin = float64(t)
    eps, p, c = ALBERT["layer_norm_eps"], "albert.", ALBERT
    x = embed(f, p, ids, np.arange(len(ids)), types, eps)
    x = lin(x, p + "encoder.embedding_hidden_mapping_in")
    per_group = c["num_hidden_layers"] // c["num_hidden_groups"]
    for i in range(c["num_hidden_layers"]):
        for j in range(c["inner_group_num"]):
            q = ALBERT_LAYER.format(g=i // per_group, j=j)
            ctx = self_attention(x, lin, q, ("attention.query", "attention.key", "attention.value"),
                                 c["num_attention_heads"], scale_queries=False)
            a = layer_norm(x + lin(ctx, q + "attention.dense"),
                           f[q + "attention.LayerNorm.weight"], f[q + "attention.LayerNorm.bias"], eps)
            ffn = lin(gelu_new(lin(a, q + "ffn")), q + "ffn_output")
            x = layer_norm(ffn + a, f[q + "full_layer_layer_norm.weight"],
                           f[q + "full_layer_layer_norm.bias"], eps)
    pooled = np.tanh(lin(x[0], p + "pooler"))
    return pooled, x, softmax(lin(pooled, "classifier"))


# ---------------------------------------------------------------- DeBERTa-v2
DEBERTA = dict(model_type="deberta-v2", architectures=["DebertaV2ForSequenceClassification"],
               vocab_size=None, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
               intermediate_size=32, hidden_act="gelu", hidden_dropout_prob=0.1,
               attention_probs_dropout_prob=0.1, max_position_embeddings=40, type_vocab_size=0,
               initializer_range=0.02, layer_norm_eps=1e-07, relative_attention=True,
               max_relative_positions=-1, position_buckets=8, norm_rel_ebd="layer_norm",
               share_att_key=True, pos_att_type=["p2c", "c2p"], position_biased_input=False,
               pad_token_id=0, pooler_hidden_size=16, pooler_hidden_act="gelu",
               pooler_dropout=0, **LABELS)


def make_deberta(nv, rng):
    randn = gaussian(rng)
    h, it, span = DEBERTA["hidden_size"], DEBERTA["intermediate_size"], DEBERTA["position_buckets"]
    p = "deberta."
    t = {
        p + "embeddings.word_embeddings.weight": randn(nv, h, scale=0.5),
        p + "embeddings.LayerNorm.weight": 1 + randn(h, scale=0.1),
        p + "embeddings.LayerNorm.bias": randn(h, scale=0.1),
        p + "encoder.rel_embeddings.weight": randn(2 * span, h, scale=0.5),
        p + "encoder.LayerNorm.weight": 1 + randn(h, scale=0.1),
        p + "encoder.LayerNorm.bias": randn(h, scale=0.1),
        "pooler.dense.weight": randn(h, h), "pooler.dense.bias": randn(h),
        "classifier.weight": randn(3, h), "classifier.bias": randn(3),
    }
    return add_blocks(t, randn, p + "encoder.layer.", DEBERTA["num_hidden_layers"], {
        "attention.self.query_proj": (h, h), "attention.self.key_proj": (h, h),
        "attention.self.value_proj": (h, h), "attention.output.dense": (h, h),
        "intermediate.dense": (it, h), "output.dense": (h, it),
    }, BERT_NORMS, h)


def log_bucket_position(rel, bucket_size, max_position):
    """DeBERTa-v2's relative positions: exact within ±bucket_size/2, log-spaced beyond."""
    sign = np.sign(rel)
    mid = bucket_size // 2
    abs_pos = np.where((rel < mid) & (rel > -mid), mid - 1, np.abs(rel))
    log_pos = np.ceil(np.log(abs_pos / mid) / np.log((max_position - 1) / mid) * (mid - 1)) + mid
    return np.where(abs_pos <= mid, rel, log_pos * sign).astype(int)


def deberta_forward(ids, types, t):
    """DebertaV2Model + ContextPooler + classifier, one unpadded input (token types unused:
    type_vocab_size 0)."""
    f, lin = float64(t)
    c, p = DEBERTA, "deberta."
    eps, nh, n = c["layer_norm_eps"], c["num_attention_heads"], len(ids)
    h = c["hidden_size"]
    dh = h // nh
    x = layer_norm(f[p + "embeddings.word_embeddings.weight"][ids],
                   f[p + "embeddings.LayerNorm.weight"], f[p + "embeddings.LayerNorm.bias"], eps)
    span = c["position_buckets"]
    max_rel = c["max_relative_positions"] if c["max_relative_positions"] > 0 else c["max_position_embeddings"]
    rel = log_bucket_position(np.arange(n)[:, None] - np.arange(n)[None, :], span, max_rel)
    rel_emb = layer_norm(f[p + "encoder.rel_embeddings.weight"], f[p + "encoder.LayerNorm.weight"],
                         f[p + "encoder.LayerNorm.bias"], eps)
    scale_factor = 3  # 1 + c2p + p2c
    c2p_idx = np.clip(rel + span, 0, 2 * span - 1)
    p2c_idx = np.clip(-rel + span, 0, 2 * span - 1)
    for i in range(c["num_hidden_layers"]):
        q = f"{p}encoder.layer.{i}."
        heads = lambda y, name: lin(y, q + name).reshape(len(y), nh, dh).transpose(1, 0, 2)
        qq, kk, vv = (heads(x, "attention.self." + k) for k in ("query_proj", "key_proj", "value_proj"))
        # Shared attention keys: the positions go through the content projections.
        pq, pk = heads(rel_emb, "attention.self.query_proj"), heads(rel_emb, "attention.self.key_proj")
        scale = math.sqrt(dh * scale_factor)
        scores = qq @ kk.transpose(0, 2, 1) / scale
        c2p = qq @ pk.transpose(0, 2, 1)  # (heads, query, 2 span)
        scores += np.take_along_axis(c2p, np.broadcast_to(c2p_idx, (nh, n, n)), -1) / scale
        p2c = kk @ pq.transpose(0, 2, 1)  # (heads, key, 2 span)
        scores += np.take_along_axis(p2c, np.broadcast_to(p2c_idx, (nh, n, n)), -1).transpose(0, 2, 1) / scale
        ctx = (softmax(scores) @ vv).transpose(1, 0, 2).reshape(n, h)
        x = bert_layer_rest(x, ctx, f, lin, q, eps, gelu)
    pooled = gelu(lin(x[0], "pooler.dense"))
    return x[0], x, softmax(lin(pooled, "classifier"))


# ---------------------------------------------------------------- tokenizers
def unigram(specials, unk, single, pair):
    """A SentencePiece-style Unigram tokenizer (NFKC, "▁" for spaces, Viterbi segmentation) over
    a fixed vocabulary: `specials` first, then whole words, word pieces and single characters
    with log-probabilities that favour longer pieces; `single` and `pair` are the
    post-processing templates. Written out rather than trained, so the files are the same on
    every run (the trainer's vocabulary order varies between runs)."""
    words = ["▁" + w for w in WORDS] + ["▁" + w for w in ("cats", "walking", "walks", "and")]
    pieces = ["s", "ing", "ed", "ly", "▁", "▁c", "▁w", "▁th"]
    chars = sorted(set(string.ascii_lowercase + string.ascii_uppercase + ".,!?'"))
    vocab = ([(t, 0.0) for t in specials] + [(w, -3.0 - 0.1 * i) for i, w in enumerate(words)]
             + [(p, -6.0 - 0.1 * i) for i, p in enumerate(pieces)] + [(c, -9.0) for c in chars])
    tok = unigram_tokenizer(vocab, specials.index(unk))
    tok.decoder = MetaspaceDecoder()
    return with_specials(tok, specials, single, pair)


def write_unigram_dir(name, config, tensors, tok):
    """write_dir with the tokenizer `tok` as tokenizer.json (at most 40 tokens)."""
    write_dir(name, config, tensors, {
        "tokenizer.json": tok.to_str(pretty=True),
        "tokenizer_config.json": json.dumps({"model_max_length": 40}, indent=2),
    })


def record(feature, hidden, probs):
    return {"feature": [float(v) for v in feature], "mean": [float(v) for v in hidden.mean(0)],
            "probabilities": [float(v) for v in probs]}


def main():
    models = {}

    ecfg = dict(ELECTRA, vocab_size=len(vocab()))
    et = make_electra(ecfg, np.random.default_rng(6_0101))
    etok = write_wordpiece_dir("tiny-electra", ecfg, et, "ElectraTokenizer")
    models["tiny-electra"] = (etok, lambda ids, types: electra_forward(ids, types, et))

    xtok = unigram(["<s>", "<pad>", "</s>", "<unk>", "<mask>"], "<unk>",
                   "<s> $A </s>", "<s> $A </s> </s> $B </s>")
    for name, cfg, seed in (("tiny-xlm-roberta", XLMR, 6_0102),
                            ("tiny-camembert", CAMEMBERT, 6_0103)):
        cfg = dict(cfg, vocab_size=xtok.get_vocab_size())
        t = make_roberta_like(cfg, np.random.default_rng(seed))
        write_unigram_dir(name, cfg, t, xtok)
        models[name] = (xtok, lambda ids, types, cfg=cfg, t=t: roberta_like_forward(cfg, ids, t))

    bert_templates = ("[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1")
    for name, cfg, specials, unk, make, forward, seed in (
            ("tiny-albert", ALBERT, ["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"], "<unk>",
             make_albert, albert_forward, 6_0104),
            ("tiny-deberta-v2", DEBERTA, ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"], "[UNK]",
             make_deberta, deberta_forward, 6_0105)):
        tok = unigram(specials, unk, *bert_templates)
        cfg = dict(cfg, vocab_size=tok.get_vocab_size())
        t = make(cfg["vocab_size"], np.random.default_rng(seed))
        write_unigram_dir(name, cfg, t, tok)
        models[name] = (tok, lambda ids, types, forward=forward, t=t: forward(ids, types, t))

    doc = {
        "provenance": "crates/features/tests/reference/text_families_reference.py "
                      "(float64 NumPy forward passes)",
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
        "sentences": SENTENCES,
        "pairs": [list(p) for p in PAIRS],
    }
    for name, (tok, forward) in models.items():
        out = {"sentences": [], "pairs": []}
        for inputs, key in ((SENTENCES, "sentences"), (PAIRS, "pairs")):
            for item in inputs:
                enc = tok.encode(*item) if key == "pairs" else tok.encode(item)
                feature, hidden, probs = forward(np.array(enc.ids), np.array(enc.type_ids))
                out[key].append(dict(ids=enc.ids, type_ids=enc.type_ids,
                                     **record(feature, hidden, probs)))
        doc[name] = out
    with open(os.path.join(FIX, "text_families_reference.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    print("wrote", ", ".join(models), "and text_families_reference.json")


if __name__ == "__main__":
    main()
