"""Exact convergence under stragglers: iterations and (simulated and real) time to a 1e-8
relative gap, variance reduction against GD, the paper's scheme, optimal without variance
reduction and ignore; paper and mixed straggler models, iid and non-iid partitions.
Measured by ``skgc.tools.benchmarks.convergence``.

Run: ``python benchmarks/bench_convergence.py [--quick] [--out DIR] [--seed S]``
(``skgc bench --only convergence``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "convergence", *sys.argv[1:]], default_out="benchmarks/results"))
