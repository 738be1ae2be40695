"""What every benchmark of the suite shares: settings, progress, markdown, machine facts."""

import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Settings", "Section", "progress", "md_table", "machine_lines", "fmt", "ratio",
           "spread", "pyplot", "save_with_caption", "NOT_APPLICABLE", "RATIO_CONVENTION"]

#: Stated once at the top of every report; every table follows it.
RATIO_CONVENTION = (
    "Every ratio in these tables is *this / reference*, the reference named in the column "
    "header: below 1 means fewer iterations, less time, a smaller gap or a smaller error "
    "than the reference, above 1 more. 'n/a': the number does not apply (the reference is "
    "zero, or the row was not measured that way); 'not reached': the target was not met "
    "in the budget. Gaps and errors zero to rounding are printed as 0.")


@dataclass
class Settings:
    """One run of the suite.

    Attributes
    ----------
    quick : bool
        Small sizes, few seeds and repeats (the whole suite in about two minutes).
    out : pathlib.Path or None
        Where PNG plots go (None: no plots).
    seeds : tuple of int
        Seeds of the repeated runs (straggler draws, partition shuffles, code constructions).
    show_progress : bool
        Draw a progress bar on stderr.
    """

    quick: bool = False
    out: Path = None
    seeds: tuple = (0, 1, 2, 3, 4)
    show_progress: bool = True


@dataclass
class Section:
    """What one benchmark returns: markdown text, PNG files written (with their captions)
    and headline sentences."""

    name: str
    markdown: str
    plots: list = field(default_factory=list)
    headlines: list = field(default_factory=list)
    seconds: float = 0.0
    #: plot path -> one sentence saying what to look at in it
    captions: dict = field(default_factory=dict)


class _Counter:
    """A minimal progress counter on stderr, for when tqdm is not installed."""

    def __init__(self, total, desc, disable):
        self.total, self.desc, self.disable, self.n = total, desc, disable, 0
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self._shown = -1
        self._draw()

    def _draw(self, end=""):
        if self.disable:
            return
        if not self.tty:  # a log: one line per tenth of the way
            tenth = 10 * self.n // max(self.total, 1)
            if tenth == self._shown and not end:
                return
            self._shown, end = tenth, "\n"
        elapsed = time.perf_counter() - self.start
        sys.stderr.write(f"{'' if end == chr(10) and not self.tty else chr(13)}{self.desc}: "
                         f"{self.n}/{self.total} [{elapsed:.0f}s]{end}")
        sys.stderr.flush()

    def update(self, n=1):
        self.n += n
        self._draw()

    def set_postfix_str(self, text):
        pass

    def close(self):
        if self.tty:
            self._draw("\n")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def progress(total, desc, enabled=True):
    """A progress bar over ``total`` steps: tqdm when installed, else a stderr counter."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Counter(total, desc, disable=not enabled)
    return tqdm(total=total, desc=desc, disable=not enabled, leave=True, file=sys.stderr)


def md_table(header, rows, align=None):
    """A markdown pipe table; ``align``: one of "l", "r", "c" per column (default: left
    for the first column, right for the others)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = {"l": "---", "r": "---:", "c": ":---:"}
    lines = ["| " + " | ".join(map(str, header)) + " |",
             "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    return "\n".join(lines)


NOT_APPLICABLE = "n/a"


def _zero(value, zero):
    return zero is not None and abs(value) < zero


def fmt(value, spec=".3g", missing=NOT_APPLICABLE, zero=None):
    """``value`` formatted; ``missing`` for None, nan and inf; ``0`` when its magnitude is
    below ``zero`` (zero to rounding)."""
    if value is None or not np.isfinite(value):
        return missing
    return "0" if _zero(value, zero) else format(value, spec)


def ratio(ours, theirs, spec=".2f", missing=NOT_APPLICABLE, zero=None):
    """``ours / theirs`` formatted; ``missing`` when either is missing or ``theirs`` is 0
    (below ``zero``); ``0`` when ``ours`` is (below ``zero``) and ``theirs`` is not."""
    if ours is None or theirs is None or not np.isfinite(ours) or not np.isfinite(theirs) \
            or theirs == 0 or _zero(theirs, zero):
        return missing
    return "0" if _zero(ours, zero) else format(ours / theirs, spec)


def spread(values, spec=".3g", missing=NOT_APPLICABLE, zero=None):
    """``median [min, max]`` of the finite values (one number when they are all equal);
    ``missing`` when none is finite, and the count of missing ones when some are."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if not len(finite):
        return missing
    cells = [fmt(v, spec, zero=zero) for v in (np.median(finite), finite.min(), finite.max())]
    text = cells[0] if len(set(cells)) == 1 else f"{cells[0]} [{cells[1]}, {cells[2]}]"
    if len(finite) < len(values):
        text += f" ({len(values) - len(finite)} of {len(values)} seeds {missing})"
    return text


def machine_lines(settings):
    """Markdown bullet lines: machine, versions, seeds."""
    import joblib
    import scipy
    import sklearn

    import skgc

    cpu = platform.processor() or platform.machine()
    lines = [
        f"- machine: {platform.platform()}, {cpu}, {os.cpu_count()} CPUs",
        f"- versions: python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"joblib {joblib.__version__}, skgc {skgc.__version__}",
        f"- seeds: {', '.join(map(str, settings.seeds))}"
        f"{' (quick run)' if settings.quick else ''}",
    ]
    try:
        import dask

        lines[1] += f", dask {dask.__version__}"
    except ImportError:
        pass
    return lines


def save_with_caption(fig, path, caption):
    """Write ``fig`` to ``path`` with ``caption`` in small type under it; close it."""
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.text(0.5, 0.01, caption, ha="center", fontsize=8, wrap=True)
    fig.savefig(path, dpi=100)
    fig.clf()
    return path


def pyplot():
    """``matplotlib.pyplot`` with the Agg backend, or None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt
