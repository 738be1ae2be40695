"""Workers on a Dask ``distributed`` cluster (one machine or many)."""

import pickle
import time
import uuid
from concurrent.futures import CancelledError

import numpy as np

from ._dask_data import (ClusterPartitions, current_client, rejoin_task, secede_if_in_task,
                         wait_until_covered)
from ._live import LiveBackend
from ._worker import Work, WorkerShard

__all__ = ["DaskBackend"]

# Placements whose data the cluster no longer holds (a scattered shard gone with its
# worker; a shard being built or recomputed is "pending" and is waited for).
_LOST = ("lost", "error", "cancelled")


def _message(shard, work, delay, weights):
    """A Dask task: sleep the injected delay unless cancelled, then answer ``work``."""
    if delay > 0:
        if not _sleep_unless_cancelled(delay):
            return None  # cancelled: the master has moved on
        from distributed import rejoin

        rejoin()  # compute within the worker's threads, as an undelayed task does
    return shard.answer(Work(*work), weights)


def _sleep_unless_cancelled(delay):
    """Sleep ``delay`` seconds outside the Dask worker's thread pool; False if cancelled.

    The task secedes from the pool first, so that a sleeping logical worker never blocks
    the logical workers placed on the same Dask worker thread: each one's injected delay
    is its own, as the code's independent straggling probabilities assume.
    """
    from distributed import get_worker, secede
    from distributed.worker import thread_state

    worker, key = get_worker(), thread_state.key
    secede()
    end = time.monotonic() + delay
    while time.monotonic() < end:
        task = worker.state.tasks.get(key)
        if task is None or task.state not in ("executing", "long-running"):
            return False
        time.sleep(min(0.005, max(end - time.monotonic(), 0.0)))
    return True


class DaskBackend(LiveBackend):
    """Workers on a Dask cluster, through a ``distributed.Client``.

    Logical worker ``j`` lives on Dask worker ``j mod n`` (in address order). At ``start``
    its partitions (with its coding coefficients) are scattered to that worker once; an
    iteration submits one task per logical worker pinned to its Dask worker, carrying only
    ``coef``, ``intercept`` and the injected delay, waits until the deadline, and cancels
    the tasks still running (a cancelled task stops sleeping). A task sleeps its injected
    delay outside the Dask worker's thread pool, so that logical workers sharing a thread
    never wait for one another. A worker that left the cluster (or was killed) is a
    straggler; its partitions are scattered again to a worker still there. A frozen worker
    is a straggler too: fetching an answer it holds gives up at the deadline. skgc must
    be importable on the Dask workers. See :class:`LiveBackend`.

    Pass it as the estimators' ``backend`` parameter: ``backend="dask"`` uses the current
    client (``distributed.get_client()``), ``backend=DaskBackend(client=client)`` a given
    one.

    Parameters
    ----------
    client : distributed.Client or None, default=None
        None: the current client.
    """

    name = "dask"
    _options = ("client",)
    _recheck_seconds = 1.0

    def __init__(self, *, client=None):
        if client is not None and not all(hasattr(client, name) for name in
                                          ("submit", "scatter", "scheduler_info")):
            raise TypeError(
                "client must be a distributed.Client or None (the current client); got "
                f"{client!r}. Connect first: DaskBackend(client=distributed.Client(address))."
            )
        self.client = client

    def __deepcopy__(self, memo):  # sklearn's clone deep-copies parameters: share the client
        return type(self)(client=self.client)

    def __reduce__(self):  # a client does not travel; the copy uses the current client there
        return (type(self), ())

    def _launch(self, data, datafit):
        client = self._client = self.client if self.client is not None else current_client()
        self._token = uuid.uuid4().hex[:12]
        self._futures, self._misses, self._checked = {}, np.zeros(self.n_workers, int), 0.0
        addresses = self._addresses()
        if not addresses:
            raise RuntimeError("the Dask cluster has no workers.")
        self._seceded = secede_if_in_task()
        self._cluster_data = data if isinstance(data, ClusterPartitions) else None
        if self._cluster_data is not None:  # the data already live on the workers
            if data.client is not client:
                raise ValueError("the dask collections and the backend use different "
                                 "Dask clients; fit with one client.")
            self._where = data.homes(self.supports, addresses)
            self._generation = 0
        else:
            self._shards = [WorkerShard.from_arrays(datafit, data.X, data.Y,
                                                    data.sample_weight, data.bounds,
                                                    self.supports[j])
                            for j in range(self.n_workers)]
            self._where = [addresses[j % len(addresses)] for j in range(self.n_workers)]
        self._datafit = datafit
        self._placed = [self._place(j) for j in range(self.n_workers)]
        if self._cluster_data is not None:  # the first round must not wait for the copies
            wait_until_covered(self._placed, self.supports, data.n_partitions)

    def _addresses(self):
        return sorted(self._client.scheduler_info()["workers"])

    def _place(self, j):
        if self._cluster_data is not None:
            self._generation += 1
            return self._cluster_data.place(j, self.supports[j], self._datafit,
                                            self._where[j], self._generation)
        return self._client.scatter(self._shards[j], workers=[self._where[j]], hash=False)

    def _post(self, tag, work, delays, weights):
        work = tuple(work)  # a plain tuple travels without a class path
        self.bytes_sent += sum(len(pickle.dumps((work, 0.0, row))) for row in weights)
        self._futures = {
            self._client.submit(_message, self._placed[j], work, float(delay), weights[j],
                                key=f"skgc-{self._token}-{tag}-{j}", workers=[self._where[j]],
                                allow_other_workers=False, pure=False): j
            for j, delay in enumerate(delays)
        }

    def _collect(self, tag, timeout):
        """Answers finished before ``timeout``; a lost or unreachable worker's are None.

        A task of a worker that left the cluster is cancelled (a straggler); a finished
        answer is fetched within the same ``timeout``, so that a frozen worker holding it
        costs at most the deadline.
        """
        from distributed import wait

        limit = time.monotonic() + timeout
        try:
            with self._client.as_current():  # in a Dask task, no client is the default
                done, _ = wait(list(self._futures), timeout=timeout,
                               return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        except CancelledError:  # a worker left: its tasks were cancelled
            done = [future for future in self._futures if future.done()]
        events = []
        for future in done:
            j = self._futures.pop(future)
            message = self._fetch(future, limit - time.monotonic())
            if message is not None:
                self.bytes_received += len(pickle.dumps(message))
            events.append((j, message))
        return events

    @staticmethod
    def _fetch(future, timeout):
        """The answer of a finished task, or None if it failed or does not arrive in time."""
        if future.status != "finished":
            return None
        try:
            return future.result(timeout=max(timeout, 0.0))
        except Exception:  # noqa: BLE001 - lost, frozen or unreachable: a straggler
            return None

    def _settle(self, tag, alive):
        late = list(self._futures)
        if late:
            self._client.cancel(late)
        self._futures = {}
        self._misses = np.where(alive, 0, self._misses + 1)
        lost = [j for j, placed in enumerate(self._placed) if placed.status in _LOST]
        now = time.monotonic()
        if lost or ((self._misses >= 2).any() and now - self._checked > self._recheck_seconds):
            self._checked = now
            self._replace_lost(lost)

    def _replace_lost(self, lost=()):
        """Scatter again the partitions of workers that left the cluster (or of ``lost``
        placements, whose data the cluster no longer holds); a placement that fails is
        tried again after the next iteration."""
        addresses = self._addresses()
        if not addresses:
            return
        for j, address in enumerate(self._where):
            if address not in addresses or j in lost:
                if address not in addresses:
                    self._where[j] = addresses[j % len(addresses)]
                try:
                    self._placed[j] = self._place(j)
                except (KeyError, OSError, TimeoutError, CancelledError):
                    continue  # that worker left too (KeyError: its address): next iteration
                self.n_replaced += 1

    def _shutdown(self):
        client = getattr(self, "_client", None)
        if client is None:
            return
        pending = list(getattr(self, "_futures", ())) + list(getattr(self, "_placed", ()))
        if pending and client.status == "running":
            client.cancel(pending)
        self._futures, self._placed, self._shards, self._client = {}, [], [], None
        if getattr(self, "_cluster_data", None) is not None:
            self._cluster_data.release()
        if getattr(self, "_seceded", False):
            self._seceded = rejoin_task()
