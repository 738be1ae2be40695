"""Straggler models: who is slow in each iteration, seeded and reproducible."""

from ._bernoulli import BernoulliStragglers, paper_model
from ._base import StragglerModel
from ._check import check_stragglers
from ._delays import DelayModel, FixedDelays, Pareto, ShiftedExponential, TraceDelays
from ._replay import AliveTrace, alive_matrix, replay_from_history
from ._estimation import StragglerEstimator

__all__ = ["StragglerModel", "BernoulliStragglers", "paper_model", "check_stragglers",
           "DelayModel", "FixedDelays", "ShiftedExponential", "Pareto", "TraceDelays",
           "StragglerEstimator", "AliveTrace", "alive_matrix", "replay_from_history"]
