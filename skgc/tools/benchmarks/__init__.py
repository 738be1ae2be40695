"""The benchmark suite behind ``skgc bench``: one module per question.

======================  ===============================================================
``paper``               the paper's comparison: objective gap against iteration
``codes``               residual error against computation load, load for a target error
``vs_sklearn``          fit time, score, gap and memory against SGD and exact solvers
``standard_sets``       default fits on scikit-learn's small data sets against SGD's
``vs_dask_ml``          fit time at equal R^2 against dask-ml on one Dask cluster
``data_on_cluster``     dask arrays made on the workers: client memory, time, slow worker
``iteration_cost``      simulated iteration cost against one numpy full gradient
``convergence``         iterations and time to 1e-4 and 1e-8 gaps: Newton and GD
``backends``            wall clock with real delays on local processes and Dask
======================  ===============================================================

Each module has ``NAME``, ``TITLE`` and ``run(settings) -> Section``; every comparison in
it is a ratio measured in one run on the same data and straggler draws.
"""

SUITE = ("paper", "codes", "vs_sklearn", "standard_sets", "vs_dask_ml", "data_on_cluster", "iteration_cost",
         "convergence", "backends")
#: The parts a ``--quick`` run finishes fastest (the test suite runs these).
FAST = ("codes", "iteration_cost")

__all__ = ["SUITE", "FAST"]
