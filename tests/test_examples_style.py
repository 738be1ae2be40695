"""The gallery's code lines fit the rendered code blocks (no line cut at the right edge)."""

from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))
MAX_CODE_LINE = 79


def code_lines(text):
    """(line number, line) of the code of a sphinx-gallery script: not its docstring, not
    the comment blocks after ``# %%`` that render as text."""
    lines = text.splitlines()
    in_docstring, in_text = lines[0].startswith('"""'), False
    if in_docstring and lines[0].count('"""') == 2:
        in_docstring = False
    for number, line in enumerate(lines[1:], 2):
        stripped = line.strip()
        if in_docstring:
            in_docstring = '"""' not in stripped
            continue
        if stripped.startswith("# %%"):
            in_text = True
            continue
        if in_text and stripped.startswith("#"):
            continue
        in_text = False
        yield number, line


def test_code_lines_are_found():
    lines = dict(code_lines('"""Doc\n\nmore doc."""\nx = 1\n# %%\n# text\ny = 2  # note\n'))
    assert lines == {4: "x = 1", 7: "y = 2  # note"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_code_lines_are_short(path):
    long = [f"{path.name}:{n}" for n, line in code_lines(path.read_text())
            if len(line) > MAX_CODE_LINE]
    assert long == []
