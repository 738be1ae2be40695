"""Gradient codes: allocations, encoding coefficients, decoders and errors.

Pure numpy/scipy: this layer knows nothing about data, models or execution.
"""

from ._allocation import cyclic_allocation, greedy_allocation, round_robin_allocation
from ._codes import (
    ALLOCATIONS,
    CODE_NAMES,
    FullCode,
    GradientCode,
    IgnoreCode,
    OptimalCode,
    SongChoiCode,
    default_load,
    one_per_worker_allocation,
    song_choi_code,
)
from ._factory import make_code
from ._cyclic import CyclicCode, cyclic_null_space_matrix
from ._expectation import AliveStatistics, alive_statistics
from ._lstsq import (
    DECODINGS,
    IllConditionedDecodingWarning,
    LstsqCode,
    LstsqDecoder,
    with_decoding,
)
from ._min_load import allocation_error, min_load_allocation
from ._replicated import (
    BgcCode,
    GraphCode,
    IgnoreUnbiasedCode,
    SgcCode,
    bernoulli_allocation,
    replicated_allocation,
    replication_weights,
)
from ._repetition import ErasureHeadCode, FrcCode, frc_groups, virtual_partition_map
from ._report import CodeReport, code_report, compare_codes, format_reports
from ._coefficients import PROXIES, optimal_coefficients, residual_error
from ._gradient_aware import gradient_aware_coefficients, gram_residual_error
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
    "ALLOCATIONS",
    "DECODINGS",
    "IllConditionedDecodingWarning",
    "LstsqCode",
    "LstsqDecoder",
    "with_decoding",
    "CyclicCode",
    "FrcCode",
    "ErasureHeadCode",
    "SgcCode",
    "BgcCode",
    "GraphCode",
    "IgnoreUnbiasedCode",
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
