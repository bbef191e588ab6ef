"""Side-by-side speed benchmark: zoorank's Rust scores vs the numpy/scikit-learn references.

Generates one data set (Gaussian class means + isotropic noise; source-model probabilities
as a softmax of noisy label-correlated logits), times every reference implementation from
tests/reference/reference_scores.py and the Rust example `bench_scores` on the same files,
method by method (interleaved, so machine load hits both sides alike), and prints

    method,n,d,c,zoorank_s,reference_s,ratio      (ratio = reference_s / zoorank_s)

Run from the workspace root:

    cargo build --release -p zoorank-scores --example bench_scores
    python3 crates/scores/bench/compare.py --n 10000 --d 768 --c 100

Times are the best of --repeat runs (1 for the methods that take many seconds).

Conditions are printed as `#` lines before the table and beside every row: every BLAS loaded
in the process (threadpoolctl: which library file -- numpy's and scipy's bundled OpenBLAS are
separate --, version, kernel `architecture`, threads), /proc/loadavg before the run and
before each method, and the OPENBLAS_* variables. Each row also says which speed bar the
method has (LogME and H-Score: 5x, every other score: 2x) and whether the ratio meets it. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE,
which some machines set and which slow numpy's OpenBLAS (a forced core type picks a slower
kernel), are removed before numpy is imported, for this process only; --keep-openblas-env
keeps them.

Tested with Python 3.11, numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

KEEP_ENV = "--keep-openblas-env" in sys.argv
REMOVED = {}
if not KEEP_ENV:
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            REMOVED[var] = os.environ.pop(var)

import numpy as np  # noqa: E402  (after the environment is settled: OpenBLAS reads it on load)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import reference_scores as ref  # noqa: E402

REFERENCES = {
    "logme": lambda x, y, p: ref.logme_authors(x, y),
    "h-score": lambda x, y, p: ref.h_score(x, y),
    "reg-h-score": lambda x, y, p: ref.reg_h_score(x, y),
    "leep": lambda x, y, p: ref.leep(p, y),
    "nleep": lambda x, y, p: ref.nleep(x, y),
    "nce": lambda x, y, p: ref.nce(p, y),
    "parc": lambda x, y, p: ref.parc(x, y),
    "gbc": lambda x, y, p: ref.gbc(x, y),
    "transrate": lambda x, y, p: ref.transrate(x, y),
    "sfda": lambda x, y, p: ref.sfda(x, y),
    "lfc": lambda x, y, p: ref.lfc(x, y),
    "knn": lambda x, y, p: ref.knn(x, y),
    "logistic": lambda x, y, p: ref.logistic(x, y),
    # Not a score: one read of the probability matrix (numpy's sum, one thread; zoorank's on
    # every core), the floor under NCE and LEEP on both sides.
    "read-probs": lambda x, y, p: float(p.sum()),
    "gram": lambda x, y, p: float(np.trace(x.T @ x)),
    "gram+eigh": lambda x, y, p: float(np.linalg.eigh(x.T @ x)[0][-1]),
}
SLOW = {"nleep", "parc", "logistic", "knn", "lfc", "sfda"}
# Speed bars: reference_s / zoorank_s at least this.
BARS = {"logme": 5.0, "h-score": 5.0, "read-probs": 0.0, "gram": 0.0, "gram+eigh": 0.0}
DEFAULT_BAR = 2.0


def loadavg():
    """/proc/loadavg as it reads (1/5/15-minute load, running/total tasks), or os.getloadavg."""
    try:
        with open("/proc/loadavg") as fh:
            return fh.read().strip()
    except OSError:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())


def quiet_blas():
    """A context in which numpy's BLAS worker threads are parked, for the zoorank side's run.

    After a call OpenBLAS's idle workers keep polling for a while, taking CPU from the next
    process: NLEEP ran 1.85 s right after an idle Python, 2.10 s right after a numpy product,
    1.84 s when the BLAS was limited to one thread first. The numpy side is timed outside
    this context, with its threads as numpy leaves them."""
    try:
        import threadpoolctl
        return threadpoolctl.threadpool_limits(limits=1, user_api="blas")
    except ImportError:
        import contextlib
        return contextlib.nullcontext()


def print_conditions():
    """The conditions the figures were measured under, as `#` lines."""
    print(f"# cpus {os.cpu_count()}, /proc/loadavg: {loadavg()}")
    print(f"# numpy {np.__version__}; removed from numpy's environment: {REMOVED or 'nothing'}; "
          f"OPENBLAS_* now: { {k: v for k, v in os.environ.items() if k.startswith('OPENBLAS')} }")
    try:
        import threadpoolctl
        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") == "blas":
                owner = os.path.basename(os.path.dirname(info.get("filepath", "")))
                print(f"# BLAS in {owner} ({os.path.basename(info.get('filepath', ''))}): "
                      f"{info.get('internal_api')} {info.get('version')}, "
                      f"kernel {info.get('architecture')}, {info.get('num_threads')} threads, "
                      f"{info.get('threading_layer')} threading")
    except ImportError:
        print("# numpy BLAS: unknown (pip install threadpoolctl)")
    print(f"# zoorank: RAYON_NUM_THREADS={os.environ.get('RAYON_NUM_THREADS', 'unset')} "
          f"(faer and rayon use every core when unset); numpy's BLAS threads are parked "
          f"(threadpoolctl) while zoorank runs, so their idle polling does not slow it", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--d", type=int, default=768)
    ap.add_argument("--c", type=int, default=100)
    ap.add_argument("--cs", type=int, default=1000, help="source classes for LEEP/NCE")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--methods", default=",".join(REFERENCES),
                    help="comma-separated; read-probs times one plain read of the probabilities, gram "
                         "the features' FᵀF and gram+eigh its eigendecomposition too (no scores: "
                         "the floor of H-Score and LogME)")
    ap.add_argument("--keep-openblas-env", action="store_true",
                    help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE for numpy")
    ap.add_argument("--bin", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"),
                                                  "release", "examples", "bench_scores"))
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    y = rng.integers(0, a.c, a.n)
    means = rng.normal(size=(a.c, a.d)) * 0.3
    x = means[y] + rng.normal(size=(a.n, a.d))
    proj = rng.normal(size=(a.c, a.cs)) * 2.0
    logits = proj[y] + rng.normal(size=(a.n, a.cs))
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    with tempfile.TemporaryDirectory() as tmp:
        fx, fy, fp = (os.path.join(tmp, f) for f in ("x.npy", "y.npy", "p.npy"))
        np.save(fx, x)
        np.save(fy, y)
        np.save(fp, p)
        print_conditions()
        print("method,n,d,c,zoorank_s,reference_s,ratio,bar,met,zoorank_value,reference_value,"
              "load1", flush=True)
        for m in a.methods.split(","):
            load1 = os.getloadavg()[0]
            reps = 1 if m in SLOW else a.repeat
            with quiet_blas():
                out = subprocess.run([a.bin, fx, fy, fp, "--methods", m, "--repeat", str(reps)],
                                     check=True, capture_output=True,
                                     text=True).stdout.strip().splitlines()
            _, zval, zsec = out[-1].split(",")
            best, rval = float("inf"), None
            for _ in range(reps):
                t = time.perf_counter()
                rval = REFERENCES[m](x, y, p)
                best = min(best, time.perf_counter() - t)
            zsec = float(zsec)
            ratio = best / zsec
            bar = BARS.get(m, DEFAULT_BAR)
            met = "-" if not bar else ("yes" if ratio >= bar else "no")
            print(f"{m},{a.n},{a.d},{a.c},{zsec:.4g},{best:.4g},{ratio:.2f},{bar or '-'},{met},"
                  f"{float(zval):.6g},{rval:.6g},{load1:.2f}",
                  flush=True)
        print(f"# /proc/loadavg at the end: {loadavg()}", flush=True)


if __name__ == "__main__":
    main()
