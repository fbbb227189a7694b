"""The store and the replica depend on neither sync nor the commands, and start no process.

Issue 13: the dependencies run one way, commands -> (store, district, summary, sync)
-> replica -> crypto. Read from the source (every import, at module level or inside a
function), so that a lazy import cannot hide a backward arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fieldkit

PACKAGE = Path(fieldkit.__file__).parent
PROCESS_MODULES = ("subprocess", "multiprocessing", "os.system", "os.spawn", "os.exec", "pty")


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / package).glob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[f"{package}/{path.name}"] = names
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    out = {}
    for module, names in imports_of(package).items():
        bad = sorted(n for n in names if n.startswith(forbidden))
        if bad:
            out[module] = bad
    return out


def test_the_replica_imports_no_store_sync_district_or_command():
    forbidden = ("fieldkit.store", "fieldkit.sync", "fieldkit.district", "fieldkit.commands")
    assert offending("replica", forbidden) == {}


def test_the_store_imports_neither_sync_nor_the_commands():
    assert offending("store", ("fieldkit.sync", "fieldkit.commands", "fieldkit.cli")) == {}


def test_no_store_or_replica_module_starts_a_process():
    assert offending("store", PROCESS_MODULES) == {}
    assert offending("replica", PROCESS_MODULES) == {}
