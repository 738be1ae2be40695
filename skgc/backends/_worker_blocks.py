"""What a Dask worker runs on the row blocks of data that live on the cluster.

Dask tasks of :class:`skgc.backends._dask_data.ClusterPartitions`: join a partition's row
blocks where they are, build a logical worker's :class:`WorkerShard` from partitions that
Dask brought to it worker-to-worker, and the per-block sums of the smoothness constant.
Kept light (numpy and scipy only) so that Dask workers import it fast.
"""

import numpy as np
import scipy.sparse as sp

from ._worker import Work, WorkerShard

__all__ = ["join_partition", "shard_from_partitions", "partitions_answer", "aligned",
           "aligned_shard", "block_gram", "block_matvec", "block_max_abs", "as_matrix"]


def as_matrix(block, dtype):
    """A row block as a C-ordered ndarray or a CSR matrix of ``dtype``.

    Blocks of a dask array are ndarrays, scipy sparse matrices or pydata ``sparse``
    arrays; partitions of a dask DataFrame are pandas frames.
    """
    if sp.issparse(block):
        return sp.csr_matrix(block, dtype=dtype)
    if hasattr(block, "tocsr"):  # pydata sparse (COO, GCXS)
        return sp.csr_matrix(block.tocsr(), dtype=dtype)
    if hasattr(block, "to_numpy"):  # pandas
        block = block.to_numpy(dtype=dtype)
    return np.ascontiguousarray(block, dtype=dtype)


def join_partition(dtype, n_x, *blocks):
    """``(X_k, Y_k, sample_weight_k)`` of one partition from its row blocks.

    ``blocks`` are the partition's ``n_x`` blocks of ``X``, then as many of ``Y``, then of
    the sample weights, in row order. A partition of one block is that block (no copy,
    unless it arrived unaligned: :func:`aligned`).
    """
    xs, ys, ws = blocks[:n_x], blocks[n_x:2 * n_x], blocks[2 * n_x:]
    xs = [aligned(as_matrix(x, dtype)) for x in xs]
    X = xs[0] if len(xs) == 1 else (sp.vstack(xs, format="csr") if sp.issparse(xs[0])
                                    else np.concatenate(xs))
    Y = np.concatenate([np.asarray(y, dtype=np.float64).reshape(len(y), -1) for y in ys])
    weight = np.concatenate([np.asarray(w, dtype=np.float64).ravel() for w in ws])
    return X, Y, weight


def shard_from_partitions(datafit, support, *partitions):
    """Logical worker's shard: the partitions of its support, already on its Dask worker
    (those Dask copied from another worker re-aligned, see :func:`aligned`)."""
    return WorkerShard(datafit, [tuple(aligned(array) for array in partition)
                                 for partition in partitions], support)


def partitions_answer(datafit, work, *partitions):
    """A Hessian request's answer computed from the partitions themselves (where they
    live; those of ``work.partitions``, in order), without a logical worker's shard."""
    work = Work(*work)
    return shard_from_partitions(datafit, work.partitions, *partitions).answer(work, ())


def aligned_shard(shard):
    """``shard`` with every array aligned (:func:`aligned`): a shard scattered from the
    client arrives in one frame, its arrays at any byte."""
    return shard_from_partitions(shard.datafit, shard.support, *shard.blocks)


def aligned(array):
    """``array``, or an aligned copy of it if its buffer is not aligned to its item size.

    An array that Dask copied from another worker may start at any byte of the received
    frame; BLAS then takes slow paths (measured: the sums of a 125,000 x 50 float64
    partition 5 times slower, the same as a fresh copy of it).
    """
    if sp.issparse(array):
        parts = (array.data, array.indices, array.indptr)
        if all(part.flags.aligned for part in parts):
            return array
        return sp.csr_matrix(tuple(np.array(part) for part in parts), shape=array.shape)
    return array if array.flags.aligned else np.array(array, order="C")


def block_gram(partition, fit_intercept, scale, normaliser):
    """``Z^T diag(w / normaliser) Z`` of one partition, ``Z = [X / scale, 1]`` (or
    ``X / scale``): scaled so that it cannot overflow."""
    from ..objective import Datafit

    X, _, weight = partition
    return Datafit(None, fit_intercept)._weighted_gram(X / scale, weight / normaliser)


def block_max_abs(partition):
    """Largest absolute entry of a partition's ``X`` (0 when it has none)."""
    X = partition[0]
    values = X.data if sp.issparse(X) else X
    return max(float(values.max()), -float(values.min())) if values.size else 0.0


def block_matvec(partition, vector, fit_intercept, scale, normaliser):
    """``Z^T diag(w / normaliser) Z v`` of one partition, ``Z = [X, 1] / scale``."""
    X, _, weight = partition
    v = np.ravel(vector) / scale
    z = np.asarray(X @ v[:-1].astype(X.dtype, copy=False), dtype=np.float64)
    z = (z + (v[-1] if fit_intercept else 0.0)) * weight / (normaliser * scale)
    out = np.empty(len(v))
    out[:-1] = np.asarray(X.T @ z.astype(X.dtype, copy=False), dtype=np.float64)
    out[-1] = z.sum() if fit_intercept else 0.0
    return out
