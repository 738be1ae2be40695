"""Sphinx configuration for skgc.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (install ``.[docs]`` first).
Set ``SKGC_EXAMPLES_FAST=1`` to run the gallery's examples on small data.

At build time this file writes (never commit them; ``.gitignore`` covers them):

* ``generated/api/<module>.rst``: one API page per public module, listing every name in the
  module's ``__all__``, so new codes, straggler models and backends appear by themselves;
* ``generated/benchmarks.inc``: the benchmark scripts' descriptions and, when present, the
  markdown tables and PNG plots they wrote to ``benchmarks/results/``.
"""

import ast
import importlib
import inspect
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "sphinxext"))

import skgc  # noqa: E402

project = "skgc"
author = "the skgc developers"
copyright = "2026, the skgc developers"
release = skgc.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc ------------------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing methods (``set_*_request``)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)

# -- intersphinx: no network in CI, so only local inventories (none by default) ------------

intersphinx_mapping = {}

# -- HTML ---------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skgc {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # the gallery's pages get the whole width for their code and figures
    "secondary_sidebar_items": {
        pattern: ["page-toc", "sourcelink"] for pattern in ("*", "user_guide/*", "generated/**")
    } | {"auto_examples/*": []},
}
html_static_path = []
html_show_sourcelink = False

# -- plot directive (figures made at build time, never committed) -------------------------

plot_basedir = str(HERE)
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": True}

# -- sphinx-gallery ---------------------------------------------------------------------


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "skgc_gallery_order.ExampleOrder",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("skgc",),
    "reference_url": {"skgc": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "default_thumb_file": None,
    "min_reported_time": 1,
}

# -- generated sources -----------------------------------------------------------------

API_MODULES = [
    ("skgc", "Estimators and helpers",
     "The scikit-learn estimators, drop-ins for ``SGDRegressor`` and ``SGDClassifier``."),
    ("skgc.plotting", "Plotting", None),
    ("skgc.coding", "Gradient codes", None),
    ("skgc.stragglers", "Straggler models", None),
    ("skgc.plan", "The plan of a fit", None),
    ("skgc.master", "The master", None),
    ("skgc.backends", "Execution backends (the transport)", None),
    ("skgc.deadline", "Choosing the deadline", None),
    ("skgc.solver", "Solver", None),
    ("skgc.objective", "Objective", None),
]


def _kind(obj):
    if inspect.isclass(obj):
        return "Classes"
    if callable(obj):
        return "Functions"
    return "Constants"


def write_api_pages(out_dir):
    """One page per module: its docstring and an autosummary of its ``__all__``."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    for name, title, intro in API_MODULES:
        module = importlib.import_module(name)
        public = [n for n in getattr(module, "__all__", []) if not n.startswith("_")]
        groups = {"Classes": [], "Functions": [], "Constants": []}
        for member in public:
            groups[_kind(getattr(module, member))].append(member)
        heading = f"``{name}``: {title}"
        lines = [f".. _api-{name}:", "", heading, "=" * len(heading), "",
                 f".. automodule:: {name}", "   :no-members:", ""]
        if intro:
            lines += [intro, ""]
        lines += [f".. currentmodule:: {name}", ""]
        for group, members in groups.items():
            if not members:
                continue
            lines += [group, "-" * len(group), "", ".. autosummary::", "   :toctree: .",
                      "   :nosignatures:", ""]
            if group == "Classes":
                lines.insert(-2, "   :template: class.rst")
            lines += [f"   {m}" for m in members] + [""]
        (out_dir / f"{name}.rst").write_text("\n".join(lines))


def _md_table_to_rst(rows):
    """A markdown pipe table (list of lines) as an rst list-table."""
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    cells = [r for r in cells if not all(re.fullmatch(r":?-{3,}:?", c) for c in r)]
    width = max(len(r) for r in cells)
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in cells:
        row = row + [""] * (width - len(row))
        out.append(f"   * - {row[0] or ' '}")
        out += [f"     - {c or ' '}" for c in row[1:]]
    return out + [""]


def _image_to_rst(match, source_dir, images_dir):
    """A markdown image of ``source_dir`` as an rst image, the file copied to
    ``images_dir``."""
    png = source_dir / match.group(2)
    if not png.is_file():
        return [f"(plot {match.group(2)} missing)", ""]
    images_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, images_dir / png.name)
    rel = (images_dir / png.name).relative_to(HERE).as_posix()
    return [f".. image:: /{rel}", f"   :alt: {match.group(1)}", ""]


def markdown_to_rst(text, source_dir=None, images_dir=None):
    """The little markdown the benchmarks write: headings, pipe tables, paragraphs and
    images (``![alt](file.png)``, with ``source_dir`` and ``images_dir``)."""
    out, table = [], []
    for line in text.splitlines() + [""]:
        image = re.match(r"^!\[(.*)\]\((.*)\)$", line.strip())
        if image and source_dir is not None:
            out += _image_to_rst(image, source_dir, images_dir)
            continue
        if line.lstrip().startswith("|"):
            table.append(line)
            continue
        if table:
            out += _md_table_to_rst(table)
            table = []
        heading = re.match(r"^(#+)\s+(.*)", line)
        if heading:
            title = heading.group(2).strip()
            out += ["", f"**{title}**", ""]
        else:
            out.append(line)
    return "\n".join(out)


def write_benchmarks_include(path, images_dir):
    """Describe ``benchmarks/bench_*.py`` and include their results when present."""
    bench_dir = ROOT / "benchmarks"
    results = bench_dir / "results"
    lines = []
    for script in sorted(bench_dir.glob("bench_*.py")):
        doc = ast.get_docstring(ast.parse(script.read_text())) or "(no description)"
        title = f"``{script.name}``"
        lines += [title, "~" * len(title), "", doc, ""]
        stem = script.stem.removeprefix("bench_")
        found = sorted(results.glob(f"*{stem}*.md")) if results.is_dir() else []
        if not found:
            lines += [".. note::", "",
                      "   No results for this benchmark were present when these pages were "
                      "built; run the script with ``--out benchmarks/results`` and build "
                      "again.", ""]
        for md in found:
            lines += [f"Results (``{md.name}``):", "",
                      markdown_to_rst(md.read_text(), results, images_dir), ""]
    if not lines:
        lines = ["No benchmark scripts were found in ``benchmarks/``.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


write_api_pages(HERE / "generated" / "api")
write_benchmarks_include(HERE / "generated" / "benchmarks.inc",
                         HERE / "generated" / "benchmark_images")

