"""Tiny real-format image checkpoints and an independent float64 NumPy reference forward pass.

Writes, under ../fixtures/:
  tiny-vit/     config.json, preprocessor_config.json, model.safetensors  (ViTForImageClassification layout)
  tiny-vit-headless/  the same ViT as a bare ViTModel (no prefix, no classifier head)
  tiny-resnet/  config.json, preprocessor_config.json, model.safetensors  (ResNetForImageClassification layout,
                bottleneck blocks, crop_pct preprocessing as microsoft/resnet-50 has it)
  digits/       PNGs of scikit-learn's `digits` (8×8, 0..16) upscaled ×4 by pixel repetition to 32×32
                grey RGB, by class (root/<class>/<i>.png), 4 per class
  vision_reference.json  features and class probabilities of both models on the first image of each
                digit class (preprocessed exactly: the images are already 32×32, so no resampling), plus
                Pillow's preprocessing of one 40×48 image for the crop_pct / resize check.
Weights are random (seeded), so only the architecture and file format are real.

Made with Python 3.11, numpy 2.4.6, safetensors 0.8.0, scikit-learn 1.9.1, Pillow 13.0.0:
    pip install numpy safetensors scikit-learn pillow
    python3 crates/features/tests/reference/vision_reference.py
"""
import json
import math
import os
import shutil

import numpy as np
from PIL import Image
from safetensors.numpy import save_file
from sklearn.datasets import load_digits

from reference_ops import FIX, MEAN, STD, conv2d, gaussian, gelu, layer_norm, softmax

rng = np.random.default_rng(20261126)
randn = gaussian(rng)
LABELS = 10


def maxpool3s2p1(x):
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    h, w = x.shape[2], x.shape[3]
    ho, wo = (h - 1) // 2 + 1, (w - 1) // 2 + 1
    out = np.full((x.shape[0], x.shape[1], ho, wo), -np.inf)
    for ky in range(3):
        for kx in range(3):
            out = np.maximum(out, xp[:, :, ky : ky + 2 * ho : 2, kx : kx + 2 * wo : 2])
    return out


# ---------------------------------------------------------------- ViT
VIT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
           image_size=32, patch_size=8, num_channels=3, layer_norm_eps=1e-12, hidden_act="gelu",
           qkv_bias=True)


def make_vit():
    h, p, n = VIT["hidden_size"], VIT["patch_size"], (VIT["image_size"] // VIT["patch_size"]) ** 2
    t = {
        "vit.embeddings.cls_token": randn(1, 1, h),
        "vit.embeddings.position_embeddings": randn(1, n + 1, h),
        "vit.embeddings.patch_embeddings.projection.weight": randn(h, 3, p, p, scale=0.05),
        "vit.embeddings.patch_embeddings.projection.bias": randn(h),
        "vit.layernorm.weight": 1 + randn(h), "vit.layernorm.bias": randn(h),
        "classifier.weight": randn(LABELS, h), "classifier.bias": randn(LABELS),
    }
    for i in range(VIT["num_hidden_layers"]):
        q = f"vit.encoder.layer.{i}."
        for name, (o, k) in {
            "attention.attention.query": (h, h), "attention.attention.key": (h, h),
            "attention.attention.value": (h, h), "attention.output.dense": (h, h),
            "intermediate.dense": (VIT["intermediate_size"], h), "output.dense": (h, VIT["intermediate_size"]),
        }.items():
            t[q + name + ".weight"] = randn(o, k)
            t[q + name + ".bias"] = randn(o)
        for ln in ("layernorm_before", "layernorm_after"):
            t[q + ln + ".weight"] = 1 + randn(h)
            t[q + ln + ".bias"] = randn(h)
    return t


def vit_forward(x, t):
    f = {k: v.astype(np.float64) for k, v in t.items()}
    h, nh = VIT["hidden_size"], VIT["num_attention_heads"]
    dh, eps, p = h // nh, VIT["layer_norm_eps"], VIT["patch_size"]
    emb = conv2d(x, f["vit.embeddings.patch_embeddings.projection.weight"], None, p, 0)
    emb = emb + f["vit.embeddings.patch_embeddings.projection.bias"][None, :, None, None]
    b = x.shape[0]
    emb = emb.reshape(b, h, -1).transpose(0, 2, 1)
    z = np.concatenate([np.repeat(f["vit.embeddings.cls_token"], b, 0), emb], 1) + f["vit.embeddings.position_embeddings"]
    n = z.shape[1]
    lin = lambda y, name: y @ f[name + ".weight"].T + f[name + ".bias"]
    for i in range(VIT["num_hidden_layers"]):
        q = f"vit.encoder.layer.{i}."
        y = layer_norm(z, f[q + "layernorm_before.weight"], f[q + "layernorm_before.bias"], eps)
        heads = lambda name: lin(y, q + name).reshape(b, n, nh, dh).transpose(0, 2, 1, 3)
        qq, kk, vv = heads("attention.attention.query"), heads("attention.attention.key"), heads("attention.attention.value")
        a = softmax(qq @ kk.transpose(0, 1, 3, 2) / math.sqrt(dh))
        ctx = (a @ vv).transpose(0, 2, 1, 3).reshape(b, n, h)
        z = z + lin(ctx, q + "attention.output.dense")
        y = layer_norm(z, f[q + "layernorm_after.weight"], f[q + "layernorm_after.bias"], eps)
        inter = gelu(lin(y, q + "intermediate.dense"))
        z = z + lin(inter, q + "output.dense")
    feat = layer_norm(z[:, 0], f["vit.layernorm.weight"], f["vit.layernorm.bias"], eps)
    return feat, softmax(lin(feat, "classifier"))


# ---------------------------------------------------------------- ResNet (HF layout)
RES = dict(num_channels=3, embedding_size=8, hidden_sizes=[16, 32], depths=[1, 2],
           layer_type="bottleneck", hidden_act="relu", downsample_in_first_stage=False,
           downsample_in_bottleneck=False, image_size=32)


def conv_bn(t, prefix, cin, cout, k):
    t[prefix + "convolution.weight"] = randn(cout, cin, k, k, scale=math.sqrt(2.0 / (cin * k * k)))
    t[prefix + "normalization.weight"] = 1 + randn(cout, scale=0.1)
    t[prefix + "normalization.bias"] = randn(cout, scale=0.1)
    t[prefix + "normalization.running_mean"] = randn(cout, scale=0.1)
    t[prefix + "normalization.running_var"] = (0.5 + rng.random(cout)).astype(np.float32)
    t[prefix + "normalization.num_batches_tracked"] = np.array(7, dtype=np.int64)


def res_blocks():
    cin = RES["embedding_size"]
    for s, (cout, depth) in enumerate(zip(RES["hidden_sizes"], RES["depths"])):
        for l in range(depth):
            stride = 2 if (l == 0 and (s > 0 or RES["downsample_in_first_stage"])) else 1
            yield f"resnet.encoder.stages.{s}.layers.{l}.", cin, cout, stride
            cin = cout


def make_resnet():
    t = {}
    conv_bn(t, "resnet.embedder.embedder.", 3, RES["embedding_size"], 7)
    for p, cin, cout, stride in res_blocks():
        if cin != cout or stride != 1:
            conv_bn(t, p + "shortcut.", cin, cout, 1)
        mid = cout // 4
        conv_bn(t, p + "layer.0.", cin, mid, 1)
        conv_bn(t, p + "layer.1.", mid, mid, 3)
        conv_bn(t, p + "layer.2.", mid, cout, 1)
    t["classifier.1.weight"] = randn(LABELS, RES["hidden_sizes"][-1])
    t["classifier.1.bias"] = randn(LABELS)
    return t


def resnet_forward(x, t):
    f = {k: v.astype(np.float64) for k, v in t.items()}

    def cb(y, prefix, stride, relu):
        k = f[prefix + "convolution.weight"].shape[-1]
        y = conv2d(y, f[prefix + "convolution.weight"], None, stride, k // 2)
        g = lambda n: f[prefix + "normalization." + n][None, :, None, None]
        y = (y - g("running_mean")) / np.sqrt(g("running_var") + 1e-5) * g("weight") + g("bias")
        return np.maximum(y, 0) if relu else y

    y = maxpool3s2p1(cb(x, "resnet.embedder.embedder.", 2, True))
    for p, cin, cout, stride in res_blocks():
        skip = cb(y, p + "shortcut.", stride, False) if (cin != cout or stride != 1) else y
        z = cb(y, p + "layer.0.", 1, True)
        z = cb(z, p + "layer.1.", stride, True)
        z = cb(z, p + "layer.2.", 1, False)
        y = np.maximum(z + skip, 0)
    feat = y.mean((2, 3))
    logits = feat @ f["classifier.1.weight"].T + f["classifier.1.bias"]
    return feat, softmax(logits)


def write_model(name, config, preproc, tensors):
    d = os.path.join(FIX, name)
    os.makedirs(d, exist_ok=True)
    config = dict(config, id2label={str(i): f"digit_{i}" for i in range(LABELS)},
                  label2id={f"digit_{i}": i for i in range(LABELS)})
    json.dump(config, open(os.path.join(d, "config.json"), "w"), indent=1)
    json.dump(preproc, open(os.path.join(d, "preprocessor_config.json"), "w"), indent=1)
    save_file(tensors, os.path.join(d, "model.safetensors"))


def main():
    vit = make_vit()
    write_model("tiny-vit", dict(VIT, model_type="vit", architectures=["ViTForImageClassification"]),
                dict(do_resize=True, size={"height": 32, "width": 32}, resample=2, do_rescale=True,
                     rescale_factor=1 / 255, do_normalize=True, image_mean=MEAN, image_std=STD,
                     image_processor_type="ViTImageProcessor"), vit)
    res = make_resnet()
    write_model("tiny-resnet", dict(RES, model_type="resnet", architectures=["ResNetForImageClassification"]),
                dict(do_resize=True, size={"shortest_edge": 32}, crop_pct=0.875, resample=3,
                     do_rescale=True, rescale_factor=1 / 255, do_normalize=True, image_mean=MEAN,
                     image_std=STD, image_processor_type="ConvNextImageProcessor"), res)

    digits = load_digits()
    root = os.path.join(FIX, "digits")
    shutil.rmtree(root, ignore_errors=True)
    firsts = []
    for c in range(10):
        os.makedirs(os.path.join(root, str(c)))
        idx = np.flatnonzero(digits.target == c)[:4]
        for j, i in enumerate(idx):
            g = np.kron(digits.images[i], np.ones((4, 4))) * (255.0 / 16.0)
            g = np.round(g).astype(np.uint8)
            Image.fromarray(np.stack([g] * 3, -1)).save(os.path.join(root, str(c), f"{j}.png"))
            if j == 0:
                firsts.append(g)
    x = np.stack([np.stack([g / 255.0] * 3) for g in firsts])  # (10, 3, 32, 32)
    x = (x - np.array(MEAN)[None, :, None, None]) / np.array(STD)[None, :, None, None]
    vf, vp = vit_forward(x, vit)
    rf, rp = resnet_forward(x, res)

    # Pillow's crop_pct preprocessing of a 40×48 (h×w) colour image: shortest edge 32/0.875 = 36
    # (HF truncates), long edge int(36·48/40) = 43, bicubic, centre crop 32×32.
    img = (rng.random((40, 48, 3)) * 255).astype(np.uint8)
    Image.fromarray(img).save(os.path.join(FIX, "rgb_40x48.png"))
    r = np.asarray(Image.fromarray(img).resize((43, 36), Image.BICUBIC)).astype(np.float64)
    top, left = (36 - 32) // 2, (43 - 32) // 2
    r = r[top : top + 32, left : left + 32].transpose(2, 0, 1) / 255.0
    r = (r - np.array(MEAN)[:, None, None]) / np.array(STD)[:, None, None]

    doc = {
        "provenance": "crates/features/tests/reference/vision_reference.py (float64 NumPy forward passes)",
        "images": [f"digits/{c}/0.png" for c in range(10)],
        "vit": {"features": vf.tolist(), "probabilities": vp.tolist()},
        "resnet": {"features": rf.tolist(), "probabilities": rp.tolist()},
        "pillow_preprocessed_rgb_40x48": r.reshape(-1).tolist(),
    }
    json.dump(doc, open(os.path.join(FIX, "vision_reference.json"), "w"))

    # The same ViT saved as a bare ViTModel: no "vit." prefix, no classifier, with the (unused)
    # pooler ViTModel has. Its features must equal tiny-vit's.
    bare = {k.removeprefix("vit."): v for k, v in vit.items() if not k.startswith("classifier")}
    bare["pooler.dense.weight"] = randn(VIT["hidden_size"], VIT["hidden_size"])
    bare["pooler.dense.bias"] = randn(VIT["hidden_size"])
    d = os.path.join(FIX, "tiny-vit-headless")
    os.makedirs(d, exist_ok=True)
    json.dump(dict(VIT, model_type="vit", architectures=["ViTModel"]), open(os.path.join(d, "config.json"), "w"), indent=1)
    shutil.copy(os.path.join(FIX, "tiny-vit", "preprocessor_config.json"), d)
    save_file(bare, os.path.join(d, "model.safetensors"))
    print("ok", vf.shape, rf.shape)


if __name__ == "__main__":
    main()
