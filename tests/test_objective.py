"""Losses, penalties and the partitioned data term."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import _sgd_fast

from skgc.objective import LOSSES, Datafit, PartitionedData, Penalty, get_loss

RNG = np.random.default_rng(0)
Y_CLASS = np.where(RNG.random(200) < 0.5, -1.0, 1.0)
Y_REG = RNG.normal(size=200)
PRED = RNG.normal(scale=2.0, size=200)

SKLEARN_TWINS = {
    "hinge": _sgd_fast.Hinge(1.0),
    "perceptron": _sgd_fast.Hinge(0.0),
    "modified_huber": _sgd_fast.ModifiedHuber(),
    "squared_hinge": _sgd_fast.SquaredHinge(1.0),
    "epsilon_insensitive": _sgd_fast.EpsilonInsensitive(0.1),
    "squared_epsilon_insensitive": _sgd_fast.SquaredEpsilonInsensitive(0.1),
}


def _targets(name):
    return Y_REG if name in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive",
                             "squared_error") else Y_CLASS


@pytest.mark.parametrize("name", sorted(SKLEARN_TWINS))
def test_losses_match_sgd(name):
    loss, twin = get_loss(name), SKLEARN_TWINS[name]
    y = _targets(name)
    expected_value = [twin.py_loss(p, t) for p, t in zip(PRED, y)]
    expected_derivative = [twin.py_dloss(p, t) for p, t in zip(PRED, y)]
    np.testing.assert_allclose(loss.value(y, PRED), expected_value, rtol=1e-12)
    np.testing.assert_allclose(loss.derivative(y, PRED), expected_derivative, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_derivative_is_the_slope(name):
    loss, y, h = get_loss(name), _targets(name), 1e-6
    numeric = (loss.value(y, PRED + h) - loss.value(y, PRED - h)) / (2 * h)
    kinks = {"hinge": 1.0, "perceptron": 0.0, "squared_hinge": 1.0, "modified_huber": 1.0}
    smooth_here = np.ones_like(PRED, dtype=bool)
    if name in kinks:
        smooth_here = np.abs(y * PRED - kinks[name]) > 1e-3
    if "epsilon" in name or name == "huber":
        smooth_here = np.abs(np.abs(PRED - y) - 0.1) > 1e-3
    np.testing.assert_allclose(loss.derivative(y, PRED)[smooth_here], numeric[smooth_here],
                               atol=1e-5)


@pytest.mark.parametrize("name", [n for n in sorted(LOSSES) if LOSSES[n].smoothness])
def test_smoothness_bounds_the_curvature(name):
    loss, y, h = get_loss(name), _targets(name), 1e-4
    slope_change = np.abs(loss.derivative(y, PRED + h) - loss.derivative(y, PRED)) / h
    assert slope_change.max() <= loss.smoothness * (1 + 1e-6)
    assert slope_change.max() >= 0.2 * loss.smoothness


def test_huber_and_log_loss_values():
    np.testing.assert_allclose(get_loss("huber", 1.0).value(np.zeros(3), np.array([0.5, 2, -3])),
                               [0.125, 1.5, 2.5])
    np.testing.assert_allclose(get_loss("log_loss").value(np.ones(2), np.array([0.0, 1000.0])),
                               [np.log(2.0), 0.0], atol=1e-300)


def test_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="loss='nope'.*allowed"):
        get_loss("nope")


@pytest.mark.parametrize("penalty, alpha, l1_ratio, l1, l2", [
    ("l2", 0.5, 0.15, 0.0, 0.5), ("l1", 0.5, 0.15, 0.5, 0.0),
    ("elasticnet", 0.5, 0.2, 0.1, 0.4), (None, 0.5, 0.15, 0.0, 0.0)])
def test_penalty_matches_sgd_convention(penalty, alpha, l1_ratio, l1, l2):
    pen = Penalty.from_sgd_params(penalty, alpha, l1_ratio)
    w = np.array([1.0, -2.0, 0.05])
    assert pen.l1 == pytest.approx(l1) and pen.l2 == pytest.approx(l2)
    assert pen.value(w) == pytest.approx(l1 * 3.05 + 0.5 * l2 * (1 + 4 + 0.0025))


def test_prox_is_soft_thresholding():
    pen = Penalty(1.0, 1.0)
    np.testing.assert_allclose(pen.prox(np.array([1.0, -0.05, -2.0]), 0.1), [0.9, 0.0, -1.9])
    assert Penalty(1.0, 0.0).prox(np.array([0.01]), 1.0)[0] == 0.01


def _problem(sparse=False, dtype=np.float64):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 4)).astype(dtype)
    X[rng.random(X.shape) < 0.5] = 0.0
    Y = rng.normal(size=(60, 2))
    weight = rng.uniform(0.5, 2.0, size=60)
    return (sp.csr_matrix(X) if sparse else X), Y, weight


@pytest.mark.parametrize("sparse", [False, True])
def test_partition_sums_add_up_to_the_full_sum(sparse):
    X, Y, weight = _problem(sparse)
    data = PartitionedData(X, Y, weight, n_partitions=7, shuffle=True, random_state=0)
    fit = Datafit(get_loss("huber", 0.5))
    coef, intercept = np.ones((4, 2)), np.array([0.1, -0.2])
    parts = [fit.sums(*data.partition(k), coef, intercept) for k in range(7)]
    full = fit.sums(X, Y, weight, coef, intercept)
    np.testing.assert_allclose(sum(p[0] for p in parts), full[0], rtol=1e-12)
    np.testing.assert_allclose(sum(p[1] for p in parts), full[1], rtol=1e-10)
    np.testing.assert_allclose(sum(p[2] for p in parts), full[2], rtol=1e-10)
    assert data.sizes.sum() == 60 and data.sizes.min() >= 8


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("loss", ["squared_error", "log_loss"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shared", [0, 2**18])  # multiply-adds up to which rows are shared
def test_all_partitions_at_once_equal_each_partition_alone(sparse, loss, fit_intercept,
                                                           shared, monkeypatch):
    """The simulated backend's passes over every partition give each partition's Hessian
    blocks and sums as a worker computes them from its rows alone, whether the blocks
    come from one scaled copy of all the rows or one per partition."""
    from skgc.objective import _datafit

    monkeypatch.setattr(_datafit, "_SHARED_ROWS_WORK", shared)
    X, Y, weight = _problem(sparse)
    weight[:5] = 0.0  # rows without weight: the majority of none, a minority of one
    Y = np.sign(Y) if loss == "log_loss" else Y
    data = PartitionedData(X, Y, weight, n_partitions=7, shuffle=True, random_state=0)
    fit = Datafit(get_loss(loss), fit_intercept)
    coef, intercept = RNG.normal(size=(4, 2)), np.array([0.1, -0.2])
    hessians = fit.partition_hessians(data, coef, intercept)
    sums = fit.partition_sums(data, coef, intercept)
    assert hessians.shape == (7, 1 if loss == "squared_error" else 2, 4 + fit_intercept,
                              4 + fit_intercept)
    for k in range(7):
        blocks, *alone = fit.hessian_and_sums(*data.partition(k), coef, intercept)
        np.testing.assert_allclose(hessians[k], blocks, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(sums[k], np.concatenate([np.ravel(a) for a in alone]),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(blocks, fit.hessian_sums(*data.partition(k), coef,
                                                            intercept), rtol=0, atol=0)


def test_gradient_matches_finite_differences():
    X, Y, weight = _problem()
    fit = Datafit(get_loss("log_loss"))
    Y = np.sign(Y)
    coef, intercept = RNG.normal(size=(4, 2)), np.zeros(2)
    value, grad, grad_b = fit.sums(X, Y, weight, coef, intercept)
    bump = np.zeros_like(coef)
    bump[2, 1] = 1e-6
    numeric = (fit.sums(X, Y, weight, coef + bump, intercept)[0].sum()
               - fit.sums(X, Y, weight, coef - bump, intercept)[0].sum()) / 2e-6
    assert grad[2, 1] == pytest.approx(numeric, rel=1e-6)


@pytest.mark.parametrize("sparse", [False, True])
def test_smoothness_is_the_top_eigenvalue(sparse):
    X, Y, weight = _problem(sparse)
    data = PartitionedData(X, Y, weight, 3, shuffle=False)
    Z = np.column_stack([X.toarray() if sparse else X, np.ones(60)])
    exact = np.linalg.eigvalsh(Z.T @ (Z * (weight / len(weight))[:, None]))[-1]
    assert Datafit(get_loss("log_loss")).smoothness(data, 0) == pytest.approx(0.25 * exact,
                                                                             rel=0.02)
    assert Datafit(get_loss("log_loss")).smoothness(data, 0) >= 0.25 * exact


def test_float32_data_stay_float32_in_products():
    X, Y, weight = _problem(dtype=np.float32)
    value, grad, _ = Datafit(get_loss("squared_error")).sums(X, Y, weight, np.ones((4, 2)),
                                                             np.zeros(2))
    reference = Datafit(get_loss("squared_error")).sums(X.astype(np.float64), Y, weight,
                                                        np.ones((4, 2)), np.zeros(2))
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, reference[1], rtol=1e-5)


def test_more_partitions_than_samples_is_refused():
    X, Y, weight = _problem()
    with pytest.raises(ValueError, match=r"n_partitions=61 .*\(60 samples\)"):
        PartitionedData(X, Y, weight, 61)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_partition_sums_in_one_pass_equal_each_partitions_sums(sparse, fit_intercept):
    X, Y, weight = _problem(sparse)
    data = PartitionedData(X, Y, weight, n_partitions=5, shuffle=True, random_state=1)
    fit = Datafit(get_loss("squared_hinge"), fit_intercept)
    coef, intercept = RNG.normal(size=(4, 2)), np.array([0.2, -0.1])
    packed = fit.partition_sums(data, coef, intercept)
    assert packed.shape == (5, 2 + 8 + 2)
    for k in range(5):
        value, grad, grad_b = fit.sums(*data.partition(k), coef, intercept)
        np.testing.assert_allclose(packed[k], np.r_[value, grad.ravel(), grad_b], rtol=1e-10,
                                   atol=1e-12)


def test_negligible_curvature_rows_are_left_out_of_the_hessian():
    """A finely smoothed hinge's curvature is negligible far from its kink: those rows
    (below 1e-8 of the largest weight, most of them) stay out of the Gram matrix, which
    then differs from the full one by less than their mass."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    labels = np.where(rng.random(400) < 0.5, -1.0, 1.0)[:, None]
    coef, intercept = np.zeros((5, 1)), np.zeros(1)
    coef[0, 0] = 3.0
    # ten rows on the kink (margin 1), the others well beyond it (margin 4 and more)
    X[:, 0] = labels[:, 0] * np.r_[np.full(10, 1.0 / 3.0), 4.0 / 3.0 + rng.random(390)]
    fit = Datafit(get_loss("hinge"), True).smoothed(1e-4)
    weights = np.ones(400)
    hessian = fit.hessian_sums(X, labels, weights, coef, intercept)[0]
    curvature = fit.loss.curvature(labels, X @ coef + intercept)[:, 0]
    Z = np.c_[X, np.ones(400)]
    full = Z.T @ (curvature[:, None] * Z)
    kept = curvature > 1e-8 * curvature.max()
    assert kept.mean() < 0.5
    np.testing.assert_allclose(hessian, Z[kept].T @ (curvature[kept, None] * Z[kept]),
                               rtol=1e-12, atol=1e-12 * np.abs(full).max())
    dropped = curvature[~kept].sum() * np.abs(Z).max() ** 2
    assert np.abs(hessian - full).max() <= dropped


@pytest.mark.parametrize("name", ["hinge", "perceptron", "epsilon_insensitive"])
def test_smoothed_kinks_share_value_and_derivative(name):
    """The barrier-smoothed kinks evaluate their barrier once for value and derivative
    (their own ``value_and_derivative``), with the same numbers as apart."""
    rng = np.random.default_rng(0)
    y = np.where(rng.random((50, 1)) < 0.5, -1.0, 1.0)
    p = 3.0 * rng.normal(size=(50, 1))
    smoothed = get_loss(name).smoothed(1e-2)
    value, derivative = smoothed.value_and_derivative(y, p)
    np.testing.assert_array_equal(value, smoothed.value(y, p))
    np.testing.assert_array_equal(derivative, smoothed.derivative(y, p))


def test_the_shuffle_is_the_legacy_generators_whatever_was_drawn_before():
    """Partitions shuffled with an integer seed get numpy's legacy permutation for that
    seed (the fits' partitions do not depend on the re-seeded generator's past draws)."""
    X, Y, weight = _problem()
    first = PartitionedData(X, Y, weight, n_partitions=3, shuffle=True, random_state=7)
    PartitionedData(X, Y, weight, n_partitions=3, shuffle=True, random_state=123)
    again = PartitionedData(X, Y, weight, n_partitions=3, shuffle=True, random_state=7)
    expected = np.random.RandomState(7).permutation(X.shape[0])
    np.testing.assert_array_equal(first.order, expected)
    np.testing.assert_array_equal(again.order, expected)
    np.testing.assert_array_equal(again.X, X[expected])
