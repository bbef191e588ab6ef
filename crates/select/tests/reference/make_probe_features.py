"""Features for the real linear-probe curves of zoorank-select (tests/reference/probe_curves.jsonl).

Generated with: numpy 2.4.6, scikit-learn 1.9.1 (Python 3.11.7).
Command (from the workspace root):

    python3 crates/select/tests/reference/make_probe_features.py /tmp/zoorank-probe-features
    cargo run --release -p zoorank-select --example record_probe_curves -- \
        /tmp/zoorank-probe-features crates/select/tests/reference/probe_curves.jsonl 20

What the "models" are (be clear: these are NOT pre-trained networks): twelve fixed,
deterministic feature extractors (seeded random projections, random Fourier features, PCA
variants, binarisations, landmark kernels), applied to the standardised inputs. Each plays the
role of a pre-trained model whose penultimate features a linear probe is trained on; they differ
in capacity and inductive bias, so they transfer differently to different datasets, which is
what model selection has to find out.

What the datasets are: real data shipped inside scikit-learn (no download): the 8x8 digits
(1,797 images) and four tasks derived from it (classes 0-4, classes 5-9, odd/even, the images
average-pooled to 4x4), wine (178), breast cancer (569) and iris (150).

Layout written: OUT/<dataset>/labels.npy (int64) and OUT/<dataset>/<model>.npy (float32, n x d).
"""
import os
import sys

import numpy as np
from sklearn import datasets


def standardise(x):
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    return (x - x.mean(axis=0)) / sd


def pca(x, k, whiten=False):
    xc = x - x.mean(axis=0)
    u, s, vt = np.linalg.svd(xc, full_matrices=False)
    k = min(k, vt.shape[0])
    z = xc @ vt[:k].T
    if whiten:
        z = z / (s[:k] / np.sqrt(len(x) - 1) + 1e-8)
    return z


def rng_for(name, p):
    # One seed per extractor and input width: the same "model" on every dataset of that width.
    return np.random.default_rng(sum(map(ord, name)) * 1009 + p)


def rp(x, name, width, act):
    w = rng_for(name, x.shape[1]).standard_normal((x.shape[1], width)) / np.sqrt(x.shape[1])
    return act(x @ w)


def rff(x, name, width, scale):
    r = rng_for(name, x.shape[1])
    w = r.standard_normal((x.shape[1], width)) / (scale * np.sqrt(x.shape[1]))
    b = r.uniform(0, 2 * np.pi, width)
    return np.sqrt(2.0 / width) * np.cos(x @ w + b)


def quartile_onehot(x):
    qs = np.quantile(x, [0.25, 0.5, 0.75], axis=0)
    bins = (x[None, :, :] > qs[:, None, :]).sum(axis=0)  # 0..3
    out = np.zeros((x.shape[0], x.shape[1] * 4))
    for j in range(x.shape[1]):
        out[np.arange(x.shape[0]), j * 4 + bins[:, j]] = 1.0
    return out


def poly2(x, k):
    z = pca(x, k)
    cols = [z]
    for i in range(z.shape[1]):
        for j in range(i, z.shape[1]):
            cols.append((z[:, i] * z[:, j])[:, None])
    return np.hstack(cols)


def landmarks(x, name, m):
    r = rng_for(name, x.shape[1])
    idx = r.choice(len(x), size=min(m, len(x)), replace=False)
    l = x[idx]
    d2 = ((x[:, None, :] - l[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2.0 * x.shape[1]))


MODELS = {
    "raw": lambda x: x,
    "pca-4": lambda x: pca(x, 4),
    "pca-16-whiten": lambda x: pca(x, 16, whiten=True),
    "rp-relu-64": lambda x: rp(x, "rp-relu-64", 64, lambda z: np.maximum(z, 0)),
    "rp-relu-512": lambda x: rp(x, "rp-relu-512", 512, lambda z: np.maximum(z, 0)),
    "rp-tanh-128": lambda x: rp(x, "rp-tanh-128", 128, np.tanh),
    "rff-256-smooth": lambda x: rff(x, "rff-256-smooth", 256, 2.0),
    "rff-256-rough": lambda x: rff(x, "rff-256-rough", 256, 0.25),
    "sign-rp-256": lambda x: rp(x, "sign-rp-256", 256, np.sign),
    "quartile-onehot": quartile_onehot,
    "poly2-pca8": lambda x: poly2(x, 8),
    "landmark-rbf-100": lambda x: landmarks(x, "landmark-rbf-100", 100),
}


def tasks():
    d = datasets.load_digits()
    x, y = d.data.astype(np.float64), d.target.astype(np.int64)
    yield "digits", x, y
    m = y < 5
    yield "digits-0to4", x[m], y[m]
    m = y >= 5
    yield "digits-5to9", x[m], y[m] - 5
    yield "digits-parity", x, y % 2
    pooled = x.reshape(-1, 4, 2, 4, 2).mean(axis=(2, 4)).reshape(-1, 16)
    yield "digits-4x4", pooled, y
    for name, loader in [("wine", datasets.load_wine), ("breast-cancer", datasets.load_breast_cancer), ("iris", datasets.load_iris)]:
        b = loader()
        yield name, b.data.astype(np.float64), b.target.astype(np.int64)


def main():
    out = sys.argv[1]
    for name, x, y in tasks():
        os.makedirs(f"{out}/{name}", exist_ok=True)
        np.save(f"{out}/{name}/labels.npy", y)
        xs = standardise(x)
        for model, f in MODELS.items():
            z = np.asarray(f(xs), dtype=np.float32)
            assert np.isfinite(z).all(), (name, model)
            np.save(f"{out}/{name}/{model}.npy", z)
        print(name, x.shape, len(set(y.tolist())))


if __name__ == "__main__":
    main()
