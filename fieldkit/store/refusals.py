"""A device's copies of its changes the district refused, kept until the district decides.

A refused change is acknowledged by the district (it keeps the change whole for a
coordinator), so the device's change log no longer holds it back; the case may even
leave the device. This table keeps the device's own copy, sealed, whatever happens to
the case, until the coordinator's decision (accepted or dismissed) has come back and the
district knows the device has it (issue 12 §3).
"""

from __future__ import annotations

from datetime import datetime

from fieldkit.crypto.casekeys import is_sealed
from fieldkit.dates import now_stamp
from fieldkit.model import Change, RefusedChange
from fieldkit.replica.columns import seal, unseal
from fieldkit.store.db import Connection

REFUSALS_SCHEMA = """
CREATE TABLE refusals (
    change_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_reference TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    change TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    decision_reason TEXT,
    decided_at TEXT,
    confirmed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX refusals_status ON refusals (status, confirmed)
"""

_COLUMNS = "change_id, case_reference, reason, at, change, status, decision_reason, decided_at"


def record(conn: Connection, change: Change, case_reference: str, reason: str) -> bool:
    """Keep a copy of a refused change; False when it was already kept."""
    cursor = conn.execute(
        "INSERT INTO refusals (change_id, case_id, case_reference, reason, at, change)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (change_id) DO NOTHING",
        (
            change.id,
            change.case_id,
            case_reference,
            reason,
            now_stamp(),
            seal(conn, "refusals", "change", change.id, change.model_dump_json()),
        ),
    )
    return cursor.rowcount > 0


def decide(conn: Connection, change_id: str, decision: str, reason: str, at: str) -> bool:
    """Record the coordinator's decision on a kept copy; False when none is kept (the
    decision is still noted, so that the device tells the district it has it)."""
    sealed = seal(conn, "refusals", "decision_reason", change_id, reason) if reason else None
    cursor = conn.execute(
        "UPDATE refusals SET status = ?, decision_reason = ?, decided_at = ?, confirmed = 0"
        " WHERE change_id = ?",
        (decision, sealed, at or now_stamp(), change_id),
    )
    if cursor.rowcount:
        return True
    conn.execute(
        "INSERT INTO refusals (change_id, case_id, case_reference, reason, at, change, status,"
        " decision_reason, decided_at) VALUES (?, '', '', '', ?, '', ?, ?, ?)",
        (change_id, now_stamp(), decision, sealed, at or now_stamp()),
    )
    return False


def decided_unconfirmed(conn: Connection) -> list[str]:
    """Change ids whose decision the device holds and has not yet told the district."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT change_id FROM refusals WHERE status != 'pending' AND confirmed = 0"
            " ORDER BY change_id"
        )
    ]


def confirm(conn: Connection, change_ids: list[str]) -> None:
    """The district knows these decisions reached the device: the copies may go."""
    for change_id in change_ids:
        conn.execute(
            "UPDATE refusals SET confirmed = 1, change = '' WHERE change_id = ?", (change_id,)
        )


def listing(conn: Connection, *, include_decided: bool = False) -> list[RefusedChange]:
    """The kept copies, oldest first: those awaiting a decision, or all still held."""
    sql = f"SELECT {_COLUMNS} FROM refusals"
    if not include_decided:
        sql += " WHERE status = 'pending'"
    items = []
    for change_id, reference, reason, at, sealed, status, decision, decided in conn.execute(
        sql + " ORDER BY at, change_id"
    ):
        if not sealed:
            continue  # decided, confirmed, and its copy gone
        change = Change.model_validate_json(unseal(conn, "refusals", "change", change_id, sealed))
        items.append(
            RefusedChange(
                id=change_id,
                change_id=change_id,
                change=change,
                reason=reason,
                at=datetime.fromisoformat(at),
                worker_id=change.author,
                case_reference=reference,
                status=status,
                decided_at=datetime.fromisoformat(decided) if decided else None,
                decision_reason=(
                    unseal(conn, "refusals", "decision_reason", change_id, decision)
                    if decision
                    else None
                ),
            )
        )
    return items


def copy_of(conn: Connection, change_id: str) -> Change | None:
    """The kept copy of a refused change, while the device still holds it."""
    row = conn.execute("SELECT change FROM refusals WHERE change_id = ?", (change_id,)).fetchone()
    if row is None or not row[0]:
        return None
    return Change.model_validate_json(unseal(conn, "refusals", "change", change_id, row[0]))


def count_pending(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM refusals WHERE status = 'pending'").fetchone()[0]


def preview(change: Change, width: int = 80) -> str:
    """The start of the change's main text, for a line naming what was refused."""
    text = change.fields.get("summary") or change.fields.get("situation") or ""
    if is_sealed(text):
        return ""  # a team text this replica cannot open (the district's screens)
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"
