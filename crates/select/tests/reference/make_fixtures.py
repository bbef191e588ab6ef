"""Reference values for zoorank-select's clustering tests.

Generated with: numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1 (Python 3.11.7).
Command (from the workspace root):

    python3 crates/select/tests/reference/make_fixtures.py ../shared/data/two-phase \
        crates/select/tests/reference/clustering.json

For each shipped two-phase matrix (NLP 39x21, CV 30x6):
- the model distance matrix 1 - sim, sim = 1 - mean of the 5 largest |acc_a - acc_b| (numpy);
- scipy.cluster.hierarchy.linkage(condensed, method="average") (the dendrogram);
- fcluster(Z, t, criterion="distance") at the reference code's threshold (0.09 NLP, 0.05 CV);
- sklearn.metrics.silhouette_score / silhouette_samples(D, labels, metric="precomputed");
- sklearn.cluster.KMeans(init=<first k distinct rows>, n_init=1, algorithm="lloyd") on the
  raw performance vectors with k = number of hierarchical clusters, and its silhouette
  on D: a deterministic oracle for Lloyd's iterations.
"""
import json
import sys

import numpy as np
import scipy
import sklearn
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples, silhouette_score


def load(d, prefix):
    names = [l.strip() for l in open(f"{d}/{prefix}_benchmark_datasets.txt") if l.strip()]
    lines = [l for l in open(f"{d}/{prefix}_performance_matrix.tsv").read().splitlines() if l.strip()]
    models = [m.strip().replace("--", "/") for m in lines[0].split("\t")]
    rows = np.array([[float(x) for x in l.split("\t")] for l in lines[1:]])
    assert rows.shape == (len(names), len(models))
    return models, names, rows.T  # models x datasets


def distances(x, k=5):
    n = x.shape[0]
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            gaps = np.sort(np.abs(x[i] - x[j]))[::-1]
            kk = min(k, len(gaps))
            d[i, j] = gaps[:kk].mean()
    return d


def case(d, prefix, threshold):
    models, names, x = load(d, prefix)
    dist = distances(x)
    z = linkage(squareform(dist, checks=False), method="average")
    labels = fcluster(z, t=threshold, criterion="distance")
    k = len(set(labels))
    out = {
        "models": models,
        "threshold": threshold,
        "distance": dist.tolist(),
        "linkage": z.tolist(),
        "fcluster_labels": labels.tolist(),
        "silhouette": float(silhouette_score(dist, labels, metric="precomputed")),
        "silhouette_samples": silhouette_samples(dist, labels, metric="precomputed").tolist(),
    }
    # Deterministic k-means oracle: the first k distinct rows as initial centres.
    init = []
    for row in x:
        if not any(np.array_equal(row, r) for r in init):
            init.append(row)
        if len(init) == k:
            break
    km = KMeans(n_clusters=k, init=np.array(init), n_init=1, algorithm="lloyd", max_iter=300, tol=0.0).fit(x)
    out["kmeans_init"] = np.array(init).tolist()
    out["kmeans_labels"] = km.labels_.tolist()
    out["kmeans_inertia"] = float(km.inertia_)
    if 2 <= len(set(km.labels_)) <= len(models) - 1:
        out["kmeans_silhouette"] = float(silhouette_score(dist, km.labels_, metric="precomputed"))
    return out


def main():
    d, out = sys.argv[1], sys.argv[2]
    fixtures = {
        "provenance": f"numpy {np.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}; crates/select/tests/reference/make_fixtures.py",
        "nlp": case(d, "nlp", 0.09),
        "cv": case(d, "cv", 0.05),
    }
    with open(out, "w") as f:
        json.dump(fixtures, f)


if __name__ == "__main__":
    main()
