"""Default fits on scikit-learn's standardised small data sets (diabetes, breast cancer and
digits, hinge and log-loss) against SGD's defaults: fit time ratio, iterations, warnings and
scores. Measured by ``skgc.tools.benchmarks.standard_sets``.

Run: ``python benchmarks/bench_standard_sets.py [--quick] [--out DIR]``
(``skgc bench --only standard_sets``).
"""

import sys

from skgc.tools.benchmarks.cli import main

if __name__ == "__main__":
    sys.exit(main(["--only", "standard_sets", *sys.argv[1:]], default_out="benchmarks/results"))
