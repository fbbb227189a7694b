"""The district's workers: adding one with its enrolment code, enrolment, revocation, the
bundle counters of each, and their names (sealed, so compared here rather than in SQL).

Owns the `workers` table (fieldkit/district/schema.py).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from fieldkit import rules
from fieldkit.crypto.enrolment import secret_hash
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.dates import now_stamp
from fieldkit.district import units
from fieldkit.errors import NotFound, UsageError
from fieldkit.model import KnownWorker, Worker, WorkerStatus
from fieldkit.replica import meta
from fieldkit.replica.columns import seal, unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction
from fieldkit.sync.enrolment import EnrolmentCode, encode_code

DEFAULT_CODE_TTL_HOURS = 72


@dataclass
class WorkerRecord:
    worker: Worker
    replica_id: str | None
    acked_seq: int
    counter_in: int
    counter_out: int
    secret_hash: str
    code_expires: int
    code_used: bool
    last_sync: str | None
    revoked_at: str | None

    def public_identity(self) -> PublicIdentity | None:
        if not self.worker.signing_key or not self.worker.hpke_key:
            return None
        return PublicIdentity.from_dict(
            {"signing": self.worker.signing_key, "hpke": self.worker.hpke_key}
        )


_COLUMNS = (
    "id, name, unit, status, replica_id, keys, fingerprint, secret_hash, code_expires, code_used,"
    " acked_seq, counter_in, counter_out, last_sync, revoked_at"
)


def _record(conn: Connection, row: tuple) -> WorkerRecord:
    keys = json.loads(row[5]) if row[5] else {}
    return WorkerRecord(
        worker=Worker(
            id=row[0],
            name=unseal(conn, "workers", "name", row[0], row[1]),
            unit=unseal(conn, "workers", "unit", row[0], row[2]),
            status=WorkerStatus(row[3]),
            signing_key=keys.get("signing"),
            hpke_key=keys.get("hpke"),
            fingerprint=row[6],
        ),
        replica_id=row[4],
        secret_hash=row[7],
        code_expires=row[8],
        code_used=bool(row[9]),
        acked_seq=row[10],
        counter_in=row[11],
        counter_out=row[12],
        last_sync=row[13],
        revoked_at=row[14],
    )


def add(
    conn: Connection, name: str, unit: str, ttl_hours: int, district_keys: dict[str, str]
) -> tuple[Worker, str]:
    """A new worker and its long one-time enrolment code (format 1, shown once, never
    stored). `district worker add` hands over the short code of format 2 instead
    (fieldkit/district/enrolment.py); this one is kept for the library's callers."""
    secret = secrets.token_hex(16)
    with transaction(conn):
        worker_id, expires = insert_pending(conn, name, unit, ttl_hours, secret)
    code = EnrolmentCode(
        district_id=meta.get(conn, "replica_id") or "",
        district_name=meta.get(conn, "district_name") or "",
        url=meta.get(conn, "url"),
        tls_fingerprint=meta.get(conn, "tls_fingerprint"),
        district_keys=district_keys,
        worker_id=worker_id,
        secret=secret,
        expires=expires,
    )
    return get(conn, worker_id).worker, encode_code(code)


def insert_pending(
    conn: Connection, name: str, unit: str, ttl_hours: int, secret: str
) -> tuple[str, int]:
    """A pending worker whose code's secret is `secret` (only its hash is kept), audited;
    in the caller's transaction. Its id and its code's expiry (Unix seconds)."""
    rules.check_named({"display_name": name.strip(), "unit": unit.strip()})
    unit = units.check(conn, unit)  # as the list spells it; a typo is refused
    worker_id = "wk-" + uuid.uuid4().hex[:12]
    expires = int(time.time()) + ttl_hours * 3600
    conn.execute(
        "INSERT INTO workers"
        " (id, name, unit, status, secret_hash, code_expires, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            worker_id,
            seal(conn, "workers", "name", worker_id, name.strip()),
            seal(conn, "workers", "unit", worker_id, unit.strip()),
            "pending",
            secret_hash(secret),
            expires,
            now_stamp(),
        ),
    )
    audit.record(conn, "district", "worker-add", "worker", worker_id)
    return worker_id, expires


def get(conn: Connection, worker_id: str) -> WorkerRecord:
    """A worker by its id, exactly: what a bundle, a request or a record names. What a
    person types goes through `find`."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM workers WHERE id = ?", (worker_id,)).fetchone()
    if row is None:
        raise NotFound("worker.not_found", ref=worker_id)
    return _record(conn, row)


# The shortest id prefix a person may type for a worker (`wk-1a2b` or `1a2b`).
PREFIX_MIN = 4
# The shortest part of a name matched when no worker has the whole name typed.
NAME_PART_MIN = 3


def find(conn: Connection, ref: str) -> WorkerRecord:
    """The worker a person means (issue 17): its id, a unique prefix of 4 characters or
    more of its id (with or without `wk-`), or its name, accents and case ignored (the
    whole name first, else a part of it held by one worker only).

    Names are sealed in the store (docs/postgresql.md): they are compared here, in Python.
    Several workers matching: a usage error listing them (short id, name, unit), so the
    person can type the id.
    """
    from fieldkit.choices import fold

    text = ref.strip()
    row = conn.execute(f"SELECT {_COLUMNS} FROM workers WHERE id = ?", (text,)).fetchone()
    if row:
        return _record(conn, row)
    everyone = listing(conn)
    if len(text) >= PREFIX_MIN:
        lowered = text.lower()
        prefixed = [
            r
            for r in everyone
            if r.worker.id.startswith(lowered) or r.worker.id.startswith("wk-" + lowered)
        ]
        if prefixed:
            return _one(prefixed, text)
    wanted = fold(text)
    if not wanted:
        raise NotFound("worker.not_found", ref=text)
    whole = [r for r in everyone if fold(r.worker.name) == wanted]
    if whole:
        return _one(whole, text)
    if len(wanted) >= NAME_PART_MIN:
        parts = [r for r in everyone if _holds(fold(r.worker.name), wanted)]
        if parts:
            return _one(parts, text)
    # A name mistyped (« lea martn »): the closest one, as units suggest theirs.
    suggestion = units.closest(text, [r.worker.name for r in everyone])
    if suggestion is not None:
        raise NotFound("worker.not_found_suggest", ref=text, suggestion=suggestion)
    raise NotFound("worker.not_found", ref=text)


def _holds(name: str, wanted: str) -> bool:
    """Whether the folded `wanted` is a run of whole words of the folded `name`."""
    return f"-{wanted}-" in f"-{name}-"


def _one(found: list[WorkerRecord], ref: str) -> WorkerRecord:
    if len(found) == 1:
        return found[0]
    from fieldkit.display import short_id

    listed = "; ".join(f"{short_id(r.worker.id)} {r.worker.name} ({r.worker.unit})" for r in found)
    raise UsageError("worker.ambiguous", ref=ref, count=len(found), candidates=listed)


def by_replica(conn: Connection, replica_id: str) -> WorkerRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM workers WHERE replica_id = ?", (replica_id,)
    ).fetchone()
    return _record(conn, row) if row else None


def listing(conn: Connection) -> list[WorkerRecord]:
    """Every worker, by name."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM workers").fetchall()
    records = [_record(conn, r) for r in rows]
    return sorted(records, key=lambda r: (r.worker.name, r.worker.id))


def names(conn: Connection, worker_ids: list[str]) -> dict[str, str]:
    """Each of these workers' name, by id (those that exist)."""
    found = {}
    for worker_id in worker_ids:
        row = conn.execute("SELECT name FROM workers WHERE id = ?", (worker_id,)).fetchone()
        if row:
            found[worker_id] = unseal(conn, "workers", "name", worker_id, row[0])
    return found


def known(conn: Connection, worker_ids: set[str]) -> list[KnownWorker]:
    """These workers as a device may know them (name, revoked), by id; those that exist."""
    found = []
    for worker_id in sorted(worker_ids):
        row = conn.execute("SELECT name, status FROM workers WHERE id = ?", (worker_id,)).fetchone()
        if row:
            name = unseal(conn, "workers", "name", worker_id, row[0])
            revoked = row[1] == WorkerStatus.REVOKED.value
            found.append(KnownWorker(id=worker_id, name=name, revoked=revoked))
    return found


def revoke(conn: Connection, ref: str) -> Worker:
    record = find(conn, ref)
    with transaction(conn):
        conn.execute(
            "UPDATE workers SET status = 'revoked', revoked_at = ?, code_used = 1 WHERE id = ?",
            (now_stamp(), record.worker.id),
        )
        audit.record(conn, "district", "worker-revoke", "worker", record.worker.id)
    return get(conn, record.worker.id).worker


def units_in_use(conn: Connection) -> list[str]:
    """The unit of each worker, one entry per worker (the unit list counts them)."""
    return [r.worker.unit for r in listing(conn)]


def move_unit(conn: Connection, old_key: str, new: str, fold: Callable[[str], str]) -> int:
    """Every worker whose unit folds to `old_key` given the unit `new`, inside the
    caller's transaction (a unit renamed or mapped). Returns how many moved."""
    moved = 0
    for record in listing(conn):
        if fold(record.worker.unit) == old_key and record.worker.unit != new:
            worker_id = record.worker.id
            conn.execute(
                "UPDATE workers SET unit = ? WHERE id = ?",
                (seal(conn, "workers", "unit", worker_id, new), worker_id),
            )
            moved += 1
    return moved


def enrol(conn: Connection, worker_id: str, replica_id: str, public: PublicIdentity) -> bool:
    """A pending worker's device and keys, its code spent; False when the code was spent
    meanwhile (checked in the same statement, under the caller's write lock)."""
    return bool(
        conn.execute(
            "UPDATE workers SET status = 'enrolled', replica_id = ?, keys = ?, fingerprint = ?,"
            " code_used = 1, counter_out = 1 WHERE id = ? AND code_used = 0 AND status = 'pending'",
            (replica_id, json.dumps(public.to_dict()), public.fingerprint, worker_id),
        ).rowcount
    )


def record_sync(
    conn: Connection, worker_id: str, *, acked: int, counter_in: int, counter_out: int
) -> None:
    """A sync handled: what is acknowledged of the worker's changes, the counters of the
    bundle it sent and of the reply."""
    conn.execute(
        "UPDATE workers SET acked_seq = ?, counter_in = ?, counter_out = ?, last_sync = ?"
        " WHERE id = ?",
        (acked, counter_in, counter_out, now_stamp(), worker_id),
    )


def skip_reply(conn: Connection, worker_id: str) -> None:
    """One reply counter spent on a reply that is never sent (a dropped handover reply)."""
    conn.execute("UPDATE workers SET counter_out = counter_out + 1 WHERE id = ?", (worker_id,))
