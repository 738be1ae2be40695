"""Gradient codes: allocations, encoding coefficients, decoders and errors.

Pure numpy/scipy: this layer knows nothing about data, models or execution.
"""

from ._allocation import cyclic_allocation, greedy_allocation, round_robin_allocation
from ._codes import (
    CODE_NAMES,
    FullCode,
    GradientCode,
    IgnoreCode,
    OptimalCode,
    SongChoiCode,
    make_code,
    song_choi_code,
)
from ._coefficients import PROXIES, optimal_coefficients, residual_error
from ._song_choi import (
    northwest_corner,
    song_choi_alpha,
    song_choi_coefficients,
    song_choi_loads,
)
from ._validation import (
    check_alive,
    check_allocation,
    check_load,
    check_probabilities,
)

__all__ = [
    "CODE_NAMES",
    "PROXIES",
    "GradientCode",
    "OptimalCode",
    "SongChoiCode",
    "FullCode",
    "IgnoreCode",
    "make_code",
    "song_choi_code",
    "optimal_coefficients",
    "residual_error",
    "greedy_allocation",
    "cyclic_allocation",
    "round_robin_allocation",
    "song_choi_loads",
    "song_choi_alpha",
    "song_choi_coefficients",
    "northwest_corner",
    "check_probabilities",
    "check_load",
    "check_alive",
    "check_allocation",
]
