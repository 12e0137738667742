"""Test support lives in one place: tests/ and bench/ never import each other, both import testkit/, which imports
neither; and a test module takes what it shares from a conftest.py or a helper module, not from a test module."""

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def imported_modules(path):
    """The absolute names of the modules a file imports (relative imports resolved against its package)."""
    package = list(path.relative_to(ROOT).parent.parts)
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            # `from tests.browser import buyer` imports the module tests.browser.buyer.
            names += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return names


def importers(folder, forbidden):
    """Each file under `folder` importing a module of the package `forbidden`, with what it imports."""
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        wrong = [name for name in imported_modules(path) if name == forbidden or name.startswith(f"{forbidden}.")]
        if wrong:
            found[str(path.relative_to(ROOT))] = wrong
    return found


def test_tests_never_import_bench():
    assert importers("tests", "bench") == {}, "move what both need into testkit/"


def test_bench_never_imports_tests():
    assert importers("bench", "tests") == {}, "move what both need into testkit/"


def test_testkit_imports_neither_tests_nor_bench():
    assert importers("testkit", "tests") == {} and importers("testkit", "bench") == {}


def test_no_test_module_imports_another_test_module():
    found = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        test_modules = [name for name in imported_modules(path) if name.rpartition(".")[2].startswith("test_")]
        if test_modules:
            found[str(path.relative_to(ROOT))] = test_modules
    assert found == {}, "share fixtures through a conftest.py, helpers through a module of their own or testkit/"
