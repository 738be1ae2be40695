"""Simulated per-iteration cost against one plain numpy full gradient on the same data (the
floor: the data must be read once), at several loads, with plain and control-variate
decoding. Measured by ``skgc.tools.benchmarks.iteration_cost``.

Run: ``python benchmarks/bench_iteration_cost.py [--quick] [--out DIR]``
(``skgc bench --only iteration_cost``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "iteration_cost", *sys.argv[1:]],
                  default_out="benchmarks/results"))
