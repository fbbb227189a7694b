"""The layer contract (docs/architecture.md), read off the source: a module that imports
across a layer the wrong way fails here, lazy imports inside functions included.

    commands, cli → store, district, summary, sync → replica → crypto

with the core modules (errors, model, enums, rules, i18n, dates, display, names, paths, config)
usable from every layer and importing none of the layers themselves.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "fieldkit"

# What each layer may import from fieldkit, besides itself and the core.
LAYERS: dict[str, set[str]] = {
    "crypto": set(),
    "replica": {"crypto"},
    "store": {"replica", "crypto"},
    "sync": {"store", "replica", "crypto"},
    "district": {"store", "replica", "crypto", "sync"},
    # Summaries render the district's report too.
    "summary": {"store", "replica", "crypto", "district"},
}
CORE = {
    "errors",
    "model",
    "enums",
    "rules",
    "choices",
    "i18n",
    "messages",
    "locale",
    "dates",
    "display",
    "names",
    "paths",
    "config",
    "__version__",
}
# The bottom layer takes nothing of the core but its errors.
CORE_FOR = {"crypto": {"errors"}}
# Third-party packages that only one layer may use.
OWNED = {"cryptography": "crypto", "argon2": "crypto"}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(name: str, path: Path) -> Iterator[tuple[int, str]]:
    """Every module `name` imports, anywhere in its body, as an absolute dotted name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:
                # `from fieldkit.sync import merge` imports the module fieldkit.sync.merge.
                yield node.lineno, f"{target}.{alias.name}"


def layer_of(dotted: str) -> str | None:
    parts = dotted.split(".")
    if parts[0] != "fieldkit" or len(parts) < 2:
        return None
    return parts[1]


def violations() -> list[str]:
    found = []
    for name, path in modules():
        where = layer_of(name)
        for line, target in imports(name, path):
            top = target.split(".")[0]
            place = f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
            if top in OWNED and where != OWNED[top]:
                found.append(f"{place}: only fieldkit/{OWNED[top]}/ may use {top}")
            if top in ("typer", "click") and any(p.startswith("_") for p in target.split(".")):
                found.append(f"{place}: a private module of {top}")
            to = layer_of(target)
            if to is None or to == where:
                continue
            if to in CORE:
                if where in CORE_FOR and to not in CORE_FOR[where]:
                    found.append(f"{place}: {where}/ takes only {sorted(CORE_FOR[where])}")
                continue
            if where in CORE:
                # The core is below every layer; messages are its data.
                found.append(f"{place}: the core imports no layer")
            elif where in LAYERS and to not in LAYERS[where]:
                found.append(f"{place}: {where}/ may not import {to}/")
    return found


def test_every_import_follows_the_layer_contract() -> None:
    assert violations() == []


PROCESS_MODULES = {"subprocess", "multiprocessing", "pty", "concurrent"}
PROCESS_CALLS = ("system", "fork", "forkpty", "exec", "spawn", "posix_spawn", "popen")


def starts_process(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names.append(getattr(node, "module", None) or "")
            for name in names:
                if name.split(".")[0] in PROCESS_MODULES:
                    yield f"{path.name}:{node.lineno} imports {name}"
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
            and node.attr.startswith(PROCESS_CALLS)
        ):
            yield f"{path.name}:{node.lineno} calls os.{node.attr}"


@pytest.mark.parametrize("layer", ["store", "replica", "crypto"])
def test_the_lower_layers_start_no_process(layer: str) -> None:
    starting = []
    for name, path in modules():
        if layer_of(name) == layer:
            starting.extend(starts_process(path))
    assert starting == []


def test_the_checks_see_a_wrong_way_import_and_a_process(tmp_path: Path) -> None:
    """The checkers themselves: a lazy import of sync from the store, a relative import
    and a process started through os are all seen."""
    module = tmp_path / "bad.py"
    module.write_text(
        "import os\n"
        "def f():\n"
        "    from fieldkit.sync import worker_side\n"
        "    from ..sync import bundle\n"
        "    os.execv('x', [])\n",
        encoding="utf-8",
    )
    found = [target for _, target in imports("fieldkit.store.bad", module)]
    assert "fieldkit.sync.worker_side" in found
    assert "fieldkit.sync.bundle" in found
    assert layer_of("fieldkit.sync.worker_side") not in LAYERS["store"]
    assert list(starts_process(module)) == ["bad.py:5 calls os.execv"]
