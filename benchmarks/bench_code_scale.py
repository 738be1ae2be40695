"""Time to build every gradient code for 1,000 workers (target: under a second each).

For every name in ``skgc.coding.CODE_NAMES``, ``make_code(name, N, K, load=L, ...)`` with
N = K = 1000 workers and partitions, heterogeneous probabilities p ~ U(0.05, 0.5), at the
code's default load and at load 5 ("song_choi" chooses its own loads); the median of three
builds, with BLAS limited to one thread (on a shared machine more threads only add
contention to the one dense solve, the cyclic code's all-alive decoding) and with the
default number of threads. The expected residual error, which the estimators also ask
for, is timed once per code (closed forms are instant; the alive-dependent decoders of
"ignore", "frc", "cyclic", "bgc" and "graph" average 20,000 seeded Monte-Carlo draws,
each a least-squares solve for the lstsq codes, and are left out above
``--max-error-workers``). Writes a markdown table to stdout and DIR/results_code_scale.md.

    python benchmarks/bench_code_scale.py [--quick] [--out DIR] [--workers N]
"""

import argparse
import time

import numpy as np
from _report import write_report
from threadpoolctl import threadpool_limits

from skgc.coding import CODE_NAMES, make_code

ALIVE_DEPENDENT = ("ignore", "frc", "cyclic", "bgc", "graph")


def build_seconds(name, n, p, load, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        code = make_code(name, n, n, load=load, straggler_probs=p, random_state=0)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), code


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=None)
    parser.add_argument("--workers", type=int, default=1000)
    parser.add_argument("--max-error-workers", type=int, default=200)
    args = parser.parse_args(argv)
    n = args.workers
    repeats = 1 if args.quick else 3
    p = np.random.default_rng(0).uniform(0.05, 0.5, n)
    rows = []
    for name in CODE_NAMES:
        for load in ((None,) if name == "song_choi" else (None, 5)):
            with threadpool_limits(1):
                one, code = build_seconds(name, n, p, load, repeats)
            default, _ = build_seconds(name, n, p, load, repeats)
            error = "—"
            if name not in ALIVE_DEPENDENT or n <= args.max_error_workers:
                start = time.perf_counter()
                code.residual_error("coherent")
                error = f"{time.perf_counter() - start:.3f}"
            rows.append([name, "default" if load is None else load,
                         int(code.loads.sum()), f"{one:.3f}", f"{default:.3f}", error,
                         "yes" if min(one, default) < 1.0 else "**no**"])
            print(f"  {name} load={load}: {one:.3f} s", flush=True)
    header = ["code", "load", "total load", "build (s), 1 BLAS thread",
              "build (s), default threads", "residual error (s)", "under 1 s"]
    write_report(f"# Building codes for {n} workers\n\nN = K = {n}, p ~ U(0.05, 0.5); "
                 f"median of {repeats} build(s).", header, rows, args.out,
                 "results_code_scale.md")

if __name__ == "__main__":
    main()
