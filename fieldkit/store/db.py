"""Opening an SQLCipher database with a raw data key, its settings, transactions and migrations."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlcipher3

from fieldkit.errors import StoreError, disk_full

# What SQLCipher raises for a damaged page, a wrong key or a file that is not a database.
DB_ERRORS = (sqlcipher3.DatabaseError,)

Connection = sqlcipher3.Connection


def db_path(home: Path, kind: str) -> Path:
    return home / f"{kind}.db"


# Above this size the full check on open is skipped (see `connect`): it reads every page.
FULL_CHECK_MAX_BYTES = 64 * 1024 * 1024


def connect(
    path: Path, data_key: bytes, *, create: bool = False, full_check: bool = True
) -> Connection:
    """Open the store with its raw key; no second KDF (DESIGN §3).

    Every open authenticates the first page and reads the schema (wrong key, not a
    store, emptied file). `full_check` adds `PRAGMA quick_check`, which reads and
    authenticates every page: callers ask for it when the passphrase is typed (unlock,
    scripts), skip it inside a session, and it is skipped above FULL_CHECK_MAX_BYTES so
    that opening stays flat as a store grows. Any page read later is still checked by
    SQLCipher's per-page HMAC, so damage anywhere is reported as such when touched.

    On a disk too full for SQLite's shared-memory index (the `-shm` file), the store is
    opened again in exclusive locking mode, whose index lives in this process's memory:
    reading then works, and so does writing once there is room (other processes wait).
    """
    if not path.exists():
        if not create:
            raise StoreError("store.missing", path=str(path.parent))
        # Owner-only from the start; SQLite gives the WAL and shared-memory files the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        return _connect(path, data_key, create=create, full_check=full_check, exclusive=False)
    except StoreError as exc:
        if create or not disk_full(exc):
            raise
    return _connect(path, data_key, create=create, full_check=full_check, exclusive=True)


def _connect(
    path: Path, data_key: bytes, *, create: bool, full_check: bool, exclusive: bool
) -> Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        # SQLCipher logs decryption failures to stderr by default; the CLI says it in one line.
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
        if exclusive:
            conn.execute("PRAGMA locking_mode = EXCLUSIVE").fetchall()
        conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not create and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            # An empty or truncated file: never rebuild it silently as a new, empty store.
            raise sqlcipher3.DatabaseError("no schema")
        conn.execute("PRAGMA journal_mode = WAL").fetchone()
        for pragma in (
            "secure_delete = ON",
            "temp_store = MEMORY",
            "foreign_keys = ON",
            "synchronous = FULL",
            "busy_timeout = 10000",
        ):
            conn.execute(f"PRAGMA {pragma}")
        if (
            full_check
            and path.stat().st_size <= FULL_CHECK_MAX_BYTES
            and conn.execute("PRAGMA quick_check").fetchone()[0] != "ok"
        ):
            raise sqlcipher3.DatabaseError("quick_check")
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise StoreError("store.damaged") from exc
    return conn


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """One atomic write: BEGIN IMMEDIATE ... COMMIT, rolled back on any error.

    A PostgreSQL district connection (fieldkit/district/postgres.py) begins its own way:
    BEGIN, then the district-wide write lock, which serialises writers as SQLite does.
    """
    if isinstance(conn, sqlcipher3.Connection):
        conn.execute("BEGIN IMMEDIATE")
    else:
        conn.begin_write()
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def migrate(conn: Connection, migrations: Sequence[str]) -> None:
    """Bring the schema to the latest version; PRAGMA user_version counts the steps applied."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(migrations):
        raise StoreError("store.too_new", version=current)
    for version, script in enumerate(migrations[current:], start=current + 1):
        with transaction(conn):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";\n") if s.strip()]


def checkpoint(conn: Connection) -> None:
    """Fold the WAL into the database and truncate it, so freed content leaves the WAL too."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
