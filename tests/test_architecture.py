"""The package's structure: what each layer may name (docs/architecture.md).

The layer contract itself (who imports whom, no cycles, no import of the package face) is
checked by ``lint-imports`` from pyproject.toml in CI. These tests check what an import graph
cannot see: the compiled ``pybigml._C`` (not a .py module, so absent from the graph) and
numpy, an external package.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pybigml"


def _sources(*parts: str) -> list[Path]:
    return sorted(PACKAGE.joinpath(*parts).rglob("*.py"))


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (function-level ones too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.add(base)
            names.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return names


def test_only_the_backend_names_the_native_module():
    pattern = re.compile(r"\b_C\b")
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in _sources()
        if PACKAGE / "backend" not in path.parents
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not offenders, "only pybigml/backend/ may name _C:\n" + "\n".join(offenders)


@pytest.mark.parametrize("facade", ["nn", "optim", "distributions"])
def test_facades_do_not_import_numpy(facade):
    """nn, optim and distributions compute through ops; array math lives in ops."""
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in _sources(facade)
        if any(name == "numpy" or name.startswith("numpy.") for name in _imported_modules(path))
    ]
    assert not offenders, f"pybigml.{facade} imports numpy in: {offenders}"
