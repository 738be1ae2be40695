"""Execution backends: where the workers' code runs."""

from ._base import Backend, iteration_outcome
from ._simulated import SimulatedBackend

BACKENDS = {"simulated": SimulatedBackend}

__all__ = ["Backend", "SimulatedBackend", "iteration_outcome", "BACKENDS"]
