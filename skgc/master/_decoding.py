"""The master's decoders: from the workers' coded messages to one gradient estimate.

A message is ``(value, grad_coef, grad_intercept)`` (``value`` one sum per output): worker ``j``'s coded sums
``f_j = sum_k C[j, k] (value_k, grad_k)``. Messages are packed as flat vectors so that a
decoder treats them all alike.
"""

import numpy as np


__all__ = ["PlainDecoder", "ControlVariateDecoder", "LatestMessageDecoder", "CurvatureTransport",
           "make_decoder", "freshness_weights"]

#: Above this many partitions the freshness weights (a K x K solve per round) give way to
#: the code's expected decoding weights.
MAX_FRESHNESS_PARTITIONS = 1024


class PlainDecoder:
    """``sum_j w_j f_j`` with ``w = code.decode(alive)``.

    Attributes
    ----------
    noise : float or None
        The last estimate's relative variance when the decoder measures it (the
        switched-on :class:`LatestMessageDecoder`: its stored messages' staleness); None:
        the code's ``relative_variance`` applies (always, for this decoder).
    """

    variance_reduced = False
    noise = None

    def __init__(self, code):
        self.code = code

    def combine(self, messages, alive, point=None):
        """Decode ``messages`` (array of shape (n_workers, m); rows of the alive workers)
        computed at ``point``, the iterate ``(coef, intercept)``."""
        weights = self.code.decode(alive)
        used = np.flatnonzero(weights)
        return weights[used] @ messages[used]

    def reset_code(self, code):
        """Decode with ``code`` from now on (same allocation, new coefficients)."""
        self.code = code

    def forget(self):
        """Drop what was stored of earlier messages (nothing, for this decoder)."""

    def refill(self, messages, point):
        """Every worker's message at ``point``, computed by the master (nothing is stored
        by this decoder)."""

    def use_curvature(self, partition_hessians):
        """Curvature the decoder could use (this one does not)."""


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
        self.expected_weights = code.expected_decode_weights()
        self.transport = CurvatureTransport()

    def activate(self):
        """Use the control variate from now on (the memory is already filled)."""
        self.active = True

    def forget(self):
        """Drop the stored messages: the memory refills from the next answers."""
        self.memory = None

    def refill(self, messages, point):
        """Store every worker's message at ``point`` (array of shape (n_workers, m)), as if
        all had just answered."""
        if self.memory is None:
            self.transport.reset(len(messages))
        self.memory = np.array(messages, dtype=np.float64)
        self.transport.record(np.ones(len(messages), dtype=bool), point)

    def use_curvature(self, partition_hessians):
        """Move stored messages to the current iterate with these Hessians (a dict:
        partition -> :meth:`skgc.objective.Datafit.hessian_sums` blocks); see
        :class:`CurvatureTransport`."""
        self.transport.update(self.code, partition_hessians)

    def combine(self, messages, alive, point=None):
        if self.memory is None:
            self.memory = np.zeros_like(messages)
            self.transport.reset(len(messages))
        weights = self.code.decode(alive)
        used = np.flatnonzero(weights)
        if self.active:
            memory = self.transport.moved(self.memory, point)
            estimate = self.expected_weights @ memory
            estimate += weights[used] @ (messages[used] - memory[used])
        else:
            estimate = weights[used] @ messages[used]
        self.memory[alive] = messages[alive]
        self.transport.record(alive, point)
        return estimate

    def reset_code(self, code):
        """Switch code: stored messages are re-expressed only through new answers, so the
        memory is kept (its bias vanishes as workers answer again)."""
        super().reset_code(code)
        self.expected_weights = code.expected_decode_weights()
        self.transport.recode(code)


class LatestMessageDecoder(ControlVariateDecoder):
    """Decodes the latest message of every worker, the fresh ones weighted most.

    Once the messages of the workers heard so far decode every partition exactly, the
    latest-message estimate is ``sum_j a_j h_j`` over the stored messages ``h_j`` (this
    round's answers among them), with weights that decode them exactly (``a^T C = 1``:
    exact if every message were computed at the current iterate) and put the least weight
    on old messages: ``a`` minimises ``sum_j (1 + age_j) a_j^2``, ``age_j`` the rounds
    since worker ``j`` last answered (:func:`freshness_weights`). This is SAG's aggregate
    of the latest answers rather than SAGA's unbiased correction
    (:class:`ControlVariateDecoder`): a fresh answer enters with the weight the code gives
    its partitions, not that weight over ``1 - p_j``, so a constant step that suits the
    plain decoder stays stable, and its error still vanishes as the iterates converge
    (exact convergence with a constant step).

    Stale messages lag behind the iterate, and early on, while the gradient is large
    against the plain estimate's noise, the fresh plain estimate makes more progress. So
    the decoder keeps decoding plainly (filling its memory) until the plain estimate's
    squared distance to the latest-message one, relative to the latter's squared norm and
    smoothed over rounds, exceeds ``switch_ratio (1 + eps)`` (``eps`` the code's
    ``relative_variance``, the plain estimate's relative noise when all partition
    gradients are alike): the plain iterates are then at their noise floor. It also
    switches on :meth:`activate`; activated while the messages do not decode exactly, it
    uses the control variate, and so it does while it holds the partitions' Hessians
    (Newton steps): the control variate then moves every stored message to the iterate
    (:class:`CurvatureTransport`) and is exact for a quadratic loss. A new code forgets who
    was heard (messages coded with the old coefficients are not decoded with the new ones).

    The switched-on latest-message estimate carries none of the code's decoding noise: its
    error is the stored messages' staleness, which vanishes as the iterates converge but
    not at once (fast-converging problems move the iterate far within a straggler's
    absence). Its relative variance, :attr:`noise`, is measured from the answers: an answer
    replacing a stored message reveals the error that message carried, weighted as the
    previous round decoded it; ``n_workers`` times the mean squared weighted change over a
    round's answers, relative to the estimate's squared norm and smoothed over rounds
    (from ``eps`` at the switch), estimates it.

    Parameters
    ----------
    code : GradientCode
    random_state : int, default=0
    active : bool, default=True
    switch_ratio : float, default=4.0
    smoothing : float, default=0.9
        Weight of the past in the moving averages of the noise ratio and the staleness.

    Attributes
    ----------
    noise : float or None
        The last estimate's measured relative variance (the staleness when it was the
        switched-on latest-message estimate; else None).
    staleness : float
        The smoothed staleness measure (``eps`` until the switch and after a new code).
    """

    def __init__(self, code, random_state=0, active=True, switch_ratio=4.0, smoothing=0.9):
        super().__init__(code, random_state, active)
        self.switch_ratio, self.smoothing = switch_ratio, smoothing
        self.ages, self.noise_ratio = None, None
        self.relative_variance = code.relative_variance
        self.noise, self.staleness, self.previous_weights = None, code.relative_variance, None

    def forget(self):
        super().forget()
        self.ages = self.previous_weights = None

    def refill(self, messages, point):
        super().refill(messages, point)
        self.ages = np.zeros(len(messages))
        self.previous_weights = None

    def combine(self, messages, alive, point=None):
        if self.memory is None or self.ages is None:
            self.memory = np.zeros_like(messages)
            self.ages = np.full(len(messages), np.inf)
            self.transport.reset(len(messages))
        self.ages += 1
        self.ages[alive] = 0
        curved = self.transport.worker_hessians is not None
        weights = None if curved else self._exact_weights()
        self.noise, previous, self.previous_weights = None, self.previous_weights, weights
        if weights is None:
            return super().combine(messages, alive, point)
        n_values = 0 if point is None else np.size(point[1])
        plain = self.code.decode(alive) @ messages
        # what the answers change in the stored messages (their staleness, once switched)
        changes = (messages[alive] - self.memory[alive])[:, n_values:] \
            if self.active and previous is not None else None
        self.memory[alive] = messages[alive]
        self.transport.record(alive, point)
        used = np.flatnonzero(weights)
        latest = weights[used] @ self.transport.moved(self.memory, point)[used]
        if not self.active:
            self._watch_noise(plain, latest, n_values)
            return latest if self.active else plain
        if changes is not None:
            self._watch_staleness(previous[alive, None] * changes, latest[n_values:])
        self.noise = self.staleness
        return latest

    def _watch_noise(self, plain, latest, n_values):
        """Switch on once the plain estimate is mostly noise (see the class notes)."""
        signal = np.sum(latest[n_values:] ** 2)
        if not signal > 0:
            return
        ratio = np.sum((plain[n_values:] - latest[n_values:]) ** 2) / signal
        self.noise_ratio = ratio if self.noise_ratio is None else (
            self.smoothing * self.noise_ratio + (1.0 - self.smoothing) * ratio)
        if self.noise_ratio > self.switch_ratio * (1.0 + self.relative_variance):
            self.active = True

    def _watch_staleness(self, errors, latest):
        """Update :attr:`staleness` from the errors that this round's answers removed
        (stored-minus-fresh messages times their previous decoding weights)."""
        signal = np.sum(latest ** 2)
        if not signal > 0 or not len(errors):
            return
        ratio = len(self.ages) * np.mean(np.sum(errors ** 2, axis=1)) / signal
        self.staleness = self.smoothing * self.staleness + (1.0 - self.smoothing) * ratio

    def _exact_weights(self):
        """Freshness weights when the workers heard since the last new code decode every
        partition exactly (all workers, for codes too large for them); else None."""
        heard = np.isfinite(self.ages)
        if not self.code.allocation[heard].any(axis=0).all() or (
                self.code.n_partitions > MAX_FRESHNESS_PARTITIONS and not heard.all()):
            return None
        coefficients = self.code.coefficients
        weights = freshness_weights(coefficients, self.ages, self.expected_weights)
        if not np.allclose(weights @ coefficients, 1.0, rtol=0.0, atol=1e-8):
            return None
        return weights

    def reset_code(self, code):
        super().reset_code(code)
        self.relative_variance = self.staleness = code.relative_variance
        self.previous_weights = None
        if self.ages is not None:
            self.ages[:] = np.inf


def freshness_weights(coefficients, ages, fallback):
    """Weights ``a`` with ``a^T C = 1`` minimising ``sum_j (1 + age_j) a_j^2``.

    When no weights decode exactly (the workers heard do not span the partitions), the
    least-squares solution of ``a^T C = 1`` among those with that weighting.

    Parameters
    ----------
    coefficients : ndarray of shape (n_workers, n_partitions)
    ages : ndarray of shape (n_workers,)
        Rounds since each worker's message was computed (inf: never heard; weight 0).
    fallback : ndarray of shape (n_workers,)
        Weights used when the code has more than :data:`MAX_FRESHNESS_PARTITIONS`
        partitions (the code's expected decoding weights: they need every worker heard).

    Returns
    -------
    ndarray of shape (n_workers,)
    """
    n_partitions = coefficients.shape[1]
    if n_partitions > MAX_FRESHNESS_PARTITIONS:
        return fallback
    trust = 1.0 / (1.0 + ages)  # 0 for workers never heard
    system = (coefficients * trust[:, None]).T @ coefficients
    multipliers = np.linalg.lstsq(system, np.ones(n_partitions), rcond=None)[0]
    return trust * (coefficients @ multipliers)


class CurvatureTransport:
    """Moves each worker's stored message to the current iterate along the curvature.

    A stored message ``h_j`` was computed at the iterate ``w_j`` where worker ``j`` last
    answered. With the partitions' Hessians ``H_k`` (which the master gathers for Newton
    steps), the message at ``w`` is ``h_j + H_j (w - w_j)`` to first order, with the
    coded Hessian ``H_j = sum_k C[j, k] H_k`` (and the value moves by
    ``g_j^T (w - w_j) + (w - w_j)^T H_j (w - w_j) / 2``). For a quadratic loss this is
    exact: the control variate then decodes the exact gradient whoever answers, once every
    worker has answered once. Without Hessians (or before a worker's first answer) the
    message stays as stored.
    """

    def __init__(self):
        self.partition_hessians, self.worker_hessians = None, None
        self.points = None

    def reset(self, n_workers):
        """Forget where the stored messages were computed."""
        self.points = [None] * n_workers

    @property
    def complete(self):
        """Whether every worker's message can be moved (all answered, Hessians known)."""
        return (self.worker_hessians is not None and self.points is not None
                and all(point is not None for point in self.points))

    def update(self, code, partition_hessians):
        """Take new partition Hessians (missing partitions count as zero)."""
        self.partition_hessians = dict(partition_hessians)
        self.recode(code)

    def recode(self, code):
        """Rebuild the coded Hessians for ``code``'s coefficients."""
        if not self.partition_hessians:
            self.worker_hessians = None
            return
        shape = next(iter(self.partition_hessians.values())).shape
        stacked = np.zeros((code.n_partitions,) + shape)
        for k, block in self.partition_hessians.items():
            stacked[k] = block
        self.worker_hessians = np.tensordot(code.coefficients, stacked, axes=1)

    def record(self, alive, point):
        """The answers of ``alive`` were computed at ``point`` (``(coef, intercept)``)."""
        if point is None or self.points is None:
            return
        for j in np.flatnonzero(alive):
            self.points[j] = (point[0].copy(), point[1].copy())

    def moved(self, memory, point):
        """``memory`` with every answered worker's message moved to ``point``."""
        if self.worker_hessians is None or point is None:
            return memory
        return move_messages(memory, self.worker_hessians, self.points, point)


def move_messages(messages, hessians, points, point):
    """Packed value-and-gradient messages moved to ``point`` along their Hessians.

    Message ``i``, computed at ``points[i]`` (``(coef, intercept)``, or None: left as it
    is), becomes its second-order Taylor model at ``point``: the value gains
    ``g_i^T s + s^T H_i s / 2`` and the gradient ``H_i s``, with ``s = point - points[i]``.

    Parameters
    ----------
    messages : ndarray of shape (n_messages, m)
        Packed as :func:`pack`.
    hessians : ndarray of shape (n_messages, n_blocks, size, size)
    points : sequence of (coef, intercept) or None
    point : (coef, intercept)

    Returns
    -------
    ndarray of shape (n_messages, m)
    """
    coef, intercept = point
    n_features, n_outputs = coef.shape
    size = hessians.shape[-1]
    moved = messages.copy()
    for i, stored in enumerate(points):
        if stored is None:
            continue
        step = np.vstack([coef - stored[0], (intercept - stored[1])[None]])[:size]
        if not step.any():
            continue
        blocks = hessians[i]
        curved = np.stack([blocks[c if len(blocks) > 1 else 0] @ step[:, c]
                           for c in range(n_outputs)], axis=1)
        gradient = _gradient_of(messages[i], n_features, n_outputs, size)
        moved[i, :n_outputs] += (gradient * step).sum(axis=0) + 0.5 * (
            curved * step).sum(axis=0)
        moved[i, n_outputs:n_outputs + n_features * n_outputs] += curved[:n_features].ravel()
        if size > n_features:
            moved[i, n_outputs + n_features * n_outputs:] += curved[n_features]
    return moved


def _gradient_of(message, n_features, n_outputs, size):
    """The gradient part of a packed message as a ``(size, n_outputs)`` matrix."""
    grad_coef = message[n_outputs:n_outputs + n_features * n_outputs].reshape(
        n_features, n_outputs)
    grad_intercept = message[n_outputs + n_features * n_outputs:]
    return np.vstack([grad_coef, grad_intercept[None]])[:size]


def make_decoder(code, variance_reduction, random_state=0, active=True):
    """The decoder for a fit: the latest-message decoder when
    :func:`uses_control_variate`, else the plain one."""
    if uses_control_variate(code, variance_reduction):
        return LatestMessageDecoder(code, random_state, active)
    return PlainDecoder(code)


def uses_control_variate(code, variance_reduction):
    """Whether a fit asking for ``variance_reduction`` decodes ``code`` with the control
    variate.

    The control variate only pays off when who answers is random: a code that waits for
    every worker, or one built for workers that never straggle, is decoded plainly. Codes
    whose decoding weights depend on the whole alive set (least squares, rescaling) are
    decoded plainly too: their weights can be large and erratic, and the control variate
    then adds variance instead of removing it.
    """
    return bool(variance_reduction and code.expects_stragglers and not code.adaptive_decoder)
