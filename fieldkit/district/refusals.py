"""The changes the district refused, kept whole, and a coordinator's decision on each.

A refused change is never dropped: it is kept (sealed) with its reason, listed by
`district refusals list`, and a coordinator accepts it once the rules allow it (after
reassigning the case, say) or dismisses it with a reason. Each decision is audited and
travels back to the worker at its next sync, which then lets go of its own copy.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

from fieldkit.dates import now_stamp
from fieldkit.district import archive, workers
from fieldkit.district import cases as district_cases
from fieldkit.district.authorise import reason_text, refusal_reason
from fieldkit.errors import InvalidValue, NotFound, Refused, UsageError
from fieldkit.model import Change, RefusedChange, WorkerStatus
from fieldkit.replica import cases, merge
from fieldkit.replica.columns import row_key, seal, unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction
from fieldkit.sync.payload import Decision

PENDING, ACCEPTED, DISMISSED = "pending", "accepted", "dismissed"
STATUSES = (PENDING, ACCEPTED, DISMISSED)

_COLUMNS = "id, worker_id, origin, seq, reason, change, at, status, decided_at, decision_reason"


# A refused grant of a case key (fieldkit/replica/grants.py) carries no one's work: the key
# stays on the device that made it. It is kept, so that the acknowledgement moves on, but
# with this status: never listed to a coordinator, never sent back as refused.
DROPPED = "dropped"


def record(
    conn: Connection, worker_id: str, change: Change, reason: str, status: str = "pending"
) -> bool:
    """Keep a refused change whole (never silently dropped); False if already recorded."""
    cursor = conn.execute(
        "INSERT INTO refusals (worker_id, origin, seq, reason, change, at, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (worker_id, origin, seq) DO NOTHING",
        (
            worker_id,
            change.origin,
            change.seq,
            reason,
            seal(conn, "refusals", "change", _key(worker_id, change), change.model_dump_json()),
            now_stamp(),
            status,
        ),
    )
    return cursor.rowcount > 0


def listing(conn: Connection, status: str | None = None) -> list[RefusedChange]:
    """Refused changes, oldest first; all of them, or those with one status."""
    if status is not None and status not in STATUSES:
        raise InvalidValue(
            "value.bad_choice", field="status", value=status, choices=", ".join(STATUSES)
        )
    sql = f"SELECT {_COLUMNS} FROM refusals"
    params: tuple = (DROPPED,)
    sql += " WHERE status != ?"
    if status is not None:
        sql += " AND status = ?"
        params = (DROPPED, status)
    hidden = archive.ids(conn)
    rows = conn.execute(sql + " ORDER BY id", params).fetchall()
    return [_build(conn, row, hidden) for row in rows]


def get(conn: Connection, ref: str) -> RefusedChange:
    """One refused change by its number (as `district refusals list` shows it)."""
    number = ref.strip().lstrip("#")
    row = None
    if number.isdigit():
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM refusals WHERE id = ?", (int(number),)
        ).fetchone()
    if row is None:
        raise NotFound("refusal.not_found", ref=ref)
    return _build(conn, row)


def show(conn: Connection, ref: str) -> RefusedChange:
    """One refused change, as a coordinator views it (audited)."""
    item = get(conn, ref)
    with transaction(conn):
        audit.record(conn, "district", "view", "refusal", item.id)
    return item


def accept(conn: Connection, ref: str) -> RefusedChange:
    """Apply a refused change now that the rules allow it (the worker's assignments as they
    are now); Refused when they still don't."""
    with transaction(conn):
        item = _pending(conn, ref)
        change = item.change
        worker = item.worker_id
        origin = workers.get(conn, worker).replica_id or ""
        assigned = set(district_cases.assigned(conn, worker))
        reason = refusal_reason(conn, change, origin, worker, assigned)
        if reason is not None and item.archived:
            # An archived case is never assigned again: dismissing is the decision left.
            raise Refused("refusal.archived_still_refused", ref=item.id, reason=reason_text(reason))
        if reason is not None:
            raise Refused("refusal.still_refused", ref=item.id, reason=reason_text(reason))
        merge.apply(conn, change)
        _apply_dropped_grants(conn, worker, origin, change.case_id, assigned)
        _decide(conn, item, ACCEPTED, "")
        audit.record(conn, "district", "refusal-accept", "refusal", item.id, change.id)
    return get(conn, item.id)


def _apply_dropped_grants(
    conn: Connection, worker_id: str, origin: str, case_id: str, assigned: set[str]
) -> None:
    """The worker's grants of the case's keys dropped beside the change now accepted: the
    change may be sealed under one of them, so those the rules now allow are applied (and
    relayed to the team) and their dropped record goes."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM refusals WHERE worker_id = ? AND status = ? ORDER BY id",
        (worker_id, DROPPED),
    ).fetchall()
    for row in rows:
        item = _build(conn, row)
        if item.change.case_id != case_id:
            continue
        if refusal_reason(conn, item.change, origin, worker_id, assigned) is None:
            merge.apply(conn, item.change)
            conn.execute("DELETE FROM refusals WHERE id = ?", (int(item.id),))


def dismiss(conn: Connection, ref: str, reason: str) -> RefusedChange:
    """Record that a refused change will not be applied, and why (audited, sent back)."""
    if not reason.strip():
        raise InvalidValue("value.missing", field="reason")
    with transaction(conn):
        item = _pending(conn, ref)
        _decide(conn, item, DISMISSED, reason.strip())
        audit.record(conn, "district", "refusal-dismiss", "refusal", item.id, item.change.id)
    return get(conn, item.id)


def decisions_for(conn: Connection, worker_id: str) -> list[Decision]:
    """The decisions on this worker's refused changes it has not yet said it holds."""
    rows = conn.execute(
        "SELECT origin, seq, status, decided_at, decision_reason FROM refusals"
        " WHERE worker_id = ? AND status NOT IN ('pending', 'dropped') AND notified = 0"
        " ORDER BY id",
        (worker_id,),
    ).fetchall()
    result = []
    for origin, seq, status, decided_at, sealed in rows:
        key = row_key(worker_id, origin, str(seq))
        reason = unseal(conn, "refusals", "decision_reason", key, sealed) if sealed else ""
        result.append(
            Decision(
                change_id=f"{origin}:{seq}", decision=status, reason=reason, at=decided_at or ""
            )
        )
    return result


def mark_notified(conn: Connection, worker_id: str, change_ids: list[str]) -> None:
    """The worker holds these decisions: they are not sent again."""
    for change_id in change_ids:
        origin, _, seq = change_id.rpartition(":")
        if not seq.isdigit():
            continue
        conn.execute(
            "UPDATE refusals SET notified = 1 WHERE worker_id = ? AND origin = ? AND seq = ?"
            " AND status != 'pending'",
            (worker_id, origin, int(seq)),
        )


def refused_seqs(conn: Connection, worker_id: str, origin: str, above_seq: int) -> set[int]:
    """The seqs above `above_seq` of `origin`'s changes refused to this worker."""
    return {
        row[0]
        for row in conn.execute(
            "SELECT seq FROM refusals WHERE worker_id = ? AND origin = ? AND seq > ?",
            (worker_id, origin, above_seq),
        )
    }


def any_kept(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM refusals LIMIT 1").fetchone() is not None


def pending_by_case(conn: Connection) -> Counter[str]:
    """How many refused changes wait for a coordinator's decision, per case id (the case id
    is inside the sealed change). Retention holds such a case back (district/retention.py):
    archived, it would leave the listings the coordinator decides from; deleted, the
    refused work would go with it."""
    rows = conn.execute(
        "SELECT worker_id, origin, seq, change FROM refusals WHERE status = ?", (PENDING,)
    ).fetchall()
    found: Counter[str] = Counter()
    for worker_id, origin, seq, sealed in rows:
        text = unseal(conn, "refusals", "change", row_key(worker_id, origin, str(seq)), sealed)
        found[json.loads(text).get("case_id", "")] += 1
    return found


def delete_about(conn: Connection, now: set[str], earlier: set[str]) -> int:
    """Delete the refused changes about these cases, purged `now` or `earlier` (the case id
    is inside the sealed change), once nothing is owed on them; returns how many were
    about the `earlier` ones.

    Owed: a pending one waits for a coordinator (retention never purges a case `now` while
    one is pending; one about an `earlier` case came from a device that still held it
    after the purge); a decided one, for its device to hold the decision (it keeps its
    own copy until then), unless that worker is revoked (its device is wiped, never told).
    Those stay, and go at a later purge or retention run."""
    rows = conn.execute(
        "SELECT id, worker_id, origin, seq, change, status, notified FROM refusals"
    ).fetchall()
    revoked = {
        record.worker.id
        for record in workers.listing(conn)
        if record.worker.status == WorkerStatus.REVOKED
    }
    doomed, late = [], 0
    for refusal_id, worker_id, origin, seq, sealed, status, notified in rows:
        if status == PENDING:
            continue
        if status != DROPPED and not notified and worker_id not in revoked:
            continue
        text = unseal(conn, "refusals", "change", row_key(worker_id, origin, str(seq)), sealed)
        case_id = json.loads(text).get("case_id")
        if case_id in now or case_id in earlier:
            doomed.append(refusal_id)
            late += case_id in earlier
    for refusal_id in doomed:
        conn.execute("DELETE FROM refusals WHERE id = ?", (refusal_id,))
    return late


def every_change(conn: Connection) -> list[tuple[int, str, Change]]:
    """(number, worker id, the change) of every refused change kept, whatever its status."""
    rows = conn.execute("SELECT id, worker_id, origin, seq, change FROM refusals ORDER BY id")
    found = []
    for number, worker_id, origin, seq, sealed in rows.fetchall():
        text = unseal(conn, "refusals", "change", row_key(worker_id, origin, str(seq)), sealed)
        found.append((int(number), worker_id, Change.model_validate_json(text)))
    return found


def replace_change(conn: Connection, number: int, worker_id: str, change: Change) -> None:
    """Keep a refused change again, the same change with its team texts now sealed."""
    conn.execute(
        "UPDATE refusals SET change = ? WHERE id = ?",
        (
            seal(conn, "refusals", "change", _key(worker_id, change), change.model_dump_json()),
            number,
        ),
    )


def _pending(conn: Connection, ref: str) -> RefusedChange:
    item = get(conn, ref)
    if item.status != PENDING:
        raise UsageError("refusal.already_decided", ref=item.id, status=item.status)
    return item


def _decide(conn: Connection, item: RefusedChange, status: str, reason: str) -> None:
    key = _key(item.worker_id, item.change)
    conn.execute(
        "UPDATE refusals SET status = ?, decided_at = ?, decision_reason = ?, notified = 0"
        " WHERE id = ?",
        (
            status,
            now_stamp(),
            seal(conn, "refusals", "decision_reason", key, reason) if reason else None,
            int(item.id),
        ),
    )


def archived_case(conn: Connection, ref: str) -> str:
    """The archived case a refused change is about, for `district archive open --refusal`
    (the listings do not name it); NotFound when that case is not in the archive."""
    item = get(conn, ref)
    if not item.archived:
        raise NotFound("refusal.not_archived", ref=item.id)
    return item.change.case_id


def _build(conn: Connection, row: tuple, hidden: set[str] | None = None) -> RefusedChange:
    number, worker_id, origin, seq, reason, sealed, at, status, decided_at, decision = row
    key = row_key(worker_id, origin, str(seq))
    change = Change.model_validate_json(unseal(conn, "refusals", "change", key, sealed))
    archived = change.case_id in (archive.ids(conn) if hidden is None else hidden)
    return RefusedChange(
        id=str(number),
        change_id=f"{origin}:{seq}",
        change=change,
        reason=reason,
        at=datetime.fromisoformat(at),
        worker_id=worker_id,
        case_reference="" if archived else cases.reference_of(conn, change.case_id) or "",
        archived=archived,
        status=status,
        decided_at=datetime.fromisoformat(decided_at) if decided_at else None,
        decision_reason=(
            unseal(conn, "refusals", "decision_reason", key, decision) if decision else None
        ),
    )


def _key(worker_id: str, change: Change) -> str:
    return row_key(worker_id, change.origin, str(change.seq))
