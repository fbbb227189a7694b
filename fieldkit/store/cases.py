"""Cases as the store keeps them: one row per case, one row per field with its version.

Each field remembers the change that wrote it (id, HLC, origin), which is what
per-field last-writer-wins merging compares (see fieldkit/sync/merge.py).
Conflicts (the losing concurrent values) live here too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldkit.errors import NotFound, UsageError
from fieldkit.model import Case, Conflict
from fieldkit.store.columns import cipher, row_key, seal, unseal
from fieldkit.store.db import Connection

CASES_SCHEMA = """
CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'active',
    next_review TEXT,
    purge_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cases_status ON cases (status, reference);
CREATE INDEX cases_review ON cases (next_review);
CREATE TABLE case_fields (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    change_id TEXT NOT NULL,
    hlc TEXT NOT NULL,
    origin TEXT NOT NULL,
    PRIMARY KEY (case_id, field)
) WITHOUT ROWID;
CREATE TABLE conflicts (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    field TEXT NOT NULL,
    winner_change TEXT NOT NULL,
    loser_change TEXT NOT NULL,
    winner_value TEXT NOT NULL,
    loser_value TEXT NOT NULL,
    winner_author TEXT NOT NULL,
    loser_author TEXT NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX conflicts_case ON conflicts (case_id);
CREATE TABLE resolved_conflicts (id TEXT PRIMARY KEY) WITHOUT ROWID
"""

# Who settled a conflict and when (the author and HLC of its `conflict`/`resolve` change),
# and which write it showed as kept then: a settled conflict keeps its two original values
# (set_conflict_winner no longer moves it) and every replica shows the same. Existing
# settled conflicts get who and when from their resolve change in the log.
CONFLICT_RESOLUTION_SCHEMA = """
ALTER TABLE conflicts ADD COLUMN resolved_by TEXT;
ALTER TABLE conflicts ADD COLUMN resolved_at TEXT;
ALTER TABLE resolved_conflicts ADD COLUMN resolved_by TEXT;
ALTER TABLE resolved_conflicts ADD COLUMN resolved_at TEXT;
ALTER TABLE resolved_conflicts ADD COLUMN kept_change TEXT;
UPDATE resolved_conflicts SET
 resolved_by = (SELECT author FROM changes WHERE entity = 'conflict' AND op = 'resolve'
  AND entity_id = resolved_conflicts.id ORDER BY hlc, author LIMIT 1),
 resolved_at = (SELECT hlc FROM changes WHERE entity = 'conflict' AND op = 'resolve'
  AND entity_id = resolved_conflicts.id ORDER BY hlc, author LIMIT 1);
UPDATE conflicts SET
 resolved_by = (SELECT r.resolved_by FROM resolved_conflicts AS r WHERE r.id = conflicts.id),
 resolved_at = (SELECT r.resolved_at FROM resolved_conflicts AS r WHERE r.id = conflicts.id)
 WHERE resolved = 1
"""

# Fields mirrored into columns of `cases` for indexes (listing, agenda).
_MIRRORED = {"reference", "status", "next_review"}


@dataclass(frozen=True)
class FieldVersion:
    value: Any
    change_id: str
    hlc: str
    origin: str


def ensure_case(conn: Connection, case_id: str, reference: str) -> None:
    conn.execute(
        "INSERT INTO cases (id, reference) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
        (case_id, reference),
    )


def exists(conn: Connection, case_id: str) -> bool:
    return conn.execute("SELECT 1 FROM cases WHERE id = ?", (case_id,)).fetchone() is not None


def field_version(conn: Connection, case_id: str, field: str) -> FieldVersion | None:
    row = conn.execute(
        "SELECT value, change_id, hlc, origin FROM case_fields WHERE case_id = ? AND field = ?",
        (case_id, field),
    ).fetchone()
    if not row:
        return None
    value = unseal(conn, "case_fields", "value", row_key(case_id, field), row[0])
    return FieldVersion(json.loads(value), row[1], row[2], row[3])


def set_field(conn: Connection, case_id: str, field: str, version: FieldVersion) -> None:
    conn.execute(
        "INSERT INTO case_fields (case_id, field, value, change_id, hlc, origin)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, field) DO UPDATE SET"
        " value = excluded.value, change_id = excluded.change_id, hlc = excluded.hlc,"
        " origin = excluded.origin",
        (
            case_id,
            field,
            seal(
                conn,
                "case_fields",
                "value",
                row_key(case_id, field),
                json.dumps(version.value, ensure_ascii=False, sort_keys=True),
            ),
            version.change_id,
            version.hlc,
            version.origin,
        ),
    )
    if field in _MIRRORED:
        conn.execute(f"UPDATE cases SET {field} = ? WHERE id = ?", (version.value, case_id))


def resolve_id(conn: Connection, ref: str) -> str:
    """The case id for an id, an id prefix or a district reference (case-insensitive)."""
    ref = ref.strip()
    row = conn.execute(
        "SELECT id FROM cases WHERE id = ? OR upper(reference) = upper(?)", (ref, ref)
    ).fetchone()
    if row:
        return row[0]
    if len(ref) >= 6:
        rows = conn.execute(
            "SELECT id FROM cases WHERE id LIKE ? ESCAPE '\\' LIMIT 2", (_prefix(ref),)
        ).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if len(rows) > 1:
            raise UsageError("case.ambiguous", ref=ref)
    raise NotFound("case.not_found", ref=ref)


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def load(conn: Connection, case_id: str) -> Case:
    fields = {
        field: json.loads(unseal(conn, "case_fields", "value", row_key(case_id, field), value))
        for field, value in conn.execute(
            "SELECT field, value FROM case_fields WHERE case_id = ?", (case_id,)
        )
    }
    if not fields and not exists(conn, case_id):
        raise NotFound("case.not_found", ref=case_id)
    return _to_case(case_id, fields)


def _to_case(case_id: str, fields: dict[str, Any]) -> Case:
    data = {"id": case_id, "display_name": "", "unit": "", "reference": ""}
    data.update({k: v for k, v in fields.items() if k in Case.model_fields and v is not None})
    return Case.model_validate(data)


def list_cases(conn: Connection, status: str | None = None) -> list[Case]:
    """Every case (or those with a status), ordered by reference, in two queries."""
    sql = "SELECT id FROM cases"
    params: tuple = ()
    if status:
        sql += " WHERE status = ?"
        params = (status,)
    ids = [row[0] for row in conn.execute(sql + " ORDER BY reference", params)]
    # Each case is validated from one JSON text made of its fields' stored JSON: pydantic
    # parses it in one go, three times faster than loading every field first (issue 7:
    # a district lists thousands of cases). Same result as `_to_case`.
    texts: dict[str, dict[str, str]] = {case_id: {} for case_id in ids}
    known = _CASE_MODEL_FIELDS
    sealed = cipher(conn) is not None  # asked once, not for each of the rows
    for case_id, field, value in conn.execute("SELECT case_id, field, value FROM case_fields"):
        if case_id in texts and field in known:
            if sealed:
                value = unseal(conn, "case_fields", "value", row_key(case_id, field), value)
            if value != "null":
                texts[case_id][field] = value
    return [Case.model_validate_json(_case_json(case_id, texts[case_id])) for case_id in ids]


_CASE_MODEL_FIELDS = frozenset(Case.model_fields)
_CASE_DEFAULTS = {"display_name": '""', "unit": '""', "reference": '""'}


def _case_json(case_id: str, fields: dict[str, str]) -> str:
    """A case as JSON from its fields' JSON texts (names are model fields, values JSON)."""
    parts = {**_CASE_DEFAULTS, **fields, "id": json.dumps(case_id)}
    return "{" + ",".join(f'"{name}":{text}' for name, text in parts.items()) + "}"


def count(conn: Connection) -> int:
    return conn.execute("SELECT count(*) FROM cases").fetchone()[0]


def due_reviews(conn: Connection, until: str) -> list[tuple[str, str]]:
    """(case id, next review) for open cases whose review falls on or before `until`."""
    return conn.execute(
        "SELECT id, next_review FROM cases WHERE next_review IS NOT NULL AND next_review <= ?"
        " AND status != 'closed' ORDER BY next_review",
        (until,),
    ).fetchall()


def reference_of(conn: Connection, case_id: str) -> str | None:
    row = conn.execute("SELECT reference FROM cases WHERE id = ?", (case_id,)).fetchone()
    return row[0] if row else None


def mark_purge(conn: Connection, case_id: str) -> None:
    conn.execute("UPDATE cases SET purge_pending = 1 WHERE id = ?", (case_id,))


def purge_pending(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM cases WHERE purge_pending = 1")]


def delete(conn: Connection, case_id: str) -> None:
    conn.execute("DELETE FROM conflicts WHERE case_id = ?", (case_id,))
    conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))


# Conflicts


def add_conflict(conn: Connection, conflict: Conflict) -> bool:
    """Record a conflict once; it is born resolved if a resolution already arrived."""
    resolved = conn.execute(
        "SELECT 1 FROM resolved_conflicts WHERE id = ?", (conflict.id,)
    ).fetchone()
    cursor = conn.execute(
        "INSERT INTO conflicts (id, case_id, field, winner_change, loser_change, winner_value,"
        " loser_value, winner_author, loser_author, resolved) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO NOTHING",
        (
            conflict.id,
            conflict.case_id,
            conflict.field,
            conflict.winner_change,
            conflict.loser_change,
            _seal_value(conn, conflict.id, "winner_value", conflict.winner_value),
            _seal_value(conn, conflict.id, "loser_value", conflict.loser_value),
            conflict.winner_author,
            conflict.loser_author,
            1 if resolved else 0,
        ),
    )
    return cursor.rowcount > 0


def set_conflict_winner(
    conn: Connection, case_id: str, field: str, change_id: str, value: Any, author: str
) -> None:
    """Every open conflict on this field now shows this write as the value kept.

    A settled conflict keeps the values it was settled on: the resolution's own write
    (a new text) must not replace what the colleague had written.
    """
    # Row by row: a sealed value is bound to its conflict's id (fieldkit/store/columns.py).
    ids = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM conflicts WHERE case_id = ? AND field = ? AND resolved = 0",
            (case_id, field),
        ).fetchall()
    ]
    for conflict_id in ids:
        conn.execute(
            "UPDATE conflicts SET winner_change = ?, winner_value = ?, winner_author = ?"
            " WHERE id = ?",
            (change_id, _seal_value(conn, conflict_id, "winner_value", value), author, conflict_id),
        )


def _seal_value(conn: Connection, conflict_id: str, column: str, value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return seal(conn, "conflicts", column, conflict_id, text)


@dataclass(frozen=True)
class Resolution:
    """The first settlement of a conflict, by (HLC, author): the same on every replica."""

    resolved_by: str
    resolved_at: str  # the HLC of the resolve change
    kept_change: str | None  # the write shown as kept when it was settled


def record_resolution(conn: Connection, conflict_id: str, resolution: Resolution) -> None:
    """Remember a settlement, even before the conflict itself arrives; the earliest wins."""
    conn.execute(
        "INSERT INTO resolved_conflicts (id, resolved_by, resolved_at, kept_change)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " resolved_by = excluded.resolved_by, resolved_at = excluded.resolved_at,"
        " kept_change = excluded.kept_change"
        " WHERE resolved_conflicts.resolved_at IS NULL"
        " OR excluded.resolved_at < resolved_conflicts.resolved_at"
        " OR (excluded.resolved_at = resolved_conflicts.resolved_at"
        " AND excluded.resolved_by < resolved_conflicts.resolved_by)",
        (conflict_id, resolution.resolved_by, resolution.resolved_at, resolution.kept_change),
    )


def resolution(conn: Connection, conflict_id: str) -> Resolution | None:
    row = conn.execute(
        "SELECT resolved_by, resolved_at, kept_change FROM resolved_conflicts WHERE id = ?",
        (conflict_id,),
    ).fetchone()
    if row is None or row[1] is None:
        return None
    return Resolution(row[0], row[1], row[2])


def conflict_field(conn: Connection, conflict_id: str) -> tuple[str, str] | None:
    """(case id, field) of a conflict this replica holds."""
    row = conn.execute(
        "SELECT case_id, field FROM conflicts WHERE id = ?", (conflict_id,)
    ).fetchone()
    return (row[0], row[1]) if row else None


def mark_resolved(
    conn: Connection,
    conflict_id: str,
    resolved: Resolution,
    kept: tuple[str, Any, str] | None = None,
) -> None:
    """Settle a conflict; `kept` (change id, value, author) is the value it was settled on,
    shown from now on as the one kept (None: the one it shows now)."""
    conn.execute(
        "UPDATE conflicts SET resolved = 1, resolved_by = ?, resolved_at = ? WHERE id = ?",
        (resolved.resolved_by, resolved.resolved_at, conflict_id),
    )
    if kept is not None:
        change_id, value, author = kept
        conn.execute(
            "UPDATE conflicts SET winner_change = ?, winner_value = ?, winner_author = ?"
            " WHERE id = ?",
            (change_id, _seal_value(conn, conflict_id, "winner_value", value), author, conflict_id),
        )


def conflicts(
    conn: Connection, *, case_id: str | None = None, include_resolved: bool = False
) -> list[Conflict]:
    """Open conflicts with the value each field holds now as the kept one; settled ones
    (with `include_resolved`) with the two values they were settled on.

    The kept side of an open conflict is read from the field's current version rather
    than from the row, so that with three or more concurrent writers every replica
    shows (and `resolve --keep theirs|mine` picks from) the same final winner whatever
    the order in which the changes arrived.
    """
    sql = (
        "SELECT c.id, c.case_id, c.field,"
        " CASE WHEN c.resolved = 1 THEN c.winner_change"
        " ELSE coalesce(f.change_id, c.winner_change) END, c.loser_change,"
        " CASE WHEN c.resolved = 1 THEN NULL ELSE f.value END, c.winner_value, c.loser_value,"
        " CASE WHEN c.resolved = 1 THEN c.winner_author"
        " ELSE coalesce(ch.author, c.winner_author) END, c.loser_author, c.resolved,"
        " c.resolved_by, c.resolved_at"
        " FROM conflicts AS c"
        " LEFT JOIN case_fields AS f ON f.case_id = c.case_id AND f.field = c.field"
        " LEFT JOIN changes AS ch ON ch.id = f.change_id"
        " WHERE 1 = 1"
    )
    params: list[Any] = []
    if case_id is not None:
        sql += " AND c.case_id = ?"
        params.append(case_id)
    if not include_resolved:
        sql += " AND c.resolved = 0"
    rows = conn.execute(sql + " ORDER BY c.case_id, c.field, c.id", params).fetchall()
    return [
        Conflict(
            id=r[0],
            case_id=r[1],
            field=r[2],
            winner_change=r[3],
            loser_change=r[4],
            winner_value=json.loads(
                unseal(conn, "case_fields", "value", row_key(r[1], r[2]), r[5])
                if r[5] is not None
                else unseal(conn, "conflicts", "winner_value", r[0], r[6])
            ),
            loser_value=json.loads(unseal(conn, "conflicts", "loser_value", r[0], r[7])),
            winner_author=r[8],
            loser_author=r[9],
            resolved=bool(r[10]),
            resolved_by=r[11],
            resolved_at=hlc_time(r[12]) if r[12] else None,
        )
        for r in rows
    ]


def hlc_time(hlc: str) -> datetime | None:
    """The wall-clock time (UTC) of an HLC timestamp."""
    from fieldkit.sync.clock import parse_hlc

    try:
        wall_ms, _ = parse_hlc(hlc)
        return datetime.fromtimestamp(wall_ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def get_conflict(conn: Connection, ref: str) -> Conflict:
    rows = conn.execute(
        "SELECT id FROM conflicts WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 2",
        (ref, _prefix(ref) if len(ref) >= 6 else ref),
    ).fetchall()
    if len(rows) != 1:
        raise NotFound("conflict.not_found", ref=ref)
    return next(c for c in conflicts(conn, include_resolved=True) if c.id == rows[0][0])


# Named reads and deletes for the district (fieldkit/district/), which owns no case table.


def status_of(conn: Connection, case_id: str) -> str | None:
    """A case's status as stored, without loading the case; None when there is no such case."""
    row = conn.execute("SELECT status FROM cases WHERE id = ?", (case_id,)).fetchone()
    return row[0] if row else None


def all_ids(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT id FROM cases")]


def closed_stamps(conn: Connection, before_hlc: str) -> list[tuple[str, str, str]]:
    """(id, reference, HLC of the write that closed it) of each closed case closed before
    `before_hlc`, oldest first."""
    return conn.execute(
        "SELECT c.id, c.reference, f.hlc FROM cases AS c"
        " JOIN case_fields AS f ON f.case_id = c.id AND f.field = 'status'"
        " WHERE c.status = 'closed' AND f.hlc < ? ORDER BY f.hlc, c.reference",
        (before_hlc,),
    ).fetchall()


def conflict_ids(conn: Connection, case_id: str) -> set[str]:
    """The ids of a case's conflicts, open or settled."""
    return {r[0] for r in conn.execute("SELECT id FROM conflicts WHERE case_id = ?", (case_id,))}


def purge(conn: Connection, case_id: str, resolutions: set[str]) -> None:
    """Delete a case, its fields and conflicts, and these conflicts' resolutions (which are
    keyed by conflict id alone), inside the caller's transaction."""
    for conflict_id in sorted(resolutions):
        conn.execute("DELETE FROM resolved_conflicts WHERE id = ?", (conflict_id,))
    conn.execute("DELETE FROM case_fields WHERE case_id = ?", (case_id,))
    delete(conn, case_id)
