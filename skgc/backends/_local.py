"""Workers on this machine: threads, or processes with memory-mapped partitions."""

import io
import multiprocessing
import os
import pickle
import queue
import shutil
import sys
import tempfile
import threading
import time
import weakref
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import wait
from multiprocessing.context import ForkServerProcess, set_spawning_popen

import joblib

from ._live import LiveBackend
from ._worker import WorkerShard, process_main, serve

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


def _context():
    """Worker processes fork from a server that has already imported the worker code.

    Fast to start (a fork, not a fresh interpreter that imports scikit-learn) and safe with
    threads in the master (the server is single-threaded); works inside joblib/loky
    workers too.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["skgc.backends._worker", "skgc.objective", "joblib",
                                    "threadpoolctl"])
    return context


class _Popen(popen_forkserver.Popen):
    """The forkserver's launcher, without re-running the user's ``__main__`` in the child.

    The workers only run skgc code, so, like joblib's loky workers, they need no
    ``if __name__ == "__main__":`` guard in the user's script.
    """

    def _launch(self, process_obj):
        prep_data = spawn.get_preparation_data(process_obj._name)
        prep_data.pop("init_main_from_path", None)
        prep_data.pop("init_main_from_name", None)
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _WorkerProcess(ForkServerProcess):
    if sys.version_info < (3, 14):  # the launcher above follows CPython 3.11-3.13
        @staticmethod
        def _Popen(process_obj):
            return _Popen(process_obj)


def _start(process):
    """Start a worker process; if the fork server has just died, start it again once.

    A killed fork server may still look alive for an instant (the launch then meets a
    closed socket); a moment later multiprocessing sees it dead and starts another.
    """
    try:
        process.start()
    except (ConnectionError, EOFError):
        time.sleep(0.2)
        process.start()


def _stop_processes(processes, requests, folder):
    """Ask the workers to stop, make sure they have, and remove the mapped data.

    Never raises: it runs while another error may be propagating, and the data must go
    whatever state the workers are in.
    """
    processes = [p for p in processes if p is not None]
    requests = [conn for conn in requests if conn is not None]
    try:
        for conn in requests:
            try:
                conn.send_bytes(pickle.dumps(None))
            except (OSError, ValueError):
                pass
        for process in processes:
            _stop(process)
        for conn in requests:
            conn.close()
    finally:
        if folder is not None:
            _remove_folder(folder)


def _stop(process):
    """Join (or kill) one worker process and release it."""
    try:
        process.join(timeout=2.0)
        if process.is_alive():
            process.kill()
            process.join(timeout=2.0)
        process.close()
    except (OSError, ValueError):  # already closed, or could not be waited for
        pass


def _remove_folder(folder):
    """Delete the fit's data folder, even when no file descriptor is left to walk it."""
    shutil.rmtree(folder, ignore_errors=True)
    if os.path.isdir(folder):  # rmtree needs descriptors; the file's name is known
        try:
            os.unlink(os.path.join(folder, "data.pkl"))
        except FileNotFoundError:
            pass
        os.rmdir(folder)


class LokyBackend(LiveBackend):
    """One process per worker on this machine, each holding its partitions for the fit.

    At ``start`` the data are written once to a memory-mapped file (in ``/dev/shm`` when
    available, else joblib's temporary folder) and every worker maps the rows of its
    partitions; an iteration then sends ``(tag, coef, intercept, delay)`` to each worker
    through its own pipe and receives one pickled message ``f_j`` back. A worker process
    that dies is a straggler: it is replaced at once (mapping its partitions again) and
    given the current request. ``close`` (also on exceptions and KeyboardInterrupt, the
    estimators use the backend as a context manager) stops every process and deletes the
    file. Worker processes use one BLAS thread each. See :class:`LiveBackend`.
    """

    name = "loky"
    #: Seconds the workers may take to start and map their partitions.
    startup_timeout = 120.0

    def _launch(self, data, datafit):
        self._processes, self._requests, self._results = [], [], []
        self._folder = tempfile.mkdtemp(prefix="skgc-", dir=_temp_dir())
        self._finalizer = weakref.finalize(self, _stop_processes, self._processes,
                                           self._requests, self._folder)
        self._path = os.path.join(self._folder, "data.pkl")
        joblib.dump({"X": data.X, "Y": data.Y, "sample_weight": data.sample_weight},
                    self._path)
        self._context = _context()
        self._last = None
        for j in range(self.n_workers):
            self._processes.append(None)
            self._requests.append(None)
            self._results.append(None)
            self._spawn(j)
        self._await_ready()

    def _await_ready(self):
        """Wait until every worker has mapped its partitions (its first message)."""
        waiting = {conn: j for j, conn in enumerate(self._results)}
        limit = time.monotonic() + self.startup_timeout
        while waiting:
            remaining = limit - time.monotonic()
            ready = wait(list(waiting), remaining) if remaining > 0 else []
            if not ready:
                raise RuntimeError(
                    f"{len(waiting)} worker process(es) did not start within "
                    f"{self.startup_timeout} s."
                )
            for conn in ready:
                j = waiting.pop(conn)
                if not self._take(j, 0, []):
                    raise RuntimeError(f"worker process {j} died while starting.")

    def _spawn(self, j):
        """Start worker ``j``; if it cannot start (no descriptor, no fork server), its
        pipes are closed and the error propagates."""
        ctx = self._context
        requests_out, requests_in = ctx.Pipe(duplex=False)[::-1]
        try:
            results_in, results_out = ctx.Pipe(duplex=False)
        except BaseException:
            requests_out.close()
            requests_in.close()
            raise
        process = _WorkerProcess(
            target=process_main, name=f"skgc-worker-{j}", daemon=True,
            args=(requests_in, results_out, self._path, self.data.bounds,
                  self.supports[j], self.datafit),
        )
        try:
            _start(process)
        except BaseException:
            for conn in (requests_out, requests_in, results_in, results_out):
                conn.close()
            raise
        finally:
            requests_in.close()
            results_out.close()
        self._processes[j], self._requests[j], self._results[j] = \
            process, requests_out, results_in

    @property
    def pids(self):
        """Process ids of the current workers."""
        return [p.pid for p in self._processes if p is not None]

    def _send(self, j, request):
        buffer = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self._requests[j].send_bytes(buffer)
            self.bytes_sent += len(buffer)
        except OSError:  # dead worker: noticed by _collect through its sentinel
            pass

    def _post(self, tag, work, delays, weights):
        self._last = (tag, work, delays, weights)
        for j, delay in enumerate(delays):
            self._send(j, (tag, tuple(work), float(delay), weights[j]))

    def _collect(self, tag, timeout):
        by_handle = {}
        for j, (process, results) in enumerate(zip(self._processes, self._results)):
            by_handle[results] = j
            by_handle[process.sentinel] = j
        events, dead = [], set()
        for handle in wait(list(by_handle), timeout):
            j = by_handle[handle]
            if handle is self._results[j]:
                if not self._take(j, tag, events):
                    dead.add(j)
            else:
                dead.add(j)
        for j in dead:
            while self._results[j].poll() and self._take(j, tag, events):
                pass  # answers sent before dying are still valid
            self._replace(j)
        return events

    def _take(self, j, tag, events):
        """Receive one answer of worker ``j``; False if its pipe is closed."""
        try:
            buffer = self._results[j].recv_bytes()
        except (EOFError, OSError):
            return False
        self.bytes_received += len(buffer)
        message = pickle.loads(buffer)
        if message[0] == tag:
            events.append((j, None if message[1] is None else message[1:]))
        return True

    def _replace(self, j):
        """A crashed worker: start another on the same partitions, give it the request."""
        process = self._processes[j]
        process.join(timeout=1.0)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()
        self._requests[j].close()
        self._results[j].close()
        self._processes[j] = self._requests[j] = self._results[j] = None
        self._spawn(j)
        self.n_replaced += 1
        if self._last is not None:
            tag, work, delays, weights = self._last
            self._send(j, (tag, tuple(work), float(delays[j]), weights[j]))

    def _shutdown(self):
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer()
        for conn in getattr(self, "_results", ()):
            if conn is not None:
                conn.close()
        self._processes, self._requests, self._results = [], [], []


def _temp_dir():
    shm = "/dev/shm"
    if os.environ.get("JOBLIB_TEMP_FOLDER"):
        return os.environ["JOBLIB_TEMP_FOLDER"]
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
