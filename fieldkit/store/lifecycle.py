"""Creating a store's files, the same way for a worker and a district.

The key file is written first, then the database with its schema and its first
settings (a replica id and long-term identity keys) in one transaction; if any step
fails, every file created is removed, so a half-made store never remains.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fieldkit.errors import StoreError
from fieldkit.store import audit, meta
from fieldkit.store.db import Connection, connect, db_path, migrate, transaction
from fieldkit.store.keys import check_passphrase, create_keyfile, keyfile_path, write_keyfile
from fieldkit.sync.identity import Identity


def create_store(
    home: Path,
    kind: str,
    passphrase: str,
    migrations: list[str],
    *,
    replica_prefix: str,
    actor: Callable[[str], str],
    settings: dict[str, str] | None = None,
) -> tuple[Connection, str, bytes]:
    """Make a new store of `kind` in `home`; returns (connection, store id, data key).

    `actor(replica_id)` names who the `init` audit event is attributed to.
    """
    check_passphrase(passphrase)
    if keyfile_path(home, kind).exists() or db_path(home, kind).exists():
        raise StoreError("store.exists", path=str(home))
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    store_id = uuid.uuid4().hex
    keyfile, data_key = create_keyfile(passphrase, kind, store_id)
    write_keyfile(home, keyfile)
    try:
        conn = connect(db_path(home, kind), data_key, create=True)
        migrate(conn, migrations)
        replica_id = f"{replica_prefix}-{uuid.uuid4().hex[:16]}"
        with transaction(conn):
            meta.put(conn, "store_id", store_id)
            meta.put(conn, "replica_id", replica_id)
            meta.put(conn, "identity", base64.b64encode(Identity.generate().to_bytes()).decode())
            meta.put(conn, "created_at", datetime.now(UTC).isoformat(timespec="seconds"))
            for key, value in (settings or {}).items():
                meta.put(conn, key, value)
            audit.record(conn, actor(replica_id), "init", "store", store_id)
    except BaseException:
        keyfile_path(home, kind).unlink(missing_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(db_path(home, kind)) + suffix).unlink(missing_ok=True)
        raise
    return conn, store_id, data_key
