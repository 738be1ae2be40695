"""Workers on this machine: threads, or processes with memory-mapped partitions."""

import os
import pickle
import queue
import shutil
import signal
import tempfile
import threading
import time
import weakref
from concurrent import futures
from multiprocessing.connection import wait

import joblib
from joblib.externals.loky import BrokenProcessPool

from ._live import LiveBackend
from ._process_pool import POOL, Switchboard
from ._worker import WorkerShard, serve, serve_connection

__all__ = ["ThreadingBackend", "LokyBackend"]


class ThreadingBackend(LiveBackend):
    """One thread per worker, sharing the data with the master (nothing is copied).

    Injected delays are slept by the worker threads; the computation releases the GIL in
    numpy's kernels only, so this backend suits emulation and tests more than speed.
    See :class:`LiveBackend` for the iteration protocol.
    """

    name = "threading"

    def _launch(self, data, datafit):
        self._results = queue.Queue()
        self._inboxes, self._threads = [], []
        for j in range(self.n_workers):
            shard = WorkerShard.from_arrays(datafit, data.X, data.Y, data.sample_weight,
                                            data.bounds, self.supports[j])
            inbox = queue.Queue()

            def reply(message, j=j):
                self._results.put((j, message))

            thread = threading.Thread(target=serve, args=(inbox, reply, shard), daemon=True,
                                      name=f"skgc-worker-{j}")
            thread.start()
            self._inboxes.append(inbox)
            self._threads.append(thread)

    def _post(self, tag, work, delays, weights):
        for inbox, delay, row in zip(self._inboxes, delays, weights):
            inbox.put((tag, work, float(delay), row))

    def _collect(self, tag, timeout):
        events = []
        try:
            item = self._results.get(timeout=timeout)
            while True:
                j, message = item
                if message[0] == tag:
                    events.append((j, None if message[1] is None else message[1:]))
                item = self._results.get_nowait()
        except queue.Empty:
            return events

    def _shutdown(self):
        for inbox in getattr(self, "_inboxes", ()):
            inbox.put(None)
        for thread in getattr(self, "_threads", ()):
            thread.join(timeout=5.0)
        self._inboxes, self._threads = [], []


def _remove_folder(folder):
    """Delete the fit's data folder, even when no file descriptor is left to walk it."""
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.isdir(folder):  # rmtree needs descriptors; the file's name is known
        try:
            os.unlink(os.path.join(folder, "data.pkl"))
        except FileNotFoundError:
            pass
        os.rmdir(folder)


class _Worker:
    """Worker ``j``'s current process: its task, its generation (bumped at every
    replacement, so that a late call from a lost process is ignored) and, once it has
    called back, its connection and process id."""

    def __init__(self):
        self.generation, self.future, self.conn, self.pid = 0, None, None, None


class LokyBackend(LiveBackend):
    """One process per worker on this machine, each holding its partitions for the fit.

    The processes are loky workers (joblib's process executor), kept idle between fits and
    reused by the next one, so that only the first fit of a session pays their start.
    At ``start`` the data are written once to a memory-mapped file (in ``/dev/shm`` when
    available, else joblib's temporary folder); worker ``j``, a long task given to one
    process, maps the rows of its partitions, calls the master back and answers its
    requests: an iteration sends ``(tag, work, delay, coefficients)`` to each worker and
    receives one pickled message ``f_j`` back. A worker process that dies is a straggler:
    another process takes its place (mapping its partitions again) and is given the
    current request as soon as it has called back. ``close`` (also on exceptions and
    KeyboardInterrupt, the estimators use the backend as a context manager) ends every
    worker's task, kills a process that does not end it in ``stop_timeout`` seconds and
    deletes the file. Worker processes use one BLAS thread each. See
    :class:`LiveBackend`.
    """

    name = "loky"
    #: Where the worker processes come from (and go back to, idle, after the fit).
    pool = POOL
    #: Seconds the workers may take to start and map their partitions.
    startup_timeout = 120.0
    #: Seconds a worker may take to end its task at ``close`` before its process is killed.
    stop_timeout = 2.0

    def _launch(self, data, datafit):
        self._last = None
        self._workers = [_Worker() for _ in range(self.n_workers)]
        self._board = Switchboard()
        self._folder = tempfile.mkdtemp(prefix="skgc-", dir=_temp_dir())
        self._finalizer = weakref.finalize(self, _release, self._workers, self._board,
                                           self._folder, self.stop_timeout)
        self._path = os.path.join(self._folder, "data.pkl")
        joblib.dump({"X": data.X, "Y": data.Y, "sample_weight": data.sample_weight},
                    self._path)
        for j in range(self.n_workers):
            self._start_worker(j)
        _close_at_exit(self)
        self._await_ready()

    def _start_worker(self, j):
        """Give worker ``j``'s task to a process of the pool."""
        worker = self._workers[j]
        worker.generation += 1
        worker.conn = worker.pid = None
        hello, board = (j, worker.generation), self._board
        worker.future = self.pool.submit(serve_connection, board.address, board.authkey,
                                         hello, self._path, self.data.bounds,
                                         self.supports[j], self.datafit)
        worker.future.add_done_callback(lambda _, hello=hello: board.post((*hello, None, None)))

    def _await_ready(self):
        """Wait until every worker has mapped its partitions and called back."""
        limit = time.monotonic() + self.startup_timeout
        while any(worker.conn is None for worker in self._workers):
            remaining = limit - time.monotonic()
            if remaining <= 0:
                missing = sum(worker.conn is None for worker in self._workers)
                raise RuntimeError(f"{missing} worker process(es) did not start within "
                                   f"{self.startup_timeout} s.")
            self._admit(self._board.take(remaining), starting=True)

    def _admit(self, arrivals, starting=False):
        """Register the workers that called back and return their indices; replace those
        whose task ended; raise what keeps workers from calling back."""
        admitted = []
        for arrival in arrivals:
            if isinstance(arrival, BaseException):
                raise arrival
            j, generation, pid, conn = arrival
            worker = self._workers[j]
            if generation != worker.generation:  # a process already replaced
                if conn is not None:
                    conn.close()
            elif conn is not None:
                worker.conn, worker.pid = conn, pid
                admitted.append(j)
            elif starting and not isinstance(worker.future.exception(), BrokenProcessPool):
                raise RuntimeError(f"worker process {j} failed while starting."
                                   ) from worker.future.exception()
            else:
                self._replace(j)
        return admitted

    @property
    def pids(self):
        """Process id of each worker, None while it starts (or after ``close``)."""
        return [worker.pid for worker in getattr(self, "_workers", ())]

    def _send(self, j):
        tag, work, delays, weights = self._last
        buffer = pickle.dumps((tag, work, float(delays[j]), weights[j]),
                              protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._workers[j].conn.send_bytes(buffer)
            self.bytes_sent += len(buffer)
        except OSError:  # a dead worker: _collect notices it
            pass

    def _post(self, tag, work, delays, weights):
        self._last = (tag, tuple(work), delays, weights)
        self._admit(self._board.take())
        for j, worker in enumerate(self._workers):
            if worker.conn is not None:
                self._send(j)

    def _collect(self, tag, timeout):
        lines = {worker.conn: j for j, worker in enumerate(self._workers)
                 if worker.conn is not None}
        events = []
        for handle in wait([*lines, self._board], timeout):
            if handle is not self._board and not self._take(lines[handle], tag, events):
                self._replace(lines[handle])
        for j in self._admit(self._board.take()):  # a new process: the current request
            self._send(j)
        return events

    def _take(self, j, tag, events):
        """Receive one answer of worker ``j``; False if its connection is closed."""
        try:
            buffer = self._workers[j].conn.recv_bytes()
        except (EOFError, OSError):
            return False
        self.bytes_received += len(buffer)
        message = pickle.loads(buffer)
        if message[0] == tag:
            events.append((j, None if message[1] is None else message[1:]))
        return True

    def _replace(self, j):
        """A lost worker: another process takes its partitions (and, once it has called
        back, the current request)."""
        conn = self._workers[j].conn
        if conn is not None:
            conn.close()
        self._start_worker(j)
        self.n_replaced += 1

    def _shutdown(self):
        _OPEN.discard(self)
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer()
        elif getattr(self, "_board", None) is not None:
            self._board.close()


#: Loky backends whose workers may still be serving.
_OPEN = weakref.WeakSet()
_exit_hook = []


def _close_at_exit(backend):
    """Close ``backend`` at interpreter exit should it still be open then.

    At exit loky waits for its executors' running tasks, and a worker's task ends only when
    its master stops it: the backend must close first. Threading's exit callbacks run
    last registered first, and loky registers its own when its first executor starts,
    before this one (``concurrent.futures`` uses the same hook).
    """
    _OPEN.add(backend)
    if not _exit_hook:
        threading._register_atexit(_close_open_backends)
        _exit_hook.append(_close_open_backends)


def _close_open_backends():
    for backend in list(_OPEN):
        backend.close()


def _release(workers, board, folder, stop_timeout):
    """End every worker's task, kill the processes that do not end it in time, and
    delete the fit's data.

    Never raises: it runs while another error may be propagating, and the data must go
    whatever state the workers are in. Processes still starting end their task by
    themselves: the master no longer answers them.
    """
    try:
        serving = [worker for worker in workers if worker.conn is not None]
        for worker in serving:
            try:
                worker.conn.send_bytes(pickle.dumps(None))
            except OSError:
                pass
        _, hung = futures.wait([worker.future for worker in serving], stop_timeout)
        killed = [worker.future for worker in serving if worker.future in hung]
        for worker in serving:
            if worker.future in hung:
                _kill(worker.pid)
        futures.wait(killed, stop_timeout)  # until loky has seen them die
        for worker in serving:
            worker.conn.close()
            worker.conn = worker.pid = None
        board.close()
    finally:
        _remove_folder(folder)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _temp_dir():
    shm = "/dev/shm"
    if os.environ.get("JOBLIB_TEMP_FOLDER"):
        return os.environ["JOBLIB_TEMP_FOLDER"]
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
