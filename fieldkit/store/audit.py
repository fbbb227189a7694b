"""The audit trail: hash-chained events (who did what to which object, when), never content.

Each event's hash covers the previous hash and the event's fields, so editing or
deleting an event breaks the chain at that point; `verify` names the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from fieldkit.errors import StoreError
from fieldkit.model import AuditEvent
from fieldkit.replica.columns import seal, unseal
from fieldkit.store.db import Connection

GENESIS = "0" * 64

AUDIT_SCHEMA = """
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
)
"""


def _digest(
    prev_hash: str, seq: int, at: str, actor: str, action: str, otype: str, oid: str, detail: str
) -> str:
    body = json.dumps([prev_hash, seq, at, actor, action, otype, oid, detail], ensure_ascii=True)
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    conn: Connection,
    actor: str,
    action: str,
    object_type: str = "",
    object_id: str = "",
    detail: str = "",
    at: datetime | None = None,
) -> None:
    """Append one event; call inside the transaction of the action it records."""
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    digest = _digest(prev, seq, stamp, actor, action, object_type, object_id, detail)
    conn.execute(
        "INSERT INTO audit (seq, at, actor, action, object_type, object_id, detail,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            stamp,
            actor,
            action,
            object_type,
            object_id,
            seal(conn, "audit", "detail", str(seq), detail),
            prev,
            digest,
        ),
    )


def events(conn: Connection, limit: int | None = None) -> list[AuditEvent]:
    sql = (
        "SELECT seq, at, actor, action, object_type, object_id, detail, prev_hash, hash FROM audit"
    )
    if limit:
        rows = conn.execute(sql + " ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()[::-1]
    else:
        rows = conn.execute(sql + " ORDER BY seq").fetchall()
    return [
        AuditEvent(
            seq=r[0],
            at=r[1],
            actor=r[2],
            action=r[3],
            object_type=r[4],
            object_id=r[5],
            detail=unseal(conn, "audit", "detail", str(r[0]), r[6]),
            prev_hash=r[7],
            hash=r[8],
        )
        for r in rows
    ]


def verify(conn: Connection) -> tuple[int, int | None]:
    """(events checked, seq of the first broken link or None when the chain holds)."""
    prev, expected_seq, count = GENESIS, 1, 0
    cursor = conn.execute(
        "SELECT seq, at, actor, action, object_type, object_id, detail, prev_hash, hash"
        " FROM audit ORDER BY seq"
    )
    for seq, at, actor, action, otype, oid, detail, prev_hash, digest in cursor:
        count += 1
        if seq != expected_seq or prev_hash != prev:
            return count, seq
        try:
            detail = unseal(conn, "audit", "detail", str(seq), detail)
        except StoreError:
            return count, seq
        if _digest(prev, seq, at, actor, action, otype, oid, detail) != digest:
            return count, seq
        prev, expected_seq = digest, seq + 1
    return count, None


def object_ids(conn: Connection, actor: str, action: str, object_type: str) -> set[str]:
    """The ids of the objects an actor did an action to (e.g. the cases the district purged)."""
    return {
        r[0]
        for r in conn.execute(
            "SELECT object_id FROM audit WHERE actor = ? AND action = ? AND object_type = ?",
            (actor, action, object_type),
        )
    }
