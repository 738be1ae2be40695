"""The bottom layers' imports: codes and straggler models import nothing above them, no
private module of another package, and no module of theirs imports itself in a loop."""

import ast
from pathlib import Path

import pytest

import skgc

ROOT = Path(skgc.__file__).parent
#: What each bottom package may import from skgc (besides its own modules).
ALLOWED = {"coding": {"skgc._validation"}, "stragglers": {"skgc._validation"}}


def _imports(path):
    """The skgc modules a file imports, as dotted names (``from . import x`` included)."""
    package = "skgc." + ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names if alias.name.startswith("skgc")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("skgc"):
                names.add(module)
    return names


def _package_imports(package):
    return {path: _imports(path) for path in sorted((ROOT / package).glob("*.py"))}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_bottom_packages_import_only_themselves_and_the_shared_checks(package):
    own = f"skgc.{package}"
    for path, names in _package_imports(package).items():
        foreign = {n for n in names if n != own and not n.startswith(own + ".")}
        assert foreign <= ALLOWED[package], f"{path.name} imports {foreign}"


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_bottom_packages_have_no_import_cycle(package):
    own = f"skgc.{package}"
    graph = {f"{own}.{path.stem}": {n for n in names if n.startswith(own + ".")}
             for path, names in _package_imports(package).items() if path.stem != "__init__"}
    done, stack = set(), []

    def visit(module):
        assert module not in stack, "import cycle: " + " -> ".join(stack + [module])
        if module in done:
            return
        stack.append(module)
        for imported in graph.get(module, ()):
            visit(imported)
        stack.pop()
        done.add(module)

    for module in graph:
        visit(module)
    assert len(done) == len(graph) > 3


def test_the_cycle_check_sees_a_cycle(tmp_path, monkeypatch):
    """The checker itself: a two-module loop written to disk is found."""
    fake = tmp_path / "skgc"
    (fake / "loop").mkdir(parents=True)
    (fake / "loop" / "_a.py").write_text("from ._b import x\n")
    (fake / "loop" / "_b.py").write_text("from ._a import y\nfrom .._validation import z\n")
    monkeypatch.setitem(globals(), "ROOT", fake)
    assert _imports(fake / "loop" / "_b.py") == {"skgc.loop._a", "skgc._validation"}
    monkeypatch.setitem(ALLOWED, "loop", set())
    with pytest.raises(AssertionError, match="import cycle"):
        test_bottom_packages_have_no_import_cycle("loop")


#: The layers of DESIGN.md section 2 that must not import the layers above them.
NOT_ABOVE = {
    "backends": ("skgc.master", "skgc.solver", "skgc.plan", "skgc._base", "skgc.tools"),
    "master": ("skgc.solver", "skgc.plan", "skgc._base", "skgc.tools"),
    "solver": ("skgc.backends", "skgc.plan", "skgc._base", "skgc.tools"),
    "objective": ("skgc.backends", "skgc.master", "skgc.solver", "skgc.plan", "skgc.tools"),
}


@pytest.mark.parametrize("package", sorted(NOT_ABOVE))
def test_layers_import_only_the_layers_below(package):
    for path, names in _package_imports(package).items():
        above = {n for n in names if n.startswith(NOT_ABOVE[package])}
        assert not above, f"{package}/{path.name} imports {above}"


def test_worker_code_starts_without_scikit_learn():
    """What a worker process imports (the worker loop, the objective it unpickles) leaves
    scikit-learn out: a loky worker then starts in a fraction of the time."""
    import subprocess
    import sys

    code = ("import sys, skgc.backends._worker, skgc.objective; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT.parent)
    assert out.stdout.strip() == "[]"
