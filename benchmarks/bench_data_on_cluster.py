"""Data that live on the cluster: skgc and dask-ml fitted on dask arrays made on the
workers of a LocalCluster of 4 single-thread processes — client peak memory growth during
``fit``, fit time at equal score, and one Dask worker 10x slower. Measured by
``skgc.tools.benchmarks.data_on_cluster``.

Run: ``python benchmarks/bench_data_on_cluster.py [--quick] [--out DIR]``
(``skgc bench --only data_on_cluster``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "data_on_cluster", *sys.argv[1:]],
                  default_out="benchmarks/results"))
