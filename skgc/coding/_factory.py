"""Building codes by name: :func:`make_code`."""

from ._codes import (
    CODE_NAMES,
    FullCode,
    GradientCode,
    IgnoreCode,
    OptimalCode,
    SongChoiCode,
    _default_probs,
)
from ._cyclic import CyclicCode
from ._lstsq import with_decoding
from ._replicated import BgcCode, GraphCode, IgnoreUnbiasedCode, SgcCode
from ._repetition import ErasureHeadCode, FrcCode
from ._validation import check_n_partitions, check_n_workers

__all__ = ["make_code", "build_code"]


def build_code(name, n_workers, n_partitions, load, p, random_state):
    """Build one of "ignore_unbiased", "frc", "cyclic", "erasurehead", "sgc", "bgc", "graph".

    Parameters
    ----------
    name : str
    n_workers, n_partitions : int
    load : int, array-like of int or None
    p : ndarray of shape (n_workers,)
    random_state : None, int or Generator

    Returns
    -------
    code : GradientCode
    """
    if name in ("frc", "erasurehead"):
        return (FrcCode if name == "frc" else ErasureHeadCode)(n_workers, n_partitions, load, p)
    if name == "cyclic":
        return CyclicCode(n_workers, n_partitions, load, p, random_state)
    if name == "ignore_unbiased":
        return IgnoreUnbiasedCode(p, n_partitions, load)
    cls = {"sgc": SgcCode, "bgc": BgcCode, "graph": GraphCode}[name]
    return cls(p, n_partitions, load, random_state)


def make_code(
    name,
    n_workers,
    n_partitions=None,
    load=None,
    straggler_probs=None,
    random_state=None,
    *,
    decoding=None,
    allocation=None,
    target_error=None,
):
    """Build a gradient code by name.

    Parameters
    ----------
    name : str or GradientCode
        One of :data:`CODE_NAMES`; an existing code is checked and returned
        (re-decoded if ``decoding`` is given).
    n_workers : int
        Number of workers ``N``.
    n_partitions : int, default=None
        Number of partitions ``K``; defaults to ``n_workers``.
    load : int or array-like of int, default=None
        Partitions per worker. None means the code's default:
        ``min(K, max(2, ceil(K / N)))`` for "optimal", "sgc", "bgc" and
        "graph"; 2 (one straggler tolerated) for "frc", "cyclic" and
        "erasurehead", where it is the replication ``s + 1``; the round-robin
        allocation for "full", "ignore" and "ignore_unbiased"; always ignored
        by "song_choi" (loads follow reliability).
    straggler_probs : array-like of shape (n_workers,), default=None
        Straggling probabilities; None means nobody straggles.
    random_state : None, int or Generator, default=None
        Seeds the randomised constructions ("cyclic", "sgc", "bgc", "graph").
    decoding : {"fixed", "lstsq"}, default=None
        Override the code's own decoder (see :func:`with_decoding`).
    allocation : {"greedy", "cyclic", "min_load"} or array-like, default=None
        Allocation strategy of "optimal" ("greedy" if None).
    target_error : float, default=None
        Target independent-proxy error of ``allocation="min_load"``.

    Returns
    -------
    code : GradientCode
    """
    n_workers = check_n_workers(n_workers)
    if n_partitions is not None:
        n_partitions = check_n_partitions(n_partitions)
    if isinstance(name, GradientCode):
        return with_decoding(_check_code_shape(name, n_workers, n_partitions), decoding)
    if name not in CODE_NAMES:
        raise ValueError(f"code name must be one of {CODE_NAMES}, got {name!r}.")
    if name != "optimal" and (allocation is not None or target_error is not None):
        raise ValueError(
            f"allocation and target_error apply to code='optimal' only, not {name!r}."
        )
    K = n_workers if n_partitions is None else n_partitions
    _check_code_size(n_workers, K)
    p = _default_probs(straggler_probs, n_workers)
    if name == "optimal":
        code = OptimalCode(p, K, load, random_state=random_state,
                           allocation="greedy" if allocation is None else allocation,
                           target_error=target_error)
    elif name == "song_choi":
        code = SongChoiCode(p, K)
    elif name in ("full", "ignore"):
        code = (FullCode if name == "full" else IgnoreCode)(n_workers, K, load, p)
    else:
        code = build_code(name, n_workers, K, load, p, random_state)
    return with_decoding(code, decoding)


#: Largest ``n_workers * n_partitions``: the codes hold dense (N, K) matrices.
MAX_CODE_ENTRIES = 2 ** 24


def _check_code_size(n_workers, n_partitions):
    """Refuse codes whose dense (n_workers, n_partitions) matrices would be absurd."""
    entries = n_workers * n_partitions
    if entries > MAX_CODE_ENTRIES:
        raise ValueError(
            f"n_workers={n_workers} with n_partitions={n_partitions} needs a code of "
            f"{entries:.3g} entries, more than skgc supports ({MAX_CODE_ENTRIES:.3g}: the "
            "code's allocation and coefficients are dense n_workers x n_partitions "
            "matrices). Use fewer workers or partitions."
        )


def _check_code_shape(code, n_workers, n_partitions):
    if code.n_workers != n_workers:
        raise ValueError(
            f"code has n_workers={code.n_workers}, expected n_workers={n_workers}."
        )
    if n_partitions is not None and code.n_partitions != n_partitions:
        raise ValueError(
            f"code has n_partitions={code.n_partitions}, expected "
            f"n_partitions={n_partitions}."
        )
    return code
