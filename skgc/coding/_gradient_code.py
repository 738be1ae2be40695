"""The interface every gradient code implements: :class:`GradientCode`."""

from functools import cached_property

import numpy as np

from .._validation import check_probabilities
from ._coefficients import residual_error
from ._expectation import N_MONTE_CARLO, alive_statistics
from ._validation import check_alive, check_allocation, check_proxy

__all__ = ["GradientCode"]


class GradientCode:
    """A gradient code: who holds what, what they send, how the master decodes.

    Worker ``j`` holds the partitions ``allocation[j]`` and sends
    ``f_j = sum_k C[j, k] g_k``; the master's estimate of ``g = sum_k g_k`` is
    ``sum_j w_j f_j`` with ``w = decode(alive)``. Used as it is, the class is the
    code with the given coefficients decoded by the alive indicator (``w_j = 1`` if
    worker ``j`` answered, else 0), and every expectation has a closed form.

    Parameters
    ----------
    allocation : array-like of bool of shape (n_workers, n_partitions)
        ``allocation[j, k]`` is True when worker ``j`` holds partition ``k``.
    coefficients : array-like of shape (n_workers, n_partitions)
        Encoding coefficients, zero off the allocation.
    straggler_probs : array-like of shape (n_workers,), default=None
        Straggling probabilities the code was designed for.
    name : str, default="custom"
        Name of the code.

    Attributes
    ----------
    name : str
    allocation : ndarray of shape (n_workers, n_partitions), dtype bool
        Read-only.
    coefficients : ndarray of shape (n_workers, n_partitions)
        Read-only.
    straggler_probs : ndarray of shape (n_workers,) or None
        Read-only.
    waits_for_all : bool
        True when the master waits for every worker (straggling costs time only).
    decoding : {"fixed", "lstsq"}
        The decoder, as :func:`with_decoding` names it: the code's own rule, or least
        squares on every alive set.
    adaptive_decoder : bool
        True when a worker's decoding weight depends on who else answered (least
        squares, rescaling by the number alive, one reply per group); False when it
        depends on its own answer alone, so that expectations have closed forms.
    closed_form : bool
        True when :meth:`residual_error` and :meth:`expected_weights` are closed forms;
        otherwise they average over all alive sets (``N <= 12``) or seeded draws.
    exact : bool
        True when the code is built to recover ``g`` exactly from enough answers: an
        alive set that is not :meth:`decodable` then :meth:`falls_back`.
    reoptimizable : bool
        True when :meth:`reoptimized` can recompute the coefficients on the same
        allocation (the master then follows learned probabilities).
    decoding_cost : str
        How the cost of one decoding grows, for reports.

    Notes
    -----
    A new code subclasses this class, computes its allocation and coefficients and
    hands them to ``super().__init__``. With nothing else, it is decoded by the alive
    indicator. As its decoder requires, it then overrides:

    * :meth:`decode` for another decoder (and :meth:`decode_many` to vectorise it),
      setting ``adaptive_decoder = True`` if a worker's weight depends on who else
      answered: :meth:`residual_error`, :meth:`expected_weights` and
      :meth:`expected_decode_weights` then average over alive sets, unless the code
      overrides them with closed forms (and sets ``closed_form = True``);
    * :meth:`decodable` when some alive sets decode exactly by construction (the
      master stops waiting on them), with ``exact = True`` when the code promises exact
      recovery, so that :meth:`falls_back` reports the other alive sets;
    * :meth:`reoptimized`, with ``reoptimizable = True``, when new probabilities or a
      new error proxy give new coefficients on the same allocation;
    * ``waits_for_all = True`` when the master must wait for every worker;
    * :meth:`clear_cache` when decodings are cached.

    :func:`register_code` gives the code a name for :func:`make_code` and the
    estimators' ``code`` parameter.
    """

    waits_for_all = False
    decoding = "fixed"
    adaptive_decoder = False
    exact = False
    reoptimizable = False
    decoding_cost = "O(N)"

    def __init__(self, allocation, coefficients, straggler_probs=None, name="custom"):
        allocation = check_allocation(allocation)
        orphans = np.flatnonzero(~allocation.any(axis=0))
        if len(orphans):
            raise ValueError(
                f"allocation: partition(s) {orphans.tolist()} are held by no worker."
            )
        coefficients = np.array(coefficients, dtype=np.float64)
        if coefficients.shape != allocation.shape:
            raise ValueError(
                f"coefficients must have the shape of allocation {allocation.shape}, "
                f"got {coefficients.shape}."
            )
        if not np.isfinite(coefficients).all():
            raise ValueError("coefficients must be finite.")
        if (coefficients[~allocation] != 0).any():
            raise ValueError("coefficients must be zero off the allocation.")
        if straggler_probs is not None:
            straggler_probs = check_probabilities(straggler_probs, allocation.shape[0])
            straggler_probs.flags.writeable = False
        allocation = allocation.copy()
        allocation.flags.writeable = False
        coefficients.flags.writeable = False
        self.name = str(name)
        self.allocation = allocation
        self.coefficients = coefficients
        self.straggler_probs = straggler_probs

    # -- shape -------------------------------------------------------------------------

    @property
    def n_workers(self):
        """Number of workers ``N``."""
        return self.allocation.shape[0]

    @property
    def n_partitions(self):
        """Number of partitions ``K``."""
        return self.allocation.shape[1]

    @property
    def loads(self):
        """Non-zero coefficients per worker, ndarray of shape (n_workers,)."""
        return np.count_nonzero(self.coefficients, axis=1)

    @property
    def expects_stragglers(self):
        """Whether some worker may miss a round: the master does not wait for every
        worker, and some ``p_j > 0`` (otherwise every round hears from everyone)."""
        p = self.straggler_probs
        return not self.waits_for_all and p is not None and bool(np.any(p > 0))

    @property
    def closed_form(self):
        """Whether :meth:`residual_error` and :meth:`expected_weights` are closed forms.

        True for fixed decoders; an adaptive one averages over all alive sets
        (``N <= 12``) or seeded draws, unless its code overrides both with closed forms
        and sets ``closed_form = True``.
        """
        return not self.adaptive_decoder

    # -- decoding ----------------------------------------------------------------------

    def decode(self, alive):
        """Decoding weights for the workers that answered.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)
            True for workers that answered in time.

        Returns
        -------
        weights : ndarray of shape (n_workers,)
            The estimate is ``sum_j w_j f_j``; zero for workers not alive (except for
            codes that wait for every worker).
        """
        return check_alive(alive, self.n_workers).astype(np.float64)

    def decode_many(self, alive_sets):
        """:meth:`decode` for several alive sets at once.

        Parameters
        ----------
        alive_sets : array-like of bool of shape (n_sets, n_workers)

        Returns
        -------
        weights : ndarray of shape (n_sets, n_workers)
        """
        weights = [self.decode(alive) for alive in np.asarray(alive_sets)]
        return np.array(weights).reshape(-1, self.n_workers)

    def partition_weights(self, alive):
        """Effective weight of each partition gradient in the estimate.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)
            True for workers that answered in time.

        Returns
        -------
        beta : ndarray of shape (n_partitions,)
            ``decode(alive) @ coefficients``; all ones when the estimate is exact.
        """
        return self.decode(alive) @ self.coefficients

    def decodable(self, alive):
        """Whether the code decodes ``alive`` exactly by construction.

        The master may stop waiting once the workers that answered are decodable. This
        is a promise, not a test: a code without one (the default) returns False even
        where an alive set happens to decode exactly. More answers keep a set decodable
        (the master asks about every worker once, and waits for the deadline when even
        that set is not decodable).

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)

        Returns
        -------
        bool
        """
        check_alive(alive, self.n_workers)
        return False

    def falls_back(self, alive):
        """Whether an exact code decodes ``alive`` approximately (it is not decodable).

        Codes that are approximate by design (``exact`` False) never fall back.

        Parameters
        ----------
        alive : array-like of bool of shape (n_workers,)

        Returns
        -------
        bool
        """
        alive = check_alive(alive, self.n_workers)
        return self.exact and not self.decodable(alive)

    def clear_cache(self):
        """Forget cached decodings (none here), e.g. before timing decodings."""

    # -- expectations under straggling probabilities -------------------------------------

    def resolve_probs(self, p=None):
        """Validated straggling probabilities: ``p``, or the code's own when None.

        Parameters
        ----------
        p : array-like of shape (n_workers,), default=None

        Returns
        -------
        p : ndarray of shape (n_workers,)
        """
        if p is None:
            if self.straggler_probs is None:
                raise ValueError(
                    "p: no straggling probabilities given and the code has no "
                    "straggler_probs."
                )
            return np.asarray(self.straggler_probs, dtype=np.float64)
        return check_probabilities(p, self.n_workers, name="p")

    def expected_decode_weights(self, p=None):
        """``E[w]`` for ``w = decode(alive)``, worker ``j`` alive with probability ``1 - p_j``.

        Parameters
        ----------
        p : array-like of shape (n_workers,), default=None
            Straggling probabilities; defaults to ``straggler_probs``.

        Returns
        -------
        weights : ndarray of shape (n_workers,)
            ``(1 - p) w_answered + p w_silent`` for fixed decoders (``1 - p`` for the
            alive indicator); an average over alive sets for adaptive ones.
        """
        p = self.resolve_probs(p)
        if self.adaptive_decoder:
            return self.alive_statistics(p).decode_weights
        answered, silent = self._fixed_weights()
        return (1.0 - p) * answered + p * silent

    def expected_weights(self, p=None):
        """``E[beta]``, the expected weight of each partition gradient in the estimate.

        Parameters
        ----------
        p : array-like of shape (n_workers,), default=None
            Straggling probabilities; defaults to ``straggler_probs``.

        Returns
        -------
        weights : ndarray of shape (n_partitions,)
            All ones for an unbiased code.
        """
        p = self.resolve_probs(p)
        if self.adaptive_decoder:
            return self.alive_statistics(p).weights
        return self.expected_decode_weights(p) @ self.coefficients

    def residual_error(self, proxy="independent", p=None):
        """Expected squared error ``E ||g_hat - g||^2`` under an error proxy.

        Parameters
        ----------
        proxy : {"independent", "coherent"}, default="independent"
            ``"independent"``: partition gradients form an orthonormal basis,
            error ``E sum_k (beta_k - 1)^2``. ``"coherent"``: all partition
            gradients are the same unit vector, error ``E (sum_k beta_k - K)^2``.
        p : array-like of shape (n_workers,), default=None
            Straggling probabilities; defaults to ``straggler_probs``.

        Returns
        -------
        error : float
            Variance plus squared bias (zero for unbiased codes): a closed form for
            fixed decoders; for adaptive ones exact over all ``2**N`` alive sets for
            ``N <= 12``, a seeded Monte-Carlo average above.
        """
        check_proxy(proxy)
        p = self.resolve_probs(p)
        if self.adaptive_decoder:
            return self.alive_statistics(p).error(proxy)[0]
        answered, silent = self._fixed_weights()
        variance = residual_error(p, (answered - silent)[:, None] * self.coefficients,
                                  proxy=proxy)
        bias = self.expected_weights(p) - 1.0
        bias2 = bias @ bias if proxy == "independent" else bias.sum() ** 2
        return float(variance + bias2)

    def alive_statistics(self, p=None, n_draws=N_MONTE_CARLO, seed=0):
        """Partition weights over all alive sets (``N <= 12``) or seeded draws, cached.

        Parameters
        ----------
        p : array-like of shape (n_workers,), default=None
            Straggling probabilities; defaults to ``straggler_probs``.
        n_draws : int, default=20000
            Monte-Carlo draws when ``N > 12``.
        seed : int, default=0
            Seed of the draws.

        Returns
        -------
        AliveStatistics
        """
        p = self.resolve_probs(p)
        key = (p.tobytes(), n_draws, seed)
        cached = getattr(self, "_alive_stats", None)
        if cached is None or cached[0] != key:
            cached = (key, alive_statistics(self, p, n_draws, seed))
            self._alive_stats = cached
        return cached[1]

    @cached_property
    def expected_residual_error(self):
        """``residual_error("independent")`` at ``straggler_probs`` (computed once: a
        code cannot change)."""
        return self.residual_error("independent")

    @cached_property
    def relative_variance(self):
        """``E||g_hat - g||^2 / ||g||^2`` when all partition gradients are alike.

        The coherent residual error over ``K^2``: the factor ``1 + relative_variance`` by
        which the solver's "auto" step shrinks so that each step still descends in
        expectation. Computed once (a code cannot change).
        """
        return self.residual_error("coherent") / self.n_partitions**2

    # -- re-optimisation -----------------------------------------------------------------

    def reoptimized(self, straggler_probs=None, proxy=None):
        """The same allocation with coefficients optimal for new probabilities or proxy.

        Only codes with ``reoptimizable`` True implement it.

        Parameters
        ----------
        straggler_probs : array-like of shape (n_workers,), default=None
            New probabilities (e.g. estimated during a fit); None keeps the current ones.
        proxy : {"independent", "coherent"} or array-like of shape (K, K), default=None
            New error to minimise (e.g. a measured Gram matrix); None keeps the current.

        Returns
        -------
        GradientCode
        """
        raise NotImplementedError(
            f"the {self.name!r} code cannot be re-optimised (reoptimizable is False)."
        )

    def _fixed_weights(self):
        """Each worker's weight when it answers and when it does not (fixed decoders)."""
        every = np.ones(self.n_workers, dtype=bool)
        return self.decode(every), self.decode(~every)

    def __repr__(self):
        return (
            f"{type(self).__name__}(name={self.name!r}, n_workers={self.n_workers}, "
            f"n_partitions={self.n_partitions}, loads={self.loads.tolist()})"
        )
