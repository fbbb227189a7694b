"""Cases as the store keeps them: one row per case, one row per field with its version.

Each field remembers the change that wrote it (id, HLC, origin), which is what
per-field last-writer-wins merging compares (see fieldkit/replica/merge.py).
The conflicts between concurrent writes live in fieldkit/replica/conflicts.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from fieldkit.choices import fold
from fieldkit.errors import NotFound, UsageError
from fieldkit.model import Case
from fieldkit.replica import conflicts
from fieldkit.replica.columns import cipher, row_key, seal, unseal
from fieldkit.replica.db import Connection, prefix_pattern

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
) WITHOUT ROWID
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


def exact_ids(conn: Connection, ref: str) -> list[str]:
    """The cases whose id, or whose reference (case-insensitive), is exactly `ref`."""
    rows = conn.execute(
        "SELECT id FROM cases WHERE id = ? OR upper(reference) = upper(?)", (ref, ref)
    ).fetchall()
    return [row[0] for row in rows]


def resolve_id(conn: Connection, ref: str, hidden: Collection[str] = ()) -> str:
    """The case id for an id, an id prefix, a district reference (case-insensitive) or a
    name that only one case's display name holds (accents and case ignored).

    The one resolver of a CASE argument, on a device and at the district alike. Several
    names matching: one error listing the candidates (reference and name), so the person
    can type the reference. Cases in `hidden` (the district's archive) are not found, and
    never named among the candidates.
    """
    ref = ref.strip()
    found = [case_id for case_id in exact_ids(conn, ref) if case_id not in hidden]
    if found:
        return found[0]
    if len(ref) >= 6:
        rows = conn.execute(
            "SELECT id FROM cases WHERE id LIKE ? ESCAPE '\\' LIMIT ?",
            (prefix_pattern(ref), 2 + len(hidden)),
        ).fetchall()
        found = [r[0] for r in rows if r[0] not in hidden]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise UsageError("case.ambiguous", ref=ref)
    return _by_name(conn, ref, hidden)


# The shortest name a CASE argument is matched on: one letter would match most cases.
NAME_MATCH_MIN = 2


def _by_name(conn: Connection, ref: str, hidden: Collection[str] = ()) -> str:
    wanted = fold(ref)
    if len(wanted) < NAME_MATCH_MIN:
        raise NotFound("case.not_found", ref=ref)
    found = [case for case in list_cases(conn, hidden=hidden) if wanted in fold(case.display_name)]
    if len(found) > 1:
        exact = [case for case in found if fold(case.display_name) == wanted]
        found = exact if len(exact) == 1 else found
    if len(found) == 1:
        return found[0].id
    if found:
        listed = ", ".join(f"{case.reference} ({case.display_name})" for case in found)
        raise UsageError("case.ambiguous_name", ref=ref, candidates=listed)
    raise NotFound("case.not_found", ref=ref)


def matches(case: Case, text: str) -> bool:
    """Whether `text` is part of the case's name or reference, accents and case ignored."""
    wanted = fold(text)
    return wanted in fold(case.display_name) or wanted in fold(case.reference)


def search(conn: Connection, text: str, status: str | None = None) -> list[Case]:
    """The cases whose name or reference holds `text` (see `matches`), by reference."""
    return [case for case in list_cases(conn, status) if matches(case, text)]


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


def version(conn: Connection) -> tuple[int, int, str | None]:
    """What changes whenever a case is added, removed or has a field set: the number of
    cases, of case fields and the newest field's stamp (a field is only ever replaced by
    a newer stamp). A few hundred index entries read, well under a millisecond."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM cases), count(*), max(hlc) FROM case_fields"
    ).fetchone()
    return int(row[0]), int(row[1]), row[2]


def list_cases(
    conn: Connection, status: str | None = None, hidden: Collection[str] = ()
) -> list[Case]:
    """Every case (or those with a status), ordered by reference, in two queries; those in
    `hidden` (the district's archive) left out."""
    sql = "SELECT id FROM cases"
    params: tuple = ()
    if status:
        sql += " WHERE status = ?"
        params = (status,)
    ids = [row[0] for row in conn.execute(sql + " ORDER BY reference", params)]
    ids = [case_id for case_id in ids if case_id not in hidden]
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


def delete_fields(conn: Connection, case_id: str) -> None:
    """A case's fields and conflicts, its row kept (what a replay derives again)."""
    conflicts.delete_case(conn, case_id)
    conn.execute("DELETE FROM case_fields WHERE case_id = ?", (case_id,))


def delete(conn: Connection, case_id: str) -> None:
    conflicts.delete_case(conn, case_id)
    conn.execute("DELETE FROM cases WHERE id = ?", (case_id,))


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


def purge(conn: Connection, case_id: str, resolutions: set[str]) -> None:
    """Delete a case, its fields and conflicts, and these conflicts' resolutions (which are
    keyed by conflict id alone), inside the caller's transaction."""
    conflicts.delete_resolutions(conn, resolutions)
    conn.execute("DELETE FROM case_fields WHERE case_id = ?", (case_id,))
    delete(conn, case_id)
