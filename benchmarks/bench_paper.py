"""The paper's comparison: relative objective gap against iteration under Song & Choi's
stragglers (N = K = 10), every scheme on the same data and straggler draws, iid and non-iid
partitions, linear and logistic regression; iterations to a 1e-4 gap against gradient
descent's, and the gap at a fixed budget. Measured by ``skgc.tools.benchmarks.paper``.

Run: ``python benchmarks/bench_paper.py [--quick] [--out DIR] [--seeds 0,1,2]``
(``skgc bench --only paper``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "paper", *sys.argv[1:]], default_out="benchmarks/results"))
