"""The latest-message decoder: exact decoding of stored messages, freshest weighted most."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from skgc import CodedGradientClassifier
from skgc.coding import make_code
from skgc.master._decoding import (ControlVariateDecoder, LatestMessageDecoder, PlainDecoder,
                                  freshness_weights, make_decoder)
from skgc.stragglers import paper_model

P = paper_model(10, random_state=0).probs


def _messages(code, gradients):
    """Every worker's coded message for partition gradients of shape (K, m)."""
    return code.coefficients @ gradients


def test_freshness_weights_decode_exactly_and_prefer_fresh_answers():
    code = make_code("optimal", 10, straggler_probs=P)
    ages = np.arange(10.0)
    weights = freshness_weights(code.coefficients, ages, code.expected_decode_weights())
    np.testing.assert_allclose(weights @ code.coefficients, np.ones(10), atol=1e-12)
    # Workers holding the same partitions: the fresher one carries more of them.
    for k in range(10):
        holders = np.flatnonzero(code.allocation[:, k])
        contributions = weights[holders] * code.coefficients[holders, k]
        assert np.all(np.diff(contributions[np.argsort(ages[holders])]) < 0)


def test_freshness_weights_leave_out_workers_never_heard():
    code = make_code("optimal", 10, straggler_probs=P)  # load 2: pairs of twin workers
    twin = np.flatnonzero((code.allocation == code.allocation[0]).all(axis=1))[1]
    ages = np.zeros(10)
    ages[0] = np.inf
    weights = freshness_weights(code.coefficients, ages, code.expected_decode_weights())
    assert weights[0] == 0
    np.testing.assert_allclose(weights[twin] * code.coefficients[twin], code.allocation[twin])
    np.testing.assert_allclose(weights @ code.coefficients, np.ones(10), atol=1e-12)


def test_stays_plain_while_the_workers_heard_cannot_decode_exactly():
    code = make_code("optimal", 10, load=3, straggler_probs=P)  # every worker needed
    gradients = np.random.default_rng(2).standard_normal((10, 2))
    messages = _messages(code, gradients)
    decoder, plain = make_decoder(code, True), PlainDecoder(code)
    alive = np.arange(10) < 8
    assert code.allocation[alive].any(axis=0).all()  # covered, yet not decodable
    np.testing.assert_allclose(decoder.combine(messages, alive), plain.combine(messages, alive))
    np.testing.assert_allclose(decoder.combine(messages, ~alive), gradients.sum(axis=0))


def test_decodes_plainly_until_the_partitions_are_covered_then_exactly():
    code = make_code("optimal", 10, straggler_probs=P)
    gradients = np.random.default_rng(0).standard_normal((10, 4))
    messages = _messages(code, gradients)
    decoder, plain = make_decoder(code, True), PlainDecoder(code)
    assert isinstance(decoder, LatestMessageDecoder)
    first = np.zeros(10, dtype=bool)
    first[[0, 1]] = True  # holders of four partitions only
    np.testing.assert_allclose(decoder.combine(messages, first),
                               plain.combine(messages, first))
    others = ~first
    np.testing.assert_allclose(decoder.combine(messages, others), gradients.sum(axis=0))
    # From now on a single answer (or none) decodes the unchanged gradients exactly.
    for j in range(10):
        alive = np.arange(10) == j
        np.testing.assert_allclose(decoder.combine(messages, alive), gradients.sum(axis=0))
    np.testing.assert_allclose(decoder.combine(messages, np.zeros(10, dtype=bool)),
                               gradients.sum(axis=0))


def test_a_new_code_is_not_decoded_from_messages_of_the_old_one():
    """Until the workers heard since the new code decode exactly, an activated decoder
    uses the control variate (unbiased whatever its memory holds)."""
    code = make_code("optimal", 10, straggler_probs=P)
    new = code.reoptimized(straggler_probs=np.full(10, 0.5))
    gradients = np.random.default_rng(1).standard_normal((10, 3))
    latest, control_variate = make_decoder(code, True), ControlVariateDecoder(code)
    alive = np.arange(10) < 3
    for decoder in (latest, control_variate):
        decoder.combine(_messages(code, gradients), np.ones(10, dtype=bool))
        decoder.reset_code(new)
    np.testing.assert_allclose(latest.combine(_messages(new, gradients), alive),
                               control_variate.combine(_messages(new, gradients), alive))
    everyone = latest.combine(_messages(new, gradients), ~alive)
    np.testing.assert_allclose(everyone, gradients.sum(axis=0))


def test_switches_from_plain_decoding_once_the_plain_estimate_is_mostly_noise():
    code = make_code("optimal", 10, straggler_probs=P)
    rng = np.random.default_rng(3)
    decoder, plain = make_decoder(code, True, active=False), PlainDecoder(code)
    alike = np.tile(rng.standard_normal(5), (10, 1))  # early in training on iid data
    for _ in range(60):
        alive = rng.random(10) > P
        np.testing.assert_allclose(decoder.combine(_messages(code, alike), alive),
                                   plain.combine(_messages(code, alike), alive))
    assert not decoder.active
    near_optimum = rng.standard_normal((10, 5))
    near_optimum -= near_optimum.mean(axis=0) - 1e-3  # they nearly cancel
    for n_rounds in range(1, 61):
        decoder.combine(_messages(code, near_optimum), rng.random(10) > P)
        if decoder.active:
            break
    assert decoder.active and n_rounds < 20
    decoder.combine(_messages(code, near_optimum), np.ones(10, dtype=bool))
    silent = np.zeros(10, dtype=bool)
    np.testing.assert_allclose(decoder.combine(_messages(code, near_optimum), silent),
                               near_optimum.sum(axis=0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coded_gradient_descent_converges_on_sorted_logistic_data(seed):
    """The case where the control variate stalled (a seed stuck at a 0.11 gap): class-
    sorted partitions under the paper's model, 130 iterations of coded gradient descent."""
    X, y = make_classification(2000, 20, n_informative=10, flip_y=0.1, class_sep=0.8,
                               random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    alpha = 1e-2
    exact = LogisticRegression(C=1.0 / (len(y) * alpha), tol=1e-12, max_iter=10_000).fit(X, y)

    def objective(coef, intercept):
        margin = np.where(y == 1, 1.0, -1.0) * (X @ np.ravel(coef) + intercept)
        return np.mean(np.logaddexp(0.0, -margin)) + 0.5 * alpha * np.sum(coef ** 2)

    f_star = objective(exact.coef_, exact.intercept_[0])
    gaps = {}
    for vr in (True, False):
        clf = CodedGradientClassifier(loss="log_loss", alpha=alpha, n_workers=10,
                                      stragglers=paper_model(10, random_state=seed),
                                      solver="gd", variance_reduction=vr, shuffle=False,
                                      tol=None, max_iter=130, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        gaps[vr] = (objective(clf.coef_, clf.intercept_[0]) - f_star) / f_star
    assert gaps[True] < 1e-3
    assert gaps[True] < gaps[False] / 10


def test_with_the_partitions_hessians_it_is_the_control_variate():
    """Newton steps hand the decoder Hessians: stored messages then move to the iterate,
    and the decoder keeps the control variate (exact for a quadratic loss)."""
    code = make_code("optimal", 10, straggler_probs=P)
    rng = np.random.default_rng(4)
    hessians = {k: np.eye(4)[None] * (1.0 + k) for k in range(10)}
    latest, control_variate = make_decoder(code, True), ControlVariateDecoder(code)
    for decoder in (latest, control_variate):
        decoder.use_curvature(hessians)
    for _ in range(30):
        point = (rng.standard_normal((3, 1)), rng.standard_normal(1))
        messages = _messages(code, rng.standard_normal((10, 5)))
        alive = rng.random(10) > P
        np.testing.assert_allclose(latest.combine(messages, alive, point),
                                   control_variate.combine(messages, alive, point))


def test_switched_on_it_reports_the_staleness_of_its_messages_as_noise():
    """The estimate's relative variance: none before the switch (the code's eps applies),
    eps at the switch, shrinking while answers repeat the stored messages, above eps when
    they differ much against the gradient; a new code starts over."""
    code = make_code("optimal", 10, straggler_probs=P)
    rng = np.random.default_rng(5)
    gradients = rng.standard_normal((10, 4))
    everyone, one = np.ones(10, dtype=bool), np.arange(10) == 3
    assert PlainDecoder(code).noise is None
    waiting = make_decoder(code, True, active=False)
    waiting.combine(_messages(code, gradients), everyone)
    assert waiting.noise is None
    decoder = make_decoder(code, True)
    decoder.combine(_messages(code, gradients), everyone)
    assert decoder.noise == pytest.approx(code.relative_variance)
    for _ in range(10):
        decoder.combine(_messages(code, gradients), one)  # the same message again
    assert decoder.noise == pytest.approx(code.relative_variance * 0.9 ** 10)
    decoder.combine(_messages(code, gradients), np.zeros(10, dtype=bool))  # no answer
    assert decoder.noise == pytest.approx(code.relative_variance * 0.9 ** 10)
    near_optimum = rng.standard_normal((10, 4))
    near_optimum -= near_optimum.mean(axis=0) - 1e-3  # changed a lot, and nearly cancel
    decoder.combine(_messages(code, near_optimum), everyone)
    assert decoder.noise > code.relative_variance
    decoder.reset_code(code.reoptimized(straggler_probs=np.full(10, 0.5)))
    decoder.combine(_messages(decoder.code, gradients), one)
    assert decoder.noise is None  # not yet decodable from messages of the new code
