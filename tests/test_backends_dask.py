"""The Dask backend on a LocalCluster started by the tests."""

import time

import numpy as np
import pytest

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.stragglers import FixedDelays, replay_from_history

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.timeout(120), pytest.mark.workers]  # real workers

DEADLINE = 0.15  # in-process cluster: scheduler, workers and master share the GIL


def test_dask_without_client_says_how_to_get_one(regression_data):
    from distributed import default_client

    try:
        default_client()
        pytest.skip("a default client exists")
    except ValueError:
        pass
    with pytest.raises(ValueError, match="no Dask client"):
        _fit("dask", regression_data, max_iter=1)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _fit(backend, data, **params):
    X, y = data
    params = {"n_workers": 4, "max_iter": 25, "tol": None, "random_state": 0, **params}
    return CodedGradientRegressor(backend=backend, **params).fit(X, y)


def test_dask_equals_simulated_without_stragglers(client, regression_data):
    from skgc.backends import DaskBackend

    reference = _fit("simulated", regression_data)
    given = _fit(DaskBackend(client=client), regression_data)
    current = _fit("dask", regression_data)  # the current client
    for model in (given, current):
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-8)
        np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-8)
        alive = model.history_["alive"]
        # one round (Hessian and sums, ended once every partition has a holder who
        # answered), then the master's exact model: no more rounds
        assert model.code_.allocation[alive[0]].any(axis=0).all()
        assert not alive[1:].any()


def test_dask_slow_worker_is_cut_at_the_deadline(client, binary_data,
                                                 assert_iterations_cut):
    stragglers = FixedDelays([0.0, 0.0, 20 * DEADLINE, 0.0])
    # gradient descent: one round per iteration, so an iteration lasts one deadline at most
    params = dict(stragglers=stragglers, deadline=DEADLINE, n_workers=4, max_iter=12,
                  tol=None, random_state=0, solver="gd")
    X, y = binary_data
    model = CodedGradientClassifier(backend="dask", **params).fit(X, y)
    alive = model.history_["alive"]
    assert not alive[:, 2].any()  # the sleeper never makes the deadline
    # the others nearly always do (an in-process cluster may miss one iteration)
    assert alive[:, [0, 1, 3]].all(axis=1).sum() >= len(alive) - 1
    assert_iterations_cut(model.history_, DEADLINE, longest=20 * DEADLINE)
    # the model is the simulated backend's given the same alive sets
    replay = replay_from_history(model.history_, 4, model.code_.straggler_probs)
    reference = CodedGradientClassifier(backend="simulated", **{**params, "stragglers": replay,
                                                                 "deadline": None}).fit(X, y)
    np.testing.assert_array_equal(reference.history_["alive"], alive)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
    # the cancelled sleepers leave nothing running on the workers (once the scheduler has
    # heard of the cancellation)
    limit = time.monotonic() + 5.0
    while any(client.processing().values()) and time.monotonic() < limit:
        time.sleep(0.01)
    assert not any(client.processing().values())




class _RetireAt(FixedDelays):
    """No delays; retires a Dask worker (its data go) before iteration ``at``."""

    def __init__(self, n_workers, at, retire):
        super().__init__(np.zeros(n_workers))
        self.calls, self.at, self.retire = 0, at, retire

    def injected_delays(self, times, deadline):
        self.calls += 1
        if self.calls == self.at:
            self.retire()
        return super().injected_delays(times, deadline)


def test_dask_lost_worker_is_a_straggler_and_replaced(regression_data):
    from distributed import Client, LocalCluster

    from skgc.backends import DaskBackend

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        victim = sorted(client.scheduler_info()["workers"])[1]

        def retire():
            client.retire_workers([victim], close_workers=True, remove=True)

        backend = DaskBackend(client=client)
        backend._recheck_seconds = 0.0
        X, y = regression_data
        model = CodedGradientRegressor(
            n_workers=4, stragglers=_RetireAt(4, 4, retire), deadline=0.2, backend=backend,
            max_iter=15, tol=None, random_state=0, code="ignore",
            solver="gd").fit(X, y)  # a round every iteration (Newton's ridge needs one)
        assert model.n_iter_ == 15
        alive = model.history_["alive"]
        # partitions re-placed on the remaining worker: full answers again (one late
        # iteration of a loaded machine is allowed)
        assert alive[-5:].all(axis=1).sum() >= 3
        assert len(client.scheduler_info()["workers"]) == 1
