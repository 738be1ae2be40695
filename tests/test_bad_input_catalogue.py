"""The catalogue of bad inputs: each raises a clear error naming what is wrong.

One table, ``CATALOGUE``, drives the tests and the documentation page ``docs/bad_input.rst``
(a test checks the page equals :func:`render_rst`). After changing the table, rewrite the
page with ``python tests/test_bad_input_catalogue.py``.

Each entry is ``(category, what is wrong, code, exception, pattern)``: evaluating ``code``
(a Python expression, shown as such in the docs) in :func:`namespace` must raise
``exception`` with a message matching ``pattern`` (``re.search``).
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad_input.rst"

VE, TE = ValueError, TypeError
R, C = "CodedGradientRegressor", "CodedGradientClassifier"

CATALOGUE = [
    # -- estimator parameters --------------------------------------------------------
    ("parameters", "a probability above 1", f"{R}(stragglers=1.5).fit(X, y)", VE,
     "stragglers"),
    ("parameters", "NaN among the probabilities",
     f"{R}(n_workers=4, stragglers=[0.1, np.nan, 0.1, 0.1]).fit(X, y)", VE, "stragglers"),
    ("parameters", "a negative probability",
     f"{R}(n_workers=4, stragglers=[0.1, -0.1, 0.1, 0.1]).fit(X, y)", VE, "stragglers"),
    ("parameters", "one probability per worker, wrong count",
     f"{R}(n_workers=4, stragglers=[0.1, 0.2]).fit(X, y)", VE, "stragglers"),
    ("parameters", "every worker always straggles",
     f"{R}(n_workers=4, stragglers=np.ones(4)).fit(X, y)", VE, "stragglers"),
    ("parameters", "probabilities as a 2-D array",
     f"{R}(n_workers=4, stragglers=np.full((4, 2), 0.1)).fit(X, y)", VE, "stragglers"),
    ("parameters", "a string as stragglers", f"{R}(stragglers='slow').fit(X, y)", VE,
     "stragglers"),
    ("parameters", "L-BFGS on gradients an approximate code decodes",
     f"{R}(solver='lbfgs', stragglers=0.2).fit(X, y)", VE, "exact gradients"),
    ("parameters", "a straggler model for another number of workers",
     f"{R}(n_workers=8, stragglers=paper_model(5)).fit(X, y)", VE, "stragglers"),
    ("parameters", "a load above the number of partitions", f"{R}(load=9).fit(X, y)", VE,
     "load"),
    ("parameters", "per-worker loads, wrong count", f"{R}(load=[1, 2]).fit(X, y)", VE,
     "load"),
    ("parameters", "a zero load", f"{R}(load=0).fit(X, y)", VE, "load"),
    ("parameters", "a fractional load", f"{R}(load=1.5).fit(X, y)", VE, "load"),
    ("parameters", "more partitions than samples", f"{R}(n_partitions=41).fit(X, y)", VE,
     "n_partitions"),
    ("parameters", "zero partitions", f"{R}(n_partitions=0).fit(X, y)", VE, "n_partitions"),
    ("parameters", "an unknown code", f"{R}(code='nope').fit(X, y)", VE, "code"),
    ("parameters", "a code object for another number of workers",
     f"{R}(n_workers=8, code=make_code('optimal', 4)).fit(X, y)", VE, "n_workers"),
    ("parameters", "zero workers", f"{R}(n_workers=0).fit(X, y)", VE, "n_workers"),
    ("parameters", "a fractional number of workers", f"{R}(n_workers=2.5).fit(X, y)", VE,
     "n_workers"),
    ("parameters", "an unknown backend", f"{R}(backend='mpi').fit(X, y)", VE, "backend"),
    ("parameters", "a backend class instead of an instance",
     f"{R}(backend=LokyBackend).fit(X, y)", VE, "backend"),
    ("parameters", "a negative deadline", f"{R}(deadline=-1.0).fit(X, y)", VE, "deadline"),
    ("parameters", "a deadline given as text", f"{R}(deadline='soon').fit(X, y)", VE,
     "deadline"),
    ("parameters", "an unknown learning rate", f"{R}(learning_rate='fast').fit(X, y)", VE,
     "learning_rate"),
    ("parameters", "learning_rate='optimal' without regularisation",
     f"{R}(learning_rate='optimal', alpha=0.0).fit(X, y)", VE, "alpha"),
    ("parameters", "a zero eta0", f"{R}(eta0=0.0).fit(X, y)", VE, "eta0"),
    ("parameters", "a negative alpha", f"{R}(alpha=-1.0).fit(X, y)", VE, "alpha"),
    ("parameters", "l1_ratio above 1", f"{R}(penalty='elasticnet', l1_ratio=1.5).fit(X, y)",
     VE, "l1_ratio"),
    ("parameters", "an unknown penalty", f"{R}(penalty='l3').fit(X, y)", VE, "penalty"),
    ("parameters", "a classification loss in the regressor", f"{R}(loss='hinge').fit(X, y)",
     VE, "loss"),
    ("parameters", "an unknown classification loss", f"{C}(loss='nope').fit(X, labels)", VE,
     "loss"),
    ("parameters", "zero iterations", f"{R}(max_iter=0).fit(X, y)", VE, "max_iter"),
    ("parameters", "a negative tolerance", f"{R}(tol=-1.0).fit(X, y)", VE, "tol"),
    ("parameters", "n_iter_no_change of 0", f"{R}(n_iter_no_change=0).fit(X, y)", VE,
     "n_iter_no_change"),
    ("parameters", "validation_fraction of 1",
     f"{R}(early_stopping=True, validation_fraction=1.0).fit(X, y)", VE,
     "validation_fraction"),
    ("parameters", "too few samples to validate on",
     f"{R}(early_stopping=True, validation_fraction=0.01).fit(X, y)", VE, "validation"),
    ("parameters", "a negative average", f"{R}(average=-1).fit(X, y)", VE, "average"),
    ("parameters", "a negative epsilon", f"{R}(loss='huber', epsilon=-0.1).fit(X, y)", VE,
     "epsilon"),
    ("parameters", "fit_intercept given as text", f"{R}(fit_intercept='yes').fit(X, y)", VE,
     "fit_intercept"),
    ("parameters", "an unusable random_state", f"{R}(random_state='seed').fit(X, y)", VE,
     "random_state"),
    ("parameters", "an unknown class_weight",
     f"{C}(class_weight='auto').fit(X, labels)", VE, "class_weight"),
    ("parameters", "class_weight='balanced' with partial_fit",
     f"{C}(class_weight='balanced').partial_fit(X, labels, classes=[0, 1])", VE,
     "balanced"),
    # -- data ------------------------------------------------------------------------
    ("data", "NaN in X", f"{R}().fit(with_value(X, np.nan), y)", VE, "NaN"),
    ("data", "infinity in X", f"{R}().fit(with_value(X, np.inf), y)", VE, "infinity"),
    ("data", "NaN in y", f"{R}().fit(X, with_value(y, np.nan))", VE, "NaN"),
    ("data", "infinity in a sparse X",
     f"{R}().fit(sp.csr_matrix(with_value(X, np.inf)), y)", VE, "infinity"),
    ("data", "a 1-D X", f"{R}().fit(X[:, 0], y)", VE, "2D array"),
    ("data", "no samples", f"{R}().fit(X[:0], y[:0])", VE, "0 sample"),
    ("data", "X and y of different lengths", f"{R}().fit(X, y[:-1])", VE,
     "inconsistent numbers of samples"),
    ("data", "complex X", f"{R}().fit(X + 1j, y)", VE, "[Cc]omplex"),
    ("data", "text in X", f"{R}().fit(X.astype(str).astype(object) + 'a', y)", VE,
     "convert|string"),
    ("data", "a 2-D y in the regressor", f"{R}().fit(X, np.c_[y, y])", VE, "1d array|1-D"),
    ("data", "continuous targets in the classifier", f"{C}().fit(X, y)", VE,
     "Unknown label type"),
    ("data", "a single class", f"{C}().fit(X, np.zeros(len(X)))", VE, "class"),
    ("data", "sample weights summing to zero",
     f"{R}().fit(X, y, sample_weight=np.zeros(len(X)))", VE, "[Ss]ample.weight"),
    ("data", "negative sample weights", f"{R}().fit(X, y, sample_weight=-np.ones(len(X)))",
     VE, "[Nn]egative"),
    ("data", "sample weights, wrong length", f"{R}().fit(X, y, sample_weight=np.ones(3))",
     VE, "sample_weight"),
    ("data", "coef_init of the wrong shape", f"{R}().fit(X, y, coef_init=np.zeros(2))", VE,
     "coef_init"),
    ("data", "NaN in coef_init", f"{R}().fit(X, y, coef_init=[np.nan, 0.0, 0.0])", VE,
     "coef_init must be finite"),
    ("data", "an infinite intercept_init", f"{R}().fit(X, y, intercept_init=[np.inf])", VE,
     "intercept_init must be finite"),
    ("data", "intercept_init of the wrong shape",
     f"{R}().fit(X, y, intercept_init=np.zeros(2))", VE, "intercept_init"),
    ("data", "the first partial_fit without classes", f"{C}().partial_fit(X, labels)", VE,
     "classes"),
    ("data", "a label outside the declared classes",
     f"{C}().partial_fit(X, labels + 5, classes=[0, 1])", VE, "classes"),
    ("data", "predict with another number of features",
     f"{R}(max_iter=2).fit(X, y).predict(X[:, :2])", VE, "features"),
    ("data", "predict before fit", f"{R}().predict(X)", VE, "not fitted"),
    # -- straggler models --------------------------------------------------------------
    ("stragglers", "a straggler that is not slower",
     "BernoulliStragglers([0.1, 0.2], slowdown=0.5)", VE, "slowdown"),
    ("stragglers", "a zero time per iteration",
     "BernoulliStragglers([0.1, 0.2], time_per_iteration=0.0)", VE, "time_per_iteration"),
    ("stragglers", "a normalised deadline of 1 in the paper's model", "paper_model(4, z=1.0)",
     VE, "z"),
    ("stragglers", "an empty range of rates", "paper_model(4, low=2.0, high=1.0)", VE,
     "low"),
    ("stragglers", "scalar delays without n_workers", "ShiftedExponential(0.1, 2.0)", VE,
     "n_workers"),
    ("stragglers", "a zero rate", "ShiftedExponential(0.1, 0.0, n_workers=4)", VE, "rate"),
    ("stragglers", "a negative shift", "ShiftedExponential(-0.1, 2.0, n_workers=4)", VE,
     "shift"),
    ("stragglers", "per-worker arrays of different lengths",
     "ShiftedExponential([0.1, 0.1], [1.0, 1.0, 1.0])", VE, "different lengths"),
    ("stragglers", "a zero Pareto scale", "Pareto(0.0, 2.0, n_workers=4)", VE, "scale"),
    ("stragglers", "a negative Pareto shape", "Pareto(0.1, -1.0, n_workers=4)", VE, "shape"),
    ("stragglers", "a negative fixed delay", "FixedDelays([0.1, -1.0])", VE,
     "seconds_per_worker"),
    ("stragglers", "a 1-D trace", "TraceDelays([0.1, 0.2])", VE, "trace"),
    ("stragglers", "a negative delay in a trace", "TraceDelays([[0.1, -0.2]])", VE, "trace"),
    ("stragglers", "replaying a history that recorded nobody",
     "replay_from_history({'alive': np.array([-1, -1])}, 4)", VE, "alive"),
    ("stragglers", "replaying with too few workers",
     "replay_from_history({'alive': np.array([0b1111])}, 2)", VE, "n_workers"),
    ("stragglers", "replaying a record that is not boolean",
     "replay_from_history({'alive': np.array([[1.0, 1.5, 0.0, 1.0]])}, 4)", VE, "booleans"),
    ("stragglers", "replaying fractional bitmasks",
     "replay_from_history({'alive': np.array([1.5, 3.0])}, 4)", VE, "boolean"),
    ("stragglers", "an infinite shift", "ShiftedExponential(np.inf, 1.0, n_workers=4)", VE,
     "shift must be finite"),
    ("stragglers", "an infinite Pareto scale", "Pareto(np.inf, 2.0, n_workers=4)", VE,
     "scale must be finite"),
    ("stragglers", "an automatic deadline when no worker ever answers",
     f"{R}(n_workers=4, stragglers=FixedDelays([np.inf] * 4)).fit(X, y)", VE,
     "no worker ever answers"),
    ("stragglers", "an automatic deadline when a trace never answers",
     f"{R}(n_workers=4, stragglers=TraceDelays(np.full((4, 5), np.inf)), "
     "backend='threading').fit(X, y)", VE, "no worker ever answers"),
    # -- codes -----------------------------------------------------------------------
    ("codes", "an unknown code name", "make_code('nope', 4)", VE, "code name"),
    ("codes", "unequal loads for a repetition code", "make_code('frc', 4, load=[1, 2, 2, 2])",
     VE, "same load"),
    ("codes", "min_load allocation without a target",
     "make_code('optimal', 4, allocation='min_load')", VE, "target_error"),
    ("codes", "an allocation strategy for another code",
     "make_code('sgc', 4, allocation='greedy')", VE, "optimal"),
    ("codes", "an unknown decoding", "make_code('optimal', 4, decoding='magic')", VE,
     "decoding"),
    ("codes", "a partition that only never-answering workers hold",
     "make_code('optimal', 4, straggler_probs=[1, 1, 1, 0.5], load=1)", VE, "partition"),
    ("codes", "a partition nobody holds",
     "GradientCode(np.eye(3, dtype=bool)[[0, 1, 1]], np.eye(3)[[0, 1, 1]])", VE,
     "partition"),
    ("codes", "NaN coefficients", "GradientCode(np.eye(3, dtype=bool), np.eye(3) * np.nan)",
     VE, "finite"),
    ("codes", "an unknown error proxy", "make_code('optimal', 4).residual_error('l1')", VE,
     "proxy"),
    # -- backends ----------------------------------------------------------------------
    ("backends", "backend='dask' without a Dask client",
     f"{R}(n_workers=2, max_iter=1, backend='dask').fit(X, y)", VE, "Dask client"),
    ("backends", "a Dask client given as an address",
     "DaskBackend(client='tcp://127.0.0.1:8786')", TE, "client"),
    ("backends", "an unknown backend name in a plan", "make_plan(X, y, backend='mpi')", VE,
     "backend"),
    ("backends", "a plan with a negative deadline", "make_plan(X, y, deadline=-1.0)", VE,
     "deadline"),
    ("backends", "a plan with an infinite deadline",
     "make_plan(X, y, stragglers=FixedDelays([0.0] * 8), deadline=np.inf)", VE, "finite"),
    ("codes", "a million workers on 40 samples",
     f"{R}(n_workers=10 ** 6, max_iter=5).fit(X, y)", VE, "n_workers=1000000"),
    ("backends", "a plan with a deadline given as text",
     "make_plan(X, y, stragglers=FixedDelays([0.0] * 8), deadline='soon')", VE,
     "deadline"),
]


def with_value(a, value):
    """A copy of ``a`` with its first entry set to ``value``."""
    a = np.array(a, dtype=float)
    a.flat[0] = value
    return a


def namespace():
    """What the catalogue's expressions see."""
    import skgc
    from skgc import backends, coding, plan, stragglers

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    ns = {"np": np, "sp": sp, "X": X, "y": y, "labels": (y > 0).astype(int),
          "with_value": with_value}
    for module in (skgc, backends, coding, plan, stragglers):
        ns.update({name: getattr(module, name) for name in module.__all__})
    return ns


def _ids():
    return [f"{i:02d}-{category}-{what}" for i, (category, what, *_) in enumerate(CATALOGUE)]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("category, what, code, exception, pattern", CATALOGUE, ids=_ids())
def test_bad_input_raises_a_clear_error(category, what, code, exception, pattern):
    with pytest.raises(exception, match=pattern):
        eval(code, namespace())


def test_catalogue_is_large_and_distinct():
    assert len(CATALOGUE) >= 40
    assert len({code for _, _, code, _, _ in CATALOGUE}) == len(CATALOGUE)
    assert len({what for _, what, *_ in CATALOGUE}) == len(CATALOGUE)


def render_rst():
    """The documentation page listing the catalogue."""
    title = "Bad input: what skgc refuses, and how it says so"
    lines = [
        ".. This page is generated from tests/test_bad_input_catalogue.py (CATALOGUE):",
        "   rewrite it with ``python tests/test_bad_input_catalogue.py``.",
        "",
        ".. _bad-input:",
        "",
        title,
        "=" * len(title),
        "",
        f"Each of these {len(CATALOGUE)} inputs raises an error whose message names what is "
        "wrong; the test suite runs every line (``tests/test_bad_input_catalogue.py``). In "
        "the code column, ``X`` is a 40 x 3 float array, ``y`` a continuous target, "
        "``labels`` two classes and ``with_value(a, v)`` a copy of ``a`` whose first entry "
        "is ``v``. The last column is a regular expression the message matches. A fit that "
        "fails leaves the estimator unfitted (a failed ``partial_fit`` keeps the previous "
        "model).",
        "",
    ]
    headings = {"parameters": "Estimator parameters", "data": "Data",
                "stragglers": "Straggler models", "codes": "Codes",
                "backends": "Backends"}
    number = 0
    for category, heading in headings.items():
        rows = [entry for entry in CATALOGUE if entry[0] == category]
        lines += [heading, "-" * len(heading), "", ".. list-table::", "   :header-rows: 1",
                  "   :widths: 4 26 46 10 14", "", "   * - #", "     - what is wrong",
                  "     - code", "     - error", "     - message matches"]
        for _, what, code, exception, pattern in rows:
            number += 1
            lines += [f"   * - {number}", f"     - {what}", f"     - ``{code}``",
                      f"     - ``{exception.__name__}``", f"     - ``{pattern}``"]
        lines.append("")
    return "\n".join(lines)


def test_docs_page_lists_the_catalogue():
    assert DOC.read_text() == render_rst(), (
        "docs/bad_input.rst is out of date: run python tests/test_bad_input_catalogue.py")


def test_every_category_is_documented():
    assert [c for c, *_ in CATALOGUE if c not in
            ("parameters", "data", "stragglers", "codes", "backends")] == []


if __name__ == "__main__":
    DOC.write_text(render_rst())
    print(f"wrote {DOC} ({len(CATALOGUE)} entries)", file=sys.stderr)
