"""The tests' own rules: shared worlds and fixtures live in conftest.py files (or plain
helper modules), never in a test module that others import; exit codes are asserted by
their names in fieldkit/errors.py, not as bare numbers."""

from __future__ import annotations

import ast
import re
from itertools import pairwise
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
MODULES = sorted(TESTS.rglob("*.py"))
# The one exception, until its machinery moves to a helper module: the sealed-texts
# convergence property runs the plain convergence property's replicas and checks.
BUILDS_ON_ANOTHER = {
    "test_team_convergence.py": "reuses tests/sync/test_convergence.py's replicas (issue 16)"
}
EXIT_CODES = ("exit_code", "returncode")


def _name(path: Path) -> str:
    return path.relative_to(TESTS.parent).as_posix()


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_test_module_imports_another(path: Path) -> None:
    if path.name in BUILDS_ON_ANOTHER:
        pytest.skip(BUILDS_ON_ANOTHER[path.name])
    test_module = re.compile(r"(^|\.)test_\w+$")
    imported = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        imported += [
            (node.lineno, n) for n in names if n.startswith("tests.") and test_module.search(n)
        ]
    assert imported == []


def _is_code(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in EXIT_CODES


def _has_number(node: ast.AST) -> bool:
    values = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return any(
        isinstance(v, ast.Constant) and type(v.value) is int and v.value != 0 for v in values
    )


def _literal_codes(tree: ast.AST) -> list[int]:
    """Lines comparing an exit code (`x.exit_code`, `x.returncode`) with a non-zero number.

    Only the two sides of one comparison count: `x.exit_code == errors.INTEGRITY == 7`
    names the code and pins the constant's documented value.
    """
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for left, right in pairwise(sides):
            if (_is_code(left) and _has_number(right)) or (_is_code(right) and _has_number(left)):
                lines.append(node.lineno)
    return lines


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_exit_codes_are_asserted_by_name(path: Path) -> None:
    assert _literal_codes(_tree(path)) == []


def test_the_exit_code_check_finds_a_literal() -> None:
    found = _literal_codes(ast.parse("assert r.exit_code == 4\nassert p.returncode in (0, 7)"))
    assert found == [1, 2]
    named = "assert r.exit_code == 0 and r.exit_code == USAGE == 2 and r.returncode != OK"
    assert _literal_codes(ast.parse(named)) == []
