"""The district's intermediate archive (issue 19): closed cases past active use, kept for
the archive period the district set, then deleted or anonymised (district/retention.py).

An archived case keeps every row it had (its fields, follow-ups, team, change log): only
this table says it is archived. The district's reads leave it out: no listing, agenda,
report or CASE argument finds it (`hidden`); `open_case` alone shows it, for a reason,
as an audited act. A refused change about it is listed as about « an archived case »,
with neither its reference nor its id (district/refusals.py); `open_case` reaches the
case from the refusal's number (`district archive open --refusal N`). It is closed, so
the devices that still hold it purge it at their next sync, once the district has
acknowledged their changes to it, as for any closed case (fieldkit/district/exchange.py,
fieldkit/sync/worker_side.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fieldkit import rules
from fieldkit.errors import InvalidValue, NotFound
from fieldkit.model import Case, FollowUp
from fieldkit.replica import cases as stored_cases
from fieldkit.replica import followups
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

ARCHIVE_SCHEMA = """
CREATE TABLE archived_cases (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    closed_on TEXT NOT NULL,
    archived_on TEXT NOT NULL
)
"""

OPEN_ACTION = "archive-open"


@dataclass(frozen=True)
class Archived:
    case_id: str
    closed_on: date
    archived_on: date


def ids(conn: Connection) -> set[str]:
    """The archived cases' ids: what the district's reads leave out."""
    return {r[0] for r in conn.execute("SELECT case_id FROM archived_cases")}


def entries(conn: Connection) -> list[Archived]:
    return [
        Archived(case_id, date.fromisoformat(closed), date.fromisoformat(archived))
        for case_id, closed, archived in conn.execute(
            "SELECT case_id, closed_on, archived_on FROM archived_cases ORDER BY closed_on, case_id"
        )
    ]


def put(conn: Connection, case_id: str, closed_on: date, today: date) -> bool:
    """Archive a closed case inside the caller's transaction; False if it already was."""
    done = conn.execute(
        "INSERT INTO archived_cases (case_id, closed_on, archived_on) VALUES (?, ?, ?)"
        " ON CONFLICT (case_id) DO NOTHING",
        (case_id, closed_on.isoformat(), today.isoformat()),
    ).rowcount
    return bool(done)


def forget(conn: Connection, case_id: str) -> None:
    """A case's archive entry, when the case itself goes (inside the purge's transaction)."""
    conn.execute("DELETE FROM archived_cases WHERE case_id = ?", (case_id,))


def find(conn: Connection, ref: str) -> str:
    """The archived case a reference, an id or a unique id prefix names; NotFound else."""
    wanted = ref.strip()
    found = []
    for case_id in sorted(ids(conn)):
        reference = stored_cases.reference_of(conn, case_id) or ""
        if case_id == wanted or reference.upper() == wanted.upper():
            return case_id
        if len(wanted) >= 6 and case_id.startswith(wanted):
            found.append(case_id)
    if len(found) != 1:
        raise NotFound("archive.not_found", ref=ref)
    return found[0]


def open_case(
    conn: Connection, ref: str, reason: str, *, refusal: str | None = None
) -> tuple[Case, list[FollowUp]]:
    """An archived case and its follow-ups, newest first, for `reason` (audited with it).

    Found by its reference, id or id prefix among the archived cases only (never by a
    name: the archive is not searched). The reason says on what ground the archive is
    read (a court's request, a dispute): it is kept in the audit trail, so the docs ask
    for the ground, never a name. `refusal`: the number of the refused change it was
    reached from (`district archive open --refusal N`), kept in the audit trail too.
    """
    why = (reason or "").strip()
    if not why:
        raise InvalidValue("value.missing", field="reason")
    rules.check_text("reason", why)
    case_id = find(conn, ref)
    case = stored_cases.load(conn, case_id)
    history = followups.for_case(conn, case_id)
    with transaction(conn):
        via = f"refusal={refusal.strip().lstrip('#')} " if refusal else ""
        audit.record(conn, "district", OPEN_ACTION, "case", case_id, f"{via}reason={why}")
    return case, history
