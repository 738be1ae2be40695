"""``skgc bench``: the quick suite's fastest parts write the tables, numbers and machine facts
(no timing is asserted)."""

import re

import numpy as np
import pytest

from skgc.tools.cli import main
from skgc.tools.benchmarks import FAST, SUITE, codes, paper, vs_sklearn
from skgc.tools.benchmarks._common import fmt, md_table, ratio, spread
from skgc.tools.benchmarks._problems import regression_problem

NUMBER = r"\d+(\.\d+)?(e[-+]\d+)?"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    status = main(["bench", "--quick", "--only", ",".join(FAST), "--out", str(out),
                   "--no-progress"])
    return status, out


def test_quick_run_writes_results(quick_run):
    status, out = quick_run
    assert status == 0
    text = (out / "results.md").read_text()
    for fact in ("machine:", "CPUs", "python", "numpy", "scipy", "scikit-learn", "skgc",
                 "seeds: 0, 1, 2, 3, 4", "--only codes,iteration_cost"):
        assert fact in text
    assert "## Headline figures" in text
    assert text.count("Every ratio in these tables is *this / reference*") == 1
    headlines = text.split("## Headline figures")[1].split("\n## ")[0]
    assert all(line.endswith(".") for line in headlines.splitlines() if line.startswith("- "))
    for name in FAST:
        assert (out / f"results_{name}.md").is_file()
    assert "## Gradient codes: residual error against computation load" in text
    assert "## Simulated iteration cost against one numpy full gradient" in text


def test_quick_run_tables_hold_numbers(quick_run):
    _, out = quick_run
    cost = (out / "results_iteration_cost.md").read_text()
    rows = [line for line in cost.splitlines() if line.startswith("| 20,000 x 100")]
    assert len(rows) == 6  # three loads, plain and control-variate decoding
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        ratio = float(cells[-1])
        assert np.isfinite(ratio) and ratio > 0
    codes = (out / "results_codes.md").read_text()
    assert "| optimal |" in codes and "| song_choi |" in codes
    assert re.search(rf"\| {NUMBER} \| {NUMBER} \|", codes)


def test_plots_written_when_matplotlib_present(quick_run):
    pytest.importorskip("matplotlib")
    _, out = quick_run
    assert (out / "codes.png").stat().st_size > 0
    text = (out / "results.md").read_text()
    assert "![codes](codes.png)\n\n*Expected error of the decoded gradient" in text


def test_unknown_part_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--only", "nonsense"])
    assert "choose from" in capsys.readouterr().err
    assert set(FAST) <= set(SUITE)


def test_paper_comparison_on_a_small_budget():
    problem = regression_problem("diabetes", alpha=paper.ALPHA)
    gaps = paper.run_problem(problem, seeds=(0,), max_iter=20)
    assert set(gaps) == {"iid", "non-iid"}
    for values in gaps.values():
        assert values.shape == (len(paper.SCHEMES), 1, 20)
        assert np.all(values > -1e-8)  # gaps relative to the exact optimum
    # gradient descent does not depend on partitions or straggler draws
    np.testing.assert_allclose(gaps["iid"][0], gaps["non-iid"][0], rtol=1e-8)
    loads = paper.mean_loads(0)
    table = paper.scheme_table(gaps["iid"], (10, 20), loads)
    assert table.count("\n") == len(paper.SCHEMES) + 1
    gap_table, iteration_table, headlines = paper.summary({"diabetes": gaps},
                                                          {"diabetes": (20,)})
    assert "| diabetes | iid | 20 |" in gap_table
    # GD without stragglers does not reach 1e-4 in 20 iterations: said in words
    assert "| diabetes | iid | 20 | not reached |" in iteration_table
    assert len(headlines) == 4
    assert all(h.endswith(".") and "of 2 cases" in h for h in headlines)


def test_paper_plot_has_small_multiples(tmp_path):
    pytest.importorskip("matplotlib")
    gaps = np.full((len(paper.SCHEMES), 1, 30), 1e-3)
    gaps[-1, :, 10:] = -1e-16  # zero to rounding: drawn at the floor, not dropped
    path = paper.plot("toy", {"iid": gaps, "non-iid": gaps}, tmp_path / "toy.png")
    assert path.stat().st_size > 0


def test_codes_plot_folds_coinciding_curves():
    curve = {"optimal": [(10, 1.0, 0, 2.0), (20, 0.5, 0, 1.0)],
             "frc": [(10, 0.3, 0, 0.3), (20, 1e-30, 0, 0.0)],
             "erasurehead": [(10, 0.3001, 0, 0.3), (20, 0.0, 0, 0.0)],
             "sgc": [(10, 1.0, 0, 2.0), (20, 0.5, 0, 1.0)]}
    merged = codes._merged(curve, ("frc", "erasurehead", "sgc"))
    assert [label for label, _ in merged] == ["optimal = sgc", "frc = erasurehead"]
    assert codes._floor(curve) == pytest.approx(0.01)  # a decade below 0.3, rounded down
    assert codes._floor({"optimal": curve["optimal"]}) is None


def test_vs_sklearn_case_rows():
    rows = vs_sklearn.run_case("regression", 400, 5, None, seed=0, quick=True)
    names = [row[0] for row in rows]
    assert names[0].startswith("exact") and "SGD (defaults)" in names
    assert "skgc (defaults)" in names and "SGD (tuned)" in names
    for name, seconds, score, gap, *_ in rows:
        assert seconds >= 0 and np.isfinite(score)
        assert np.isnan(gap) or gap > -1e-6


def test_markdown_helpers():
    assert spread([1.0, 2.0, 3.0], ".0f") == "2 [1, 3]"
    assert spread([4.0, 4.0], ".0f") == "4"
    assert spread([1.0, np.inf], ".0f", "not reached") == "1 (1 of 2 seeds not reached)"
    assert spread([np.inf]) == "n/a"
    assert spread([-1e-16, 1e-3], ".1g", zero=1e-12) == "0.0005 [0, 0.001]"
    assert fmt(3e-31, zero=1e-12) == "0" and fmt(np.nan) == "n/a"
    assert ratio(1.0, 4.0) == "0.25" and ratio(1.0, 0.0) == "n/a"
    assert ratio(1e-20, 1.0, zero=1e-12) == "0" and ratio(1.0, 1e-20, zero=1e-12) == "n/a"
    assert md_table(["a", "b"], [[1, 2]]).splitlines()[1] == "| --- | ---: |"


def test_standard_sets_case_reports_a_fitted_default():
    """One set's row: both fits timed, skgc's default converged without a warning and
    scores about as well as SGD on diabetes."""
    from sklearn.datasets import load_diabetes

    from skgc.tools.benchmarks.standard_sets import run_case

    seconds, sgd_seconds, score, sgd_score, n_iter, warned = run_case(load_diabetes, None,
                                                                      quick=True)
    assert seconds > 0 and sgd_seconds > 0
    assert not warned and 1 <= n_iter < 10
    assert score >= sgd_score - 0.01
