"""The database a replica lives in, as the replica's code sees it.

A worker's store is an SQLCipher connection (fieldkit/store/db.py); a district's is
SQLCipher or PostgreSQL behind the same DB-API shape (fieldkit/district/backend.py).
The replica's modules run their SQL through `execute` only, so they need neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Connection(Protocol):
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...


def prefix_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') for the values that start with `text`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
