"""Sealing of personal-data columns by the application, for a database not encrypted whole.

Each value is sealed with AES-256-GCM under a key derived by HKDF-SHA256 from the
store's data key, with a random 96-bit nonce per value and, as associated data, the
table, the column and the row's key, so that a value moved to another row, column or
table no longer opens. Stored form: `COLUMN_FORMAT` + base64(nonce || ciphertext || tag).
Which connections seal, and which columns: fieldkit/replica/columns.py. Byte format:
docs/protocol.md, "The sealed column value".
"""

from __future__ import annotations

import base64
import os

from fieldkit.errors import StoreError

COLUMN_FORMAT = "fk1:"
COLUMN_KEY_INFO = b"fieldkit/column-key/v1"
COLUMN_KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # AES-GCM's 96-bit nonce
CONTEXT_SEPARATOR = b"\x1f"  # between the parts of the associated data


class ColumnCipher:
    def __init__(self, data_key: bytes) -> None:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        key = HKDF(
            algorithm=hashes.SHA256(), length=COLUMN_KEY_BYTES, salt=None, info=COLUMN_KEY_INFO
        ).derive(data_key)
        self._aead = AESGCM(key)

    @staticmethod
    def _context(table: str, column: str, row: str) -> bytes:
        return CONTEXT_SEPARATOR.join(part.encode() for part in (COLUMN_FORMAT, table, column, row))

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
