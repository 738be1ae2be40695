"""Shared test data: small, seeded problems."""

import os

# scikit-learn's array-API check (array-API dispatch with NumPy inputs must not change
# results) only runs when SciPy's array-API support is switched on before SciPy loads.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

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
