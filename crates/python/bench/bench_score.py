"""zoorank.score(X, y, "logme") from Python against the numpy reference LogME, side by side.

Run from the workspace root, with the zoorank package installed in the current Python:

    python crates/python/bench/bench_score.py                 # n=10000, d=768, c=100
    python crates/python/bench/bench_score.py --n 2000 --d 256 --c 10 --repeat 3

Prints, as a Markdown table:

- speed: zoorank.score and the reference (crates/scores/tests/reference/reference_scores.py,
  `logme_authors`: the authors' fast path with the n < d fix, 11 fixed-point steps) on the
  same float64 array, interleaved run by run so that machine load hits both alike; best of
  --repeat each, and both values;
- call overhead: on a tiny input (8 x 2, two classes), the best mean wall time per
  zoorank.score call (5 batches of 2000), and the overhead: the median over 20000 calls of
  the call's wall time minus the time LogME's own computation took inside it (timed in Rust
  around the method, as `zoorank score --json` reports it);
- peak memory: for each layout (float64 C order, float64 Fortran order, float32 Fortran
  order), the growth of the process's peak resident memory during one zoorank.score call,
  measured in a fresh child process that only loads the array (VmHWM), next to the array's
  own size.

OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which some machines set and which slow numpy's
OpenBLAS, are removed before numpy is imported (this process and its children only); the
load average and the BLAS are printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

REMOVED = {v: os.environ.pop(v) for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if v in os.environ}

import numpy as np  # noqa: E402  (OpenBLAS reads the environment when it loads)

import zoorank  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "..", "scores", "tests", "reference")


def data(n: int, d: int, c: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian class means plus isotropic noise (as crates/scores/bench/compare.py)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c, size=n)
    means = rng.normal(size=(c, d))
    x = means[y] + rng.normal(scale=2.0, size=(n, d))
    return x, y


def peak_rss_kib() -> int:
    """The process's peak resident memory in KiB: VmHWM on Linux (per address space, so it
    starts afresh at exec, unlike ru_maxrss, which a child inherits from its parent)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_child(path: str) -> None:
    """In a child process: load one array (a single allocation of its own size), then print
    the growth of the peak resident memory during one score call, in MiB."""
    a = np.load(path)
    y = np.load(path.replace(".npy", ".labels.npy"))
    zoorank.score(a[:64], y[:64])  # load everything the call touches once
    before = peak_rss_kib()
    zoorank.score(a, y)
    after = peak_rss_kib()
    print(f"{(after - before) / 1024:.1f} {a.nbytes / 2**20:.1f} {zoorank.reads_in_place(a, 'logme')}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--d", type=int, default=768)
    ap.add_argument("--c", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peak-child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.peak_child:
        peak_child(a.peak_child)
        return
    sys.path.insert(0, REFERENCE)
    import reference_scores as ref

    print(f"# cpus {os.cpu_count()}, load average " + "/".join(f"{v:.2f}" for v in os.getloadavg()))
    print(f"# numpy {np.__version__}, zoorank {zoorank.__version__}, Python {sys.version.split()[0]}; "
          f"removed from the environment: {sorted(REMOVED) or 'nothing'}")
    try:
        import threadpoolctl

        for info in threadpoolctl.threadpool_info():
            if info.get("user_api") == "blas":
                print(f"# numpy BLAS: {info.get('internal_api')} {info.get('version')}, "
                      f"kernel {info.get('architecture')}, {info.get('num_threads')} threads")
    except ImportError:
        pass

    x, y = data(a.n, a.d, a.c)
    ours, theirs = [], []
    v_ours = v_ref = float("nan")
    for _ in range(a.repeat):
        t = time.perf_counter()
        v_ours = zoorank.score(x, y, "logme")
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        v_ref = ref.logme_authors(x, y)
        theirs.append(time.perf_counter() - t)
    # The published fixed point is what the reference computes; same value expected.
    v_pub = zoorank.score(x, y, "logme", logme_published=True)

    # Call overhead: wall time of a call on a tiny input minus the time the method's own
    # computation took inside it (measured in Rust, as `zoorank score --json` reports it).
    xt, yt = data(8, 2, 2, seed=1)
    walls, overheads = [], []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(2000):
            zoorank.score(xt, yt, "logme")
        walls.append((time.perf_counter() - t) / 2000)
    for _ in range(20000):
        # What zoorank.score does, with the method's own time (measured in Rust) taken out.
        t = time.perf_counter()
        res = zoorank._zoorank.score_arrays(zoorank._matrix(xt, "features"), zoorank._labels(yt), ["logme"], None, False)
        overheads.append(time.perf_counter() - t - res[0][2])
    call_wall, call_overhead = min(walls), float(np.median(overheads))

    peaks = {}
    with tempfile.TemporaryDirectory(prefix="zoorank-bench-") as tmp:
        layouts = {
            "float64, C order": np.ascontiguousarray(x),
            "float64, Fortran order": np.asfortranarray(x),
            "float32, Fortran order": np.asfortranarray(x.astype(np.float32)),
        }
        for i, (layout, arr) in enumerate(layouts.items()):
            path = os.path.join(tmp, f"x{i}.npy")
            np.save(path, arr)  # keeps the order; np.load gives it back without a copy
            np.save(path.replace(".npy", ".labels.npy"), y)
            out = subprocess.run([sys.executable, __file__, "--peak-child", path],
                                 capture_output=True, text=True, check=True).stdout.split()
            peaks[layout] = out
        del layouts

    print(f"\nLogME at n={a.n}, d={a.d}, c={a.c} (best of {a.repeat}, interleaved):\n")
    print("| | seconds | value |")
    print("|---|---|---|")
    print(f"| zoorank.score(X, y, \"logme\") (maximum of the evidence) | {min(ours):.4f} | {v_ours:.12f} |")
    print(f"| zoorank.score(..., logme_published=True) | | {v_pub:.12f} |")
    print(f"| numpy reference `logme_authors` (published fixed point) | {min(theirs):.4f} | {v_ref:.12f} |")
    print(f"\nspeed-up: {min(theirs) / min(ours):.1f}x\n")
    print(f"tiny input (8 x 2, 2 classes): {call_wall * 1e6:.1f} us per zoorank.score call (best mean of 5 x 2000); "
          f"call overhead (the call minus LogME's own computation, median of 20000): {call_overhead * 1e6:.2f} us\n")
    print("| layout | array MiB | read in place | peak memory growth in the call, MiB |")
    print("|---|---|---|---|")
    for layout, (grow, size, inplace) in peaks.items():
        print(f"| {layout} | {size} | {inplace} | {grow} |")
    print(f"\n# load average after: " + "/".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
