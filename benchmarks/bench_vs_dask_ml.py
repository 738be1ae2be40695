"""Against dask-ml on one Dask cluster: skgc with ``backend="dask"`` next to dask-ml's
``LinearRegression`` solvers (newton, lbfgs, gradient_descent) on correlated ridge
regression, a LocalCluster of 4 single-thread worker processes. Measured by
``skgc.tools.benchmarks.vs_dask_ml``.

Run: ``python benchmarks/bench_vs_dask_ml.py [--quick] [--out DIR]``
(``skgc bench --only vs_dask_ml``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "vs_dask_ml", *sys.argv[1:]], default_out="benchmarks/results"))
