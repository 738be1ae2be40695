"""Least-squares ("optimal") decoding per alive set, cached per alive pattern.

For the workers that answered, the decoder finds the weights ``w`` minimising
``||w^T C_alive - 1||`` (the minimum-norm minimiser, in row-normalised
coordinates). Codes that are exact for an alive set recover ``g`` exactly;
the others get the closest combination of what arrived.
"""

import warnings
from collections import OrderedDict

import numpy as np

from ._gradient_code import GradientCode
from ._validation import check_alive

__all__ = ["IllConditionedDecodingWarning", "LstsqDecoder", "LstsqCode", "with_decoding",
           "DECODINGS"]

DECODINGS = ("fixed", "lstsq")

#: Singular values below ``RANK_RTOL * s_max`` are treated as zero.
RANK_RTOL = 1e-10
#: Condition numbers (over the kept singular values) above this warn.
COND_WARN = 1e8


class IllConditionedDecodingWarning(UserWarning):
    """The decoding system of an alive set is numerically ill-conditioned."""


class LstsqDecoder:
    """Minimum-norm least-squares decoding weights, LRU-cached per alive pattern.

    Parameters
    ----------
    coefficients : ndarray of shape (n_workers, n_partitions)
        Encoding coefficients ``C``.
    cache_size : int, default=4096
        Number of alive patterns kept.
    """

    def __init__(self, coefficients, cache_size=4096):
        norms = np.linalg.norm(coefficients, axis=1)
        self._scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self._unit = coefficients * self._scale[:, None]
        self.cache_size = int(cache_size)
        self._cache = OrderedDict()

    def __call__(self, alive):
        """Decoding weights for a validated boolean alive mask (read-only array)."""
        key = alive.tobytes()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        weights = self._solve(alive)
        self._cache[key] = weights
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return weights

    def clear_cache(self):
        """Forget every cached alive pattern."""
        self._cache.clear()

    def _solve(self, alive):
        weights = np.zeros(alive.shape[0])
        idx = np.flatnonzero(alive & (self._scale > 0))
        if idx.size:
            weights[idx] = _min_norm_solution(self._unit[idx].T, idx) * self._scale[idx]
        weights.flags.writeable = False
        return weights


def _min_norm_solution(system, idx):
    """Minimum-norm ``x`` minimising ``||system @ x - 1||``; warns if ill-conditioned.

    LAPACK's ``gelsd`` (SVD-based, without forming the singular vectors: several times
    faster than a full SVD for the 1000-worker systems) with singular values at or below
    ``RANK_RTOL * s_max`` treated as zero.
    """
    x, _, rank, s = np.linalg.lstsq(system, np.ones(system.shape[0]), rcond=RANK_RTOL)
    cond = s[0] / s[max(rank, 1) - 1] if s.size and s[0] > 0 else 1.0
    if cond > COND_WARN:
        warnings.warn(
            f"decoding the alive workers {idx.tolist()} is ill-conditioned "
            f"(condition number {cond:.1e}); the decoded gradient may be inaccurate.",
            IllConditionedDecodingWarning, stacklevel=4,
        )
    return x


class LstsqCode(GradientCode):
    """A code decoded by least squares on every alive set.

    Parameters
    ----------
    allocation : array-like of bool of shape (n_workers, n_partitions)
    coefficients : array-like of shape (n_workers, n_partitions)
    straggler_probs : array-like of shape (n_workers,), default=None
    name : str, default="lstsq"

    Notes
    -----
    The residual error enumerates every alive set for ``N <= 12`` and is a
    seeded Monte-Carlo average otherwise.
    """

    decoding = "lstsq"
    adaptive_decoder = True
    decoding_cost = "SVD O(K m min(K, m)) per new alive pattern (m alive), then cached"

    def __init__(self, allocation, coefficients, straggler_probs=None, name="lstsq"):
        super().__init__(allocation, coefficients, straggler_probs, name=name)
        self._decoder = LstsqDecoder(self.coefficients)

    def decode(self, alive):
        """Least-squares decoding weights, zero for workers not alive.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)

        Returns
        -------
        weights : ndarray of shape (n_workers,)
            Read-only (shared with the cache).
        """
        return self._decoder(check_alive(alive, self.n_workers))

    def clear_cache(self):
        """Forget the cached decodings (for timing)."""
        self._decoder.clear_cache()


def with_decoding(code, decoding):
    """The same allocation and coefficients, decoded as asked.

    Parameters
    ----------
    code : GradientCode
    decoding : {"fixed", "lstsq"} or None
        ``"fixed"``: the alive-indicator decoder on the code's (unbiased)
        coefficients, unless the code's own decoder is already fixed (then
        the code is returned unchanged). ``"lstsq"``: minimum
        ``||w^T C_alive - 1||`` per alive set. None: the code as is. A code
        that waits for every worker is returned unchanged.

    Returns
    -------
    code : GradientCode
    """
    if decoding is not None and decoding not in DECODINGS:
        raise ValueError(f"decoding must be one of {DECODINGS} or None, got {decoding!r}.")
    if decoding is None or code.waits_for_all or code.decoding == decoding:
        return code
    parts = (code.allocation, code.coefficients, code.straggler_probs)
    if decoding == "lstsq":
        return LstsqCode(*parts, name=code.name)
    return GradientCode(*parts, name=code.name)
