"""Real workers: wall-clock time to a target objective gap with 30% of the workers ten times
slower (local processes, and a Dask cluster in a full run), for the optimal code with a
deadline against waiting for all and ignoring stragglers; each backend's per-iteration
overhead and bytes shipped. Measured by ``skgc.tools.benchmarks.backends``.

Run: ``python benchmarks/bench_backends.py [--quick] [--out DIR]``
(``skgc bench --only backends``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "backends", *sys.argv[1:]], default_out="benchmarks/results"))
