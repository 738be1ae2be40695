"""Against scikit-learn: fit time, test score, objective gap and peak memory of skgc's
estimators next to SGDRegressor / SGDClassifier (defaults and tuned on a small grid) and the
exact solvers, dense data from small to 10^6 x 100 and a large sparse case. Measured by
``skgc.tools.benchmarks.vs_sklearn``.

Run: ``python benchmarks/bench_vs_sklearn.py [--quick] [--out DIR]``
(``skgc bench --only vs_sklearn``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "vs_sklearn", *sys.argv[1:]], default_out="benchmarks/results"))
