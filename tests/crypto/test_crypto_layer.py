"""fieldkit/crypto/ is the bottom layer and the only user of the `cryptography` library."""

from __future__ import annotations

import ast
from pathlib import Path

import fieldkit

PACKAGE = Path(fieldkit.__file__).parent
CRYPTO = PACKAGE / "crypto"


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, at any depth (lazy imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_nothing_outside_crypto_imports_the_cryptography_library() -> None:
    users = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if CRYPTO not in path.parents
        and any(m.split(".")[0] == "cryptography" for m in imported_modules(path))
    }
    assert users == set()


def test_crypto_imports_nothing_of_fieldkit_but_its_errors() -> None:
    allowed = {"fieldkit.errors"}
    found = {
        (path.name, module)
        for path in CRYPTO.glob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] == "fieldkit"
        and module not in allowed
        and not module.startswith("fieldkit.crypto")
    }
    assert found == set()
