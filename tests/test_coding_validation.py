"""Validation helpers of the coding layer."""

import numpy as np
import pytest

from skgc.coding import check_alive, check_allocation, check_load, check_probabilities


def test_check_probabilities_ok():
    p = check_probabilities([0, 0.5, 1], n_workers=3)
    assert p.dtype == np.float64
    np.testing.assert_array_equal(p, [0, 0.5, 1])


@pytest.mark.parametrize(
    "p, n, match",
    [
        ([0.1, np.nan], None, "NaN"),
        ([0.1, 1.01], None, r"\[0, 1\]"),
        ([-1e-9, 0.5], None, r"\[0, 1\]"),
        ([0.1, 0.2], 3, "length"),
        ([[0.1, 0.2]], None, "1-D"),
        ([], None, "1-D"),
        ([1.0, 1.0], None, "always straggles"),
        (["a", "b"], None, "straggler_probs"),
    ],
)
def test_check_probabilities_errors(p, n, match):
    with pytest.raises(ValueError, match=match):
        check_probabilities(p, n_workers=n)
    with pytest.raises(ValueError, match="straggler_probs"):
        check_probabilities(p, n_workers=n)


def test_check_probabilities_custom_name():
    with pytest.raises(ValueError, match="my_p"):
        check_probabilities([2.0], name="my_p")


def test_check_load():
    np.testing.assert_array_equal(check_load(2, 3, 4), [2, 2, 2])
    np.testing.assert_array_equal(check_load([1, 2, 3], 3, 4), [1, 2, 3])
    for bad in (0, 5, [1, 2], True, "2", [[1, 2, 3]]):
        with pytest.raises(ValueError, match="load"):
            check_load(bad, 3, 4)
    with pytest.raises(ValueError, match="load.*cover"):
        check_load(1, 3, 4)


def test_check_alive_and_allocation():
    np.testing.assert_array_equal(check_alive([1, 0, 1], 3), [True, False, True])
    with pytest.raises(ValueError, match="alive"):
        check_alive([2, 0, 1], 3)
    with pytest.raises(ValueError, match="alive"):
        check_alive(np.ones((3, 1), bool), 3)
    with pytest.raises(ValueError, match="allocation"):
        check_allocation([[0.5, 1]])
