"""Bad command-line arguments: one argparse error line and exit status 2, no traceback."""

import pytest

from skgc.tools.cli import main

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("argv, says", [
    (["codes", "--workers", "0"], "--workers: must be a positive integer"),
    (["codes", "--workers", "-3"], "--workers: must be a positive integer"),
    (["codes", "--workers", "many"], "--workers: must be a positive integer"),
    (["codes", "--probs", "1.5"], "--probs: must be a probability in [0, 1]"),
    (["codes", "--probs", "nan"], "--probs: must be a probability in [0, 1]"),
    (["codes", "--probs", "1"], "every worker always straggles"),
    (["codes", "--workers", "3", "--probs", "1", "1", "1"], "every worker always straggles"),
    (["codes", "--partitions", "0"], "--partitions: must be a positive integer"),
    (["codes", "--load", "100"], "--load 100 is more than the 10 partitions"),
    (["codes", "--load", "0"], "--load: must be a positive integer"),
    (["bench", "--out", "/proc/x"], "--out /proc/x: cannot create the directory"),
    (["demo", "--workers", "400"], "--workers 400 is more than the 331 training samples"),
    (["demo", "--alpha", "-1"], "--alpha: must be a positive number"),
    (["demo", "--iterations", "0"], "--iterations: must be a positive integer"),
])
def test_bad_arguments_are_one_usage_error(argv, says, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"skgc {argv[0]}: error: ") and says in last

