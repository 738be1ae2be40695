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
