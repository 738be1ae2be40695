"""Faults on the real backends that tests/test_backends_*.py do not cover.

Covered there: a killed loky worker (replaced), Ctrl-C during a loky fit (its processes
freed for the next fit), a retired Dask worker (replaced). Here: a hung (stopped, never
answering) loky worker, the files a loky fit leaves (none, after success, crash or Ctrl-C),
Ctrl-C during a threading fit (threads gone) and during a Dask fit (nothing left on the
cluster); on a cluster of Dask worker processes, a worker killed (SIGKILL) or frozen
(SIGSTOP) mid-fit and a logical worker sleeping on a thread it shares; a loky worker that
cannot be replaced (no file descriptor left), and an idle loky process that died between
two fits. Every fit must end in a bounded time: the master never waits past the deadline.
"""

import errno
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

from test_backends_local import Watched, _Hook, gone

from skgc import CodedGradientRegressor
from skgc.backends._process_pool import ProcessPool

pytestmark = [pytest.mark.timeout(120), pytest.mark.workers]  # real workers

DEADLINE = 0.1


def _worker_threads():
    return [t for t in threading.enumerate() if t.name.startswith("skgc-worker")]


def _fit(backend, data, hook, n_workers=4, max_iter=12, delays=None):
    """A fit with a hook per iteration; ``"loky"`` is :class:`Watched`, to reach its
    processes."""
    X, y = data
    backend = Watched() if backend == "loky" else backend
    delays = np.zeros(n_workers) if delays is None else delays
    return CodedGradientRegressor(n_workers=n_workers, stragglers=_Hook(delays, hook),
                                  deadline=DEADLINE, backend=backend, max_iter=max_iter,
                                  tol=None, random_state=0, solver="gd").fit(X, y)


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """The loky backend's data files go here (instead of /dev/shm), to be checked."""
    monkeypatch.setenv("JOBLIB_TEMP_FOLDER", str(tmp_path))
    return tmp_path


def test_hung_loky_worker_is_a_straggler_and_nothing_remains(regression_data, temp_folder,
                                                              assert_iterations_cut):
    stopped, during = [], []

    def stop(iteration):
        if iteration == 3:
            stopped.append(Watched.current.pids[2])
            os.kill(stopped[0], signal.SIGSTOP)  # alive but never answers
        during.append(sorted(os.listdir(temp_folder)))

    start = time.perf_counter()
    model = _fit("loky", regression_data, stop)
    elapsed = time.perf_counter() - start
    assert stopped and model.n_iter_ == 12
    alive = model.history_["alive"]
    assert alive[:2].all()
    # the hung worker is never heard from again
    assert (alive[3:] == [True, True, False, True]).all()
    assert np.isfinite(model.coef_).all()
    assert_iterations_cut(model.history_, DEADLINE, longest=1.0)
    # the stopped process is killed at close (after a 2 s grace period)
    assert elapsed < 12 * (DEADLINE + 0.1) + 30
    assert gone(stopped[0])
    assert len(during[0]) == 1 and os.listdir(temp_folder) == []
    # the next fit takes another process in its place
    assert _fit("loky", regression_data, lambda iteration: None, max_iter=2).n_iter_ == 2


def test_loky_leaves_no_file_after_a_crash_or_an_interrupt(regression_data, temp_folder):
    def crash(iteration):
        if iteration == 2:
            os.kill(Watched.current.pids[0], signal.SIGKILL)

    model = _fit("loky", regression_data, crash, max_iter=5)
    assert model.n_iter_ == 5
    assert os.listdir(temp_folder) == []

    def interrupt(iteration):
        if iteration == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _fit("loky", regression_data, interrupt)
    assert os.listdir(temp_folder) == []


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


# -- a Dask cluster of worker processes: killed, frozen, shared --------------------------------


DASK_DEADLINE = 0.3  # worker processes: the master does not share their GIL


@pytest.fixture
def process_cluster():
    """Two single-thread Dask worker processes (with nannies); on exit, no process is
    left and no skgc thread runs in this process."""
    pytest.importorskip("distributed")
    import psutil
    from distributed import Client, LocalCluster

    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client
        _assert_cluster_idle(client)
    limit = time.monotonic() + 10.0
    while _new_children(before) and time.monotonic() < limit:
        time.sleep(0.05)
    assert not _new_children(before) and not _worker_threads()


def _new_children(before):
    """Child processes started since ``before``, except multiprocessing's own helpers
    (its resource tracker, started with the first nanny, lives as long as this process)."""
    import psutil

    children = []
    for p in psutil.Process().children(recursive=True):
        try:
            if p.pid in before or p.status() == psutil.STATUS_ZOMBIE or \
                    "resource_tracker" in " ".join(p.cmdline()):
                continue
        except psutil.NoSuchProcess:
            continue
        children.append(p)
    return children


def _assert_cluster_idle(client):
    """Nothing of the fit left on the scheduler: no task, no data, nothing processing."""
    def n_tasks(dask_scheduler):
        return len(dask_scheduler.tasks)

    limit = time.monotonic() + 10.0
    while (client.run_on_scheduler(n_tasks) or any(client.processing().values())) \
            and time.monotonic() < limit:
        time.sleep(0.05)
    assert client.run_on_scheduler(n_tasks) == 0
    assert not any(client.processing().values())


def _victim(client):
    """The second Dask worker (logical workers 1 and 3 live there) and its process id."""
    address = sorted(client.scheduler_info()["workers"])[1]
    return address, client.run(os.getpid, workers=[address])[address]


def _dask_fit(client, data, hook, delays=np.zeros(4), max_iter=15):
    from skgc.backends import DaskBackend

    X, y = data
    return CodedGradientRegressor(n_workers=4, stragglers=_Hook(delays, hook),
                                  deadline=DASK_DEADLINE, backend=DaskBackend(client=client),
                                  max_iter=max_iter, tol=None, random_state=0,
                                  solver="gd").fit(X, y)


def test_killed_dask_worker_process_is_a_straggler_and_its_data_placed_again(
        process_cluster, regression_data):
    _, pid = _victim(process_cluster)

    def kill(iteration):
        if iteration == 4:
            os.kill(pid, signal.SIGKILL)  # its nanny starts another, at another address

    model = _dask_fit(process_cluster, regression_data, kill)
    assert model.n_iter_ == 15 and np.isfinite(model.coef_).all()
    alive = model.history_["alive"]
    assert alive[:3].all()
    # the lost partitions were scattered again: full answers again (a loaded machine may
    # miss one iteration)
    assert alive[-5:].all(axis=1).sum() >= 4


def test_frozen_dask_worker_costs_at_most_the_deadline(process_cluster, regression_data):
    from skgc.backends import DaskBackend

    address, pid = _victim(process_cluster)
    # a finished answer held by a worker that then freezes: fetching it gives up in time
    future = process_cluster.submit(np.arange, 3, workers=[address], pure=False)
    future.result()
    os.kill(pid, signal.SIGSTOP)
    try:
        assert DaskBackend._fetch(future, 0.5) is None
        os.kill(pid, signal.SIGCONT)
        del future

        def freeze(iteration):
            if iteration == 4:
                os.kill(pid, signal.SIGSTOP)

        model = _dask_fit(process_cluster, regression_data, freeze, max_iter=10)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert model.n_iter_ == 10 and np.isfinite(model.coef_).all()
    alive = model.history_["alive"]
    assert alive[:3].all()
    assert not alive[4:, [1, 3]].any()  # the frozen worker's logical workers: stragglers
    assert alive[4:, [0, 2]].all(axis=1).sum() >= 5


def test_a_sleeping_logical_worker_does_not_block_its_dask_worker_thread(
        process_cluster, regression_data):
    def n_threads():
        return threading.active_count()

    addresses = process_cluster.scheduler_info()["workers"]
    process_cluster.gather([process_cluster.submit(abs, -1, workers=[address], pure=False)
                            for address in addresses])  # each worker's pool has its thread
    threads_before = process_cluster.run(n_threads)
    # logical workers 0 and 2 share the first single-thread Dask worker; 0 sleeps 60 s
    model = _dask_fit(process_cluster, regression_data, lambda iteration: None,
                      delays=np.array([60.0, 0.0, 0.0, 0.0]), max_iter=10)
    alive = model.history_["alive"]
    assert not alive[:, 0].any()
    assert alive[:, 1:].all(axis=1).sum() >= len(alive) - 1  # its partner answers
    # the sleepers stopped when cancelled: their threads are gone from the Dask workers
    limit = time.monotonic() + 10.0
    while process_cluster.run(n_threads) != threads_before and time.monotonic() < limit:
        time.sleep(0.05)
    assert process_cluster.run(n_threads) == threads_before


# -- a loky worker that cannot be replaced ---------------------------------------------------


class _Unpooled(Watched):
    """Workers from a pool of their own: no idle process to replace a lost one."""

    pool = ProcessPool()


def test_unreplaceable_loky_worker_raises_its_own_error_and_leaves_nothing(
        regression_data, temp_folder):
    import resource

    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    held = []

    def exhaust_descriptors(iteration):
        if iteration == 3:
            resource.setrlimit(resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 8,
                                                        limits[1]))
            try:
                while True:
                    held.append(os.open(os.devnull, os.O_RDONLY))
            except OSError:
                pass
            os.kill(Watched.current.pids[0], signal.SIGKILL)  # it cannot be replaced

    try:
        with pytest.raises(OSError, match="Too many open files"):
            _fit(_Unpooled(), regression_data, exhaust_descriptors, n_workers=2)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, limits)
    assert held and os.listdir(temp_folder) == []
    # the other worker was freed: the next fit takes it, and a new process
    try:
        assert _fit(_Unpooled(), regression_data, lambda iteration: None, n_workers=2,
                    max_iter=2).n_iter_ == 2
        assert _Unpooled.pool.n_idle == 2
    finally:
        _Unpooled.pool.shutdown()


def test_descriptors_running_out_inside_lokys_launcher_raise_the_os_error(monkeypatch):
    """Out of descriptors between the launcher's two pipes, loky's ``finally`` hides the
    ``OSError`` behind an ``UnboundLocalError``; the pool raises the ``OSError``."""
    from joblib.externals.loky.backend import popen_loky_posix

    real_pipe, calls = os.pipe, []

    def second_pipe_fails():
        if sys._getframe(1).f_code.co_name == "_launch":  # the launcher's own pipes
            calls.append(None)
            if len(calls) == 2:
                raise OSError(errno.EMFILE, "Too many open files")
        return real_pipe()

    monkeypatch.setattr(popen_loky_posix.os, "pipe", second_pipe_fails)
    pool = ProcessPool()
    try:
        with pytest.raises(OSError, match="Too many open files"):
            pool.submit(abs, -1)
    finally:
        monkeypatch.undo()
        pool.shutdown()
    assert len(calls) == 2


def test_idle_loky_process_that_died_between_fits_is_replaced(regression_data, temp_folder):
    seen = []
    _fit("loky", regression_data, lambda iteration: seen.append(Watched.current.pids),
         max_iter=2)
    first = set(seen[-1])
    victim = seen[-1][0]
    os.kill(victim, signal.SIGKILL)  # idle in the pool, between fits
    limit = time.monotonic() + 10.0
    while not gone(victim) and time.monotonic() < limit:
        time.sleep(0.01)
    model = _fit("loky", regression_data, lambda iteration: seen.append(Watched.current.pids),
                 max_iter=3)
    assert model.n_iter_ == 3 and model.history_["alive"].all()
    assert victim not in seen[-1] and len(first & set(seen[-1])) == 3
    assert os.listdir(temp_folder) == []
