"""Fit and predict on dask collections whose blocks live on a LocalCluster."""

import os
import signal
import time

import numpy as np
import pytest
import scipy.sparse as sp

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.backends._dask_data import partition_cuts
from skgc.stragglers import FixedDelays, replay_from_history

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

pytestmark = [pytest.mark.timeout(180), pytest.mark.workers]  # a Dask cluster

DEADLINE = 0.15  # in-process cluster: scheduler, workers and master share the GIL
CHUNK = 75  # 300 samples in 4 row blocks: the numpy fit's 4 partitions with shuffle=False
# a deadline no answer misses on a loaded machine: without stragglers, fits equal numpy's
PARAMS = dict(n_workers=4, n_partitions=4, shuffle=False, random_state=0, deadline=30.0)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _blocks(X, y, chunk=CHUNK):
    return da.from_array(X, chunks=(chunk, X.shape[1])), da.from_array(y, chunks=chunk)


def _close(model, reference, atol=1e-10):
    np.testing.assert_allclose(model.coef_, reference.coef_, rtol=0, atol=atol)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, rtol=0, atol=atol)


@pytest.mark.parametrize("estimator, data, params", [
    (CodedGradientRegressor, "regression_data", dict(solver="gd", max_iter=30, tol=None)),
    (CodedGradientClassifier, "binary_data", dict(loss="log_loss", solver="gd", max_iter=20,
                                                  tol=None)),
])
def test_model_equals_numpy_fit_with_same_partitions_and_stragglers(client, request,
                                                                     estimator, data, params):
    X, y = request.getfixturevalue(data)
    stragglers = FixedDelays([0.0, 0.0, 20 * DEADLINE, 0.0])
    model = estimator(backend="dask", stragglers=stragglers, **{**PARAMS, "deadline": DEADLINE},
                      **params).fit(*_blocks(X, y))
    alive = model.history_["alive"]
    assert not alive[:, 2].any() and alive.any()
    replay = replay_from_history(model.history_, 4, model.code_.straggler_probs)
    reference = estimator(backend="simulated", stragglers=replay,
                          **{**PARAMS, "deadline": None}, **params).fit(X, y)
    np.testing.assert_array_equal(reference.history_["alive"], alive)
    _close(model, reference)


def test_without_stragglers_equals_numpy_on_the_same_cluster(client, regression_data):
    X, y = regression_data
    weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    Xd, yd = _blocks(X, y)
    model = CodedGradientRegressor(backend="dask", **PARAMS).fit(
        Xd, yd, sample_weight=da.from_array(weight, chunks=100))  # other blocks: realigned
    reference = CodedGradientRegressor(backend="dask", **PARAMS).fit(X, y,
                                                                     sample_weight=weight)
    _close(model, reference)
    assert model.n_features_in_ == 8 and not hasattr(model, "feature_names_in_")


@pytest.mark.parametrize("chunk", [300, 40, 7])
def test_blocks_are_grouped_or_split_into_partitions(client, regression_data, chunk):
    """Fewer blocks than partitions: split on the cluster into the numpy partitions; more:
    runs of whole blocks (squared loss without stragglers: the optimum whatever they are)."""
    X, y = regression_data
    model = CodedGradientRegressor(backend="dask", **PARAMS).fit(*_blocks(X, y, chunk))
    reference = CodedGradientRegressor(backend="simulated", **PARAMS).fit(X, y)
    _close(model, reference, atol=1e-8)


def test_partition_cuts_balance_whole_blocks():
    np.testing.assert_array_equal(partition_cuts([100] * 4, 2), [0, 2, 4])
    np.testing.assert_array_equal(partition_cuts([10, 10, 10, 70], 2), [0, 3, 4])
    np.testing.assert_array_equal(partition_cuts([1, 1, 1, 1, 96], 4), [0, 2, 3, 4, 5])
    np.testing.assert_array_equal(partition_cuts([5] * 3, 3), [0, 1, 2, 3])


def test_dataframe_and_series(client, regression_data):
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y = regression_data
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    model = CodedGradientRegressor(backend="dask", **PARAMS).fit(
        dd.from_pandas(frame, npartitions=4), dd.from_pandas(pd.Series(y), npartitions=4))
    reference = CodedGradientRegressor(backend="simulated", **PARAMS).fit(frame, y)
    _close(model, reference)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    pred = model.predict(dd.from_pandas(frame, npartitions=3))
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), reference.predict(frame), rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(dd.from_pandas(frame[frame.columns[::-1]], npartitions=2)).compute()


def test_sparse_blocks(client, binary_data):
    X, y = binary_data
    X = np.where(np.abs(X) > 1.0, X, 0.0)
    Xd, yd = _blocks(X, y)
    params = dict(loss="log_loss", max_iter=8, tol=None, **PARAMS)
    model = CodedGradientClassifier(backend="dask", **params).fit(
        Xd.map_blocks(sp.csr_matrix), yd)
    reference = CodedGradientClassifier(backend="simulated", **params).fit(
        sp.csr_matrix(X), y)
    _close(model, reference)


def test_labels_and_balanced_class_weights_from_the_cluster(client, multiclass_data):
    X, y = multiclass_data
    keep = (y != 2) | (np.arange(len(y)) % 3 == 0)  # unbalanced classes
    X, y = X[keep], np.array(["ant", "bee", "cat"])[y[keep]]
    params = dict(loss="log_loss", class_weight="balanced", max_iter=8, tol=None, **PARAMS)
    chunk = -(-len(y) // 4)
    model = CodedGradientClassifier(backend="dask", **params).fit(*_blocks(X, y, chunk))
    reference = CodedGradientClassifier(backend="simulated", **params).fit(X, y)
    np.testing.assert_array_equal(model.classes_, ["ant", "bee", "cat"])
    _close(model, reference)


def test_gradient_descent_smoothness_computed_on_the_workers(client, regression_data,
                                                             monkeypatch):
    """The step of gradient descent (``1 / L``) from the Gram matrix summed over the
    partitions, or from Lanczos iterations on the cluster for wide data."""
    from skgc.backends import _dask_data
    from skgc.objective import Datafit, PartitionedData, get_loss

    X, y = regression_data
    Xd, yd = _blocks(X, y)
    datafit = Datafit(get_loss("squared_error"), fit_intercept=True)
    weight = np.linspace(0.5, 1.5, len(y))
    expected = datafit.smoothness(PartitionedData(X, y[:, None], weight, 4, shuffle=False))
    cluster = _dask_data.ClusterPartitions(Xd, yd[:, None], da.from_array(weight, chunks=CHUNK),
                                           4, client)
    assert datafit.smoothness(cluster) == pytest.approx(expected, rel=1e-9)
    monkeypatch.setattr(_dask_data, "_GRAM_LIMIT", 2)
    assert datafit.smoothness(cluster, random_state=0) == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("method", ["predict", "decision_function", "predict_proba",
                                    "predict_log_proba"])
def test_predictions_are_dask_arrays_computed_by_block(client, multiclass_data, method):
    X, y = multiclass_data
    model = CodedGradientClassifier(loss="log_loss", max_iter=5, tol=None, **PARAMS).fit(X, y)
    Xd = da.from_array(X, chunks=(70, 3))
    out = getattr(model, method)(Xd)
    assert isinstance(out, da.Array) and out.chunks[0] == Xd.chunks[0]
    expected = getattr(model, method)(X)
    assert isinstance(expected, np.ndarray)
    np.testing.assert_array_equal(out.compute(), expected)


def test_score_is_reduced_on_the_cluster(client, regression_data, binary_data):
    X, y = regression_data
    weight = np.linspace(0.0, 2.0, len(y))
    reg = CodedGradientRegressor(max_iter=5, tol=None, **PARAMS).fit(X, y)
    Xd, yd = _blocks(X, y)
    assert reg.score(Xd, yd, da.from_array(weight, chunks=50)) == pytest.approx(
        reg.score(X, y, weight), rel=1e-12)
    X, y = binary_data
    clf = CodedGradientClassifier(max_iter=5, tol=None, **PARAMS).fit(X, y)
    assert clf.score(*_blocks(X, y)) == clf.score(X, y)


@pytest.mark.parametrize("estimator, change, words", [
    (CodedGradientRegressor, dict(X=(5, 2, np.nan)), "Input X contains NaN"),
    (CodedGradientRegressor, dict(X=(5, 2, np.inf)), "Input X contains infinity"),
    (CodedGradientRegressor, dict(y=(3, np.nan)), "Input y contains NaN"),
    (CodedGradientRegressor, dict(n_y=200), "inconsistent numbers of samples"),
    (CodedGradientRegressor, dict(weight=(0, -1.0)), "Negative values in data passed"),
    (CodedGradientRegressor, dict(weight=(slice(None), 0.0)), "at least one non-zero"),
    (CodedGradientClassifier, dict(y=(slice(None), 0.0)), "greater than one"),
    (CodedGradientClassifier, dict(continuous=True), "Unknown label type"),
])
def test_bad_input_has_numpy_words(client, regression_data, estimator, change, words):
    X, y = regression_data[0].copy(), regression_data[1].copy()
    weight = np.ones(len(y))
    if not change.get("continuous") and estimator is CodedGradientClassifier:
        y = (y > 0).astype(float)
    for name, target in (("X", X), ("y", y), ("weight", weight)):
        if name in change:
            *where, value = change[name]
            target[tuple(where)] = value
    y = y[:change.get("n_y", len(y))]
    for fit_input in ((X, y, weight), (*_blocks(X, y, 60), da.from_array(weight, chunks=100))):
        backend = "dask" if fit_input[0] is not X else "simulated"
        with pytest.raises(ValueError, match=words):
            estimator(backend=backend, max_iter=2).fit(fit_input[0], fit_input[1],
                                                       sample_weight=fit_input[2])


@pytest.mark.parametrize("backend", ["simulated", "threading", "loky"])
def test_collections_refused_on_local_backends(client, regression_data, backend):
    with pytest.raises(ValueError, match=f"dask collection, which backend='{backend}'"):
        CodedGradientRegressor(backend=backend).fit(*_blocks(*regression_data))


@pytest.mark.parametrize("option", ["early_stopping", "gradient_aware"])
def test_options_that_need_the_data_here_are_refused(client, regression_data, option):
    with pytest.raises(ValueError, match=f"{option}=True needs the data in this process"):
        CodedGradientRegressor(backend="dask", **{option: True}).fit(
            *_blocks(*regression_data))


def test_pipeline_after_dask_ml_scaler_and_dask_ml_grid_search(client, binary_data):
    """dask-ml's GridSearchCV hands numpy folds to fits that run inside Dask tasks; with
    single-thread workers those fits must leave the thread to their own tasks."""
    pytest.importorskip("dask_ml")
    from dask_ml.model_selection import GridSearchCV
    from dask_ml.preprocessing import StandardScaler
    from sklearn.pipeline import make_pipeline

    X, y = binary_data
    Xd, yd = _blocks(3.0 * X + 5.0, y)
    model = CodedGradientClassifier(loss="log_loss", backend="dask", **PARAMS)
    pipe = make_pipeline(StandardScaler(), model).fit(Xd, yd)
    reference = CodedGradientClassifier(loss="log_loss", **PARAMS).fit(X, y)
    np.testing.assert_allclose(pipe[-1].coef_, reference.coef_, rtol=0, atol=1e-6)
    assert isinstance(pipe.predict(Xd), da.Array)
    assert pipe.score(Xd, yd) == reference.score(X, y)
    # (dask-ml's StandardScaler inside dask-ml's GridSearchCV scores wrongly with any
    # estimator, scikit-learn's LogisticRegression too: the search gets scaled data.)
    grid = {"alpha": [1e-4, 1.0]}
    search = GridSearchCV(model, grid, cv=2).fit(*_blocks(X, y))
    in_tasks = GridSearchCV(model.set_params(backend="simulated"), grid, cv=2).fit(
        *_blocks(X, y))  # each fit in its Dask task, on its numpy fold
    np.testing.assert_array_equal(search.cv_results_["mean_test_score"],
                                  in_tasks.cv_results_["mean_test_score"])
    assert search.best_score_ > 0.7


class _KillAt(FixedDelays):
    """No injected delays; kills a Dask worker process (its data go) before round ``at``."""

    def __init__(self, n_workers, at, kill):
        super().__init__(np.zeros(n_workers))
        self.calls, self.at, self.kill = 0, at, kill

    def injected_delays(self, times, deadline):
        self.calls += 1
        if self.calls == self.at:
            self.kill()
        return super().injected_delays(times, deadline)


def test_fit_survives_the_loss_of_a_worker_holding_partitions(binary_data):
    """A worker process dies abruptly with its blocks, partitions and shards: its
    logical workers straggle, their shards are rebuilt on the survivor from the blocks
    Dask computes again, and the fit goes on to the model of the numpy data."""
    import logging

    from distributed import Client, LocalCluster

    X, y = binary_data
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        victim = sorted(client.scheduler_info()["workers"])[1]
        pid = client.run(os.getpid, workers=[victim])[victim]

        def kill():
            os.kill(pid, signal.SIGKILL)
            limit = time.monotonic() + 10.0  # the scheduler notices the loss
            while victim in client.scheduler_info()["workers"] and time.monotonic() < limit:
                time.sleep(0.05)

        from skgc.backends import DaskBackend

        backend = DaskBackend(client=client)
        backend._recheck_seconds = 0.0
        params = dict(loss="log_loss", solver="gd", max_iter=60, tol=None, **PARAMS)
        model = CodedGradientClassifier(stragglers=_KillAt(4, 5, kill), backend=backend,
                                        **{**params, "deadline": 1.0}).fit(*_blocks(X, y))
        alive = model.history_["alive"]
        assert model.n_iter_ == 60
        assert not alive[4:].all(axis=1).all()  # the lost workers' rounds were missed
        assert alive[-10:].all()  # and all four answer again from the survivors
    reference = CodedGradientClassifier(**params).fit(X, y)
    assert model.score(X, y) >= reference.score(X, y) - 0.02


@pytest.mark.parametrize("X, words", [
    (da.ones(40, chunks=10), "2D array"),
    (da.ones((40, 3), chunks=10, dtype=complex), "Complex data not supported"),
    (da.ones((40, 3), chunks=10, dtype="datetime64[s]"), "needs numbers"),
])
def test_shape_and_dtype_of_X(client, X, words):
    with pytest.raises(ValueError, match=words):
        CodedGradientRegressor(backend="dask").fit(X, np.ones(40))
