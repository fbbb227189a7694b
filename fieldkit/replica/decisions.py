"""The Prevention Group's decisions and their measures, as every replica keeps them (issue 17).

Three kinds of change, all in the cell's circle (in clear in bundles, DESIGN §9):

- `decision` `add` (entity id: the decision's id): written by the district only. Fields:
  `meeting_id`, `meeting_date`, `referent`, `next_review`, `status`, `reason`,
  `note_for_team` (each may be null but `meeting_date`).
- `measure` `add` (entity id: the measure's id): written by the district only, in the same
  transaction as its decision. Fields: `decision_id`, `number` (1, 2, 3 ... per case, in
  decision order), `text`.
- `measure` `state` (entity id: the measure's id): written by a member of the case team
  (or the district). Fields: `state` (planned | under_way | done | dropped), `changed_on`.

Decisions and measures are append-only and never conflict. A measure's state is the
`state` change with the greatest (HLC, origin), whatever order they arrived in: it is
derived again from the change log each time one arrives, so that every replica holding
the same changes shows the same state. A replica refuses a decision or a measure that
the district did not write (as it refuses a notice: fieldkit/replica/merge.py).
"""

from __future__ import annotations

import json
from typing import Any

from fieldkit.model import Change, Conflict, Decision, Measure, MeasureState
from fieldkit.replica import changelog
from fieldkit.replica.columns import seal, unseal
from fieldkit.replica.db import Connection

DECISIONS_SCHEMA = """
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    meeting_id TEXT,
    meeting_date TEXT NOT NULL,
    hlc TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX decisions_case ON decisions (case_id, hlc);
CREATE INDEX decisions_meeting ON decisions (meeting_id);
CREATE TABLE measures (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    decision_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'planned',
    state_change TEXT,
    changed_on TEXT,
    changed_by TEXT
);
CREATE INDEX measures_case ON measures (case_id, number);
CREATE INDEX measures_decision ON measures (decision_id)
"""

DECISION = "decision"
MEASURE = "measure"
DISTRICT = "district"

# The fields of each change, exactly: anything else is refused as malformed.
DECISION_FIELDS = frozenset(
    {"meeting_id", "meeting_date", "referent", "next_review", "status", "reason", "note_for_team"}
)
MEASURE_ADD_FIELDS = frozenset({"decision_id", "number", "text"})
MEASURE_STATE_FIELDS = frozenset({"state", "changed_on"})


def decision_add(conn: Connection, change: Change) -> list[Conflict]:
    """The merge handler of a decision: stored, if the district wrote it."""
    if change.author != DISTRICT or not set(change.fields) <= DECISION_FIELDS:
        raise ValueError("not a decision of the district")
    decision = Decision.model_validate(
        {**change.fields, "id": change.entity_id, "case_id": change.case_id, "hlc": change.hlc}
    )
    data = decision.model_dump(
        mode="json", include={"referent", "next_review", "status", "reason", "note_for_team"}
    )
    conn.execute(
        "INSERT INTO decisions (id, case_id, meeting_id, meeting_date, hlc, data)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (
            decision.id,
            decision.case_id,
            decision.meeting_id,
            decision.meeting_date.isoformat(),
            decision.hlc,
            seal(conn, "decisions", "data", decision.id, _dump(data)),
        ),
    )
    return []


def measure_add(conn: Connection, change: Change) -> list[Conflict]:
    """The merge handler of a new measure: stored, if the district wrote it."""
    if change.author != DISTRICT or set(change.fields) != MEASURE_ADD_FIELDS:
        raise ValueError("not a measure of the district")
    measure = Measure.model_validate(
        {**change.fields, "id": change.entity_id, "case_id": change.case_id}
    )
    conn.execute(
        "INSERT INTO measures (id, case_id, decision_id, number, text)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (
            measure.id,
            measure.case_id,
            measure.decision_id,
            measure.number,
            seal(conn, "measures", "text", measure.id, measure.text),
        ),
    )
    _settle_state(conn, change.case_id, measure.id)  # a state may have come first
    return []


def measure_state(conn: Connection, change: Change) -> list[Conflict]:
    """The merge handler of a measure's new state: the latest state change wins."""
    check_state_fields(change.fields)
    _settle_state(conn, change.case_id, change.entity_id)
    return []


def check_state_fields(fields: dict[str, Any]) -> None:
    """A state change holds a known state and the day it was set (ValueError if not)."""
    if set(fields) != MEASURE_STATE_FIELDS:
        raise ValueError("a measure's state change holds its state and its day")
    Measure.model_validate(
        {"id": "-", "case_id": "-", "decision_id": "-", "number": 1, "text": "", **fields}
    )


def _settle_state(conn: Connection, case_id: str, measure_id: str) -> None:
    """A measure's state, from the latest of its state changes in the log (by HLC, origin)."""
    changes = [
        c
        for c in changelog.of_case(conn, case_id, MEASURE)
        if c.op == "state" and c.entity_id == measure_id
    ]
    if not changes:
        return
    latest = max(changes, key=lambda c: (c.hlc, c.origin))
    conn.execute(
        "UPDATE measures SET state = ?, state_change = ?, changed_on = ?, changed_by = ?"
        " WHERE id = ? AND case_id = ?",
        (
            MeasureState(latest.fields["state"]).value,
            latest.id,
            latest.fields.get("changed_on"),
            latest.author,
            measure_id,
            case_id,
        ),
    )


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


# Reads


def for_case(conn: Connection, case_id: str) -> list[Decision]:
    """A case's decisions, oldest first, each with its measures by number."""
    rows = conn.execute(
        "SELECT id, case_id, meeting_id, meeting_date, hlc, data FROM decisions"
        " WHERE case_id = ? ORDER BY hlc, id",
        (case_id,),
    ).fetchall()
    return _decisions(conn, rows)


def for_meeting(conn: Connection, meeting_id: str) -> list[Decision]:
    """The decisions taken at one meeting, oldest first."""
    rows = conn.execute(
        "SELECT id, case_id, meeting_id, meeting_date, hlc, data FROM decisions"
        " WHERE meeting_id = ? ORDER BY hlc, id",
        (meeting_id,),
    ).fetchall()
    return _decisions(conn, rows)


def get(conn: Connection, decision_id: str) -> Decision | None:
    rows = conn.execute(
        "SELECT id, case_id, meeting_id, meeting_date, hlc, data FROM decisions WHERE id = ?",
        (decision_id,),
    ).fetchall()
    found = _decisions(conn, rows)
    return found[0] if found else None


def _decisions(conn: Connection, rows: list[tuple]) -> list[Decision]:
    result = []
    for decision_id, case_id, meeting_id, meeting_date, hlc, data in rows:
        fields = json.loads(unseal(conn, "decisions", "data", decision_id, data))
        result.append(
            Decision.model_validate(
                {
                    **fields,
                    "id": decision_id,
                    "case_id": case_id,
                    "meeting_id": meeting_id,
                    "meeting_date": meeting_date,
                    "hlc": hlc,
                    "measures": [m.model_dump() for m in measures_of_decision(conn, decision_id)],
                }
            )
        )
    return result


_MEASURE_COLUMNS = "id, case_id, decision_id, number, text, state, changed_on, changed_by"


def measures_of_decision(conn: Connection, decision_id: str) -> list[Measure]:
    rows = conn.execute(
        f"SELECT {_MEASURE_COLUMNS} FROM measures WHERE decision_id = ? ORDER BY number",
        (decision_id,),
    )
    return [_measure(conn, r) for r in rows]


def measures_of_case(conn: Connection, case_id: str) -> list[Measure]:
    """A case's measures by number."""
    rows = conn.execute(
        f"SELECT {_MEASURE_COLUMNS} FROM measures WHERE case_id = ? ORDER BY number",
        (case_id,),
    )
    return [_measure(conn, r) for r in rows]


def measure_by_number(conn: Connection, case_id: str, number: int) -> Measure | None:
    row = conn.execute(
        f"SELECT {_MEASURE_COLUMNS} FROM measures WHERE case_id = ? AND number = ?",
        (case_id, number),
    ).fetchone()
    return _measure(conn, row) if row else None


def measure(conn: Connection, measure_id: str) -> Measure | None:
    row = conn.execute(
        f"SELECT {_MEASURE_COLUMNS} FROM measures WHERE id = ?", (measure_id,)
    ).fetchone()
    return _measure(conn, row) if row else None


def last_number(conn: Connection, case_id: str) -> int:
    """The number of a case's latest measure (0 when it has none)."""
    row = conn.execute("SELECT max(number) FROM measures WHERE case_id = ?", (case_id,)).fetchone()
    return int(row[0] or 0)


def _measure(conn: Connection, row: tuple) -> Measure:
    measure_id, case_id, decision_id, number, text, state, changed_on, changed_by = row
    return Measure(
        id=measure_id,
        case_id=case_id,
        decision_id=decision_id,
        number=int(number),
        text=unseal(conn, "measures", "text", measure_id, text),
        state=MeasureState(state),
        changed_on=changed_on,
        changed_by=changed_by,
    )


def delete_case(conn: Connection, case_id: str) -> None:
    """A case's decisions and measures (a purge, or a case derived again from its log)."""
    conn.execute("DELETE FROM measures WHERE case_id = ?", (case_id,))
    conn.execute("DELETE FROM decisions WHERE case_id = ?", (case_id,))
