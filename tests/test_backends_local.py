"""Real local workers (threads, processes): delays, deadline, crashes, clean-up."""

import os
import signal
import time

import numpy as np
import psutil
import pytest
from sklearn.model_selection import GridSearchCV

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.backends import LokyBackend
from skgc.stragglers import (FixedDelays, Pareto, ShiftedExponential, TraceDelays,
                             replay_from_history)

pytestmark = [pytest.mark.timeout(120), pytest.mark.workers]  # real workers

DEADLINE = 0.04


class Watched(LokyBackend):
    """The loky backend; remembers the backend of the fit under way (a fit builds its own
    from the one it is given), so that a test can reach its worker processes."""

    current = None

    def start(self, *args, **kwargs):
        Watched.current = self
        return super().start(*args, **kwargs)


def gone(pid):
    """Whether process ``pid`` has ended."""
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


class _Hook(FixedDelays):
    """Fixed delays that call ``hook(iteration)`` when a real backend draws them."""

    def __init__(self, seconds, hook):
        super().__init__(seconds)
        self.hook, self.calls = hook, 0

    def injected_delays(self, times, deadline):
        self.calls += 1
        self.hook(self.calls)
        return super().injected_delays(times, deadline)


# -- delay models ----------------------------------------------------------------------


@pytest.mark.parametrize("model", [
    ShiftedExponential([0.01, 0.01, 0.1], 100.0),
    Pareto(0.01, [1.5, 3.0, 3.0]),
    TraceDelays(np.random.default_rng(0).exponential(0.02, size=(3, 5000))),
])
def test_straggler_probs_are_the_models_tail(model):
    rng = np.random.default_rng(0)
    times = model.sample(rng, 20000)
    for deadline in (0.015, model.default_deadline()):
        np.testing.assert_allclose((times > deadline).mean(axis=0),
                                   model.straggler_probs(deadline), atol=0.015)


def test_auto_deadline_separates_fast_from_slow_workers():
    slow = np.array([0, 0, 0, 1, 0, 0, 1, 0, 0, 1], bool)  # 30% ten times slower
    model = ShiftedExponential(np.where(slow, 0.1, 0.01), np.where(slow, 100.0, 1000.0))
    p = model.straggler_probs()
    assert (p[slow] > 0.99).all() and (p[~slow] < 0.01).all()
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5]
    est = CodedGradientRegressor(n_workers=10, stragglers=model, deadline="auto",
                                 max_iter=3, tol=None, random_state=0).fit(X, y)
    np.testing.assert_allclose(est.code_.straggler_probs, p)


def test_trace_replays_from_the_start_of_every_fit():
    trace = TraceDelays([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(trace.sample(rng, 4)[:, 0], [1, 2, 3, 1])
    trace.rewind()
    np.testing.assert_array_equal(trace.sample(rng, 1), [[1.0, 4.0]])
    with pytest.raises(ValueError, match="n_workers"):
        ShiftedExponential(0.1, 2.0)


# -- the deadline ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_slow_worker_is_cut_at_the_deadline_and_model_equals_simulation(
        backend, binary_data, assert_iterations_cut):
    # worker 2 sleeps 20x the deadline every iteration; the others answer at once. Gradient
    # descent: one round per iteration, decoded when the deadline passes
    params = dict(stragglers=FixedDelays([0.0, 0.0, 20 * DEADLINE, 0.0]), deadline=DEADLINE,
                  n_workers=4, max_iter=20, tol=None, random_state=0, solver="gd")
    X, y = binary_data
    model = CodedGradientClassifier(backend=backend, **params).fit(X, y)
    assert_iterations_cut(model.history_, DEADLINE, longest=20 * DEADLINE)
    # the master waited for the straggler until the deadline
    assert np.diff(model.history_["time"], prepend=0.0).min() >= DEADLINE
    alive = model.history_["alive"]
    assert not alive[:, 2].any()  # the sleeper never makes the deadline
    assert alive[:, [0, 1, 3]].all(axis=1).sum() >= len(alive) - 1  # a loaded machine may miss one
    # the model is the simulated backend's given the same alive sets
    replay = replay_from_history(model.history_, 4, model.code_.straggler_probs)
    reference = CodedGradientClassifier(backend="simulated", **{**params, "stragglers": replay,
                                                                 "deadline": None}).fit(X, y)
    np.testing.assert_array_equal(reference.history_["alive"], alive)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_no_stragglers_iterations_end_when_everyone_answered(backend, regression_data):
    X, y = regression_data
    params = dict(n_workers=3, max_iter=15, tol=None, random_state=0, deadline=5.0)
    reference = CodedGradientRegressor(**params).fit(X, y)
    model = CodedGradientRegressor(backend=backend, **params).fit(X, y)
    assert np.diff(model.history_["time"], prepend=0.0).max() < 1.0  # far from 5 s
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=1e-8)


def test_bernoulli_straggler_sleeps_past_the_deadline(regression_data,
                                                     assert_iterations_cut):
    X, y = regression_data
    params = dict(n_workers=4, stragglers=[0.0, 0.0, 1.0, 0.0], code="ignore",
                  deadline=DEADLINE, max_iter=5, tol=None, random_state=0)
    model = CodedGradientRegressor(backend="threading", **params).fit(X, y)
    assert (model.history_["alive"] == [True, True, False, True]).all()
    assert_iterations_cut(model.history_, DEADLINE, longest=10 * DEADLINE)


# -- crashes and clean-up ----------------------------------------------------------------


def test_killed_worker_is_a_straggler_and_the_fit_goes_on(regression_data,
                                                          assert_iterations_cut):
    killed = []

    def kill(iteration):
        if iteration == 5:
            killed.append(Watched.current.pids[1])
            os.kill(killed[0], signal.SIGKILL)

    X, y = regression_data
    params = dict(n_workers=4, max_iter=30, tol=None, random_state=0, solver="gd")
    model = CodedGradientRegressor(stragglers=_Hook(np.full(4, 0.005), kill), deadline=0.2,
                                   backend=Watched(), **params).fit(X, y)
    assert killed and model.n_iter_ == 30
    alive = model.history_["alive"]
    assert alive[:4].all()
    assert alive[:, [0, 2, 3]].all(axis=1).sum() >= 27  # the others go on answering
    assert_iterations_cut(model.history_, 0.2, longest=1.0)
    assert gone(killed[0])
    # the iterations without worker 1 decode the other three as the simulation does
    replay = replay_from_history(model.history_, 4, model.code_.straggler_probs)
    reference = CodedGradientRegressor(stragglers=replay, deadline=None, **params).fit(X, y)
    np.testing.assert_array_equal(reference.history_["alive"], alive)
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10, atol=1e-12)


def test_killed_worker_is_replaced_on_its_partitions(regression_data):
    from skgc.backends._messages import Work
    from skgc.plan import make_plan

    X, y = regression_data
    plan = make_plan(X, y, n_workers=4, code="ignore", random_state=0)
    work = Work("gradient", np.full((X.shape[1], 1), 0.5), np.zeros(1))
    with LokyBackend().start(plan.data, plan.datafit, plan.code.allocation) as backend:
        def ask():
            return backend.round(work, plan.code.coefficients, np.zeros(4), 2.0)

        before = ask()
        victim = backend.pids[1]
        os.kill(victim, signal.SIGKILL)
        limit = time.monotonic() + 120.0  # a new process may have to start (no timing test)
        while backend.pids[1] in (None, victim) and time.monotonic() < limit:
            ask()
        after = ask()
        assert backend.n_replaced == 1 and backend.pids[1] not in (None, victim)
    # the new process holds worker 1's partitions: the same message as before
    assert before.alive.all() and after.alive.all()
    np.testing.assert_allclose(after.answers[1], before.answers[1], rtol=1e-12)
    assert gone(victim)


def test_workers_are_kept_between_fits_and_freed_by_an_error(regression_data):
    X, y = regression_data
    seen = []

    def fit(hook, max_iter):
        CodedGradientRegressor(n_workers=3, stragglers=_Hook([0.0, 0.0, 10.0], hook),
                               deadline=0.2, backend=Watched(), max_iter=max_iter,
                               tol=None, random_state=0, solver="gd").fit(X, y)
        return set(seen[-1])

    def record(iteration):
        seen.append(Watched.current.pids)
        if iteration == 3 and interrupt:
            raise KeyboardInterrupt

    interrupt = False
    first = fit(record, 4)
    assert len(first) == 3 and fit(record, 4) == first  # the same processes again
    interrupt = True
    with pytest.raises(KeyboardInterrupt):
        fit(record, 10)
    assert set(seen[-1]) == first
    # the interrupted fit ended every task, the sleeper's too: all three serve again
    interrupt = False
    assert fit(record, 4) == first
    assert not any(gone(pid) for pid in first)
    for pid in first:  # one BLAS thread each
        assert psutil.Process(pid).environ()["OPENBLAS_NUM_THREADS"] == "1"


def test_loky_places_data_once_and_ships_only_the_model(regression_data):
    from skgc.plan import make_plan

    X, y = regression_data
    plan = make_plan(X, y, n_workers=4, backend="loky", deadline=1.0, random_state=0)
    coef, intercept = np.zeros((X.shape[1], 1)), np.zeros(1)
    with plan.run() as master:
        backend = plan.backend
        folder = backend._folder
        assert os.path.getsize(os.path.join(folder, "data.pkl")) >= X.nbytes
        placed = backend.bytes_sent
        for _ in range(3):
            estimate = master.gradient(coef, intercept)
        per_iteration = (backend.bytes_sent - placed) / 3
        received = backend.bytes_received / 3
    assert placed == 0  # the data went through the memory-mapped file, not the pipes
    # per request: the model plus pickle framing, tag, work kind and coding coefficients
    assert per_iteration < 4 * (coef.nbytes + intercept.nbytes + 300)
    assert received < 4 * (coef.nbytes + intercept.nbytes + 300)
    assert estimate.n_alive == 4
    assert not os.path.exists(folder)


def test_grid_search_with_two_jobs_around_local_workers(regression_data):
    from skgc.backends._process_pool import POOL

    X, y = regression_data
    idle = POOL.n_idle
    search = GridSearchCV(
        CodedGradientRegressor(n_workers=2, backend="loky", max_iter=5, tol=None,
                               random_state=0),
        {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2,
    ).fit(X, y)
    assert np.isfinite(search.best_score_)
    assert POOL.n_idle == idle  # the fits ran in joblib's workers, on their own processes


def test_exact_code_stops_waiting_once_decodable(regression_data):
    from skgc.coding import CODE_NAMES

    if "frc" not in CODE_NAMES:
        pytest.skip("no exact code available")
    X, y = regression_data
    # worker 3 is slow but its group is covered: the master need not wait for it
    params = dict(n_workers=4, code="frc", load=2, stragglers=FixedDelays([0, 0, 0, 1.0]),
                  deadline=0.5, max_iter=8, tol=None, random_state=0)
    reference = CodedGradientRegressor(backend="simulated", **params).fit(X, y)
    model = CodedGradientRegressor(backend="threading", **params).fit(X, y)
    # as a rule the master waits for neither worker 3 (1 s) nor the deadline (0.5 s)
    durations = np.diff(model.history_["time"], prepend=0.0)
    assert np.median(durations) < 0.25 and durations.max() < 1.0
    assert not model.history_["fallback"].any()
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-10, atol=1e-12)


def test_a_script_needs_no_main_guard_nor_to_close_its_backend(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(
        "import numpy as np\n"
        "from sklearn.datasets import make_regression\n"
        "from skgc import CodedGradientRegressor\n"
        "from skgc.backends import LokyBackend\n"
        "from skgc.backends._messages import Work\n"
        "from skgc.plan import make_plan\n"
        "print('top level', flush=True)\n"
        "X, y = make_regression(200, 4, random_state=0)\n"
        "model = CodedGradientRegressor(n_workers=2, backend='loky', max_iter=3).fit(X, y)\n"
        "plan = make_plan(X, y, n_workers=2, code='ignore', random_state=0)\n"
        "backend = LokyBackend().start(plan.data, plan.datafit, plan.code.allocation)\n"
        "done = backend.round(Work('gradient', np.zeros((4, 1)), np.zeros(1)),\n"
        "                     plan.code.coefficients, np.zeros(2), 5.0)\n"
        "print(int(done.alive.sum()), flush=True)\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    # the workers do not run the script again; exit closes the backend left open
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["top", "level", "2"]
