"""Tiny real-format ConvNeXt checkpoint and an independent float64 NumPy reference forward pass.

Writes, under ../fixtures/:
  tiny-convnext/  config.json, preprocessor_config.json, model.safetensors
                  (ConvNextForImageClassification layout: `convnext.` prefix, 3 stages with
                  down-sampling layers, layer-scale parameters, a 10-class `classifier`)
  convnext_reference.json  pooled features and class probabilities on the first image of each
                  digit class of ../fixtures/digits (made by vision_reference.py), fed as exactly
                  normalised 32×32 pixels (the crop_pct preprocessing is checked against Pillow by
                  the vision tests).
Weights are random (seeded), so only the architecture and file format are real. The forward pass
follows Hugging Face transformers' modeling_convnext.py: patchify stem + channels-first
LayerNorm (eps 1e-6), per stage an optional LayerNorm + 2×2 stride-2 down-sampling conv, blocks
x + gamma * pw2(GELU(pw1(LN(dwconv7x7(x))))), and LayerNorm(mean over H, W) with
config.layer_norm_eps as the pooled output.

Made with Python 3.11, numpy 2.4.6, safetensors 0.8.0, Pillow 13.0.0:
    pip install numpy safetensors pillow
    python3 crates/features/tests/reference/convnext_reference.py
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

from reference_ops import FIX, MEAN, STD, conv2d, gaussian, gelu, layer_norm, softmax

rng = np.random.default_rng(6_0003)
randn = gaussian(rng)
LABELS = 10

CFG = dict(model_type="convnext", architectures=["ConvNextForImageClassification"],
           num_channels=3, patch_size=4, num_stages=3, hidden_sizes=[8, 16, 24], depths=[1, 2, 1],
           hidden_act="gelu", initializer_range=0.02, layer_norm_eps=1e-12,
           layer_scale_init_value=1e-6, drop_path_rate=0.0, image_size=32,
           id2label={str(i): str(i) for i in range(LABELS)},
           label2id={str(i): i for i in range(LABELS)})
PRE = {"do_resize": True, "size": {"shortest_edge": 32}, "crop_pct": 0.875, "resample": 3,
       "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
       "image_mean": MEAN, "image_std": STD, "image_processor_type": "ConvNextImageProcessor"}


def ln_cf(x, t, name, eps=1e-6):
    return layer_norm(x.transpose(0, 2, 3, 1), t[name + ".weight"], t[name + ".bias"], eps).transpose(0, 3, 1, 2)


def make():
    t = {}
    p = "convnext."
    hs, ps = CFG["hidden_sizes"], CFG["patch_size"]
    t[p + "embeddings.patch_embeddings.weight"] = randn(hs[0], 3, ps, ps, scale=0.3)
    t[p + "embeddings.patch_embeddings.bias"] = randn(hs[0])
    t[p + "embeddings.layernorm.weight"] = 1 + randn(hs[0], scale=0.1)
    t[p + "embeddings.layernorm.bias"] = randn(hs[0], scale=0.1)
    cin = hs[0]
    for s, (cout, depth) in enumerate(zip(hs, CFG["depths"])):
        q = f"{p}encoder.stages.{s}."
        if s > 0:
            t[q + "downsampling_layer.0.weight"] = 1 + randn(cin, scale=0.1)
            t[q + "downsampling_layer.0.bias"] = randn(cin, scale=0.1)
            t[q + "downsampling_layer.1.weight"] = randn(cout, cin, 2, 2, scale=math.sqrt(1.0 / (cin * 4)))
            t[q + "downsampling_layer.1.bias"] = randn(cout)
        for l in range(depth):
            r = f"{q}layers.{l}."
            t[r + "dwconv.weight"] = randn(cout, 1, 7, 7, scale=0.15)
            t[r + "dwconv.bias"] = randn(cout)
            t[r + "layernorm.weight"] = 1 + randn(cout, scale=0.1)
            t[r + "layernorm.bias"] = randn(cout, scale=0.1)
            t[r + "pwconv1.weight"] = randn(4 * cout, cout, scale=math.sqrt(1.0 / cout))
            t[r + "pwconv1.bias"] = randn(4 * cout)
            t[r + "pwconv2.weight"] = randn(cout, 4 * cout, scale=math.sqrt(1.0 / (4 * cout)))
            t[r + "pwconv2.bias"] = randn(cout)
            # Trained checkpoints have layer scales far from their 1e-6 initial value.
            t[r + "layer_scale_parameter"] = (0.5 + rng.random(cout)).astype(np.float32)
        cin = cout
    t[p + "layernorm.weight"] = 1 + randn(cin, scale=0.1)
    t[p + "layernorm.bias"] = randn(cin, scale=0.1)
    t["classifier.weight"] = randn(LABELS, cin)
    t["classifier.bias"] = randn(LABELS)
    return t


def forward(x, t):
    f = {k: v.astype(np.float64) for k, v in t.items()}
    p = "convnext."
    ps = CFG["patch_size"]
    x = conv2d(x, f[p + "embeddings.patch_embeddings.weight"], f[p + "embeddings.patch_embeddings.bias"], ps, 0)
    x = ln_cf(x, f, p + "embeddings.layernorm")
    for s, (cout, depth) in enumerate(zip(CFG["hidden_sizes"], CFG["depths"])):
        q = f"{p}encoder.stages.{s}."
        if s > 0:
            x = ln_cf(x, f, q + "downsampling_layer.0")
            x = conv2d(x, f[q + "downsampling_layer.1.weight"], f[q + "downsampling_layer.1.bias"], 2, 0)
        for l in range(depth):
            r = f"{q}layers.{l}."
            y = conv2d(x, f[r + "dwconv.weight"], f[r + "dwconv.bias"], 1, 3, groups=cout)
            y = y.transpose(0, 2, 3, 1)
            y = layer_norm(y, f[r + "layernorm.weight"], f[r + "layernorm.bias"], 1e-6)
            y = y @ f[r + "pwconv1.weight"].T + f[r + "pwconv1.bias"]
            y = gelu(y)
            y = y @ f[r + "pwconv2.weight"].T + f[r + "pwconv2.bias"]
            y = y * f[r + "layer_scale_parameter"]
            x = x + y.transpose(0, 3, 1, 2)
    pooled = layer_norm(x.mean((2, 3)), f[p + "layernorm.weight"], f[p + "layernorm.bias"], CFG["layer_norm_eps"])
    return pooled, softmax(pooled @ f["classifier.weight"].T + f["classifier.bias"])


def main():
    t = make()
    out = os.path.join(FIX, "tiny-convnext")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "config.json"), "w") as fh:
        json.dump(CFG, fh, indent=2)
    with open(os.path.join(out, "preprocessor_config.json"), "w") as fh:
        json.dump(PRE, fh, indent=1)
    save_file(t, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
    images = [f"digits/{c}/0.png" for c in range(10)]
    x = np.stack([np.asarray(Image.open(os.path.join(FIX, p)).convert("RGB")).astype(np.float64) / 255.0
                  for p in images])
    x = ((x - np.array(MEAN)) / np.array(STD)).transpose(0, 3, 1, 2)
    feats, probs = forward(x, t)
    doc = {
        "provenance": "crates/features/tests/reference/convnext_reference.py (float64 NumPy forward pass)",
        "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
        "images": images,
        "convnext": {"features": feats.tolist(), "probabilities": probs.tolist()},
    }
    with open(os.path.join(FIX, "convnext_reference.json"), "w") as fh:
        json.dump(doc, fh, indent=1)
    print("wrote", out, "and convnext_reference.json; feature std", feats.std())


if __name__ == "__main__":
    main()
