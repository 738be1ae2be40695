"""Peak memory of a fit against the size of the data.

For growing data (dense float64, n_samples x 50) a regressor is fitted with 8 workers,
a fixed number of iterations, on the simulated backend (stragglers p = 0.3) and on the
threading backend (no stragglers: they would sleep); the peak of the memory Python
allocates during the fit (tracemalloc, which sees numpy's buffers) is reported as a multiple of the data size, and for 50 and
200 iterations (the difference is the per-iteration growth: only the history). For the
loky backend, the size of the data file the workers map (written once per fit) against
the data size. Writes a markdown table to stdout and DIR/results_memory.md.

    python benchmarks/bench_memory.py [--quick] [--out DIR]
"""

import argparse
import glob
import os
import time
import tracemalloc

import numpy as np

from _report import write_report

from skgc import CodedGradientRegressor

N_FEATURES = 50


def data(n_samples, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, N_FEATURES))
    return X, X @ rng.normal(size=N_FEATURES) + rng.normal(size=n_samples)


def peak_bytes(X, y, backend, max_iter):
    """Peak bytes allocated by Python/numpy during one fit (imports and caches warmed)."""
    # real workers straggle for real (sleeping past the deadline): none on threads
    params = dict(n_workers=8, stragglers=0.3 if backend == "simulated" else None,
                  max_iter=max_iter, tol=None, random_state=0, backend=backend,
                  deadline=5.0 if backend != "simulated" else None)
    CodedGradientRegressor(**{**params, "max_iter": 2}).fit(X[:50], y[:50])
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        model = CodedGradientRegressor(**params).fit(X, y)
        return tracemalloc.get_traced_memory()[1], model
    finally:
        tracemalloc.stop()


def loky_file_bytes(X, y):
    """Size of the data file the loky workers map, read while the fit runs."""
    import tempfile

    from skgc.stragglers import FixedDelays

    sizes = []
    folder = tempfile.mkdtemp(prefix="bench-memory-")  # ours alone, not /dev/shm's

    class Probe(FixedDelays):
        def injected_delays(self, times, deadline):
            files = glob.glob(os.path.join(folder, "skgc-*", "*"))
            sizes.append(sum(os.path.getsize(f) for f in files))
            return super().injected_delays(times, deadline)

    previous = os.environ.get("JOBLIB_TEMP_FOLDER")
    os.environ["JOBLIB_TEMP_FOLDER"] = folder
    try:
        CodedGradientRegressor(n_workers=4, stragglers=Probe(np.zeros(4)), deadline=5.0,
                               backend="loky", max_iter=2, tol=None, random_state=0).fit(X, y)
    finally:
        if previous is None:
            del os.environ["JOBLIB_TEMP_FOLDER"]
        else:
            os.environ["JOBLIB_TEMP_FOLDER"] = previous
        os.rmdir(folder)  # fails if the fit left a file behind
    return max(sizes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    sizes = [2_000, 10_000] if args.quick else [2_000, 10_000, 50_000, 200_000]
    rows = []
    for n in sizes:
        X, y = data(n)
        mb = X.nbytes / 1e6
        row = [f"{n:,}", f"{mb:.1f}"]
        for backend in ("simulated", "threading"):
            if backend == "threading" and n > 50_000:
                row += ["—", "—"]
                continue
            start = time.perf_counter()
            short, _ = peak_bytes(X, y, backend, 50)
            long, model = peak_bytes(X, y, backend, 200)
            row += [f"{short / X.nbytes:.2f}", f"{(long - short) / 1e3:+.1f}"]
            print(f"  {backend} n={n}: {time.perf_counter() - start:.1f} s", flush=True)
        row.append(f"{loky_file_bytes(X, y) / X.nbytes:.3f}")
        rows.append(row)
    header = ["samples", "data (MB)", "simulated peak / data", "simulated +150 iter (kB)",
              "threading peak / data", "threading +150 iter (kB)", "loky file / data"]
    write_report("# Peak memory against data size\n\nPeak bytes allocated during a "
                 "50-iteration fit (tracemalloc) divided by the size of X; the change of that "
                 "peak for 150 more iterations; the size of the file the loky workers map, "
                 "divided by the size of X.", header, rows, args.out, "results_memory.md")

if __name__ == "__main__":
    main()
