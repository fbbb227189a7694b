"""The audit trail: hash-chained events (who did what to which object, when), never content.

Each event's hash covers the previous hash and the event's fields, so editing or
deleting an event breaks the chain at that point; `verify` names the first broken link.

Old events may be pruned (fieldkit/store/auditlog.py): the oldest ones go, and a
checkpoint signed with the store's own Ed25519 key keeps the hash and number of the
last one removed. The chain is then checked from that checkpoint (`check`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldkit.errors import IntegrityError, StoreError
from fieldkit.model import AuditEvent
from fieldkit.replica import meta
from fieldkit.replica.columns import seal, unseal
from fieldkit.store.db import Connection

GENESIS = "0" * 64
# The meta key of the latest checkpoint: {"checkpoint": {...}, "signature": base64}.
CHECKPOINT_KEY = "audit_checkpoint"
CHECKPOINT_FORMAT = "fieldkit-audit-checkpoint/1"
CHECKPOINT_DOMAIN = b"fieldkit/audit-checkpoint/v1\x00"

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


def digest_of(
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
    if row is None:  # nothing yet, or every event pruned: the chain goes on from the checkpoint
        start = _start(conn)
        row = (start[0] - 1, start[1])
    seq, prev = row[0] + 1, row[1]
    stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
    digest = digest_of(prev, seq, stamp, actor, action, object_type, object_id, detail)
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


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a checkpoint's signature covers: JSON, keys sorted, no spaces, ASCII."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def stored_checkpoint(conn: Connection) -> tuple[dict[str, Any], str] | None:
    """(checkpoint, its signature in base64) as stored, unchecked; None before any prune.
    A stored value that does not parse is an IntegrityError (it was edited)."""
    raw = meta.get(conn, CHECKPOINT_KEY)
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        document, signature = data["checkpoint"], data["signature"]
        if not isinstance(document, dict) or not isinstance(signature, str):
            raise TypeError
        int(document["last_seq"]), str(document["last_hash"])
    except (ValueError, KeyError, TypeError):
        raise IntegrityError("auditlog.checkpoint_bad") from None
    return document, signature


def _start(conn: Connection) -> tuple[int, str]:
    """The seq the chain starts at and the hash before it: 1 and GENESIS, or after the
    checkpoint's last removed event."""
    stored = stored_checkpoint(conn)
    if stored is None:
        return 1, GENESIS
    return int(stored[0]["last_seq"]) + 1, str(stored[0]["last_hash"])


@dataclass(frozen=True)
class Verified:
    """What `check` found: the events checked, the first broken link (None if the chain
    holds), and the checkpoint it started from (None: from the first event)."""

    count: int
    broken: int | None
    checkpoint: dict[str, Any] | None = None
    checkpoint_ok: bool = True

    @property
    def ok(self) -> bool:
        return self.broken is None and self.checkpoint_ok


def check_checkpoint(conn: Connection) -> tuple[dict[str, Any] | None, bool]:
    """The checkpoint and whether its signature is the store's own (its identity key)."""
    import base64
    import binascii

    stored = stored_checkpoint(conn)
    if stored is None:
        return None, True
    document, signature = stored
    from fieldkit.crypto.identity import Identity

    identity = Identity.from_bytes(base64.b64decode(meta.get(conn, "identity") or ""))
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return document, False
    good = identity.public.verify(raw, CHECKPOINT_DOMAIN + canonical(document))
    good = good and document.get("format") == CHECKPOINT_FORMAT
    good = good and document.get("store") == (meta.get(conn, "replica_id") or "")
    return document, good


def check(conn: Connection) -> Verified:
    """The chain checked from its start, or from the signed checkpoint when events were
    pruned; a checkpoint whose signature fails is reported (checkpoint_ok False)."""
    document, good = check_checkpoint(conn)
    count, broken = verify(conn)
    return Verified(count, broken, document, good)


def verify(conn: Connection) -> tuple[int, int | None]:
    """(events checked, seq of the first broken link or None when the chain holds); from
    the checkpoint when events were pruned (its signature is `check`'s job)."""
    expected_seq, prev = _start(conn)
    count = 0
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
        if digest_of(prev, seq, at, actor, action, otype, oid, detail) != digest:
            return count, seq
        prev, expected_seq = digest, seq + 1
    return count, None


# The objects some acts name that a prune must not forget (the district's purges: a late
# refusal about a case purged long ago is still deleted, fieldkit/district/retention.py).
# Their ids (never content) are kept in the settings when their events are pruned.
KEPT_IDS = {("district", "purge", "case")}
KEPT_IDS_KEY = "audit_pruned_ids"


def object_ids(conn: Connection, actor: str, action: str, object_type: str) -> set[str]:
    """The ids of the objects an actor did an action to (e.g. the cases the district purged),
    those of pruned events included for the acts of KEPT_IDS."""
    found = {
        r[0]
        for r in conn.execute(
            "SELECT object_id FROM audit WHERE actor = ? AND action = ? AND object_type = ?",
            (actor, action, object_type),
        )
    }
    if (actor, action, object_type) in KEPT_IDS:
        found |= set(pruned_ids(conn).get("|".join((actor, action, object_type)), []))
    return found


def pruned_ids(conn: Connection) -> dict[str, list[str]]:
    raw = meta.get(conn, KEPT_IDS_KEY)
    return json.loads(raw) if raw else {}


def keep_ids(conn: Connection, last_seq: int) -> None:
    """Before the events up to `last_seq` are pruned: keep the ids KEPT_IDS names."""
    kept = pruned_ids(conn)
    for actor, action, otype in sorted(KEPT_IDS):
        rows = conn.execute(
            "SELECT object_id FROM audit WHERE seq <= ? AND actor = ? AND action = ?"
            " AND object_type = ?",
            (last_seq, actor, action, otype),
        ).fetchall()
        if rows:
            name = "|".join((actor, action, otype))
            kept[name] = sorted(set(kept.get(name, [])) | {r[0] for r in rows})
    if kept:
        meta.put(conn, KEPT_IDS_KEY, json.dumps(kept, sort_keys=True))
