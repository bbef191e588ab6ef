"""PyTorch CPU side of the per-family throughput benchmark (see scripts/bench-families.sh).

Three subcommands:

  make FAMILY DIR    builds a random-weight checkpoint of FAMILY at a published size from
                     Hugging Face transformers' configuration classes (no download) and writes it
                     with `save_pretrained` (model.safetensors, config.json) in the
                     `XxxForImageClassification` / `XxxForSequenceClassification` layout zoorank
                     reads, plus preprocessor_config.json (images) or tokenizer.json and
                     tokenizer_config.json (texts). Prints one JSON line: parameters, size.
  data               writes the deterministic datasets: a folder of class folders of PNG images
                     and CSV files of texts and text pairs drawn from the benchmark vocabulary.
  run DIR DATASET    encodes the dataset with transformers' model (eval mode, torch.no_grad,
                     float32, all cores) exactly as zoorank does and prints one JSON line:
                     samples, seconds, samples_per_second, load seconds, the max |Δ| against
                     the features zoorank wrote (--compare features.npy).

Inputs are the same on both sides. Images are 224 × 224 PNGs and the preprocessor config asks
for no resize and no crop, so preprocessing is `(x / 255 − mean) / std` on both sides (NumPy
here) and the two frameworks see identical pixels. Texts go through the same tokenizer.json
(Python `tokenizers`), in windows of 8 batches sorted by byte length (longest first; a pair
counts both texts), each batch padded to its longest input, as zoorank's extraction does.
The feature is the one zoorank takes by default: ViT/DeiT the final-layer-normalised CLS,
BEiT/Data2Vec-vision/Swin/VAN/ConvNeXt/ResNet the base model's pooled output, ALBERT the
pooler, the other text families the last hidden state of the first token.

The timed span starts before the model is loaded and ends after the last batch: loading,
image decoding or tokenisation and the forward passes, as zoorank's `embed` reports it.
Weights are random, so only the architectures, sizes and file formats are real.
"""
import argparse
import csv
import json
import os
import random
import sys
import time

import numpy as np

# The tokenizer building blocks are the reference scripts' (tokenizer_ops.py).
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))

WINDOW_BATCHES = 8
IMAGE_SIZE = 224
SPECIALS = {
    # tokenizer kind: (specials in id order, unk, pad, single template, pair template)
    "wordpiece": (["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "[UNK]", "[PAD]",
             "[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1"),
    "albert": (["<pad>", "<unk>", "[CLS]", "[SEP]", "[MASK]"], "<unk>", "<pad>",
               "[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1"),
    "deberta": (["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]"], "[UNK]", "[PAD]",
                "[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1"),
    "roberta": (["<s>", "<pad>", "</s>", "<unk>", "<mask>"], "<unk>", "<pad>",
                "<s> $A </s>", "<s> $A </s> </s> $B </s>"),
}

# Published sizes, from transformers' configuration classes. `vocab` is the tokenizer's size.
FAMILIES = {
    # images
    "vit": ("ViTConfig", "ViTForImageClassification", "ViT-B/16 (google/vit-base-patch16-224)", {}),
    "deit": ("DeiTConfig", "DeiTForImageClassification", "DeiT-B/16 (facebook/deit-base-patch16-224)", {}),
    "beit": ("BeitConfig", "BeitForImageClassification", "BEiT-B/16 (microsoft/beit-base-patch16-224)",
             dict(use_relative_position_bias=True, layer_scale_init_value=0.1, use_mean_pooling=True)),
    "data2vec-vision": ("Data2VecVisionConfig", "Data2VecVisionForImageClassification",
                        "Data2Vec-vision-B/16 (facebook/data2vec-vision-base-ft1k)",
                        dict(use_relative_position_bias=True, layer_scale_init_value=0.1,
                             use_mean_pooling=True)),
    "swin": ("SwinConfig", "SwinForImageClassification", "Swin-T (microsoft/swin-tiny-patch4-window7-224)", {}),
    "van": ("VanConfig", "VanForImageClassification", "VAN-B (Visual-Attention-Network/van-base)", {}),
    "convnext": ("ConvNextConfig", "ConvNextForImageClassification", "ConvNeXt-T (facebook/convnext-tiny-224)", {}),
    "resnet": ("ResNetConfig", "ResNetForImageClassification", "ResNet-50 (microsoft/resnet-50)", {}),
    # texts
    "electra": ("ElectraConfig", "ElectraForSequenceClassification",
                "ELECTRA-small discriminator (google/electra-small-discriminator)",
                dict(vocab=30522, tok="wordpiece")),
    "albert": ("AlbertConfig", "AlbertForSequenceClassification", "ALBERT-base (albert/albert-base-v2)",
               dict(vocab=30000, tok="albert", hidden_size=768, num_attention_heads=12,
                    intermediate_size=3072, embedding_size=128, num_hidden_layers=12,
                    hidden_act="gelu_new", pad_token_id=0, bos_token_id=2, eos_token_id=3)),
    "xlm-roberta": ("XLMRobertaConfig", "XLMRobertaForSequenceClassification",
                    "XLM-R-base sizes, vocabulary 30k instead of 250k (FacebookAI/xlm-roberta-base)",
                    dict(vocab=30000, tok="roberta", max_position_embeddings=514, type_vocab_size=1,
                         pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)),
    "camembert": ("CamembertConfig", "CamembertForSequenceClassification",
                  "CamemBERT-base (almanach/camembert-base)",
                  dict(vocab=32005, tok="roberta", max_position_embeddings=514, type_vocab_size=1,
                       pad_token_id=1, bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)),
    "deberta-v2": ("DebertaV2Config", "DebertaV2ForSequenceClassification",
                   "DeBERTa-v3-small, vocabulary 32k instead of 128k (microsoft/deberta-v3-small)",
                   dict(vocab=32000, tok="deberta", hidden_size=768, num_hidden_layers=6,
                        num_attention_heads=12, intermediate_size=3072, max_position_embeddings=512,
                        type_vocab_size=0, relative_attention=True, position_buckets=256,
                        max_relative_positions=-1, norm_rel_ebd="layer_norm", share_att_key=True,
                        pos_att_type=["p2c", "c2p"], position_biased_input=False,
                        layer_norm_eps=1e-7, pooler_hidden_size=768, pooler_hidden_act="gelu",
                        pooler_dropout=0, pad_token_id=0)),
}
IMAGE_FAMILIES = ["vit", "deit", "beit", "data2vec-vision", "swin", "van", "convnext", "resnet"]


def words(n, seed=7):
    """`n` distinct lower-case pseudo-words of 2-4 syllables, the same on every run."""
    rng = random.Random(seed)
    cons, vows = "bcdfghjklmnprstvwz", "aeiou"
    out, seen = [], set()
    while len(out) < n:
        w = "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(2, 4)))
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


N_WORDS = 20000  # the words of the texts; every tokenizer holds them as whole tokens


def tokenizer(kind, vocab_size):
    """A tokenizer of exactly `vocab_size` entries: WordPiece (BERT's pipeline, ELECTRA's
    tokenizer) for "wordpiece", else a SentencePiece-style Unigram (NFKC, "▁" for spaces)
    like ALBERT's, XLM-R's, CamemBERT's and DeBERTa-v3's. Whole benchmark words, then word
    pieces, then single characters; written out rather than trained so it is the same on every
    run."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordPiece
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from tokenizer_ops import unigram, with_specials

    specials, unk, _pad, single, pair = SPECIALS[kind]
    chars = sorted(set("abcdefghijklmnopqrstuvwxyz0123456789.,!?'"))
    extra = words(N_WORDS + vocab_size)  # fill words beyond the texts' own
    if kind == "wordpiece":
        body = chars + ["##" + c for c in chars] + extra
        vocab = {t: i for i, t in enumerate((specials + body)[:vocab_size])}
        tok = Tokenizer(WordPiece(vocab, unk_token=unk))
        tok.normalizer = BertNormalizer(lowercase=True)
        tok.pre_tokenizer = BertPreTokenizer()
    else:
        pieces = ([(t, 0.0) for t in specials] + [("▁", -5.0)]
                  + [(c, -9.0) for c in chars]
                  + [("▁" + w, -3.0 - 1e-4 * i) for i, w in enumerate(extra)])
        tok = unigram(pieces[:vocab_size], specials.index(unk))
    with_specials(tok, specials, single, pair)
    assert tok.get_vocab_size() == vocab_size, (tok.get_vocab_size(), vocab_size)
    return tok


def make(family, out):
    import torch
    import transformers

    cfg_name, model_name, label, kw = FAMILIES[family]
    kw = dict(kw)
    vocab, tok_kind = kw.pop("vocab", None), kw.pop("tok", None)
    if vocab is not None:
        kw["vocab_size"] = vocab
    cfg = getattr(transformers, cfg_name)(num_labels=4, **kw)
    transformers.utils.logging.disable_progress_bar()
    torch.manual_seed(0)
    model = getattr(transformers, model_name)(cfg).eval()
    os.makedirs(out, exist_ok=True)
    model.save_pretrained(out)  # model.safetensors
    if family in IMAGE_FAMILIES:
        with open(os.path.join(out, "preprocessor_config.json"), "w") as f:
            json.dump({"do_resize": False, "do_center_crop": False, "do_rescale": True,
                       "rescale_factor": 1 / 255, "do_normalize": True,
                       "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]},
                      f, indent=2)
    else:
        tokenizer(tok_kind, vocab).save(os.path.join(out, "tokenizer.json"))
        max_len = 512
        with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
            json.dump({"model_max_length": max_len}, f, indent=2)
    n = sum(p.numel() for p in model.parameters())
    print(json.dumps({"family": family, "size": label, "parameters": n,
                      "transformers": transformers.__version__}))


def data(out, n_images, n_texts):
    from PIL import Image

    img_root = os.path.join(out, f"images-{n_images}")
    if not os.path.isdir(img_root):
        rng = np.random.default_rng(42)
        yy, xx = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE] / IMAGE_SIZE
        for i in range(n_images):
            d = os.path.join(img_root, f"class{i % 4}")
            os.makedirs(d, exist_ok=True)
            # Smooth colour waves plus noise: natural-looking value ranges, deterministic.
            f = rng.uniform(1, 8, size=(3, 2))
            ph = rng.uniform(0, 2 * np.pi, size=3)
            img = np.stack([0.5 + 0.4 * np.sin(2 * np.pi * (f[c, 0] * xx + f[c, 1] * yy) + ph[c])
                            for c in range(3)], -1)
            img = np.clip(img * 255 + rng.normal(0, 20, img.shape), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(os.path.join(d, f"img{i:04d}.png"))
    rng = random.Random(42)
    vocab = words(N_WORDS)
    text = lambda lo, hi: " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi)))
    with open(os.path.join(out, f"texts-{n_texts}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        for i in range(n_texts):
            w.writerow([text(4, 60), i % 4])
    with open(os.path.join(out, f"pairs-{n_texts}.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sentence1", "sentence2", "label"])
        for i in range(n_texts):
            w.writerow([text(4, 30), text(4, 30), i % 3])


def image_files(root):
    files = []
    for c in sorted(e for e in os.listdir(root) if os.path.isdir(os.path.join(root, e))):
        d = os.path.join(root, c)
        files += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.lower().endswith(".png")]
    return files


def run(a):
    import torch
    import transformers
    from PIL import Image

    torch.set_num_threads(a.threads)
    transformers.utils.logging.disable_progress_bar()
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    mt = cfg["model_type"]
    arch = getattr(transformers, cfg["architectures"][0])  # imports the modelling module
    started = time.perf_counter()
    model = arch.from_pretrained(a.model).eval()
    base = getattr(model, model.base_model_prefix)
    loaded = time.perf_counter() - started
    forward = 0.0
    if mt in IMAGE_FAMILIES:
        pp = json.load(open(os.path.join(a.model, "preprocessor_config.json")))
        mean = np.array(pp["image_mean"], dtype=np.float32)[:, None, None]
        std = np.array(pp["image_std"], dtype=np.float32)[:, None, None]
        files = image_files(a.dataset)
        feats = None
        with torch.no_grad():
            for s in range(0, len(files), a.batch_size):
                x = np.stack([np.asarray(Image.open(p).convert("RGB"), dtype=np.float32).transpose(2, 0, 1)
                              for p in files[s:s + a.batch_size]])
                x = (x * np.float32(pp["rescale_factor"]) - mean) / std
                t0 = time.perf_counter()
                o = base(pixel_values=torch.from_numpy(x))
                f = o.last_hidden_state[:, 0] if mt in ("vit", "deit") else o.pooler_output.flatten(1)
                forward += time.perf_counter() - t0
                feats = f.numpy() if feats is None else np.concatenate([feats, f.numpy()])
        n = len(files)
    else:
        from tokenizers import Tokenizer

        rows = list(csv.DictReader(open(a.dataset)))
        inputs = [(r["sentence1"], r["sentence2"]) if "sentence1" in r else r["text"] for r in rows]
        length = lambda x: sum(len(t.encode()) for t in x) if isinstance(x, tuple) else len(x.encode())
        tok = Tokenizer.from_file(os.path.join(a.model, "tokenizer.json"))
        max_len = json.load(open(os.path.join(a.model, "tokenizer_config.json")))["model_max_length"]
        pad = cfg.get("pad_token_id") or 0
        offset = pad + 1 if mt in ("roberta", "xlm-roberta", "camembert") else 0
        tok.enable_truncation(min(max_len, cfg["max_position_embeddings"] - offset))
        tok.enable_padding(pad_id=pad, pad_token=tok.id_to_token(pad))
        types = cfg.get("type_vocab_size", 0) > 1
        feats = np.zeros((len(inputs), model.config.hidden_size), dtype=np.float32)
        win = a.batch_size * WINDOW_BATCHES
        with torch.no_grad():
            for w in range(0, len(inputs), win):
                idx = sorted(range(w, min(w + win, len(inputs))), key=lambda i: -length(inputs[i]))
                for s in range(0, len(idx), a.batch_size):
                    part = idx[s:s + a.batch_size]
                    enc = tok.encode_batch([inputs[i] for i in part])
                    kw = dict(input_ids=torch.tensor([e.ids for e in enc]),
                              attention_mask=torch.tensor([e.attention_mask for e in enc]))
                    if types:
                        kw["token_type_ids"] = torch.tensor([e.type_ids for e in enc])
                    t0 = time.perf_counter()
                    o = base(**kw)
                    f = o.pooler_output if mt == "albert" else o.last_hidden_state[:, 0]
                    forward += time.perf_counter() - t0
                    feats[part] = f.numpy()
        n = len(inputs)
    seconds = time.perf_counter() - started
    res = {"framework": f"pytorch {torch.__version__}", "transformers": transformers.__version__,
           "threads": torch.get_num_threads(), "samples": n, "seconds": seconds,
           "samples_per_second": n / seconds, "load_seconds": loaded, "forward_seconds": forward}
    if a.compare:
        z = np.load(a.compare)
        res["max_abs_diff_vs_zoorank"] = float(np.abs(z - feats).max())
        res["max_abs_feature"] = float(np.abs(feats).max())
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("family", choices=sorted(FAMILIES))
    m.add_argument("out")
    d = sub.add_parser("data")
    d.add_argument("out")
    d.add_argument("--images", type=int, default=32)
    d.add_argument("--texts", type=int, default=128)
    r = sub.add_parser("run")
    r.add_argument("model")
    r.add_argument("dataset")
    r.add_argument("--batch-size", type=int, default=32)
    r.add_argument("--threads", type=int, default=os.cpu_count())
    r.add_argument("--compare")
    a = ap.parse_args()
    if a.cmd == "make":
        make(a.family, a.out)
    elif a.cmd == "data":
        data(a.out, a.images, a.texts)
    else:
        run(a)


if __name__ == "__main__":
    sys.exit(main())
