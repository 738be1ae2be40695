"""What ``skgc codes`` and ``skgc demo`` print: numbers with their meaning next to them."""

import re

import numpy as np
import pytest

import skgc
from skgc.tools._text import number, text_table
from skgc.tools.cli import main

pytestmark = pytest.mark.timeout(120)


def _rows(out, first_cells):
    """The table rows of ``out`` that start with one of ``first_cells``, split on runs of
    two spaces or more."""
    return {line.split("  ")[0].strip(): re.split(r"\s{2,}", line.strip())
            for line in out.splitlines() if line.split("  ")[0].strip() in first_cells}


def test_codes_explains_its_columns_loads_and_zeros(capsys):
    assert main(["codes", "--workers", "20", "--probs", "0.1", "--load", "3"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out, ("ignore", "song_choi", "frc", "optimal", "full"))
    # header: code, decoding, load, max load, error (independent), error (coherent), bias
    assert rows["ignore"][5] == "0"  # coherent error exact to rounding: printed as 0
    assert rows["full"][4:7] == ["0", "0", "0"]
    assert float(rows["optimal"][4]) == pytest.approx(20 * 0.1 / 0.9 / 3, rel=1e-3)
    assert rows["song_choi"][2] == "1.00" and rows["frc"][2] == "3.40"
    assert "song_choi has mean load 1.00, not 3: it chooses its own loads" in out
    assert "frc has mean load 3.40, not 3" in out
    assert "optimal has mean load" not in out
    for word in ("independent:", "coherent:", "bias:", "load:", "(--probs)"):
        assert word in out


def test_codes_names_the_default_straggler_model(capsys):
    assert main(["codes", "--workers", "4", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "(Song & Choi's model, seed 3)" in out.splitlines()[0]
    assert "has mean load" not in out  # no --load asked: no notes


def test_demo_tells_what_it_compares_and_what_it_shows(capsys):
    assert main(["demo", "--iterations", "400"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out, ("GD, no stragglers", "GD, song_choi (paper)", "GD, optimal",
                       "GD, optimal + VR", "skgc defaults", "GD, ignore stragglers"))
    assert len(rows) == 6
    # columns: label, load, iterations to 1e-3, to 1e-4, iterations run, final gap, R^2
    assert rows["GD, no stragglers"][1] == "1.0" and rows["GD, optimal"][1] == "2.0"
    assert rows["GD, optimal"][4] == "400"
    assert int(rows["GD, no stragglers"][2]) < 400
    assert rows["GD, ignore stragglers"][2] == "-"  # biased: it stalls
    assert float(rows["skgc defaults"][5]) < 1e-8 and int(rows["skgc defaults"][4]) < 50
    for r2 in (float(row[-1]) for row in rows.values()):
        assert 0.3 < r2 < 0.4
    # the comparison with the paper's code is stated in words, whichever way it goes
    assert re.search(r"optimal code (reaches|ends) .*the paper's code", out.replace("\n  ", " "))
    for word in ("gap:", "load:", "VR:", "Test R^2 barely moves"):
        assert word in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"skgc {skgc.__version__}"


def test_help_is_plain_text(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "``" not in out and "stragglers" in out


def test_text_helpers():
    assert number(5.2e-31) == "0" and number(-1e-13) == "0" and number(0.5) == "0.5"
    table = text_table(["a", "bb"], [["x", 1.5], ["yyy", 10]])
    assert table.splitlines() == ["a     bb", "---  ---", "x    1.5", "yyy   10"]
    assert np.isclose(float(table.splitlines()[2].split()[-1]), 1.5)
