"""The whole benchmark suite (``skgc bench``), writing to ``benchmarks/results/`` by default.

Run: ``python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--out DIR]``.
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], default_out="benchmarks/results"))
