"""Tiny real-format DeiT, BEiT, Data2Vec-vision, Swin and VAN checkpoints and independent float64
NumPy reference forward passes.

Writes, under ../fixtures/:
  tiny-deit/             DeiTForImageClassification (`deit.` prefix, one `classifier` on [CLS])
  tiny-deit-distilled/   DeiTForImageClassificationWithTeacher (`cls_classifier` on [CLS],
                         `distillation_classifier` on the distillation token, logits averaged)
  tiny-beit/             BeitForImageClassification: a relative position bias per layer, layer
                         scales, mean pooling of the patch tokens + the pooler's LayerNorm
  tiny-data2vec-vision/  Data2VecVisionForImageClassification: one relative position bias shared
                         by all layers, absolute position embeddings, no mean pooling ([CLS] after
                         the final LayerNorm)
  tiny-swin/             SwinForImageClassification: 3 stages, windows of 4 (shifted in every
                         second block), patch merging, LayerNorm + mean over tokens
  tiny-swin-padded/      the same family with windows of 3, which do not divide the 16×16 and 8×8
                         token grids, so every block pads its input
  tiny-van/              VanForImageClassification: overlapping patch embeddings, large-kernel
                         attention (5×5 depth-wise, 7×7 depth-wise dilated by 3, 1×1), batch norms,
                         layer scales, a LayerNorm closing each stage, global average pooling
  image_families_reference.json  features and class probabilities of each model on the first
                         image of each digit class of ../fixtures/digits (made by
                         vision_reference.py), fed as exactly normalised 32×32 pixels.
Weights are random (seeded), so only the architecture and the file format are real. The forward
passes follow the semantics of Hugging Face transformers' modeling_deit.py, modeling_beit.py,
modeling_data2vec_vision.py, modeling_swin.py and modeling_van.py, written here from the papers'
and the models' documented behaviour:
  * features are what the classifier head reads: DeiT's LayerNorm-ed [CLS]; for the distilled
    DeiT the mean of the [CLS] and distillation tokens (timm's pre-logits; the head averages the
    two heads' logits); BEiT's pooled output; Swin's and VAN's global averages.
  * attention is softmax(q kᵀ / √d + B) v with B the relative position bias where the family has
    one (BEiT's table has three extra entries for [CLS]→patch, patch→[CLS] and [CLS]→[CLS]); Swin
    adds −100 between tokens of different regions of a shifted window.

Made with Python 3.11, numpy 2.4.6, safetensors 0.8.0, Pillow 13.0.0:
    pip install numpy safetensors pillow
    python3 crates/features/tests/reference/image_families_reference.py
"""
import json
import math
import os
import sys

import numpy as np
from PIL import Image
from safetensors.numpy import save_file

from reference_ops import FIX, MEAN, STD, conv2d, gaussian, gelu, layer_norm, softmax

rng = np.random.default_rng(2_0020)
randn = gaussian(rng)
LABELS = 10
LABEL_MAPS = dict(id2label={str(i): f"digit_{i}" for i in range(LABELS)},
                  label2id={f"digit_{i}": i for i in range(LABELS)})
# The processors of the tiny checkpoints are the identity on 32×32 digits (apart from the
# normalisation), as the ViT fixture's is.
PRE = dict(do_resize=True, size={"height": 32, "width": 32}, resample=3, do_rescale=True,
           rescale_factor=1 / 255, do_normalize=True, image_mean=MEAN, image_std=STD)


def f64(t):
    return {k: v.astype(np.float64) for k, v in t.items()}


def lin(x, f, name, bias=True):
    y = x @ f[name + ".weight"].T
    return y + f[name + ".bias"] if bias else y


def ln(x, f, name, eps):
    return layer_norm(x, f[name + ".weight"], f[name + ".bias"], eps)


def add_linear(t, name, o, i, bias=True, scale=None):
    t[name + ".weight"] = randn(o, i, scale=scale if scale is not None else math.sqrt(1.0 / i))
    if bias:
        t[name + ".bias"] = randn(o, scale=0.1)


def add_ln(t, name, d):
    t[name + ".weight"] = 1 + randn(d, scale=0.1)
    t[name + ".bias"] = randn(d, scale=0.1)


def attention(x, f, q, heads, key_bias=True, extra=None):
    """Multi-head self-attention of x (..., n, d) with the Hugging Face names `q.query`,
    `q.key`, `q.value`; `extra` (broadcastable to (..., heads, n, n)) is added to the scores."""
    *lead, n, d = x.shape
    dh = d // heads

    def split(name, bias=True):
        return lin(x, f, q + name, bias).reshape(*lead, n, heads, dh).swapaxes(-2, -3)

    qq, kk, vv = split("query"), split("key", key_bias), split("value")
    s = qq @ kk.swapaxes(-1, -2) / math.sqrt(dh)
    if extra is not None:
        s = s + extra
    ctx = softmax(s) @ vv
    return ctx.swapaxes(-2, -3).reshape(*lead, n, d)


def patchify(x, f, name, p):
    """Non-overlapping p×p patches projected by the convolution `name`: (b, n_patches, d),
    row-major over the patch grid."""
    y = conv2d(x, f[name + ".weight"], f[name + ".bias"], p, 0)
    b, d = y.shape[:2]
    return y.reshape(b, d, -1).transpose(0, 2, 1)


def add_vit_layers(t, prefix, cfg, key_bias=True, layer_scale=False, rel_bias=None):
    h, i = cfg["hidden_size"], cfg["intermediate_size"]
    for l in range(cfg["num_hidden_layers"]):
        q = f"{prefix}encoder.layer.{l}."
        for name in ("query", "key", "value"):
            add_linear(t, q + "attention.attention." + name, h, h,
                       bias=key_bias or name != "key")
        add_linear(t, q + "attention.output.dense", h, h)
        add_linear(t, q + "intermediate.dense", i, h)
        add_linear(t, q + "output.dense", h, i)
        add_ln(t, q + "layernorm_before", h)
        add_ln(t, q + "layernorm_after", h)
        if layer_scale:
            # Trained checkpoints have layer scales far from their initial value.
            t[q + "lambda_1"] = (0.3 + rng.random(h)).astype(np.float32)
            t[q + "lambda_2"] = (0.3 + rng.random(h)).astype(np.float32)
        if rel_bias is not None:
            t[q + "attention.attention.relative_position_bias.relative_position_bias_table"] = \
                randn(rel_bias, cfg["num_attention_heads"], scale=0.5)


def vit_layers(z, f, prefix, cfg, key_bias=True, rel_index=None, shared_bias=None):
    eps, heads = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    for l in range(cfg["num_hidden_layers"]):
        q = f"{prefix}encoder.layer.{l}."
        extra = shared_bias
        table = q + "attention.attention.relative_position_bias.relative_position_bias_table"
        if table in f:
            own = f[table][rel_index].transpose(2, 0, 1)
            extra = own if extra is None else extra + own
        y = attention(ln(z, f, q + "layernorm_before", eps), f, q + "attention.attention.",
                      heads, key_bias, extra)
        y = lin(y, f, q + "attention.output.dense")
        if q + "lambda_1" in f:
            y = y * f[q + "lambda_1"]
        z = z + y
        y = lin(gelu(lin(ln(z, f, q + "layernorm_after", eps), f, q + "intermediate.dense")), f,
                q + "output.dense")
        if q + "lambda_2" in f:
            y = y * f[q + "lambda_2"]
        z = z + y
    return z


# ---------------------------------------------------------------- DeiT
DEIT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            image_size=32, patch_size=8, num_channels=3, layer_norm_eps=1e-12, hidden_act="gelu",
            qkv_bias=True, encoder_stride=16)


def make_deit(distilled):
    h, p = DEIT["hidden_size"], DEIT["patch_size"]
    n = (DEIT["image_size"] // p) ** 2
    t = {"deit.embeddings.cls_token": randn(1, 1, h),
         "deit.embeddings.distillation_token": randn(1, 1, h),
         "deit.embeddings.position_embeddings": randn(1, n + 2, h),
         "deit.embeddings.patch_embeddings.projection.weight": randn(h, 3, p, p, scale=0.05),
         "deit.embeddings.patch_embeddings.projection.bias": randn(h)}
    add_vit_layers(t, "deit.", DEIT)
    add_ln(t, "deit.layernorm", h)
    if distilled:
        add_linear(t, "cls_classifier", LABELS, h, scale=0.5)
        add_linear(t, "distillation_classifier", LABELS, h, scale=0.5)
    else:
        add_linear(t, "classifier", LABELS, h, scale=0.5)
    return t


def deit_forward(x, t):
    f = f64(t)
    e = patchify(x, f, "deit.embeddings.patch_embeddings.projection", DEIT["patch_size"])
    b = x.shape[0]
    tok = lambda name: np.repeat(f["deit.embeddings." + name], b, 0)
    z = np.concatenate([tok("cls_token"), tok("distillation_token"), e], 1)
    z = z + f["deit.embeddings.position_embeddings"]
    z = ln(vit_layers(z, f, "deit.", DEIT), f, "deit.layernorm", DEIT["layer_norm_eps"])
    if "classifier.weight" in f:
        feat = z[:, 0]
        return feat, softmax(lin(feat, f, "classifier"))
    logits = (lin(z[:, 0], f, "cls_classifier") + lin(z[:, 1], f, "distillation_classifier")) / 2
    return (z[:, 0] + z[:, 1]) / 2, softmax(logits)


# ---------------------------------------------------------------- BEiT / Data2Vec-vision
BEIT = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
            image_size=32, patch_size=8, num_channels=3, layer_norm_eps=1e-12, hidden_act="gelu",
            use_mask_token=False, layer_scale_init_value=0.1, drop_path_rate=0.0,
            vocab_size=8192, out_indices=[3, 5, 7, 11], pool_scales=[1, 2, 3, 6],
            semantic_loss_ignore_index=255)


def beit_relative_index(wh, ww):
    """Index into a BEiT relative position table for every (query, key) pair of the [CLS] +
    wh×ww patch sequence: patch pairs by their (dy, dx) offset, then three entries of their own
    for [CLS] as query, [CLS] as key, and [CLS] with itself."""
    ys, xs = np.divmod(np.arange(wh * ww), ww)
    dy = ys[:, None] - ys[None, :] + wh - 1
    dx = xs[:, None] - xs[None, :] + ww - 1
    n_dist = (2 * wh - 1) * (2 * ww - 1)
    idx = np.zeros((wh * ww + 1, wh * ww + 1), dtype=np.int64)
    idx[1:, 1:] = dy * (2 * ww - 1) + dx
    idx[0, 1:] = n_dist
    idx[1:, 0] = n_dist + 1
    idx[0, 0] = n_dist + 2
    return idx


def make_beit(prefix, cfg):
    h, p = cfg["hidden_size"], cfg["patch_size"]
    g = cfg["image_size"] // p
    n_table = (2 * g - 1) ** 2 + 3
    t = {prefix + "embeddings.cls_token": randn(1, 1, h),
         prefix + "embeddings.patch_embeddings.projection.weight": randn(h, 3, p, p, scale=0.05),
         prefix + "embeddings.patch_embeddings.projection.bias": randn(h)}
    if cfg["use_absolute_position_embeddings"]:
        t[prefix + "embeddings.position_embeddings"] = randn(1, g * g + 1, h)
    add_vit_layers(t, prefix, cfg, key_bias=False, layer_scale=True,
                   rel_bias=n_table if cfg["use_relative_position_bias"] else None)
    if cfg["use_shared_relative_position_bias"]:
        t[prefix + "encoder.relative_position_bias.relative_position_bias_table"] = \
            randn(n_table, cfg["num_attention_heads"], scale=0.5)
    if cfg["use_mean_pooling"]:
        add_ln(t, prefix + "pooler.layernorm", h)
    else:
        add_ln(t, prefix + "layernorm", h)
    add_linear(t, "classifier", LABELS, h, scale=0.5)
    return t


def beit_forward(x, t, prefix, cfg):
    f = f64(t)
    eps = cfg["layer_norm_eps"]
    g = cfg["image_size"] // cfg["patch_size"]
    e = patchify(x, f, prefix + "embeddings.patch_embeddings.projection", cfg["patch_size"])
    z = np.concatenate([np.repeat(f[prefix + "embeddings.cls_token"], x.shape[0], 0), e], 1)
    if prefix + "embeddings.position_embeddings" in f:
        z = z + f[prefix + "embeddings.position_embeddings"]
    idx = beit_relative_index(g, g)
    shared = prefix + "encoder.relative_position_bias.relative_position_bias_table"
    shared_bias = f[shared][idx].transpose(2, 0, 1) if shared in f else None
    z = vit_layers(z, f, prefix, cfg, key_bias=False, rel_index=idx, shared_bias=shared_bias)
    if cfg["use_mean_pooling"]:
        feat = ln(z[:, 1:].mean(1), f, prefix + "pooler.layernorm", eps)
    else:
        feat = ln(z, f, prefix + "layernorm", eps)[:, 0]
    return feat, softmax(lin(feat, f, "classifier"))


# ---------------------------------------------------------------- Swin
SWIN = dict(image_size=32, patch_size=2, num_channels=3, embed_dim=8, depths=[2, 2, 1],
            num_heads=[2, 2, 4], window_size=4, mlp_ratio=2.0, qkv_bias=True, hidden_act="gelu",
            use_absolute_embeddings=False, layer_norm_eps=1e-5, drop_path_rate=0.0,
            encoder_stride=8, path_norm=True)


def make_swin(cfg):
    c, p = cfg["embed_dim"], cfg["patch_size"]
    ws = cfg["window_size"]
    t = {"swin.embeddings.patch_embeddings.projection.weight": randn(c, 3, p, p, scale=0.3),
         "swin.embeddings.patch_embeddings.projection.bias": randn(c)}
    add_ln(t, "swin.embeddings.norm", c)
    for s, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
        mlp = int(cfg["mlp_ratio"] * c)
        for j in range(depth):
            q = f"swin.encoder.layers.{s}.blocks.{j}."
            add_ln(t, q + "layernorm_before", c)
            for name in ("query", "key", "value"):
                add_linear(t, q + "attention.self." + name, c, c)
            t[q + "attention.self.relative_position_bias_table"] = randn((2 * ws - 1) ** 2, heads,
                                                                          scale=0.5)
            # The index buffer real checkpoints carry (its values are recomputed on load).
            t[q + "attention.self.relative_position_index"] = \
                swin_relative_index(ws).astype(np.int64)
            add_linear(t, q + "attention.output.dense", c, c)
            add_ln(t, q + "layernorm_after", c)
            add_linear(t, q + "intermediate.dense", mlp, c)
            add_linear(t, q + "output.dense", c, mlp)
        if s + 1 < len(cfg["depths"]):
            q = f"swin.encoder.layers.{s}.downsample."
            add_ln(t, q + "norm", 4 * c)
            add_linear(t, q + "reduction", 2 * c, 4 * c, bias=False)
            c *= 2
    add_ln(t, "swin.layernorm", c)
    add_linear(t, "classifier", LABELS, c, scale=0.5)
    return t


def swin_relative_index(ws):
    ys, xs = np.divmod(np.arange(ws * ws), ws)
    return (ys[:, None] - ys[None, :] + ws - 1) * (2 * ws - 1) + (xs[:, None] - xs[None, :] + ws - 1)


def windows(x, ws):
    """(b, H, W, c) → (b, nW, ws², c), windows in row-major order."""
    b, hh, ww, c = x.shape
    x = x.reshape(b, hh // ws, ws, ww // ws, ws, c).transpose(0, 1, 3, 2, 4, 5)
    return x.reshape(b, -1, ws * ws, c)


def unwindows(y, ws, hh, ww):
    b, _, _, c = y.shape
    y = y.reshape(b, hh // ws, ww // ws, ws, ws, c).transpose(0, 1, 3, 2, 4, 5)
    return y.reshape(b, hh, ww, c)


def swin_block(x, f, q, ws, shift, heads, eps):
    b, hh, ww, c = x.shape
    y = ln(x, f, q + "layernorm_before", eps)
    ph, pw = (-hh) % ws, (-ww) % ws
    y = np.pad(y, ((0, 0), (0, ph), (0, pw), (0, 0)))
    H, W = hh + ph, ww + pw
    if shift:
        y = np.roll(y, (-shift, -shift), axis=(1, 2))
    win = windows(y, ws)  # (b, nW, N, c)
    extra = f[q + "attention.self.relative_position_bias_table"][swin_relative_index(ws)]
    extra = extra.transpose(2, 0, 1)[None, None]  # (1, 1, heads, N, N)
    if shift:
        # Label the regions the cyclic shift brings together; tokens of different regions in
        # one window may not attend to each other.
        region = np.zeros((H, W))
        bands = lambda n: [(0, n - ws), (n - ws, n - shift), (n - shift, n)]
        label = 0
        for (y0, y1) in bands(H):
            for (x0, x1) in bands(W):
                region[y0:y1, x0:x1] = label
                label += 1
        lab = windows(region[None, :, :, None], ws)[0, :, :, 0]  # (nW, N)
        mask = np.where(lab[:, :, None] != lab[:, None, :], -100.0, 0.0)
        extra = extra + mask[None, :, None]
    a = attention(win, f, q + "attention.self.", heads, extra=extra)
    a = lin(a, f, q + "attention.output.dense")
    a = unwindows(a, ws, H, W)
    if shift:
        a = np.roll(a, (shift, shift), axis=(1, 2))
    x = x + a[:, :hh, :ww]
    m = lin(gelu(lin(ln(x, f, q + "layernorm_after", eps), f, q + "intermediate.dense")), f,
            q + "output.dense")
    return x + m


def swin_forward(x, t, cfg):
    f = f64(t)
    eps = cfg["layer_norm_eps"]
    p = cfg["patch_size"]
    z = patchify(x, f, "swin.embeddings.patch_embeddings.projection", p)
    z = ln(z, f, "swin.embeddings.norm", 1e-5)
    hh = ww = cfg["image_size"] // p
    z = z.reshape(x.shape[0], hh, ww, -1)
    for s, (depth, heads) in enumerate(zip(cfg["depths"], cfg["num_heads"])):
        ws, shift = cfg["window_size"], cfg["window_size"] // 2
        if min(hh, ww) <= ws:
            ws, shift = min(hh, ww), 0
        for j in range(depth):
            z = swin_block(z, f, f"swin.encoder.layers.{s}.blocks.{j}.", ws,
                           shift if j % 2 == 1 else 0, heads, eps)
        if s + 1 < len(cfg["depths"]):
            z = np.pad(z, ((0, 0), (0, hh % 2), (0, ww % 2), (0, 0)))
            merged = np.concatenate([z[:, 0::2, 0::2], z[:, 1::2, 0::2], z[:, 0::2, 1::2],
                                     z[:, 1::2, 1::2]], -1)
            q = f"swin.encoder.layers.{s}.downsample."
            z = lin(ln(merged, f, q + "norm", 1e-5), f, q + "reduction", bias=False)
            hh, ww = z.shape[1], z.shape[2]
    z = ln(z, f, "swin.layernorm", eps)
    feat = z.reshape(z.shape[0], -1, z.shape[-1]).mean(1)
    return feat, softmax(lin(feat, f, "classifier"))


# ---------------------------------------------------------------- VAN
VAN = dict(image_size=32, num_channels=3, patch_sizes=[7, 3], strides=[4, 2], hidden_sizes=[8, 16],
           depths=[1, 2], mlp_ratios=[4, 2], hidden_act="gelu", initializer_range=0.02,
           layer_norm_eps=1e-6, layer_scale_init_value=1e-2, drop_path_rate=0.0, dropout_rate=0.0)


def add_conv(t, name, o, i_per_group, k):
    t[name + ".weight"] = randn(o, i_per_group, k, k, scale=math.sqrt(1.0 / (i_per_group * k * k)))
    t[name + ".bias"] = randn(o, scale=0.1)


def add_bn(t, name, c):
    add_ln(t, name, c)
    t[name + ".running_mean"] = randn(c, scale=0.2)
    t[name + ".running_var"] = (0.5 + rng.random(c)).astype(np.float32)
    t[name + ".num_batches_tracked"] = np.array(11, dtype=np.int64)


def make_van():
    t = {}
    cin = 3
    for s, (k, c, depth, r) in enumerate(zip(VAN["patch_sizes"], VAN["hidden_sizes"], VAN["depths"],
                                              VAN["mlp_ratios"])):
        q = f"van.encoder.stages.{s}."
        add_conv(t, q + "embeddings.convolution", c, cin, k)
        add_bn(t, q + "embeddings.normalization", c)
        for j in range(depth):
            l = f"{q}layers.{j}."
            add_bn(t, l + "pre_normomalization", c)
            add_conv(t, l + "attention.pre_projection.conv", c, c, 1)
            add_conv(t, l + "attention.attention_layer.attention.depth_wise", c, 1, 5)
            add_conv(t, l + "attention.attention_layer.attention.depth_wise_dilated", c, 1, 7)
            add_conv(t, l + "attention.attention_layer.attention.point_wise", c, c, 1)
            add_conv(t, l + "attention.post_projection", c, c, 1)
            t[l + "attention_scaling.weight"] = (0.3 + rng.random(c)).astype(np.float32)
            add_bn(t, l + "post_normalization", c)
            add_conv(t, l + "mlp.in_dense", c * r, c, 1)
            add_conv(t, l + "mlp.depth_wise", c * r, 1, 3)
            add_conv(t, l + "mlp.out_dense", c, c * r, 1)
            t[l + "mlp_scaling.weight"] = (0.3 + rng.random(c)).astype(np.float32)
        add_ln(t, q + "normalization", c)
        cin = c
    # VanModel has a final LayerNorm its forward pass never uses; checkpoints carry it.
    add_ln(t, "van.layernorm", cin)
    add_linear(t, "classifier", LABELS, cin, scale=0.5)
    return t


def conv_dilated_dw(x, w, b, dilation, pad):
    """Depth-wise (one filter per channel) k×k convolution with dilation, stride 1."""
    k = w.shape[-1]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    hh, ww = x.shape[2], x.shape[3]
    ho, wo = hh + 2 * pad - dilation * (k - 1), ww + 2 * pad - dilation * (k - 1)
    out = np.zeros((x.shape[0], x.shape[1], ho, wo))
    for ky in range(k):
        for kx in range(k):
            out += xp[:, :, ky * dilation: ky * dilation + ho, kx * dilation: kx * dilation + wo] \
                * w[None, :, 0, ky, kx, None, None]
    return out + b[None, :, None, None]


def van_forward(x, t):
    f = f64(t)

    def conv(y, name, stride=1, pad=0, groups=1):
        return conv2d(y, f[name + ".weight"], f[name + ".bias"], stride, pad, groups)

    def bn(y, name):
        g = lambda n: f[name + "." + n][None, :, None, None]
        return (y - g("running_mean")) / np.sqrt(g("running_var") + 1e-5) * g("weight") + g("bias")

    def scale(y, name):
        return y * f[name + ".weight"][None, :, None, None]

    for s, (k, st, c, depth) in enumerate(zip(VAN["patch_sizes"], VAN["strides"], VAN["hidden_sizes"],
                                              VAN["depths"])):
        q = f"van.encoder.stages.{s}."
        x = bn(conv(x, q + "embeddings.convolution", st, k // 2), q + "embeddings.normalization")
        for j in range(depth):
            l = f"{q}layers.{j}."
            a = l + "attention."
            y = bn(x, l + "pre_normomalization")
            u = gelu(conv(y, a + "pre_projection.conv"))
            lka = a + "attention_layer.attention."
            att = conv(u, lka + "depth_wise", pad=2, groups=c)
            att = conv_dilated_dw(att, f[lka + "depth_wise_dilated.weight"],
                                  f[lka + "depth_wise_dilated.bias"], 3, 9)
            att = conv(att, lka + "point_wise")
            y = conv(u * att, a + "post_projection") + y
            x = x + scale(y, l + "attention_scaling")
            y = bn(x, l + "post_normalization")
            y = conv(y, l + "mlp.in_dense")
            y = gelu(conv(y, l + "mlp.depth_wise", pad=1, groups=y.shape[1]))
            y = conv(y, l + "mlp.out_dense")
            x = x + scale(y, l + "mlp_scaling")
        x = ln(x.transpose(0, 2, 3, 1), f, q + "normalization", VAN["layer_norm_eps"]).transpose(0, 3, 1, 2)
    feat = x.mean((2, 3))
    return feat, softmax(lin(feat, f, "classifier"))


def write_model(name, config, tensors, processor_type):
    d = os.path.join(FIX, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as fh:
        json.dump(dict(config, **LABEL_MAPS), fh, indent=1)
    with open(os.path.join(d, "preprocessor_config.json"), "w") as fh:
        json.dump(dict(PRE, image_processor_type=processor_type), fh, indent=1)
    save_file(tensors, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})


def main():
    images = [f"digits/{c}/0.png" for c in range(10)]
    x = np.stack([np.asarray(Image.open(os.path.join(FIX, p)).convert("RGB")).astype(np.float64) / 255.0
                  for p in images])
    x = ((x - np.array(MEAN)) / np.array(STD)).transpose(0, 3, 1, 2)
    out = {}

    def record(key, feats, probs):
        out[key] = {"features": feats.tolist(), "probabilities": probs.tolist()}
        print(f"{key}: feature std {feats.std():.3f}, max probability {probs.max():.3f}")

    for distilled, name, arch in ((False, "tiny-deit", "DeiTForImageClassification"),
                                  (True, "tiny-deit-distilled", "DeiTForImageClassificationWithTeacher")):
        t = make_deit(distilled)
        write_model(name, dict(DEIT, model_type="deit", architectures=[arch]), t, "DeiTImageProcessor")
        record(name, *deit_forward(x, t))

    beit = dict(BEIT, use_absolute_position_embeddings=False, use_relative_position_bias=True,
                use_shared_relative_position_bias=False, use_mean_pooling=True)
    t = make_beit("beit.", beit)
    write_model("tiny-beit", dict(beit, model_type="beit", architectures=["BeitForImageClassification"]),
                t, "BeitImageProcessor")
    record("tiny-beit", *beit_forward(x, t, "beit.", beit))

    d2v = dict(BEIT, use_absolute_position_embeddings=True, use_relative_position_bias=False,
               use_shared_relative_position_bias=True, use_mean_pooling=False)
    t = make_beit("data2vec_vision.", d2v)
    write_model("tiny-data2vec-vision",
                dict(d2v, model_type="data2vec-vision",
                     architectures=["Data2VecVisionForImageClassification"]), t, "BeitImageProcessor")
    record("tiny-data2vec-vision", *beit_forward(x, t, "data2vec_vision.", d2v))

    for name, cfg in (("tiny-swin", SWIN),
                      ("tiny-swin-padded", dict(SWIN, depths=[2, 2], num_heads=[2, 4], window_size=3))):
        t = make_swin(cfg)
        write_model(name, dict(cfg, model_type="swin", architectures=["SwinForImageClassification"]),
                    t, "ViTImageProcessor")
        record(name, *swin_forward(x, t, cfg))

    t = make_van()
    write_model("tiny-van", dict(VAN, model_type="van", architectures=["VanForImageClassification"]),
                t, "ConvNextImageProcessor")
    record("tiny-van", *van_forward(x, t))

    doc = {"provenance": "crates/features/tests/reference/image_families_reference.py "
                         "(float64 NumPy forward passes)",
           "versions": {"numpy": np.__version__, "python": sys.version.split()[0]},
           "images": images, **out}
    with open(os.path.join(FIX, "image_families_reference.json"), "w") as fh:
        json.dump(doc, fh)


if __name__ == "__main__":
    main()
