"""The catalogue of bad inputs: each raises a clear error naming what is wrong.

One table, ``CATALOGUE``, drives the tests and the documentation page ``docs/bad_input.rst``
(a test checks the page equals :func:`render_rst`). After changing the table, rewrite the
page with ``python tests/test_bad_input_catalogue.py``.

Each entry is ``(category, what is wrong, call, exception, pattern)``: ``call`` is a lambda
whose body is the bad input, written against the names imported here (so renames reach it);
calling it must raise ``exception`` with a message matching ``pattern`` (``re.search``).
The page shows each lambda's body as it is written in this file (:func:`code_text`).
"""

import ast
import re
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from skgc import CodedGradientClassifier, CodedGradientRegressor
from skgc.backends import DaskBackend, LokyBackend
from skgc.coding import GradientCode, make_code
from skgc.plan import make_plan
from skgc.stragglers import (
    BernoulliStragglers,
    FixedDelays,
    Pareto,
    ShiftedExponential,
    TraceDelays,
    paper_model,
    replay_from_history,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad_input.rst"


def with_value(a, value):
    """A copy of ``a`` with its first entry set to ``value``."""
    a = np.array(a, dtype=float)
    a.flat[0] = value
    return a


def _read_only(a):
    a.setflags(write=False)
    return a


# Shared by every entry, so read-only: no entry can change what the others see.
X = _read_only(np.random.default_rng(0).normal(size=(40, 3)))
y = _read_only(X @ np.array([1.0, -2.0, 0.5]))
labels = _read_only((y > 0).astype(int))

VE, TE = ValueError, TypeError

CATALOGUE = [
    # -- estimator parameters --------------------------------------------------------
    ("parameters", "a probability above 1",
     lambda: CodedGradientRegressor(stragglers=1.5).fit(X, y), VE, "stragglers"),
    ("parameters", "NaN among the probabilities",
     lambda: CodedGradientRegressor(n_workers=4, stragglers=[0.1, np.nan, 0.1, 0.1]).fit(X, y),
     VE, "stragglers"),
    ("parameters", "a negative probability",
     lambda: CodedGradientRegressor(n_workers=4, stragglers=[0.1, -0.1, 0.1, 0.1]).fit(X, y),
     VE, "stragglers"),
    ("parameters", "one probability per worker, wrong count",
     lambda: CodedGradientRegressor(n_workers=4, stragglers=[0.1, 0.2]).fit(X, y),
     VE, "stragglers"),
    ("parameters", "every worker always straggles",
     lambda: CodedGradientRegressor(n_workers=4, stragglers=np.ones(4)).fit(X, y),
     VE, "stragglers"),
    ("parameters", "probabilities as a 2-D array",
     lambda: CodedGradientRegressor(n_workers=4, stragglers=np.full((4, 2), 0.1)).fit(X, y),
     VE, "stragglers"),
    ("parameters", "a string as stragglers",
     lambda: CodedGradientRegressor(stragglers='slow').fit(X, y), VE, "stragglers"),
    ("parameters", "a straggler model for another number of workers",
     lambda: CodedGradientRegressor(n_workers=8, stragglers=paper_model(5)).fit(X, y),
     VE, "stragglers"),
    ("parameters", "a load above the number of partitions",
     lambda: CodedGradientRegressor(load=9).fit(X, y), VE, "load"),
    ("parameters", "per-worker loads, wrong count",
     lambda: CodedGradientRegressor(load=[1, 2]).fit(X, y), VE, "load"),
    ("parameters", "a zero load", lambda: CodedGradientRegressor(load=0).fit(X, y), VE, "load"),
    ("parameters", "a fractional load",
     lambda: CodedGradientRegressor(load=1.5).fit(X, y), VE, "load"),
    ("parameters", "more partitions than samples",
     lambda: CodedGradientRegressor(n_partitions=41).fit(X, y), VE, "n_partitions"),
    ("parameters", "zero partitions",
     lambda: CodedGradientRegressor(n_partitions=0).fit(X, y), VE, "n_partitions"),
    ("parameters", "an unknown code",
     lambda: CodedGradientRegressor(code='nope').fit(X, y), VE, "code"),
    ("parameters", "a code object for another number of workers",
     lambda: CodedGradientRegressor(n_workers=8, code=make_code('optimal', 4)).fit(X, y),
     VE, "n_workers"),
    ("parameters", "zero workers",
     lambda: CodedGradientRegressor(n_workers=0).fit(X, y), VE, "n_workers"),
    ("parameters", "a fractional number of workers",
     lambda: CodedGradientRegressor(n_workers=2.5).fit(X, y), VE, "n_workers"),
    ("parameters", "an unknown backend",
     lambda: CodedGradientRegressor(backend='mpi').fit(X, y), VE, "backend"),
    ("parameters", "a backend class instead of an instance",
     lambda: CodedGradientRegressor(backend=LokyBackend).fit(X, y), VE, "backend"),
    ("parameters", "a negative deadline",
     lambda: CodedGradientRegressor(deadline=-1.0).fit(X, y), VE, "deadline"),
    ("parameters", "a deadline given as text",
     lambda: CodedGradientRegressor(deadline='soon').fit(X, y), VE, "deadline"),
    ("parameters", "an unknown learning rate",
     lambda: CodedGradientRegressor(learning_rate='fast').fit(X, y), VE, "learning_rate"),
    ("parameters", "learning_rate='optimal' without regularisation",
     lambda: CodedGradientRegressor(learning_rate='optimal', alpha=0.0).fit(X, y), VE, "alpha"),
    ("parameters", "a zero eta0",
     lambda: CodedGradientRegressor(eta0=0.0).fit(X, y), VE, "eta0"),
    ("parameters", "a negative alpha",
     lambda: CodedGradientRegressor(alpha=-1.0).fit(X, y), VE, "alpha"),
    ("parameters", "l1_ratio above 1",
     lambda: CodedGradientRegressor(penalty='elasticnet', l1_ratio=1.5).fit(X, y),
     VE, "l1_ratio"),
    ("parameters", "an unknown penalty",
     lambda: CodedGradientRegressor(penalty='l3').fit(X, y), VE, "penalty"),
    ("parameters", "a classification loss in the regressor",
     lambda: CodedGradientRegressor(loss='hinge').fit(X, y), VE, "loss"),
    ("parameters", "an unknown classification loss",
     lambda: CodedGradientClassifier(loss='nope').fit(X, labels), VE, "loss"),
    ("parameters", "zero iterations",
     lambda: CodedGradientRegressor(max_iter=0).fit(X, y), VE, "max_iter"),
    ("parameters", "a negative tolerance",
     lambda: CodedGradientRegressor(tol=-1.0).fit(X, y), VE, "tol"),
    ("parameters", "n_iter_no_change of 0",
     lambda: CodedGradientRegressor(n_iter_no_change=0).fit(X, y), VE, "n_iter_no_change"),
    ("parameters", "validation_fraction of 1",
     lambda: CodedGradientRegressor(early_stopping=True, validation_fraction=1.0).fit(X, y),
     VE, "validation_fraction"),
    ("parameters", "too few samples to validate on",
     lambda: CodedGradientRegressor(early_stopping=True, validation_fraction=0.01).fit(X, y),
     VE, "validation"),
    ("parameters", "a negative average",
     lambda: CodedGradientRegressor(average=-1).fit(X, y), VE, "average"),
    ("parameters", "a negative epsilon",
     lambda: CodedGradientRegressor(loss='huber', epsilon=-0.1).fit(X, y), VE, "epsilon"),
    ("parameters", "fit_intercept given as text",
     lambda: CodedGradientRegressor(fit_intercept='yes').fit(X, y), VE, "fit_intercept"),
    ("parameters", "an unusable random_state",
     lambda: CodedGradientRegressor(random_state='seed').fit(X, y), VE, "random_state"),
    ("parameters", "an unknown class_weight",
     lambda: CodedGradientClassifier(class_weight='auto').fit(X, labels), VE, "class_weight"),
    ("parameters", "class_weight='balanced' with partial_fit",
     lambda: CodedGradientClassifier(class_weight='balanced').partial_fit(
         X, labels, classes=[0, 1]),
     VE, "balanced"),
    # -- data ------------------------------------------------------------------------
    ("data", "NaN in X",
     lambda: CodedGradientRegressor().fit(with_value(X, np.nan), y), VE, "NaN"),
    ("data", "infinity in X",
     lambda: CodedGradientRegressor().fit(with_value(X, np.inf), y), VE, "infinity"),
    ("data", "NaN in y",
     lambda: CodedGradientRegressor().fit(X, with_value(y, np.nan)), VE, "NaN"),
    ("data", "infinity in a sparse X",
     lambda: CodedGradientRegressor().fit(sp.csr_matrix(with_value(X, np.inf)), y),
     VE, "infinity"),
    ("data", "a 1-D X", lambda: CodedGradientRegressor().fit(X[:, 0], y), VE, "2D array"),
    ("data", "no samples", lambda: CodedGradientRegressor().fit(X[:0], y[:0]), VE, "0 sample"),
    ("data", "X and y of different lengths",
     lambda: CodedGradientRegressor().fit(X, y[:-1]), VE, "inconsistent numbers of samples"),
    ("data", "complex X", lambda: CodedGradientRegressor().fit(X + 1j, y), VE, "[Cc]omplex"),
    ("data", "text in X",
     lambda: CodedGradientRegressor().fit(X.astype(str).astype(object) + 'a', y),
     VE, "convert|string"),
    ("data", "a 2-D y in the regressor",
     lambda: CodedGradientRegressor().fit(X, np.c_[y, y]), VE, "1d array|1-D"),
    ("data", "continuous targets in the classifier",
     lambda: CodedGradientClassifier().fit(X, y), VE, "Unknown label type"),
    ("data", "a single class",
     lambda: CodedGradientClassifier().fit(X, np.zeros(len(X))), VE, "class"),
    ("data", "sample weights summing to zero",
     lambda: CodedGradientRegressor().fit(X, y, sample_weight=np.zeros(len(X))),
     VE, "[Ss]ample.weight"),
    ("data", "negative sample weights",
     lambda: CodedGradientRegressor().fit(X, y, sample_weight=-np.ones(len(X))),
     VE, "[Nn]egative"),
    ("data", "sample weights, wrong length",
     lambda: CodedGradientRegressor().fit(X, y, sample_weight=np.ones(3)), VE, "sample_weight"),
    ("data", "coef_init of the wrong shape",
     lambda: CodedGradientRegressor().fit(X, y, coef_init=np.zeros(2)), VE, "coef_init"),
    ("data", "NaN in coef_init",
     lambda: CodedGradientRegressor().fit(X, y, coef_init=[np.nan, 0.0, 0.0]),
     VE, "coef_init must be finite"),
    ("data", "an infinite intercept_init",
     lambda: CodedGradientRegressor().fit(X, y, intercept_init=[np.inf]),
     VE, "intercept_init must be finite"),
    ("data", "intercept_init of the wrong shape",
     lambda: CodedGradientRegressor().fit(X, y, intercept_init=np.zeros(2)),
     VE, "intercept_init"),
    ("data", "the first partial_fit without classes",
     lambda: CodedGradientClassifier().partial_fit(X, labels), VE, "classes"),
    ("data", "a label outside the declared classes",
     lambda: CodedGradientClassifier().partial_fit(X, labels + 5, classes=[0, 1]),
     VE, "classes"),
    ("data", "predict with another number of features",
     lambda: CodedGradientRegressor(max_iter=2).fit(X, y).predict(X[:, :2]), VE, "features"),
    ("data", "predict before fit",
     lambda: CodedGradientRegressor().predict(X), VE, "not fitted"),
    # -- straggler models --------------------------------------------------------------
    ("stragglers", "a straggler that is not slower",
     lambda: BernoulliStragglers([0.1, 0.2], slowdown=0.5), VE, "slowdown"),
    ("stragglers", "a zero time per iteration",
     lambda: BernoulliStragglers([0.1, 0.2], time_per_iteration=0.0), VE, "time_per_iteration"),
    ("stragglers", "a normalised deadline of 1 in the paper's model",
     lambda: paper_model(4, z=1.0), VE, "z"),
    ("stragglers", "an empty range of rates",
     lambda: paper_model(4, low=2.0, high=1.0), VE, "low"),
    ("stragglers", "scalar delays without n_workers",
     lambda: ShiftedExponential(0.1, 2.0), VE, "n_workers"),
    ("stragglers", "a zero rate",
     lambda: ShiftedExponential(0.1, 0.0, n_workers=4), VE, "rate"),
    ("stragglers", "a negative shift",
     lambda: ShiftedExponential(-0.1, 2.0, n_workers=4), VE, "shift"),
    ("stragglers", "per-worker arrays of different lengths",
     lambda: ShiftedExponential([0.1, 0.1], [1.0, 1.0, 1.0]), VE, "different lengths"),
    ("stragglers", "a zero Pareto scale", lambda: Pareto(0.0, 2.0, n_workers=4), VE, "scale"),
    ("stragglers", "a negative Pareto shape",
     lambda: Pareto(0.1, -1.0, n_workers=4), VE, "shape"),
    ("stragglers", "a negative fixed delay",
     lambda: FixedDelays([0.1, -1.0]), VE, "seconds_per_worker"),
    ("stragglers", "a 1-D trace", lambda: TraceDelays([0.1, 0.2]), VE, "trace"),
    ("stragglers", "a negative delay in a trace",
     lambda: TraceDelays([[0.1, -0.2]]), VE, "trace"),
    ("stragglers", "replaying a history that recorded nobody",
     lambda: replay_from_history({'alive': np.array([-1, -1])}, 4), VE, "alive"),
    ("stragglers", "replaying with too few workers",
     lambda: replay_from_history({'alive': np.array([0b1111])}, 2), VE, "n_workers"),
    ("stragglers", "replaying a record that is not boolean",
     lambda: replay_from_history({'alive': np.array([[1.0, 1.5, 0.0, 1.0]])}, 4),
     VE, "booleans"),
    ("stragglers", "replaying fractional bitmasks",
     lambda: replay_from_history({'alive': np.array([1.5, 3.0])}, 4), VE, "boolean"),
    ("stragglers", "an infinite shift",
     lambda: ShiftedExponential(np.inf, 1.0, n_workers=4), VE, "shift must be finite"),
    ("stragglers", "an infinite Pareto scale",
     lambda: Pareto(np.inf, 2.0, n_workers=4), VE, "scale must be finite"),
    ("stragglers", "an automatic deadline when no worker ever answers",
     lambda: CodedGradientRegressor(
         n_workers=4, stragglers=FixedDelays([np.inf] * 4)).fit(X, y),
     VE, "no worker ever answers"),
    ("stragglers", "an automatic deadline when a trace never answers",
     lambda: CodedGradientRegressor(
         n_workers=4, stragglers=TraceDelays(np.full((4, 5), np.inf)),
         backend='threading').fit(X, y),
     VE, "no worker ever answers"),
    # -- codes -----------------------------------------------------------------------
    ("codes", "an unknown code name", lambda: make_code('nope', 4), VE, "code name"),
    ("codes", "unequal loads for a repetition code",
     lambda: make_code('frc', 4, load=[1, 2, 2, 2]), VE, "same load"),
    ("codes", "min_load allocation without a target",
     lambda: make_code('optimal', 4, allocation='min_load'), VE, "target_error"),
    ("codes", "an allocation strategy for another code",
     lambda: make_code('sgc', 4, allocation='greedy'), VE, "optimal"),
    ("codes", "an unknown decoding",
     lambda: make_code('optimal', 4, decoding='magic'), VE, "decoding"),
    ("codes", "a partition that only never-answering workers hold",
     lambda: make_code('optimal', 4, straggler_probs=[1, 1, 1, 0.5], load=1), VE, "partition"),
    ("codes", "a partition nobody holds",
     lambda: GradientCode(np.eye(3, dtype=bool)[[0, 1, 1]], np.eye(3)[[0, 1, 1]]),
     VE, "partition"),
    ("codes", "NaN coefficients",
     lambda: GradientCode(np.eye(3, dtype=bool), np.eye(3) * np.nan), VE, "finite"),
    ("codes", "an unknown error proxy",
     lambda: make_code('optimal', 4).residual_error('l1'), VE, "proxy"),
    # -- backends ----------------------------------------------------------------------
    ("backends", "backend='dask' without a Dask client",
     lambda: CodedGradientRegressor(n_workers=2, max_iter=1, backend='dask').fit(X, y),
     VE, "Dask client"),
    ("backends", "a Dask client given as an address",
     lambda: DaskBackend(client='tcp://127.0.0.1:8786'), TE, "client"),
    ("backends", "an unknown backend name in a plan",
     lambda: make_plan(X, y, backend='mpi'), VE, "backend"),
    ("backends", "a plan with a negative deadline",
     lambda: make_plan(X, y, deadline=-1.0), VE, "deadline"),
    ("backends", "a plan with an infinite deadline",
     lambda: make_plan(X, y, stragglers=FixedDelays([0.0] * 8), deadline=np.inf), VE, "finite"),
    ("codes", "a million workers on 40 samples",
     lambda: CodedGradientRegressor(n_workers=10 ** 6, max_iter=5).fit(X, y),
     VE, "n_workers=1000000"),
    ("backends", "a plan with a deadline given as text",
     lambda: make_plan(X, y, stragglers=FixedDelays([0.0] * 8), deadline='soon'),
     VE, "deadline"),

]


@cache
def _lambdas_by_line():
    """Each lambda of this file, by the line it starts on."""
    source = Path(__file__).read_text()
    by_line = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Lambda):
            body = ast.get_source_segment(source, node.body)
            by_line.setdefault(node.lineno, []).append(body)
    return by_line


def code_text(call):
    """The body of the lambda ``call`` as written in this file, on one line.

    Line breaks inside brackets are dropped next to the bracket and become one space
    elsewhere, as the expression reads on one line.
    """
    bodies = _lambdas_by_line()[call.__code__.co_firstlineno]
    if len(bodies) != 1:
        raise ValueError(f"line {call.__code__.co_firstlineno} must hold exactly one lambda; "
                         f"it holds {len(bodies)}.")
    text = re.sub(r"(?<=[(\[{])\s*\n\s*|\s*\n\s*(?=[)\]}])", "", bodies[0])
    return re.sub(r"\s*\n\s*", " ", text)


def _ids():
    return [f"{i:02d}-{category}-{what}" for i, (category, what, *_) in enumerate(CATALOGUE)]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("category, what, call, exception, pattern", CATALOGUE, ids=_ids())
def test_bad_input_raises_a_clear_error(category, what, call, exception, pattern):
    with pytest.raises(exception, match=pattern):
        call()


def test_catalogue_is_large_and_distinct():
    assert len(CATALOGUE) >= 40
    assert len({code_text(call) for _, _, call, _, _ in CATALOGUE}) == len(CATALOGUE)
    assert len({what for _, what, *_ in CATALOGUE}) == len(CATALOGUE)


def test_code_text_is_the_lambda_body_on_one_line():
    written_over_lines = [
        lambda: make_code(
            'optimal', 4,
            load=2).residual_error(
                'independent'),
    ]
    expected = "make_code('optimal', 4, load=2).residual_error('independent')"
    assert code_text(written_over_lines[0]) == expected


def test_code_text_refuses_two_lambdas_on_one_line():
    first, _ = (lambda: X), (lambda: y)
    with pytest.raises(ValueError, match="exactly one lambda"):
        code_text(first)


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
        for _, what, call, exception, pattern in rows:
            number += 1
            lines += [f"   * - {number}", f"     - {what}", f"     - ``{code_text(call)}``",
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
