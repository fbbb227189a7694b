"""Encryption of personal-data columns by the application, for a database not encrypted whole.

An SQLCipher store encrypts every page, so on its connections `seal` and `unseal` give
values back unchanged. A PostgreSQL district store (fieldkit/district/postgres.py) has
a `column_cipher`: each personal-data value is sealed with AES-256-GCM under a key
derived by HKDF-SHA256 from the district's data key, with a random 96-bit nonce per
value and, as associated data, the table, the column and the row's key, so that a value
moved to another row, column or table no longer opens. Stored form:
`COLUMN_FORMAT` + base64(nonce || ciphertext || tag). docs/postgresql.md lists the
sealed columns and what stays in clear.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from fieldkit.errors import StoreError

COLUMN_FORMAT = "fk1:"
COLUMN_KEY_INFO = b"fieldkit/column-key/v1"
NONCE_BYTES = 12


class ColumnCipher:
    def __init__(self, data_key: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=COLUMN_KEY_INFO).derive(
            data_key
        )
        self._aead = AESGCM(key)

    @staticmethod
    def _context(table: str, column: str, row: str) -> bytes:
        return b"\x1f".join(part.encode() for part in (COLUMN_FORMAT, table, column, row))

    def seal(self, table: str, column: str, row: str, text: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, text.encode(), self._context(table, column, row))
        return COLUMN_FORMAT + base64.b64encode(nonce + sealed).decode()

    def unseal(self, table: str, column: str, row: str, stored: str) -> str:
        from cryptography.exceptions import InvalidTag

        if not stored.startswith(COLUMN_FORMAT):
            raise StoreError("store.value_damaged")
        try:
            raw = base64.b64decode(stored[len(COLUMN_FORMAT) :], validate=True)
            plain = self._aead.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._context(table, column, row)
            )
        except (ValueError, InvalidTag):
            raise StoreError("store.value_damaged") from None
        return plain.decode()


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
