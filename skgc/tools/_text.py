"""Plain-text output of the command line: aligned tables and numbers."""

__all__ = ["text_table", "number"]

#: Smaller than this is zero to rounding (errors are in units of one partition gradient's
#: squared norm, and exact decodings leave about 1e-30).
ROUNDING = 1e-12


def number(value, spec=".3g"):
    """``value`` formatted, ``0`` when it is zero to rounding."""
    return "0" if abs(value) < ROUNDING else format(value, spec)


def text_table(header, rows, align=None):
    """Columns aligned for a terminal, a rule under the header; ``align``: "l" or "r" per
    column (default: the first to the left, the others to the right)."""
    align = align or "l" + "r" * (len(header) - 1)
    cells = [list(map(str, header))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        return "  ".join(cell.ljust(w) if a == "l" else cell.rjust(w)
                         for cell, w, a in zip(row, widths, align)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule] + [line(row) for row in cells[1:]])
