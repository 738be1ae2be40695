"""The coded gradient-descent solver: steps, averaging, stopping."""

from ._gd import GradientEstimate, SolverResult, coded_gradient_descent
from ._steps import SCHEDULES, StepSchedule

__all__ = ["GradientEstimate", "SolverResult", "coded_gradient_descent", "StepSchedule",
           "SCHEDULES"]
