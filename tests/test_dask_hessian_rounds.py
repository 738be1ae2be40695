"""Hessian rounds on Dask: each partition asked of one holder, others only when it is late."""

import numpy as np
import pytest

from skgc.backends import DaskBackend, Work
from skgc.plan import make_plan

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.timeout(120), pytest.mark.workers]


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


@pytest.fixture
def started(client, binary_data):
    X, y = binary_data
    plan = make_plan(X, np.where(y > 0, 1.0, -1.0), loss="log_loss", n_workers=4,
                     code="cyclic", load=2, backend=DaskBackend(client=client),
                     random_state=0)
    with plan.backend.start(plan.data, plan.datafit, plan.code.allocation) as backend:
        yield plan, backend


def _covered(allocation, partitions):
    allocation = allocation[:, list(partitions)]
    return lambda alive: allocation[alive].any(axis=0).all()


def test_primaries_give_each_partition_one_holder_evenly(started):
    plan, backend = started
    chosen = backend._primaries(set(range(4)))
    assigned = sorted(k for partitions in chosen.values() for k in partitions)
    assert assigned == [0, 1, 2, 3]
    for j, partitions in chosen.items():
        assert plan.code.allocation[j, partitions].all()  # a holder of each
    assert max(len(partitions) for partitions in chosen.values()) == 1  # 4 for 4 workers


def test_primaries_avoid_a_worker_that_missed_the_last_round(started):
    plan, backend = started
    backend._misses[:] = [0, 1, 0, 0]
    chosen = backend._primaries(set(range(4)))
    assert 1 not in chosen
    assert sorted(k for partitions in chosen.values() for k in partitions) == [0, 1, 2, 3]


def test_a_late_partition_goes_to_a_holder_not_asked_that_answered(started):
    plan, backend = started
    holders = np.flatnonzero(plan.code.allocation[:, 0])
    asked = {0: {int(holders[0])}}
    answered = {int(holders[1]): None}
    assert backend._hedge({0}, asked, answered) == {int(holders[1]): [0]}
    asked[0].add(int(holders[1]))
    assert backend._hedge({0}, asked, answered) == {}  # nobody left to ask


@pytest.mark.parametrize("partitions", [None, (1, 3)])
def test_hessian_round_delivers_each_wanted_partition_exactly(started, partitions):
    plan, backend = started
    rng = np.random.default_rng(0)
    coef, intercept = rng.normal(size=(plan.data.X.shape[1], 1)), np.array([0.3])
    wanted = range(4) if partitions is None else partitions
    rnd = backend.round(Work("hessian", coef, intercept, None, partitions),
                        plan.code.coefficients, np.zeros(4), 30.0,
                        _covered(plan.code.allocation, wanted))
    delivered = {}
    for held, hessians, _ in rnd.answers.values():
        for k, block in zip(held, hessians):
            delivered.setdefault(k, []).append(block)
    assert sorted(delivered) == sorted(wanted)
    for k, blocks in delivered.items():
        X, Y, weight = plan.data.partition(k)
        expected = plan.datafit.hessian_sums(X, Y, weight, coef, intercept)
        for block in blocks:  # a hedged partition may come twice, equal
            np.testing.assert_allclose(block, expected, rtol=1e-12)
    assert rnd.alive.sum() == len(rnd.answers)


def test_newton_log_loss_on_dask_arrays_equals_the_numpy_fit(client, binary_data):
    import dask.array as da

    from skgc import CodedGradientClassifier

    X, y = binary_data
    params = dict(loss="log_loss", n_workers=4, load=2, shuffle=False, random_state=0)
    model = CodedGradientClassifier(backend=DaskBackend(client=client), **params).fit(
        da.from_array(X, chunks=(75, X.shape[1])), da.from_array(y, chunks=75))
    reference = CodedGradientClassifier(backend="simulated", **params).fit(X, y)
    assert model.solver_ == "newton"
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=1e-10)


def test_hessian_rounds_on_cluster_data_copy_no_shard(client, binary_data):
    import dask.array as da

    X, y = binary_data
    Y = np.where(y > 0, 1.0, -1.0)
    plan = make_plan(da.from_array(X, chunks=(75, X.shape[1])), da.from_array(Y, chunks=75),
                     loss="log_loss", n_workers=4, code="cyclic", load=2,
                     backend=DaskBackend(client=client), random_state=0)
    coef, intercept = np.full((X.shape[1], 1), 0.1), np.zeros(1)
    with plan.backend.start(plan.data, plan.datafit, plan.code.allocation) as backend:
        rnd = backend.round(Work("hessian", coef, intercept), plan.code.coefficients,
                            np.zeros(4), 30.0, _covered(plan.code.allocation, range(4)))
        assert backend._placed == [None] * 4  # no logical worker's shard was built
        gradient = backend.round(Work("gradient", coef, intercept), plan.code.coefficients,
                                 np.zeros(4), 30.0, plan.code.decodable)
        assert None not in backend._placed and gradient.alive.any()
    delivered = {k for held, _, _ in rnd.answers.values() for k in held}
    assert delivered == {0, 1, 2, 3}
