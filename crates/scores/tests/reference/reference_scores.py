"""Independent numpy/scipy/scikit-learn reference implementations of zoorank's scores.

Written for zoorank from the papers and the authors' published algorithms (not copied):
they follow the published reference code paths step by step (per-class loops, sklearn
estimators, explicit n x n matrices where the reference builds them), so they serve both as
fixtures oracles (make_fixtures.py) and as the speed baseline (../../bench/compare.py).

Tested with: Python 3.11, numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1.
"""
import numpy as np
import scipy.linalg
import scipy.stats
from sklearn.covariance import LedoitWolf
from sklearn.decomposition import PCA


def _onehot(y):
    classes, yi = np.unique(y, return_inverse=True)
    return yi, len(classes)


# --------------------------------------------------------------------------- LogME
def logme(f, y, max_iter=11, tol=1e-3):
    """You et al. (ICML 2021) fixed-point LogME, per class, as in the authors' code, but with
    the log-determinant counting the D - k zero singular values (k = numerical rank)."""
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    N, D = f.shape
    u, s, vh = np.linalg.svd(f, full_matrices=False)
    k = int(np.sum(s > max(N, D) * np.finfo(np.float64).eps * s[0]))
    u, s = u[:, :k], s[:k]
    return _mean_class_evidence(u, s, yi, c, D, max_iter, tol, clamp_residual=True)


def _mean_class_evidence(u, s, yi, c, D, max_iter, tol, clamp_residual):
    """The per-class fixed point of LogME on the rank-k left singular vectors `u` (N x k) and
    singular values `s` of the N x D features, its evidence averaged over the c classes.
    `clamp_residual` floors the residual ||y||^2 - ||U^T y||^2 at 0 (it can round below)."""
    N, k = u.shape
    sigma = s ** 2
    evidences = []
    for i in range(c):
        y_ = (yi == i).astype(np.float64)
        x = u.T @ y_
        x2 = x ** 2
        res_x2 = (y_ ** 2).sum() - x2.sum()
        if clamp_residual:
            res_x2 = max(res_x2, 0.0)
        alpha, beta = 1.0, 1.0
        for _ in range(max_iter):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
            res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + res_x2
            alpha = gamma / (m2 + 1e-5)
            beta = (N - gamma) / (res2 + 1e-5)
            t_ = alpha / beta
            if abs(t_ - t) / t <= tol:
                break
        t = alpha / beta
        m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
        res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + res_x2
        evidence = (D / 2.0 * np.log(alpha) + N / 2.0 * np.log(beta)
                    - 0.5 * np.sum(np.log(alpha + beta * sigma)) - 0.5 * (D - k) * np.log(alpha)
                    - beta / 2.0 * res2 - alpha / 2.0 * m2 - N / 2.0 * np.log(2 * np.pi))
        evidences.append(evidence / N)
    return float(np.mean(evidences))


def _logme_parts(f, y):
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    N, D = f.shape
    u, s, _ = np.linalg.svd(f, full_matrices=False)
    k = int(np.sum(s > max(N, D) * np.finfo(np.float64).eps * s[0]))
    return yi, c, N, D, u[:, :k], s[:k] ** 2, k


def _log_evidence(log_alpha, log_beta, sigma, x2, res_x2, N, D, k):
    """The LogME log evidence L(alpha, beta) of one class, as written in the paper, with the
    D - k zero eigenvalues of F^T F counted in the log-determinant."""
    a, b = np.exp(log_alpha), np.exp(log_beta)
    den = a + b * sigma
    m2 = (b * b * sigma * x2 / den ** 2).sum()
    res2 = (a * a * x2 / den ** 2).sum() + res_x2
    return (D / 2 * log_alpha + N / 2 * log_beta - 0.5 * np.log(den).sum()
            - 0.5 * (D - k) * log_alpha - b / 2 * res2 - a / 2 * m2 - N / 2 * np.log(2 * np.pi))


def logme_max(f, y):
    """LogME as the maximum of the evidence, found directly: scipy's Nelder-Mead over
    (log alpha, log beta) from 15 starts (tolerances 1e-10 on the point, 1e-14 on the value),
    and the alpha -> infinity limit (w = 0, beta = N / |y|^2) where the supremum lies on that
    boundary. Independent of the fixed point and of zoorank's profile over alpha / beta."""
    import scipy.optimize
    yi, c, N, D, u, sigma, k = _logme_parts(f, y)
    out = []
    for i in range(c):
        y_ = (yi == i).astype(np.float64)
        x2 = (u.T @ y_) ** 2
        res_x2 = max((y_ ** 2).sum() - x2.sum(), 0.0)

        def neg(p):
            with np.errstate(all="ignore"):
                v = -_log_evidence(p[0], p[1], sigma, x2, res_x2, N, D, k)
            return v if np.isfinite(v) else np.inf

        best = -np.inf
        for la in (-10.0, -3.0, 0.0, 3.0, 10.0):
            for lb in (-3.0, 0.0, 3.0):
                r = scipy.optimize.minimize(neg, [la, lb], method="Nelder-Mead", options=dict(
                    xatol=1e-10, fatol=1e-14, maxiter=20000, maxfev=40000))
                best = max(best, -r.fun)
        at_infinity = -N / 2 * np.log(2 * np.pi * (y_ ** 2).sum() / N) - N / 2
        out.append(max(best, at_infinity) / N)
    return float(np.mean(out))


# --------------------------------------------------------------------------- H-Score
def _class_mean_matrix(f, yi, c):
    g = np.zeros_like(f)
    for z in range(c):
        g[yi == z] = f[yi == z].mean(axis=0)
    return g


def _pinv_rcond(n, d):
    return max(n, d) * np.finfo(np.float64).eps


def h_score(f, y):
    """Bao et al. (ICIP 2019): tr(pinv(cov f) cov g), g = class-conditional mean of f."""
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    covf = np.cov(f, rowvar=False)
    g = _class_mean_matrix(f, yi, c)
    covg = np.cov(g, rowvar=False)
    return float(np.trace(np.linalg.pinv(covf, rcond=_pinv_rcond(*f.shape), hermitian=True) @ covg))


def reg_h_score(f, y):
    """Ibrahim et al. (ICLR 2022): H-Score with the Ledoit-Wolf shrunk feature covariance;
    the between-class covariance is scaled by (1 - shrinkage) like the shrunk one."""
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    f = f - f.mean(axis=0, keepdims=True)
    lw = LedoitWolf(assume_centered=False).fit(f)
    alpha = lw.shrinkage_
    covf = lw.covariance_
    g = _class_mean_matrix(f, yi, c)
    covg = np.cov(g, rowvar=False)  # ddof=1, as the published code
    return float(np.trace(np.linalg.pinv(covf, rcond=_pinv_rcond(*f.shape), hermitian=True) @ ((1 - alpha) * covg)))


# --------------------------------------------------------------------------- LEEP / NCE
def leep(p, y):
    """Nguyen et al. (ICML 2020)."""
    p = np.asarray(p, dtype=np.float64)
    yi, c = _onehot(y)
    n, cs = p.shape
    joint = np.zeros((c, cs))
    for k in range(c):
        joint[k] = p[yi == k].sum(axis=0) / n
    pz = joint.sum(axis=0)
    cond = np.divide(joint, pz, out=np.zeros_like(joint), where=pz > 0)
    eep = (p * cond[yi]).sum(axis=1)
    return float(np.mean(np.log(eep)))


def nce(p, y):
    """Tran et al. (ICCV 2019): -H(Y | Z), Z = argmax source prediction."""
    p = np.asarray(p, dtype=np.float64)
    yi, c = _onehot(y)
    z = np.argmax(p, axis=1)
    n = len(yi)
    joint = np.zeros((c, p.shape[1]))
    np.add.at(joint, (yi, z), 1.0)
    joint /= n
    pz = joint.sum(axis=0)
    mask = joint > 0
    return float(np.sum(joint[mask] * np.log((joint / pz[None, :])[mask])))


def logme_authors(f, y):
    """The authors' fast path for N > D (eigendecomposition of F^T F via SVD, U = F V / s, one
    n x k product per class), with the D - k zero singular values counted. Speed baseline."""
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    N, D = f.shape
    if N > D:
        u, s, vh = np.linalg.svd(f.T @ f)
        s = np.sqrt(s)
        k = int(np.sum(s > 1e-10))
        u = (f @ vh.T)[:, :k] / s[:k].reshape(1, -1)
        s = s[:k]
    else:
        u, s, vh = np.linalg.svd(f, full_matrices=False)
        k = int(np.sum(s > 1e-10))
        u, s = u[:, :k], s[:k]
    return _mean_class_evidence(u, s, yi, c, D, 11, 1e-3, clamp_residual=False)


# --------------------------------------------------------------------------- GBC
def gbc(f, y, gaussian="diagonal"):
    """Pandy et al. (CVPR 2022), following the google-research implementation."""
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    means = [f[yi == k].mean(axis=0) for k in range(c)]
    var = [np.maximum(f[yi == k].var(axis=0), 1e-4) for k in range(c)]
    if gaussian == "spherical":
        var = [np.mean(v) for v in var]
    total = 0.0
    for a in range(c):
        for b in range(c):
            if a == b:
                continue
            avg = (var[a] + var[b]) / 2
            db = np.sum((means[a] - means[b]) ** 2 / avg) / 8
            db += 0.5 * (np.sum(np.log(avg)) - 0.5 * np.sum(np.log(var[a])) - 0.5 * np.sum(np.log(var[b])))
            total += np.exp(-db)
    return float(-total)


# --------------------------------------------------------------------------- TransRate
def _coding_rate(z, eps):
    n, d = z.shape
    _, rate = np.linalg.slogdet(np.eye(d) + 1.0 / (n * eps) * z.T @ z)
    return 0.5 * rate


def transrate(f, y, eps=1e-4):
    """Huang et al. (ICML 2022), as the authors' code (class term averaged over classes)."""
    z = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    z = z - z.mean(axis=0, keepdims=True)
    rz = _coding_rate(z, eps)
    rzy = sum(_coding_rate(z[yi == k], eps) for k in range(c))
    return float(rz - rzy / c)


# --------------------------------------------------------------------------- LFC
def lfc(f, y):
    """Deshpande et al. (2021): Frobenius correlation of the centred kernels (explicit n x n)."""
    f = np.asarray(f, dtype=np.float64)
    yi, _ = _onehot(y)
    k = f @ f.T
    k -= k.mean()
    l = (yi[:, None] == yi[None, :]).astype(np.float64) * 2 - 1
    l -= l.mean()
    return float(np.sum(k * l) / (np.linalg.norm(k) * np.linalg.norm(l)))


# --------------------------------------------------------------------------- SFDA
def _power_largest(a, iters=3):
    x = a.sum(axis=1)
    for _ in range(iters):
        t = a @ x
        yv = t / np.linalg.norm(t, 2)
        t = a @ yv
        x = t / np.linalg.norm(t, 2)
    return float(x.T @ a @ yv)


def _softmax(s):
    s = s - s.max(axis=1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def _sfda_fit_predict(x, yi, c, shrinkage):
    d = x.shape[1]
    priors = np.bincount(yi, minlength=c) / len(yi)
    means = np.stack([x[yi == k].mean(axis=0) for k in range(c)])
    sw = np.zeros((d, d))
    for k in range(c):
        sw += priors[k] * np.atleast_2d(np.cov(x[yi == k].T, bias=1))
    if shrinkage is None:
        shrinkage = max(np.exp(-5 * _power_largest(sw)), 1e-10)
    st = np.cov(x.T, bias=1)
    st = (1 - shrinkage) * st + shrinkage * np.trace(st) / d * np.eye(d)
    sw_s = (1 - shrinkage) * sw + shrinkage * np.trace(sw) / d * np.eye(d)
    evals, evecs = scipy.linalg.eigh(st - sw_s, sw_s)
    evecs = evecs[:, np.argsort(evals)[::-1]]
    coef = means @ evecs @ evecs.T
    intercept = -0.5 * np.diag(means @ coef.T) + np.log(priors)
    return _softmax(x @ coef.T + intercept), shrinkage


def sfda(f, y):
    """Shao et al. (ECCV 2022), following the authors' code (generalised eigenproblem)."""
    x = np.array(f, dtype=np.float64)
    yi, c = _onehot(y)
    prob, s = _sfda_fit_predict(x, yi, c, None)
    prob = _softmax(prob)
    means = np.stack([x[yi == k].mean(axis=0) for k in range(c)])
    outer = (means.sum(axis=0, keepdims=True) - means) / (c - 1)
    p = prob[np.arange(len(yi)), yi][:, None]
    x = p * x + (1 - p) * outer[yi]
    prob, _ = _sfda_fit_predict(x, yi, c, s)
    return float(prob[np.arange(len(yi)), yi].mean())


# --------------------------------------------------------------------------- kNN / logistic
def knn(f, y, k=5):
    from sklearn.neighbors import NearestNeighbors
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    nn = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(f)
    _, idx = nn.kneighbors(f)
    correct = 0
    for i in range(len(yi)):
        neigh = [j for j in idx[i] if j != i][:k]
        votes = np.bincount(yi[neigh], minlength=c)
        top = votes.max()
        pred = next(yi[j] for j in neigh if votes[yi[j]] == top)  # tie: nearest tied class
        correct += int(pred == yi[i])
    return correct / len(yi)


def logistic(f, y, folds=5, C=1.0, max_iter=100, tol=1e-4):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    seen = np.zeros(c, dtype=int)
    fold = np.zeros(len(yi), dtype=int)
    for i, k in enumerate(yi):
        fold[i] = seen[k] % folds
        seen[k] += 1
    accs = []
    for fo in range(folds):
        tr, te = fold != fo, fold == fo
        if te.sum() == 0:
            continue
        sc = StandardScaler().fit(f[tr])
        clf = LogisticRegression(C=C, max_iter=max_iter, tol=tol).fit(sc.transform(f[tr]), yi[tr])
        accs.append(float(np.mean(clf.predict(sc.transform(f[te])) == yi[te])))
    return float(np.mean(accs))


# --------------------------------------------------------------------------- PARC / NLEEP
def parc(f, y, dims=32):
    """Bolya et al. (NeurIPS 2021): explicit n x n dissimilarities and scipy's spearmanr."""
    from sklearn.preprocessing import StandardScaler
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    if dims is not None and dims < f.shape[1]:
        f = PCA(n_components=dims, svd_solver="full").fit_transform(f)
    f = StandardScaler().fit_transform(f)
    onehot = np.eye(c)[yi]
    tri = np.tril_indices(len(yi), -1)
    df = (1 - np.corrcoef(f))[tri]
    # The label dissimilarity is exactly 0 (same class) or 1 + 1/(c-1); np.corrcoef leaves
    # rounding residue (2e-16) on some same-class pairs, which would split that tie group.
    dy = np.where(yi[:, None] == yi[None, :], 0.0, 1.0 + 1.0 / (c - 1))[tri]
    del onehot
    return float(scipy.stats.spearmanr(df, dy)[0] * 100)


def nleep(f, y, variance=0.8, per_class=5, seed=0):
    """Li et al. (CVPR 2021): PCA(0.8) + diagonal GaussianMixture(5c) + LEEP on posteriors."""
    from sklearn.mixture import GaussianMixture
    f = np.asarray(f, dtype=np.float64)
    yi, c = _onehot(y)
    z = PCA(n_components=variance).fit_transform(f)
    gmm = GaussianMixture(n_components=per_class * c, covariance_type="diag", random_state=seed).fit(z)
    return leep(gmm.predict_proba(z), yi)
