"""Reference values for zoorank-predict's ridge regression (`lr`), by brute force in NumPy.

Regenerate (from this directory):
    python3 make_fixtures.py
which writes ridge_fixtures.json and synthetic_task.json.
Versions used for the committed files: Python 3.11.7, NumPy 2.4.6, scikit-learn 1.9.1
(also inside the JSON).

Independent of the Rust implementation's SVD shortcut: every leave-one-out residual comes from
an explicit refit without that row (normal equations, intercept unpenalised by centring the
remaining rows), with the features standardised once by the full training set's mean and
population standard deviation (constant columns: scale 1), as the Rust code does.
"""
import json
import sys

import numpy as np

ALPHAS = [10.0 ** (-3.0 + 0.2 * j) for j in range(41)]


def standardise(X):
    mean = X.mean(axis=0)
    sd = X.std(axis=0)
    scale = np.where(sd <= 1e-12 * np.maximum(np.abs(mean), 1.0), 1.0, sd)
    return mean, scale


def ridge(Z, y, alpha):
    zm = Z.mean(axis=0)
    ym = y.mean()
    Zc = Z - zm
    beta = np.linalg.solve(Zc.T @ Zc + alpha * np.eye(Z.shape[1]), Zc.T @ (y - ym))
    return ym - zm @ beta, beta


def provenance(versions=None):
    """What made a fixture file: this script, the Python and NumPy versions, and the
    `versions` of any other library it used (name -> version)."""
    return {
        "script": "crates/predict/tests/reference/make_fixtures.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        **(versions or {}),
    }


def write_json(path, doc):
    """Writes `doc` to `path` as one line of JSON and a newline."""
    with open(path, "w") as f:
        json.dump(doc, f)
        f.write("\n")


def data(name, X, y):
    """The fields every case opens with: its name and training data."""
    return {
        "name": name,
        "n_rows": int(X.shape[0]),
        "n_cols": int(X.shape[1]),
        "x": X.ravel().tolist(),
        "y": y.tolist(),
    }


def case(name, X, y, X_test):
    mean, scale = standardise(X)
    Z = (X - mean) / scale
    n = len(y)
    loo = []
    for a in ALPHAS:
        res = []
        for i in range(n):
            keep = np.arange(n) != i
            b0, beta = ridge(Z[keep], y[keep], a)
            res.append(y[i] - (b0 + Z[i] @ beta))
        loo.append(float(np.mean(np.square(res))))
    best = int(np.argmin(loo))
    b0, beta = ridge(Z, y, ALPHAS[best])
    coef = beta / scale
    intercept = b0 - coef @ mean
    return {
        **data(name, X, y),
        "x_test": X_test.ravel().tolist(),
        "alphas": ALPHAS,
        "loo_mse": loo,
        "alpha": ALPHAS[best],
        "coef": coef.tolist(),
        "intercept": float(intercept),
        "predictions": (X_test @ coef + intercept).tolist(),
    }


def grouped_case(name, X, y, groups):
    """Leave-one-group-out choice of alpha, each fold standardised by its own training rows."""
    sse = np.zeros(len(ALPHAS))
    for g in np.unique(groups):
        tr, te = groups != g, groups == g
        mean, scale = standardise(X[tr])
        Ztr = (X[tr] - mean) / scale
        for k, a in enumerate(ALPHAS):
            b0, beta = ridge(Ztr, y[tr], a)
            coef = beta / scale
            pred = X[te] @ coef + (b0 - coef @ mean)
            sse[k] += np.sum(np.square(y[te] - pred))
    cv = sse / len(y)
    best = int(np.argmin(cv))
    mean, scale = standardise(X)
    b0, beta = ridge((X - mean) / scale, y, ALPHAS[best])
    coef = beta / scale
    return {
        **data(name, X, y),
        "groups": groups.tolist(),
        "alphas": ALPHAS,
        "cv_mse": cv.tolist(),
        "alpha": ALPHAS[best],
        "coef": coef.tolist(),
        "intercept": float(b0 - coef @ mean),
    }


def main():
    rng = np.random.default_rng(4)
    cases = []
    # Tall, correlated columns, one constant column, noisy linear target.
    n, p = 40, 6
    X = rng.normal(size=(n, p)) * [1.0, 5.0, 0.1, 2.0, 1.0, 1.0] + [0, 3, -1, 0, 10, 0]
    X[:, 3] = X[:, 0] * 0.9 + 0.1 * X[:, 3]
    X[:, 5] = 2.5
    y = X @ [1.0, -0.2, 4.0, 0.5, 0.0, 0.0] + rng.normal(scale=0.5, size=n) + 7.0
    cases.append(case("tall_collinear_constant", X, y, rng.normal(size=(5, p))))
    # Wide: more columns than rows.
    n, p = 10, 25
    X = rng.normal(size=(n, p))
    y = X[:, :3] @ [1.0, 2.0, -1.0] + rng.normal(scale=0.1, size=n)
    cases.append(case("wide", X, y, rng.normal(size=(4, p))))
    # Pure noise target: the grid's top (strong shrinkage) should win.
    n, p = 25, 4
    X = rng.normal(size=(n, p))
    y = rng.normal(size=n)
    cases.append(case("noise", X, y, rng.normal(size=(3, p))))
    # Grouped rows (a per-group offset the features do not explain), 5 groups of unequal size.
    n, p = 36, 5
    groups = np.repeat(np.arange(5), [4, 9, 6, 10, 7])
    X = rng.normal(size=(n, p))
    y = X @ [0.5, -1.0, 0.0, 0.3, 0.0] + rng.normal(scale=0.8, size=5)[groups] \
        + rng.normal(scale=0.3, size=n)
    grouped = [grouped_case("grouped", X, y, groups)]
    write_json("ridge_fixtures.json", {
        "provenance": provenance(),
        "cases": cases,
        "grouped_cases": grouped,
    })
    synthetic_task()


def synthetic_task():
    """A seeded nonlinear task and scikit-learn's test R² for the same model families.

    y = sin(3 x0) + 1.5 x1 x2 + 0.5 x3^2 + 0.8 x4 + U(-0.1, 0.1), x ~ U(-1, 1)^6 (x5 is noise).
    The Rust tests fit zoorank's regressors on the same rows and compare R² (a statistical
    check, not an exact one: the tree libraries differ in bootstrap draws and binning).
    """
    import sklearn
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(11)

    def draw(n):
        X = rng.uniform(-1, 1, size=(n, 6))
        y = (np.sin(3 * X[:, 0]) + 1.5 * X[:, 1] * X[:, 2] + 0.5 * X[:, 3] ** 2
             + 0.8 * X[:, 4] + rng.uniform(-0.1, 0.1, n))
        return X, y

    Xtr, ytr = draw(300)
    Xte, yte = draw(300)
    models = {
        "lr": RidgeCV(alphas=ALPHAS),
        "rf": RandomForestRegressor(n_estimators=100, max_depth=5, max_features=1 / 3,
                                    random_state=0),
        "rf_all_features": RandomForestRegressor(n_estimators=100, max_depth=5,
                                                 max_features=1.0, random_state=0),
        "xgb": GradientBoostingRegressor(n_estimators=500, max_depth=5, learning_rate=0.05,
                                         random_state=0),
    }
    r2 = {k: float(r2_score(yte, m.fit(Xtr, ytr).predict(Xte))) for k, m in models.items()}
    write_json("synthetic_task.json", {
        "provenance": provenance({"scikit-learn": sklearn.__version__}),
        "n_cols": 6,
        "x_train": Xtr.ravel().tolist(),
        "y_train": ytr.tolist(),
        "x_test": Xte.ravel().tolist(),
        "y_test": yte.tolist(),
        "sklearn_test_r2": r2,
    })


if __name__ == "__main__":
    main()
