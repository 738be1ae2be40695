"""Worker processes kept between fits, and the line they call the master back on.

Each worker runs in its own single-process loky executor. One executor of several
processes would be simpler, but loky treats the death of any of its processes as a broken
pool and kills all the others: one crashed worker would take every partition of the fit
with it. Alone in its executor, a worker that dies costs only its own replacement.
"""

import contextlib
import errno
import os
import queue
import socket
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Listener

from joblib.externals.loky import BrokenProcessPool, ProcessPoolExecutor
from joblib.parallel import ParallelBackendBase

__all__ = ["ProcessPool", "POOL", "Switchboard"]


class ProcessPool:
    """Idle single-process loky executors, handed out one per worker and taken back when
    the worker's task ends.

    Parameters
    ----------
    idle_timeout : float
        Seconds an idle process waits for its next task before it exits (its executor
        starts another when given one), as joblib's own executor does.
    """

    #: One BLAS/OpenMP thread per worker process, set before anything is imported there:
    #: the workers are the parallelism.
    env = dict.fromkeys(ParallelBackendBase.MAX_NUM_THREADS_VARS, "1")

    def __init__(self, idle_timeout=300.0):
        self.idle_timeout = idle_timeout
        self._idle, self._busy, self._lock = [], {}, threading.Lock()

    def submit(self, fn, *args):
        """Run ``fn(*args)`` in a process of its own, an idle one if there is one."""
        executor = self._reclaim()
        while executor is not None:
            try:
                future = executor.submit(fn, *args)
                break
            except BrokenProcessPool:  # its process died while idle
                executor.shutdown(wait=False)
                executor = self._reclaim()
        else:  # no idle process left
            with _launch_errors_unmasked():
                executor = ProcessPoolExecutor(1, timeout=self.idle_timeout, env=self.env)
                future = executor.submit(fn, *args)
        with self._lock:
            self._busy[future] = executor
        future.add_done_callback(self._task_done)
        return future

    def _reclaim(self):
        """An idle executor, or one whose task has just ended (its future's callbacks,
        which hand it back, may not have run yet); None if there is none."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
            for future in [future for future in self._busy if future.done()]:
                executor = self._busy.pop(future)
                if not _died(future):
                    return executor
                executor.shutdown(wait=False)
        return None

    def _task_done(self, future):
        died = _died(future)
        with self._lock:
            executor = self._busy.pop(future, None)  # None: reclaimed already
            if executor is not None and not died:
                self._idle.append(executor)
        if executor is not None and died:
            executor.shutdown(wait=False)  # loky does not restart a dead process

    @property
    def n_idle(self):
        """Processes waiting for a task."""
        with self._lock:
            ended = [future for future in self._busy if future.done()]
            return len(self._idle) + sum(not _died(future) for future in ended)

    def shutdown(self):
        """End the idle processes now rather than after ``idle_timeout``; the next task
        starts a new one."""
        executor = self._reclaim()
        while executor is not None:
            executor.shutdown(wait=True)
            executor = self._reclaim()


def _died(future):
    """Whether the process running ``future``'s task died (its executor is then broken)."""
    return not future.cancelled() and isinstance(future.exception(), BrokenProcessPool)


#: The pool every :class:`~skgc.backends.LokyBackend` of this process draws from.
@contextlib.contextmanager
def _launch_errors_unmasked():
    """Re-raise the ``OSError`` that loky's process launcher hides.

    Out of file descriptors between its ``os.pipe()`` calls, the launcher's ``finally``
    block reads a pipe end that was never assigned and raises ``UnboundLocalError``, with
    the ``OSError`` (e.g. "Too many open files") as its context.
    """
    try:
        yield
    except UnboundLocalError as error:
        if isinstance(error.__context__, OSError):
            raise error.__context__ from None
        raise


POOL = ProcessPool()


class Switchboard:
    """Where the workers of one fit call the master: a listening socket, its key, and the
    arrivals ``(slot, generation, pid, connection)`` queued by a thread that answers them.

    Other threads report a worker's ended task with :meth:`post` (``pid`` and
    ``connection`` None); the answering thread posts the error that keeps it from
    answering (no file descriptor left). :meth:`fileno` becomes readable whenever
    something arrived, for :func:`multiprocessing.connection.wait`.
    """

    def __init__(self, handshake_timeout=10.0):
        self.authkey = os.urandom(32)
        self._family = "AF_UNIX" if hasattr(socket, "AF_UNIX") else "AF_INET"
        self._listener = Listener(family=self._family, authkey=self.authkey)
        self.address = self._listener.address
        self.handshake_timeout = handshake_timeout
        self._arrivals = queue.Queue()
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_read, False)
        self._closed, self._closing = False, threading.Lock()
        self._thread = threading.Thread(target=self._answer, daemon=True,
                                        name="skgc-switchboard")
        self._thread.start()

    def _answer(self):
        reported = False
        while not self._closed:
            try:
                conn = self._listener.accept()
            except OSError as exc:
                if exc.errno in _OUT_OF_RESOURCES and not self._closed:
                    if not reported:
                        self.post(exc)
                        reported = True
                    time.sleep(0.1)  # the caller waits in the backlog
                continue
            except (EOFError, AuthenticationError):  # hung up or failed the handshake
                continue
            try:
                hello = conn.recv() if conn.poll(self.handshake_timeout) else None
            except (OSError, EOFError):
                hello = None
            if hello is None:  # the knock of close(), or a caller that never spoke
                conn.close()
                continue
            slot, generation, pid = hello
            self.post((slot, generation, pid, conn))

    def post(self, item):
        """Queue ``item`` and wake whoever waits on :meth:`fileno`; nothing once closed
        (the pipe's descriptor numbers may then belong to other files)."""
        with self._closing:
            if not self._closed:
                self._arrivals.put(item)
                os.write(self._wake_write, b"\0")

    def fileno(self):
        return self._wake_read

    def take(self, timeout=0.0):
        """Everything that arrived; wait up to ``timeout`` seconds for the first item."""
        items = []
        try:
            items.append(self._arrivals.get(timeout=timeout) if timeout > 0
                         else self._arrivals.get_nowait())
            while True:
                items.append(self._arrivals.get_nowait())
        except queue.Empty:
            pass
        try:
            os.read(self._wake_read, 4096)
        except OSError:  # nothing to read (non-blocking), or closed
            pass
        return items

    def close(self):
        """Stop answering, release the socket and the pipe; never raises or blocks long."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
        try:  # a knock wakes the answering thread from accept(), to see the flag
            with socket.socket(getattr(socket, self._family)) as knock:
                knock.settimeout(1.0)
                knock.connect(self.address)
        except OSError:
            pass
        self._thread.join(timeout=5.0)
        self._listener.close()
        for item in self.take():
            if isinstance(item, tuple) and item[3] is not None:
                item[3].close()
        for fd in (self._wake_read, self._wake_write):
            try:
                os.close(fd)
            except OSError:
                pass


#: accept() errors that last until descriptors or memory are freed.
_OUT_OF_RESOURCES = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
