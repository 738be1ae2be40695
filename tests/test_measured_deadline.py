"""The default deadline of real workers under a Bernoulli model: measured in each round."""

import numpy as np
import pytest

from skgc import CodedGradientRegressor
from skgc.backends import ThreadingBackend, Work
from skgc.deadline import MeasuredDeadline
from skgc.plan import make_plan
from skgc.stragglers import FixedDelays, replay_from_history

pytestmark = [pytest.mark.timeout(120)]

NEVER = lambda alive: False  # noqa: E731 - a round that only the deadline ends


def _plan(data, **params):
    X, y = data
    return make_plan(X, y, **{"n_workers": 4, "random_state": 0, **params})


def test_rule_is_a_multiple_of_the_fast_half_plus_slack():
    rule = MeasuredDeadline()
    assert [rule.reference(n) for n in (0, 1, 2, 3, 4, 7)] == [1, 1, 1, 2, 2, 4]
    assert rule.cut(0.2) == pytest.approx(3 * 0.2 + 0.5)
    assert MeasuredDeadline(factor=2.0, slack=0.0, quantile=1.0).reference(4) == 4


@pytest.mark.parametrize("params, measured", [
    ({"backend": "threading"}, True),
    ({"backend": "threading", "stragglers": 0.2, "deadline": "auto"}, True),
    ({"backend": "threading", "deadline": 2.0}, False),  # a deadline given is kept
    ({"backend": "simulated"}, False),  # a virtual clock has the model's own
    ({"backend": "threading", "stragglers": FixedDelays([0.01] * 4)}, False),  # seconds
])
def test_plan_measures_the_default_deadline_of_real_workers(regression_data, params,
                                                            measured):
    plan = _plan(regression_data, **params)
    rule = getattr(plan.backend, "deadline_rule", None)
    assert isinstance(rule, MeasuredDeadline) is measured
    if measured:  # nominal: one iteration of the Bernoulli model, for the injected delays
        assert plan.deadline == 1.0


def _round(data, delays, rule, deadline, partitions=None, code="cyclic"):
    plan = _plan(data, code=code, load=2)
    coef = np.zeros((data[0].shape[1], 1))
    work = Work("hessian" if partitions else "gradient", coef, np.zeros(1), None, partitions)
    backend = ThreadingBackend()
    backend.deadline_rule = rule
    with backend.start(plan.data, plan.datafit, plan.code.allocation):
        return backend.round(work, plan.code.coefficients, np.asarray(delays, float),
                             deadline, NEVER), plan.code.allocation


@pytest.mark.workers
def test_rounds_longer_than_the_nominal_deadline_are_heard(regression_data):
    # every worker takes 0.3 s: a fixed 0.1 s deadline hears nobody, the rule everyone
    fixed, _ = _round(regression_data, [0.3] * 4, None, 0.1)
    measured, _ = _round(regression_data, [0.3] * 4, MeasuredDeadline(), 0.1)
    assert not fixed.alive.any()
    assert measured.alive.all()


@pytest.mark.workers
def test_a_worker_far_slower_than_the_others_is_cut(regression_data):
    # worker 2 would answer after 30 s; the round ends long before (the test's timeout)
    rnd, _ = _round(regression_data, [0.05, 0.05, 30.0, 0.05], MeasuredDeadline(), 1.0)
    np.testing.assert_array_equal(rnd.alive, [True, True, False, True])
    assert set(rnd.answers) == {0, 1, 3}


@pytest.mark.workers
def test_only_workers_with_work_set_the_reference(regression_data):
    # partition 0 alone is wanted: two workers hold it (worker 0 takes 0.8 s, the other
    # 30 s); those holding none answer at once and must not set the cut at ~0.5 s
    plan = _plan(regression_data, code="cyclic", load=2)
    holders = np.flatnonzero(plan.code.allocation[:, 0])
    delays = np.zeros(4)
    delays[holders] = [0.8, 30.0]
    rnd, _ = _round(regression_data, delays, MeasuredDeadline(), 1.0, partitions=(0,))
    expected = np.ones(4, bool)
    expected[holders[1]] = False
    np.testing.assert_array_equal(rnd.alive, expected)


@pytest.mark.workers
def test_fit_cuts_a_bernoulli_straggler_and_equals_the_simulation(regression_data):
    # worker 2 always straggles and sleeps 10 times the nominal deadline (1 s); gradient
    # descent, one round per iteration, decoded without it as the simulation does
    params = dict(n_workers=4, stragglers=[0.0, 0.0, 1.0, 0.0], code="ignore", max_iter=5,
                  tol=None, random_state=0, solver="gd")
    X, y = regression_data
    model = CodedGradientRegressor(backend="threading", **params).fit(X, y)
    assert model.deadline_ == 1.0
    np.testing.assert_array_equal(model.history_["alive"],
                                  np.tile([True, True, False, True], (5, 1)))
    replay = replay_from_history(model.history_, 4, model.code_.straggler_probs)
    reference = CodedGradientRegressor(**{**params, "stragglers": replay}).fit(X, y)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
