"""Faults on the real backends that tests/test_backends_*.py do not cover.

Covered there: a killed loky worker (replaced), Ctrl-C during a loky fit (processes gone),
a retired Dask worker (replaced). Here: a hung (stopped, never answering) loky worker, the
files a loky fit leaves (none, after success, crash or Ctrl-C), Ctrl-C during a threading
fit (threads gone) and during a Dask fit (nothing left on the cluster). Every fit must end
in a bounded time: the master never waits past the deadline.
"""

import multiprocessing
import os
import signal
import threading
import time

import numpy as np
import pytest

from test_backends_local import _Hook  # fixed delays calling a hook per iteration

from skgc import CodedGradientRegressor

pytestmark = pytest.mark.timeout(120)

DEADLINE = 0.1


def _worker_processes():
    return [p for p in multiprocessing.active_children() if p.name.startswith("skgc-worker")]


def _worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("skgc-worker")]


def _fit(backend, data, hook, n_workers=4, max_iter=12, delays=None):
    X, y = data
    delays = np.zeros(n_workers) if delays is None else delays
    return CodedGradientRegressor(n_workers=n_workers, stragglers=_Hook(delays, hook),
                                  deadline=DEADLINE, backend=backend, max_iter=max_iter,
                                  tol=None, random_state=0).fit(X, y)


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """The loky backend's data files go here (instead of /dev/shm), to be checked."""
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path))
    return tmp_path


def test_hung_loky_worker_is_a_straggler_and_nothing_remains(regression_data, temp_folder):
    stopped, during = [], []

    def stop(iteration):
        if iteration == 3:
            victim = next(p for p in _worker_processes() if p.name == "skgc-worker-2")
            os.kill(victim.pid, signal.SIGSTOP)  # alive but never answers
            stopped.append(victim.pid)
        during.append(sorted(os.listdir(temp_folder)))

    start = time.perf_counter()
    model = _fit("loky", regression_data, stop)
    elapsed = time.perf_counter() - start
    assert stopped and model.n_iter_ == 12
    alive = model.history_["alive"]
    assert alive[:2].all()
    assert (alive[3:] == [True, True, False, True]).all()  # the hung worker is never heard from again
    assert np.isfinite(model.coef_).all()
    assert np.diff(model.history_["time"], prepend=0.0).max() < DEADLINE + 0.1
    # the stopped process is killed at close (after a 2 s grace period)
    assert elapsed < 12 * (DEADLINE + 0.1) + 30
    assert not _worker_processes()
    assert len(during[0]) == 1 and os.listdir(temp_folder) == []


def test_loky_leaves_no_file_after_a_crash_or_an_interrupt(regression_data, temp_folder):
    def crash(iteration):
        if iteration == 2:
            os.kill(_worker_processes()[0].pid, signal.SIGKILL)

    model = _fit("loky", regression_data, crash, max_iter=5)
    assert model.n_iter_ == 5
    assert os.listdir(temp_folder) == [] and not _worker_processes()

    def interrupt(iteration):
        if iteration == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit("loky", regression_data, interrupt)
    assert os.listdir(temp_folder) == [] and not _worker_processes()


def test_threading_interrupt_stops_every_worker_thread(regression_data):
    def interrupt(iteration):
        assert len(_worker_threads()) == 4
        if iteration == 3:
            raise KeyboardInterrupt

    # worker 1 sleeps for ever: its thread must still be stopped
    with pytest.raises(KeyboardInterrupt):
        _fit("threading", regression_data, interrupt,
             delays=np.array([0.0, np.inf, 0.0, 0.0]))
    deadline = time.monotonic() + 5.0
    while _worker_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _worker_threads()


def test_dask_interrupt_leaves_nothing_on_the_cluster(regression_data):
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from skgc.backends import DaskBackend

    def ours(dask_scheduler):
        return len(dask_scheduler.tasks)

    with LocalCluster(n_workers=2, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        before = client.run_on_scheduler(ours)

        def interrupt(iteration):
            if iteration == 3:
                raise KeyboardInterrupt

        # worker 3 sleeps 30 s every iteration: its task is running when the fit stops
        with pytest.raises(KeyboardInterrupt):
            _fit(DaskBackend(client=client), regression_data, interrupt,
                 delays=np.array([0.0, 0.0, 0.0, 30.0]))
        limit = time.monotonic() + 10.0
        while (client.run_on_scheduler(ours) > before or any(client.processing().values())) \
                and time.monotonic() < limit:
            time.sleep(0.05)
        assert client.run_on_scheduler(ours) == before  # data and tasks released
        assert not any(client.processing().values())  # the sleeper was cancelled
