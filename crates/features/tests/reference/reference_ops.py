"""Float64 NumPy building blocks the reference scripts share, written once so that every
reference forward pass uses the same LayerNorm, softmax and exact (erf) GELU, and every tiny
checkpoint draws its random weights the same way."""
import math
import os

import numpy as np

# Where the scripts write: crates/features/tests/fixtures.
FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
# The normalisation the tiny image checkpoints' preprocessor configs declare.
MEAN = [0.5, 0.45, 0.4]
STD = [0.25, 0.2, 0.3]
erf = np.vectorize(math.erf)


def gaussian(rng):
    """randn(*shape, scale=0.2): float32 weights drawn from N(0, scale²) with `rng`."""
    def randn(*shape, scale=0.2):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    return randn


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def gelu(x):
    """Exact GELU, x Φ(x), as Hugging Face's "gelu" activation."""
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def conv2d(x, w, b, stride, pad, groups=1):
    """Grouped 2-D cross-correlation, NCHW, weights (out, in/groups, k, k), plus the bias b
    unless it is None."""
    bsz, c, h, wd = x.shape
    o, cg, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho = (h + 2 * pad - k) // stride + 1
    wo = (wd + 2 * pad - k) // stride + 1
    out = np.zeros((bsz, o, ho, wo))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * og:(g + 1) * og]
        for ky in range(k):
            for kx in range(k):
                patch = xs[:, :, ky: ky + stride * ho: stride, kx: kx + stride * wo: stride]
                out[:, g * og:(g + 1) * og] += np.einsum("bchw,oc->bohw", patch, ws[:, :, ky, kx])
    return out if b is None else out + b[None, :, None, None]
