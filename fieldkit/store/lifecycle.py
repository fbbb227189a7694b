"""Creating a store's files, the same way for a worker and a district.

The key file is written first, then the database with its schema and its first
settings (a replica id and long-term identity keys) in one transaction; if any step
fails, every file created is removed, so a half-made store never remains.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from fieldkit.crypto.identity import Identity
from fieldkit.crypto.keyfile import create_keyfile
from fieldkit.dates import now_stamp
from fieldkit.errors import StoreError
from fieldkit.replica import meta
from fieldkit.store import audit
from fieldkit.store.db import Connection, connect, db_path, migrate, transaction
from fieldkit.store.keys import (
    check_home,
    check_no_other_kind,
    check_passphrase,
    keyfile_path,
    write_keyfile,
)


class NewDatabase(Protocol):
    """Where a new store's tables go: the SQLCipher file by default, or (for a district)
    a PostgreSQL database (fieldkit/district/backend.py)."""

    def exists(self) -> bool: ...

    def create(self, data_key: bytes) -> Connection:
        """Connected, with the schema at its latest step."""
        ...

    def discard(self) -> None:
        """Remove what `create` made (the store's creation failed)."""
        ...


class SQLCipherFile:
    def __init__(self, home: Path, kind: str, migrations: list[str]) -> None:
        self.path = db_path(home, kind)
        self.migrations = migrations

    def exists(self) -> bool:
        return self.path.exists()

    def create(self, data_key: bytes) -> Connection:
        conn = connect(self.path, data_key, create=True)
        migrate(conn, self.migrations)
        return conn

    def discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)


def create_store(
    home: Path,
    kind: str,
    passphrase: str,
    migrations: list[str],
    *,
    replica_prefix: str,
    actor: Callable[[str], str],
    settings: dict[str, str] | None = None,
    database: NewDatabase | None = None,
    known_words: Sequence[str] = (),
) -> tuple[Connection, str, bytes]:
    """Make a new store of `kind` in `home`; returns (connection, store id, data key).

    `actor(replica_id)` names who the `init` audit event is attributed to; the passphrase
    is judged against `known_words` too (a district's name).
    """
    check_home(home)
    check_no_other_kind(home, kind)
    check_passphrase(passphrase, known_words)
    database = database or SQLCipherFile(home, kind, migrations)
    if keyfile_path(home, kind).exists() or database.exists():
        raise StoreError("store.exists", path=str(home))
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    store_id = uuid.uuid4().hex
    keyfile, data_key = create_keyfile(passphrase, kind, store_id)
    write_keyfile(home, keyfile)
    try:
        conn = database.create(data_key)
        replica_id = f"{replica_prefix}-{uuid.uuid4().hex[:16]}"
        with transaction(conn):
            meta.put(conn, "store_id", store_id)
            meta.put(conn, "replica_id", replica_id)
            meta.put(conn, "identity", base64.b64encode(Identity.generate().to_bytes()).decode())
            meta.put(conn, "created_at", now_stamp())
            for key, value in (settings or {}).items():
                meta.put(conn, key, value)
            audit.record(conn, actor(replica_id), "init", "store", store_id)
    except BaseException:
        keyfile_path(home, kind).unlink(missing_ok=True)
        database.discard()
        raise
    return conn, store_id, data_key
