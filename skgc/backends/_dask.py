"""Workers on a Dask ``distributed`` cluster (one machine or many)."""

import pickle
import time
import uuid
from concurrent.futures import CancelledError

import numpy as np

from ._dask_data import ClusterPartitions, current_client, rejoin_task, secede_if_in_task
from ._live import LiveBackend
from ._messages import Round
from ._worker import Work, WorkerShard
from ._worker_blocks import aligned_shard, partitions_answer

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
    is a straggler too: fetching an answer it holds gives up at the deadline. A Hessian
    round in which nobody is made to straggle asks each partition of one of its holders,
    and of another only if it is late (:meth:`_hedged_round`): Hessians are not coded, so
    the replication would only repeat the work. skgc must be importable on the Dask
    workers. See :class:`LiveBackend`.

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
    #: A partition still missing this many times the time of the first half of its
    #: primary holders' answers is asked of its other holders.
    _hedge_factor = 1.5

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
        self._holders = [np.flatnonzero([k in support for support in self.supports])
                         for k in range(data.n_partitions)]
        if self._cluster_data is not None:
            # shards are built when a coded round first needs them: a Hessian round reads
            # the partitions where they are, so a fit of Hessian rounds copies nothing
            self._placed = [None] * self.n_workers
            holding = self._client.who_has(data.partitions())
            self._local = [set(holding.get(future.key, ())) for future in data.partitions()]
        else:
            self._placed = [self._place(j) for j in range(self.n_workers)]

    # -- Hessian rounds: each partition computed by one holder, hedged ---------------

    def round(self, work, coefficients, delays, deadline, done=None):
        if self._hedges(work, delays, done):
            return self._hedged_round(work, coefficients, deadline)
        return super().round(work, coefficients, delays, deadline, done)

    def _hedges(self, work, delays, done):
        """Whether a Hessian round asks each partition of one holder first: some partition
        has several, nobody is made to straggle in this round (no injected delay), and
        the round ends once every wanted partition has arrived (``done`` given)."""
        return (work.kind == "hessian" and done is not None
                and not np.any(np.asarray(delays) > 0)
                and max(len(holders) for holders in self._holders) > 1)

    def _hedged_round(self, work, coefficients, deadline):
        """A Hessian round in which every wanted partition is asked of one holder
        (:meth:`_primaries`); one still missing ``_hedge_factor`` times the time at which
        half of them answered is asked of another holder. Hessians are not coded: with
        the code's replication every holder would compute them, ``load`` times the work.
        The round ends when every wanted partition has arrived (what the master's
        ``done`` asks of a Hessian round), at the deadline (or its rule's cut, which a
        hedge pushes back to give the hedged piece as long as the first ones had), or when
        nothing more can come. A worker is alive if it delivered a partition."""
        self._tag += 1
        tag, start = self._tag, time.perf_counter()
        weights = self._request_weights(coefficients)
        wanted = set(range(len(self._holders)) if work.partitions is None
                     else (int(k) for k in work.partitions))
        asked = {k: set() for k in wanted}
        self._ask(tag, work, self._primaries(wanted), weights, asked)
        rule = self.deadline_rule
        limit = start + (deadline if rule is None else max(deadline, self.patience))
        needed = max(1, -(-len(self._futures) // 2))
        hedge_at, heard, answers, delivered, reference = np.inf, 0, {}, set(), None
        while not wanted <= delivered:
            now = time.perf_counter()
            if now >= limit:
                break
            if now >= hedge_at or not self._futures:
                extra = self._hedge(wanted - delivered, asked, answers)
                if not extra:
                    if not self._futures:
                        break  # no holder left to ask
                else:
                    self._ask(tag, work, extra, weights, asked)
                    if rule is not None and reference is not None:  # as long as the first
                        limit = min(start + max(deadline, self.patience),
                                    max(limit, now + rule.cut(reference)))
                hedge_at = np.inf
            for j, message in self._collect(tag, min(limit, hedge_at) - now):
                if message is None:
                    continue
                mine = answers.setdefault(j, ([], [], []))
                for part, items in zip(mine, message):
                    part.extend(items)
                delivered.update(int(k) for k in message[0])
                heard += 1
                if heard == needed:  # the fast half's time: hedge, and cut by the rule
                    reference = time.perf_counter() - start
                    hedge_at = start + self._hedge_factor * reference
                    if rule is not None:
                        limit = min(limit, start + rule.cut(reference))
        alive = self._alive(answers)
        self._settle(tag, alive)
        return Round(answers, alive, time.perf_counter() - start)

    def _primaries(self, wanted):
        """``{j: [k, ...]}``: one holder per wanted partition: one that answered in the
        last round if any (a slow worker is not waited for, then hedged, every round),
        spread evenly, then one whose Dask worker has the partition already."""
        count = np.zeros(self.n_workers, int)
        chosen = {}
        for k in sorted(wanted, key=lambda k: (len(self._holders[k]), k)):
            holders = self._holders[k]
            remote = np.array([not self._holds(j, k) for j in holders])
            missed = self._misses[holders]
            j = int(holders[np.lexsort((holders, missed, remote, count[holders],
                                        missed > 0))[0]])
            count[j] += 1
            chosen.setdefault(j, []).append(k)
        return chosen

    def _hedge(self, missing, asked, answers):
        """``{j: [k, ...]}``: for each missing partition, a holder not asked yet,
        preferring those who answered in this round, then the least asked."""
        count = np.zeros(self.n_workers, int)
        chosen = {}
        for k in sorted(missing):
            others = [j for j in self._holders[k] if j not in asked[k]]
            if not others:
                continue
            j = min(others, key=lambda j: (j not in answers, count[j], self._misses[j], j))
            count[j] += 1
            chosen.setdefault(int(j), []).append(k)
        return chosen

    def _holds(self, j, k):
        """Whether logical worker ``j``'s Dask worker has partition ``k`` (or its shard)."""
        if self._cluster_data is None:
            return True
        return self._where[j] in self._local[k]

    def _ask(self, tag, work, pieces, weights, asked):
        """Submit ``work`` for the partitions ``pieces[j]`` to each worker ``j`` (on data
        that live on the cluster, computed from the partitions themselves)."""
        for j, partitions in pieces.items():
            piece = tuple(Work(*work)._replace(partitions=tuple(partitions)))
            self.bytes_sent += len(pickle.dumps((piece, 0.0, weights[j])))
            if self._cluster_data is None:
                task, inputs = _message, (self._placed[j], piece, 0.0, weights[j])
            else:
                blocks = [self._cluster_data.partitions()[k] for k in partitions]
                task, inputs = partitions_answer, (self._datafit, piece, *blocks)
            future = self._client.submit(
                task, *inputs, key=f"skgc-{self._token}-{tag}-{j}-{min(partitions)}",
                workers=[self._where[j]], allow_other_workers=False, pure=False)
            self._futures[future] = j
            for k in partitions:
                asked[k].add(j)

    def _addresses(self):
        return sorted(self._client.scheduler_info()["workers"])

    def _shard(self, j):
        """The future of logical worker ``j``'s shard, placed the first time it is needed."""
        if self._placed[j] is None:
            self._placed[j] = self._place(j)
        return self._placed[j]

    def _place(self, j):
        if self._cluster_data is not None:
            self._generation += 1
            return self._cluster_data.place(j, self.supports[j], self._datafit,
                                            self._where[j], self._generation)
        scattered = self._client.scatter(self._shards[j], workers=[self._where[j]], hash=False)
        return self._client.submit(aligned_shard, scattered, workers=[self._where[j]],
                                   allow_other_workers=False, pure=False)

    def _post(self, tag, work, delays, weights):
        work = tuple(work)  # a plain tuple travels without a class path
        self.bytes_sent += sum(len(pickle.dumps((work, 0.0, row))) for row in weights)
        self._futures = {
            self._client.submit(_message, self._shard(j), work, float(delay), weights[j],
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
        lost = [j for j, placed in enumerate(self._placed)
                if placed is not None and placed.status in _LOST]
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
                if self._placed[j] is None:
                    continue  # placed when first needed, on its new worker
                try:
                    self._placed[j] = self._place(j)
                except (KeyError, OSError, TimeoutError, CancelledError):
                    continue  # that worker left too (KeyError: its address): next iteration
                self.n_replaced += 1

    def _shutdown(self):
        client = getattr(self, "_client", None)
        if client is None:
            return
        pending = list(getattr(self, "_futures", ())) + [
            placed for placed in getattr(self, "_placed", ()) if placed is not None]
        if pending and client.status == "running":
            client.cancel(pending)
        self._futures, self._placed, self._shards, self._client = {}, [], [], None
        if getattr(self, "_cluster_data", None) is not None:
            self._cluster_data.release()
        if getattr(self, "_seceded", False):
            self._seceded = rejoin_task()
