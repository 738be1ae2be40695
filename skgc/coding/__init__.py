"""Gradient codes: allocations, encoding coefficients, decoders and errors.

Pure numpy/scipy: this layer knows nothing about data, models or execution. Every code
is a :class:`GradientCode`; :func:`make_code` builds one by name from the registry
(:data:`CODE_NAMES`, extended with :func:`register_code`).
"""

from .._validation import check_probabilities
from ._allocation import (
    cyclic_allocation,
    default_load,
    greedy_allocation,
    northwest_corner,
    one_per_worker_allocation,
    round_robin_allocation,
    virtual_partition_map,
)
from ._coefficients import optimal_coefficients, replication_weights, residual_error
from ._expectation import AliveStatistics, alive_statistics
from ._gradient_aware import gradient_aware_coefficients, gram_residual_error
from ._gradient_code import GradientCode
from ._lstsq import (
    DECODINGS,
    IllConditionedDecodingWarning,
    LstsqCode,
    LstsqDecoder,
    with_decoding,
)
from ._min_load import allocation_error, min_load_allocation
from ._registry import CODE_NAMES, make_code, register_code, unregister_code
from ._validation import PROXIES, check_alive, check_allocation, check_load

# The code families register their codes as they are imported: this order is the order
# of CODE_NAMES.
from ._optimal import ALLOCATIONS, OptimalCode  # isort: skip
from ._song_choi import (  # isort: skip
    SongChoiCode,
    song_choi_alpha,
    song_choi_code,
    song_choi_coefficients,
    song_choi_loads,
)
from ._baselines import FullCode, IgnoreCode, IgnoreUnbiasedCode  # isort: skip
from ._repetition import ErasureHeadCode, FrcCode, frc_groups  # isort: skip
from ._cyclic import CyclicCode, cyclic_null_space_matrix  # isort: skip
from ._replicated import (  # isort: skip
    BgcCode,
    GraphCode,
    SgcCode,
    bernoulli_allocation,
    replicated_allocation,
)
from ._report import CodeReport, code_report, compare_codes, format_reports  # isort: skip

__all__ = [
    "GradientCode",
    "CODE_NAMES",
    "make_code",
    "register_code",
    "unregister_code",
    "OptimalCode",
    "SongChoiCode",
    "FullCode",
    "IgnoreCode",
    "IgnoreUnbiasedCode",
    "FrcCode",
    "ErasureHeadCode",
    "CyclicCode",
    "SgcCode",
    "BgcCode",
    "GraphCode",
    "LstsqCode",
    "LstsqDecoder",
    "with_decoding",
    "DECODINGS",
    "IllConditionedDecodingWarning",
    "ALLOCATIONS",
    "PROXIES",
    "song_choi_code",
    "cyclic_null_space_matrix",
    "frc_groups",
    "virtual_partition_map",
    "replication_weights",
    "replicated_allocation",
    "bernoulli_allocation",
    "min_load_allocation",
    "allocation_error",
    "default_load",
    "one_per_worker_allocation",
    "AliveStatistics",
    "alive_statistics",
    "CodeReport",
    "code_report",
    "compare_codes",
    "format_reports",
    "optimal_coefficients",
    "gradient_aware_coefficients",
    "gram_residual_error",
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
