"""The master's decoders: from the workers' coded messages to one gradient estimate.

A message is ``(value, grad_coef, grad_intercept)`` (``value`` one sum per output): worker ``j``'s coded sums
``f_j = sum_k C[j, k] (value_k, grad_k)``. Messages are packed as flat vectors so that a
decoder treats them all alike.
"""

import numpy as np

__all__ = ["pack", "unpack", "PlainDecoder", "ControlVariateDecoder", "make_decoder",
           "expected_decode_weights"]


def pack(value, grad_coef, grad_intercept):
    """One flat vector from a message (``value``: one loss sum per output)."""
    return np.concatenate((np.ravel(value), np.ravel(grad_coef), np.ravel(grad_intercept)))


def unpack(vector, coef_shape):
    """``(value, grad_coef, grad_intercept)`` from :func:`pack`'s vector."""
    n_outputs, size = coef_shape[1], int(np.prod(coef_shape))
    return (vector[:n_outputs], vector[n_outputs:n_outputs + size].reshape(coef_shape),
            vector[n_outputs + size:])


class PlainDecoder:
    """``sum_j w_j f_j`` with ``w = code.decode(alive)``."""

    variance_reduced = False

    def __init__(self, code):
        self.code = code

    def combine(self, messages, alive):
        """Decode ``messages`` (array of shape (n_workers, m); rows of the alive workers)."""
        weights = self.code.decode(alive)
        used = np.flatnonzero(weights)
        return weights[used] @ messages[used]

    def reset_code(self, code):
        """Decode with ``code`` from now on (same allocation, new coefficients)."""
        self.code = code

    def forget(self):
        """Drop what was stored of earlier messages (nothing, for this decoder)."""


class ControlVariateDecoder(PlainDecoder):
    """The control-variate decoder of DESIGN.md: unbiased, with vanishing variance.

    The master keeps each worker's last delivered message ``h_j`` and estimates
    ``sum_j E[w_j] h_j + sum_j w_j (f_j - h_j)`` (``w = code.decode(alive)``): its
    expectation is the plain decoder's, its variance ``sum_j Var(w_j) ||f_j - h_j||^2``
    vanishes as the iterates converge. Messages start at zero (the first estimate is the
    plain one). Created inactive (``active=False``), it decodes plainly while filling its
    memory until :meth:`activate`: the solver switches it on once the plain estimate has
    stalled, when the stored messages are recent and the control variate has no
    transient to go through.
    """

    variance_reduced = True

    def __init__(self, code, random_state=0, active=True):
        super().__init__(code)
        self.random_state = random_state
        self.active = active
        self.memory = None
        self.expected_weights = expected_decode_weights(code, random_state)

    def activate(self):
        """Use the control variate from now on (the memory is already filled)."""
        self.active = True

    def forget(self):
        """Drop the stored messages: the memory refills from the next answers."""
        self.memory = None

    def combine(self, messages, alive):
        if self.memory is None:
            self.memory = np.zeros_like(messages)
        weights = self.code.decode(alive)
        used = np.flatnonzero(weights)
        if self.active:
            estimate = self.expected_weights @ self.memory
            estimate += weights[used] @ (messages[used] - self.memory[used])
        else:
            estimate = weights[used] @ messages[used]
        self.memory[alive] = messages[alive]
        return estimate

    def reset_code(self, code):
        """Switch code: stored messages are re-expressed only through new answers, so the
        memory is kept (its bias vanishes as workers answer again)."""
        super().reset_code(code)
        self.expected_weights = expected_decode_weights(code, self.random_state)


def expected_decode_weights(code, random_state=0, n_draws=4000):
    """``E[w_j]`` for ``w = code.decode(alive)`` under the code's straggler probabilities.

    Fixed decoders (``w_j = 1`` when alive) give ``1 - p_j``; decoders that depend on who
    answered are averaged over seeded draws of the alive set.
    """
    p = np.zeros(code.n_workers) if code.straggler_probs is None else code.straggler_probs
    if code.waits_for_all:
        return code.decode(np.ones(code.n_workers, dtype=bool))
    if _is_fixed_decoder(code):
        return 1.0 - p
    rng = np.random.default_rng(random_state)
    draws = rng.random((n_draws, code.n_workers)) >= p
    return np.mean([code.decode(alive) for alive in draws], axis=0)


def _is_fixed_decoder(code):
    from ..coding import GradientCode

    return type(code).decode is GradientCode.decode


def make_decoder(code, variance_reduction, random_state=0, active=True):
    """The decoder for a fit.

    The control variate only pays off when who answers is random: a code that waits for
    every worker, or one built for workers that never straggle, is decoded plainly. Codes
    whose decoding weights depend on the whole alive set (least squares, rescaling) are
    decoded plainly too: their weights can be large and erratic, and the control variate
    then adds variance instead of removing it.
    """
    p = code.straggler_probs
    deterministic = code.waits_for_all or p is None or not np.any(p > 0)
    if variance_reduction and not deterministic and _is_fixed_decoder(code):
        return ControlVariateDecoder(code, random_state, active)
    return PlainDecoder(code)
