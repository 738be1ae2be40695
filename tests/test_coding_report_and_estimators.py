"""Every code in both estimators and GridSearchCV; the code report and ``skgc codes``."""

import re
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.__main__ import main
from skgc.coding import CODE_NAMES, code_report, compare_codes, format_reports, make_code

RNG = np.random.default_rng(0)
X = RNG.normal(size=(80, 3))
Y_REG = X @ np.array([1.0, -2.0, 0.5])
Y_CLF = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
PROBS = np.array([0.1, 0.2, 0.3, 0.1, 0.4, 0.2])


def _quiet(fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit()


def _reference(estimator, X, y):
    """The same estimator fitted without stragglers (every code is exact then)."""
    return _quiet(lambda: clone(estimator).set_params(code="full", stragglers=None).fit(X, y))


@pytest.mark.parametrize("name", CODE_NAMES)
def test_every_code_runs_in_both_estimators(name):
    reg = CodedGradientRegressor(code=name, stragglers=PROBS, n_workers=6, max_iter=60,
                                 tol=None, alpha=1e-3, random_state=0)
    _quiet(lambda: reg.fit(X, Y_REG))
    assert reg.code_.name == name and reg.n_iter_ == 60
    assert reg.score(X, Y_REG) >= _reference(reg, X, Y_REG).score(X, Y_REG) - 1e-5
    clf = CodedGradientClassifier(loss="log_loss", code=name, stragglers=PROBS, n_workers=6,
                                  max_iter=60, tol=None, random_state=0)
    _quiet(lambda: clf.fit(X, Y_CLF))
    reference = _reference(clf, X, Y_CLF)
    assert clf.score(X, Y_CLF) == reference.score(X, Y_CLF)
    # Newton with the control variate reaches the exact optimum under stragglers, for every
    # unbiased code (sgc's weights are unbiased only for equal probabilities)
    if clf.solver_ == "newton" and name != "sgc":
        np.testing.assert_allclose(clf.decision_function(X), reference.decision_function(X),
                                   rtol=1e-6, atol=1e-6)
    if name != "full":
        assert reg.history_["n_alive"].mean() < 6


def test_grid_search_over_code():
    names = ["optimal", "cyclic", "erasurehead", "graph"]
    search = GridSearchCV(
        CodedGradientRegressor(stragglers=PROBS, n_workers=6, max_iter=40, tol=None,
                               random_state=0),
        {"code": names}, cv=2)
    _quiet(lambda: search.fit(X, Y_REG))
    assert search.cv_results_["param_code"].tolist() == names
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    clf_search = GridSearchCV(
        CodedGradientClassifier(stragglers=PROBS, n_workers=6, max_iter=40, tol=None,
                                random_state=0),
        {"code": ["sgc", "frc", "ignore_unbiased"]}, cv=2)
    _quiet(lambda: clf_search.fit(X, Y_CLF))
    assert clf_search.best_score_ > 0.8


def test_code_object_with_lstsq_decoding_in_estimator():
    code = make_code("optimal", 6, straggler_probs=PROBS, decoding="lstsq")
    reg = CodedGradientRegressor(code=code, stragglers=PROBS, n_workers=6, max_iter=40,
                                 tol=None, random_state=0)
    _quiet(lambda: reg.fit(X, Y_REG))
    assert reg.code_.decoding == "lstsq" and reg.score(X, Y_REG) > 0.8


def test_code_report_closed_form_and_enumeration():
    optimal = make_code("optimal", 6, straggler_probs=PROBS)
    rep = code_report(optimal)
    assert rep.method == "closed form" and rep.se_independent == 0
    assert rep.error_independent == pytest.approx(optimal.residual_error())
    assert rep.error_coherent == pytest.approx(optimal.residual_error("coherent"))
    assert rep.bias < 1e-12 and rep.load_mean == 2 and rep.total_load == 12
    ignore = code_report(make_code("ignore", 6, straggler_probs=PROBS))
    assert ignore.method == "enumeration" and ignore.bias > 0.05
    erasure = code_report(make_code("erasurehead", 6, straggler_probs=PROBS))
    assert erasure.method == "closed form"
    assert erasure.bias == pytest.approx(0.4 * 0.2)  # group (4, 5) is lost w.p. 0.08


def test_code_report_monte_carlo_standard_error():
    p = np.linspace(0.05, 0.5, 14)
    rep = code_report(make_code("graph", 14, straggler_probs=p, random_state=0),
                      n_draws=4000)
    assert rep.method == "monte carlo" and rep.se_independent > 0 and rep.bias_se > 0
    exact = code_report(make_code("sgc", 14, straggler_probs=p, random_state=0),
                        n_draws=4000)
    assert exact.method == "closed form"


def test_compare_codes_table():
    reports = compare_codes(6, load=2, straggler_probs=PROBS)
    assert [r.name for r in reports] == list(CODE_NAMES)
    table = format_reports(reports)
    assert table.count("\n") == len(CODE_NAMES) + 1
    by_name = {r.name: r for r in reports}
    assert by_name["full"].error_independent == 0
    assert by_name["optimal"].error_independent < by_name["sgc"].error_independent


def test_codes_command(capsys):
    assert main(["codes", "--workers", "6", "--load", "2", "--probs", "0.2"]) == 0
    out = capsys.readouterr().out
    first_cells = [line.split()[0] for line in out.splitlines() if line.strip()]
    for name in CODE_NAMES:
        assert name in first_cells
    assert main(["codes", "--workers", "5", "--paper-model", "--seed", "1",
                 "--decoding", "lstsq"]) == 0
    assert re.search(r"^optimal +lstsq ", capsys.readouterr().out, re.MULTILINE)
    with pytest.raises(SystemExit) as exit_info:
        main(["codes", "--workers", "4", "--probs", "0.1", "0.2"])
    assert exit_info.value.code == 2
    assert "--probs needs 1 or 4 values" in capsys.readouterr().err
