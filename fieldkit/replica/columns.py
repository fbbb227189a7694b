"""Which values are sealed: personal-data columns, on connections that carry a cipher.

An SQLCipher store encrypts every page, so on its connections `seal` and `unseal` give
values back unchanged. A PostgreSQL district store (fieldkit/district/postgres.py) has
a `column_cipher` (fieldkit/crypto/columns.py) that seals each personal-data value,
bound to its table, column and row key. docs/postgresql.md lists the sealed columns
and what stays in clear; docs/protocol.md gives the sealed value's bytes.
"""

from __future__ import annotations

from typing import Any

from fieldkit.crypto.columns import ColumnCipher


def cipher(conn: Any) -> ColumnCipher | None:
    return getattr(conn, "column_cipher", None)


def seal(conn: Any, table: str, column: str, row: str, text: str) -> str:
    """The value to store for `text` in table.column of the row keyed `row`."""
    c = cipher(conn)
    return text if c is None else c.seal(table, column, row, text)


def unseal(conn: Any, table: str, column: str, row: str, stored: str) -> str:
    """The text stored by `seal` for that same table, column and row."""
    c = cipher(conn)
    return stored if c is None else c.unseal(table, column, row, stored)


def row_key(*parts: str) -> str:
    """A composite row key, unambiguous whatever the parts hold."""
    return "\x1e".join(parts)
