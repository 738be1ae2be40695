"""Codes by name: :func:`register_code`, :data:`CODE_NAMES` and :func:`make_code`.

Each module of a code family registers its codes when :mod:`skgc.coding` is imported;
:data:`CODE_NAMES` lists them in registration order.
"""

from collections.abc import Sequence, Set

import numpy as np

from .._validation import check_n_workers, check_probabilities
from ._gradient_code import GradientCode
from ._lstsq import with_decoding
from ._validation import check_n_partitions

__all__ = ["CODE_NAMES", "register_code", "unregister_code", "make_code"]

#: Keyword options of :func:`make_code` that a builder may accept.
BUILDER_OPTIONS = ("allocation", "target_error")

#: Largest ``n_workers * n_partitions``: the codes hold dense (N, K) matrices.
MAX_CODE_ENTRIES = 2 ** 24

_BUILDERS = {}  # name -> (builder, frozenset of accepted options)


class RegisteredCodeNames(Sequence, Set):
    """The names of the registered codes, in registration order.

    A read-only live view: a code registered later appears in it. It is a sequence
    (indexing, iteration in order) and a set (``in``, set operations).
    """

    def __getitem__(self, index):
        return tuple(_BUILDERS)[index]

    def __len__(self):
        return len(_BUILDERS)

    def __iter__(self):
        return iter(tuple(_BUILDERS))

    def __contains__(self, name):
        return isinstance(name, str) and name in _BUILDERS

    @classmethod
    def _from_iterable(cls, iterable):
        return frozenset(iterable)

    def __repr__(self):
        return repr(tuple(_BUILDERS))


#: The names :func:`make_code` and the estimators' ``code`` parameter accept.
CODE_NAMES = RegisteredCodeNames()


def register_code(name, builder=None, *, options=()):
    """Give a code a name, for :func:`make_code` and the estimators' ``code`` parameter.

    Parameters
    ----------
    name : str
        The new name (not registered yet).
    builder : callable, default=None
        ``builder(n_workers, n_partitions, load, straggler_probs, random_state,
        **options)`` returns a :class:`GradientCode` of shape
        ``(n_workers, n_partitions)``. It receives ``n_workers`` and ``n_partitions`` as
        validated ints, ``straggler_probs`` as a validated ndarray (zeros when none is
        given), ``load`` and ``random_state`` as given (None: the code's defaults).
        None: return a decorator that registers the function it decorates.
    options : iterable of str, default=()
        The keyword options of :func:`make_code` (among ``"allocation"`` and
        ``"target_error"``) that the builder accepts; they are passed only when given.

    Returns
    -------
    builder : callable
        The builder (or the decorator), so that ``register_code`` can decorate.

    Examples
    --------
    >>> import numpy as np
    >>> from skgc.coding import GradientCode, make_code, register_code, unregister_code
    >>> @register_code("everyone_everything")
    ... def build(n_workers, n_partitions, load, straggler_probs, random_state):
    ...     holds = np.ones((n_workers, n_partitions), dtype=bool)
    ...     return GradientCode(holds, holds / n_workers, straggler_probs,
    ...                         name="everyone_everything")
    >>> make_code("everyone_everything", 2).coefficients
    array([[0.5, 0.5],
           [0.5, 0.5]])
    >>> unregister_code("everyone_everything")
    """
    if builder is None:
        return lambda function: register_code(name, function, options=options)
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}.")
    if name in _BUILDERS:
        raise ValueError(
            f"a code named {name!r} is already registered; unregister_code({name!r}) first."
        )
    if not callable(builder):
        raise ValueError(f"builder must be callable, got {builder!r}.")
    unknown = sorted(set(options) - set(BUILDER_OPTIONS))
    if unknown:
        raise ValueError(f"options must be among {BUILDER_OPTIONS}, got {unknown}.")
    _BUILDERS[name] = (builder, frozenset(options))
    return builder


def unregister_code(name):
    """Forget a registered code name.

    Parameters
    ----------
    name : str
        One of :data:`CODE_NAMES`.
    """
    if name not in CODE_NAMES:
        raise ValueError(f"no code named {name!r} is registered.")
    del _BUILDERS[name]


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
    builder, accepted = _BUILDERS[name]
    options = {key: value for key, value in
               (("allocation", allocation), ("target_error", target_error))
               if value is not None}
    _check_options(name, options, accepted)
    K = n_workers if n_partitions is None else n_partitions
    _check_code_size(n_workers, K)
    p = np.zeros(n_workers) if straggler_probs is None else check_probabilities(
        straggler_probs, n_workers)
    code = builder(n_workers, K, load, p, random_state, **options)
    if not isinstance(code, GradientCode):
        raise TypeError(f"the builder of code {name!r} returned {code!r}, not a GradientCode.")
    return with_decoding(_check_code_shape(code, n_workers, K), decoding)


def _check_options(name, options, accepted):
    refused = sorted(set(options) - accepted)
    if refused:
        takers = [other for other, (_, taken) in _BUILDERS.items() if set(refused) <= taken]
        raise ValueError(
            f"{' and '.join(refused)}: accepted by code={takers} only, not by {name!r}."
        )


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
