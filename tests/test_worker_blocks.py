"""Arrays that arrive at a worker at any byte are re-aligned before the rounds use them."""

import numpy as np
import scipy.sparse as sp

from skgc.backends._worker import WorkerShard
from skgc.backends._worker_blocks import aligned, aligned_shard
from skgc.objective import Datafit, get_loss


def _misaligned(values):
    """``values`` (float64) in a buffer starting 3 bytes past an aligned address."""
    values = np.asarray(values, dtype=np.float64)
    buffer = bytearray(values.nbytes + 3)
    array = np.frombuffer(buffer, dtype=np.float64, offset=3, count=values.size)
    array[...] = values.ravel()
    return array.reshape(values.shape)


def test_misaligned_array_is_copied_aligned_and_an_aligned_one_kept():
    values = np.arange(12.0).reshape(4, 3)
    moved = _misaligned(values)
    assert not moved.flags.aligned
    fixed = aligned(moved)
    assert fixed.flags.aligned and fixed.flags.c_contiguous
    np.testing.assert_array_equal(fixed, values)
    assert aligned(values) is values


def test_misaligned_sparse_parts_are_copied():
    matrix = sp.random(5, 4, density=0.5, format="csr", random_state=0)
    moved = sp.csr_matrix((_misaligned(matrix.data), matrix.indices, matrix.indptr),
                          shape=matrix.shape)
    fixed = aligned(moved)
    assert fixed.data.flags.aligned
    np.testing.assert_array_equal(fixed.toarray(), matrix.toarray())
    assert aligned(matrix) is matrix


def test_aligned_shard_answers_as_the_original():
    rng = np.random.default_rng(0)
    X, Y, weight = rng.normal(size=(6, 3)), rng.normal(size=(6, 1)), np.ones(6)
    datafit = Datafit(get_loss("squared_error", 0.1), True)
    shard = WorkerShard(datafit, [(_misaligned(X), Y, weight)], [2])
    fixed = aligned_shard(shard)
    assert fixed.support == [2] and all(a.flags.aligned for a in fixed.blocks[0])
    coef, intercept = rng.normal(size=(3, 1)), np.zeros(1)
    for got, want in zip(fixed.message(coef, intercept, (1.0,)),
                         shard.message(coef, intercept, (1.0,))):
        np.testing.assert_allclose(got, want, rtol=1e-14)
