"""Residual error against computation load for every gradient code, and the load to reach
a target error, under the paper's straggler model and a mixed one (plot: error against
load). Measured by ``skgc.tools.benchmarks.codes``.

Run: ``python benchmarks/bench_codes.py [--quick] [--out DIR] [--seed S]``
(``skgc bench --only codes``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "codes", *sys.argv[1:]], default_out="benchmarks/results"))
