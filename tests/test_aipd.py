"""The impact assessment (docs/aipd.md) names, for each measure, a test that exists.

A measure is a row of one of its tables whose first cell starts with `M<n>.` (or cites
an earlier one, `M<n>.` again); each names at least one test by its exact path,
`tests/…py::test_name`, or says that its test comes with a branch not merged yet
(« test à référencer à la fusion »). Every path named must be a file of the project
with a test function of that name, so that a renamed or removed test cannot stay cited
as the proof of a measure.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AIPD = ROOT / "docs" / "aipd.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
MEASURE_ROW = re.compile(r"^\|[^|]*?\bM(\d+)\.", re.M)
PENDING = "test à référencer à la fusion"


def text() -> str:
    return AIPD.read_text(encoding="utf-8")


@cache
def functions_of(path: str) -> set[str]:
    """The names of the test functions of a test file (module level or in a class)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_every_test_it_names_exists():
    named = REFERENCE.findall(text())
    assert len(named) >= 40
    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (ROOT / path).is_file() or name not in functions_of(path)
    ]
    assert missing == []


def test_every_measure_names_its_test_or_the_branch_that_brings_it():
    rows = [line for line in text().splitlines() if MEASURE_ROW.match(line)]
    assert len({MEASURE_ROW.match(row)[1] for row in rows}) >= 30
    bare = [row[:60] for row in rows if not REFERENCE.search(row) and PENDING not in row]
    assert bare == []


def test_it_follows_the_cnil_method():
    body = text()
    for heading in (
        "## 1. Contexte",
        "### 1.1 Le traitement et ses finalités",
        "### 1.3 Les destinataires, par cercle",
        "### 1.4 Les durées de conservation",
        "## 2. Principes fondamentaux",
        "### 2.4 Droits des personnes",
        "## 3. Risques",
        "### 3.2 Accès illégitime à des données",
        "### 3.3 Modification non désirée de données",
        "### 3.4 Disparition de données",
        "## 4. Validation",
    ):
        assert f"\n{heading}\n" in body, heading
