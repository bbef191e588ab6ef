"""Reference values for zoorank-scores' tests.

Regenerate (from the workspace root):

    pip install numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1
    python3 crates/scores/tests/reference/make_fixtures.py
    python3 crates/scores/tests/reference/make_fixtures.py --logme-only   # LogME entries only

Produced with Python 3.11, numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1 (recorded in the
JSON). Writes
  * fixtures.json: for every case, the generator parameters and the reference value of each
    score (reference_scores.py, an independent numpy/scipy/sklearn implementation; `logme`
    is the direct maximum of the evidence, `logme_published` the published fixed point);
  * data/<case>_{x,y,p}.npy for the cases the CLI tests read (gaussian, n_lt_d, collinear);
  * data/iris_{x,y}.npy: scikit-learn's iris (150 x 4, 3 classes), a real data set;
  * data/nleep_separated_{x,y,z}.npy: the NLEEP case below (features, labels, true clusters);
  * logme_cases: LogME's maximum of the evidence, the published 11-step fixed point and the
    fixed point run to convergence, at n < d, n = d and n >> d (LOGME_CASES below);
  * data/gaussian.npz: the gaussian case as one compressed archive written by numpy
    (`x` float64, `y` int32, `p` float64), for the .npz read path (`FILE.npz:NAME`).

NLEEP (PCA 80 % + a Gaussian mixture started from k-means) cannot be matched value for value
on general data: scikit-learn's k-means initialisation draws from numpy's RNG, zoorank's from
ChaCha8, so the mixtures converge to different local optima. What can be checked exactly:
  * `pca_dims_80` of every case: the number of components PCA(n_components=0.8) keeps, by
    scikit-learn and by the numpy SVD rule (asserted equal here);
  * case `nleep_separated`: 10 clusters so far apart that any k-means start finds them and the
    posteriors are one-hot to machine precision, so NLEEP must equal LEEP on the one-hot true
    cluster assignment (`leep_on_clusters`); scikit-learn's full NLEEP is recorded too.

The data are not stored for the other cases: tests/common/mod.rs re-implements the tiny
generator below (SplitMix64 + Box-Muller), so the test rebuilds identical matrices.
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import sklearn
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import reference_scores as ref  # noqa: E402

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        """In (0, 1]."""
        return ((self.next_u64() >> 11) + 1) * (1.0 / 9007199254740992.0)

    def normal(self):
        u1, u2 = self.uniform(), self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def generate(case):
    """Features x (n, d), labels y (n,), source probabilities p (n, cs); mirrors Rust."""
    rng = SplitMix64(case["seed"])
    n, d, c, cs = case["n"], case["d"], case["c"], case["cs"]
    counts = case.get("counts")
    if counts:
        y = [k for k, m in enumerate(counts) for _ in range(m)]
    else:
        y = [i % c for i in range(n)]
    means = [[rng.normal() * case["sep"] for _ in range(d)] for _ in range(c)]
    x = [[means[y[i]][j] + rng.normal() for j in range(d)] for i in range(n)]
    for t in range(case.get("collinear", 0)):
        # Column d - 1 - t is an exact copy-sum of two earlier columns.
        for i in range(n):
            x[i][d - 1 - t] = x[i][t] + x[i][t + 1]
    proj = [[rng.normal() * 2.0 for _ in range(cs)] for _ in range(c)]
    p = []
    for i in range(n):
        logits = [proj[y[i]][z] + rng.normal() for z in range(cs)]
        m = max(logits)
        e = [math.exp(v - m) for v in logits]
        s = sum(e)
        p.append([v / s for v in e])
    return np.array(x), np.array(y, dtype=np.int64), np.array(p)


CASES = {
    "gaussian": dict(seed=1, n=300, d=20, c=5, cs=8, sep=0.5),
    "n_lt_d": dict(seed=2, n=40, d=100, c=4, cs=8, sep=0.5),
    "collinear": dict(seed=3, n=200, d=30, c=5, cs=8, sep=0.5, collinear=8),
    "c2": dict(seed=4, n=200, d=16, c=2, cs=6, sep=0.3),
    "c100": dict(seed=5, n=1000, d=32, c=100, cs=50, sep=0.7),
    "unequal": dict(seed=6, n=400, d=12, c=4, cs=8, sep=0.6, counts=[340, 40, 15, 5]),
}
CLI_CASES = ["gaussian", "n_lt_d", "collinear"]
# Two classes, 10 clusters (= 5 x 2 mixture components) of 30 points on a circle of radius
# 1000 in the first two of 6 dimensions, unit Gaussian noise in all 6; cluster z holds
# round(30 z / 9) samples of class 0 and the rest of class 1 (so labels are mixed within
# clusters and NLEEP is not trivially 0). Rows shuffled.
NLEEP_SEPARATED = dict(seed=7, clusters=10, per_cluster=30, radius=1000.0, d=6)
# LogME at n < d, n = d and n >> d, with well separated classes (sep 1), weakly separated
# ones (sep 0.5) and features independent of the labels (sep 0, where the evidence of several
# classes has no interior maximum and its supremum is the alpha -> infinity limit): the maximum of the evidence (what zoorank computes by default), the
# published fixed point (11 steps, tol 1e-3, 1e-5 guards; zoorank's `LogMe::published()`) and
# that fixed point run to convergence (100,000 steps, tol 1e-12), which the guards keep short of
# the maximum.
LOGME_CASES = {
    f"{shape}_sep{sep}": dict(seed=11, n=n, d=d, c=4, cs=2, sep=sep)
    for shape, (n, d) in {"n_lt_d": (40, 100), "n_eq_d": (100, 100), "n_gg_d": (2000, 20)}.items()
    for sep in (0.0, 0.5, 1.0)
}
LOGISTIC = dict(folds=5, C=1.0, max_iter=1000, tol=1e-10)


def scores(x, y, p):
    out = {
        "logme": ref.logme_max(x, y),
        "h-score": ref.h_score(x, y),
        "reg-h-score": ref.reg_h_score(x, y),
        "leep": ref.leep(p, y) if p is not None else None,
        "nce": ref.nce(p, y) if p is not None else None,
        "gbc": ref.gbc(x, y),
        "transrate": ref.transrate(x, y),
        "lfc": ref.lfc(x, y),
        "sfda": ref.sfda(x, y),
        "knn": ref.knn(x, y),
        "logistic": ref.logistic(x, y, **LOGISTIC),
        "parc": ref.parc(x, y),
    }
    return {k: v for k, v in out.items() if v is not None}


def pca_dims_80(x):
    """Components kept by PCA(n_components=0.8): by scikit-learn, checked against numpy."""
    sk = int(PCA(n_components=0.8, svd_solver="full").fit(x).n_components_)
    s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    ratio = np.cumsum(s**2) / np.sum(s**2)
    npy = int(np.searchsorted(ratio, 0.8, side="right") + 1)
    assert sk == npy, (sk, npy)
    return sk


def nleep_separated(case):
    rng = np.random.default_rng(case["seed"])
    k, m, r, d = case["clusters"], case["per_cluster"], case["radius"], case["d"]
    angles = 2.0 * np.pi * np.arange(k) / k
    centers = np.zeros((k, d))
    centers[:, 0], centers[:, 1] = r * np.cos(angles), r * np.sin(angles)
    z = np.repeat(np.arange(k), m)
    y = np.concatenate([(np.arange(m) >= round(m * j / (k - 1))).astype(np.int64) for j in range(k)])
    x = centers[z] + rng.normal(size=(k * m, d))
    perm = rng.permutation(k * m)
    return x[perm], y[perm], z[perm].astype(np.int64)


def write_npz(x, y, p):
    np.savez_compressed(os.path.join(HERE, "data", "gaussian.npz"), x=x, y=y.astype(np.int32), p=p)


def logme_cases():
    out = {}
    for name, case in LOGME_CASES.items():
        x, y, _ = generate(case)
        out[name] = {
            "params": case,
            "max": ref.logme_max(x, y),
            "published": ref.logme(x, y),
            "fixed_point_converged": ref.logme(x, y, max_iter=100000, tol=1e-12),
        }
        print(name, out[name], flush=True)
    return out


def logme_only():
    """`--logme-only`: recompute only the LogME entries of an existing fixtures.json (the
    other methods' values do not depend on them), for when the LogME reference changes."""
    path = os.path.join(HERE, "fixtures.json")
    with open(path) as fh:
        fixtures = json.load(fh)
    for name, case in list(CASES.items()) + [("iris", None)]:
        x, y = (generate(case)[:2] if case else load_iris(return_X_y=True))
        entry = fixtures["cases"][name]
        entry["expected"]["logme"] = ref.logme_max(x, y)
        entry["logme_published"] = ref.logme(x, y)
        print(name, entry["expected"]["logme"], entry["logme_published"], flush=True)
    fixtures["logme_cases"] = logme_cases()
    with open(path, "w") as fh:
        json.dump(fixtures, fh, indent=1)


def main():
    if "--logme-only" in sys.argv:
        return logme_only()
    os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
    fixtures = {
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
        "logistic_params": LOGISTIC,
        "cases": {},
    }
    for name, case in CASES.items():
        x, y, p = generate(case)
        fixtures["cases"][name] = {"params": case, "expected": scores(x, y, p),
                                   "pca_dims_80": pca_dims_80(x),
                                   "logme_published": ref.logme(x, y)}
        if name in CLI_CASES:
            for suffix, arr in (("x", x), ("y", y), ("p", p)):
                np.save(os.path.join(HERE, "data", f"{name}_{suffix}.npy"), arr)
        if name == "gaussian":
            write_npz(x, y, p)
        print(name, fixtures["cases"][name]["expected"], flush=True)
    xi, yi = load_iris(return_X_y=True)
    np.save(os.path.join(HERE, "data", "iris_x.npy"), xi)
    np.save(os.path.join(HERE, "data", "iris_y.npy"), yi.astype(np.int64))
    fixtures["cases"]["iris"] = {"params": None, "expected": scores(xi, yi, None),
                                 "pca_dims_80": pca_dims_80(xi),
                                 "logme_published": ref.logme(xi, yi)}
    fixtures["logme_cases"] = logme_cases()
    x, y, z = nleep_separated(NLEEP_SEPARATED)
    for suffix, arr in (("x", x), ("y", y), ("z", z)):
        np.save(os.path.join(HERE, "data", f"nleep_separated_{suffix}.npy"), arr)
    onehot = np.eye(NLEEP_SEPARATED["clusters"])[z]
    fixtures["nleep_separated"] = {
        "params": NLEEP_SEPARATED,
        "pca_dims_80": pca_dims_80(x),
        "leep_on_clusters": ref.leep(onehot, y),
        "nleep_sklearn": ref.nleep(x, y),
    }
    print("nleep_separated", fixtures["nleep_separated"], flush=True)
    with open(os.path.join(HERE, "fixtures.json"), "w") as fh:
        json.dump(fixtures, fh, indent=1)


if __name__ == "__main__":
    main()
