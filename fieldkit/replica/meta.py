"""A store's small settings table: identity, counters, clocks, cursors."""

from __future__ import annotations

from fieldkit.replica.columns import seal, unseal
from fieldkit.replica.db import Connection

META_SCHEMA = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID"


def get(conn: Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return unseal(conn, "meta", "value", key, row[0]) if row else default


def get_int(conn: Connection, key: str, default: int = 0) -> int:
    value = get(conn, key)
    return int(value) if value is not None else default


def put(conn: Connection, key: str, value: str | int) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, seal(conn, "meta", "value", key, str(value))),
    )


def delete(conn: Connection, key: str) -> None:
    conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def next_counter(conn: Connection, key: str) -> int:
    """Increment and return a persistent counter (inside the caller's transaction)."""
    value = get_int(conn, key) + 1
    put(conn, key, value)
    return value


def keys(conn: Connection) -> list[str]:
    """The names of every setting (a handful: read whole, no LIKE, whose escapes and
    collation differ between the district's backends)."""
    return [row[0] for row in conn.execute("SELECT key FROM meta").fetchall()]
