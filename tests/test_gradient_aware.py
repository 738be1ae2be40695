"""Gradient-aware coefficients: the K x K system against a numerical optimiser."""

import numpy as np
import pytest
from scipy.optimize import minimize

from skgc.coding import (
    cyclic_allocation,
    gradient_aware_coefficients,
    gram_residual_error,
    greedy_allocation,
    optimal_coefficients,
    residual_error,
)


def _numerical_optimum(p, allocation, gram):
    def error(x):
        C = np.zeros(allocation.shape)
        C[allocation] = x
        return gram_residual_error(p, C, gram)

    def unbiased(x):
        C = np.zeros(allocation.shape)
        C[allocation] = x
        return (1.0 - p) @ C - 1.0

    result = minimize(error, np.ones(allocation.sum()), method="SLSQP",
                      constraints={"type": "eq", "fun": unbiased},
                      options={"ftol": 1e-15, "maxiter": 2000})
    return result.fun


@pytest.mark.parametrize("seed", range(20))
def test_matches_numerical_optimiser(seed):
    rng = np.random.default_rng(seed)
    n_workers, n_partitions = rng.integers(3, 8), rng.integers(3, 7)
    p = rng.uniform(0.05, 0.95, n_workers)
    load = int(np.ceil(n_partitions / n_workers)) + int(rng.integers(0, 2))
    allocation = greedy_allocation(p, n_partitions, min(load, n_partitions))
    gradients = rng.normal(size=(n_partitions, 5)) + rng.normal(size=5)  # correlated
    gram = gradients @ gradients.T
    C = gradient_aware_coefficients(p, allocation, gram, regularization=0.0)
    np.testing.assert_allclose((1.0 - p) @ C, 1.0, atol=1e-10)
    assert not C[~allocation].any()
    ours = gram_residual_error(p, C, gram)
    assert ours == pytest.approx(_numerical_optimum(p, allocation, gram), rel=1e-6)


def test_identity_gram_is_the_closed_form():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.1, 0.9, 7)
    allocation = greedy_allocation(p, 5, 2)
    np.testing.assert_allclose(gradient_aware_coefficients(p, allocation, np.eye(5), 0.0),
                               optimal_coefficients(p, allocation), rtol=1e-10, atol=1e-12)


def test_coherent_gram_minimises_the_coherent_proxy():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.9, 8)
    allocation = cyclic_allocation(8, 6, 3)
    C = gradient_aware_coefficients(p, allocation, np.ones((6, 6)))
    closed_form = optimal_coefficients(p, allocation)
    assert residual_error(p, C, "coherent") < 0.99 * residual_error(p, closed_form, "coherent")
    # ... and is the coherent minimum: the Song & Choi bound K^2 / sum(1/delta) is a floor.
    assert residual_error(p, C, "coherent") >= 36 / np.sum((1 - p) / p) * (1 - 1e-9)
    np.testing.assert_allclose((1.0 - p) @ C, 1.0, atol=1e-8)


def test_limits_and_bad_gram():
    p = np.array([0.0, 0.5, 1.0])
    allocation = np.ones((3, 2), dtype=bool)
    C = gradient_aware_coefficients(p, allocation, np.array([[2.0, 1.0], [1.0, 2.0]]))
    assert np.isfinite(C).all() and not C[2].any()
    assert gram_residual_error(p, C, np.eye(2)) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="gram"):
        gradient_aware_coefficients(p, allocation, np.eye(3))
    with pytest.raises(ValueError, match="gram"):
        gradient_aware_coefficients(p, allocation, np.array([[1.0, 2.0], [0.0, 1.0]]))


def test_optimal_code_proxies_and_reoptimization():
    from skgc.coding import OptimalCode

    rng = np.random.default_rng(2)
    p = rng.uniform(0.1, 0.9, 8)
    code = OptimalCode(p, 6, load=3, allocation="cyclic")
    coherent = OptimalCode(p, 6, load=3, allocation="cyclic", proxy="coherent")
    assert coherent.residual_error("coherent") < code.residual_error("coherent")
    assert coherent.residual_error("independent") > code.residual_error("independent")
    moved = code.reoptimized(straggler_probs=np.full(8, 0.5))
    np.testing.assert_array_equal(moved.allocation, code.allocation)
    np.testing.assert_allclose(0.5 * moved.coefficients.sum(axis=0), 1.0)
    gradients = rng.normal(size=(6, 3)) + 2.0
    gram = gradients @ gradients.T
    aware = code.reoptimized(proxy=gram)
    assert gram_residual_error(p, aware.coefficients, gram) < gram_residual_error(
        p, code.coefficients, gram)
    with pytest.raises(ValueError, match="proxy"):
        OptimalCode(p, 6, proxy="nope")


def test_gram_refresh_refills_the_decoders_memory_at_the_iterate():
    """A Gram refresh computes every partition's gradient on the master: the latest-message
    decoder then holds every worker's message at this iterate, under the new code, and
    decodes the exact gradient whoever answers."""
    from skgc.plan import make_plan
    from skgc.stragglers import paper_model

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 5)), rng.normal(size=300)
    plan = make_plan(X, y, n_workers=8, load=3, stragglers=paper_model(8, random_state=0),
                     random_state=0)
    coef, intercept = rng.normal(size=(5, 1)), rng.normal(size=1)
    _, exact, exact_b = plan.datafit.sums(plan.data.X, plan.data.Y, plan.data.sample_weight,
                                          coef, intercept)
    with plan.run(variance_reduction=True, gradient_aware=True) as master:
        estimate = master.gradient(coef, intercept)
        assert master.n_reoptimized == 1
    np.testing.assert_allclose(estimate.grad_coef, exact / 300, rtol=1e-9)
    np.testing.assert_allclose(estimate.grad_intercept, exact_b / 300, rtol=1e-9)
