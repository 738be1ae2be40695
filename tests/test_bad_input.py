"""Bad input: a clear ValueError naming what is wrong, and no half-fitted estimator."""

import numpy as np
import pytest

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.stragglers import BernoulliStragglers, paper_model

X = np.random.default_rng(0).normal(size=(40, 3))
Y = X @ np.array([1.0, -2.0, 0.5])

BAD_PARAMS = [
    ({"stragglers": 1.5}, "stragglers"),
    ({"stragglers": [0.1, np.nan, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]}, "stragglers"),
    ({"stragglers": [0.1, -0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]}, "stragglers"),
    ({"stragglers": [0.1, 0.2]}, "stragglers"),
    ({"stragglers": np.ones(8)}, "stragglers"),
    ({"stragglers": "slow"}, "stragglers"),
    ({"stragglers": paper_model(5)}, "stragglers"),
    ({"load": 9}, "load"),
    ({"load": [1, 2]}, "load"),
    ({"load": 0}, "load"),
    ({"n_partitions": 41}, "n_partitions"),
    ({"code": "nope"}, "code"),
    ({"n_workers": 0}, "n_workers"),
    ({"backend": "mpi"}, "backend"),
    ({"deadline": -1.0}, "deadline"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"alpha": -1.0}, "alpha"),
    ({"loss": "hinge"}, "loss"),
    ({"learning_rate": "optimal", "alpha": 0.0}, "alpha"),
    ({"eta0": 0.0}, "eta0"),
]


@pytest.mark.parametrize("params, name", BAD_PARAMS, ids=[str(p) for p, _ in BAD_PARAMS])
def test_bad_parameter_names_itself(params, name):
    with pytest.raises(ValueError, match=name):
        CodedGradientRegressor(**params).fit(X, Y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_in_data(bad):
    X_bad = X.copy()
    X_bad[3, 1] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        CodedGradientRegressor().fit(X_bad, Y)
    Y_bad = Y.copy()
    Y_bad[0] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        CodedGradientRegressor().fit(X, Y_bad)


def test_a_partition_nobody_holds():
    from skgc.coding import GradientCode

    allocation = np.eye(8, dtype=bool)
    allocation[3, 3] = False
    allocation[3, 4] = True
    with pytest.raises(ValueError, match="partition"):
        GradientCode(allocation, allocation.astype(float))


def test_bad_sample_weight():
    with pytest.raises(ValueError, match="sample_weight|[Ss]ample weight"):
        CodedGradientRegressor().fit(X, Y, sample_weight=np.zeros(40))
    with pytest.raises(ValueError, match="[Nn]egative"):
        CodedGradientRegressor().fit(X, Y, sample_weight=-np.ones(40))


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="class"):
        CodedGradientClassifier().fit(X, np.zeros(40))


def test_bad_bernoulli_model():
    with pytest.raises(ValueError, match="slowdown"):
        BernoulliStragglers([0.1, 0.2], slowdown=0.5)


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
