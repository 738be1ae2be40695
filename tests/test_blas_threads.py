"""BLAS runs on one thread while skgc's loops do, and gets its threads back after, even
when fits overlap in threads (threadpoolctl's limits are process-wide)."""

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from skgc._blas import hold_one_blas_thread, one_blas_thread, release_blas_threads
from skgc.plan import make_plan


def _blas_threads():
    return {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_the_last_user_gives_blas_its_threads_back():
    with threadpool_limits(limits=2, user_api="blas"):
        hold_one_blas_thread()
        with one_blas_thread():
            assert _blas_threads() == {1}
        assert _blas_threads() == {1}  # the outer hold is still on
        release_blas_threads()
        assert _blas_threads() == {2}


def test_fits_that_overlap_leave_blas_as_they_found_it():
    """Each simulated fit holds one BLAS thread from start to end; two that overlap and
    end in the order they started (as fits in two threads of a grid search may) leave the
    process on its own setting (each restoring what it found used to leave the second's
    one thread for good)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    Y = (X @ rng.normal(size=5))[:, None]
    first, second = (make_plan(X, Y, stragglers=0.3, random_state=seed) for seed in (0, 1))
    with threadpool_limits(limits=2, user_api="blas"):
        runs = [first.run(), second.run()]
        masters = [run.__enter__() for run in runs]
        assert _blas_threads() == {1}
        for master in masters:
            master.gradient(np.zeros((5, 1)), np.zeros(1))
        for run in runs:
            run.__exit__(None, None, None)
        assert _blas_threads() == {2}
