"""The solvers: Newton-type steps on coded curvature, L-BFGS and coded gradient descent."""

from ._gd import SolverResult, coded_gradient_descent
from ._lbfgs import lbfgs_solver
from ._newton import NewtonSettings, newton_solver
from ._steps import SCHEDULES, StepSchedule

__all__ = ["SolverResult", "coded_gradient_descent", "newton_solver",
           "NewtonSettings", "lbfgs_solver", "StepSchedule", "SCHEDULES", "SOLVERS"]

#: The estimators' ``solver`` options.
SOLVERS = ("auto", "newton", "lbfgs", "gd")
