"""Bad input leaves no half-fitted estimator.

The catalogue of bad inputs and their error messages is tests/test_bad_input_catalogue.py.
"""

import numpy as np
import pytest

from skgc import CodedGradientRegressor

X = np.random.default_rng(0).normal(size=(40, 3))
Y = X @ np.array([1.0, -2.0, 0.5])


def test_failed_fit_leaves_no_fitted_attributes():
    reg = CodedGradientRegressor(random_state=0).fit(X, Y)
    assert hasattr(reg, "coef_")
    reg.set_params(n_partitions=41)
    with pytest.raises(ValueError):
        reg.fit(X, Y)
    fitted = [name for name in vars(reg) if name.endswith("_") and not name.startswith("_")]
    assert fitted == []


def test_failed_partial_fit_keeps_the_previous_model():
    reg = CodedGradientRegressor(random_state=0).partial_fit(X, Y)
    coef = reg.coef_.copy()
    with pytest.raises(ValueError, match="features"):
        reg.partial_fit(X[:, :2], Y)
    np.testing.assert_array_equal(reg.coef_, coef)
