"""Conflicts: the writes of a case field that lost to a concurrent write, and their settlement.

fieldkit/replica/merge.py finds them (a property of the set of changes, not of their
arrival order) and records them here; a settlement (`conflict`/`resolve` change) may
arrive before the conflict itself, so it is kept on its own until then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fieldkit.errors import NotFound
from fieldkit.model import Conflict
from fieldkit.replica.columns import row_key, seal, unseal
from fieldkit.replica.db import Connection, prefix_pattern

CONFLICTS_SCHEMA = """
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
# (set_winner no longer moves it) and every replica shows the same. Existing
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


def delete_case(conn: Connection, case_id: str) -> None:
    conn.execute("DELETE FROM conflicts WHERE case_id = ?", (case_id,))


def add(conn: Connection, conflict: Conflict) -> bool:
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


def set_winner(
    conn: Connection, case_id: str, field: str, change_id: str, value: Any, author: str
) -> None:
    """Every open conflict on this field now shows this write as the value kept.

    A settled conflict keeps the values it was settled on: the resolution's own write
    (a new text) must not replace what the colleague had written.
    """
    # Row by row: a sealed value is bound to its conflict's id (fieldkit/replica/columns.py).
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


def open_count(conn: Connection) -> int:
    """How many conflicts wait to be settled."""
    return conn.execute("SELECT count(*) FROM conflicts WHERE resolved = 0").fetchone()[0]


def listing(
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
    from fieldkit.replica.clock import parse_hlc

    try:
        wall_ms, _ = parse_hlc(hlc)
        return datetime.fromtimestamp(wall_ms / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def get(conn: Connection, ref: str) -> Conflict:
    rows = conn.execute(
        "SELECT id FROM conflicts WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 2",
        (ref, prefix_pattern(ref) if len(ref) >= 6 else ref),
    ).fetchall()
    if len(rows) != 1:
        raise NotFound("conflict.not_found", ref=ref)
    return next(c for c in listing(conn, include_resolved=True) if c.id == rows[0][0])


def ids_of_case(conn: Connection, case_id: str) -> set[str]:
    """The ids of a case's conflicts, open or settled."""
    return {r[0] for r in conn.execute("SELECT id FROM conflicts WHERE case_id = ?", (case_id,))}


def delete_resolutions(conn: Connection, conflict_ids: set[str]) -> None:
    """Forget these conflicts' settlements (kept by conflict id alone, see `record_resolution`)."""
    for conflict_id in sorted(conflict_ids):
        conn.execute("DELETE FROM resolved_conflicts WHERE id = ?", (conflict_id,))
