"""One BLAS thread while skgc's own loops run, shared safely by concurrent fits.

The simulated backend and the L-BFGS solver compute many small products, for which
OpenBLAS's threads cost more than they give (on a busy machine, spinning threads made a
10^4 x 100 product 100x slower). threadpoolctl's limits are process-wide: two fits in two
threads (a threaded grid search) that each limited and then restored them would leave the
process on one thread for good when they end in the other order. Here the first user
limits, the last one restores.
"""

import threading
from contextlib import contextmanager
from functools import cache

from threadpoolctl import ThreadpoolController

__all__ = ["hold_one_blas_thread", "release_blas_threads", "one_blas_thread"]

_LOCK = threading.Lock()
_state = {"users": 0, "limiter": None}


@cache
def _controller():
    """The process's thread pools, inspected once (inspecting costs ~10 ms, limiting
    through the controller then ~20 us)."""
    return ThreadpoolController()


def hold_one_blas_thread():
    """Limit BLAS to one thread until the matching :func:`release_blas_threads`."""
    with _LOCK:
        if _state["users"] == 0:
            _state["limiter"] = _controller().limit(limits=1, user_api="blas")
        _state["users"] += 1


def release_blas_threads():
    """End one :func:`hold_one_blas_thread`; the last one gives BLAS its threads back."""
    with _LOCK:
        if _state["users"] == 0:
            return
        _state["users"] -= 1
        if _state["users"] == 0:
            _state["limiter"].restore_original_limits()
            _state["limiter"] = None


@contextmanager
def one_blas_thread():
    """BLAS on one thread within the block (see :func:`hold_one_blas_thread`)."""
    hold_one_blas_thread()
    try:
        yield
    finally:
        release_blas_threads()
