"""Retention at the district: which closed cases are due for purge, and purging them.

A case's closing time is the HLC of the write that set its `status` field to closed
(`case_fields.hlc`): every store has it, on both backends, with no new column. The HLC
never runs behind the district's clock, so a case is never purged before its time.
Audit events stay (ids, never content); refused changes about a purged case go too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fieldkit.district import cases as district_cases
from fieldkit.district import meetings, refusals
from fieldkit.replica import cases, changelog, conflicts, decisions, followups, grants
from fieldkit.replica.clock import format_hlc, parse_hlc
from fieldkit.store import audit
from fieldkit.store.db import Connection, checkpoint, transaction

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
    return [
        ClosedCase(
            case_id=case_id,
            reference=reference,
            closed_on=_day(hlc),
            followups=followups.count(conn, case_id),
        )
        for case_id, reference, hlc in cases.closed_stamps(conn, bound)
    ]


def purge_closed(
    conn: Connection, cutoff: date, only: set[str] | None = None, *, on_file: bool = True
) -> list[ClosedCase]:
    """Delete every closed case closed before `cutoff` (those of them in `only`, the ids
    a person confirmed, when given), in one transaction; returns what went.

    Selected again under the write lock, so an open case is never touched. On the file,
    the WAL is checkpointed afterwards so that the freed content leaves it too
    (`secure_delete` has zeroed it in the pages); on PostgreSQL the rows' space is
    reclaimed by VACUUM (docs/postgresql.md).
    """
    with transaction(conn):
        due = closed_before(conn, cutoff)
        if only is not None:
            due = [item for item in due if item.case_id in only]
        purge(conn, due)
    if on_file:
        checkpoint(conn)
    return due


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
    if refusals.any_kept(conn):
        earlier = audit.object_ids(conn, "district", PURGE_ACTION, "case") - now
        late = refusals.delete_about(conn, now, earlier)
    if late:
        audit.record(conn, "district", PURGE_ACTION, "refusals", "", f"count={late}")
    return late


def _delete_case(conn: Connection, case_id: str) -> None:
    # Resolutions are keyed by conflict id alone: those of this case's conflicts, and those
    # that arrived before their conflict did (known only from the change log).
    resolved = conflicts.ids_of_case(conn, case_id)
    resolved.update(changelog.entity_ids_of_case(conn, case_id, "conflict"))
    district_cases.delete_assignments(conn, case_id)
    followups.delete_case(conn, case_id)
    grants.delete_case(conn, case_id)  # who was on its team, and its sealed keys
    decisions.delete_case(conn, case_id)
    meetings.delete_case(conn, case_id)  # its place on the agendas
    changelog.delete_case(conn, case_id)
    cases.purge(conn, case_id, resolved)


def _day(hlc: str) -> date:
    wall_ms, _ = parse_hlc(hlc)
    return datetime.fromtimestamp(wall_ms / 1000, UTC).date()
