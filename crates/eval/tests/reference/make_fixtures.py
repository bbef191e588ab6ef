"""Reference values for zoorank-eval's metrics, computed with SciPy/NumPy.

Regenerate (from this directory):
    python3 make_fixtures.py > metrics_fixtures.json
Versions used for the committed file: Python 3.11.7, NumPy 2.4.6, SciPy 1.17.1
(also recorded inside the JSON under "provenance").

Correlations come from scipy.stats (pearsonr, spearmanr, kendalltau with its default tau-b,
weightedtau with all defaults). SciPy returns NaN for a constant vector; such cases are stored
with null and the Rust side must return MetricError::Constant. Top@k / Rel@k are computed here
with NumPy using the pessimistic tie rule documented in crates/core/src/metrics.rs: order by decreasing
score, then increasing truth, then index (np.lexsort).
"""
import json
import sys

import numpy as np
import scipy
from scipy import stats


def num(v):
    v = float(v)
    return None if np.isnan(v) else v


def topk(s, t, k):
    idx = np.arange(len(s))
    order = np.lexsort((idx, t, -s))
    return float(np.max(t[order[:k]]))


def case(name, x, y):
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = {
                "name": name,
                "x": x.tolist(),
                "y": y.tolist(),
                "pearson": num(stats.pearsonr(x, y)[0]) if len(x) >= 2 else None,
                "spearman": num(stats.spearmanr(x, y)[0]),
                "kendall": num(stats.kendalltau(x, y)[0]),
                "weighted_tau": num(stats.weightedtau(x, y)[0]),
            }
    # x plays the scores, y the truth
    c["top_at_k"] = [topk(x, y, k) for k in range(1, 6)]
    c["rel_at_k"] = [topk(x, y, k) / float(np.max(y)) if np.max(y) > 0 else None for k in range(1, 6)]
    c["target_weight"] = float(np.max(y) - np.mean(y))
    return c


def main():
    rng = np.random.default_rng(20261126)
    cases = []
    # Hand-made small cases.
    cases.append(case("n2_concordant", [0.1, 0.2], [0.5, 0.9]))
    cases.append(case("n2_discordant", [0.1, 0.2], [0.9, 0.5]))
    cases.append(case("n3_mixed", [3.0, 1.0, 2.0], [0.7, 0.9, 0.8]))
    cases.append(case("joint_ties", [1, 1, 2, 2, 3, 3, 1], [4, 4, 5, 6, 6, 6, 4]))
    cases.append(case("x_ties_only", [1, 1, 1, 2, 2, 3], [0.6, 0.2, 0.9, 0.4, 0.8, 0.3]))
    cases.append(case("y_ties_only", [0.6, 0.2, 0.9, 0.4, 0.8, 0.3], [1, 1, 1, 2, 2, 3]))
    cases.append(case("reversed_10", list(range(10)), list(range(10, 0, -1))))
    cases.append(case("const_x", [2.0, 2.0, 2.0, 2.0], [0.1, 0.5, 0.2, 0.9]))
    cases.append(case("const_y", [0.1, 0.5, 0.2, 0.9], [0.7, 0.7, 0.7, 0.7]))
    cases.append(case("signed_zero", [0.0, -0.0, 1.0, 2.0], [0.3, 0.1, 0.2, 0.4]))
    # Random continuous, correlated to a varying degree.
    for n in [2, 3, 4, 5, 7, 10, 20, 33, 50, 100, 180, 200]:
        for rep in range(2):
            rho = rng.uniform(-1, 1)
            t = rng.uniform(0.3, 0.95, n)
            s = rho * (t - t.mean()) / (t.std() + 1e-12) + rng.normal(0, 1, n)
            cases.append(case(f"cont_n{n}_r{rep}", s, t))
    # Heavy ties: small integer grids, and rounded accuracies.
    for n in [4, 6, 9, 15, 40, 120, 200]:
        for rep in range(2):
            s = rng.integers(0, 4, n).astype(float)
            t = np.round(rng.uniform(0.5, 0.9, n) + 0.05 * s, 1)
            if np.all(s == s[0]) or np.all(t == t[0]):
                s[0] += 1.0
                t[-1] += 0.1
            cases.append(case(f"ties_n{n}_r{rep}", s, t))
    # Scores with ties, continuous truth (ties at the Top@k cut-off).
    for n in [5, 12, 60]:
        s = np.floor(rng.uniform(0, 3, n))
        t = rng.uniform(0.2, 0.99, n)
        cases.append(case(f"score_ties_n{n}", s, t))
    out = {
        "provenance": {
            "script": "crates/eval/tests/reference/make_fixtures.py",
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "cases": cases,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
