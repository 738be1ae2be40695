"""Markdown output shared by the standalone benchmark scripts of this folder."""

import os


def write_report(intro, header, rows, out, filename):
    """Print ``intro`` and a markdown table of ``rows``; also write it to ``out/filename``."""
    lines = ["| " + " | ".join(map(str, header)) + " |",
             "|---|" + "---:|" * (len(header) - 1)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in rows]
    text = intro + "\n\n" + "\n".join(lines)
    print(text)
    if out:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, filename), "w") as f:
            f.write(text + "\n")
    return text
