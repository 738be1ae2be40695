"""The tooling (``skgc.tools`` and the ``benchmarks/`` scripts) sits outside the core's
import graph: no core module imports it, and it reaches the core only through public names."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import skgc

PACKAGE = Path(skgc.__file__).resolve().parent
ROOT = PACKAGE.parent
TOOLS = PACKAGE / "tools"
TOOL_FILES = sorted(TOOLS.rglob("*.py")) + sorted((ROOT / "benchmarks").glob("*.py"))


def _is_private(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_of(path):
    """Dotted module name of a file inside the package (None outside it)."""
    try:
        parts = path.relative_to(ROOT).with_suffix("").parts
    except ValueError:
        return None
    if parts[0] != "skgc":
        return None
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(node, module, is_package):
    """Absolute name of the module an ``ImportFrom`` node imports from."""
    if not node.level:
        return node.module
    base = module.split(".")
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(path):
    """(imported module, imported name or None) of every import of one file."""
    tree = ast.parse(path.read_text(), str(path))
    module = _module_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node, module, path.name == "__init__.py")
            for alias in node.names:
                yield source, alias.name


def core_private_imports(paths):
    """``file: import`` of every private core name the files import (a module or a name
    with a leading underscore, outside ``skgc.tools``)."""
    found = []
    for path in paths:
        for source, name in _imports(path):
            if not source or source.split(".")[0] != "skgc":
                continue
            full = source if name is None else f"{source}.{name}"
            if full.startswith("skgc.tools.") and _module_of(path) is not None:
                continue  # the tools' own private helpers, used inside the tools
            if any(_is_private(part) for part in full.split(".")):
                found.append(f"{path.name}: {full}")
    return found


def foreign_private_attributes(paths):
    """``file: .name`` of every private attribute the files read that they do not define
    themselves (an attribute of a core object)."""
    trees = {path: ast.parse(path.read_text(), str(path)) for path in paths}
    defined = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                defined.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                defined.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
    found = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _is_private(node.attr) \
                    and node.attr not in defined:
                found.append(f"{path.name}:{node.lineno}: .{node.attr}")
    return found


def test_the_tool_files_are_found():
    names = {path.name for path in TOOL_FILES}
    assert {"cli.py", "demo.py", "codes_report.py", "paper.py", "run.py"} <= names


def test_tools_import_no_private_core_name():
    assert core_private_imports(TOOL_FILES) == []


def test_tools_read_no_private_attribute_of_core_objects():
    assert foreign_private_attributes(TOOL_FILES) == []


def test_the_checks_catch_what_they_look_for(tmp_path):
    script = tmp_path / "script.py"
    script.write_text("from skgc.backends._master import Master\nimport skgc._base\n"
                      "from skgc.coding import _codes\nfrom skgc.coding import make_code\n"
                      "make_code('full', 2)._allocation\n")
    assert core_private_imports([script]) == [
        "script.py: skgc.backends._master.Master", "script.py: skgc._base",
        "script.py: skgc.coding._codes"]
    assert foreign_private_attributes([script]) == ["script.py:5: ._allocation"]


def _core_modules():
    """Every module of the package outside ``skgc.tools`` (and the ``python -m`` shim)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_of(path)
        if module.startswith("skgc.tools") or module == "skgc.__main__":
            continue
        names.append(module)
    return names


def test_no_core_module_imports_the_tools():
    modules = _core_modules()
    assert "skgc.backends" in modules and "skgc.plotting" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('skgc.tools')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("argv", [["-m", "skgc", "--version"]])
def test_python_dash_m_runs_the_tools_cli(argv):
    result = subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 0
    assert result.stdout.strip() == f"skgc {skgc.__version__}"
