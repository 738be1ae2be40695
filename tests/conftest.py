"""Shared test data: small, seeded problems."""

import os

# scikit-learn's array-API check (array-API dispatch with NumPy inputs must not change
# results) only runs when SciPy's array-API support is switched on before SciPy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def regression_data():
    X, y = make_regression(n_samples=300, n_features=8, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / y.std()


@pytest.fixture(scope="session")
def binary_data():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4,
                               random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="session")
def multiclass_data():
    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, n_classes=3,
                               random_state=1)
    return StandardScaler().fit_transform(X), y



ITERATION_OVERHEAD = 0.06  # sending, decoding and scheduling on a loaded 2-core machine


def _assert_iterations_cut(history, deadline, longest):
    """Real clocks: a typical iteration ends within ``deadline`` plus overheads, and none
    lasts ``longest`` (what waiting for the straggler would take). A loaded machine may
    stretch one iteration past the deadline, so only the median is held to it."""
    durations = np.diff(history["time"], prepend=0.0)
    assert np.median(durations) < deadline + ITERATION_OVERHEAD
    assert durations.max() < longest


@pytest.fixture
def assert_iterations_cut():
    """Check that a real-worker fit's iterations were cut at the deadline (see
    :func:`_assert_iterations_cut`)."""
    return _assert_iterations_cut
