"""Execution backends (the transport): where the workers' code runs, and nothing else.

``"simulated"`` runs every worker in this process on a virtual clock; ``"threading"`` and
``"loky"`` run real workers (threads, processes) on this machine with real injected delays
and a real deadline; ``"dask"`` runs them on a Dask ``distributed`` cluster. A backend
places the partitions once per fit and runs rounds: one request to every worker, back
what arrived in time. The master (:mod:`skgc.master`) decides everything else.
"""

from ._base import Backend, iteration_outcome
from ._dask import DaskBackend
from ._live import LiveBackend
from ._local import LokyBackend, ThreadingBackend
from ._messages import Round, Work, pack, unpack
from ._simulated import SimulatedBackend

BACKENDS = {
    "simulated": SimulatedBackend,
    "threading": ThreadingBackend,
    "loky": LokyBackend,
    "dask": DaskBackend,
}


def make_backend(backend):
    """A fresh backend for one fit, from a name in ``BACKENDS`` or a :class:`Backend`
    object (whose options it keeps)."""
    if isinstance(backend, Backend):
        return backend.bind()
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {sorted(BACKENDS)} or a skgc.backends."
                         f"Backend; got {backend!r}.")
    return BACKENDS[backend]()


__all__ = ["Backend", "LiveBackend", "SimulatedBackend", "ThreadingBackend", "LokyBackend",
           "DaskBackend", "Work", "Round", "pack", "unpack", "iteration_outcome",
           "make_backend", "BACKENDS"]
