"""The Prevention Group's decisions as the district records them (issue 17, DESIGN §10).

A decision is a district-owned change that travels to the case team at its next sync,
with one change per measure it decides and the district's updates of the case fields it
changes (next review, status). The rows are fieldkit/replica/decisions.py's; the workers'
measure states arrive through fieldkit/district/exchange.py like any of their changes.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fieldkit import rules
from fieldkit.district import cases as district_cases
from fieldkit.errors import InvalidValue, UsageError
from fieldkit.model import CaseStatus, Change, Decision
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import changelog, decisions, merge, meta
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction


def record(
    conn: Connection,
    case_ref: str,
    *,
    meeting_id: str | None,
    meeting_date: date,
    measures: list[str],
    referent: str | None,
    next_review: date | None,
    status: CaseStatus | None,
    reason: str | None,
    note_for_team: str | None,
) -> Decision:
    """Record the group's decision on a case, in one transaction; audited ("decide").

    The measures are numbered after the case's earlier ones. A status of `closed` closes
    the case as `district case close` does, and needs `reason`; `suspended` or `active`
    changes the status (the reason stays with the decision). A closed case refuses.
    """
    case_id = district_cases.resolve(conn, case_ref)
    case = stored_cases.load(conn, case_id)
    if case.status == CaseStatus.CLOSED:
        raise UsageError("case.closed", ref=case.reference)
    texts = [text.strip() for text in measures]
    if any(not text for text in texts):
        raise InvalidValue("value.missing", field="measure")
    for text in texts:
        rules.check_text("measure", text)
    referent = _text("referent", referent)
    note_for_team = _text("note_for_team", note_for_team)
    reason = _text("reason", reason)
    if status == CaseStatus.CLOSED:
        district_cases.check_closure_reason(reason)
    if not (texts or referent or note_for_team or next_review or status):
        raise UsageError("decision.empty")
    decision_id = uuid.uuid4().hex
    fields: dict[str, Any] = {
        "meeting_id": meeting_id,
        "meeting_date": meeting_date.isoformat(),
        "referent": referent,
        "next_review": next_review.isoformat() if next_review else None,
        "status": status.value if status else None,
        "reason": reason,
        "note_for_team": note_for_team,
    }
    with transaction(conn):
        _write(conn, decisions.DECISION, decision_id, case_id, "add", fields)
        number = decisions.last_number(conn, case_id)
        for text in texts:
            number += 1
            measure = {"decision_id": decision_id, "number": number, "text": text}
            _write(conn, decisions.MEASURE, uuid.uuid4().hex, case_id, "add", measure)
        if next_review is not None and next_review != case.next_review:
            district_cases.write_fields(conn, case_id, {"next_review": next_review.isoformat()})
        if status == CaseStatus.CLOSED:
            assert reason is not None
            district_cases.close_within(conn, case_id, reason)
        elif status is not None and status != case.status:
            district_cases.write_fields(conn, case_id, {"status": status.value})
        audit.record(conn, "district", "decide", "case", case_id, f"measures={len(texts)}")
    found = decisions.get(conn, decision_id)
    assert found is not None
    return found


def for_case(conn: Connection, case_id: str) -> list[Decision]:
    """A case's decisions, oldest first, with their measures and the team's states."""
    return decisions.for_case(conn, case_id)


def for_meeting(conn: Connection, meeting_id: str) -> list[Decision]:
    """The decisions recorded at one meeting, oldest first."""
    return decisions.for_meeting(conn, meeting_id)


def _text(field: str, value: str | None) -> str | None:
    text = (value or "").strip() or None
    rules.check_text(field, text)
    return text


def _write(
    conn: Connection, entity: str, entity_id: str, case_id: str, op: str, fields: dict[str, Any]
) -> Change:
    """A district-owned change, logged and applied as any replica's."""
    change = changelog.new_local(
        conn,
        origin=meta.get(conn, "replica_id") or "",
        author=decisions.DISTRICT,
        entity=entity,
        entity_id=entity_id,
        case_id=case_id,
        op=op,
        fields=fields,
    )
    merge.apply(conn, change)
    return change
