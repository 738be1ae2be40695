"""Straggler models and the simulated cluster."""

import numpy as np
import pytest

from skgc.backends import iteration_outcome
from skgc.coding import make_code
from skgc.plan import make_plan
from skgc.stragglers import BernoulliStragglers, check_stragglers, paper_model


def test_bernoulli_draws_have_the_right_rates():
    probs = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    model = BernoulliStragglers(probs)
    times = model.sample(np.random.default_rng(0), 20000)
    late = times > model.default_deadline()
    np.testing.assert_allclose(late.mean(axis=0), probs, atol=0.01)
    np.testing.assert_array_equal(model.straggler_probs(), probs)
    assert model.straggler_probs(100.0).max() == 0.0


def test_paper_model_range_and_seed():
    model = paper_model(1000, random_state=0)
    assert 0.81 < model.probs.min() and model.probs.max() < 0.9991
    np.testing.assert_array_equal(paper_model(10, random_state=1).probs,
                                  paper_model(10, random_state=1).probs)


def test_check_stragglers_forms():
    assert check_stragglers(None, 4).probs.tolist() == [0, 0, 0, 0]
    assert check_stragglers(0.25, 3).probs.tolist() == [0.25] * 3
    model = paper_model(4)
    assert check_stragglers(model, 4) is model


def test_outcome_respects_deadline_and_full_code():
    times = np.array([1.0, 10.0, 1.0])
    alive, duration = iteration_outcome(times, 1.0)
    assert alive.tolist() == [True, False, True] and duration == 1.0
    alive, duration = iteration_outcome(times, np.inf)  # a code that waits for everyone
    assert alive.all() and duration == 10.0


def test_outcome_stops_as_soon_as_the_answers_decode():
    times = np.array([3.0, 1.0, 2.0, 0.5])
    alive, duration = iteration_outcome(times, 5.0, done=lambda alive: alive.sum() >= 2)
    assert alive.tolist() == [False, True, False, True] and duration == 1.0
    alive, duration = iteration_outcome(times, 1.5, done=lambda alive: alive.sum() >= 3)
    assert alive.tolist() == [False, True, False, True] and duration == 1.5


@pytest.mark.parametrize("code_name", ["optimal", "song_choi", "ignore", "full", "frc"])
def test_decoded_estimate_equals_decoding_each_workers_message(code_name):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(90, 5)), rng.normal(size=(90, 1))
    probs = np.linspace(0.1, 0.8, 6)
    code = make_code(code_name, 6, 6, straggler_probs=probs, random_state=0)
    plan = make_plan(X, Y, rng.uniform(0.5, 1.5, 90), loss="huber", epsilon=0.3,
                     n_workers=6, code=code, stragglers=BernoulliStragglers(probs),
                     random_state=0)
    data, datafit = plan.data, plan.datafit
    coef, intercept = rng.normal(size=(5, 1)), np.array([0.3])
    with plan.run() as master:
        for _ in range(5):
            estimate = master.gradient(coef, intercept)
            weights = code.decode(estimate.alive)
            expected = np.zeros((5, 1))
            for j in np.flatnonzero(weights):  # each worker's own message, decoded
                for k in np.flatnonzero(code.allocation[j]):
                    X_k, Y_k, w_k = data.partition(k)
                    expected += weights[j] * code.coefficients[j, k] * datafit.sums(
                        X_k, Y_k, w_k, coef, intercept)[1]
            np.testing.assert_allclose(estimate.grad_coef, expected / data.normaliser,
                                       rtol=1e-10, atol=1e-14)
            assert estimate.n_alive == estimate.alive.sum()


def test_simulated_clock_counts_the_deadline_when_someone_straggles():
    model = BernoulliStragglers([0.0, 0.5], slowdown=10.0, time_per_iteration=2.0)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    for name, expected in (("optimal", 2.0), ("full", 20.0)):
        plan = make_plan(X, Y, n_workers=2, code=name, stragglers=model, random_state=0)
        with plan.run() as master:
            durations = {master.gradient(np.zeros((2, 1)), np.zeros(1)).duration
                         for _ in range(30)}
        assert max(durations) == expected


def test_hessian_round_after_a_gradient_round_answers_as_a_fresh_one():
    """The simulated backend reuses the last gradient round's sums in a Hessian round at
    the same iterate and smoothing only: any other iterate or width is computed afresh."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 5))
    y = np.where(X @ rng.normal(size=5) + rng.normal(size=300) > 0, 1.0, -1.0)
    coef, other = rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    intercept = np.array([0.3])

    def hessian_round(before=None, smoothing=None):
        plan = make_plan(X, y, loss="hinge", random_state=0)
        with plan.run() as master:
            if before is not None:
                master.gradient(before, intercept, smoothing)
            return master.hessian(coef, intercept, 0.5)

    fresh = hessian_round()
    for earlier, smoothing in ((coef, 0.5), (other, 0.5), (coef, 0.1)):
        answer = hessian_round(earlier, smoothing)
        assert sorted(answer.blocks) == sorted(fresh.blocks) == list(range(8))
        for k in fresh.blocks:
            np.testing.assert_array_equal(answer.blocks[k], fresh.blocks[k])
            np.testing.assert_array_equal(answer.sums[k], fresh.sums[k])


def test_a_simulated_fit_runs_on_one_blas_thread_and_gives_them_back():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [pool["num_threads"] for pool in threadpool_info()
                if pool["user_api"] == "blas"]

    before = blas_threads()
    X = np.random.default_rng(0).normal(size=(100, 3))
    plan = make_plan(X, X[:, 0], random_state=0)
    with pytest.raises(RuntimeError, match="inside"):
        with plan.run():
            assert set(blas_threads()) == {1}  # as one worker
            raise RuntimeError("a failure inside the fit")
    assert blas_threads() == before
