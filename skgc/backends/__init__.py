"""Execution backends: where the workers' code runs.

``"simulated"`` runs every worker in this process on a virtual clock; ``"threading"`` and
``"loky"`` run real workers (threads, processes) on this machine with real injected delays
and a real deadline; ``"dask"`` runs them on a Dask ``distributed`` cluster.
"""

from ._base import Backend, CurvatureEstimate, iteration_outcome
from ._dask import DaskBackend
from ._live import LiveBackend
from ._master import CurvatureOracle, GramRefresh, Master
from ._local import LokyBackend, ThreadingBackend
from ._simulated import SimulatedBackend

BACKENDS = {
    "simulated": SimulatedBackend,
    "threading": ThreadingBackend,
    "loky": LokyBackend,
    "dask": DaskBackend,
}


def backend_class(backend):
    """The class of a backend given by name or as an object."""
    return type(backend) if isinstance(backend, Backend) else BACKENDS[backend]


def make_backend(backend, stragglers, deadline, random_state):
    """The backend of one fit, from a name in ``BACKENDS`` or a :class:`Backend` object."""
    if isinstance(backend, Backend):
        return backend.bind(stragglers, deadline, random_state)
    return BACKENDS[backend](stragglers, deadline, random_state)


__all__ = ["Backend", "LiveBackend", "SimulatedBackend", "ThreadingBackend", "LokyBackend",
           "DaskBackend", "Master", "GramRefresh", "CurvatureOracle", "CurvatureEstimate",
           "iteration_outcome", "make_backend", "backend_class", "BACKENDS"]
