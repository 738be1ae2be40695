"""Data that live on a Dask cluster: row blocks as partitions, placed where they are.

The master of a fit needs, of the data, only the partitions' sizes, the normaliser (the
number of samples) and the number of outputs. :class:`ClusterPartitions` gives those for
dask arrays whose row blocks stay on the Dask workers: a partition is a run of whole row
blocks, joined on the worker that holds most of its rows; a logical worker's shard is
built on its Dask worker from the partitions of its support, which Dask copies there
worker-to-worker (the code's replication); nothing of the size of the data passes through
the client. A partition lost with its worker is computed again by Dask from its blocks
(themselves re-read from their source if they went too).
"""

import uuid

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from .._validation import check_random_state
from ._worker_blocks import (block_gram, block_matvec, block_max_abs, join_partition,
                             shard_from_partitions)

__all__ = ["ClusterPartitions", "current_client", "secede_if_in_task", "rejoin_task"]

#: Above this size of ``[X, 1]``'s second-moment matrix, its top eigenvalue is found by
#: Lanczos iterations run on the cluster instead of from the matrix summed on the master.
_GRAM_LIMIT = 2048


def current_client():
    """The current ``distributed.Client``, with a clear error when there is none."""
    try:
        from distributed import get_client
    except ImportError as exc:
        raise ImportError(
            'backend="dask" needs dask.distributed: pip install "skgc[dask]".'
        ) from exc
    try:
        return get_client()
    except ValueError:
        raise ValueError(
            'backend="dask" found no Dask client: create one first '
            "(distributed.Client(address)) or pass "
            "backend=skgc.backends.DaskBackend(client=client)."
        ) from None


def secede_if_in_task():
    """Leave the Dask worker's thread pool when the fit runs inside a Dask task (a
    dask-ml ``GridSearchCV`` fitting on the cluster): the fit's own tasks then get the
    thread; True if it left."""
    try:
        from distributed import secede
        from distributed.worker import thread_state
    except ImportError:
        return False
    if getattr(thread_state, "key", None) is None:
        return False
    secede()
    return True


def rejoin_task():
    """Back into the worker's thread pool after :func:`secede_if_in_task`; False."""
    from distributed import rejoin

    rejoin()
    return False


def partition_cuts(lengths, n_partitions):
    """Indices of the blocks that start each partition, and the end: runs of whole
    blocks whose row counts are as close as whole blocks allow to ``n / n_partitions``.

    Parameters
    ----------
    lengths : sequence of int
        Rows of each block, none of them empty; at least ``n_partitions`` blocks.
    n_partitions : int

    Returns
    -------
    ndarray of shape (n_partitions + 1,)
    """
    edges = np.concatenate([[0], np.cumsum(lengths)])
    n_blocks, n = len(lengths), edges[-1]
    cuts = [0]
    for k in range(1, n_partitions):
        low, high = cuts[-1] + 1, n_blocks - (n_partitions - k)
        cuts.append(low + int(np.argmin(np.abs(edges[low:high + 1] - n * k / n_partitions))))
    cuts.append(n_blocks)
    return np.array(cuts)


def balanced_chunks(n, n_partitions):
    """Row counts of ``n_partitions`` balanced partitions (as for numpy input)."""
    return tuple(int(size) for size in np.diff(np.linspace(0, n, n_partitions + 1).round()))


class ClusterPartitions:
    """The partitioned data of a fit on dask arrays whose blocks live on the workers.

    It has what the master needs (``sizes``, ``bounds``, ``normaliser``,
    ``n_partitions``) and places the data: :meth:`partitions` joins each partition's row
    blocks on the Dask worker holding most of its rows, :meth:`place` builds a logical
    worker's shard on a Dask worker. Rows are not shuffled: partition ``k`` is a run of
    whole row blocks in the collection's order (iid partitions need rows in random order,
    as ``dask.array.random`` makes them). With fewer non-empty row blocks than partitions
    the arrays are rechunked on the cluster into balanced partitions, as for numpy input.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Float rows; blocks of ndarrays or sparse matrices.
    Y : dask.array.Array of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : dask.array.Array of shape (n_samples,) or None
    n_partitions : int
    client : distributed.Client
    """

    def __init__(self, X, Y, sample_weight, n_partitions, client):
        import dask.array as da

        Y = Y[:, None] if Y.ndim == 1 else Y
        if sample_weight is None:
            sample_weight = da.ones(X.shape[0], chunks=(X.chunks[0],))
        lengths = np.asarray(X.chunks[0])
        if np.count_nonzero(lengths) < n_partitions:
            chunks = balanced_chunks(X.shape[0], n_partitions)
            X, Y, sample_weight = (X.rechunk({0: chunks}), Y.rechunk({0: chunks}),
                                   sample_weight.rechunk({0: chunks}))
            lengths = np.asarray(chunks)
        X = X.rechunk({1: -1})
        Y, sample_weight = Y.rechunk({0: X.chunks[0], 1: -1}), sample_weight.rechunk(
            {0: X.chunks[0]})
        self.blocks = np.flatnonzero(lengths)  # the non-empty row blocks, in order
        self.cuts = partition_cuts(lengths[self.blocks], n_partitions)
        ends = np.concatenate([[0], np.cumsum(lengths[self.blocks])])
        self.bounds = ends[self.cuts]
        self.sizes = np.diff(self.bounds)
        self.normaliser = float(X.shape[0])
        self.n_outputs = Y.shape[1]
        self.dtype = X.dtype
        self.client = client
        self._arrays = (X, Y, sample_weight)
        self._futures = None
        self._token = uuid.uuid4().hex[:12]

    @property
    def n_partitions(self):
        return len(self.sizes)

    # -- placing the data -----------------------------------------------------------

    def partitions(self):
        """Futures of ``(X_k, Y_k, sample_weight_k)``, one per partition, each on the
        worker holding most of its rows (computed once, on the cluster)."""
        if self._futures is None:
            self._futures = self._join()
        return self._futures

    def _join(self):
        from distributed import futures_of, wait

        arrays = self.client.persist(list(self._arrays))
        with self.client.as_current():
            wait(arrays)
        self._persisted = arrays  # kept: Dask recomputes a lost partition from its blocks
        by_key = {future.key: future for array in arrays for future in futures_of(array)}
        keys = [_row_keys(array) for array in arrays]
        who_has = self.client.who_has([by_key[keys[0][i]] for i in self.blocks])
        lengths = self._arrays[0].chunks[0]
        futures = []
        for k in range(self.n_partitions):
            chosen = self.blocks[self.cuts[k]:self.cuts[k + 1]]
            blocks = [by_key[part[i]] for part in keys for i in chosen]
            home = _holder_of_most([keys[0][i] for i in chosen], who_has,
                                   [lengths[i] for i in chosen])
            futures.append(self.client.submit(
                join_partition, self.dtype, len(chosen), *blocks,
                key=f"skgc-partition-{self._token}-{k}", workers=home,
                allow_other_workers=True, pure=False))
        with self.client.as_current():
            wait(futures)
        return futures

    def homes(self, supports, addresses):
        """The Dask worker of each logical worker: the one already holding most rows of
        its support, at most ``ceil(N / len(addresses))`` logical workers per Dask worker
        (so that a cluster whose data sit on few workers still computes in parallel)."""
        who_has = self.client.who_has(self.partitions())
        holders = [set(who_has.get(future.key, ())) for future in self.partitions()]
        cap = -(-len(supports) // len(addresses))
        count = dict.fromkeys(addresses, 0)
        where = []
        for support in supports:
            held = {address: sum(self.sizes[k] for k in support if address in holders[k])
                    for address in addresses}
            open_ = [address for address in addresses if count[address] < cap]
            best = max(open_, key=lambda address: (held[address], -count[address]))
            count[best] += 1
            where.append(best)
        return where

    def place(self, j, support, datafit, address, generation=0):
        """A future of logical worker ``j``'s shard, built on ``address`` from the
        partitions of ``support`` (Dask copies them there from their holders)."""
        partitions = [self.partitions()[k] for k in support]
        return self.client.submit(
            shard_from_partitions, datafit, [int(k) for k in support], *partitions,
            key=f"skgc-shard-{self._token}-{j}-{generation}", workers=[address],
            allow_other_workers=False, pure=False)

    def release(self):
        """Let the cluster forget this fit's copies of the data."""
        self._futures = self._persisted = None

    # -- what the master computes from the data ---------------------------------------

    def top_eigenvalue(self, fit_intercept, random_state=None, n_iter=30):
        """Largest eigenvalue of ``Z^T diag(w / n) Z``, ``Z = [X, 1]`` (or ``X``), as
        :meth:`skgc.objective.Datafit.smoothness` needs it; computed on the workers."""
        futures = self.partitions()
        scale = max(self.client.gather(self.client.map(block_max_abs, futures, pure=False)))
        scale = max(scale, 1.0) if fit_intercept else scale
        scale = scale if scale > 0 else 1.0
        size = self._arrays[0].shape[1] + 1
        if size <= _GRAM_LIMIT:
            grams = self.client.map(block_gram, futures, fit_intercept=fit_intercept,
                                    scale=scale, normaliser=self.normaliser, pure=False)
            gram = sum(self.client.gather(grams))
            if fit_intercept:  # the column of ones, scaled as X was
                gram[-1, :] /= scale
                gram[:, -1] /= scale
            top = float(np.linalg.eigvalsh(gram)[-1])
        else:
            top = self._lanczos(futures, fit_intercept, scale, size, random_state, n_iter)
        return max(top * scale * scale, 1e-12) * 1.01

    def _lanczos(self, futures, fit_intercept, scale, size, random_state, n_iter):
        def matvec(vector):
            parts = self.client.map(block_matvec, futures, vector=np.ravel(vector),
                                    fit_intercept=fit_intercept, scale=scale,
                                    normaliser=self.normaliser, pure=False)
            return sum(self.client.gather(parts))

        operator = LinearOperator((size, size), matvec=matvec, dtype=np.float64)
        v0 = check_random_state(random_state).uniform(0.5, 1.0, size)
        return float(eigsh(operator, k=1, which="LA", v0=v0, tol=1e-3,
                           maxiter=n_iter * size, return_eigenvectors=False)[0])


def _row_keys(array):
    """The keys of a dask array's row blocks (its only column block for a matrix)."""
    return [key[0] if isinstance(key, list) else key for key in array.__dask_keys__()]


def _holder_of_most(keys, who_has, rows):
    """``[address]`` of the worker holding most rows of these blocks (None: anywhere)."""
    held = {}
    for key, count in zip(keys, rows):
        for address in who_has.get(key, ()):
            held[address] = held.get(address, 0) + count
    return [max(held, key=held.get)] if held else None
