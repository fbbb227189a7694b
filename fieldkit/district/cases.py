"""Cases as the district runs them: opening one (with its reference), assigning workers,
closing, and the reads a coordinator makes.

The district's own writes go through the change log and merge like any replica's
(`_write`), so that they travel to the workers. Owns the `assignments` and
`references_used` tables (fieldkit/district/schema.py); the case rows themselves are
fieldkit/replica/cases.py's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from fieldkit import rules
from fieldkit.dates import now_stamp
from fieldkit.district import archive, units, workers
from fieldkit.errors import InvalidValue, NotFound, UsageError
from fieldkit.model import (
    Assignee,
    Case,
    CaseStatus,
    Change,
    FollowUp,
    Priority,
    ReferralSource,
    WorkerStatus,
)
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import changelog, followups, merge, meta
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction


def add(
    conn: Connection,
    *,
    name: str,
    unit: str,
    birth_year: int | None = None,
    referral_date: date | None = None,
    referral_source: str | None = None,
    reason: str | None = None,
    priority: Priority = Priority.NORMAL,
    situation: str = "",
    next_review: date | None = None,
    referral_detail: str | None = None,
) -> Case:
    """A new case. Its unit must be on the district's list (fieldkit/district/units.py),
    spelt as the list has it; `referral_source` is a ReferralSource code."""
    referral_source = _source(referral_source)
    referral_detail = (referral_detail or "").strip() or None
    rules.check_case(
        {
            "display_name": name.strip(),
            "unit": unit.strip(),
            "birth_year": birth_year,
            "referral_date": referral_date,
            "referral_source": referral_source,
            "referral_detail": referral_detail,
            "reason": reason,
            "situation": situation,
        },
        date.today(),
    )
    unit = units.check(conn, unit)
    case_id = uuid.uuid4().hex
    referral = referral_date or date.today()
    with transaction(conn):
        reference = _next_reference(conn, referral.year)
        fields: dict[str, Any] = {
            "reference": reference,
            "display_name": name.strip(),
            "birth_year": birth_year,
            "unit": unit.strip(),
            "referral_date": referral.isoformat(),
            "referral_source": referral_source,
            "reason": reason,
            "status": CaseStatus.ACTIVE.value,
            "priority": priority.value,
            "assignees": [],
            "situation": situation,
            "goals": [],
            "related": [],
            "next_review": next_review.isoformat() if next_review else None,
        }
        if referral_detail:
            fields["referral_detail"] = referral_detail
        _write(conn, case_id, "open", fields)
        audit.record(conn, "district", "case-add", "case", case_id)
    return stored_cases.load(conn, case_id)


def _next_reference(conn: Connection, year: int) -> str:
    row = conn.execute("SELECT last FROM references_used WHERE year = ?", (year,)).fetchone()
    number = (row[0] if row else 0) + 1
    conn.execute(
        "INSERT INTO references_used (year, last) VALUES (?, ?)"
        " ON CONFLICT (year) DO UPDATE SET last = excluded.last",
        (year, number),
    )
    prefix = meta.get(conn, "reference_prefix") or "CO"
    return f"{prefix}-{year}-{number:04d}"


def show(conn: Connection, ref: str, limit: int | None = None) -> tuple[Case, list[FollowUp]]:
    """A case and its follow-ups, newest first: the `limit` latest, or all of them (audited)."""
    case_id = resolve(conn, ref)
    case = stored_cases.load(conn, case_id)
    history = followups.for_case(conn, case_id, limit=limit)
    with transaction(conn):
        audit.record(conn, "district", "view", "case", case_id)
    return case, history


def resolve(conn: Connection, ref: str) -> str:
    """The case a CASE argument names at the district: never an archived one, which only
    `district archive open` reads (fieldkit/district/archive.py). A reference or an id
    that names an archived case says so, and how to read it (still not found, exit 4);
    no name, prefix or listing reaches the archive."""
    hidden = archive.ids(conn)
    try:
        return stored_cases.resolve_id(conn, ref, hidden=hidden)
    except NotFound:
        wanted = ref.strip()
        if any(case_id in hidden for case_id in stored_cases.exact_ids(conn, wanted)):
            raise NotFound("case.archived", ref=wanted) from None
        raise


def listing(
    conn: Connection, status: CaseStatus | None = None, unit: str | None = None
) -> list[Case]:
    items = stored_cases.list_cases(
        conn, status.value if status else None, hidden=archive.ids(conn)
    )
    if unit:
        items = [c for c in items if c.unit == unit]
    return items


def high_concerns(conn: Connection) -> dict[str, int]:
    """Open cases' count of follow-ups whose current concern level is high."""
    return followups.high_concern_counts(conn)


def _source(value: str | None) -> str | None:
    """A referral source as stored: its code (ReferralSource), or None."""
    if value is None or not str(value).strip():
        return None
    try:
        return ReferralSource(value).value
    except ValueError:
        raise InvalidValue(
            "value.bad_referral_source", field="referral_source", value=value
        ) from None


# What `update` may correct, and the case field each names.
CORRECTABLE = (
    "display_name",
    "birth_year",
    "unit",
    "priority",
    "referral_date",
    "referral_source",
    "referral_detail",
    "reason",
)


def update(conn: Connection, case_ref: str, **given: Any) -> tuple[Case, list[str]]:
    """A correction of the district's fields of a case (issue 17): one district-owned
    change that reaches the team at its next sync, audited. `given` names fields of
    CORRECTABLE; None leaves a field as it is, "" empties a text (not the name nor the
    unit). Returns the case and the fields that changed (none: nothing is written)."""
    unknown = sorted(set(given) - set(CORRECTABLE))
    if unknown:
        raise UsageError("case.not_correctable", field=unknown[0])
    case_id = resolve(conn, case_ref)
    case = stored_cases.load(conn, case_id)
    if case.status == CaseStatus.CLOSED:
        raise UsageError("case.closed", ref=case.reference)
    wanted: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip() or None
        if name in ("display_name", "unit") and value is None:
            raise InvalidValue("value.missing", field=name)
        if name == "unit":
            value = units.check(conn, value)
        elif name == "referral_source":
            value = _source(value)
        elif name == "priority":
            value = Priority(value).value
        elif name == "referral_date":
            value = value.isoformat() if value else None
        wanted[name] = value
    check = dict(wanted)
    if check.get("referral_date"):
        check["referral_date"] = date.fromisoformat(check["referral_date"])
    check.setdefault("display_name", case.display_name)
    check.setdefault("unit", case.unit)
    rules.check_case(check, date.today())
    current = case.model_dump(mode="json")
    fields = {name: value for name, value in wanted.items() if current.get(name) != value}
    if not fields:
        return case, []
    with transaction(conn):
        _write(conn, case_id, "update", fields, _bases(conn, case_id, fields))
        audit.record(conn, "district", "case-update", "case", case_id, ",".join(sorted(fields)))
    return stored_cases.load(conn, case_id), sorted(fields)


def suspend(conn: Connection, case_ref: str, reason: str) -> Case:
    """An active case suspended, and why: a district-owned change the team receives. The
    case stays on the team's devices (only a closed case leaves them)."""
    return _set_status(conn, case_ref, CaseStatus.SUSPENDED, reason)


def reopen(conn: Connection, case_ref: str, reason: str) -> Case:
    """A suspended case active again, and why. A closed case is not reopened: its devices
    purged it and its retention period runs; a new referral opens a new case."""
    return _set_status(conn, case_ref, CaseStatus.ACTIVE, reason)


def _set_status(conn: Connection, case_ref: str, status: CaseStatus, reason: str) -> Case:
    case_id = resolve(conn, case_ref)
    why = (reason or "").strip()
    if not why:
        raise InvalidValue("value.missing", field="status_reason")
    rules.check_text("status_reason", why)
    case = stored_cases.load(conn, case_id)
    if case.status == CaseStatus.CLOSED:
        key = "case.closed_reopen" if status == CaseStatus.ACTIVE else "case.closed"
        raise UsageError(key, ref=case.reference)
    if case.status == status:
        key = "case.already_suspended" if status == CaseStatus.SUSPENDED else "case.not_suspended"
        raise UsageError(key, ref=case.reference)
    with transaction(conn):
        fields = {"status": status.value, "status_reason": why}
        _write(conn, case_id, "update", fields, _bases(conn, case_id, fields))
        if status == CaseStatus.SUSPENDED:
            audit.record(conn, "district", "case-suspend", "case", case_id)
        else:
            audit.record(conn, "district", "case-reopen", "case", case_id)
    return stored_cases.load(conn, case_id)


def units_in_use(conn: Connection, *, archived: bool = True) -> list[str]:
    """The unit of each case, open or closed, one entry per case. `archived` False: not
    those of the intermediate archive, which `unit list` does not count (a listing never
    shows an archived case); renaming a unit still moves them (`move_unit`), so that the
    archive and its anonymised counts per unit keep the district's units."""
    hidden = set() if archived else archive.ids(conn)
    return [case.unit for case in stored_cases.list_cases(conn, hidden=hidden)]


def move_unit(conn: Connection, old_key: str, new: str, fold: Callable[[str], str]) -> int:
    """Every case whose unit folds to `old_key` given the unit `new`, as district-owned
    changes inside the caller's transaction (a unit renamed or mapped: the teams' devices
    get the new unit at their next sync). Returns how many moved."""
    moved = 0
    for case in stored_cases.list_cases(conn):
        if fold(case.unit) == old_key and case.unit != new:
            fields = {"unit": new}
            _write(conn, case.id, "update", fields, _bases(conn, case.id, fields))
            moved += 1
    return moved


def assign(conn: Connection, case_ref: str, worker_ref: str, lead: bool = False) -> Case:
    case_id = resolve(conn, case_ref)
    record = workers.find(conn, worker_ref)
    if record.worker.status == WorkerStatus.REVOKED:
        raise UsageError("worker.is_revoked", ref=record.worker.id)
    case = stored_cases.load(conn, case_id)
    if case.status == CaseStatus.CLOSED:
        raise UsageError("case.closed", ref=case.reference)
    with transaction(conn):
        if lead:
            conn.execute("UPDATE assignments SET lead = 0 WHERE case_id = ?", (case_id,))
        conn.execute(
            "INSERT INTO assignments (case_id, worker_id, lead, assigned_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (case_id, worker_id) DO UPDATE SET lead = excluded.lead",
            (case_id, record.worker.id, int(lead), now_stamp()),
        )
        _write_assignees(conn, case_id)
        audit.record(conn, "district", "case-assign", "case", case_id, record.worker.id)
    return stored_cases.load(conn, case_id)


def unassign(conn: Connection, case_ref: str, worker_ref: str) -> Case:
    case_id = resolve(conn, case_ref)
    record = workers.find(conn, worker_ref)
    with transaction(conn):
        deleted = conn.execute(
            "DELETE FROM assignments WHERE case_id = ? AND worker_id = ?",
            (case_id, record.worker.id),
        ).rowcount
        if not deleted:
            raise NotFound("assignment.not_found", case=case_ref, worker=record.worker.id)
        _write_assignees(conn, case_id)
        audit.record(conn, "district", "case-unassign", "case", case_id, record.worker.id)
    return stored_cases.load(conn, case_id)


def close(conn: Connection, case_ref: str, reason: str) -> Case:
    case_id = resolve(conn, case_ref)
    check_closure_reason(reason)
    with transaction(conn):
        close_within(conn, case_id, reason)
    return stored_cases.load(conn, case_id)


def check_closure_reason(reason: str | None) -> None:
    if reason is None or not reason.strip():
        raise InvalidValue("value.missing", field="reason")
    rules.check_text("closure_reason", reason.strip())


def close_within(conn: Connection, case_id: str, reason: str) -> None:
    """Close a case inside the caller's transaction (`close`, a group's decision)."""
    fields = {"status": CaseStatus.CLOSED.value, "closure_reason": reason.strip()}
    _write(conn, case_id, "update", fields, _bases(conn, case_id, fields))
    audit.record(conn, "district", "case-close", "case", case_id)


def write_fields(conn: Connection, case_id: str, fields: dict[str, Any]) -> Change:
    """A district-owned update of some case fields (values as JSON), each built on the
    value it replaces, inside the caller's transaction."""
    return _write(conn, case_id, "update", fields, _bases(conn, case_id, fields))


def assigned(conn: Connection, worker_id: str) -> list[str]:
    """The ids of the cases assigned to a worker."""
    return [
        r[0]
        for r in conn.execute("SELECT case_id FROM assignments WHERE worker_id = ?", (worker_id,))
    ]


def assignees_of(conn: Connection, case_ids: set[str]) -> set[str]:
    """The workers assigned to any of these cases."""
    found: set[str] = set()
    for case_id in sorted(case_ids):
        rows = conn.execute("SELECT worker_id FROM assignments WHERE case_id = ?", (case_id,))
        found.update(r[0] for r in rows)
    return found


def open_among(conn: Connection, case_ids: set[str]) -> set[str]:
    """Those of these cases that are not closed."""
    closed = (None, CaseStatus.CLOSED.value)
    return {c for c in case_ids if stored_cases.status_of(conn, c) not in closed}


def delete_assignments(conn: Connection, case_id: str) -> None:
    """A purged case's assignments (inside the purge's transaction)."""
    conn.execute("DELETE FROM assignments WHERE case_id = ?", (case_id,))


def _write_assignees(conn: Connection, case_id: str) -> None:
    rows = conn.execute(
        "SELECT worker_id, lead FROM assignments WHERE case_id = ?", (case_id,)
    ).fetchall()
    known = workers.names(conn, [r[0] for r in rows])
    named = [(worker_id, known[worker_id], lead) for worker_id, lead in rows if worker_id in known]
    named.sort(key=lambda r: (-r[2], r[1]))
    assignees = [_assignee(conn, *r).model_dump(exclude_none=True) for r in named]
    fields = {"assignees": assignees}
    _write(conn, case_id, "update", fields, _bases(conn, case_id, fields))


def _assignee(conn: Connection, worker_id: str, name: str, lead: int) -> Assignee:
    """A member as the case record lists it: with the public identity its team's devices
    grant the case keys to, once enrolled and unless revoked (issue 16)."""
    record = workers.get(conn, worker_id)
    public = record.public_identity()
    if public is None or record.worker.status != WorkerStatus.ENROLLED:
        return Assignee(id=worker_id, name=name, lead=bool(lead))
    return Assignee(
        id=worker_id,
        name=name,
        lead=bool(lead),
        keys=public.to_dict(),
        fingerprint=public.fingerprint_hex,
    )


def refresh_team_of(conn: Connection, worker_id: str) -> int:
    """Write again the team of every case assigned to this worker (its keys changed: it
    enrolled or was revoked), inside the caller's transaction. Returns how many cases."""
    case_ids = assigned(conn, worker_id)
    for case_id in case_ids:
        _write_assignees(conn, case_id)
    return len(case_ids)


def _bases(conn: Connection, case_id: str, fields: dict[str, Any]) -> dict[str, str | None]:
    bases: dict[str, str | None] = {}
    for name in fields:
        version = stored_cases.field_version(conn, case_id, name)
        bases[name] = version.change_id if version else None
    return bases


def _write(
    conn: Connection,
    case_id: str,
    op: str,
    fields: dict[str, Any],
    base: dict[str, str | None] | None = None,
) -> Change:
    """A write of the district itself on a case, logged and applied as any replica's."""
    change = changelog.new_local(
        conn,
        origin=meta.get(conn, "replica_id") or "",
        author="district",
        entity="case",
        entity_id=case_id,
        case_id=case_id,
        op=op,
        fields=fields,
        base=base,
    )
    merge.apply(conn, change)
    return change
