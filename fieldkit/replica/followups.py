"""Follow-ups and their amendments, as the store keeps them (append-only)."""

from __future__ import annotations

import json
from typing import Any

from fieldkit.errors import NotFound, UsageError
from fieldkit.model import Amendment, FollowUp
from fieldkit.replica.columns import seal, unseal
from fieldkit.replica.db import Connection

FOLLOWUPS_SCHEMA = """
CREATE TABLE followups (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    occurred_on TEXT NOT NULL,
    hlc TEXT NOT NULL,
    kind TEXT NOT NULL,
    next_contact TEXT,
    concern_level TEXT,
    data TEXT NOT NULL
);
CREATE INDEX followups_case ON followups (case_id, occurred_on, hlc);
CREATE INDEX followups_contact ON followups (case_id, next_contact) WHERE next_contact IS NOT NULL;
CREATE TABLE amendments (
    id TEXT PRIMARY KEY,
    followup_id TEXT NOT NULL,
    case_id TEXT NOT NULL,
    hlc TEXT NOT NULL,
    author TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX amendments_followup ON amendments (followup_id)
"""

# A withdrawn follow-up (its amendment sets `withdrawn_reason`) is flagged in this column so
# that the agenda, the report and the concern counts leave it out (issue 14). A migration
# step of both stores (fieldkit/store/schema.py, fieldkit/district/schema.py).
WITHDRAWN_COLUMN = "ALTER TABLE followups ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0"

_SELECT = "SELECT id, data, hlc FROM followups"


def insert(conn: Connection, followup: FollowUp) -> bool:
    """Store a follow-up; False when it was already there."""
    data = followup.model_dump(mode="json", exclude={"amendments", "hlc", "unreadable"})
    cursor = conn.execute(
        "INSERT INTO followups (id, case_id, occurred_on, hlc, kind, next_contact, concern_level,"
        " data) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (
            followup.id,
            followup.case_id,
            followup.occurred_on.isoformat(),
            followup.hlc,
            followup.kind.value,
            followup.next_contact.isoformat() if followup.next_contact else None,
            followup.concern_level.value if followup.concern_level else None,
            seal(
                conn,
                "followups",
                "data",
                followup.id,
                json.dumps(data, ensure_ascii=False, sort_keys=True),
            ),
        ),
    )
    inserted = cursor.rowcount > 0
    if (
        inserted
        and conn.execute(
            "SELECT 1 FROM amendments WHERE followup_id = ? LIMIT 1", (followup.id,)
        ).fetchone()
    ):
        _refresh_columns(conn, followup.id)  # its amendments arrived first
    return inserted


def add_amendment(conn: Connection, followup_id: str, case_id: str, amendment: Amendment) -> None:
    conn.execute(
        "INSERT INTO amendments (id, followup_id, case_id, hlc, author, fields)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        (
            amendment.id,
            followup_id,
            case_id,
            amendment.hlc,
            amendment.author,
            seal(
                conn,
                "amendments",
                "fields",
                amendment.id,
                json.dumps(amendment.fields, ensure_ascii=False, sort_keys=True),
            ),
        ),
    )
    _refresh_columns(conn, followup_id)


def _refresh_columns(conn: Connection, followup_id: str) -> None:
    """Keep the indexed columns equal to the amended values."""
    try:
        current = get(conn, followup_id).current()
    except NotFound:
        return  # the amendment arrived first; insert() of the follow-up will catch up
    # A withdrawn follow-up plans no contact and raises no concern any more.
    withdrawn = current.withdrawn_reason is not None
    conn.execute(
        "UPDATE followups SET occurred_on = ?, kind = ?, next_contact = ?, concern_level = ?,"
        " withdrawn = ? WHERE id = ?",
        (
            current.occurred_on.isoformat(),
            current.kind.value,
            current.next_contact.isoformat() if current.next_contact and not withdrawn else None,
            current.concern_level.value if current.concern_level and not withdrawn else None,
            1 if withdrawn else 0,
            followup_id,
        ),
    )


def _amendments(conn: Connection, followup_ids: list[str]) -> dict[str, list[Amendment]]:
    result: dict[str, list[Amendment]] = {}
    for start in range(0, len(followup_ids), 500):
        chunk = followup_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for fid, aid, hlc, author, fields in conn.execute(
            f"SELECT followup_id, id, hlc, author, fields FROM amendments"
            f" WHERE followup_id IN ({marks}) ORDER BY hlc, id",
            chunk,
        ):
            text = unseal(conn, "amendments", "fields", aid, fields)
            result.setdefault(fid, []).append(
                Amendment(id=aid, hlc=hlc, author=author, fields=json.loads(text))
            )
    return result


def _build(rows: list[tuple[str, str, str]], conn: Connection) -> list[FollowUp]:
    items = []
    for followup_id, data, hlc in rows:
        record: dict[str, Any] = json.loads(unseal(conn, "followups", "data", followup_id, data))
        record["hlc"] = hlc
        items.append(FollowUp.model_validate(record))
    amendments = _amendments(conn, [f.id for f in items]) if items else {}
    for item in items:
        item.amendments = amendments.get(item.id, [])
    return items


def get(conn: Connection, followup_id: str) -> FollowUp:
    rows = conn.execute(_SELECT + " WHERE id = ?", (followup_id,)).fetchall()
    if not rows:
        raise NotFound("followup.not_found", ref=followup_id)
    return _build(rows, conn)[0]


def resolve_id(conn: Connection, ref: str) -> str:
    """The follow-up id for an id or a unique prefix of at least 6 characters."""
    ref = ref.strip()
    if conn.execute("SELECT 1 FROM followups WHERE id = ?", (ref,)).fetchone():
        return ref
    if len(ref) >= 6:
        escaped = ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = conn.execute(
            "SELECT id FROM followups WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (escaped,)
        ).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if len(rows) > 1:
            raise UsageError("followup.ambiguous", ref=ref)
    raise NotFound("followup.not_found", ref=ref)


def for_case(
    conn: Connection, case_id: str, *, since: str | None = None, limit: int | None = None
) -> list[FollowUp]:
    """A case's follow-ups, newest first."""
    sql = _SELECT + " WHERE case_id = ?"
    params: list[Any] = [case_id]
    if since:
        sql += " AND occurred_on >= ?"
        params.append(since)
    sql += " ORDER BY occurred_on DESC, hlc DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return _build(conn.execute(sql, params).fetchall(), conn)


def all_followups(conn: Connection, limit: int | None = None) -> list[FollowUp]:
    sql = _SELECT + " ORDER BY occurred_on DESC, hlc DESC"
    if limit:
        return _build(conn.execute(sql + " LIMIT ?", (limit,)).fetchall(), conn)
    return _build(conn.execute(sql).fetchall(), conn)


def count(conn: Connection, case_id: str | None = None) -> int:
    if case_id is None:
        return conn.execute("SELECT count(*) FROM followups").fetchone()[0]
    return conn.execute("SELECT count(*) FROM followups WHERE case_id = ?", (case_id,)).fetchone()[
        0
    ]


def activity(conn: Connection, since: str) -> dict[str, tuple[str, int, int]]:
    """Per case: (date of its latest follow-up, follow-ups on or after `since`, high
    concerns among those), for every case with at least one follow-up.

    Case by case, through the indexes on (case_id, occurred_on) and (concern_level,
    case_id, occurred_on): the cost follows the cases and their recent follow-ups, not
    every follow-up ever recorded.
    """
    rows = conn.execute(
        """
        SELECT c.id,
               (SELECT max(f.occurred_on) FROM followups AS f
                WHERE f.case_id = c.id AND f.withdrawn = 0),
               (SELECT count(*) FROM followups AS f
                WHERE f.case_id = c.id AND f.occurred_on >= ? AND f.withdrawn = 0),
               (SELECT count(*) FROM followups AS f
                WHERE f.concern_level = 'high' AND f.case_id = c.id AND f.occurred_on >= ?)
        FROM cases AS c
        """,
        (since, since),
    )
    return {
        case_id: (last, recent, high) for case_id, last, recent, high in rows if last is not None
    }


# A case's planned contact, the one definition of it (agenda, case list and show, the
# summary): the next contact set by its latest follow-up that set one, as amended; it is
# done once any follow-up happened on or after that date, and a closed case has none. A
# withdrawn follow-up neither plans a contact (its column is emptied) nor makes one done.
_PLANNED_CONTACT = """
    SELECT c.id, l.id, l.next_contact
    FROM cases AS c
    JOIN followups AS l ON l.id = (
        SELECT f.id FROM followups AS f
        WHERE f.case_id = c.id AND f.next_contact IS NOT NULL
        ORDER BY f.occurred_on DESC, f.hlc DESC LIMIT 1
    )
    WHERE c.status != 'closed'
      AND NOT EXISTS (
          SELECT 1 FROM followups AS g
          WHERE g.case_id = c.id AND g.occurred_on >= l.next_contact AND g.withdrawn = 0
      )
"""


def pending_contacts(conn: Connection, until: str) -> list[tuple[str, str, str]]:
    """(case id, follow-up id, date) of planned next contacts not yet made, due by `until`.

    One seek per open case (index followups_latest_contact), whatever the length of its
    history.
    """
    return conn.execute(
        _PLANNED_CONTACT + " AND l.next_contact <= ? ORDER BY l.next_contact", (until,)
    ).fetchall()


def planned_contact(conn: Connection, case_id: str) -> tuple[str, str] | None:
    """(follow-up id, date) of the case's planned contact not yet made, or None."""
    row = conn.execute(_PLANNED_CONTACT + " AND c.id = ?", (case_id,)).fetchone()
    return (row[1], row[2]) if row else None


def current_concern(conn: Connection, case_id: str) -> str | None:
    """The case's concern level now: the one its latest follow-up that gave one gave."""
    row = conn.execute(
        "SELECT concern_level FROM followups WHERE case_id = ? AND concern_level IS NOT NULL"
        " ORDER BY occurred_on DESC, hlc DESC LIMIT 1",
        (case_id,),
    ).fetchone()
    return row[0] if row else None


def delete_case(conn: Connection, case_id: str) -> None:
    conn.execute("DELETE FROM amendments WHERE case_id = ?", (case_id,))
    conn.execute("DELETE FROM followups WHERE case_id = ?", (case_id,))


def high_concern_counts(conn: Connection) -> dict[str, int]:
    """Per case, how many follow-ups have a high concern level now (cases with none left out)."""
    return dict(
        conn.execute(
            "SELECT case_id, count(*) FROM followups WHERE concern_level = 'high' GROUP BY case_id"
        ).fetchall()
    )
