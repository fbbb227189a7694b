"""Retention at the district: which closed cases are due for purge, and purging them.

A case's closing time is the HLC of the write that set its `status` field to closed
(`case_fields.hlc`): every store has it, on both backends, with no new column. The HLC
never runs behind the district's clock, so a case is never purged before its time.
Audit events stay (ids, never content); refused changes about a purged case go too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fieldkit.model import CaseStatus
from fieldkit.replica import cases, changelog, followups
from fieldkit.replica.clock import format_hlc, parse_hlc
from fieldkit.replica.columns import row_key, unseal
from fieldkit.store import audit
from fieldkit.store.db import Connection

PURGE_ACTION = "purge"


@dataclass(frozen=True)
class ClosedCase:
    """A closed case due for purge: ids, its closing date and how many follow-ups it has."""

    case_id: str
    reference: str
    closed_on: date
    followups: int

    def as_json(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "closed_on": self.closed_on.isoformat(),
            "followups": self.followups,
        }


def closed_before(conn: Connection, cutoff: date) -> list[ClosedCase]:
    """Closed cases whose closing time is before `cutoff` (00:00 UTC), oldest first."""
    start = datetime.combine(cutoff, time.min, tzinfo=UTC)
    bound = format_hlc(int(start.timestamp()) * 1000, 0)
    rows = conn.execute(
        "SELECT c.id, c.reference, f.hlc FROM cases AS c"
        " JOIN case_fields AS f ON f.case_id = c.id AND f.field = 'status'"
        " WHERE c.status = ? AND f.hlc < ? ORDER BY f.hlc, c.reference",
        (CaseStatus.CLOSED.value, bound),
    ).fetchall()
    return [
        ClosedCase(
            case_id=case_id,
            reference=reference,
            closed_on=_day(hlc),
            followups=followups.count(conn, case_id),
        )
        for case_id, reference, hlc in rows
    ]


def purge(conn: Connection, due: list[ClosedCase]) -> int:
    """Delete these cases' content everywhere, inside the caller's transaction; audit each.

    Also removes refused changes about cases purged on an earlier run (a device that still
    held one sent them afterwards). Returns how many of those earlier refusals went.
    """
    for item in due:
        _delete_case(conn, item.case_id)
        detail = f"reference={item.reference} closed={item.closed_on.isoformat()}"
        audit.record(conn, "district", PURGE_ACTION, "case", item.case_id, detail)
    now = {item.case_id for item in due}
    late = 0
    if conn.execute("SELECT 1 FROM refusals LIMIT 1").fetchone():
        late = _delete_refusals(conn, now, _purged_before(conn) - now)
    if late:
        audit.record(conn, "district", PURGE_ACTION, "refusals", "", f"count={late}")
    return late


def _delete_case(conn: Connection, case_id: str) -> None:
    # Resolutions are keyed by conflict id alone: those of this case's conflicts, and those
    # that arrived before their conflict did (known only from the change log).
    resolved = {
        r[0] for r in conn.execute("SELECT id FROM conflicts WHERE case_id = ?", (case_id,))
    }
    resolved.update(
        r[0]
        for r in conn.execute(
            "SELECT entity_id FROM changes WHERE case_id = ? AND entity = 'conflict'", (case_id,)
        )
    )
    for conflict_id in sorted(resolved):
        conn.execute("DELETE FROM resolved_conflicts WHERE id = ?", (conflict_id,))
    conn.execute("DELETE FROM assignments WHERE case_id = ?", (case_id,))
    followups.delete_case(conn, case_id)
    changelog.delete_case(conn, case_id)
    conn.execute("DELETE FROM case_fields WHERE case_id = ?", (case_id,))
    cases.delete(conn, case_id)


def _purged_before(conn: Connection) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT object_id FROM audit WHERE actor = 'district' AND action = ?"
            " AND object_type = 'case'",
            (PURGE_ACTION,),
        )
    }


def _delete_refusals(conn: Connection, now: set[str], earlier: set[str]) -> int:
    """Delete the refused changes about these cases (the case id is inside the sealed
    change); returns how many were about the `earlier` ones."""
    rows = conn.execute("SELECT id, worker_id, origin, seq, change FROM refusals").fetchall()
    doomed, late = [], 0
    for refusal_id, worker_id, origin, seq, sealed in rows:
        text = unseal(conn, "refusals", "change", row_key(worker_id, origin, str(seq)), sealed)
        case_id = json.loads(text).get("case_id")
        if case_id in now or case_id in earlier:
            doomed.append(refusal_id)
            late += case_id in earlier
    for refusal_id in doomed:
        conn.execute("DELETE FROM refusals WHERE id = ?", (refusal_id,))
    return late


def _day(hlc: str) -> date:
    wall_ms, _ = parse_hlc(hlc)
    return datetime.fromtimestamp(wall_ms / 1000, UTC).date()
